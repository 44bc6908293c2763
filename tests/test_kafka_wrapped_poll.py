"""A project class whose `poll()` polls a Kafka consumer of its own (auto-commit left on) and returns
what it decoded: a loop in another module calling `consumer.poll(timeout)` on it receives through it,
acked by that consumer's auto-commit (`detect.kafka._wrapped_receive`). The topic the wrapper hands
back with the alert is no dedup key (`dedup._store_name` leaves out the receive a key was bound
from). A wrapper whose consumer has auto-commit off makes no consumer of its caller."""

from __future__ import annotations

from harness import project_findings

WRAPPER = '''
import json

import confluent_kafka


class AlertConsumer:
    def __init__(self, topics, config):
        self._consumer = confluent_kafka.Consumer(config)
        self._consumer.subscribe(topics)

    def poll(self, timeout: float = -1):
        msg = self._consumer.poll(timeout)
        if msg is None:
            return None, None
        return msg.topic(), json.loads(msg.value())

    def close(self):
        self._consumer.close()
'''

STREAM = '''
import requests

from alerts.consumer import AlertConsumer


def stream(conf, maxpoll):
    consumer = AlertConsumer(topics=list(conf["topics"]), config={"bootstrap.servers": conf["servers"],
                                                                   "group.id": conf["group"]})
    polled = 0
    while polled < maxpoll:
        topic, alert = consumer.poll(timeout=5.0)
        if alert is None:
            continue
        polled += 1
        hook = conf["topics"].get(topic, None)
        if hook is None:
            continue
        requests.post(hook["url"], json={"text": "new alert %s" % alert["objectId"]}, timeout=10)
    consumer.close()
'''


def _scan(tmp_path, wrapper=WRAPPER):
    return project_findings(tmp_path, {"alerts/__init__.py": "", "alerts/consumer.py": wrapper,
                                       "alerts/stream.py": STREAM})


def test_loop_over_a_project_poll_wrapper_is_an_auto_commit_consumer(tmp_path):
    found = [f for f in _scan(tmp_path) if f[0] == "stream.py"]
    assert found == [("stream.py", "IDEM001", "medium"), ("stream.py", "IDEM005", "low")], found


def test_wrapper_with_auto_commit_off_makes_no_consumer_of_its_caller(tmp_path):
    wrapper = WRAPPER.replace("confluent_kafka.Consumer(config)",
                              'confluent_kafka.Consumer(dict(config, **{"enable.auto.commit": False}))')
    assert wrapper != WRAPPER
    assert [f for f in _scan(tmp_path, wrapper) if f[0] == "stream.py"] == []
