"""Constructor injection across modules (`origins.Origins._injected_broker`): a subsystem class that
publishes through the transport its constructor is given (`self._transport.publish(subject, {...})`)
and imports nothing near a broker is still scanned, because a module of its package constructs it
with a transport that reaches NATS; the payload it builds is judged at its call.
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

TRANSPORT = '''
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
        ("events.py", "IDEM003", "high", 11), ("transport.py", "IDEM003", "low", 17)]


def test_a_class_nobody_constructs_with_a_broker_stays_out(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"device/__init__.py": "", "device/mail.py": UNRELATED,
                                        "device/main.py": "from device.mail import Mailer\n\nMAILER = Mailer(None)\n"})
    assert found == []
