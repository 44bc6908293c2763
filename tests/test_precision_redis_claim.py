"""IDEM002 on a Redis `SET NX` claim-check written before the effect: reported, and says why."""

from __future__ import annotations

from harness import FIXTURES
from idemlint.analysis import analyze

AIO_PIKA = FIXTURES / "aio_pika"


# The fixtures of this change run with all the others in test_fixtures.py.


def test_claim_before_http_names_the_lost_redelivery_not_a_transaction():
    source = (AIO_PIKA / "bad_redis_day_claim_before_webhook.py").read_bytes()
    [finding] = [f for f in analyze(source, "relay.py") if f.rule == "IDEM002"]
    assert "redelivery is skipped" in finding.message
    assert "transaction" not in finding.message
    assert "after the effect succeeds" in finding.hint


def test_database_marker_and_write_still_ask_for_one_transaction():
    source = b'''
import json

import pika

from shop.models import Order, ProcessedMessage


def on_order_placed(ch, method, properties, body):
    if ProcessedMessage.objects.filter(message_id=properties.message_id).exists():
        ch.basic_ack(delivery_tag=method.delivery_tag)
        return
    ProcessedMessage.objects.create(message_id=properties.message_id)
    Order.objects.create(number=json.loads(body)["number"])
    ch.basic_ack(delivery_tag=method.delivery_tag)


channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()
channel.basic_consume(queue="orders", on_message_callback=on_order_placed)
'''
    [finding] = [f for f in analyze(source, "orders.py") if f.rule == "IDEM002"]
    assert "not in one transaction" in finding.message
    assert "database transaction" in finding.hint


def test_released_claim_leaves_only_a_crash():
    source = (FIXTURES / "pika" / "bad_setnx_claim_released_on_failure.py").read_bytes()
    [finding] = [f for f in analyze(source, "labels.py") if f.rule == "IDEM002"]
    assert finding.confidence.label == "medium"
    assert "process dies" in finding.message
