"""A sink that publishes through a producer wrapper handed to its constructor (`ReadingSink(producer,
source)`, where the module's factory builds `producer = Producer(...)` around confluent-kafka): the
sink's `self.producer.publish_message(...)` runs the wrapper's method, so the payload the sink builds
is judged where it is built. Without the constructor's one call site, `self.producer` is a bare
parameter and the sink's publish is out of reach."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

SINK = '''
import json
import time
import uuid

from confluent_kafka import Producer as KafkaProducer


class Producer:
    def __init__(self, brokers):
        self._producer = KafkaProducer({"bootstrap.servers": brokers})

    def publish_message(self, topic, message):
        self._producer.produce(topic, message)
        self._producer.flush()


class ReadingSink:
    def __init__(self, producer, source):
        self.producer = producer
        self.source = source

    def send_reading(self, topic, value):
        payload = json.dumps({"source": self.source, "value": value, "timestamp": time.time()%s})
        self.producer.publish_message(topic, payload.encode())


def create_sink(config):
    producer = Producer(config["brokers"])
    return ReadingSink(producer, config["source"])
'''


def test_the_sink_that_builds_an_id_less_reading_is_told(tmp_path: Path):
    found = project_findings(tmp_path, {"sink.py": SINK % ""})
    # the sink's publish (where the payload is built, high) and the wrapper's send (built elsewhere, low)
    assert found == [("sink.py", "IDEM003", "high"), ("sink.py", "IDEM003", "low")]


def test_a_reading_with_its_own_id_is_not(tmp_path: Path):
    found = project_findings(tmp_path, {"sink.py": SINK % ', "reading_id": str(uuid.uuid4())'})
    assert ("sink.py", "IDEM003", "high") not in found
