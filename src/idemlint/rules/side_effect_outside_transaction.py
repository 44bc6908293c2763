"""A consumer records the message as processed, but the side effect and that record are not atomic."""

from __future__ import annotations

from typing import Iterator, Tuple

from ..findings import Confidence
from ..model import STRONG, Consumer, Event, ModuleFacts, RawFinding
from ..rule import Rule


def atomic(effect: Event, marker: Event) -> bool:
    """Both inside one transaction scope, or both written through one session before one commit."""
    if effect.txns or marker.txns:
        return bool(set(effect.txns) & set(marker.txns))
    return bool(effect.db and marker.db and effect.db_key and effect.db_key == marker.db_key
                and effect.db_epoch == marker.db_epoch)


def unsafe(effect: Event, marker: Event) -> bool:
    """A database effect must share the marker's transaction. An effect no transaction can hold (HTTP,
    email, a payment) is accepted when the marker follows it: that window is the best a consumer can do
    without an idempotency key; a marker written first loses the message if the process dies between."""
    if atomic(effect, marker):
        return False
    if effect.db:
        return True
    return marker.seq < effect.seq


def confidence(marker: Event, effect: Event) -> Confidence:
    """Both recognised calls (high); one known by its name only, or a claim released when the effect
    raises, which leaves only a crash between the two to lose the message (medium)."""
    if marker.detail == "released":
        return Confidence.MEDIUM
    return Confidence.HIGH if marker.strength >= STRONG and effect.strength >= STRONG else Confidence.MEDIUM


def _wording(consumer: Consumer, marker: Event, effect: Event) -> Tuple[str, str]:
    """(message, hint): a record written first that no transaction can share with the effect (a Redis
    key before an HTTP call or a SQL write) loses the message when the effect fails, so say that."""
    if marker.seq < effect.seq and (not effect.db or marker.claim and not marker.db):
        lost = "the process dies during the effect" if marker.detail == "released" else "the effect fails"
        return (f"{marker.what} records the message before {effect.what} in `{consumer.symbol}`: "
                f"if {lost}, its redelivery is skipped",
                "Write the processed record after the effect succeeds (hold a short-lived `SET NX EX` lock "
                "meanwhile), or delete the record when the effect fails, then ack")
    order = "before" if marker.seq < effect.seq else "after"
    return (f"{effect.what} and the processed record {marker.what} ({order} it) are not in one transaction "
            f"in `{consumer.symbol}`",
            "Wrap the side effect and the processed record in one database transaction, then ack after it commits")


class SideEffectOutsideTransaction(Rule):
    code = "IDEM002"
    name = "side-effect-outside-transaction"
    summary = "A consumer records the message as processed, but the side effect and that record are not atomic."

    def check_consumer(self, consumer: Consumer, module: ModuleFacts) -> Iterator[RawFinding]:
        if consumer.ack_mode == "auto":
            return  # acked on receipt: no redelivery for the record to protect against
        # a claim that expires (SET NX with a TTL) is a processing lock: if the process dies, the
        # lock lapses and the redelivery runs again, so it records nothing that could be lost
        markers = consumer.of("marker") + [e for e in consumer.of("lookup") if e.claim and e.detail != "lock"]
        if not markers:
            return  # nothing records the message as processed
        marker = min(markers, key=lambda e: e.seq)
        explicit_acks = [a for a in consumer.of("ack") if a.detail != "framework"]
        late = [m for m in markers if explicit_acks and all(a.seq < m.seq for a in explicit_acks)]
        if late:
            ack = explicit_acks[-1]
            yield RawFinding(
                node=late[0].node,
                message=f"{late[0].what} records the message as processed after the ack in `{consumer.symbol}`",
                hint="Write the processed record (with the side effect, in one transaction) before acking",
                confidence=Confidence.HIGH if late[0].strength >= STRONG else Confidence.MEDIUM,
                symbol=consumer.symbol, scope_node=consumer.function.node.name,
                related=[(ack.node, f"ack: {ack.what}")], evidence=consumer.evidence,
            )
            return
        for effect in consumer.of("effect"):
            if not consumer.in_hand(effect):
                continue  # no message is being handled here (before a receive, or after its ack)
            if not consumer.guarded(effect):
                continue  # no dedup check before it: the record protects nothing, the effect is IDEM001's
            if not all(unsafe(effect, m) for m in markers):
                continue
            message, hint = _wording(consumer, marker, effect)
            yield RawFinding(
                node=effect.call_node or effect.node, message=message, hint=hint,
                confidence=confidence(marker, effect), symbol=consumer.symbol,
                scope_node=consumer.function.node.name,
                related=[(marker.node, f"processed record: {marker.what}")], evidence=consumer.evidence,
            )
            return
