"""A base class whose method loops over a kafka-python consumer that auto-commits and hands each
record to `self._message(...)`, a stub its subclasses override in other modules: each override is a
consumer the loop acks after (auto-commit lands at a later `poll()`), with the base's ack
(`analysis._framework_methods`). The subclass module imports no broker and calls no ack, and is let
into the analysis by its base (`gate._may_ack`, `origins._ACK_WORD`). An override that only reads,
and a base that commits after an idempotent upsert of its own, stay silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import project_findings

BASE = '''
import json
import logging

from kafka import KafkaConsumer

log = logging.getLogger(__name__)


class KafkaWorker:
    def __init__(self, topic, servers):
        self._topic = topic
        self._servers = servers

    def run(self):
        consumer = KafkaConsumer(
            self._topic,
            group_id=self._topic,
            bootstrap_servers=self._servers,
            enable_auto_commit=True,
            value_deserializer=lambda raw: json.loads(raw.decode("utf-8")),
        )
        for record in consumer:
            log.debug("offset %s", record.offset)
            self._message(record.value)

    def _message(self, payload):
        """Override in a subclass: handle one decoded record."""
        pass
'''

WORKER = '''
import psycopg2

from billing.base import KafkaWorker


class InvoiceWorker(KafkaWorker):
    def __init__(self, dsn, topic, servers):
        super().__init__(topic, servers)
        self._db = psycopg2.connect(dsn)

    def _message(self, payload):
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO invoices (customer_id, amount_cents) VALUES (%s, %s)",
                (payload["customer_id"], payload["amount_cents"]),
            )
        self._db.commit()
'''

READER = '''
import logging

from billing.base import KafkaWorker

log = logging.getLogger(__name__)


class AuditWorker(KafkaWorker):
    def _message(self, payload):
        log.info("invoice event for %s: %s", payload.get("customer_id"), payload.get("kind"))
'''


def _scan(tmp_path: Path, worker: str, base: str = BASE):
    return project_findings(tmp_path, {"billing/__init__.py": "", "billing/base.py": base,
                                       "billing/worker.py": worker}, messages=True)


def test_override_of_hook_an_auto_commit_loop_calls_is_a_consumer(tmp_path):
    found = _scan(tmp_path, WORKER)
    assert [(f[0], f[1], f[2]) for f in found] == [("worker.py", "IDEM001", "medium")], found
    assert "InvoiceWorker._message" in found[0][3] and "cur.execute" in found[0][3], found
    assert "before any dedup check" in found[0][3]


def test_override_that_only_logs_is_silent(tmp_path):
    assert _scan(tmp_path, READER) == []


@pytest.mark.parametrize("option", ["enable_auto_commit=False"], ids=["auto-commit-off"])
def test_loop_that_does_not_auto_commit_makes_no_hook_consumer(tmp_path, option):
    base = BASE.replace("enable_auto_commit=True", option)
    assert base != BASE
    assert [f for f in _scan(tmp_path, WORKER, base) if f[0] == "worker.py"] == []
