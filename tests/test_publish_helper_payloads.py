"""Payloads handed to a project publish helper are judged where they are built (project mode): a
helper whose properties carry only a priority gives the message no id, whatever priority a caller
passes; a payload bound to a dict display in each branch carries the keys every branch writes; a
text a formatter method writes (`str.format`, `%`) is built there, with the ids it formats in."""

from __future__ import annotations

from pathlib import Path

from harness import FIXTURES, project_findings


def _lines(tmp_path: Path, name: str, folder: str = "pika") -> list:
    source = (FIXTURES / folder / name).read_text(encoding="utf-8")
    found = project_findings(tmp_path, {name: source}, lines=True)
    return sorted((line, rule, confidence) for _, rule, confidence, line in found)


def _line_of(name: str, text: str, nth: int = 0, folder: str = "pika") -> int:
    """The line of the `nth` line of the fixture that holds `text`."""
    lines = (FIXTURES / folder / name).read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, 1) if text in line][nth]


def test_a_priority_property_is_no_id_and_the_caller_is_told(tmp_path: Path):
    found = _lines(tmp_path, "bad_publish_helper_priority_property_no_id.py")
    # `schedule()` builds an id-less request; `schedule_with_id()` puts a request_id in the body: the
    # callers give the message its id, each is judged at its call, and the helper's own publish (built
    # elsewhere) is not reported again
    name = "bad_publish_helper_priority_property_no_id.py"
    assert found == [(_line_of(name, "self.queue.publish(json.dumps(request), priority=priority)"), "IDEM003", "high")]


def test_a_payload_built_in_branches_has_the_keys_of_every_branch(tmp_path: Path):
    found = _lines(tmp_path, "bad_publish_payload_dict_per_branch.py")
    # `enqueue()`: no branch writes an id (filled in after: low); `enqueue_tracked()`: both do (and
    # so the helper's publish, judged at its callers, is not reported)
    name = "bad_publish_payload_dict_per_branch.py"
    assert found == [(_line_of(name, "    send(json.dumps(request))"), "IDEM003", "low")]


def test_a_method_only_subclasses_of_the_declared_class_define_is_followed(tmp_path: Path):
    name = "bad_task_publishes_through_provider_subclass.py"
    found = _lines(tmp_path, name, "sqs")
    # `provider: Provider` declares a base without `publish_message`; the SQS subclass defines it:
    # `delay()` builds an id-less task message (low: the subclass is a guess), `delay_tracked()` a
    # `task_id`; the provider's own publish of a payload built elsewhere is judged at those calls
    assert found == [(_line_of(name, "self.provider.publish_message(message)", folder="sqs"), "IDEM003", "low")]


def test_a_text_a_formatter_method_writes_is_built_there(tmp_path: Path):
    name = "bad_alert_text_built_by_formatter_method.py"
    found = _lines(tmp_path, name, "sqs")
    # `job_failed` (`str.format`) and `job_succeeded` (`%`) give the helper texts with no id;
    # `job_retried`'s text formats the alert's id in (the helper's own publish: judged at its calls)
    assert found == [(_line_of(name, 'notifier.send("Job failed"', folder="sqs"), "IDEM003", "low"),
                     (_line_of(name, 'notifier.send("Job finished"', folder="sqs"), "IDEM003", "low")]


def test_a_helper_run_in_the_background_is_judged_at_the_record_built_with_a_spread(tmp_path: Path):
    name = "bad_audit_helper_run_in_background_spread_context.py"
    found = _lines(tmp_path, name, "confluent_kafka")
    # `send_error_event()` hands `cls._send_event` to `_run_in_background()`; `_send_event` produces on
    # `cls._producer`, set by the `initialize()` classmethod. `audit_error()` builds its record here
    # (the request context spread in): no id, told at its call. `audit_change()` gives an `audit_id`;
    # `forward()` spreads in the record it was given: not judged there
    assert found == [(_line_of(name, "cls._producer.produce(", folder="confluent_kafka"), "IDEM003", "low"),
                     (_line_of(name, "AuditProducer.send_error_event(record)", folder="confluent_kafka"),
                      "IDEM003", "low")]


def test_a_builder_dict_filled_in_under_keys_out_of_view_is_judged_where_it_is_filled(tmp_path: Path):
    name = "bad_life_sign_built_then_filled_by_caller_keys.py"
    found = _lines(tmp_path, name, "stomp")
    # `status = self._status()` (a dict display with no id), then `status[key] = variables[key]`: built
    # in `send_life_sign()`, not all in view (low there); `send_event()` gives an `event_id`: the
    # callers give the message its id, each judged at its call, and the transport says nothing more
    assert found == [(_line_of(name, 'self.send_message("/topic/lifesign", json.dumps(status))', folder="stomp"),
                      "IDEM003", "low")]


ALERTS = '''import boto3


class StockNotifier:
    def __init__(self, topic_arn):
        self.client = boto3.client("sns")
        self.topic_arn = topic_arn

    def send_low_stock_alert(self, site_id, material, stock, threshold):
        subject = f"Low stock alert: {material}"
        message = (
            f"Site {site_id}: {material} stock is {stock}, "
            f"below the threshold of {threshold}."
        )
        return self._publish(subject, message)

    def send_stock_event(self, event_id, site_id, material):
        return self._publish("Stock event", f"[{event_id}] Site {site_id}: {material} moved")

    def _publish(self, subject, message):
        response = self.client.publish(TopicArn=self.topic_arn, Subject=subject, Message=message)
        return response.get("MessageId")
'''


def test_an_entity_id_in_an_alert_text_is_no_id_of_the_alert(tmp_path: Path):
    # `send_low_stock_alert` writes its text in two f-strings one after the other (not a constant),
    # and `site_id` names the site every alert about it names; `send_stock_event`'s text starts with
    # the id of the event it reports, which a subscriber can drop a repeat by (the helper's publish is
    # judged at those two calls)
    found = sorted((line, rule, confidence)
                   for _, rule, confidence, line in project_findings(tmp_path, {"alerts.py": ALERTS}, lines=True))
    lines = ALERTS.splitlines()
    assert found == [(lines.index("        return self._publish(subject, message)") + 1, "IDEM003", "low")]


TASKS = '''from tasks.providers import Provider


class Task:
    def __init__(self, provider: Provider, name: str):
        self.provider = provider
        self.name = name

    def delay(self, *args, **kwargs):
        message = {"task": self.name, "args": args, "kwargs": kwargs}
        self.provider.publish_message(message)
'''

PROVIDERS = '''class Provider:
    def run(self, topic, func):
        raise NotImplementedError
'''

SQS_PROVIDER = '''import json

import boto3

from tasks.providers import Provider


class SQSProvider(Provider):
    def __init__(self, queue_url):
        self.sqs = boto3.client("sqs")
        self.queue_url = queue_url

    def publish_message(self, data):
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(data))
'''


def test_a_module_given_a_provider_declared_by_its_base_class_is_read(tmp_path: Path):
    # `tasks/core.py` imports only the base `Provider` (no broker word, nothing constructs `Task` in
    # the project): its parameter's declared class has a subclass beside boto3, so it is read, and
    # `delay()` is told it builds an id-less task message
    found = project_findings(tmp_path, {"tasks/__init__.py": "", "tasks/core.py": TASKS,
                                        "tasks/providers/__init__.py": PROVIDERS,
                                        "tasks/providers/sqs.py": SQS_PROVIDER}, lines=True)
    assert ("core.py", "IDEM003", "low", 11) in found
    assert ("sqs.py", "IDEM003", "low", 14) in found


FACTORY_MODULE = '''import uuid
from dataclasses import dataclass, field
from typing import Any, List


@dataclass
class FlowMessage:
    id: str
    request_id: str
    sender: str
    kind: str
    reply_to: str = ""
    extension: Any = None
    proxies: List[str] = field(default_factory=list)


@dataclass
class JobStatus:
    job: str
    state: str


def new_message(sender, kind):
    message = FlowMessage(id=f"flow-msg:{uuid.uuid1()}", request_id=f"flow-request:{uuid.uuid1()}",
                          sender=sender, kind=kind)
    return message


def job_status(job: str, state: str) -> JobStatus:
    return JobStatus(job=job, state=state)
'''

FACTORY_CLIENT = '''import json
import uuid
from dataclasses import asdict

import pika

from flow.operators import job_status, new_message

channel = pika.BlockingConnection(pika.ConnectionParameters("rabbitmq")).channel()


def execute_task(client_name, orchestrator_queue, task_id, task_input):
    request = new_message(client_name, "task-execute-request")
    request.reply_to = f"task-execute-response-{uuid.uuid1()}"
    request.extension = {"task_id": task_id, "input": task_input}
    channel.basic_publish(exchange="", routing_key=orchestrator_queue, body=json.dumps(asdict(request)))


def report(job, state):
    status = job_status(job, state)
    channel.basic_publish(exchange="jobs", routing_key="job.status", body=json.dumps(asdict(status)))
'''


def test_an_object_a_factory_of_another_module_makes_has_the_fields_of_its_class(tmp_path: Path):
    # `new_message` (no annotation) returns a `FlowMessage`, which declares `id`: the request carries
    # it; `job_status` is annotated `-> JobStatus`, which has no id field: that status is reported
    found = project_findings(tmp_path, {"flow/__init__.py": "", "flow/operators.py": FACTORY_MODULE,
                                        "flow/client.py": FACTORY_CLIENT}, lines=True)
    line = FACTORY_CLIENT.splitlines().index(
        '    channel.basic_publish(exchange="jobs", routing_key="job.status", body=json.dumps(asdict(status)))') + 1
    assert found == [("client.py", "IDEM003", "low", line)]


SNAPSHOT_EVENTS = '''from typing import Any, Dict, Optional
from uuid import uuid4


class DomainEvent:
    def __init__(self, routing_key: str, data: Dict[str, Any], uuid_string: Optional[str] = None) -> None:
        self.routing_key = routing_key
        self.data = data
        self.uuid_string = uuid_string
        if uuid_string is None:
            self.uuid_string = str(uuid4())
        event_data = self.__dict__.copy()
        self.event_data = event_data
'''

SNAPSHOT_TRANSPORT = '''import json

import pika

from .events import DomainEvent


def publish_domain_event(routing_key, data, connection_settings="amqp://rabbitmq"):
    event = DomainEvent(routing_key=routing_key, data=data)
    json_data = json.dumps(event.event_data)
    publisher = Publisher(connection_settings)
    publisher.publish(json_data, event.routing_key)
    publisher.disconnect()
    return event


class Publisher:
    def __init__(self, url):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()

    def publish(self, message, routing_key=None):
        self.channel.basic_publish(exchange="domain-events", routing_key=routing_key, body=message,
                                   properties=pika.BasicProperties(delivery_mode=2))

    def disconnect(self):
        self.connection.close()
'''


def test_a_helper_whose_every_caller_passes_an_id_unseen_in_the_calls_text_is_silent(tmp_path: Path):
    # the one call, `publisher.publish(json_data, event.routing_key)`, shows no id in its text: the
    # payload is the snapshot `DomainEvent` takes of itself (`self.__dict__.copy()`), `uuid_string` in it
    found = project_findings(tmp_path, {"events_pkg/__init__.py": "", "events_pkg/events.py": SNAPSHOT_EVENTS,
                                        "events_pkg/transport.py": SNAPSHOT_TRANSPORT}, lines=True)
    assert found == []
    # without the id, the helper is where it is missing (its own publish of a payload built elsewhere)
    no_id = SNAPSHOT_EVENTS.replace("        self.uuid_string = uuid_string\n        if uuid_string is None:\n"
                                    "            self.uuid_string = str(uuid4())\n", "")
    found = project_findings(tmp_path / "no_id", {"events_pkg/__init__.py": "", "events_pkg/events.py": no_id,
                                                  "events_pkg/transport.py": SNAPSHOT_TRANSPORT}, lines=True)
    line = SNAPSHOT_TRANSPORT.splitlines().index(
        '        self.channel.basic_publish(exchange="domain-events", routing_key=routing_key, body=message,') + 1
    assert found == [("transport.py", "IDEM003", "low", line)]


def test_a_dead_letter_copy_made_by_a_helper_carries_the_acked_entry_id(tmp_path: Path):
    # the reaper hands `publish_json` a dict whose `original_id` is the id its XACK settles: the
    # helper's publish is a forward (no IDEM001), and its one caller gives the message its id (no IDEM003)
    assert _lines(tmp_path, "good_dead_letter_copy_carries_acked_entry_id.py", "redis_streams") == []


MARSHAL_FIELDS = '''from flask_restful import fields

waiver_fields = {
    "id": fields.Integer,
    "testcase": fields.String,
    "waived": fields.Boolean,
}

comment_fields = {
    "testcase": fields.String,
    "comment": fields.String,
}
'''

MARSHAL_EVENTS = '''import json

import stomp
from flask_restful import marshal

from waivers.fields import comment_fields, waiver_fields


def announce(conn: stomp.Connection, row, destination):
    conn.send(body=json.dumps(marshal(row, waiver_fields)), destination=destination)


def comment(conn: stomp.Connection, row, destination):
    conn.send(body=json.dumps(marshal(row, comment_fields)), destination=destination)
'''


def test_a_marshalled_row_has_the_keys_of_a_fields_mapping_of_another_module(tmp_path: Path):
    # `marshal(row, waiver_fields)`: the keys of the mapping `waivers.fields` binds, `id` among them;
    # `comment_fields` has none, and the payload is all in view (high)
    found = project_findings(tmp_path, {"waivers/__init__.py": "", "waivers/fields.py": MARSHAL_FIELDS,
                                        "waivers/events.py": MARSHAL_EVENTS}, lines=True)
    line = MARSHAL_EVENTS.splitlines().index(
        "    conn.send(body=json.dumps(marshal(row, comment_fields)), destination=destination)") + 1
    assert found == [("events.py", "IDEM003", "high", line)]
