"""A consumer acknowledges a message whose handler performs a non-idempotent side effect with no dedup lookup keyed by the message's identity before it."""

from __future__ import annotations

from ..rule import Rule


class AckWithoutDedup(Rule):
    code = "IDEM001"
    name = "ack-without-dedup"
    summary = "A consumer acknowledges a message whose handler performs a non-idempotent side effect with no dedup lookup keyed by the message's identity before it."
