"""Payloads serialised by a method of the message's own class, in another module (`facts.payload`):

- `env.to_json()` whose method copies `asdict(self)`, renames a key in the copy and dumps it: the
  copy holds every field of the dataclass, its id among them (`_given_keys`);
- a parameter annotated with the class and rebound through a fluent method of it (`msg =
  msg.with_routing_key(key)`, returning another `Message`) keeps its declared type, so
  `msg.to_dict()` is read (`ModuleIndex._resolve_name`);
- a parameter annotated with a type variable bound to the class (`BaseEvent = TypeVar("BaseEvent",
  bound=Event)`, in another module) is an object of that class (`callees._class_in`).
Each twin without the id field is still reported.
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

ENVELOPE = '''
import json
import uuid
from dataclasses import asdict, dataclass


@dataclass(slots=True)
class Envelope:
    {id_field}from_: str
    to: str
    body: str

    @classmethod
    def new(cls, from_, to, body):
        return cls({id_arg}from_=from_, to=to, body=body)

    def to_json(self) -> bytes:
        data = asdict(self)
        data["from"] = data.pop("from_")
        return json.dumps(data, separators=(",", ":")).encode("utf-8")
'''

PUBLISHER = '''
import nats

from mesh.envelope import Envelope


class Publisher:
    def __init__(self, servers):
        self._servers = servers
        self._js = None

    async def connect(self):
        nc = await nats.connect(self._servers)
        self._js = nc.jetstream()

    async def publish(self, env: Envelope) -> None:
        await self._js.publish(f"agent.outbox.{env.from_}", env.to_json())
'''

MESSAGE = '''
from uuid import uuid4


class Message:
    def __init__(self, contents, routing_key="", msg_id=None):
        self.contents = contents
        self.routing_key = routing_key
        self.msg_id = msg_id or uuid4()

    def with_routing_key(self, routing_key) -> "Message":
        return Message.of(self.contents, routing_key, self.msg_id)

    @staticmethod
    def of(contents, routing_key, msg_id):
        return Message(contents, routing_key, msg_id)

    def to_dict(self):
        return {{"routing_key": self.routing_key, "contents": self.contents{id_entry}}}
'''

TOPIC = '''
import json

import pika

from bus.core import Message


class Topic:
    def __init__(self, exchange):
        self.exchange = exchange
        self.channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()

    def broadcast(self, msg: Message, routing_key=None):
        msg = msg.with_routing_key(routing_key or msg.routing_key)
        self.channel.basic_publish(exchange=self.exchange, routing_key=msg.routing_key,
                                   body=json.dumps(msg.to_dict()))
'''


def _envelope(with_id: bool) -> str:
    return ENVELOPE.format(id_field="msg_id: str\n    " if with_id else "",
                           id_arg="msg_id=str(uuid.uuid4()), " if with_id else "")


def test_dataclass_copy_renamed_then_dumped_carries_the_id(tmp_path: Path):
    found = project_findings(tmp_path, {"mesh/__init__.py": "", "mesh/envelope.py": _envelope(True),
                                        "mesh/publisher.py": PUBLISHER})
    assert not [f for f in found if f[1] == "IDEM003"], found


def test_dataclass_copy_without_an_id_is_reported(tmp_path: Path):
    found = project_findings(tmp_path, {"mesh/__init__.py": "", "mesh/envelope.py": _envelope(False),
                                        "mesh/publisher.py": PUBLISHER})
    assert ("publisher.py", "IDEM003", "low") in found, found


def test_parameter_rebound_by_a_fluent_method_keeps_its_class(tmp_path: Path):
    found = project_findings(tmp_path, {"bus/__init__.py": "", "bus/core.py": MESSAGE.format(
        id_entry=', "msg_id": str(self.msg_id)'), "bus/topic.py": TOPIC})
    assert not [f for f in found if f[1] == "IDEM003"], found


def test_parameter_rebound_by_a_fluent_method_without_an_id_is_reported(tmp_path: Path):
    found = project_findings(tmp_path, {"bus/__init__.py": "", "bus/core.py": MESSAGE.format(id_entry=""),
                                        "bus/topic.py": TOPIC})
    assert [f for f in found if f[1] == "IDEM003" and f[0] == "topic.py"], found


EVENTS = '''
import json
import uuid


class Event:
    def __init__(self, event_name, {id_param}):
        self.event_name = event_name
        {id_line}


class EventJsonSerializer:
    @staticmethod
    def serialize(event):
        return json.dumps(vars(event))
'''

TYPES = '''
from typing import TypeVar

from svc.events import Event

BaseEvent = TypeVar("BaseEvent", bound=Event)
'''

SNS_PUBLISHER = '''
import boto3

from svc.events import EventJsonSerializer
from svc.types import BaseEvent


class TopicPublisher:
    def __init__(self, topic_arn):
        self.topic_arn = topic_arn
        self.sns = boto3.client("sns")

    def publish(self, event: BaseEvent):
        self.sns.publish(TopicArn=self.topic_arn, Message=EventJsonSerializer.serialize(event))
'''


def _typevar_project(with_id: bool) -> dict:
    events = EVENTS.format(id_param="event_id=None" if with_id else "source=None",
                           id_line="self.event_id = event_id or uuid.uuid4().hex" if with_id
                           else "self.source = source")
    return {"svc/__init__.py": "", "svc/events.py": events, "svc/types.py": TYPES, "svc/publisher.py": SNS_PUBLISHER}


def test_parameter_annotated_with_a_bound_type_variable_is_an_object_of_its_bound(tmp_path: Path):
    # `event: BaseEvent`, where `BaseEvent = TypeVar("BaseEvent", bound=Event)` in another module: the
    # event is an `Event`, whose `event_id` the serialised payload carries
    assert project_findings(tmp_path, _typevar_project(with_id=True)) == []


def test_bound_type_variable_of_a_class_without_an_id_is_reported(tmp_path: Path):
    assert project_findings(tmp_path, _typevar_project(with_id=False)) == [("publisher.py", "IDEM003", "low")]
