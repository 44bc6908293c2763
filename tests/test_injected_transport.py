"""Constructor injection across modules (`origins.Origins._injected_broker`): a subsystem class that
publishes through the transport its constructor is given (`self._transport.publish(subject, {...})`)
and imports nothing near a broker is still scanned, because a module of its package constructs it
with a transport that reaches NATS; the payload it builds is judged at its call. The same for a
subsystem that subscribes through it with a callback (`self._transport.subscribe(subject,
_on_message)`): the transport's consume loop acks each message after the callback returns
(`analysis._callback_handlers`), so the callback is a consumer, and one that only starts an asyncio
task with the message has it acked before the work.
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

TRANSPORT = '''
import asyncio

import msgpack
import nats


class NatsTransport:
    def __init__(self, servers):
        self._servers = servers
        self._nc = None
        self._jetstream = None

    async def connect(self):
        self._nc = await nats.connect(servers=self._servers)
        self._jetstream = self._nc.jetstream()

    async def publish(self, subject, data):
        ack = await self._jetstream.publish(subject, msgpack.packb(data))
        return ack is not None

    async def subscribe(self, subject, callback):
        sub = await self._jetstream.subscribe(subject, durable="device")

        async def _consume_loop():
            async for msg in sub.messages:
                try:
                    data = msgpack.unpackb(msg.data)
                    if asyncio.iscoroutinefunction(callback):
                        await callback(data)
                    else:
                        callback(data)
                    await msg.ack()
                except Exception:
                    await msg.nak(delay=5)

        return asyncio.create_task(_consume_loop())
'''

EVENTS = '''
import time
import uuid


class EventManager:
    def __init__(self, transport):
        self._transport = transport

    async def send(self, name, data):
        return await self._transport.publish(f"events.{name}", {"value": data, "timestamp": int(time.time() * 1000)})

    async def send_once(self, name, data):
        return await self._transport.publish(f"events.{name}", {"event_id": str(uuid.uuid4()), "value": data})
'''

DEVICE = '''
from device.events import EventManager
from device.transport import NatsTransport


class Device:
    def __init__(self, servers, _test_transport=None):
        self._transport = _test_transport or NatsTransport(servers)
        self.events = EventManager(self._transport)
'''

UNRELATED = '''
class Mailer:
    def __init__(self, smtp):
        self._smtp = smtp

    def send(self, to, body):
        return self._smtp.send_message(to, body)
'''


def test_an_injected_transport_is_followed_from_the_subsystem(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"device/__init__.py": "", "device/transport.py": TRANSPORT,
                                        "device/events.py": EVENTS, "device/device.py": DEVICE}, lines=True)
    assert [(name, rule, confidence, line) for name, rule, confidence, line in found] == [
        ("events.py", "IDEM003", "high", 11)]  # `send_once` gives an id: the transport's finding is the callers'


def test_a_class_nobody_constructs_with_a_broker_stays_out(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"device/__init__.py": "", "device/mail.py": UNRELATED,
                                        "device/main.py": "from device.mail import Mailer\n\nMAILER = Mailer(None)\n"})
    assert found == []


COMMANDS = '''
import asyncio


class CommandManager:
    def __init__(self, transport, store):
        self._transport = transport
        self._store = store

    async def listen(self, name, callback):
        def _on_message(data):
            asyncio.create_task(callback(data))

        await self._transport.subscribe(f"commands.{name}", _on_message)

    async def track(self, name):
        def _on_state(data):
            self._store[data["device"]] = data["state"]

        await self._transport.subscribe(f"state.{name}", _on_state)
'''

DEVICE_WITH_COMMANDS = DEVICE.replace(
    "from device.events import EventManager",
    "from device.commands import CommandManager\nfrom device.events import EventManager",
).replace(
    "        self.events = EventManager(self._transport)",
    "        self.events = EventManager(self._transport)\n        self.commands = CommandManager(self._transport, {})",
)


def test_a_callback_given_to_the_transports_subscribe_is_a_consumer(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"device/__init__.py": "", "device/transport.py": TRANSPORT,
                                        "device/events.py": EVENTS, "device/commands.py": COMMANDS,
                                        "device/device.py": DEVICE_WITH_COMMANDS}, lines=True)
    assert [(name, rule, confidence, line) for name, rule, confidence, line in found if name == "commands.py"] == [
        ("commands.py", "IDEM004", "medium", 12)]
