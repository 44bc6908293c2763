"""A helper in another module that calls itself (`normalize(v)` for each nested value) is walked
once; its call of itself is no hand-off of the message to unseen code (`HandlerRun._recursive`). A
consumer that normalises with it, upserts and acks stays silent; one that inserts is still reported,
for the insert."""

from __future__ import annotations

from harness import project_findings

NORMALIZE = '''
def normalize(value):
    if isinstance(value, dict):
        return {str(k).strip().lower(): normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str):
        return value.strip()
    return value
'''

CONSUMER = '''
import json

import pika
import psycopg2

from inv.normalize import normalize

conn = psycopg2.connect("dbname=inventory")


def on_snapshot(ch, method, properties, body):
    snapshot = normalize(json.loads(body))
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO stock (sku, quantity, warehouse) VALUES (%s, %s, %s) "
            "ON CONFLICT (sku) DO UPDATE SET quantity = EXCLUDED.quantity, warehouse = EXCLUDED.warehouse",
            (snapshot["sku"], snapshot["quantity"], snapshot["warehouse"]),
        )
    conn.commit()
    ch.basic_ack(delivery_tag=method.delivery_tag)


def main():
    connection = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq"))
    channel = connection.channel()
    channel.basic_consume(queue="inventory.snapshots", on_message_callback=on_snapshot)
    channel.start_consuming()
'''


def _scan(tmp_path, consumer=CONSUMER):
    return project_findings(tmp_path, {"inv/__init__.py": "", "inv/normalize.py": NORMALIZE,
                                       "inv/consumer.py": consumer}, messages=True)


def test_recursive_helper_then_upsert_is_silent(tmp_path):
    assert _scan(tmp_path) == []


def test_recursive_helper_then_plain_insert_is_reported_for_the_insert(tmp_path):
    consumer = CONSUMER.replace(' "\n            "ON CONFLICT (sku) DO UPDATE SET quantity = EXCLUDED.quantity, '
                                'warehouse = EXCLUDED.warehouse",', '",')
    assert consumer != CONSUMER
    found = _scan(tmp_path, consumer)
    assert [(f[0], f[1]) for f in found] == [("consumer.py", "IDEM001")], found
    assert "INSERT" in found[0][3] and "normalize" not in found[0][3], found
