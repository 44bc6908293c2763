"""Kafka auto-commit (issue 14 item 1): at-least-once with a loss window for the background committers,
and the consumer's settings read wherever they are built."""

from __future__ import annotations

import pytest

from harness import actual
from idemlint.findings import Confidence
from test_project import findings, write

LOOP = '''
import json

import requests
from confluent_kafka import Consumer

{setup}


def run():
    consumer = {ctor}
    consumer.subscribe(["orders"])
    while True:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        requests.post("https://partner.example.com/orders", json=json.loads(msg.value()), timeout=5)
'''


def lint_loop(ctor: str, setup: str = "") -> list:
    return [(code, conf) for _, code, conf in actual(LOOP.format(ctor=ctor, setup=setup))]


@pytest.mark.parametrize("ctor,setup", [
    ('Consumer({"group.id": "g", "enable.auto.commit": False})', ""),
    ('Consumer({"group.id": "g", "enable.auto.commit": "false"})', ""),
    ("Consumer(CONF)", 'CONF = {"group.id": "g", "enable.auto.commit": False}'),
    ("Consumer({**BASE, \"enable.auto.commit\": False})", "BASE = {}"),
    ("Consumer(group_id=\"g\", enable_auto_commit=False)", ""),
    ("make()", 'def make():\n    conf = dict(group_id="g")\n    conf["enable.auto.commit"] = False\n    return Consumer(conf)'),
    ("make()", 'def make():\n    conf = {"group.id": "g"}\n    conf.update({"enable.auto.commit": False})\n    return Consumer(conf)'),
    ("Consumer(CONF)", 'AUTO = False\nCONF = {"group.id": "g", "enable.auto.commit": AUTO}'),
])
def test_auto_commit_turned_off_is_no_consumer(ctor, setup):
    assert lint_loop(ctor, setup) == []


@pytest.mark.parametrize("ctor,setup,strength", [
    ('Consumer({"group.id": "g"})', "", "high"),  # left out of a config in view: the default, certain
    ('Consumer({"group.id": "g", "enable.auto.commit": True})', "", "high"),
    ("Consumer(CONF)", 'CONF = {"group.id": "g"}', "high"),
    ("Consumer({**BASE, \"group.id\": \"g\"})", "BASE = {\"client.id\": \"x\"}", "high"),
    ("Consumer({**load_settings(), \"group.id\": \"g\"})", "from app.config import load_settings", "medium"),
    ('Consumer({"group.id": "g", "enable.auto.commit": FLAG})', "from app.config import FLAG", "medium"),
    ("Consumer(**options)", "from app.config import options", "medium"),
])
def test_auto_commit_on_redelivers_and_may_lose(ctor, setup, strength):
    """IDEM001 for the redelivery (how sure the setting is read decides high or medium) and the
    loss window of librdkafka's background thread, always low."""
    assert sorted(lint_loop(ctor, setup)) == [("IDEM001", strength), ("IDEM005", "low")]


def test_a_database_commit_is_not_the_consumer_s_commit():
    """`conn.commit()` in the loop commits the database: the consumer still auto-commits."""
    code = LOOP.format(ctor='Consumer({"group.id": "g"})', setup="import sqlite3\ndb = sqlite3.connect('x')")
    code = code.replace("timeout=5)", "timeout=5)\n        db.commit()")
    assert sorted(c for _, c, _ in actual(code)) == ["IDEM001", "IDEM005"]


AIOKAFKA = '''
import json

import httpx
from aiokafka import AIOKafkaConsumer

client = httpx.AsyncClient()


async def run():
    consumer = AIOKafkaConsumer("orders", group_id="g")
    await consumer.start()
    async for record in consumer:
        order = json.loads(record.value)
        {body}
'''


def test_aiokafka_loss_window_needs_an_await():
    """aiokafka's commit task runs only when the handler awaits: a sync effect with no await before it
    cannot be interrupted by it; an awaited one, or one after an await, can."""
    sync = AIOKAFKA.format(body='httpx.post("https://x.example.com", json=order)')
    assert [(c, conf) for _, c, conf in actual(sync)] == [("IDEM001", "high")]
    awaited = AIOKAFKA.format(body='await client.post("https://x.example.com", json=order)')
    assert sorted((c, conf) for _, c, conf in actual(awaited)) == [("IDEM001", "high"), ("IDEM005", "low")]
    after = AIOKAFKA.format(body='await client.get("https://x.example.com/ping")\n'
                                 '        httpx.post("https://x.example.com", json=order)')
    assert sorted(c for _, c, _ in actual(after)) == ["IDEM001", "IDEM005"]


SETTINGS = '''
BROKERS = "kafka:9092"
STREAM_CONFIG = {"bootstrap.servers": BROKERS, "group.id": "clicks"}
COMMITTED_CONFIG = {"bootstrap.servers": BROKERS, "group.id": "orders", "enable.auto.commit": False}
'''

FACTORY = '''
from confluent_kafka import Consumer


def consumer_for(cfg, group):
    conf = dict(cfg)
    conf["group.id"] = group
    conf["enable.auto.commit"] = False
    return Consumer(conf)
'''

WORKER = '''
import json

import requests
from confluent_kafka import Consumer

from app import settings
from app.factory import consumer_for


def clicks():
    consumer = Consumer(settings.STREAM_CONFIG)
    while True:
        msg = consumer.poll(1.0)
        requests.post("https://x.example.com/clicks", json=json.loads(msg.value()), timeout=5)


def orders():
    consumer = Consumer(settings.COMMITTED_CONFIG)
    while True:
        msg = consumer.poll(1.0)
        requests.post("https://x.example.com/orders", json=json.loads(msg.value()), timeout=5)


def replay():
    consumer = consumer_for(settings.STREAM_CONFIG, "replay")
    while True:
        msg = consumer.poll(1.0)
        requests.post("https://x.example.com/replay", json=json.loads(msg.value()), timeout=5)
'''


def test_settings_read_in_other_project_modules(tmp_path):
    """Another module's constant and a project factory that turns auto-commit off are read: only
    `clicks` auto-commits (its config, read whole, leaves the option out: the default, certain)."""
    write(tmp_path, {"app/__init__.py": "", "app/settings.py": SETTINGS, "app/factory.py": FACTORY,
                     "app/worker.py": WORKER})
    got = findings(tmp_path, min_confidence=Confidence.LOW)
    assert sorted((name, rule, conf) for name, _, rule, conf, _ in got) == [
        ("worker.py", "IDEM001", "high"), ("worker.py", "IDEM005", "low")]
    assert {line for _, line, _, _, _ in got} == {15}  # the POST in `clicks`


def test_faststream_kafka_default_is_auto_commit():
    code = '''
from faststream.kafka import KafkaBroker
import httpx

broker = KafkaBroker("kafka:9092")
client = httpx.AsyncClient()


@broker.subscriber("orders", group_id="g")
async def forward(order: dict):
    await client.post("https://x.example.com", json=order)
'''
    assert sorted((c, conf) for _, c, conf in actual(code)) == [("IDEM001", "medium"), ("IDEM005", "low")]
    rabbit = code.replace("faststream.kafka", "faststream.rabbit").replace("KafkaBroker", "RabbitBroker")
    rabbit = rabbit.replace('"orders", group_id="g"', '"orders", ack_policy=AckPolicy.ACK_FIRST')
    rabbit = "from faststream import AckPolicy\n" + rabbit
    assert [(c, conf) for _, c, conf in actual(rabbit)] == [("IDEM005", "high")]


def test_the_inventory_says_auto_commit_not_after_return():
    from idemlint.analysis import detect, parse
    from idemlint.describe import ACK_LABELS, ack_aspect

    facts = detect(parse(LOOP.format(ctor='Consumer({"group.id": "g"})', setup="").encode()))
    (consumer,) = facts.consumers
    found = ack_aspect(consumer)
    assert (found.kind, ACK_LABELS[found.kind]) == ("auto-commit", "auto-commit, later")
    assert found.detail == "auto-commit commits its offset in the background"


@pytest.mark.parametrize("conf,expected", [
    ('{"group.id": "g"}', [("IDEM001", "high")]),  # implicit by default: the next poll accepts the batch
    ('{"group.id": "g", "share.acknowledgement.mode": "explicit"}', []),
])
def test_share_consumer_implicit_acknowledgement_is_at_least_once(conf, expected):
    code = f"""
import requests
from confluent_kafka import ShareConsumer


def run():
    consumer = ShareConsumer({conf})
    consumer.subscribe(["orders"])
    while True:
        for msg in consumer.poll(1.0):
            requests.post("https://partner.example.com/orders", data=msg.value(), timeout=5)
"""
    assert [(c, conf) for _, c, conf in actual(code)] == expected


def test_auto_offset_store_off_without_store_offsets_redelivers_only():
    got = lint_loop('Consumer({"group.id": "g", "enable.auto.offset.store": False})')
    assert got == [("IDEM001", "high")]
