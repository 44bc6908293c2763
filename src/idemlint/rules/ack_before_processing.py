"""A consumer acknowledges a message before its side effects run, or right after handing it to an in-memory queue, thread pool, executor or asyncio task that does the work later."""

from __future__ import annotations

from typing import Iterator, List

import libcst as cst

from ..facts.deferred import Shape, ack_before_work, in_receive_scope, module_names, settles, site
from ..facts.generators import EarlyAck, early_ack
from ..facts.handover import HandOver, auto_ack_mode, handed_on, polled_then_returned
from ..index import contains
from ..findings import Confidence
from ..model import STRONG, UNSEEN, Consumer, Event, ModuleFacts, RawFinding
from ..rule import Rule
from .ack_without_dedup import confidence as effect_confidence


def confidence(ack: Event, work: Event) -> Confidence:
    """Effects score as in IDEM001; a hand-off is high on a recognised API after a library ack."""
    if ack.strength == UNSEEN:
        return Confidence.LOW  # an ack on an object the tool cannot resolve (the fallback)
    if work.kind in ("effect", "forward"):
        return effect_confidence(ack.strength, work.strength)
    if work.detail != "api":
        return Confidence.LOW  # a receiver that only looks like a queue or a pool
    if work.chain:
        # a queue or task inside a function the handler calls may hold bookkeeping, not the work
        # (a lock renewer, a metrics buffer): measured 0 real of 8 on real code (tests/realworld/)
        return Confidence.LOW
    return Confidence.HIGH if ack.strength >= STRONG else Confidence.MEDIUM


def _main_line(ack: Event, consumer: Consumer) -> bool:
    """An explicit ack call on the handling path (not `if dup: ack(); return`, not in `except`). An
    ack in a branch that leaves afterwards is on it when that branch works on the message after the
    ack (`if response: m = response[0]; m.delete(); run(job); break`), or runs a callable it was
    given on it: the branch is the handling."""
    if not isinstance(ack.node, cst.Call) or ack.in_except or ack.detail == "framework":
        return False
    if not ack.early:
        return True
    return ack.branch is not None and any(
        e.kind in WORK_KINDS + ("given",) and e.seq > ack.seq and not e.in_except and contains(ack.branch, site(e))
        for e in consumer.events)


WORK_KINDS = ("effect", "defer", "forward")


def _given_after_ack(consumer: Consumer, acks: List[Event], module: ModuleFacts):
    """No work of the handler's own in sight, but a callable it was given runs after an explicit ack
    (the task function a registry its users fill holds, a follow-up hook): a crash in it loses the
    message. Not after an ack under `if no_ack:` (the mode a caller chose), not the ack step's own
    retry wrapper (`with_retry(..., self.consumer.commit)`), and not a call inside the ack's own
    receiver chain (`Step(...).begin().complete()`: `begin()` runs first, though the walk meets the
    outer call first). (ack, work, before) as `ack_before_work` gives it, else None."""
    steps = {id(a.call_node) for a in acks if a.call_node is not None}
    given = sorted((e for e in consumer.of("given") if not e.in_except and id(e.call_node) not in steps
                    and not any(e.call_node is not None and contains(site(a), e.call_node) for a in acks)),
                   key=lambda e: (e.early, e.seq))  # the main line's first
    shape = Shape(consumer.function.node)
    chosen = [a for a in acks if not (shape.has(site(a)) and auto_ack_mode(shape, site(a)))]
    if not chosen or not given:
        return None
    return ack_before_work(consumer, chosen, given, module_names(module.index), module.index)


class AckBeforeProcessing(Rule):
    code = "IDEM004"
    name = "ack-before-processing"
    summary = ("A consumer acknowledges a message before its side effects run, or right after handing it to an "
               "in-memory queue, thread pool, executor or asyncio task that does the work later.")

    def check_consumer(self, consumer: Consumer, module: ModuleFacts) -> Iterator[RawFinding]:
        if consumer.ack_mode == "framework":
            # the ack after the handler returns (or Kafka's auto-commit) follows a hand-off, not its work
            handed = [e for e in consumer.of("defer") if consumer.in_hand(e) and not e.in_except]
            handed = in_receive_scope(consumer, handed, module_names(module.index))
            ack = next((a for a in consumer.of("ack") if a.detail == "framework"), None)
            if handed and ack is not None:
                yield self._finding(consumer, ack, handed[0], before=True)
                return
            polled = polled_then_returned(consumer, module.index)
            if polled is not None:
                yield self._passed_on(consumer, polled)
            return
        if consumer.ack_mode != "explicit":
            return  # acks on receipt are IDEM005's business
        acks = [a for a in consumer.of("ack") if _main_line(a, consumer)]
        # a nack/reject/modack helper settles the message, it does not process it; a forward (a publish
        # carrying the message's id) is work too, harmless to repeat but lost by an early ack
        work = [e for e in consumer.events if e.kind in WORK_KINDS and not e.in_except and not settles(e)]
        # `async with message.process(): ...`, the ack at the block's exit, before a `yield` after it
        blocks = [a for a in consumer.of("ack") if isinstance(a.node, cst.With) and not a.in_except]
        if (acks or blocks) and not work:
            early = early_ack(consumer, module.index)  # a generator: the work is its caller's
            if early is not None:
                yield self._yielded(consumer, early)
                return
            passed = handed_on(consumer, module.index) if acks else None  # returned, or given to unseen code
            if passed is not None:
                yield self._passed_on(consumer, passed)
                return
            found = _given_after_ack(consumer, acks, module) if acks else None
            if found is not None:
                yield self._finding(consumer, *found)
            return
        # (and work after a block that acks when it exits: `with msg_obj as msg: ...`, then a send)
        found = ack_before_work(consumer, acks + [b for b in blocks if not b.early], work,
                                module_names(module.index), module.index)
        if found is not None:
            yield self._finding(consumer, *found)

    def _yielded(self, consumer: Consumer, early: EarlyAck) -> RawFinding:
        """A generator's ack before its caller's work (see `facts.generators`)."""
        caller, strong = early.caller, early.ack.strength >= STRONG
        related: List = [(early.hand_over, f"yielded to {early.who}")]
        if caller is not None:
            related.append((caller.node, f"in `{caller.func.symbol}`"))
        return RawFinding(
            node=site(early.ack), message=early.describe(consumer.symbol),
            hint="Ack in the caller once its work is done, or ack after the `yield` and finish each message's "
                 "work before asking for the next",
            confidence=Confidence.HIGH if strong and caller and caller.api else Confidence.MEDIUM if strong
            else Confidence.LOW, symbol=consumer.symbol, scope_node=consumer.function.node.name, related=related,
            evidence=consumer.evidence + [f"ack: {early.ack.what}", f"yielded to {early.who}"])

    def _passed_on(self, consumer: Consumer, passed: HandOver) -> RawFinding:
        """Acked, then returned or given to unseen code (see `facts.handover`): the work comes later."""
        returned = passed.how == "returned"
        strong = passed.ack.strength >= STRONG
        if passed.how == "polled":
            return RawFinding(
                node=passed.node, message=passed.describe(consumer.symbol),
                hint="Commit (or store the offset) in the caller once its work on the record is done, with "
                     "auto-commit off, or finish the work before the record leaves this function",
                confidence=Confidence.LOW, symbol=consumer.symbol, scope_node=consumer.function.node.name,
                related=[(consumer.option_node, f"auto-commit: {consumer.evidence[0]}")] if consumer.option_node
                else [],
                evidence=consumer.evidence + [f"auto-commit: {passed.what}", "then: returned to the caller"])
        return RawFinding(
            node=site(passed.ack), message=passed.describe(consumer.symbol),
            hint="Ack once the messages are processed (in the caller, or after the step that works on them), "
                 "or write them to a durable place before the ack",
            confidence=Confidence.MEDIUM if returned and strong and not passed.what else Confidence.LOW,
            symbol=consumer.symbol,
            scope_node=consumer.function.node.name,
            related=[(passed.node, "returned to the caller" if returned else f"handed to {passed.what}")],
            evidence=consumer.evidence + [f"ack: {passed.ack.what}",
                                          "then: returned to the caller" if returned else f"then: {passed.what}"])

    def _finding(self, consumer: Consumer, ack: Event, work: Event, before: bool) -> RawFinding:
        via = f" (in `{work.chain[-1]}`)" if work.chain else ""
        if work.kind == "defer" and ack.detail == "framework":
            then = consumer.framework_ack if consumer.auto_commit else "it is acked when the handler returns"
            message = f"`{consumer.symbol}` hands the message to {work.what}{via}; {then}, before that work is done"
        elif work.kind == "defer" and before:
            message = f"`{consumer.symbol}` hands the message to {work.what}{via}, then acks before that work is done"
        elif work.kind == "defer":
            message = f"`{consumer.symbol}` acks the message, then hands it to {work.what}{via}"
        else:
            message = f"`{consumer.symbol}` acks the message before {work.what}{via} runs"
        related: List = [(site(work), f"{'hand-off' if work.kind == 'defer' else 'side effect'}: {work.what}")]
        if ack.detail == "framework":  # reported at the hand-off; the ack has no call of its own
            related = [(consumer.option_node, f"auto-commit: {consumer.evidence[0]}")] if consumer.option_node else []
        if work.call_node is not None:
            related.append((work.node, f"in `{work.chain[-1]}`" if work.chain else "here"))
        return RawFinding(
            node=site(work) if ack.detail == "framework" else site(ack), message=message,
            hint="Ack after the work is done (at the end of the handler, or in the worker once it finishes); "
                 "work that must run later belongs in a durable queue or outbox, not in memory",
            confidence=confidence(ack, work), symbol=consumer.symbol, scope_node=consumer.function.node.name,
            related=related, evidence=consumer.evidence + [f"ack: {ack.what}", f"then: {work.what}"],
        )
