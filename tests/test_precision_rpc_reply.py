"""IDEM003: only a reply that reuses the incoming request's correlation id is an RPC reply.

A publish with `reply_to` is exempt as a reply only when its `correlation_id` is read from the
incoming message (directly, through a local, or in a receive loop). A request of our own carries an
id when its `correlation_id` is not a constant: the client matches the reply by it, so it makes one
per call (`uuid4()`, kombu's `uuid()`, aio-pika's `create_future()`); a constant names no request.
The fixtures of this change run with all the others in test_fixtures.py.
"""

from __future__ import annotations

from harness import assert_matches as _check

HEAD = '''
import json
import uuid

import aio_pika
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq"))
channel = connection.channel()
CALLBACK_QUEUE = "amq.rabbitmq.reply-to"
'''


def test_request_with_a_constant_correlation_id_is_judged_like_any_publish():
    _check(HEAD + '''

def ask_for_rates(currency):
    channel.basic_publish(  # expect: IDEM003[high]
        exchange="",
        routing_key="rpc.rates",
        properties=pika.BasicProperties(reply_to=CALLBACK_QUEUE, correlation_id="rates-request"),
        body=json.dumps({"currency": currency}),
    )
''')


def test_request_with_a_fresh_correlation_id_carries_an_id():
    _check(HEAD + '''

def ask_for_rates(currency):
    channel.basic_publish(
        exchange="",
        routing_key="rpc.rates",
        properties=pika.BasicProperties(reply_to=CALLBACK_QUEUE, correlation_id=str(uuid.uuid4())),
        body=json.dumps({"currency": currency}),
    )
''')


def test_request_correlation_ids_made_elsewhere_carry_an_id():
    # kombu's RPC tutorial client (`kombu.uuid()` on `self`) and aio-pika's RPC pattern (the id comes
    # back from a helper with the reply's future): both false alarms on real code once
    _check('''
from kombu import Connection, Producer, Queue, uuid


class FibonacciRpcClient:
    def __init__(self, connection):
        self.connection = connection
        self.callback_queue = Queue(uuid(), exclusive=True, auto_delete=True)

    def call(self, n):
        self.correlation_id = uuid()
        with Producer(self.connection) as producer:
            producer.publish({"n": n}, exchange="", routing_key="rpc_queue", declare=[self.callback_queue],
                             reply_to=self.callback_queue.name, correlation_id=self.correlation_id)
''')
    _check(HEAD + '''

class RPC:
    async def call(self, method_name, kwargs):
        future, correlation_id = self.create_future()
        message = aio_pika.Message(body=json.dumps(kwargs).encode(), correlation_id=correlation_id,
                                   reply_to=self.result_queue.name)
        await self.channel.default_exchange.publish(message, routing_key=method_name, mandatory=True)
        return await future
''')


def test_request_with_a_message_id_is_silent_whatever_its_correlation_id():
    _check(HEAD + '''

def ask_for_rates(currency, day):
    channel.basic_publish(
        exchange="",
        routing_key="rpc.rates",
        properties=pika.BasicProperties(reply_to=CALLBACK_QUEUE, correlation_id="rates-request",
                                        message_id=f"rates-{currency}-{day}"),
        body=json.dumps({"currency": currency}),
    )
''')


def test_kombu_reply_reads_the_request_properties():
    _check('''
from kombu import Connection


def on_request(body, message):
    with Connection("amqp://guest:guest@rabbitmq//") as conn:
        conn.Producer().publish(
            {"total": 42},
            exchange="",
            routing_key=message.properties["reply_to"],
            correlation_id=message.properties["correlation_id"],
        )
    message.ack()
''')


def test_aio_pika_reply_reads_the_request_message():
    _check(HEAD + '''

async def on_request(exchange, request: aio_pika.abc.AbstractIncomingMessage):
    async with request.process():
        await exchange.publish(
            aio_pika.Message(body=json.dumps({"ok": True}).encode(), correlation_id=request.correlation_id),
            routing_key=request.reply_to,
        )
''')


def test_reply_whose_correlation_id_is_made_fresh_is_a_request():
    # a correlation id the caller has never seen matches nothing: a new request, new on every redelivery
    _check(HEAD + '''

def on_request(ch, method, props, body):
    ch.basic_publish(  # expect: IDEM001[high]
        exchange="",
        routing_key=props.reply_to,
        properties=pika.BasicProperties(correlation_id=f"{props.correlation_id}-{uuid.uuid4()}"),
        body=json.dumps({"ok": True}),
    )
    ch.basic_ack(delivery_tag=method.delivery_tag)
''')
