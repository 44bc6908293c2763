"""A consumer asks the broker to acknowledge each message on delivery, and its handler performs a non-idempotent side effect that a crash would lose."""

from __future__ import annotations

from typing import Iterator, List, Set

from ..findings import Confidence
from ..facts.deferred import Shape, bound_by, local_names, message_data, module_names
from ..model import Consumer, Event, ModuleFacts, RawFinding
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
        if consumer.ack_mode != "auto" or consumer.library in TASK_QUEUES:
            return  # acked by the handler or after it; a task queue's default early ack is not an option
        # a dedup check does not bring a lost message back, so lookups do not matter here
        effects = [e for e in consumer.of("effect") if consumer.in_hand(e) and not e.in_except]
        if effects and (consumer.of("receive") or consumer.option_node is not None):
            effects = self._in_receive_scope(consumer, effects, module_names(module.index))
        if not effects:
            return  # nothing would be lost but the message itself
        effect = effects[0]
        via = f" (in `{effect.chain[-1]}`)" if effect.chain else ""
        related: List = []
        if effect.call_node is not None:
            related.append((effect.node, f"side effect {effect.what}"))
        if consumer.option_node is not None:
            related.append((consumer.option_node, f"acked on receipt: {consumer.evidence[0]}"))
        yield RawFinding(
            node=effect.call_node or effect.node,
            message=(f"{effect.what}{via} runs in `{consumer.symbol}`, whose messages are acked on delivery; "
                     f"a crash before it loses the message"),
            hint=HINTS.get(consumer.library, HINT),
            confidence=confidence(consumer.ack_strength, effect.strength), symbol=consumer.symbol,
            scope_node=consumer.function.node.name, related=related,
            evidence=consumer.evidence + [f"side effect: {effect.what}"],
        )

    @staticmethod
    def _in_receive_scope(consumer: Consumer, effects: List[Event], skip: Set[str]) -> List[Event]:
        """Effects after the receive loop, or outside the `with` block of the auto-ack receiver, handle
        no message of this consumer (a test that sends a new batch afterwards)."""
        shape = Shape(consumer.function.node)
        block = shape.with_block(consumer.option_node)
        kept = []
        for effect in effects:
            site = effect.call_node or effect.node
            if not shape.has(site):
                kept.append(effect)
                continue
            receives = [r.node for r in consumer.of("receive") if r.seq < effect.seq and shape.has(r.node)]
            if receives and not shape.in_receive_loop(receives[-1], site):
                continue
            if block is not None and not shape.inside(site, block):
                continue
            if receives and shape.loop_of(receives[-1]) is None and not _uses_received(consumer, receives[-1], site, skip):
                continue
            kept.append(effect)
        return kept


def _uses_received(consumer: Consumer, receive, site, skip: Set[str]) -> bool:
    """After a one-off receive (no loop), an effect handles what was received only if it uses it:
    `msgs = receiver.receive_messages()` then `sender.send_messages(new_batch)` sends a new batch."""
    seeds = bound_by(consumer.function, receive)
    if not seeds:
        return True  # the received messages are not held in a variable we can follow
    return bool(local_names(site, skip) & message_data(consumer.function, seeds, skip))
