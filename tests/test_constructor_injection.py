"""Constructor injection (`origins.Origins.constructed_with`): `self.feed = feed` in `__init__` of a class
its module never constructs is what the project's production code passes where it constructs the class.
A test's construction does not count; constructions that pass different kinds of object say nothing."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

WORKER = '''
import json

import requests


class BillingWorker:
    def __init__(self, feed, api_url):
        self.feed = feed
        self.api_url = api_url

    def run(self):
        while True:
            record = self.feed.poll(1.0)
            if record is None:
                continue
            invoice = json.loads(record.value())
            requests.post(self.api_url, json={"invoice": invoice["number"]})
            self.feed.commit(message=record)
'''

KAFKA_MAIN = '''
from confluent_kafka import Consumer

from billing.worker import BillingWorker


def main():
    feed = Consumer({"bootstrap.servers": "kafka:9092", "group.id": "billing", "enable.auto.commit": False})
    BillingWorker(feed, "https://billing.example.com/charges").run()
'''

# the same worker constructed with a project class whose `commit()` writes to a database
LEDGER_MAIN = '''
from billing.ledger import Ledger
from billing.worker import BillingWorker


def replay():
    BillingWorker(Ledger(), "https://billing.example.com/charges").run()
'''

LEDGER = '''
import sqlite3


class Ledger:
    def __init__(self):
        self.db = sqlite3.connect("ledger.db")

    def poll(self, timeout):
        return self.db.execute("SELECT body FROM inbox LIMIT 1").fetchone()

    def commit(self, message=None):
        self.db.commit()
'''

TEST = '''
from unittest import mock

from billing.worker import BillingWorker


def test_run():
    BillingWorker(mock.Mock(), "http://test").run()
'''


def _findings(tmp_path: Path, files: dict):
    return project_findings(tmp_path, files)


def test_the_constructions_client_is_the_attributes(tmp_path):
    # the consumer is confluent-kafka's, passed in by `main.py`: an explicit library commit (high);
    # the test's construction with a mock does not count
    assert _findings(tmp_path, {
        "billing/__init__.py": "",
        "billing/worker.py": WORKER,
        "billing/main.py": KAFKA_MAIN,
        "billing/tests/test_worker.py": TEST,
    }) == [("worker.py", "IDEM001", "high")]


def test_constructions_that_disagree_say_nothing(tmp_path):
    # a Kafka consumer in one place, a project ledger in another: the attribute stays unresolved,
    # and the worker is left to the fallback (a commit beside a receive on an unknown object: low)
    assert _findings(tmp_path, {
        "billing/__init__.py": "",
        "billing/worker.py": WORKER,
        "billing/main.py": KAFKA_MAIN,
        "billing/replay.py": LEDGER_MAIN,
        "billing/ledger.py": LEDGER,
    }) == [("worker.py", "IDEM001", "low")]


def test_without_a_construction_the_fallback_stays(tmp_path):
    assert _findings(tmp_path, {
        "billing/__init__.py": "",
        "billing/worker.py": WORKER,
    }) == [("worker.py", "IDEM001", "low")]
