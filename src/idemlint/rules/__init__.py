"""The rule registry: every rule idemlint ships, in code order."""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

from ..rule import Rule
from .ack_before_processing import AckBeforeProcessing
from .ack_without_dedup import AckWithoutDedup
from .auto_ack_consumer import AutoAckConsumer
from .message_without_id import MessageWithoutId
from .side_effect_outside_transaction import SideEffectOutsideTransaction

ALL_RULES: Tuple[Type[Rule], ...] = (
    AckWithoutDedup,
    SideEffectOutsideTransaction,
    MessageWithoutId,
    AckBeforeProcessing,
    AutoAckConsumer,
)

# Codes are never reused; a retired code stays here with the reason it was retired.
REMOVED_CODES: Dict[str, str] = {}


def find_rule(code_or_name: str) -> Optional[Type[Rule]]:
    """Return the rule whose code or name is `code_or_name` (case-insensitive), or None."""
    key = code_or_name.strip().lower()
    for rule in ALL_RULES:
        if key in (rule.code.lower(), rule.name.lower()):
            return rule
    return None
