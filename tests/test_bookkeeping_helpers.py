"""Helpers of the project that note a message's handling, in other modules, run after its ack: a log
helper that calls the logger's method picked with `getattr`, a `contextvars.ContextVar` set, and a
metrics module's module-level set of the label values it has admitted. None of them works on the
message (`facts.handoff.in_process`), and the set records no message as processed
(`facts.dedup._module_collection`): a consumer that acks after its work and then calls them is
silent. The same consumer with its work after the ack is still IDEM004."""

from __future__ import annotations

from harness import project_findings

LOG = '''
import logging


def log(logger, level, message, **fields):
    """Logs `message` with `fields` at `level` on `logger`."""
    if logger is None:
        return
    method = getattr(logger, level, None)
    if method is None:
        return
    if isinstance(logger, logging.Logger):
        method(message, extra={"fields": fields})
    else:
        method(message, **fields)
'''

METRICS = '''
import threading

_lock = threading.Lock()
_event_types_seen: set = set()
_limit = 200


def sanitize_event_type(event_type):
    with _lock:
        if event_type in _event_types_seen:
            return event_type
        if len(_event_types_seen) < _limit:
            _event_types_seen.add(event_type)
            return event_type
    return "__other__"


def inc_processed(queue_url, event_type):
    label = sanitize_event_type(event_type)
    print("processed", queue_url, label)
'''

CONTEXT = '''
from contextvars import ContextVar

_trace_id_var: ContextVar = ContextVar("trace_id", default="")


def bind_trace_id(trace_id):
    return _trace_id_var.set(trace_id)
'''

CONSUMER = '''
import json
import logging

import boto3
import requests

from svc import metrics
from svc.context import bind_trace_id
from svc.log import log

logger = logging.getLogger(__name__)


class OrderConsumer:
    def __init__(self, queue_url, orders_url):
        self.client = boto3.client("sqs")
        self.queue_url = queue_url
        self.orders_url = orders_url

    def _delete(self, message):
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        log(logger, "debug", "sqs: deleted", message_id=message["MessageId"])

    def poll(self):
        response = self.client.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=20)
        for message in response.get("Messages", []):
            order = json.loads(message["Body"])
            {work}
            self._delete(message)
            bind_trace_id(order.get("trace_id", ""))
            metrics.inc_processed(self.queue_url, order.get("type", ""))
            log(logger, "info", "order handled", order_id=order["order_id"])
'''

PUT = 'requests.put(self.orders_url + "/" + order["order_id"], json=order, timeout=10)'


def _scan(tmp_path, consumer):
    files = {"svc/__init__.py": "", "svc/log.py": LOG, "svc/metrics.py": METRICS, "svc/context.py": CONTEXT,
             "svc/consumer.py": consumer}
    return [f for f in project_findings(tmp_path, files) if f[0] == "consumer.py"]


def test_log_context_and_label_cache_after_the_ack_are_no_work(tmp_path):
    assert _scan(tmp_path, CONSUMER.replace("{work}", PUT)) == []


def test_work_after_the_ack_is_still_reported(tmp_path):
    late = CONSUMER.replace("{work}", "pass").replace(
        "            self._delete(message)\n",
        "            self._delete(message)\n            requests.post(self.orders_url, json=order, timeout=10)\n")
    assert [(f[1], f[2]) for f in _scan(tmp_path, late)] == [("IDEM004", "medium")]  # the ack through a helper


def test_log_helper_before_the_ack_is_no_hand_off(tmp_path):
    # `method(message, **fields)` of `method = getattr(logger, level)`: a logger, not unseen code
    early = CONSUMER.replace("{work}", PUT).replace(
        "            self._delete(message)\n",
        "            log(logger, \"info\", \"order stored\", order=order)\n            self._delete(message)\n").replace(
        "            metrics.inc_processed(self.queue_url, order.get(\"type\", \"\"))\n", "")
    assert _scan(tmp_path, early) == []
