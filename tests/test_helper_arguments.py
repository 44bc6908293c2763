"""Publish helpers judged with what their callers give them (`facts.publishers`, `Origins.called_with`):

- a helper handed the library client as a parameter (`publish_dlq(js=self._js, ...)`) publishes with
  what the project's callers pass, when they all pass the same kind of object, and a client made by
  an alternate constructor (`cls(nc)` in a classmethod) counts as the class's construction;
- the payload may be made from several parameters (`{"reason": reason, **payload}`): the caller is
  judged on the one it builds;
- a helper that writes the whole message out itself is judged there, not at its callers;
- a literal constant given to a helper's key slot is no id (every message shares it);
- an f-string the caller writes is a payload built there, with an id when it formats one in;
- `worker_id` names the sender, not the message.
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings
from idemlint.facts.identity import is_id_name

DLQ = '''
import json


async def publish_dlq(*, js, reason, payload):
    body = {"reason": reason, **payload}
    await js.publish("dlq." + reason, json.dumps(body).encode("utf-8"))
'''

WORKER = '''
import nats

from jobs.dlq import publish_dlq


class Worker:
    def __init__(self, nc, worker_id):
        self._js = nc.jetstream()
        self._worker_id = worker_id

    @classmethod
    async def connect(cls, url):
        nc = await nats.connect(url)
        return cls(nc, "w1")

    async def dead_letter(self, msg):
        await publish_dlq(js=self._js, reason="invalid", payload={{{payload}}})
'''

# the same helper, handed an in-memory list wrapper by its only caller
MEMORY_WORKER = '''
from jobs.dlq import publish_dlq


class Sink:
    def __init__(self):
        self.items = []

    async def publish(self, subject, body):
        self.items.append((subject, body))


async def dead_letter(msg):
    await publish_dlq(js=Sink(), reason="invalid", payload={"subject": msg.subject})
'''


def _scan(tmp_path: Path, worker: str):
    return project_findings(tmp_path, {"jobs/__init__.py": "", "jobs/dlq.py": DLQ, "jobs/worker.py": worker})


def test_the_callers_client_makes_the_helper_a_publisher(tmp_path):
    # `js` is what the worker passes: `nats.connect().jetstream()` (the worker's `__init__` is run by
    # `cls(nc, ...)` in its classmethod); the dead letter names only its sender
    worker = WORKER.format(payload='"worker_id": self._worker_id, "subject": msg.subject')
    assert _scan(tmp_path, worker) == [("worker.py", "IDEM003", "high")]


def test_a_payload_with_an_id_is_silent(tmp_path):
    worker = WORKER.format(payload='"message_id": msg.headers["Nats-Msg-Id"], "subject": msg.subject')
    assert _scan(tmp_path, worker) == []


def test_a_helper_handed_a_project_object_publishes_nothing(tmp_path):
    assert _scan(tmp_path, MEMORY_WORKER) == []


QUEUES = '''
import json

import redis

_redis = redis.Redis()


def add_to_queue(user_id, data):
    _redis.lpush("notifications", json.dumps(data))


def next_notification():
    return _redis.brpop("notifications", timeout=5)
'''

EVENTS = '''
from kafka import KafkaProducer

_producer = KafkaProducer()


def send_event(message):
    _producer.send("events", value=message.encode("utf-8"))
'''

NOTIFY = '''
from app.queues import add_to_queue
from app.events import send_event


def notify(user_id, text):
    add_to_queue(user_id, {"user_id": user_id, "text": text})
    send_event(f"Notification sent to {user_id}")


def notify_once(notification_id, user_id, text):
    add_to_queue(user_id, {"notification_id": notification_id, "user_id": user_id, "text": text})
    send_event(f"Notification {notification_id} sent to {user_id}")
'''


def test_queue_helpers_and_text_payloads_are_judged_at_the_caller(tmp_path):
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/queues.py": QUEUES, "app/events.py": EVENTS,
                                        "app/notify.py": NOTIFY})
    # `notify` is told twice (its dict names the recipient only; its sentence formats no id in);
    # `notify_once` is silent; it gives the messages their ids, so the helpers' own "built elsewhere"
    # publishes are left to their callers
    assert found == [("notify.py", "IDEM003", "high"), ("notify.py", "IDEM003", "low")]


HELPER_WRITES = '''
import redis

_redis = redis.Redis()


def publish_alert(event, detail):
    _redis.xadd("alerts", {"event": event, "detail": detail})
'''

ALERTS = '''
from app.alerts import publish_alert


def mode_changed(mode):
    publish_alert("MODE_CHANGE", f"mode is now {mode}")
'''


def test_a_helper_that_writes_the_message_is_judged_there(tmp_path):
    # the caller's f-string is a field of the helper's entry, not the message: one finding, in the helper
    assert project_findings(tmp_path, {"app/__init__.py": "", "app/alerts.py": HELPER_WRITES,
                                       "app/mode.py": ALERTS}) == [("alerts.py", "IDEM003", "high")]


def test_the_senders_ids_are_not_message_ids():
    for name in ("worker_id", "workerId", "client_id", "producer_id", "consumer_id", "pid"):
        assert not is_id_name(name), name
    for name in ("job_id", "message_id", "event_id", "instance_id"):
        assert is_id_name(name), name


KEYED_HELPER = '''
import json

from aiokafka import AIOKafkaProducer


class Producer:
    def __init__(self):
        self.p = AIOKafkaProducer(bootstrap_servers="kafka:9092")

    async def send(self, topic, key, payload):
        await self.p.send_and_wait(topic, key=key.encode("utf-8") if key else None, value=json.dumps(payload).encode())
'''

PRICES = '''
from app.kafka import Producer


async def publish_price(price):
    await Producer().send("md.price.update", "BTCUSDT", {"symbol": "BTCUSDT", "price": price})


async def publish_trade(trade_id, price):
    await Producer().send("md.trades", trade_id, {"price": price})
'''


def test_a_constant_key_given_to_a_helper_is_no_id(tmp_path):
    # the helper's key slot holds what each caller passes: a literal symbol shared by every price
    # update is no id (`publish_price`), a trade's own id is (`publish_trade`)
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/kafka.py": KEYED_HELPER, "app/prices.py": PRICES})
    assert ("prices.py", "IDEM003", "high") in found
    assert [f for f in found if f[0] == "prices.py"] == [("prices.py", "IDEM003", "high")]


def test_a_library_scanned_as_the_project_is_still_the_library(tmp_path):
    """Scanning a library's own tree (its examples call its own `KafkaProducer.send`): a method called on
    an instance is the library's publish, though the class is defined in the project; only a method
    called on a class itself (`Connector.basic_publish(channel, ...)`, a static helper) is a project
    helper followed for what it publishes (`fixtures/wrapped/dispatch/results`)."""
    found = project_findings(tmp_path, {
        "kafka/__init__.py": "from kafka.producer import KafkaProducer\n",
        "kafka/producer.py": (
            "class KafkaProducer:\n"
            "    def __init__(self, **configs):\n        self.config = configs\n\n"
            "    def send(self, topic, value=None, key=None, headers=None):\n"
            "        return self._accumulator.append(topic, key, value, headers)\n"),
        "bench/load.py": (
            "import json\n\nfrom kafka import KafkaProducer\n\n\n"
            "def run(topic, count):\n"
            "    producer = KafkaProducer(bootstrap_servers='localhost:9092')\n"
            "    producer.send(topic, json.dumps({'count': count}).encode())\n"),
    })
    assert found == [("load.py", "IDEM003", "high")]


REPLIES = '''
import redis


def reply_key(rid):
    return f"replies:{rid}"


class Relay:
    def __init__(self, url):
        self._redis = redis.Redis.from_url(url)

    def _append(self, stream, entry):
        self._redis.xadd(stream, entry)

    def relay(self, req):
        rid = req["id"]
        key = reply_key(rid)
        self._append(key, {"t": "head", "status": 200})
        self._chunks(key, req["body"])

    def _chunks(self, key, body):
        for part in body.split(b"\\\\n"):
            self._append(key, {"t": "data", "b": part})

    def announce(self, name):
        self._append("relay-events", {"event": "started", "name": name})
'''


def test_a_reply_to_a_key_made_from_the_request_id_needs_no_id_of_its_own(tmp_path):
    """`self._append(reply_key(rid), chunk)`: a helper whose body calls `xadd` (`sender_names`), given
    a stream made from the request's id (also through a parameter every call of the function in the
    module fills so): the reply goes where that id names, as an RPC reply carries the request's
    correlation id. The same helper given a fixed stream publishes an id-less event."""
    found = project_findings(tmp_path, {"relay/__init__.py": "", "relay/worker.py": REPLIES})
    assert ("worker.py", "IDEM003", "high") in found
    assert [f for f in found if f[2] == "high"] == [("worker.py", "IDEM003", "high")]
