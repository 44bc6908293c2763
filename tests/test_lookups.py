"""Dedup lookups recognised by shape (facts/lookups.py, issue 13): a search for the record before
creating it in the same store, a registry entry taken once, a digest of the whole message, and a
project helper that reads or writes a store under the key it is given."""

from __future__ import annotations

import libcst as cst
import pytest

from idemlint.analysis import analyze
from idemlint.facts import lookups
from test_project import findings, write


def _holds(names):
    search = lookups.Search(cst.parse_expression("store.search(q)"), "`store.search()`", "store", set(names))
    return lookups.holder(search)


@pytest.mark.parametrize("test, found", [
    ("r", True), ("len(r)", True), ("len(r) > 0", True), ("len(r) >= 1", True), ("r is not None", True),
    ("r != []", True), ('r["hits"]["total"]', True), ("bool(r)", True),
    ("not r", False), ("r is None", False), ("len(r) == 0", False), ("not len(r)", False), ("r == []", False),
    ("len(r) < 1", False), ("not (r is None)", True),
    ("r and other", None), ("len(r) > 3", None), ("other", None), ("other is None", None),
])
def test_which_branch_is_the_found_one(test, found):
    assert lookups.found_test(cst.parse_expression(test), _holds({"r"})) is found


@pytest.mark.parametrize("value, whole", [
    ("message.hash()", True), ("hashlib.sha256(body).hexdigest()", True),
    ("hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()", True),
    ("hashlib.md5(event['host'].encode()).hexdigest()", False), ("hashlib.sha256(b'salt').hexdigest()", False),
    ("hash(settings)", False), ("event.get('id')", False),
])
def test_a_digest_of_the_whole_message_identifies_it(value, whole):
    assert lookups.content_hash(cst.parse_expression(value), {"message", "body", "event"}) is whole


@pytest.mark.parametrize("call, store", [
    ("self.misp.search(value=q)", "self.misp"), ("Order.objects.filter(n=1).first()", "Order.objects"),
    ("db.orders.find_one({'n': 1})", "db.orders"), ("search(q)", None),
])
def test_the_store_a_call_reads(call, store):
    assert lookups.store_of(cst.parse_expression(call)) == store


SEARCH = '''
import json
import pika
from elasticsearch import Elasticsearch

es = Elasticsearch("http://elasticsearch:9200")


def on_incident(ch, method, properties, body):
    incident = json.loads(body)
    hits = es.search(index="incidents", query={{"term": {{"fingerprint": incident["fingerprint"]}}}})
    {branch}
    ch.basic_ack(delivery_tag=method.delivery_tag)
'''


def _idem001(source: str):
    return [(f.line, f.confidence.label) for f in analyze(source.encode(), "h.py") if f.rule == "IDEM001"]


def test_a_search_guards_the_branch_that_creates_in_the_same_store():
    branch = ('if hits["hits"]["total"]["value"] == 0:\n'
              '        es.index(index="incidents", document=incident)')
    assert _idem001(SEARCH.format(branch=branch)) == []


def test_a_search_does_not_guard_the_found_branch_nor_a_write_elsewhere():
    found_branch = ('if hits["hits"]["total"]["value"] > 0:\n'
                    '        es.index(index="incidents", document=incident)')
    assert _idem001(SEARCH.format(branch=found_branch)) == [(13, "high")]
    other_store = ('if not hits["hits"]["hits"]:\n'
                   '        requests.post("https://pager.example.com", json=incident)')
    assert _idem001("import requests\n" + SEARCH.format(branch=other_store)) == [(14, "high")]


def test_a_found_branch_that_leaves_guards_the_rest():
    branch = ('if hits["hits"]["hits"]:\n'
              '        ch.basic_ack(delivery_tag=method.delivery_tag)\n'
              '        return\n'
              '    es.index(index="incidents", document=incident)')
    assert _idem001(SEARCH.format(branch=branch)) == []


REGISTRY = '''
import json
import boto3
import requests

sqs = boto3.client("sqs")
pending = {{}}


def drain():
    for message in sqs.receive_message(QueueUrl="q").get("Messages", []):
        result = json.loads(message["Body"])
        job_id = result["job_id"]
        try:
            job = pending[job_id]
        except KeyError:
            continue
        requests.post(job["callback"], json=result)
        {take}
        sqs.delete_message(QueueUrl="q", ReceiptHandle=message["ReceiptHandle"])
'''


def test_a_registry_entry_is_a_lookup_only_when_it_is_taken():
    assert _idem001(REGISTRY.format(take="pending.pop(job_id)")) == []
    assert _idem001(REGISTRY.format(take="del pending[job_id]")) == []
    assert _idem001(REGISTRY.format(take="pending.pop(result['other'])")) == [(18, "high")]
    assert _idem001(REGISTRY.format(take="pass")) == [(18, "high")]


MIXIN = '''
import redis


class CacheMixin:
    def __init__(self):
        self.__redis = redis.Redis()

    def cache_exists(self, key):
        return self.__redis.exists(key)

    def cache_set(self, key, value):
        self.__redis.set(key, value)
'''

WORKER = '''
import json
import pika
import requests
from app.cache import CacheMixin


class Relay(CacheMixin):
    def on_message(self, ch, method, properties, body):
        {key_line}
        if not self.cache_exists(key):
            requests.post("https://hooks.example.com", data=body)
            self.cache_set(key, "1")
        ch.basic_ack(delivery_tag=method.delivery_tag)
'''


def test_a_helper_of_a_project_base_class_is_a_lookup_under_the_message_key(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/cache.py": MIXIN,
                     "app/relay.py": WORKER.format(key_line="key = properties.message_id")})
    assert findings(tmp_path, "app/relay.py") == []


def test_the_same_helper_under_a_key_that_is_not_the_message_is_no_lookup(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/cache.py": MIXIN,
                     "app/relay.py": WORKER.format(key_line="key = json.loads(body)['host']")})
    assert [(f[2], f[3]) for f in findings(tmp_path, "app/relay.py")] == [("IDEM001", "high")]


def test_a_helper_that_takes_a_field_from_the_message_is_no_registry():
    """intelmq's sieve: `if action.key not in event: return` then `event.pop(action.key)`, in a helper
    that edits the message; the store is the message itself and the key a rule's field name."""
    source = '''
import json
import pika
import requests


def on_message(ch, method, properties, body):
    event = json.loads(body)
    strip(event, "raw")
    if "id" not in event:
        return
    event.pop("id")
    requests.post("https://hooks.example.com", json=event)
    ch.basic_ack(delivery_tag=method.delivery_tag)


def strip(event, key):
    if key not in event:
        return
    event.pop(key)
'''
    assert _idem001(source) == [(13, "high")]


@pytest.mark.parametrize("write, marker", [
    ('r.set(f"relayed:{order_id}", 1)', True),
    ('r.setex(f"relayed:{order_id}", 86400, 1)', True),
    ('r.set("orders:last_seen", order_id)', False),
    ('r.setex("orders:last_seen", 60, order_id)', False),
    ('r.hset("orders", "last", order_id)', False),
])
def test_a_redis_write_records_the_message_by_its_key_not_its_value(write, marker):
    """`r.set("orders:last_seen", order_id)` keeps one id, the newest: the id is the value written,
    not the key, so it is no record a redelivery could be looked up in."""
    from idemlint.analysis import detect, parse

    source = f'''
import json
import redis

r = redis.Redis()


def on_order(ch, method, properties, body):
    order = json.loads(body)
    order_id = order["order_id"]
    {write}
    ch.basic_ack(delivery_tag=method.delivery_tag)
'''
    facts = detect(parse(source.encode()), None, None)
    kinds = [e.kind for c in facts.consumers for e in c.events]
    assert ("marker" in kinds) is marker, kinds
