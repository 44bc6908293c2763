"""A sink's template method: the base class loops over an auto-committing kafka-python consumer and
hands each record to `self.insert_record(message)`, an abstract method named for what it writes
(`gate.HOOK_NAME`'s sink hooks), which subclasses in other modules override. Each override is a
consumer the loop acks after (procestream's `DataSinkService`, round 33). An Elasticsearch index
without a document id makes a new document on every redelivery; one keyed by the record's key
overwrites it."""

from __future__ import annotations

from harness import project_findings

BASE = '''
import json
from abc import ABC, abstractmethod

from kafka import KafkaConsumer


class DataSinkService(ABC):
    def __init__(self, topic, servers, group):
        self.consumer_client = KafkaConsumer(
            topic, group_id=group, bootstrap_servers=servers.split(","),
            value_deserializer=lambda v: json.loads(v.decode("utf-8")),
        )

    @abstractmethod
    def insert_record(self, message):
        """Override this to store the message."""
        raise NotImplementedError("Implement me in subclass")

    def data_insert_service(self):
        for message in self.consumer_client:
            self.insert_record(message)
'''

SINK = '''
from elasticsearch import Elasticsearch

from pipeline.data_sink import DataSinkService


class ElasticSearchSink(DataSinkService):
    def __init__(self, topic, servers, group, es_host, index):
        super().__init__(topic, servers, group)
        self.es = Elasticsearch([es_host])
        self.index = index

    def insert_record(self, message):
        self.es.index(index=self.index, {doc})
'''


def _scan(tmp_path, doc):
    return project_findings(tmp_path, {"pipeline/__init__.py": "", "pipeline/data_sink.py": BASE,
                                       "pipeline/es_sink.py": SINK.replace("{doc}", doc)})


def test_override_of_a_sink_hook_indexing_without_an_id_is_reported(tmp_path):
    assert _scan(tmp_path, "document=message.value") == [("es_sink.py", "IDEM001", "medium")]


def test_override_indexing_under_the_record_key_is_silent(tmp_path):
    assert _scan(tmp_path, "id=message.key, document=message.value") == []
