"""A consumer asks the broker to acknowledge each message on delivery, and its handler performs a non-idempotent side effect that a crash would lose."""

from __future__ import annotations

from typing import Iterator, List, Optional, Set

import libcst as cst

from ..findings import Confidence
from ..detect.base import Ctx
from ..facts.deferred import awaits_before, bound_by, in_receive_scope, message_data, module_names
from ..facts.handover import _carries, _reshaped
from ..origins import caller_files
from ..model import Consumer, ModuleFacts, RawFinding
from ..rule import Rule
from .ack_without_dedup import confidence as score

# Task queues whose early ack is their documented default, not a consumer option (brief2.md).
TASK_QUEUES = {"celery", "dramatiq"}
HINT = ("Turn the auto-ack off (`auto_ack=False`, `enable.auto.commit: False`, `ack=\"client-individual\"`, "
        "PEEK_LOCK) and ack after the side effect, with a dedup check keyed by the message ID")
HINTS = {"redis_lists": "Move the item into a processing list (`lmove`/`blmove`) and `lrem` it from there after "
                        "the side effect, with a dedup check keyed by an id in the item"}


def confidence(option_strength: int, effect_strength: int) -> Confidence:
    """Option spelled out (2) or a library default / unreadable value (1), plus effect evidence (2 or 1),
    on IDEM001's scale (4 high, 3 medium, less low)."""
    return score(option_strength, effect_strength)


class AutoAckConsumer(Rule):
    code = "IDEM005"
    name = "auto-ack-consumer"
    summary = ("A consumer asks the broker to acknowledge each message on delivery, and its handler performs "
               "a non-idempotent side effect that a crash would lose.")

    def check_consumer(self, consumer: Consumer, module: ModuleFacts) -> Iterator[RawFinding]:
        # Kafka auto-commit from a background thread or task may commit the record in hand mid-work
        window = consumer.ack_mode == "framework" and consumer.auto_commit in ("thread", "await")
        if not window and (consumer.ack_mode != "auto" or consumer.library in TASK_QUEUES):
            return  # acked by the handler or after it; a task queue's default early ack is not an option
        # a dedup check does not bring a lost message back, so lookups do not matter here
        # work handed to an executor, a task or an in-memory queue (`deferred`) runs after the
        # broker dropped the message: a crash before it runs loses it as surely as a side effect
        # (under Kafka's auto-commit window that hand-off is IDEM004's)
        kinds = ("effect",) if window else ("effect", "defer")
        effects = [e for e in consumer.events if e.kind in kinds and consumer.in_hand(e) and not e.in_except]
        if not effects and not window:
            # else the message handed to a callable the consumer was given (a registered handler, a
            # route picked from its table): its work is out of sight, and runs after the broker let go
            effects = [e for e in consumer.of("given") if consumer.in_hand(e) and not e.in_except]
        effects = in_receive_scope(consumer, effects, module_names(module.index))
        if consumer.auto_commit == "await":  # aiokafka's commit task runs only when the handler awaits
            effects = [e for e in effects if awaits_before(consumer, e)]
        if not effects:
            returned = None if window else _returned(consumer, module)
            if returned is not None:
                yield self._returned(consumer, returned)
            return  # nothing would be lost but the message itself
        effect = effects[0]
        via = f" (in `{effect.chain[-1]}`)" if effect.chain else ""
        related: List = []
        if effect.call_node is not None:
            related.append((effect.node, f"side effect {effect.what}"))
        if consumer.option_node is not None:
            related.append((consumer.option_node, f"{'auto-commit' if window else 'acked on receipt'}: "
                                                  f"{consumer.evidence[0]}"))
        message = (f"{effect.what}{via} runs in `{consumer.symbol}`, whose messages are acked on delivery; "
                   f"a crash before it loses the message")
        if effect.kind == "given":
            message = (f"`{consumer.symbol}` hands the message to {effect.what}{via}, a callable it was given, but its "
                       f"messages are acked on delivery; a crash while that work runs loses the message")
        if effect.kind == "defer":
            message = (f"`{consumer.symbol}` hands the message to {effect.what}{via}, but its messages are acked on "
                       f"delivery; a crash before that work runs loses the message")
        if window:
            message = (f"{effect.what}{via} in `{consumer.symbol}` may run after auto-commit committed its offset: "
                       f"a crash then loses the message (the redelivery is IDEM001's)")
        yield RawFinding(
            node=effect.call_node or effect.node, message=message,
            hint=WINDOW_HINT if window else HINTS.get(consumer.library, HINT),
            confidence=Confidence.LOW if window else confidence(consumer.ack_strength, effect.strength),
            symbol=consumer.symbol, scope_node=consumer.function.node.name, related=related,
            evidence=consumer.evidence + [f"side effect: {effect.what}"],
        )


    def _returned(self, consumer: Consumer, value: cst.BaseExpression) -> RawFinding:
        related: List = []
        if consumer.option_node is not None:
            related.append((consumer.option_node, f"acked on receipt: {consumer.evidence[0]}"))
        return RawFinding(
            node=value, message=(f"`{consumer.symbol}` takes a message acked on delivery and returns it to its "
                                 "caller: a crash before the caller's work on it loses the message"),
            hint=HINTS.get(consumer.library, HINT), confidence=Confidence.LOW, symbol=consumer.symbol,
            scope_node=consumer.function.node.name, related=related,
            evidence=consumer.evidence + ["the message is returned to the caller, whose work is out of sight"],
        )


def _returned(consumer: Consumer, module: ModuleFacts) -> Optional[cst.BaseExpression]:
    """The `return` value of a function that receives its messages by a call acked on delivery
    (`method, header, body = channel.basic_get(queue, auto_ack=True)`, a pop off a Redis list) and
    returns them, as they came or in another form (`return self._decode_request(body)`): the work on
    them is the caller's, after the broker let go, and out of the project: not when a module of the
    project may call it (that caller is the consumer, judged where it is written), nor for a generator
    (its caller is read for its yields)."""
    func = consumer.function
    if func.yields or consumer.ack_mode != "auto" or module.index.call_sites(func):
        return None  # (a caller in the module is a consumer of what it returns, and judged there)
    project = module.index.project
    if project is not None and caller_files(project, func, module.index.path):
        return None  # a production module that may call it: the caller's work is judged there
    seeds: Set[str] = set()
    for event in consumer.of("receive"):
        if not event.chain and isinstance(event.node, cst.Call):
            seeds |= bound_by(func, event.node)
    if not seeds:
        return None
    skip = module_names(module.index) | {"self", "cls"}
    data = message_data(func, seeds, skip)
    ctx = Ctx(module.index, func)
    for value in func.returns:
        if value is not None and (_carries(value, data, skip) or _reshaped(value, ctx, data, skip)):
            return value
    return None


WINDOW_HINT = ("Commit only after the work: `enable_auto_commit=False` and `commit()` after it, or (confluent-kafka) "
               "`enable.auto.offset.store: False` and `store_offsets(msg)` after it")
