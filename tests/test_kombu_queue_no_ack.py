"""kombu's `Consumer` takes a queue's `no_ack` when its own is None (`Consumer._basic_consume`):
a consumer of a `Queue(..., no_ack=True)` acks on delivery, however the queues are passed."""

from __future__ import annotations

import pytest

from harness import actual

LISTENER = '''
import requests
from kombu import Consumer, Exchange, Queue
from kombu.mixins import ConsumerMixin


class Listener(ConsumerMixin):
    def __init__(self, connection):
        self.connection = connection

    def get_consumers(self, Consumer, channel):
        queue = Queue("events", Exchange("events"), routing_key="info", no_ack=True)
        return [{make}]

    def on_message(self, body, message):
        requests.post("https://api.internal/events", json=body, timeout=10)
'''


@pytest.mark.parametrize("make, flagged", [
    # the mixin's factory, already bound to the channel: the queues come first
    ("Consumer([queue], callbacks=[self.on_message])", True),
    ("Consumer(queues=[queue], callbacks=[self.on_message])", True),
    # the consumer's own setting wins over the queue's
    ("Consumer([queue], callbacks=[self.on_message], no_ack=False)", False),
    # a queue that does not say so
    ("Consumer([Queue('other')], callbacks=[self.on_message])", False),
])
def test_a_consumer_of_a_no_ack_queue_acks_on_delivery(make, flagged):
    got = actual(LISTENER.replace("{make}", make), ["IDEM005"])
    assert bool(got) is flagged, got


def test_kombu_consumer_takes_its_queues_second():
    source = LISTENER.replace("def get_consumers(self, Consumer, channel):", "def consumers(self, channel):") \
        .replace("{make}", "Consumer(channel, [queue], callbacks=[self.on_message])")
    assert actual(source, ["IDEM005"])
