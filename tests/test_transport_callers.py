"""A project transport that publishes a payload its callers give it (IDEM003's "built elsewhere"),
called from other modules:

- a caller in a module that names no broker, calling the transport by a name made of the library
  call it wraps (`self._stream.xadd_json("alerts.risk", {...})`), is scanned (`gate._PUBLISHER_CALL`
  lets its imports be followed) and told where it builds a payload with no id;
- the transport keeps its own low finding unless every project call passes a payload with an id
  (`facts.publishers.callers_give_ids`); a test module's call does not count either way;
- a transport kept as a module singleton that a `global` factory builds on first use
  (`_QUEUE = JobQueue()` in `get_queue()`) is resolved through the factory, in its own module and
  from another (`ModuleIndex._resolve_name`).
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

TRANSPORT = '''
import json

import redis


class EventStream:
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)

    def xadd_json(self, stream: str, payload: dict) -> str:
        return self._redis.xadd(stream, {"data": json.dumps(payload)})
'''

ORDERS = '''
import uuid

from app.transport import EventStream


class OrderService:
    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    def order_filled(self, order_id: str, qty: int) -> None:
        self._stream.xadd_json("orders.filled", {"event_id": str(uuid.uuid4()), "order_id": order_id, "qty": qty})
'''

ALERTS = '''
import time

from app.transport import EventStream


class AlertService:
    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    def risk_breached(self, account: str, exposure: float) -> None:
        self._stream.xadd_json("alerts.risk", {"account": account, "exposure": exposure, "at": time.time()})
'''

RELAY = '''
from app.transport import EventStream


class Outbox:
    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    def emit(self, topic: str, payload: dict) -> None:
        self._stream.xadd_json(topic, payload)
'''

TEST_CALLER = '''
from app.transport import EventStream


def test_xadd_json(fake_redis):
    EventStream("redis://localhost").xadd_json("s", {"a": 1})
'''


def _idem003(found):
    return [(name, confidence) for name, rule, confidence in found if rule == "IDEM003"]


def test_a_caller_elsewhere_that_builds_a_payload_without_id_is_told(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/transport.py": TRANSPORT,
                                        "app/orders.py": ORDERS, "app/alerts.py": ALERTS,
                                        "tests/test_transport.py": TEST_CALLER})
    # `orders.py` gives the message its id: the transport's own finding is left to its callers
    assert _idem003(found) == [("alerts.py", "high")]


def test_a_layer_passing_a_payload_on_is_not_told(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/transport.py": TRANSPORT,
                                        "app/orders.py": ORDERS, "app/relay.py": RELAY})
    assert _idem003(found) == [("transport.py", "low")]


def test_only_callers_with_ids_keep_everything_silent(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/transport.py": TRANSPORT, "app/orders.py": ORDERS,
                                        "tests/test_transport.py": TEST_CALLER})
    assert _idem003(found) == []


SINGLETON = '''
import json
import uuid

import boto3

_QUEUE = None


class JobQueue:
    def __init__(self):
        self._sqs = boto3.client("sqs")
        self._url = "https://sqs.eu-west-1.amazonaws.com/123456789012/notifications"

    def enqueue(self, body: str) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body)


def get_queue():
    global _QUEUE
    if _QUEUE is None:
        _QUEUE = JobQueue()
    return _QUEUE


class Notifier:
    def __init__(self):
        self.queue = get_queue()

    def notify(self, user_id: str) -> None:
        self.queue.enqueue(json.dumps({"user": user_id, "kind": "welcome"}))

    def notify_once(self, user_id: str) -> None:
        self.queue.enqueue(json.dumps({"event_id": str(uuid.uuid4()), "user": user_id, "kind": "welcome"}))
'''

NOTIFIER_ELSEWHERE = '''
import json

from app.jobs import get_queue


class SignupNotifier:
    def __init__(self):
        self.queue = get_queue()

    def signed_up(self, user_id: str) -> None:
        self.queue.enqueue(json.dumps({"user": user_id, "kind": "signup"}))
'''


def test_a_singleton_transport_from_a_global_factory_is_resolved(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/jobs.py": SINGLETON,
                                        "app/signup.py": NOTIFIER_ELSEWHERE}, lines=True)
    assert [(name, confidence, line) for name, rule, confidence, line in found if rule == "IDEM003"] == [
        ("jobs.py", "high", 31), ("signup.py", "high", 12)]  # a caller gives an id: the transport's is theirs
