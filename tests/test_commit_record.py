"""Work after an ack that is given only what the ack returned records the commit, not the message
(`facts.deferred._records_the_ack`); a project helper that acks and returns the messages is no such
ack: what its caller does with them is the messages' work."""

from __future__ import annotations

import libcst as cst

from idemlint.facts.deferred import _records_the_ack, module_names
from idemlint.index import ModuleIndex
from idemlint.model import Event

SOURCE = '''
from confluent_kafka import Consumer, Producer

consumer = Consumer({"group.id": "g", "enable.auto.commit": False})
producer = Producer({})


def commit_and_log():
    offsets = consumer.commit(asynchronous=False)
    for item in offsets:
        producer.produce("commit-log", key=f"{item.topic}:{item.partition}", value=str(item.offset))


def commit_then_forward(msg):
    offsets = consumer.commit(asynchronous=False)
    producer.produce("forward", key=msg.key(), value=msg.value())


class Spider:
    def schedule(self):
        requests = self.next_requests()
        for req in requests:
            self.engine.crawl(req)
'''


def _events(index: ModuleIndex, symbol: str, ack_name: str, work_name: str):
    func = next(f for f in index.functions if f.symbol == symbol)
    named = {c.func.attr.value: c for c in func.calls if isinstance(c.func, cst.Attribute)}
    ack = Event("ack", named[ack_name], 1, 2, "ack")
    work = Event("effect", named[work_name], 2, 2, "work")
    return ack, work


def test_a_record_of_what_the_commit_returned_is_no_work_on_the_message():
    index = ModuleIndex(cst.parse_module(SOURCE))
    skip = module_names(index)
    ack, work = _events(index, "commit_and_log", "commit", "produce")
    assert _records_the_ack(ack, work, index, skip)
    # the message's own data, published after the commit: work on it
    ack, work = _events(index, "commit_then_forward", "commit", "produce")
    assert not _records_the_ack(ack, work, index, skip)


def test_a_helper_that_returns_the_messages_is_not_the_ack_recorded():
    index = ModuleIndex(cst.parse_module(SOURCE))
    ack, work = _events(index, "Spider.schedule", "next_requests", "crawl")
    assert not _records_the_ack(ack, work, index, module_names(index))
