"""A helper of another module is read as a summary that takes its parameters for message data; what
it hands to unseen code is the message only when the call gives it some (`handler._follow`). A
callable looked up by a setting's name (`get_callable(self.path)`, `importlib.import_module`) or a
metric (`observe_claimed(count)`) hands nothing of the message on; the same helper given the
message does."""

from __future__ import annotations

from harness import project_findings

HELPERS = '''
import importlib


def get_callable(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)
'''

WORKER = '''
import json
import logging

import pika

from jobs.helpers import get_callable

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, handler_path):
        self.handler_path = handler_path

    def start(self):
        channel = pika.BlockingConnection().channel()
        channel.basic_consume("jobs", self.on_message)

    def on_message(self, channel, method, properties, body):
        handler = get_callable({arg})
        log.info("job %s for %s", json.loads(body).get("id"), handler)
        channel.basic_ack(delivery_tag=method.delivery_tag)
'''


def _scan(tmp_path, arg):
    return project_findings(tmp_path, {"jobs/__init__.py": "", "jobs/helpers.py": HELPERS,
                                       "jobs/worker.py": WORKER.replace("{arg}", arg)})


def test_a_helper_given_a_setting_hands_nothing_on(tmp_path):
    assert _scan(tmp_path, "self.handler_path") == []


def test_the_same_helper_given_the_message_hands_it_on(tmp_path):
    assert _scan(tmp_path, "body.decode()") == [("worker.py", "IDEM001", "low")]
