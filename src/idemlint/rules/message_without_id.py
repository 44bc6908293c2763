"""A published message carries no unique identifier that its consumers could deduplicate on."""

from __future__ import annotations

from typing import Iterator

from ..findings import Confidence
from ..model import ModuleFacts, Producer, RawFinding
from ..rule import Rule

HINTS = {
    "pika": "Set `properties=pika.BasicProperties(message_id=...)` from a stable business or event ID",
    "aio_pika": "Pass `message_id=` to `aio_pika.Message(...)`, derived from a stable event ID",
    "kombu": "Pass `message_id=` to `producer.publish(...)`, derived from a stable event ID",
    "sqs": "Add an `event_id` to the body or a `MessageDeduplicationId` (FIFO queues)",
    "azure_storage_queue": "Put an `event_id` in the content; the queue's own message `id` is new on every send",
    "sns": "Add an `event_id` to the message or a `MessageDeduplicationId` (FIFO topics)",
    "kinesis": "Put an `event_id` in the record's data; Kinesis keeps no id of the sender's",
    "firehose": "Put an `event_id` in the record's data; Firehose delivers each put as it came",
    "eventbridge": "Put an `event_id` in the event's `Detail`; EventBridge makes a new `EventId` on every put",
    "boto_sqs": "Add an `event_id` to the body or the `message_attributes` (boto 2 cannot send to FIFO queues)",
    "boto_sns": "Add an `event_id` to the message or its `message_attributes`",
    "pubsub": "Pass an id attribute (`event_id=...`) to `publish()`; Pub/Sub's own ID changes on retry",
    "servicebus": "Set `ServiceBusMessage(..., message_id=...)` so duplicate detection and consumers can use it",
    "nats": "Send a `Nats-Msg-Id` header so JetStream drops duplicates within its window",
    "redis_streams": "Put an `event_id` field in the entry, or use `idmp=` on Redis servers that support it",
    "redis_lists": "Put an `event_id` field in the pushed item, so the worker can skip one it has done",
    "pulsar": "Set `sequence_id=` (with a named producer) or an id property",
    "faststream": "Pass `message_id=` to `publish()`; FastStream otherwise makes up a new one per delivery",
}
DEFAULT_HINT = "Give each message a stable unique ID (a key, an id header or an `event_id` field)"


def confidence(producer: Producer) -> Confidence:
    """We saw the whole payload and it has no id (high), or the payload is built elsewhere, or the
    destination is a queue only by its name, or the client a producer only by its name, or a core NATS
    subject that a stream may or may not capture, or the publishing method is a guess at the
    receiver's class (low)."""
    return Confidence.HIGH if producer.payload_visible and not producer.unconfirmed_queue and not producer.by_name \
        and not producer.core_subject and not producer.guessed else Confidence.LOW


class MessageWithoutId(Rule):
    code = "IDEM003"
    name = "message-without-id"
    summary = "A published message carries no unique identifier that its consumers could deduplicate on."

    def check_producer(self, producer: Producer, module: ModuleFacts) -> Iterator[RawFinding]:
        if producer.has_id:
            return  # an id-bearing property, header, key or payload field is present
        if producer.constant_payload:
            return  # a fixed text (a ping, a wake-up): copies of it are indistinguishable and harmless
        if producer.operator_input:
            return  # what a person typed at a command-line tool: the id is theirs to give
        if producer.judged_by_callers:
            return  # each caller builds the message it passes, and is judged there
        if producer.device_push:
            return  # a notification to a device (a mobile push, an SMS): no consumer to drop a copy
        payload = ("the payload" if producer.payload_visible
                   else "the payload (filled in here from values built elsewhere)" if producer.payload_built_here
                   else "the payload (built elsewhere)")
        unsure = ("; a queue by its name only, nothing here pops it" if producer.unconfirmed_queue
                  else "; a message producer by its name only" if producer.by_name
                  else "; core NATS: stored and redelivered only if a JetStream stream captures the subject"
                  if producer.core_subject
                  else "; the publish is made by the method of a subclass the receiver is guessed to be"
                  if producer.guessed else "")
        yield RawFinding(
            node=producer.call,
            message=f"{producer.what} sends a message with no unique ID in its properties, headers or {payload}{unsure}",
            hint=HINTS.get(producer.library, DEFAULT_HINT),
            confidence=confidence(producer), symbol=producer.symbol,
            scope_node=producer.function.node.name if producer.function else None,
            evidence=producer.evidence,
        )
