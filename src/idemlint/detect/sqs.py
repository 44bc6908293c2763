"""boto3 / aiobotocore SQS (and SNS publishers): `delete_message`, `message.delete()`, `send_message`."""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import kwarg
from ..model import STRONG
from .base import AckSite, Adapter, Ctx, ProduceSite, dict_value, keywords, receiver

ROOTS = ("boto3", "aiobotocore", "botocore")
# the SQS resource's message type as the boto3-stubs packages name it (annotations only)
STUB_MESSAGES = ("mypy_boto3_sqs.service_resource.Message(", "types_boto3_sqs.service_resource.Message(",
                 "types_aiobotocore_sqs.service_resource.Message(")


class SqsAdapter(Adapter):
    library = "sqs"
    roots = ROOTS
    tokens = ("delete_message", "ReceiptHandle", "receive_messages", "QueueUrl", "TopicArn")
    gate_needs = {  # the keywords (or, for `message.delete()`, the receive) each call needs
        "delete_message": ("QueueUrl", "ReceiptHandle"), "delete_message_batch": ("Entries",),
        "delete_messages": ("Entries",), "send_message": ("MessageBody",),
        # `message.delete()` of a message received here, or one typed by the boto3 stubs' annotations
        "delete": ("receive_messages", *(stub.partition(".")[0] for stub in STUB_MESSAGES)),
        "publish": ("TopicArn", "TargetArn"), "send_message_batch": ("Entries",), "send_messages": ("Entries",),
    }
    ack_names = frozenset(['delete', 'delete_message', 'delete_message_batch', 'delete_messages'])
    produce_names = frozenset(['publish', 'send_message', 'send_message_batch', 'send_messages'])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not isinstance(call.func, cst.Attribute):
            return None
        name = call.func.attr.value
        kws = keywords(call)
        if name == "delete_message" and kws & {"QueueUrl", "ReceiptHandle"}:
            return AckSite("sqs", STRONG, "SQS `delete_message(QueueUrl=..., ReceiptHandle=...)`")
        if name in ("delete_message_batch", "delete_messages") and "Entries" in kws:
            return AckSite("sqs", STRONG, f"SQS `{name}(Entries=...)`")
        if name == "delete" and not call.args:
            origin = ctx.origin(receiver(call)) or ""
            if ".receive_messages()" in origin or ".receive_messages(" in origin:
                return AckSite("sqs", STRONG, "SQS resource `message.delete()`")
            if origin.startswith(STUB_MESSAGES):
                return AckSite("sqs", STRONG, f"SQS resource `message.delete()` ({origin.rstrip('()')})")
            if not origin and _received_by_keywords(receiver(call), ctx):
                return AckSite("sqs", STRONG, "SQS resource `message.delete()` (received with SQS's own keywords)")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not isinstance(call.func, cst.Attribute):
            return None
        name = call.func.attr.value
        kws = keywords(call)
        if name == "send_message" and "MessageBody" in kws:
            site = ProduceSite("sqs", "SQS `send_message()`", kwarg(call, "MessageBody"),
                               evidence="SQS `send_message(MessageBody=...)`")
        elif name == "publish" and kws & {"TopicArn", "TargetArn"} and "Message" in kws:
            site = ProduceSite("sns", "SNS `publish()`", kwarg(call, "Message"), evidence="SNS `publish()`")
        elif name in ("send_message_batch", "send_messages") and "Entries" in kws:
            return _batch(call)
        else:
            return None
        if kwarg(call, "MessageDeduplicationId") is not None:
            site.has_id = True
            site.id_exprs.append(kwarg(call, "MessageDeduplicationId"))  # type: ignore[arg-type]
        attrs = kwarg(call, "MessageAttributes")
        if attrs is not None:
            site.id_exprs.append(attrs)
        return site


def _batch(call: cst.Call) -> ProduceSite:
    entries = kwarg(call, "Entries")
    site = ProduceSite("sqs", "SQS `send_message_batch()`", None, evidence="SQS batch send")
    if isinstance(entries, (cst.List, cst.Tuple)) and entries.elements:
        first = entries.elements[0].value
        if isinstance(first, cst.Dict):
            site.payload = dict_value(first, "MessageBody")
            if dict_value(first, "MessageDeduplicationId") is not None:
                site.has_id = True
            attrs = dict_value(first, "MessageAttributes")
            if attrs is not None:
                site.id_exprs.append(attrs)
            return site
    if isinstance(entries, cst.ListComp) and isinstance(entries.elt, cst.Dict):
        site.payload = dict_value(entries.elt, "MessageBody")
        site.has_id = dict_value(entries.elt, "MessageDeduplicationId") is not None
        attrs = dict_value(entries.elt, "MessageAttributes")
        if attrs is not None:
            site.id_exprs.append(attrs)
        return site
    site.payload = entries  # opaque
    return site


# The keywords only SQS's `Queue.receive_messages(...)` takes (boto3 `sqs` resource): a receive spelled
# with them is SQS's whatever object it is called on (`self.source.queue`, set in another class)
RECEIVE_KEYWORDS = frozenset({"MaxNumberOfMessages", "WaitTimeSeconds", "VisibilityTimeout",
                              "MessageAttributeNames", "MessageSystemAttributeNames", "ReceiveRequestAttemptId"})


def _sqs_receive(expr: Optional[cst.BaseExpression]) -> bool:
    expr = expr.expression if isinstance(expr, cst.Await) else expr
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
        and expr.func.attr.value == "receive_messages" and bool(keywords(expr) & RECEIVE_KEYWORDS)


def _received_by_keywords(message: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """`for msg in messages:` (or `in queue.receive_messages(...)`) where `messages` is bound to a
    `receive_messages(MaxNumberOfMessages=..., WaitTimeSeconds=...)` call in the same function."""
    func = ctx.func
    if not isinstance(message, cst.Name) or func is None:
        return False
    for loop in func.fors:
        if not (isinstance(loop.target, cst.Name) and loop.target.value == message.value):
            continue
        source = loop.iter
        if isinstance(source, cst.Name):
            values = func.values_of(source.value)
            if values and all(_sqs_receive(v) for v in values):
                return True
        elif _sqs_receive(source):
            return True
    return False
