"""A consumer acknowledges a message whose handler performs a non-idempotent side effect with no dedup lookup keyed by the message's identity before it."""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from ..facts.deferred import in_receive_scope, module_names
from ..facts.generators import early_ack
from ..facts.handover import handed_on
from ..findings import Confidence
from ..index import contains, walk
from ..model import UNSEEN, Consumer, Event, ModuleFacts, RawFinding
from ..rule import Rule


EFFECT_HINT = ("Look up the message ID in a processed-messages record before the side effect and skip duplicates; "
               "write the record in the same transaction as the effect, then ack")
# a forward is safe once its copy carries an id derived from the incoming message: downstream drops it
PUBLISH_HINT = ("Give the published message an ID derived from the incoming message's ID, so that a repeated "
                "publish is dropped downstream, or look the message ID up in a processed record before publishing")


def _evidence(effect: Event) -> int:
    """How sure the effect is one a repeat harms: a relay of the delivered bytes as they came is a
    duplicate its receivers can drop if the original carries an id, which is out of view here, no
    surer than a hand-off to unseen code (the loss of that publish, IDEM004's, is as real as any)."""
    return UNSEEN if effect.relay else effect.strength


def confidence(ack_strength: int, effect_strength: int) -> Confidence:
    """Explicit library ack (2) or framework/weak ack (1), plus effect evidence (2, 1, or 0 unseen)."""
    score = ack_strength + effect_strength
    return Confidence.HIGH if score >= 4 else Confidence.MEDIUM if score == 3 else Confidence.LOW


def _retry_copy(consumer: Consumer, effect: Event, acks) -> bool:
    """A publish on the error path, acked after it (`except: publish(copy_for_retry); message.ack()`,
    or an ack after the `try` statement): the retry or dead-letter copy is the handling, and a
    crash between the two sends it again. The message is still in hand there though the `try` body acks it too: the
    handler runs when the body raised before its ack. Not when the publish and the ack are both in
    one helper it calls (`except: self.archive(body, message)`): the helper, a consumer of the
    message it is given, reports its own."""
    if not (effect.in_except and effect.detail == "publish" and any(a.seq > effect.seq for a in acks)):
        return False
    if effect.chain and any(a.chain and a.call_node is effect.call_node and a.seq > effect.seq for a in acks):
        return False
    tries = [t for t in walk(consumer.function.node, into_scopes=False) if isinstance(t, cst.Try)
             and any(contains(h, effect.node) for h in t.handlers)]
    return consumer.in_hand(effect, elsewhere=lambda ack: any(contains(t.body, ack.node) for t in tries))


def _deferred_before(consumer: Consumer, defer: Event, ack: Event) -> bool:
    """`defer` hands the message that `ack` settles to in-memory work: in hand, before it, and no
    receive in between."""
    return defer.seq < ack.seq and consumer.in_hand(defer) and not defer.in_except and not any(
        defer.seq < r.seq < ack.seq for r in consumer.of("receive"))


def _handed_on_after(consumer: Consumer, module: ModuleFacts) -> bool:
    """The message goes on after the ack: yielded or returned to the caller, or given to unseen code
    (IDEM004's early ack). Its work comes after the ack then, and the code it was handed before
    (`await accept(message)`, a filter the user supplied) decides whether to take it."""
    return early_ack(consumer, module.index) is not None or handed_on(consumer, module.index) is not None


class AckWithoutDedup(Rule):
    code = "IDEM001"
    name = "ack-without-dedup"
    summary = ("A consumer acknowledges a message whose handler performs a non-idempotent side effect "
               "with no dedup lookup keyed by the message's identity before it.")

    def check_consumer(self, consumer: Consumer, module: ModuleFacts) -> Iterator[RawFinding]:
        if consumer.ack_mode == "auto":
            return  # acked on receipt: never redelivered, so nothing runs twice (IDEM005's business)
        acks = consumer.of("ack")
        if not acks:
            return
        last_ack = max(a.seq for a in acks)
        first_lookup = min((e.seq for e in consumer.of("lookup")), default=None)
        # an alert sent from an `except` block is the error path, not the handling that gets repeated
        receives = [r.seq for r in consumer.of("receive")]
        # acked: some ack follows with no receive in between (else that ack is for the next message)
        effects = [e for e in consumer.of("effect")
                   if not consumer.guarded(e)
                   and (consumer.in_hand(e) and not e.in_except or _retry_copy(consumer, e, acks))
                   and any(a.seq > e.seq and not any(e.seq < r < a.seq for r in receives) for a in acks)]
        if consumer.auto_commit:  # Kafka auto-commit commits at a later receive: the loop's work only
            effects = in_receive_scope(consumer, effects, module_names(module.index))
        ack = next(a for a in acks if a.seq == last_ack)
        bad_keys = consumer.of("per-delivery")
        if effects:
            effect = max(effects, key=lambda e: (_evidence(e), -e.seq))  # the surest, else the first
            yield self._finding(consumer, effect, ack, confidence(consumer.ack_strength, _evidence(effect)), bad_keys)
            return
        if first_lookup is not None or consumer.of("effect") or consumer.of("marker") or any(
                f.seq > last_ack for f in consumer.of("forward")):
            return  # guarded, effects (or forwards) only after the ack (IDEM004's business), or a marker-only handler
        if consumer.ack_mode != "explicit":
            return  # a framework ack plus code we cannot see is too little to go on
        if any(_deferred_before(consumer, d, ack) for d in consumer.of("defer")):
            return  # the ack comes before work handed to memory is done: IDEM004's (loss), not duplication
        deferring = {id(d.call_node) for d in consumer.of("defer") if d.call_node is not None}
        handoffs = [e for e in consumer.of("handoff") if e.seq < last_ack and consumer.in_hand(e)
                    and (e.call_node is None or id(e.call_node) not in deferring)]  # that call defers its work
        if handoffs and not _handed_on_after(consumer, module):
            yield RawFinding(
                node=ack.call_node or ack.node,  # an ack through a helper: the consumer's call of it
                message=(f"`{consumer.symbol}` hands the message to {handoffs[0].what}"
                         f"{f' (in `{handoffs[0].chain[-1]}`)' if handoffs[0].chain else ''} and acks "
                         f"without a visible dedup check"),
                hint="If the called code has side effects, check the message ID against a processed "
                     "record before it, or suppress this finding with a reason",
                confidence=Confidence.LOW, symbol=consumer.symbol, scope_node=consumer.function.node.name,
                related=[(handoffs[0].node, f"message handed to {handoffs[0].what}"),
                         (ack.call_node or ack.node, "ack")],
                evidence=consumer.evidence,
            )

    def _finding(self, consumer: Consumer, effect: Event, ack: Event, conf: Confidence, bad_keys) -> RawFinding:
        via = f" (in `{effect.chain[-1]}`)" if effect.chain else ""
        ack_text = "after it returns" if ack.detail == "framework" else "then acks"
        if consumer.auto_commit:
            ack_text = f"then {consumer.framework_ack}"
        message = f"{effect.what}{via} runs before any dedup check in `{consumer.symbol}`, {ack_text}"
        if bad_keys:
            why = ("is not keyed by anything that identifies the message" if bad_keys[0].detail == "unrelated"
                   else "is keyed by a per-delivery handle, not the message ID")
            message += f"; {bad_keys[0].what} {why}"
        related = [(ack.node, f"ack: {ack.what}")]
        if effect.call_node is not None:
            related.insert(0, (effect.node, f"side effect {effect.what}"))
        return RawFinding(
            node=effect.call_node or effect.node,
            message=message,
            hint=PUBLISH_HINT if effect.detail == "publish" else EFFECT_HINT,
            confidence=conf, symbol=consumer.symbol, scope_node=consumer.function.node.name,
            related=related, evidence=consumer.evidence + [f"side effect: {effect.what}"],
        )
