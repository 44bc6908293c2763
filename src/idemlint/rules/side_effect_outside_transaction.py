"""A consumer records the message as processed, but the side effect and that record are not atomic."""

from __future__ import annotations

from ..rule import Rule


class SideEffectOutsideTransaction(Rule):
    code = "IDEM002"
    name = "side-effect-outside-transaction"
    summary = "A consumer records the message as processed, but the side effect and that record are not atomic."
