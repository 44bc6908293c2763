"""A project publish helper handed on inside a `functools.partial` (`self._retry.run(partial(
self._publish_event, event))`) runs with what the partial binds: the caller that builds the event
is judged there (`publishers._passed_on_calls`), as for `executor.submit(self._publish_event, event)`.
A caller whose event has an id passes."""

from __future__ import annotations

from harness import project_findings

EVENTS = '''
import json
from functools import partial

import pika


class Retry:
    def __init__(self, attempts: int = 3) -> None:
        self.attempts = attempts

    def run(self, fn):
        for attempt in range(self.attempts):
            try:
                return fn()
            except pika.exceptions.AMQPConnectionError:
                if attempt == self.attempts - 1:
                    raise


class OrderEvents:
    def __init__(self, channel) -> None:
        self._channel = channel
        self._retry = Retry()

    def _publish_event(self, event: dict) -> None:
        self._channel.basic_publish(exchange="orders", routing_key=event["kind"], body=json.dumps(event))

    def order_shipped(self, order_id: str, carrier: str) -> None:
        event = {"kind": "order.shipped", "order": order_id, "carrier": carrier}
        self._retry.run(partial(self._publish_event, event))
'''


def _scan(tmp_path, events=EVENTS):
    return project_findings(tmp_path, {"orders/__init__.py": "", "orders/events.py": events}, lines=True)


def test_caller_that_builds_the_event_given_through_a_partial_is_reported(tmp_path):
    assert ("events.py", "IDEM003", "high", 31) in _scan(tmp_path)


def test_event_with_an_id_given_through_a_partial_passes(tmp_path):
    events = EVENTS.replace('event = {"kind": "order.shipped",',
                            'event = {"event_id": f"shipped-{order_id}", "kind": "order.shipped",')
    assert events != EVENTS
    # (the helper keeps its own `low` finding: a reference in a partial is no call of it that
    # `callers_give_ids` reads)
    assert [f for f in _scan(tmp_path, events) if f[1] == "IDEM003" and f[3] == 31] == []
