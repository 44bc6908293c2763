"""`check --show-evidence` and the `trace` of each finding: consumer, ack, side effect, call chain."""

from __future__ import annotations

import json

from click.testing import CliRunner

from idemlint.api import lint_source
from idemlint.cli import main

HELPER = """\
import pika
import stripe


def _bill(order):
    stripe.Charge.create(amount=order["total"], currency="eur")


def _charge(order):
    _bill(order)


def on_message(ch, method, properties, body):
    _charge(body)
    ch.basic_ack(delivery_tag=method.delivery_tag)
"""


def steps(source):
    (finding,) = lint_source(source.encode(), "w.py").findings
    return [(s.kind, s.line, s.message) for s in finding.trace]


def test_the_trace_names_the_consumer_the_chain_the_effect_and_the_ack():
    assert steps(HELPER) == [
        ("consumer", 13, "`on_message` is a consumer (pika; acks with an explicit call): AMQP `basic_ack()`"),
        ("call", 14, "`on_message` -> `_charge` -> `_bill`"),
        ("effect", 6, "payment `stripe.Charge.create()`"),
        ("ack", 15, "AMQP `basic_ack()`"),
    ]


def test_a_framework_ack_is_the_def_line():
    source = "from celery import shared_task\nfrom django.core.mail import send_mail\n\n\n" \
             "@shared_task(acks_late=True)\ndef notify(email):\n    send_mail('s', 'b', 'f@x', [email])\n"
    kinds = steps(source)
    assert [k for k, _, _ in kinds] == ["consumer", "effect", "ack"]
    assert kinds[2][1] == 6 and "acks_late" in kinds[2][2]


def test_show_evidence_prints_the_trace_under_each_finding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text(HELPER)
    plain = CliRunner().invoke(main, ["check", "--no-cache", "--no-color", "w.py"]).stdout
    shown = CliRunner().invoke(main, ["check", "--no-cache", "--no-color", "--show-evidence", "w.py"]).stdout
    assert "evidence:" not in plain
    lines = shown.splitlines()
    start = lines.index("  evidence:")
    assert lines[start + 1:start + 5] == [
        "    consumer:    line 13:5: `on_message` is a consumer (pika; acks with an explicit call): AMQP `basic_ack()`",
        "    call chain:  line 14:5: `on_message` -> `_charge` -> `_bill`",
        "    side effect: line 6:5: payment `stripe.Charge.create()`",
        "    ack:         line 15:5: AMQP `basic_ack()`",
    ]


def test_the_trace_is_in_json_and_survives_the_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text(HELPER)
    first = json.loads(CliRunner().invoke(main, ["check", "--format", "json", "w.py"]).stdout)
    second = json.loads(CliRunner().invoke(main, ["check", "--format", "json", "w.py"]).stdout)
    assert first == second
    assert [s["kind"] for s in first["findings"][0]["trace"]] == ["consumer", "call", "effect", "ack"]
    assert first["findings"][0]["trace"][1] == {"kind": "call", "line": 14, "column": 5,
                                                "message": "`on_message` -> `_charge` -> `_bill`"}
