"""Queue and effect vocabulary of issue 14 (items 5-9): the cases the fixtures do not pin down."""

from __future__ import annotations

import textwrap

from harness import actual
from idemlint.findings import Confidence
from idemlint.gate import may_hold_units
from test_project import findings, write


def found(source: str):
    return actual(textwrap.dedent(source))


def test_lrem_without_a_move_into_that_list_is_no_ack():
    # a reaper's requeue and a wishlist removal: nothing here handles a message
    assert found('''
        import redis
        import requests

        r = redis.Redis()

        def reap():
            for raw in r.lrange("jobs:processing", 0, -1):
                r.lrem("jobs:processing", 1, raw)
                requests.post("https://ops.example.com/requeued", data=raw)

        def remove_item(user, sku):
            r.lrem(f"wishlist:{user}", 0, sku)
            requests.post("https://analytics.example.com/removed", json={"sku": sku})
    ''') == []


def test_lrem_in_an_ack_helper_is_the_ack_of_the_worker_that_moved():
    assert found('''
        import json
        import redis
        import requests

        r = redis.Redis()
        PROCESSING = "mail:processing"

        def ack_message(raw):
            r.lrem(PROCESSING, 1, raw)

        def work():
            while True:
                raw = r.blmove("mail:queue", PROCESSING, 0)
                requests.post("https://mail.example.com/send", json=json.loads(raw))
                ack_message(raw)
    ''') == [(15, "IDEM001", "medium")]


def test_push_to_an_unpopped_list_not_named_like_a_queue_is_data():
    assert found('''
        import json
        import redis

        r = redis.Redis()

        def remember(search):
            r.lpush("recent-searches", json.dumps({"q": search}))
    ''') == []


def test_gate_skips_lrem_without_a_move_and_keeps_a_push():
    assert not may_hold_units(b"import redis\nr = redis.Redis()\ndef f(u):\n    r.lrem('bookmarks', 0, u)\n")
    assert may_hold_units(b"import redis\nr = redis.Redis()\ndef f(j):\n    r.lpush('jobs', j)\n")


def test_search_index_on_a_string_or_a_list_is_no_effect():
    assert found('''
        import json
        import pika
        from elasticsearch import Elasticsearch

        def on_message(ch, method, properties, body):
            text = body.decode()
            start = text.index("{", 0)
            fields = json.loads(text[start:])
            ch.basic_ack(delivery_tag=method.delivery_tag)
    ''') == []


def test_a_helper_named_write_given_prose_is_no_sql():
    assert found('''
        import pika

        def on_message(ch, method, properties, body):
            write("Insert your card")
            ch.basic_ack(delivery_tag=method.delivery_tag)
    ''') == []


def test_azure_delete_message_with_pop_receipt_is_an_ack_without_the_import():
    assert found('''
        import requests

        def drain(queue_client):
            for msg in queue_client.receive_messages():
                requests.post("https://hooks.example.com", data=msg.content)
                queue_client.delete_message(msg.id, msg.pop_receipt)
    ''') == [(6, "IDEM001", "medium")]


def test_a_resolved_function_out_of_reach_that_only_computes_is_no_hand_off(tmp_path):
    write(tmp_path, {
        "svc/__init__.py": "",
        "svc/scoring.py": '''
            import json

            def score(text):
                data = json.loads(text)
                return round(sum(i["qty"] for i in data["items"]) * 1.5, 2)

            def forward(text):
                return publish_somewhere(text)
        ''',
        "svc/worker.py": '''
            import pika
            from .scoring import score, forward

            def on_message(ch, method, properties, body):
                total = score(body)
                forward(body)
                ch.basic_ack(delivery_tag=method.delivery_tag)
        ''',
    })
    assert findings(tmp_path, cache_dir=None, call_depth=0, min_confidence=Confidence.LOW) == [
        ("worker.py", 8, "IDEM001", "low",
         "`on_message` hands the message to `forward()` and acks without a visible dedup check"),
    ]


def test_a_declaration_is_no_hand_off_but_an_enqueue_named_like_one_is():
    assert found('''
        import pika

        def on_message(ch, method, properties, body):
            ch.queue_declare(queue=body.decode())
            declare_tenant_stream(body)
            add_to_queue(body)
            ch.basic_ack(delivery_tag=method.delivery_tag)
    ''') == [(8, "IDEM001", "low")]


def test_a_push_to_a_configured_key_named_queue_is_no_producer_without_a_pop():
    # intelmq's Redis output bot: `self.queue` is configuration, not evidence of a consumer
    assert found('''
        import redis

        class RedisOutput:
            def __init__(self, queue):
                self.queue = queue
                self.output = redis.Redis()

            def send(self, event):
                self.output.lpush(self.queue, event.to_json())
    ''') == []
