"""Project-wide origins and acks through the project's layers (issue 13): factories, attributes set
in base classes, annotated parameters, ack helpers at depth, polymorphic pipelines, the fallback."""

from __future__ import annotations

import pytest

from test_project import findings, write

FACTORY = '''
from confluent_kafka import Consumer


def init_consumer(cfg):
    return Consumer({"group.id": cfg.group, "enable.auto.commit": False})
'''

WORKER = '''
import requests
from .factories import init_consumer


class Worker:
    def __init__(self, cfg):
        self.consumer = init_consumer(cfg)

    def run(self):
        while True:
            msg = self.consumer.poll(1.0)
            if msg is None:
                continue
            requests.post("https://hooks.example.com/orders", json=msg.value())
            self.consumer.commit(message=msg)
'''

PIPELINE = '''
import pika
import redis


class Pipeline:
    def receive(self):
        raise NotImplementedError

    def acknowledge(self):
        """Ack the message in hand."""
        raise NotImplementedError


class RedisPipeline(Pipeline):
    def connect(self):
        self.pipe = redis.Redis(host="localhost")

    def receive(self):
        return self.pipe.xreadgroup("bots", "me", {"in": ">"}, count=1)

    def acknowledge(self):
        self.pipe.xack("in", "bots", self.last_id)


class AmqpPipeline(Pipeline):
    def connect(self):
        self.channel = pika.BlockingConnection(pika.ConnectionParameters("localhost")).channel()

    def receive(self):
        method, properties, body = self.channel.basic_get(queue="in")
        self.tag = method.delivery_tag
        return body

    def acknowledge(self):
        self.channel.basic_ack(delivery_tag=self.tag)


def create_pipeline(settings) -> Pipeline:
    return PIPELINES[settings.broker](settings)


PIPELINES = {"redis": RedisPipeline, "amqp": AmqpPipeline}
'''

BOT = '''
from .pipeline import create_pipeline


class Bot:
    def __init__(self, settings):
        self._source = create_pipeline(settings)

    def receive_message(self):
        return self._source.receive()

    def acknowledge_message(self):
        self._source.acknowledge()
'''


@pytest.fixture
def app(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/lib/__init__.py": "", "app/bots/__init__.py": ""})
    return tmp_path


def test_a_consumer_built_by_a_project_factory_is_a_kafka_consumer(app):
    # the module that polls and commits imports no Kafka client: the factory in another module does
    write(app, {"app/factories.py": FACTORY, "app/worker.py": WORKER})
    got = findings(app)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [("worker.py", 15, "IDEM001", "high")]


def test_a_factory_returning_a_database_session_makes_no_ack(app):
    write(app, {
        "app/db.py": '''
            from sqlalchemy.orm import Session


            def make_session(engine):
                return Session(engine)
        ''',
        "app/jobs.py": '''
            import requests
            from .db import make_session


            def sync(engine, rows):
                session = make_session(engine)
                for row in rows:
                    requests.post("https://hooks.example.com/rows", json=row)
                session.commit()
        ''',
    })
    assert findings(app) == []


def test_an_ack_through_a_base_class_and_a_polymorphic_pipeline(app):
    # `acknowledge_message` (base class, another module) -> `self._source.acknowledge()`, where
    # `_source` is typed by the factory's return annotation; the abstract `acknowledge` is
    # overridden by two pipelines that each ack with their library
    write(app, {
        "app/lib/pipeline.py": PIPELINE,
        "app/lib/bot.py": BOT,
        "app/bots/sql_output.py": '''
            import psycopg2
            from app.lib.bot import Bot


            class SqlOutputBot(Bot):
                def init(self):
                    self.con = psycopg2.connect(dsn="dbname=events")

                def process(self):
                    event = self.receive_message()
                    with self.con.cursor() as cur:
                        cur.execute("INSERT INTO events (data) VALUES (%s)", (event,))
                    self.con.commit()
                    self.acknowledge_message()
        ''',
    })
    got = findings(app)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [
        ("sql_output.py", 13, "IDEM001", "medium")]


# two app/queues.py for one app/handler.py that posts, then calls `queue.ack(message)`
LOGGING_QUEUE = '''
    import logging

    log = logging.getLogger(__name__)


    class Queue:
        def __init__(self, url):
            self.url = url

        def get(self):
            return log.info("nothing to get")

        def ack(self, message):
            log.info("acked %s", message)
'''

SQS_QUEUE = '''
    import boto3


    class Queue:
        def __init__(self, url):
            self.url = url
            self.sqs = boto3.client("sqs")

        def ack(self, message):
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
'''


@pytest.mark.parametrize("queues, expected", [
    (LOGGING_QUEUE, []),
    (SQS_QUEUE, [("handler.py", 9, "IDEM001", "medium")]),
], ids=["an-ack-that-only-logs-is-no-ack", "an-ack-that-deletes-the-sqs-message-is-one"])
def test_a_project_wrapper_named_like_an_ack(app, queues, expected):
    write(app, {
        "app/queues.py": queues,
        "app/handler.py": '''
            import requests
            from .queues import Queue

            queue = Queue("https://sqs.example.com/orders")


            def handle(message):
                requests.post("https://hooks.example.com/x", json=message)
                queue.ack(message)
        ''',
    })
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in findings(app)] == expected


def test_an_ack_on_an_object_nothing_resolves_is_the_low_fallback(app):
    write(app, {
        "app/handler.py": '''
            import requests


            def handle(broker, message):
                requests.post("https://hooks.example.com/x", json=message.body)
                broker.acknowledge(message)
        ''',
    })
    got = findings(app)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [("handler.py", 6, "IDEM001", "low")]


def test_a_commit_counts_for_the_fallback_only_beside_a_receive_and_off_a_database(app):
    write(app, {
        "app/loop.py": '''
            import requests


            def run(client, store):
                while True:
                    record = client.poll(1.0)
                    requests.post("https://hooks.example.com/x", json=record)
                    client.commit()


            def save(store, rows):
                for row in rows:
                    requests.post("https://hooks.example.com/x", json=row)
                store.commit()


            def flush(db_session, rows):
                record = db_session.poll()
                requests.post("https://hooks.example.com/x", json=record)
                db_session.commit()
        ''',
    })
    got = findings(app)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [("loop.py", 8, "IDEM001", "low")]


def test_annotated_parameters_name_their_library_type(app):
    write(app, {
        "app/handler.py": '''
            from typing import Optional

            import requests
            from aio_pika.abc import AbstractIncomingMessage


            async def handle(message: "Optional[AbstractIncomingMessage]") -> None:
                requests.post("https://hooks.example.com/x", data=message.body)
                await message.ack()


            async def handle_all(messages: list[AbstractIncomingMessage]) -> None:
                for m in messages:
                    requests.post("https://hooks.example.com/x", data=m.body)
                    await m.ack()
        ''',
    })
    got = findings(app)
    assert [(name, line, rule) for name, line, rule, _, _ in got] == [
        ("handler.py", 9, "IDEM001"), ("handler.py", 15, "IDEM001")]


def test_an_in_house_decorator_carries_the_frameworks_ack(app):
    write(app, {
        "app/queueing.py": '''
            import dramatiq
            from celery import Celery

            celery_app = Celery("app")


            def job(**options):
                options.setdefault("max_retries", 3)
                return dramatiq.actor(**options)


            def queued(**options):
                return celery_app.task(**options)
        ''',
        "app/tasks.py": '''
            import requests
            from app.queueing import job, queued


            @job(queue_name="hooks")
            def notify(url, payload):
                requests.post(url, json=payload)


            @queued(acks_late=True)
            def late(url, payload):
                requests.post(url, json=payload)


            @queued()
            def early(url, payload):
                requests.post(url, json=payload)
        ''',
    })
    got = findings(app)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [
        ("tasks.py", 8, "IDEM001", "medium"), ("tasks.py", 13, "IDEM001", "medium")]  # `early`: Celery's default


def test_a_decorator_wrapping_lru_cache_makes_no_consumer(app):
    write(app, {
        "app/caching.py": '''
            import functools

            import dramatiq


            def cached(maxsize=128):
                return functools.lru_cache(maxsize=maxsize)
        ''',
        "app/render.py": '''
            import requests
            from app.caching import cached


            @cached(maxsize=16)
            def compile_template(name):
                return requests.post("https://render.example.com/compile", json={"name": name}).json()
        ''',
    })
    assert findings(app) == []


PUBLISHER = '''
import json

from confluent_kafka import Producer


def publish_json(producer, topic, payload, key=None):
    producer.produce(topic, value=json.dumps(payload).encode("utf-8"), key=key)


class EventPublisher:
    def __init__(self):
        self.producer = Producer({"bootstrap.servers": "kafka:9092"})

    def emit(self, event_type, body, key=None):
        publish_json(self.producer, "events", {"type": event_type, **body}, key=key)


publisher = EventPublisher()
'''


def test_a_publish_through_project_helpers_is_judged_where_the_payload_is_built(app):
    write(app, {
        "app/events.py": PUBLISHER,
        "app/orders.py": '''
            from app.events import publisher


            def cancelled(order_ref, reason):
                publisher.emit("order.cancelled", {"order_ref": order_ref, "reason": reason})


            def created(order):
                publisher.emit("order.created", {"order_ref": order["ref"]}, key=order["ref"])


            def forwarded(event):
                publisher.emit("order.forwarded", event)
        ''',
    })
    got = [(name, line, rule, conf) for name, line, rule, conf, _ in findings(app)]
    # the helpers' own publishes send their callers' payloads (low, built elsewhere); `created` passes
    # a key, `forwarded` passes a payload built elsewhere: only `cancelled` is judged at its call
    assert ("orders.py", 6, "IDEM003", "high") in got
    assert not [f for f in got if f[0] == "orders.py" and f[1] != 6]


def test_a_payload_filled_in_here_is_judged_here(app):
    write(app, {
        "app/events.py": PUBLISHER,
        "app/tracker.py": '''
            from app.events import publisher


            def stream(sender_id, events):
                for event in events:
                    body = {"sender_id": sender_id}
                    body.update(event.as_dict())
                    publisher.emit("tracker.event", body)


            def stream_keyed(sender_id, events):
                for event in events:
                    body = {"event_id": event.id, "sender_id": sender_id}
                    body.update(event.as_dict())
                    publisher.emit("tracker.event", body)
        ''',
    })
    got = [(name, line, rule, conf, message) for name, line, rule, conf, message in findings(app)
           if name == "tracker.py"]
    # built here, then filled in from a value built elsewhere: judged at this call, low; with an
    # `event_id` of its own, the payload carries an id
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [("tracker.py", 9, "IDEM003", "low")]
    assert "filled in here from values built elsewhere" in got[0][4]


def test_a_publish_method_passed_on_is_a_publish(app):
    write(app, {
        "app/exports.py": '''
            import json
            from concurrent.futures import ThreadPoolExecutor

            import pika

            executor = ThreadPoolExecutor(max_workers=2)


            def snapshot(sku, on_hand):
                channel = pika.BlockingConnection(pika.ConnectionParameters("localhost")).channel()
                executor.submit(channel.basic_publish, "", "stock", json.dumps({"sku": sku, "on_hand": on_hand}))
        ''',
    })
    got = [(name, line, rule, conf) for name, line, rule, conf, _ in findings(app)]
    assert got == [("exports.py", 12, "IDEM003", "high")]


def test_a_method_of_the_class_that_acks_is_followed_whatever_its_name(app):
    write(app, {
        "app/lib/pipeline.py": PIPELINE,
        "app/lib/bot.py": BOT,
        "app/bots/tickets.py": '''
            import requests
            from app.lib.bot import Bot


            class TicketBot(Bot):
                def process(self):
                    event = self.receive_message()
                    requests.post("https://tracker.example.com/tickets", json=event)
                    self._done()

                def _done(self):
                    self.acknowledge_message()


            class Driver(Bot):
                def run_once(self):
                    event = self.receive_message()
                    requests.post("https://tracker.example.com/tickets", json=event)
                    self.acknowledge_message()

                def loop(self):
                    while True:
                        self.run_once()  # receives and acks by itself: no consumer here
        ''',
    })
    got = [(name, line, rule) for name, line, rule, _, _ in findings(app)]
    assert got == [("tickets.py", 9, "IDEM001"), ("tickets.py", 19, "IDEM001")]


def test_a_parameter_takes_what_its_only_caller_in_the_module_passes(app):
    write(app, {
        "app/kafka_setup.py": '''
            from kafka import KafkaConsumer


            def make_consumer(topic):
                return KafkaConsumer(topic, group_id="hooks", enable_auto_commit=False)
        ''',
        "app/loop.py": '''
            import requests
            from app.kafka_setup import make_consumer


            def consume_loop(source, url):
                for record in source:
                    requests.post(url, data=record.value)
                    source.commit()


            def main():
                consume_loop(make_consumer("orders"), "https://hooks.example.com/orders")
        ''',
        "app/twice.py": '''
            import requests


            def consume_loop(client, url):
                while True:
                    record = client.poll(1.0)
                    requests.post(url, data=record)
                    client.commit()


            def main(a, b):
                consume_loop(a, "https://hooks.example.com/a")
                consume_loop(b, "https://hooks.example.com/b")
        ''',
    })
    got = [(name, line, rule, conf) for name, line, rule, conf, _ in findings(app)]
    # one caller: a Kafka consumer (high); two callers: nothing known, the fallback's low
    assert got == [("loop.py", 8, "IDEM001", "high"), ("twice.py", 8, "IDEM001", "low")]


def test_a_constructor_argument_is_what_init_binds(app):
    write(app, {
        "app/kafka_setup.py": '''
            from kafka import KafkaConsumer


            def make_consumer(topic):
                return KafkaConsumer(topic, group_id="hooks", enable_auto_commit=False)
        ''',
        "app/relay.py": '''
            import requests
            from app.kafka_setup import make_consumer


            class Relay:
                def __init__(self, source, url):
                    self.source = source
                    self.url = url

                def run(self):
                    for record in self.source:
                        requests.post(self.url, data=record.value)
                        self.source.commit()


            def main():
                Relay(make_consumer("orders"), "https://hooks.example.com/orders").run()
        ''',
        "app/twice.py": '''
            import requests


            class Relay:
                def __init__(self, source, url):
                    self.source = source
                    self.url = url

                def run(self):
                    while True:
                        record = self.source.poll(1.0)
                        requests.post(self.url, data=record)
                        self.source.commit()


            def main(a, b):
                Relay(a, "https://hooks.example.com/a").run()
                Relay(b, "https://hooks.example.com/b").run()
        ''',
    })
    got = [(name, line, rule, conf) for name, line, rule, conf, _ in findings(app)]
    # constructed once: `self.source` is the Kafka consumer `Relay(...)` was given (high); twice:
    # nothing known, the fallback's low
    assert got == [("relay.py", 13, "IDEM001", "high"), ("twice.py", 13, "IDEM001", "low")]


def test_a_module_global_declared_with_a_type_and_set_at_run_time_has_that_type(app):
    """`_transport_object: TransportManager | None = None` in a package's `__init__`, set when the
    server starts: `app.server._transport_object.send(queue, message)` in another module is the
    project method `TransportManager.send`, which sends on a workflows transport."""
    write(app, {
        "app/server/__init__.py": '''
            from app.server.transport import TransportManager

            _transport_object: TransportManager | None = None
        ''',
        "app/server/transport.py": '''
            import workflows.transport


            class TransportManager:
                def __init__(self):
                    self.transport = workflows.transport.lookup("PikaTransport")()
                    self.feedback_queue = "murfey_feedback"

                def send(self, queue, message):
                    self.transport.send(queue, message)
        ''',
        "app/api.py": '''
            import app.server


            def flush(session_id, tag):
                message = {"register": "flush", "session_id": session_id, "tag": tag}
                if app.server._transport_object:
                    app.server._transport_object.send(app.server._transport_object.feedback_queue, message)
        ''',
    })
    got = [(name, line, rule) for name, line, rule, _, _ in findings(app)]
    assert ("api.py", 8, "IDEM003") in got
