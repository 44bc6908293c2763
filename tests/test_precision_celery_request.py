"""A bound Celery task's `self.request` is its message: `self.request.id` is the task id, stable on redelivery."""

from __future__ import annotations

from harness import assert_matches as _check

# The fixtures of this change run with all the others in test_fixtures.py.


def test_shared_task_publish_with_request_id_through_a_local_is_silent():
    _check('''
import pika
from celery import shared_task


@shared_task(bind=True, acks_late=True)
def forward(self, order_ref):
    request = self.request
    channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()
    channel.basic_publish(exchange="orders", routing_key="closed", body=order_ref,
                          properties=pika.BasicProperties(message_id=request.id))
''')


def test_unbound_task_has_no_request_of_its_own():
    # without bind=True the first parameter is an argument, not the task (a name `self` included)
    _check('''
import pika
from celery import shared_task


@shared_task(acks_late=True)
def forward(self, order_ref):
    channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()
    channel.basic_publish(exchange="orders", routing_key="closed", body=order_ref,  # expect: IDEM001[medium]
                          properties=pika.BasicProperties(message_id=self.request.id))
''')


def test_self_request_of_a_consumer_class_is_not_a_task_id():
    # a pika consumer class whose `self.request` is an HTTP request of its own: not the message
    _check('''
import pika
import requests


class Forwarder:
    def __init__(self, request):
        self.request = request

    def on_message(self, ch, method, properties, body):
        ch.basic_publish(exchange="audit", routing_key="seen", body=body,  # expect: IDEM001[high]
                         properties=pika.BasicProperties(message_id=self.request.id))
        ch.basic_ack(delivery_tag=method.delivery_tag)
''')
