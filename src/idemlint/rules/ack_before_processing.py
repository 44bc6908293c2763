"""A consumer acknowledges a message before its side effects run, or right after handing it to an in-memory queue, thread pool, executor or asyncio task that does the work later."""

from __future__ import annotations

import re
from typing import Iterator, List, Set

import libcst as cst

from ..facts.deferred import Shape, local_names, message_data, module_names
from ..findings import Confidence
from ..model import STRONG, UNSEEN, Consumer, Event, ModuleFacts, RawFinding
from ..rule import Rule
from .ack_without_dedup import confidence as effect_confidence


def confidence(ack: Event, work: Event) -> Confidence:
    """Effects score as in IDEM001; a hand-off is high on a recognised API after a library ack."""
    if ack.strength == UNSEEN:
        return Confidence.LOW  # an ack on an object the tool cannot resolve (the fallback)
    if work.kind == "effect":
        return effect_confidence(ack.strength, work.strength)
    if work.detail != "api":
        return Confidence.LOW  # a receiver that only looks like a queue or a pool
    return Confidence.HIGH if ack.strength >= STRONG and not work.chain else Confidence.MEDIUM


SETTLE = re.compile(r"^_*(basic_)?(n?ack|nak|acknowledge|reject|requeue|drop|term|abandon|dead_letter|defer_message|"
                    r"modify_ack_deadline|modack|settle|complete)(_\w+)?$")


def _site(event: Event) -> cst.CSTNode:
    """The node in the handler's own body: the call that led to a helper's event, else the event."""
    return event.call_node or event.node


def _main_line(ack: Event) -> bool:
    """An explicit ack call on the handling path (not `if dup: ack(); return`, not in `except`)."""
    return isinstance(ack.node, cst.Call) and not ack.early and not ack.in_except and ack.detail != "framework"


def _processes(consumer: Consumer, shape: Shape, ack: Event, work: Event, skip: Set[str]) -> bool:
    """Work after the ack handles the acked message, unless a function that fetched the message
    itself (a test, a script) acks it and then does something that uses none of its data, outside
    any loop around the ack: `message.ack()` then `producer.publish("second")` sends the next one."""
    if not shape.has(ack.node) or not isinstance(ack.node, cst.Call):
        return True  # acked in a helper: its names are not this function's
    call = ack.node
    # the message is what the ack is given (`complete_message(msg)`), else its receiver (`msg.ack()`)
    named = [a.value for a in call.args] or ([call.func.value] if isinstance(call.func, cst.Attribute) else [])
    seeds = set().union(*(local_names(n, skip) for n in named))
    if not seeds or seeds & set(consumer.function.params):
        return True  # `consumer.commit()` names no message; a callback's every step is for its message
    loop = shape.loop_of(call)
    if loop is not None and shape.inside(_site(work), loop):
        return True  # the same iteration as the ack: the per-message handling
    return bool(local_names(_site(work), skip) & message_data(consumer.function, seeds, skip))


class AckBeforeProcessing(Rule):
    code = "IDEM004"
    name = "ack-before-processing"
    summary = ("A consumer acknowledges a message before its side effects run, or right after handing it to an "
               "in-memory queue, thread pool, executor or asyncio task that does the work later.")

    def check_consumer(self, consumer: Consumer, module: ModuleFacts) -> Iterator[RawFinding]:
        if consumer.ack_mode != "explicit":
            return  # framework acks come after the handler; acks on receipt are IDEM005's business
        acks = [a for a in consumer.of("ack") if _main_line(a)]
        # a nack/reject/modack helper settles the message, it does not process it
        work = [e for e in consumer.events if e.kind in ("effect", "defer") and not e.in_except
                and not any(SETTLE.match(link.split(".")[-1]) for link in e.chain)]
        if not acks or not work:
            return
        shape = Shape(consumer.function.node)
        skip = module_names(module.index)
        for ack in acks:
            late = next((e for e in work if e.seq > ack.seq and self._same_message(consumer, shape, ack, e, ack)
                         and _processes(consumer, shape, ack, e, skip)), None)
            early = next((e for e in work if e.kind == "defer" and e.seq < ack.seq and consumer.in_hand(e)
                          and self._same_message(consumer, shape, e, ack, ack)), None)
            found = early or late
            if found is not None:
                yield self._finding(consumer, ack, found, before=found.seq < ack.seq)
                return

    @staticmethod
    def _same_message(consumer: Consumer, shape: Shape, first: Event, then: Event, ack: Event) -> bool:
        """`then` still handles the message `first` was about: no receive in between, inside the
        receive loop and the loop over the batch that acks, not in the other branch of an `if`."""
        receives = consumer.of("receive")
        if any(first.seq < r.seq < then.seq for r in receives):
            return False
        a, b = _site(first), _site(then)
        if not (shape.has(a) and shape.has(b)):
            return False
        current = [r.node for r in receives if r.seq < min(first.seq, then.seq) and shape.has(r.node)]
        if not shape.in_receive_loop(current[-1] if current else None, a, b):
            return False  # after the receive loop: the last message is long acked, nothing is in hand
        batch = shape.loop_of(_site(ack))
        if batch is not None and not (current and shape.inside(current[-1], batch)):
            # `for msg in received: complete(msg)` then work after that loop: once the batch is
            # settled, what follows is the next step, unless it loops over the same messages again
            other = b if _site(ack) is a else a
            if not shape.inside(other, batch) and not shape.same_iteration_source(other, batch):
                return False
        return not shape.exclusive(a, b)

    def _finding(self, consumer: Consumer, ack: Event, work: Event, before: bool) -> RawFinding:
        via = f" (in `{work.chain[-1]}`)" if work.chain else ""
        if work.kind == "defer" and before:
            message = f"`{consumer.symbol}` hands the message to {work.what}{via}, then acks before that work is done"
        elif work.kind == "defer":
            message = f"`{consumer.symbol}` acks the message, then hands it to {work.what}{via}"
        else:
            message = f"`{consumer.symbol}` acks the message before {work.what}{via} runs"
        related: List = [(_site(work), f"{'hand-off' if work.kind == 'defer' else 'side effect'}: {work.what}")]
        if work.call_node is not None:
            related.append((work.node, f"in `{work.chain[-1]}`" if work.chain else "here"))
        return RawFinding(
            node=_site(ack), message=message,
            hint="Ack after the work is done (at the end of the handler, or in the worker once it finishes); "
                 "work that must run later belongs in a durable queue or outbox, not in memory",
            confidence=confidence(ack, work), symbol=consumer.symbol, scope_node=consumer.function.node.name,
            related=related, evidence=consumer.evidence + [f"ack: {ack.what}", f"then: {work.what}"],
        )
