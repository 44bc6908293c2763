"""IDEM001/IDEM002: an effect counts only after the acked message was received (`facts/received.py`).

The receive of the message an ack settles is where the acked object was bound, traced back through
the bindings that only reshape it; the fixtures of this change (`decoy_*roundtrip*`,
`decoy_smoke_test_publish_then_get.py`, `bad_get_loop_charge_then_ack.py`,
`bad_simplequeue_get_then_post.py`) run with the others in test_fixtures.py.
"""

from __future__ import annotations

from harness import assert_matches as _check


def test_publish_before_an_unrecognised_get_is_not_handling():
    _check('''
import aio_pika


async def roundtrip(channel, queue):
    await channel.default_exchange.publish(aio_pika.Message(b"ping", message_id="p1"), routing_key="q")
    incoming = await queue.get(timeout=5)
    await incoming.ack()
''')


def test_effect_between_the_get_and_the_ack_of_a_reshaped_message_is_flagged():
    # `delivery = incoming` only renames what `queue.get()` fetched: the receive is the get
    _check('''
import aio_pika
import stripe


async def work(queue):
    incoming = await queue.get(timeout=5)
    stripe.Refund.create(payment_intent=incoming.headers["pi"])  # expect: IDEM001[high]
    delivery = incoming
    await delivery.ack()
''')


def test_a_wrapper_built_from_the_fetched_message_keeps_its_receive():
    # `Envelope(raw)` is given the message: it is the message reshaped, not a new fetch
    _check('''
import requests

from app.bus import Envelope, ack


def work(queue):
    raw = queue.get(timeout=5)
    requests.post("https://partner.example.com/hooks", data=raw.body, timeout=5)  # expect: IDEM001[medium]
    envelope = Envelope(raw)
    ack(envelope)
''')


def test_acks_of_tags_kept_on_self_do_not_move_the_receive():
    # the tags come from earlier callbacks (kept on `self`): not known where, so not a new receive
    _check('''
import pika
import requests


class Batcher:
    def on_message(self, ch, method, properties, body):
        self.pending.append(method.delivery_tag)
        self.bodies.append(body)
        if len(self.pending) >= 100:
            requests.post("https://bulk.example.com/load", data=b"".join(self.bodies), timeout=30)  # expect: IDEM001[high]
            for tag in self.pending:
                ch.basic_ack(delivery_tag=tag)
''')


def test_a_loop_over_a_fetched_batch_receives_at_the_loop():
    # `for m in batch` iterates what an unrecognised call fetched: the notice before it handles none
    _check('''
import requests
from kombu import Connection


def drain(conn: Connection):
    bus = conn.SimpleBuffer("hooks")
    batch = bus.take(10)
    requests.post("https://status.example.com/draining", json={"n": 10}, timeout=5)
    for m in batch:
        requests.post("https://partner.example.com/hooks", data=m.body, timeout=5)  # expect: IDEM001[high]
        m.ack()
''')
