"""A publish helper whose callers give the message its id (project mode): one call at least passes a
payload with an id field and every other one builds the payload it passes, so IDEM003 judges each
call where the message is built (`publishers.through_helper`), and the helper's own "built
elsewhere" finding would only say again what the callers' say. When no call gives an id, or one
passes on a payload built further away, the helper is where the id is missing: its finding stays."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness import project_findings
from idemlint.cli import main

TRANSPORT = '''import json

import pika


class EventBus:
    def __init__(self):
        self.channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()

    def publish(self, routing_key, event):
        self.channel.basic_publish(
            exchange="events",
            routing_key=routing_key,
            body=json.dumps(event),
            properties=pika.BasicProperties(delivery_mode=2, content_type="application/json"),
        )
'''

PLACED = '''

def order_placed(order):
    bus.publish("order.placed", {"event_id": str(uuid.uuid4()), "order_id": order.id, "total": order.total})
'''

STOCK_LOW = '''

def stock_low(sku, level):
    bus.publish("stock.low", {"sku": sku, "level": level})
'''

RELAY = '''

def relay(event):
    bus.publish("audit.copy", event)
'''


def _orders(*bodies: str) -> str:
    return "import uuid\n\nfrom shop.transport import EventBus\n\nbus = EventBus()\n" + "".join(bodies)


def _scan(tmp_path: Path, orders: str) -> list:
    return project_findings(tmp_path, {"shop/__init__.py": "", "shop/transport.py": TRANSPORT,
                                       "shop/orders.py": orders}, lines=True)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_callers_that_give_the_id_take_the_finding_from_the_helper(tmp_path: Path):
    orders = _orders(PLACED, STOCK_LOW)
    # `order_placed` puts an `event_id` in; `stock_low` builds an id-less event, reported at its call
    assert _scan(tmp_path, orders) == [("orders.py", "IDEM003", "high", _line(orders, '"stock.low"'))]


def test_no_caller_giving_an_id_leaves_the_finding_at_the_helper(tmp_path: Path):
    orders = _orders(STOCK_LOW)
    assert _scan(tmp_path, orders) == [("orders.py", "IDEM003", "high", _line(orders, '"stock.low"')),
                                       ("transport.py", "IDEM003", "low", _line(TRANSPORT, "basic_publish("))]


def test_a_caller_passing_on_a_payload_built_elsewhere_leaves_the_finding_at_the_helper(tmp_path: Path):
    orders = _orders(PLACED, RELAY)
    # `relay` publishes what it is given: nobody here builds that event, the helper keeps its finding
    assert _scan(tmp_path, orders) == [("transport.py", "IDEM003", "low", _line(TRANSPORT, "basic_publish("))]


def test_the_inventory_says_the_callers_are_judged(tmp_path: Path, monkeypatch):
    _scan(tmp_path, _orders(PLACED, STOCK_LOW))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["consumers", ".", "--format", "json"])
    helper = next(p for p in json.loads(result.output)["producers"] if p["symbol"] == "EventBus.publish")
    assert helper["identification"] == "built by each caller, judged at its call"
    assert helper["findings"] == [] and not helper["identified"]
    assert any("judged at that call (1)" in e for e in helper["evidence"])
