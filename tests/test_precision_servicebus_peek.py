"""Service Bus `peek_messages()` delivers nothing (no lock, no settlement): it is no receive."""

from __future__ import annotations

import pytest

from harness import FIXTURES
from test_precision_fetched_messages import _check

CASES = [
    "servicebus/decoy_peek_backlog_report.py",
    "servicebus/bad_charge_then_peek_backlog_then_complete.py",
    "servicebus/bad_complete_then_peek_then_post.py",
    "servicebus/bad_charge_then_complete.py",
    "servicebus/decoy_test_peeked_cannot_be_completed.py",
]


@pytest.mark.parametrize("name", CASES)
def test_peek_fixtures(name):
    _check((FIXTURES / name).read_text(encoding="utf-8"))
