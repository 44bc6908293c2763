"""A Kafka poll loop in a module that never imports a Kafka client: the consumer is a parameter, built
by a project factory of another module (`consume_loop(get_consumer(...), ...)` beside it). With
auto-commit on, the loop has no ack call to show; its poll is the only sign, and the module must
still be analysed."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

FACTORY = '''
from confluent_kafka import Consumer


def get_consumer(servers, group_id):
    return Consumer({"bootstrap.servers": servers, "group.id": group_id})
'''

LOOP = '''
import threading

from relay.clients import get_consumer
from relay.processor import process_message


def consume_loop(consumer, stop):
    while not stop.is_set():
        msg = consumer.poll(1.0)
        process_message(msg)


def run(servers):
    consumer = get_consumer(servers, "relay")
    consumer.subscribe(["events"])
    consume_loop(consumer, threading.Event())
'''

# the same loop where the factory builds no Kafka client: its module reaches no broker
LOCAL_FACTORY = '''
import queue


def get_consumer(servers, group_id):
    return queue.Queue()
'''

PROCESSOR = '''
import threading
import time


def delayed_publish(value):
    time.sleep(30)
    print(value)


def process_message(msg):
    if msg is None or msg.error():
        return False
    threading.Thread(target=delayed_publish, args=(msg.value(),), daemon=True).start()
    return True
'''

def test_auto_commit_loop_over_a_factory_consumer_is_analysed(tmp_path: Path):
    files = {"relay/__init__.py": "", "relay/clients.py": FACTORY, "relay/loop.py": LOOP,
             "relay/processor.py": PROCESSOR}
    assert ("loop.py", "IDEM004", "low") in project_findings(tmp_path, files)


def test_a_poll_of_something_else_beside_no_kafka_module_is_not(tmp_path: Path):
    files = {"relay/__init__.py": "", "relay/clients.py": LOCAL_FACTORY, "relay/loop.py": LOOP,
             "relay/processor.py": PROCESSOR}
    assert project_findings(tmp_path, files) == []
