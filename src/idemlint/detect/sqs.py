"""boto3 / aiobotocore SQS (and the other AWS publishers: SNS, Kinesis, Firehose, EventBridge):
`delete_message`, `message.delete()`, `send_message`, `put_record(s)`, `put_events`."""

from __future__ import annotations

import re
from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import kwarg, subscript_key, walk
from ..model import STRONG
from ..lazyre import lazy_re
from .base import AckSite, Adapter, Ctx, ProduceSite, dict_value, keywords, receiver

ROOTS = ("boto3", "aiobotocore", "botocore")
# the SQS resource's message type as the boto3-stubs packages name it (annotations only)
STUB_MESSAGES = ("mypy_boto3_sqs.service_resource.Message(", "types_boto3_sqs.service_resource.Message(",
                 "types_aiobotocore_sqs.service_resource.Message(")


class SqsAdapter(Adapter):
    library = "sqs"
    roots = ROOTS
    # (`MessageBody`: a send on a boto3 queue resource, `queue.send_message(MessageBody=...)`, names no QueueUrl)
    tokens = ("delete_message", "ReceiptHandle", "receive_messages", "QueueUrl", "MessageBody", "TopicArn", "Topic",
              "PlatformEndpoint", "TargetArn", "PhoneNumber", "PartitionKey", "DeliveryStreamName", "put_events")
    gate_needs = {  # the keywords (or, for `message.delete()`, the receive) each call needs
        "delete_message": ("QueueUrl", "ReceiptHandle"), "delete_message_batch": ("Entries",),
        "delete_messages": ("Entries",), "send_message": ("MessageBody",),
        # `message.delete()` of a message received here, or one typed by the boto3 stubs' annotations
        "delete": ("receive_messages", *(stub.partition(".")[0] for stub in STUB_MESSAGES)),
        "publish": ("TopicArn", "TargetArn", "Topic", "PlatformEndpoint", "PhoneNumber"),
        "send_message_batch": ("Entries",), "send_messages": ("Entries",),
        "publish_batch": ("PublishBatchRequestEntries",),
        # Kinesis (`PartitionKey`), Firehose (`DeliveryStreamName`), EventBridge (`Entries`)
        "put_record": ("PartitionKey", "DeliveryStreamName"), "put_records": ("PartitionKey",),
        "put_record_batch": ("DeliveryStreamName",), "put_events": ("Entries",),
    }
    ack_names = frozenset(['delete', 'delete_message', 'delete_message_batch', 'delete_messages'])
    produce_names = frozenset(['publish', 'send_message', 'send_message_batch', 'send_messages', 'publish_batch',
                               'put_record', 'put_records', 'put_record_batch', 'put_events'])

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
        elif name == "publish" and kws & {"TopicArn", "TargetArn", "PhoneNumber"} and "Message" in kws:
            site = ProduceSite("sns", "SNS `publish()`", kwarg(call, "Message"), evidence="SNS `publish()`",
                               device_push="TopicArn" not in kws and _to_device(call))
        elif name == "publish" and "Message" in kws and _sns_resource(receiver(call), ctx):
            # the boto3 resource API: `sns.Topic(arn).publish(Message=...)` (or a `PlatformEndpoint`),
            # whose ARN the resource holds
            site = ProduceSite("sns", "SNS resource `publish()`", kwarg(call, "Message"),
                               evidence="SNS resource `Topic(...).publish(Message=...)`",
                               device_push=(ctx.origin(receiver(call)) or "").endswith(".PlatformEndpoint()"))
        elif name in ("send_message_batch", "send_messages") and "Entries" in kws:
            return _batch(call, ctx, "Entries", "MessageBody", ProduceSite("sqs", "SQS `send_message_batch()`", None,
                                                                           evidence="SQS batch send"))
        elif name == "publish_batch" and "PublishBatchRequestEntries" in kws:
            return _batch(call, ctx, "PublishBatchRequestEntries", "Message",
                          ProduceSite("sns", "SNS `publish_batch()`", None, evidence="SNS batch publish"))
        elif name in ("put_record", "put_records", "put_record_batch", "put_events"):
            return _stream_put(call, ctx, name, kws)
        else:
            return None
        if kwarg(call, "MessageDeduplicationId") is not None:
            site.has_id = True
            site.id_exprs.append(kwarg(call, "MessageDeduplicationId"))  # type: ignore[arg-type]
        attrs = kwarg(call, "MessageAttributes")
        if attrs is not None:
            site.id_exprs.append(attrs)
        return site


# the boto3 SNS resources that publish (`sns.Topic(arn)`, `sns.PlatformEndpoint(arn)`), as the origin of
# a name bound to one reads (`boto3.resource(sns).Topic()`)
_SNS_RESOURCE = lazy_re(r"^(boto3|aioboto3|boto3\.session\.Session\(\))[\w.()]*\.resource\((['\"]?)sns\2\)"
                           r"\.(Topic|PlatformEndpoint)\(\)$")


# what names an SNS platform endpoint (a device's app registration: `create_platform_endpoint(...)`
# returns its `EndpointArn`)
_ENDPOINT = lazy_re(r"endpoint", re.I)


def _to_device(call: cst.Call) -> bool:
    """An SNS publish to a device: an SMS (`PhoneNumber=`), or a mobile push whose `TargetArn` names
    a platform endpoint (`TargetArn=endpoint_arn`, `self.get_or_create_platform_endpoint_arn()`);
    a `TargetArn` that names nothing of the kind may be a topic's."""
    from ..facts.identity import names_in  # the facts load libcst, which this module does not need yet

    if kwarg(call, "PhoneNumber") is not None:
        return True
    target = kwarg(call, "TargetArn")
    return target is not None and any(_ENDPOINT.search(name) for name in names_in(target))


def _sns_resource(expr: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    return expr is not None and _SNS_RESOURCE.match(ctx.origin(expr) or "") is not None


def _stream_put(call: cst.Call, ctx: Ctx, name: str, kws) -> Optional[ProduceSite]:
    """A record appended to a Kinesis stream (`put_record(StreamName=, Data=, PartitionKey=)`,
    `put_records(Records=[{"Data", "PartitionKey"}])`) or a Firehose delivery stream
    (`put_record(DeliveryStreamName=, Record={"Data": ...})`, `put_record_batch(Records=[...])`), or
    events put on an EventBridge bus (`put_events(Entries=[{"Source", "DetailType", "Detail"}])`).
    None of them has a message id the sender sets: the id a reader can drop a repeat by is one the
    record's data (or the event's `Detail`) carries. Each call appends again (botocore's models)."""
    if name == "put_record" and {"Data", "PartitionKey"} <= kws:
        return ProduceSite("kinesis", "Kinesis `put_record()`", kwarg(call, "Data"),
                           evidence="Kinesis `put_record(Data=..., PartitionKey=...)`")
    if name == "put_record" and {"DeliveryStreamName", "Record"} <= kws:
        record = kwarg(call, "Record")
        body = dict_value(record, "Data") if isinstance(record, cst.Dict) else None
        return ProduceSite("firehose", "Firehose `put_record()`", body if body is not None else record,
                           evidence="Firehose `put_record(DeliveryStreamName=..., Record=...)`")
    if name == "put_records" and "Records" in kws and kws & {"StreamName", "StreamARN"}:
        return _batch(call, ctx, "Records", "Data", ProduceSite("kinesis", "Kinesis `put_records()`", None,
                                                               evidence="Kinesis batch put"))
    if name == "put_record_batch" and {"DeliveryStreamName", "Records"} <= kws:
        return _batch(call, ctx, "Records", "Data", ProduceSite("firehose", "Firehose `put_record_batch()`", None,
                                                               evidence="Firehose batch put"))
    if name == "put_events" and "Entries" in kws:
        return _batch(call, ctx, "Entries", "Detail", ProduceSite("eventbridge", "EventBridge `put_events()`", None,
                                                                 evidence="EventBridge `put_events(Entries=...)`"))
    return None


def _batch(call: cst.Call, ctx: Ctx, key: str, body: str, site: ProduceSite) -> ProduceSite:
    """A batch send: each entry's `body` is the payload. An entry's `Id` only matches the results of
    the batch call and is never delivered (boto3: "an identifier for a message in this batch used to
    communicate the result"); `MessageDeduplicationId` is the message's id. The entries may be written
    out, made by a comprehension, or appended to a local list one dict at a time."""
    entries = kwarg(call, key)
    entry = _entry(entries, ctx)
    if entry is None:
        site.payload = entries  # opaque
        return site
    site.payload = dict_value(entry, body)
    site.has_id = dict_value(entry, "MessageDeduplicationId") is not None or _set_later(entry, ctx)
    attrs = dict_value(entry, "MessageAttributes")
    if attrs is not None:
        site.id_exprs.append(attrs)
    spreads = [el.value for el in entry.elements if isinstance(el, cst.StarredDictElement)]
    if spreads and not site.has_id:
        # `{"Id": str(i), **request}` with `request` the keywords a helper builds for `send_message`:
        # the body, its attributes and a `MessageDeduplicationId` may all be in there
        site.payload = site.payload if site.payload is not None else spreads[0]
        site.id_exprs.extend(spreads)
    return site


def _entry(entries: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.Dict]:
    """The dict display each batch entry is made from (written out, made by a comprehension, either
    bound once to a local, or appended to a local list), or None."""
    if isinstance(entries, (cst.List, cst.Tuple)) and entries.elements and isinstance(entries.elements[0].value, cst.Dict):
        return entries.elements[0].value
    if isinstance(entries, cst.ListComp) and isinstance(entries.elt, cst.Dict):
        return entries.elt
    if not isinstance(entries, cst.Name) or ctx.func is None:
        return None
    bound = ctx.func.values_of(entries.value)
    if len(bound) == 1 and isinstance(bound[0], (cst.List, cst.Tuple, cst.ListComp)) and (
            not isinstance(bound[0], (cst.List, cst.Tuple)) or bound[0].elements):
        return _entry(bound[0], ctx)  # `records = [{"Data": ..., "PartitionKey": ...} for view in views]`
    # `entries = []`, then `entries.append(entry)` of a dict display (or a local bound once to one)
    for other in ctx.func.calls:
        func = other.func
        if isinstance(func, cst.Attribute) and func.attr.value == "append" and isinstance(func.value, cst.Name) \
                and func.value.value == entries.value and len(other.args) == 1:
            value = other.args[0].value
            if isinstance(value, cst.Name):
                bound = ctx.func.values_of(value.value)
                value = bound[0] if len(bound) == 1 else None
            return value if isinstance(value, cst.Dict) else None
    return None


def _set_later(entry: cst.Dict, ctx: Ctx) -> bool:
    """`entry["MessageDeduplicationId"] = ...` on the local that holds the entry's display, on every
    path (not under an `if`: `if message.dedup_id: entry[...] = ...` sends the others without one)."""
    func = ctx.func
    if func is None:
        return False
    holders = {name for name, values in func.assigns.items() if any(v is entry for v, _, _ in values)}
    todo = list(func.node.body.body) if isinstance(func.node.body, cst.IndentedBlock) else []
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, (cst.For, cst.While, cst.With)) and isinstance(stmt.body, cst.IndentedBlock):
            todo.extend(stmt.body.body)
            continue
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            for target in small.targets if isinstance(small, cst.Assign) else ():
                sub = target.target
                if isinstance(sub, cst.Subscript) and isinstance(sub.value, cst.Name) and sub.value.value in holders \
                        and subscript_key(sub) == "MessageDeduplicationId":
                    return True
    return False


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
        if _keyword_received(loop.iter, ctx, HELPER_DEPTH):
            return True
    return False


HELPER_DEPTH = 2  # project helpers followed for the receive their result comes from


def _keyword_received(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int) -> bool:
    """`expr` holds what an SQS keyword receive returned: the call itself, a local bound to one
    (also gathered with `messages += queue.receive_messages(MaxNumberOfMessages=10)` after `messages =
    []`), or a call of a project helper whose every return is such a value (`messages =
    self.get_messages(in_queues)`)."""
    expr = expr.expression if isinstance(expr, cst.Await) else expr
    if _sqs_receive(expr):
        return True
    func = ctx.func
    if isinstance(expr, cst.Name) and func is not None:
        values = [v for v in func.values_of(expr.value) if not (isinstance(v, cst.List) and not v.elements)]
        values += [node.value for node in walk(func.node, into_scopes=False) if isinstance(node, cst.AugAssign)
                   and isinstance(node.target, cst.Name) and node.target.value == expr.value]
        return bool(values) and all(_keyword_received(v, ctx, depth) for v in values)
    if isinstance(expr, cst.Call) and depth > 0:
        from ..facts import callees  # the facts import the adapters: not at module level

        callee = callees.resolve(expr.func, ctx, ctx.index.project, ctx.index.path)
        if callee is None or not callee.func.returns:
            return False
        inner = Ctx(callee.index, callee.func)
        return all(_keyword_received(value, inner, depth - 1) for value in callee.func.returns)
    return False
