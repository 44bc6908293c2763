"""`[tool.idemlint.patterns]`: a team's own ack, dedup, side-effect, idempotent, transaction and message-id names."""

from __future__ import annotations

import textwrap

import pytest

from idemlint.api import lint_paths, lint_source
from idemlint.config import Config, ConfigError, load_config

WORKER = textwrap.dedent('''
    from acme.mq import settle
    from acme import billing


    def handle(delivery):
        billing.capture(delivery.body)
        settle(delivery)
''').encode()


def rules(source: bytes, **patterns) -> list:
    declared = tuple(sorted((k.replace("_", "-"), tuple(v)) for k, v in patterns.items()))
    result = lint_source(source, "worker.py", Config(patterns=declared))
    assert not result.errors, result.errors
    return [(f.line, f.rule, f.confidence.label) for f in result.findings]


def test_without_patterns_the_in_house_api_is_invisible():
    assert rules(WORKER) == []


def test_declared_ack_and_side_effect_make_a_consumer_and_a_finding():
    assert rules(WORKER, ack=["acme.mq.settle"], side_effect=["acme.billing.*"]) == [(7, "IDEM001", "high")]


def test_a_pattern_without_a_dot_matches_the_last_name():
    assert rules(WORKER, ack=["settle"], side_effect=["capture"]) == [(7, "IDEM001", "high")]


def test_declared_dedup_guards_the_effect():
    source = textwrap.dedent('''
        from acme.mq import settle
        from acme import billing
        from acme.inbox import recorded


        def handle(delivery):
            if recorded(delivery.message_id):
                settle(delivery)
                return
            billing.capture(delivery.body)
            settle(delivery)
    ''').encode()
    declared = dict(ack=["acme.mq.settle"], side_effect=["acme.billing.*"])
    assert rules(source, **declared) == [(11, "IDEM001", "high")]
    assert rules(source, dedup=["acme.inbox.recorded"], **declared) == []


def test_declared_idempotent_wrapper_silences_the_handler():
    source = b"from acme.idem import once\n\n\n@once(key='message_id')\n" + WORKER.split(b"\n\n\n", 1)[1].lstrip(b"\n")
    source = b"from acme.mq import settle\nfrom acme import billing\n" + source
    declared = dict(ack=["acme.mq.settle"], side_effect=["acme.billing.*"])
    assert rules(source, **declared)
    assert rules(source, idempotent=["acme.idem.once"], **declared) == []


def test_declared_transaction_covers_effect_and_marker():
    source = textwrap.dedent('''
        import pika
        from acme.db import unit_of_work
        from acme.models import Order, Processed


        def on_message(ch, method, properties, body):
            if Processed.objects.filter(message_id=properties.message_id).exists():
                ch.basic_ack(delivery_tag=method.delivery_tag)
                return
            with unit_of_work():
                Order.objects.create(payload=body)
                Processed.objects.create(message_id=properties.message_id)
            ch.basic_ack(delivery_tag=method.delivery_tag)
    ''').encode()
    assert [r for _, r, _ in rules(source)] == ["IDEM002"]
    assert rules(source, transaction=["acme.db.unit_of_work"]) == []


def test_declared_message_id_field_identifies_a_published_message():
    source = textwrap.dedent('''
        import json
        import pika


        def publish(channel, order):
            body = json.dumps({"trace_token": order.token, "total": order.total})
            channel.basic_publish(exchange="orders", routing_key="created", body=body)
    ''').encode()
    assert [r for _, r, _ in rules(source)] == ["IDEM003"]
    assert rules(source, message_id=["trace_token"]) == []


@pytest.mark.parametrize("table, message", [
    ("[tool.idemlint.patterns]\nack = 'settle'\n", "patterns.ack: expected a list of strings"),
    ("[tool.idemlint.patterns]\nacks = ['settle']\n", "unknown pattern kind 'acks'"),
    ("[tool.idemlint.patterns]\nack = ['*']\n", "would match everything"),
    ("[tool.idemlint.patterns]\nack = ['acme mq']\n", "is not a qualified name or glob"),
    ("[tool.idemlint]\npatterns = ['settle']\n", "expected a table of kind = [patterns]"),
])
def test_invalid_patterns_are_config_errors(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(table)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("*", r"\*")):
        load_config([str(tmp_path)])


def test_declared_names_widen_the_prefilter_and_key_the_cache(tmp_path):
    (tmp_path / "worker.py").write_bytes(WORKER)
    plain = Config(root=str(tmp_path), jobs=1, cache_dir=".cache")
    declared = Config(root=str(tmp_path), jobs=1, cache_dir=".cache",
                      patterns=(("ack", ("acme.mq.settle",)), ("side-effect", ("acme.billing.*",))))
    assert lint_paths([str(tmp_path)], plain).findings == []  # and the file is now known clean
    assert [f.rule for f in lint_paths([str(tmp_path)], declared).findings] == ["IDEM001"]
    assert lint_paths([str(tmp_path)], plain).findings == []
