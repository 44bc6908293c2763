"""IDEM004/IDEM005: work that uses nothing of a message a script fetched itself is not its processing."""

from __future__ import annotations

from harness import assert_matches as _check

# The fixtures of this change run with all the others in test_fixtures.py.


def test_callback_ack_then_constant_effect_is_still_flagged():
    # the message is the callback's parameter: everything after its ack is that message's handling
    _check('''
import requests
from kombu import Connection, Consumer, Queue


def on_message(body, message):
    message.ack()  # expect: IDEM004[high]
    requests.post("https://hooks.example.com/ping", json={"status": "received"}, timeout=5)


with Connection("amqp://guest:guest@rabbitmq//") as conn:
    with Consumer(conn, queues=[Queue("pings")], callbacks=[on_message]):
        conn.drain_events(timeout=10)
''')


def test_poll_loop_ack_then_constant_effect_in_same_iteration_is_still_flagged():
    # the effect runs once per message, in the loop iteration that acked it
    _check('''
import requests
from confluent_kafka import Consumer

consumer = Consumer({"bootstrap.servers": "kafka:9092", "group.id": "g", "enable.auto.commit": False})
consumer.subscribe(["orders"])


def run():
    while True:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        consumer.commit(message=msg, asynchronous=False)  # expect: IDEM004[high]
        requests.post("https://hooks.example.com/ping", json={"status": "received"}, timeout=5)
''')


def test_one_off_receive_then_effect_on_what_was_received_is_flagged():
    _check('''
import requests
from azure.servicebus import ServiceBusClient, ServiceBusReceiveMode


def drain(conn_str):
    with ServiceBusClient.from_connection_string(conn_str) as client:
        with client.get_queue_receiver("q", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as receiver:
            batch = receiver.receive_messages(max_message_count=10)
            for msg in batch:
                requests.post("https://x.example.com", data=str(msg), timeout=5)  # expect: IDEM005[high]
''')


def test_send_before_the_receive_is_not_handling_what_it_receives():
    # the ack is for a message received after the send: no receive may sit between effect and ack
    _check('''
from azure.servicebus import ServiceBusClient, ServiceBusMessage


def roundtrip(conn_str):
    with ServiceBusClient.from_connection_string(conn_str) as client:
        with client.get_queue_sender("q") as sender, client.get_queue_receiver("q") as receiver:
            assert not receiver.receive_messages(max_wait_time=1)  # the queue starts empty
            sender.send_messages(ServiceBusMessage("ping", message_id="ping-1"))
            messages = receiver.receive_messages(max_wait_time=10, max_message_count=1)
            receiver.complete_message(messages[0])
''')


def test_unittest_assert_raises_around_an_ack_is_no_ack():
    _check('''
import unittest

import requests
from azure.servicebus import ServiceBusClient


class PeekTest(unittest.TestCase):
    def test_peeked(self):
        with ServiceBusClient.from_connection_string("Endpoint=sb://x/") as client:
            with client.get_queue_receiver("q") as receiver:
                for message in receiver.peek_messages(max_message_count=1):
                    with self.assertRaises(ValueError):
                        receiver.complete_message(message)
                    requests.post("https://audit.example.com/peeked", data=str(message), timeout=5)
''')
