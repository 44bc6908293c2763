"""`idemlint consumers`: the inventory of consumers and producers.

The expected rows of the demo project were written by reading `fixtures/demo/shop/*.py` (see its
README), not copied from the tool's output.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from idemlint.cli import main
from idemlint.config import Config
from idemlint.inventory import SCHEMA_VERSION, inventory_paths, inventory_source, to_document

REPO = Path(__file__).resolve().parents[1]
SHOP = "fixtures/demo/shop/"

# (file, def line, symbol): library, ack kind and line, dedup kind and line, transaction kind and
# line, side-effect kinds with their lines, findings (rule, confidence, line).
DEMO_CONSUMERS = {
    ("confirmation_lambda.py", 14, "handler"): (
        "aws_lambda", ("framework", 14), ("none", 0), ("none", 0), [("email", 17)], [("IDEM001", "medium", 17)]),
    ("invoices_consumer.py", 15, "on_order_placed"): (
        # get_or_create(message_id=properties.message_id) claims the id inside transaction.atomic()
        "pika", ("explicit", 27), ("lookup", 18), ("effects-and-marker", 17), [("db-insert", 22)], []),
    ("payments_consumer.py", 20, "on_order_placed"): (
        "pika", ("explicit", 42), ("none", 0), ("none", 0),
        [("payment", 23), ("db-insert", 30), ("publish", 35)], [("IDEM001", "high", 23)]),
    ("refund_lambda.py", 15, "handler"): (
        # Stripe idempotency_key derived from record['messageId']: nothing to dedup by hand
        "aws_lambda", ("framework", 15), ("natural", 18), ("none", 0), [], []),
    ("shipping_consumer.py", 17, "run"): (
        # the early commit on line 37 is the duplicate branch; the main-line commit is on line 42
        "confluent_kafka", ("explicit", 42), ("lookup", 36), ("none", 0), [("db-insert", 40)],
        [("IDEM002", "high", 40)]),
    ("tasks.py", 19, "send_receipt"): (
        "celery", ("framework", 19), ("none", 0), ("none", 0), [("email", 20)], [("IDEM001", "medium", 20)]),
    ("tasks.py", 29, "credit_points"): (
        "celery", ("framework", 29), ("lookup", 31), ("effects-and-marker", 30), [("counter", 34)], []),
    ("webhooks_worker.py", 19, "deliver_webhooks"): (
        # the POST carries an Idempotency-Key header, so it is not a side effect; the SISMEMBER
        # lookup comes first; Redis has no transaction with the POST
        "sqs", ("explicit", 35), ("lookup", 24), ("none", 0), [], []),
}

# (file, line, symbol): library, destination, identified, findings
DEMO_PRODUCERS = {
    ("order_events.py", 21, "publish_order_placed"): ("pika", "shop / order.placed", True, []),
    ("order_events.py", 42, "publish_order_paid"): ("confluent_kafka", "orders-paid", True, []),
    ("order_events.py", 51, "publish_stock_level"): ("confluent_kafka", "stock-levels", True, []),
    ("order_events.py", 56, "request_newsletter_signup"): ("sqs", "NEWSLETTER_QUEUE_URL", False,
                                                          [("IDEM003", "high", 56)]),
    ("order_events.py", 63, "forward_to_audit"): ("sqs", "AUDIT_QUEUE_URL", False, [("IDEM003", "low", 63)]),
    ("payments_consumer.py", 35, "on_order_placed"): ("pika", "notifications / email.payment_receipt", False,
                                                      [("IDEM003", "high", 35)]),
}


@pytest.fixture(scope="module")
def demo():
    return to_document(inventory_paths([str(REPO / "fixtures" / "demo")], Config(jobs=1, root=str(REPO))))


def _file(record):
    return record["path"].rsplit("/", 1)[-1]


def test_demo_lists_every_consumer_with_its_columns(demo):
    got = {}
    for c in demo["consumers"]:
        got[(_file(c), c["line"], c["symbol"])] = (
            c["library"], (c["ack"]["kind"], c["ack"]["line"]), (c["dedup"]["kind"], c["dedup"]["line"]),
            (c["transaction"]["kind"], c["transaction"]["line"]), [(e["kind"], e["line"]) for e in c["effects"]],
            [(f["rule"], f["confidence"], f["line"]) for f in c["findings"]],
        )
    assert got == DEMO_CONSUMERS


def test_demo_lists_every_producer(demo):
    got = {(_file(p), p["line"], p["symbol"]): (p["library"], p["destination"], p["identified"],
                                                [(f["rule"], f["confidence"], f["line"]) for f in p["findings"]])
           for p in demo["producers"]}
    assert got == DEMO_PRODUCERS


def test_demo_details_say_what_was_seen(demo):
    by_symbol = {(_file(c), c["symbol"]): c for c in demo["consumers"]}
    assert "get_or_create" in by_symbol[("invoices_consumer.py", "on_order_placed")]["dedup"]["detail"]
    assert by_symbol[("invoices_consumer.py", "on_order_placed")]["transaction"]["detail"] == "`transaction.atomic()`"
    assert "idempotency_key" in by_symbol[("refund_lambda.py", "handler")]["dedup"]["detail"]
    assert "basic_ack" in by_symbol[("payments_consumer.py", "on_order_placed")]["ack"]["detail"]
    assert by_symbol[("tasks.py", "send_receipt")]["ack"]["label"] == "framework, after return"
    producers = {p["symbol"]: p for p in demo["producers"]}
    assert producers["publish_order_placed"]["identification"] == "`message_id=` in `pika.BasicProperties(...)`"
    assert producers["publish_order_paid"]["identification"] == "`key=`"
    assert producers["forward_to_audit"]["identification"].startswith("none visible")


def test_demo_summary_counts(demo):
    summary = demo["summary"]
    assert demo["schema_version"] == SCHEMA_VERSION
    assert (summary["files"], summary["consumers"], summary["consumers_with_findings"]) == (10, 8, 4)
    assert (summary["producers"], summary["producers_without_id"], summary["errors"]) == (6, 3, 0)
    assert summary["by_library"]["pika"] == {"consumers": 2, "producers": 2}


def test_findings_are_those_of_check(demo):
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-cache", str(REPO / "fixtures" / "demo")])
    check = {(f["path"].rsplit("/", 1)[-1], f["line"], f["rule"], f["confidence"])
             for f in json.loads(result.stdout)["findings"]}
    listed = {(_file(u), f["line"], f["rule"], f["confidence"])
              for u in demo["consumers"] + demo["producers"] for f in u["findings"]}
    assert listed == check


# --- columns from small sources -----------------------------------------------------------------------

ACK_FIRST = b"""\
import pika
import requests


def on_message(ch, method, properties, body):
    ch.basic_ack(delivery_tag=method.delivery_tag)
    requests.post("https://api.example.com/orders", data=body)
"""

ACK_LAST_IN_LOOP = b"""\
from confluent_kafka import Consumer
import requests


def run():
    consumer = Consumer({"group.id": "g", "enable.auto.commit": False})
    while True:
        msg = consumer.poll(1.0)
        requests.post("https://api.example.com/orders", data=msg.value())
        consumer.commit(message=msg)
"""

WRAPPER = b"""\
from aws_lambda_powertools.utilities.idempotency import idempotent, DynamoDBPersistenceLayer
import requests

persistence = DynamoDBPersistenceLayer(table_name="idem")


@idempotent(persistence_store=persistence)
def handler(event, context):
    for record in event["Records"]:
        requests.post("https://api.example.com/orders", data=record["body"])
"""

AUTO_ACK = b"""\
import pika
import requests


def on_message(ch, method, properties, body):
    requests.post("https://api.example.com/orders", data=body)


def main():
    channel = pika.BlockingConnection().channel()
    channel.basic_consume(queue="orders", on_message_callback=on_message, auto_ack=True)
"""

HELPER = b"""\
import pika
import stripe


def _charge(order):
    stripe.Charge.create(amount=order["total"], currency="eur")


def on_message(ch, method, properties, body):
    _charge(body)
    ch.basic_ack(delivery_tag=method.delivery_tag)
"""


def consumer_of(source: bytes) -> dict:
    inv = inventory_source(source, "w.py", Config())
    assert not inv.errors
    (consumer,) = inv.consumers
    return consumer.to_dict()


def test_an_ack_before_the_work_is_ack_first():
    c = consumer_of(ACK_FIRST)
    assert (c["ack"]["kind"], c["ack"]["label"], c["ack"]["line"]) == ("ack-first", "ack first", 6)
    assert [e["kind"] for e in c["effects"]] == ["http"]


def test_a_commit_after_the_work_in_a_poll_loop_is_not_ack_first():
    c = consumer_of(ACK_LAST_IN_LOOP)
    assert (c["ack"]["kind"], c["ack"]["line"]) == ("explicit", 10)
    assert [(e["kind"], e["line"]) for e in c["effects"]] == [("http", 9)]
    assert [f["rule"] for f in c["findings"]] == ["IDEM001"]


def test_an_idempotent_decorator_is_a_wrapper_and_says_where():
    c = consumer_of(WRAPPER)
    assert (c["dedup"]["kind"], c["dedup"]["label"], c["dedup"]["line"]) == ("wrapper", "idempotent wrapper", 7)


def test_auto_ack_consumers_are_listed():
    c = consumer_of(AUTO_ACK)
    assert (c["symbol"], c["ack"]["kind"], c["ack"]["label"]) == ("on_message", "auto", "auto-ack / auto-commit")


def test_an_effect_in_a_helper_names_the_helper_and_the_call():
    c = consumer_of(HELPER)
    (effect,) = c["effects"]
    assert (effect["kind"], effect["line"], effect["call_line"], effect["via"]) == ("payment", 6, 10, ["_charge"])


REPEATED = b"""
import pika

from app.services import apply_update, notify


def on_message(ch, method, properties, body):
    apply_update(body); apply_update(body)
    notify(body); apply_update(body)
    ch.basic_ack(delivery_tag=method.delivery_tag)
"""


def test_an_effect_repeated_is_listed_once_with_its_count():
    from idemlint.inventory import Inventory
    from idemlint.report.markdown import MarkdownOptions, inventory_lines
    from idemlint.report.text import TextOptions, render_inventory

    inv = inventory_source(REPEATED, "w.py", Config())
    (c,) = inv.consumers
    # JSON: identical events once, with their count; the same line's other calls stay apart
    assert [(e["what"], e["line"], e["count"]) for e in c.to_dict()["effects"]] == [
        ("`apply_update()`", 8, 2), ("`notify()`", 9, 1), ("`apply_update()`", 9, 1)]
    # the tables show kind and line: one row per distinct one, with how many times it happens
    whole = Inventory(files=1, parsed=1, consumers=[c])
    row = next(line for line in inventory_lines(whole, MarkdownOptions()) if line.startswith("| `on_message`"))
    assert "| handoff (line 8, x2)<br>handoff (line 9, x2) |" in row
    buffer = io.StringIO()
    render_inventory(whole, TextOptions(color=False, width=160), buffer)
    assert "handoff (line 8, x2)" in buffer.getvalue() and buffer.getvalue().count("handoff") == 2


RPC = b"""
import json
import uuid

import pika

channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()


def on_request(ch, method, props, body):
    ch.basic_publish(exchange="", routing_key=props.reply_to,
                     properties=pika.BasicProperties(correlation_id=props.correlation_id),
                     body=json.dumps({"ok": True}))
    ch.basic_ack(delivery_tag=method.delivery_tag)


def ask(n):
    channel.basic_publish(exchange="", routing_key="rpc_queue", body=json.dumps({"n": n}),
                          properties=pika.BasicProperties(reply_to="amq.rabbitmq.reply-to",
                                                          correlation_id=str(uuid.uuid4())))
"""


def test_rpc_replies_and_requests_are_told_apart():
    inv = inventory_source(RPC, "w.py", Config())
    assert not inv.errors
    by_symbol = {p.to_dict()["symbol"]: p.to_dict()["identification"] for p in inv.producers}
    assert by_symbol == {"on_request": "an RPC reply, matched by the request's `correlation_id`",
                         "ask": "an RPC request, named by its `correlation_id`"}


def test_a_broken_file_is_an_error_not_a_crash():
    inv = inventory_source(b"def f(:\n", "bad.py", Config())
    assert [e.kind for e in inv.errors] == ["syntax"]
    assert not inv.consumers and not inv.producers


# --- the command ------------------------------------------------------------------------------------------


def run(*args, env=None):
    return CliRunner().invoke(main, ["consumers", *args], env=env, catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "first.py").write_bytes(ACK_FIRST)
    (tmp_path / "app" / "helper.py").write_bytes(HELPER)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_bytes(AUTO_ACK)
    return tmp_path


def test_json_output_and_exit_code(project):
    result = run("--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert sorted(c["path"] for c in doc["consumers"]) == ["app/first.py", "app/helper.py", "legacy/old.py"]


def test_exclude_and_config_apply_as_in_check(project):
    assert [c["path"] for c in json.loads(run("--format", "json", "--exclude", "legacy/").stdout)["consumers"]] == [
        "app/first.py", "app/helper.py"]
    (project / "pyproject.toml").write_text('[tool.idemlint]\nexclude = ["app/first.py"]\nignore = ["IDEM001"]\n')
    doc = json.loads(run("--format", "json").stdout)
    assert [c["path"] for c in doc["consumers"]] == ["app/helper.py", "legacy/old.py"]
    helper = next(c for c in doc["consumers"] if c["path"] == "app/helper.py")
    assert helper["findings"] == []  # its IDEM001 is ignored by the config


def test_select_and_min_confidence_filter_the_findings(project):
    doc = json.loads(run("--format", "json", "--min-confidence", "high").stdout)
    helper = next(c for c in doc["consumers"] if c["path"] == "app/helper.py")
    assert helper["findings"] == []  # the charge is in a helper: medium


def test_jobs_give_the_same_inventory(project):
    for i in range(10):  # enough files to start the worker pool
        (project / "app" / f"copy{i}.py").write_bytes(HELPER)
    serial = json.loads(run("--format", "json", "-j", "1").stdout)
    parallel = json.loads(run("--format", "json", "-j", "2").stdout)
    assert serial == parallel
    assert serial["summary"]["consumers"] == 13


def test_a_dying_worker_costs_only_its_file(tmp_path, monkeypatch):
    import os

    import idemlint.inventory as inventory

    real = inventory.inventory_source

    def die_on_copy3(source, path, config=None, project=None, file_path=None):
        if "copy3" in path:
            os._exit(13)  # a worker killed mid-file (a native crash, the OOM killer)
        return real(source, path, config, project, file_path)

    monkeypatch.setattr(inventory, "inventory_source", die_on_copy3)  # fork: the workers inherit it
    for i in range(10):
        (tmp_path / f"copy{i}.py").write_bytes(HELPER)
    results = inventory.inventory_files(inventory.discover([str(tmp_path)], Config()), Config(jobs=2))
    assert [(r.path.rsplit("/", 1)[-1], [e.kind for e in r.errors]) for r in results if r.errors] == [
        ("copy3.py", ["internal"])]
    assert "worker process died" in next(r for r in results if r.errors).errors[0].message
    assert sum(len(r.consumers) for r in results) == 9


def test_missing_path_and_bad_config_exit_2(project):
    assert run("nope").exit_code == 2
    (project / "pyproject.toml").write_text("[tool.idemlint]\nselect = 3\n")
    assert run().exit_code == 2


def test_unreadable_file_exits_1(project):
    (project / "app" / "broken.py").write_text("import pika\ndef f(:\n")
    result = run("--format", "json")
    assert result.exit_code == 1
    assert [e["kind"] for e in json.loads(result.stdout)["errors"]] == ["syntax"]


def test_text_table_grouped_by_file_and_by_library(project):
    by_file = run("--no-color", env={"COLUMNS": "160"}).stdout
    assert "app/helper.py" in by_file and "ack first" in by_file and "auto-ack / auto-commit" in by_file
    assert "3 consumers (" in by_file and "and 0 producers (0 without a message ID) in 3 files." in by_file
    by_library = run("--no-color", "--group-by", "library", env={"COLUMNS": "160"}).stdout
    assert by_library.splitlines()[0] == "pika"
    assert "app/helper.py:9" in by_library


def test_output_file_gets_the_format_and_the_terminal_the_table(project):
    result = run("--format", "markdown", "-o", "inventory.md", "--no-color")
    assert result.exit_code == 0
    written = (project / "inventory.md").read_text()
    assert written.startswith("### idemlint consumers: 3 consumers")
    assert "| Consumer | Library | Ack |" in written
    assert "┃ Consumer" in result.stdout
