"""boto 2 (the legacy `boto` package, not boto3) SQS and SNS.

- SQS queue: `conn = boto.sqs.connect_to_region(region)` (or `boto.connect_sqs()`), `queue =
  conn.get_queue(name)` (`create_queue`, `lookup`); a send is `queue.write(message)` of a
  `boto.sqs.message.Message(body=...)` (also `RawMessage`, `MHMessage`, `JSONMessage`, or
  `queue.new_message(body)`), whose body `message.set_body(body)` may set; or
  `conn.send_message(queue, body, message_attributes=...)`. SQS in boto 2 has no FIFO queues: a
  message carries an id only in its body or its `message_attributes`.
- SQS ack: `queue.delete_message(message)`, `queue.delete_message_batch(messages)`,
  `conn.delete_message(queue, message)` or `message.delete()` of a message received with
  `queue.get_messages()` / `queue.read()`.
- SNS: `boto.connect_sns()` / `boto.sns.connect_to_region(region)` then
  `publish(topic=None, message=None, subject=None, target_arn=None, message_structure=None,
  message_attributes=None)`.
"""

from __future__ import annotations

from typing import Optional, Tuple

from ..lazyimport import cst  # not loaded before first use

from ..index import kwarg, positional, walk
from ..model import STRONG
from ..lazyre import lazy_re
from .base import AckSite, Adapter, Ctx, ProduceSite, receiver

ROOTS = ("boto",)
MESSAGE_CLASSES = ("Message", "RawMessage", "MHMessage", "EncodedMHMessage", "JSONMessage")
# origins (`index.resolve` spells a call `name()`, or `name(first-string-argument)`): a boto 2 SQS
# connection, one of its queues, a message made or received; an SNS connection
_CALL = r"\([^()]*\)"
_SQS_CONNECT = r"boto\.(connect_sqs|sqs\.connect_to_region|sqs\.connection\.SQSConnection|sqs\.SQSConnection)" + _CALL
_QUEUE = _SQS_CONNECT + r"\.(get_queue|create_queue|lookup)" + _CALL
_SQS_CONNECTION = lazy_re("^" + _SQS_CONNECT + "$")
_SQS_QUEUE = lazy_re("^" + _QUEUE + r"(\[\])?$")
_SQS_MESSAGE = lazy_re(r"^boto\.sqs\.(message|jsonmessage)\.(" + "|".join(MESSAGE_CLASSES) + ")" + _CALL + "$|^"
                       + _QUEUE + r"\.new_message" + _CALL + "$")
_RECEIVED = lazy_re("^" + _QUEUE + r"\.(get_messages" + _CALL + r"\[\]|read" + _CALL + ")$")
_SNS_CONNECTION = lazy_re(r"^boto\.(connect_sns|sns\.connect_to_region|sns\.connection\.SNSConnection"
                          r"|sns\.SNSConnection)" + _CALL + "$")


class Boto2Adapter(Adapter):
    library = "boto_sqs"
    roots = ROOTS
    tokens = ("boto",)
    # every call needs the module to name `boto` (an import of it, or of `boto.sqs` / `boto.sns`)
    gate_needs = {name: ("boto",) for name in ("write", "send_message", "publish", "delete_message",
                                                "delete_message_batch", "delete")}
    ack_names = frozenset(["delete_message", "delete_message_batch", "delete"])
    produce_names = frozenset(["write", "send_message", "publish"])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not isinstance(call.func, cst.Attribute) or not ctx.imports(*ROOTS):
            return None
        name = call.func.attr.value
        origin = ctx.origin(receiver(call)) or ""
        if name in ("delete_message", "delete_message_batch"):
            if _SQS_QUEUE.match(origin) and call.args:
                return AckSite("boto_sqs", STRONG, f"boto SQS `queue.{name}(...)`")
            if _SQS_CONNECTION.match(origin) and len(call.args) >= 2:
                return AckSite("boto_sqs", STRONG, f"boto SQS `connection.{name}(queue, ...)`")
        if name == "delete" and not call.args and _RECEIVED.match(origin):
            return AckSite("boto_sqs", STRONG, "boto SQS `message.delete()` of a message received here")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not isinstance(call.func, cst.Attribute) or not ctx.imports(*ROOTS):
            return None
        name = call.func.attr.value
        origin = ctx.origin(receiver(call)) or ""
        if name == "write":
            message = kwarg(call, "message") or positional(call, 0)
            if message is None or not (_SQS_QUEUE.match(origin) or _SQS_MESSAGE.match(ctx.origin(message) or "")):
                return None
            site = ProduceSite("boto_sqs", "boto SQS `queue.write()`", _body(message, ctx),
                               evidence="boto SQS `queue.write(message)`")
            attributes = _attributes(message, ctx)
            if attributes is not None:
                site.id_exprs.append(attributes)
            return site
        if name == "send_message" and _SQS_CONNECTION.match(origin):
            # `send_message(queue, message_content, delay_seconds=None, message_attributes=None)`
            return _connection_send(call, "boto_sqs", "boto SQS `send_message()`", ("message_content", 1),
                                    ("message_attributes", 3), "boto SQS `connection.send_message(queue, body)`")
        if name == "publish" and _SNS_CONNECTION.match(origin):
            # `publish(topic, message, subject, target_arn, message_structure, message_attributes)`
            return _connection_send(call, "boto_sns", "boto SNS `publish()`", ("message", 1),
                                    ("message_attributes", 5), "boto SNS `connection.publish()`")
        return None


def _connection_send(call: cst.Call, library: str, what: str, body_at: Tuple[str, int], attributes_at: Tuple[str, int],
                     evidence: str) -> Optional[ProduceSite]:
    """A connection's own send: the body and the message attributes by keyword or position."""
    body = kwarg(call, body_at[0]) or positional(call, body_at[1])
    if body is None:
        return None
    site = ProduceSite(library, what, body, evidence=evidence)
    attributes = kwarg(call, attributes_at[0]) or positional(call, attributes_at[1])
    if attributes is not None:
        site.id_exprs.append(attributes)
    return site


def _body(message: cst.BaseExpression, ctx: Ctx) -> Optional[cst.BaseExpression]:
    """The body of a message written to a queue: `message.set_body(body)` in the function, else the
    `body` its constructor is given (`Message(body=...)`, `Message(queue, body)`,
    `queue.new_message(body)`); None when neither is in view."""
    if isinstance(message, cst.Name) and ctx.func is not None:
        for node in ctx.func.calls:
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "set_body" and isinstance(func.value, cst.Name) \
                    and func.value.value == message.value and node.args:
                return node.args[0].value
    from ..facts.payload import bound_once  # the facts import the adapters

    made = bound_once(message.value, ctx.func) if isinstance(message, cst.Name) and ctx.func is not None else message
    if not isinstance(made, cst.Call):
        return None
    new = isinstance(made.func, cst.Attribute) and made.func.attr.value == "new_message"
    return kwarg(made, "body") or positional(made, 0 if new else 1)


def _attributes(message: cst.BaseExpression, ctx: Ctx) -> Optional[cst.BaseExpression]:
    """What the function sets as the message's `message_attributes` (`msg.message_attributes = {...}`)."""
    if not isinstance(message, cst.Name) or ctx.func is None:
        return None
    for node in walk(ctx.func.node):
        if isinstance(node, cst.Assign) and any(
                isinstance(t.target, cst.Attribute) and t.target.attr.value == "message_attributes"
                and isinstance(t.target.value, cst.Name) and t.target.value.value == message.value
                for t in node.targets):
            return node.value
    return None
