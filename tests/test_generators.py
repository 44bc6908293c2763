"""Generators that yield each message to their caller (issue 14 item 2): the ack is early when it
comes before the `yield`, or after it when the caller collects the messages or hands them off."""

from __future__ import annotations

import pytest

from harness import actual

GEN = '''
import asyncio
import json

from aiokafka import AIOKafkaConsumer

from shop.work import handle


async def records(consumer: AIOKafkaConsumer):
    async for record in consumer:
        {body}


async def main():
    consumer = AIOKafkaConsumer("orders", group_id="g", enable_auto_commit=False)
    {caller}
'''


def idem004(body: str, caller: str = "pass") -> list:
    return [(line, conf) for line, code, conf in actual(GEN.format(body=body, caller=caller)) if code == "IDEM004"]


def test_ack_before_yield_without_a_caller_in_view_is_medium():
    assert idem004("await consumer.commit()\n        yield json.loads(record.value)") == [(12, "medium")]


@pytest.mark.parametrize("caller, expected", [
    ("async for order in records(consumer):\n        await handle(order)", []),
    ("async for order in records(consumer):\n        asyncio.create_task(handle(order))", [(13, "high")]),
    ("orders = [o async for o in records(consumer)]\n    await asyncio.gather(*(handle(o) for o in orders))",
     [(13, "high")]),
], ids=["caller-working-inline-is-silent", "caller-starting-tasks-is-early",
        "caller-collecting-in-a-comprehension-is-early"])
def test_ack_after_yield(caller, expected):
    assert idem004("yield json.loads(record.value)\n        await consumer.commit()", caller) == expected


def test_a_yield_of_something_else_hands_nothing_over():
    body = "await consumer.commit()\n        yield 'tick'"
    assert idem004(body, "async for _ in records(consumer):\n        await handle(None)") == []


BULK = '''
from elasticsearch import Elasticsearch
from kombu import Connection
{imports}

es = Elasticsearch("http://search:9200")


def actions(messages):
    for message in messages:
        yield {{"_index": "products", "_id": message.payload["sku"], "_source": message.payload}}
        message.ack()


def reindex(messages):
    {caller}
'''


@pytest.mark.parametrize("imports, caller, expected", [
    ("from elasticsearch import helpers", "helpers.bulk(es, actions(messages))", [(12, "high")]),
    ("from elasticsearch.helpers import streaming_bulk",
     "for ok, item in streaming_bulk(es, actions=actions(messages)):\n        print(ok)", [(12, "high")]),
    ("from opensearchpy.helpers import parallel_bulk", "gen = actions(messages)\n    parallel_bulk(es, gen)",
     [(12, "high")]),
    ("from search_shim.engine import search", "search.helpers.bulk(es, actions(messages))", [(12, "medium")]),
    ("from .helpers import bulk", "bulk(es, actions(messages))", []),
    ("from elasticsearch import helpers", "helpers.bulk(es, [])\n    for a in actions(messages):\n        es.index(**a)",
     []),
], ids=["helpers-bulk-is-high", "streaming-bulk-actions-keyword", "parallel-bulk-through-a-name",
        "a-re-exported-helpers-bulk-is-medium", "the-project-own-bulk-is-silent", "bulk-of-something-else"])
def test_a_search_bulk_helper_reads_the_generator_in_chunks(imports, caller, expected):
    """elasticsearch-py / opensearch-py bulk helpers resume the generator before the chunk is sent."""
    source = BULK.format(imports=imports, caller=caller)
    assert [(line, conf) for line, code, conf in actual(source) if code == "IDEM004"] == expected
