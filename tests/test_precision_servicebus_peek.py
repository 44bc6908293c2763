"""IDEM005: a RECEIVE_AND_DELETE Service Bus receiver that is only peeked deletes nothing.

`peek_messages()` copies messages without a lock and removes none (azure-servicebus 7.15: the
receive link gets credit only in a receive call), so a function that opens the receiver in that
mode but never receives from it is no auto-ack consumer. Any use that may receive keeps it one.
The fixtures of this change run with all the others in test_fixtures.py.
"""

from __future__ import annotations

from harness import assert_matches as _check

HEAD = '''
import os

import requests
from azure.servicebus import ServiceBusClient, ServiceBusReceiveMode

RAD = ServiceBusReceiveMode.RECEIVE_AND_DELETE
'''


def test_peek_only_receiver_bound_by_assignment_is_silent():
    _check(HEAD + '''

def mirror(client):
    receiver = client.get_queue_receiver("orders", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE)
    with receiver:
        for msg in receiver.peek_messages(max_message_count=10):
            requests.post("https://mirror.example.com", data=str(msg), timeout=5)
    receiver.close()
''')


def test_next_on_the_receiver_is_a_receive():
    _check(HEAD + '''

def take_one(client):
    with client.get_queue_receiver("orders", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as receiver:
        receiver.peek_messages(max_message_count=1)
        msg = next(receiver)
        requests.post("https://x.example.com", data=str(msg), timeout=5)  # expect: IDEM005[high]
''')


def test_async_iteration_is_a_receive():
    _check(HEAD + '''

async def relay(client, http):
    async with client.get_queue_receiver("orders", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as receiver:
        await receiver.peek_messages()
        async for msg in receiver:
            requests.post("https://x.example.com", data=str(msg), timeout=5)  # expect: IDEM005[high]
''')


def test_receiver_handed_to_a_helper_may_receive():
    # the helper is not followed here: whatever it does with the receiver may take messages off it
    _check(HEAD + '''

def run(client, drain):
    with client.get_queue_receiver("orders", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as receiver:
        receiver.peek_messages()
        drain(receiver)
        requests.post("https://x.example.com/done", json={"queue": "orders"}, timeout=5)  # expect: IDEM005[high]
''')


def test_receiver_not_held_in_a_name_is_still_flagged():
    _check(HEAD + '''

def run(client):
    for msg in client.get_queue_receiver("orders", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE):
        requests.post("https://x.example.com", data=str(msg), timeout=5)  # expect: IDEM005[high]
''')


def test_a_peeked_receiver_beside_a_receiving_one_does_not_hide_it():
    _check(HEAD + '''

def run(client):
    with client.get_queue_receiver("audit", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as peeker:
        backlog = len(peeker.peek_messages(max_message_count=100))
    with client.get_queue_receiver("orders", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE) as receiver:
        for msg in receiver.receive_messages(max_message_count=5):
            requests.post("https://x.example.com", json={"m": str(msg), "backlog": backlog}, timeout=5)  # expect: IDEM005[high]
''')


def test_deferred_messages_are_received_too():
    _check(HEAD + '''

def replay(client, numbers):
    with client.get_queue_receiver("orders", receive_mode="receiveanddelete") as receiver:
        receiver.peek_messages(sequence_number=numbers[0])
        for msg in receiver.receive_deferred_messages(numbers):
            requests.post("https://x.example.com", data=str(msg), timeout=5)  # expect: IDEM005[high]
''')
