"""A published message carries no unique identifier that its consumers could deduplicate on."""

from __future__ import annotations

from ..rule import Rule


class MessageWithoutId(Rule):
    code = "IDEM003"
    name = "message-without-id"
    summary = "A published message carries no unique identifier that its consumers could deduplicate on."
