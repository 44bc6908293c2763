"""Pub/Sub through the Google API client's REST surface (`googleapiclient.discovery.build("pubsub", "v1")`).

    subs = service.projects().subscriptions()
    resp = subs.pull(subscription=path, body={"maxMessages": 10}).execute()
    subs.acknowledge(subscription=path, body={"ackIds": [r["ackId"] for r in ...]}).execute()
    service.projects().topics().publish(topic=path, body={"messages": [{"data": b64, "attributes": {...}}]}).execute()

`acknowledge` is the ack and `modifyAckDeadline` a lease; each request is sent by its `.execute()`,
and the method call that builds it is where idemlint reports. Messages not acknowledged before
their deadline are delivered again (at-least-once). The server assigns `messageId`; a producer's
own id can only travel in `attributes` or in the data.
"""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import call_name, kwarg
from ..model import STRONG
from .base import AckSite, Adapter, Ctx, ProduceSite, dict_keys, dict_value, receiver

ROOTS = ("googleapiclient", "apiclient")  # `apiclient` is the package's old alias
# calls around the data of a REST message: `base64.b64encode(json.dumps(e).encode()).decode()`
B64_WRAPPERS = {"b64encode", "urlsafe_b64encode", "standard_b64encode", "decode"}


def _rest_pubsub(call: cst.Call, ctx: Ctx, collection: str) -> bool:
    """The receiver is `build("pubsub", ...).projects().<collection>()` (or held in a name)."""
    origin = ctx.origin(receiver(call)) or ""
    return origin.startswith(ROOTS) and "(pubsub)" in origin or (
        origin.startswith(ROOTS) and origin.endswith(f".{collection}()"))


def _local(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.BaseExpression]:
    """What a local name bound once holds (`body = {...}; ...(body=body)`), else `expr`."""
    if isinstance(expr, cst.Name) and ctx.func is not None:
        values = ctx.func.assigns.get(expr.value, [])
        if len(values) == 1 and values[0][2] == "=" and values[0][1] is None:
            return values[0][0]
    return expr


def _body(call: cst.Call, ctx: Ctx) -> Optional[cst.BaseExpression]:
    return _local(kwarg(call, "body"), ctx)


def _first_message(body: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """The first element of `body["messages"]`: a dict display, or a comprehension's element."""
    messages = dict_value(body, "messages")
    if isinstance(messages, (cst.List, cst.Tuple)) and messages.elements:
        return messages.elements[0].value
    if isinstance(messages, (cst.ListComp, cst.GeneratorExp)):
        return messages.elt
    return None


def _unwrap_b64(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.BaseExpression]:
    """`base64.b64encode(json.dumps(event).encode()).decode("utf-8")` -> `json.dumps(event).encode()`."""
    expr = _local(expr, ctx)
    for _ in range(4):
        if not isinstance(expr, cst.Call):
            break
        name = call_name(expr)
        if name == "decode" and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        elif name in B64_WRAPPERS and expr.args:
            expr = expr.args[0].value
        else:
            break
    return expr


class GoogleApiPubSubAdapter(Adapter):
    library = "pubsub"
    roots = ROOTS
    tokens = ("googleapiclient", "ackIds")
    gate_needs = {"acknowledge": (*ROOTS, "discovery", "ackIds"), "publish": (*ROOTS, "discovery")}
    ack_names = frozenset(["acknowledge"])
    produce_names = frozenset(["publish"])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if call_name(call) != "acknowledge" or not isinstance(call.func, cst.Attribute):
            return None
        if "ackIds" in (dict_keys(_body(call, ctx)) or ()) or _rest_pubsub(call, ctx, "subscriptions"):
            return AckSite("pubsub", STRONG, "Pub/Sub REST `subscriptions().acknowledge(body={\"ackIds\": ...})`")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if call_name(call) != "publish" or not isinstance(call.func, cst.Attribute) or kwarg(call, "body") is None:
            return None
        body = _body(call, ctx)
        if not (_rest_pubsub(call, ctx, "topics") or ctx.imports(*ROOTS) and dict_value(body, "messages") is not None):
            return None
        site = ProduceSite("pubsub", "Pub/Sub REST `topics().publish()`", None,
                           evidence="Pub/Sub REST `topics().publish(body={\"messages\": [...]})`")
        message = _first_message(body)
        if isinstance(message, cst.Dict):
            site.payload = _unwrap_b64(dict_value(message, "data"), ctx)
            attributes = dict_value(message, "attributes")
            if attributes is not None:
                site.id_exprs.append(attributes)
        else:
            site.payload = dict_value(body, "messages") or body  # built elsewhere: opaque
        return site
