"""A callable a consumer class is given in its constructor (`self.provision_callback = provision_callback`)
is, when every production construction of the class in the project passes a function of the project
for it, that function (`facts.callees.given_callables`): the walk reads it as any helper. A
construction that passes something else (a lambda, a parameter of its own) leaves it a callable the
consumer was given, whose work is out of view."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

TRANSPORT = '''
import json

import pika


class IntelConsumer:
    def __init__(self, params, queue, provision_callback):
        self.params = params
        self.queue = queue
        self.provision_callback = provision_callback

    def on_message(self, channel, method, properties, body):
        item = json.loads(body)
        self.provision_callback(item["topic"], item)
        channel.basic_ack(delivery_tag=method.delivery_tag)

    def run(self):
        channel = pika.BlockingConnection(self.params).channel()
        channel.basic_consume(queue=self.queue, on_message_callback=self.on_message)
        channel.start_consuming()
'''

PLUGIN = '''
import sqlite3
from collections import defaultdict

import pika

from intel.transport import IntelConsumer

subscriptions = defaultdict(set)
db = sqlite3.connect("intel.db")


def provision(topic, item):
    {body}


def run(host):
    IntelConsumer(pika.ConnectionParameters(host), "intel", {callback}).run()
'''

QUEUE_IT = "for outq in subscriptions[topic]:\n        outq.put(item)"
INSERT_IT = 'db.execute("INSERT INTO sightings (topic, value) VALUES (?, ?)", (topic, item["value"]))'
LOG_IT = 'print("provisioned", topic, item.get("value"))'


def _scan(tmp_path: Path, body: str, callback: str = "provision"):
    files = {"intel/__init__.py": "", "intel/transport.py": TRANSPORT,
             "intel/plugin.py": PLUGIN.format(body=body, callback=callback)}
    return project_findings(tmp_path, files)


def test_a_callback_that_queues_the_item_in_memory_is_work_the_ack_comes_before(tmp_path: Path):
    assert _scan(tmp_path, QUEUE_IT) == [("transport.py", "IDEM004", "low")]


def test_a_callback_that_inserts_a_row_is_a_side_effect_before_the_ack(tmp_path: Path):
    assert _scan(tmp_path, INSERT_IT) == [("transport.py", "IDEM001", "medium")]


def test_a_callback_that_only_logs_adds_nothing(tmp_path: Path):
    assert _scan(tmp_path, LOG_IT) == []


def test_a_lambda_passed_for_it_stays_a_callable_the_consumer_was_given(tmp_path: Path):
    # what the lambda runs is the construction site's business: nothing reported at the transport
    assert _scan(tmp_path, INSERT_IT, callback="lambda topic, item: provision(topic, item)") == []
