"""Core NATS publishes (`nc.publish` on a client from `nats.connect`): an id-less message is a low
IDEM003 (a stream that captures the subject stores it, twice when the publisher retries), except a
reply to a request's `msg.reply` inbox, also when the reply goes through project helpers."""

from __future__ import annotations

import textwrap
from pathlib import Path

from idemlint.api import lint_paths
from idemlint.config import Config

CLIENT = '''
import nats


class Bus:
    def __init__(self, servers):
        self.servers = servers
        self._nc = None

    async def connect(self):
        self._nc = await nats.connect(servers=self.servers)

    async def publish(self, subject, data):
        await self._nc.publish(subject, data)
'''

SERVICE = '''
import json

from app.bus import Bus


class Stock:
    def __init__(self, bus: Bus, levels):
        self.bus = bus
        self.levels = levels

    async def _respond(self, reply_to, response):
        await self.bus.publish(reply_to, json.dumps(response).encode())

    async def on_query(self, msg):
        sku = msg.data.decode()
        await self._respond(msg.reply, {"sku": sku, "on_hand": self.levels.get(sku, 0)})

    async def announce(self, sku):
        payload = {"sku": sku, "on_hand": self.levels.get(sku, 0)}
        await self.bus.publish("stock.changed", json.dumps(payload).encode())
'''


def _findings(tmp_path: Path):
    for name, text in {"app/__init__.py": "", "app/bus.py": CLIENT, "app/stock.py": SERVICE}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    config = Config(root=str(tmp_path), select=("IDEM003",), cache_dir=None)
    return lint_paths([str(tmp_path)], config).findings


def test_an_id_less_announcement_is_a_low_finding_where_it_is_built(tmp_path):
    found = {(f.symbol, f.confidence.label) for f in _findings(tmp_path)}
    assert ("Stock.announce", "low") in found


def test_a_reply_through_helpers_needs_no_id(tmp_path):
    symbols = {f.symbol for f in _findings(tmp_path)}
    assert "Stock.on_query" not in symbols
    assert "Stock._respond" not in symbols  # its one caller passes `msg.reply`
