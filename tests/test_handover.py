"""Acked, then passed on (issue 13): a consumer that acks its messages before anything is done with
them and then returns them to its caller, or gives them to code idemlint cannot see (`facts.handover`)."""

from __future__ import annotations

import pytest

from harness import actual

SQS = '''
import boto3
import requests

from airflow.utils import store

URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
sqs = boto3.client("sqs")


def fetch(ctx):
    response = sqs.receive_message(QueueUrl=URL, MaxNumberOfMessages=10)
    messages = response.get("Messages", [])
    batch = []
    batch.extend(messages)
    {before}
    sqs.delete_message_batch(QueueUrl=URL, Entries=[{{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]}} for m in messages])
    {after}
'''


def idem004(before: str = "pass", after: str = "pass") -> list:
    source = SQS.format(before=before, after=after)
    return [(line, conf) for line, code, conf in actual(source) if code == "IDEM004"]


@pytest.mark.parametrize("after, expected", [
    ("return messages", [(17, "medium")]),
    ("return batch", [(17, "medium")]),
    ("return list(messages)", [(17, "medium")]),
    ("return {'status': 'success', 'messages': batch}", [(17, "medium")]),
    ("store.save(ctx, batch)", [(17, "low")]),
    ("ctx['ti'].xcom_push(key='messages', value=batch)", [(17, "low")]),
], ids=["returned", "collected-then-returned", "copied-then-returned", "in-a-dict", "unseen-function",
        "unseen-method"])
def test_acked_then_passed_on(after, expected):
    assert idem004(after=after) == expected


@pytest.mark.parametrize("before, after", [
    ("pass", "return len(messages)"),  # a count, not the messages
    ("pass", "return [m['MessageId'] for m in summarise(messages)]"),  # computed by a call
    ("pass", "log.info('deleted %s', batch)"),  # a logger
    ("pass", "return True"),
    ("requests.post('https://hooks.internal/jobs', json=batch, timeout=5)", "return batch"),  # worked on first
    ("store.save(ctx, batch)", "return batch"),  # handed to unseen code first: its result, not the ack, comes last
], ids=["count", "computed", "logged", "constant", "work-before-the-ack", "handoff-before-the-ack"])
def test_silent(before, after):
    assert idem004(before, after) == []


def test_a_branch_that_does_not_ack_hands_nothing_over():
    source = SQS.replace('    sqs.delete_message_batch', '    if ctx:\n        return messages\n    sqs.delete_message_batch')
    source = source.format(before="pass", after="pass")
    assert [c for _, c, _ in actual(source) if c == "IDEM004"] == []


def test_a_generator_is_left_to_its_yields():
    source = SQS.format(before="pass", after="yield from batch")
    assert [(line, conf) for line, code, conf in actual(source) if code == "IDEM004"] == []


def test_a_test_asserting_on_a_double_hands_nothing_over():
    source = '''
import pika


def test_basic_ack(channel, qos):
    delivery_tag = 7
    channel.basic_ack(delivery_tag=delivery_tag)
    qos.ack.assert_called_with(delivery_tag)
'''
    assert [c for _, c, _ in actual(source) if c == "IDEM004"] == []
