"""A publish counts as carrying the incoming message's id only through a real id slot."""

from __future__ import annotations

import libcst as cst
import pytest

from harness import compare
from idemlint.detect.base import Ctx
from idemlint.facts.identity import is_id_field, is_id_name
from idemlint.facts.payload import carries_id, id_values
from idemlint.index import ModuleIndex

# The fixtures of this change run with all the others in test_fixtures.py.


def _expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _ctx() -> Ctx:
    return Ctx(ModuleIndex(cst.parse_module("")), None)


@pytest.mark.parametrize("text, slots", [
    ("pika.BasicProperties(reply_to=props.reply_to)", []),
    ("pika.BasicProperties(app_id='svc', headers={'x-tenant': props.headers['x-tenant']})", []),
    ("pika.BasicProperties(message_id=props.message_id, reply_to=props.reply_to)", ["props.message_id"]),
    ("pika.BasicProperties(correlation_id=props.correlation_id)", ["props.correlation_id"]),
    ("pika.BasicProperties(headers={'x-idempotency-key': key, 'x-tenant': t})", ["key"]),
    ("[('event_id', eid), ('trace', t)]", ["eid"]),
    ("msg.message_id", ["msg.message_id"]),
])
def test_id_values_are_the_id_slots_only(text, slots):
    module = cst.Module([])
    assert [module.code_for_node(v) for v in id_values(_expr(text), _ctx())] == slots


@pytest.mark.parametrize("name", ["app_id", "cluster_id", "x-tenant-id", "X-User-Id", "x-correlation-id"])
def test_sender_and_grouping_names_are_not_ids(name):
    assert not is_id_name(name)
    assert not is_id_field(name)


@pytest.mark.parametrize("name", ["x-request-id", "X-Idempotency-Key", "message_id", "Nats-Msg-Id"])
def test_id_headers_stay_ids(name):
    assert is_id_field(name)


def test_app_id_alone_is_not_an_id_property():
    assert carries_id(_expr("pika.BasicProperties(app_id='billing', reply_to=props.reply_to)"), _ctx()) is False


def test_id_read_into_a_variable_still_counts_and_a_fresh_one_does_not():
    missed, unexpected = compare('''
import json
import uuid

import pika
from celery import Celery

app = Celery("shop", broker="amqp://guest:guest@rabbitmq//")
channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()


@app.task(bind=True, acks_late=True)
def forward(self, sku):
    task_id = self.request.id
    channel.basic_publish(exchange="stock", routing_key="reserve", body=json.dumps({"sku": sku}),
                          properties=pika.BasicProperties(message_id=f"reserve-{task_id}"))


@app.task(bind=True, acks_late=True)
def forward_fresh(self, sku):
    event_id = str(uuid.uuid4())
    channel.basic_publish(  # expect: IDEM001[medium]
        exchange="stock", routing_key="reserve", body=json.dumps({"sku": sku}),
        properties=pika.BasicProperties(message_id=event_id))
''')
    assert not missed and not unexpected, f"missed: {missed}\nunexpected: {unexpected}"
