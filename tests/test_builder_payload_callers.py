"""A caller that hands a project publish helper a payload a project function of its own makes
(`self.producer.publish_message(topic, self.serialise(histogram))`, where `serialise` returns what a
serialiser of a library makes of the histogram's fields) builds the message it sends: IDEM003 at
that call, low (what the payload holds is out of view), as for a payload built there
(`facts.publishers._builder_made`). A maker whose display has an id field gives the message its id;
one whose keys are constants of another module may hold an id under one of them: silent."""

from __future__ import annotations

from harness import project_findings

PRODUCER = '''
from confluent_kafka import Producer as KafkaProducer


class Producer:
    def __init__(self, brokers):
        self.producer = KafkaProducer({"bootstrap.servers": ",".join(brokers)})

    def publish_message(self, topic, message):
        self.producer.produce(topic, message)
        self.producer.flush()
'''

SINK = '''
import json
import uuid

from streaming_data_types.dataarray_da00 import serialise_da00

from bus import keys
from bus.producer import Producer


class HistogramSink:
    def __init__(self, producer, source):
        self.producer = producer
        self.source = source

    def serialise(self, histogram, timestamp):
        {body}

    def send_histogram(self, topic, histogram, timestamp=None):
        self.producer.publish_message(topic, self.serialise(histogram, timestamp))


def create_histogram_sink(config):
    return HistogramSink(Producer(config["brokers"]), config["source"])
'''

BODIES = {
    "no-id": 'return serialise_da00(**histogram.to_da00_dict(source=self.source, timestamp=timestamp))',
    "event-id": ('return json.dumps({"event_id": str(uuid.uuid4()), "source": self.source, '
                 '"data": histogram.values})'),
    "constant-keys": 'return json.dumps({keys.SOURCE: self.source, keys.DATA: histogram.values})',
}


def _scan(tmp_path, body):
    files = {"bus/__init__.py": "", "bus/keys.py": 'SOURCE = "source"\nDATA = "data"\nEVENT_ID = "event_id"\n',
             "bus/producer.py": PRODUCER, "bus/sink.py": SINK.replace("{body}", BODIES[body])}
    return project_findings(tmp_path, files, lines=True)


def test_made_payload_without_id_is_reported_at_the_caller(tmp_path):
    found = [f for f in _scan(tmp_path, "no-id") if f[0] == "sink.py"]
    assert [(f[1], f[2]) for f in found] == [("IDEM003", "low")], found


def test_made_payload_with_an_id_field_is_silent(tmp_path):
    assert _scan(tmp_path, "event-id") == []


def test_made_payload_under_constant_keys_is_silent_at_the_caller(tmp_path):
    assert [f for f in _scan(tmp_path, "constant-keys") if f[0] == "sink.py"] == []
