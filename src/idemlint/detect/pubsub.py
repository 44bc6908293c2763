"""google-cloud-pubsub: `subscriber.acknowledge(...)` and `publisher.publish(topic, data, **attrs)`."""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import kwarg, positional
from ..model import STRONG
from .base import (AckSite, Adapter, Ctx, ProduceSite, dict_value, keywords, origin_starts, receiver, receiver_last,
                   root_words)

# (`from google import pubsub`: google-cloud-pubsub 2.x also installs the generated clients as
# `google.pubsub` / `google.pubsub_v1`, whose methods take one `request=` mapping)
ROOTS = ("google.cloud.pubsub", "google.cloud.pubsub_v1", "google.pubsub", "google.pubsub_v1")
NOT_ATTRIBUTES = {"retry", "timeout", "ordering_key"}


class PubSubAdapter(Adapter):
    library = "pubsub"
    roots = ROOTS
    tokens = ("pubsub", "pubsub_v1", "ack_ids")
    gate_needs = {"acknowledge": ("ack_ids", *root_words(ROOTS)), "publish": root_words(ROOTS)}
    ack_names = frozenset(['acknowledge'])
    produce_names = frozenset(['publish'])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "acknowledge"):
            return None
        if "ack_ids" in keywords(call) or (ctx.imports(*ROOTS) and "request" in keywords(call)):
            return AckSite("pubsub", STRONG, "Pub/Sub `subscriber.acknowledge(ack_ids=...)`")
        first = positional(call, 0)
        if isinstance(first, cst.Dict) and dict_value(first, "ack_ids") is not None and (
                ctx.imports(*ROOTS) or origin_starts(ctx.origin(receiver(call)), ROOTS)):
            # the generated client's request given positionally: `acknowledge({"subscription": path,
            # "ack_ids": ack_ids})` (`SubscriberClient.acknowledge(request=None, *, ...)`)
            return AckSite("pubsub", STRONG, "Pub/Sub `subscriber.acknowledge({..., \"ack_ids\": ...})`")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "publish"):
            return None
        origin = ctx.origin(receiver(call))
        if not origin_starts(origin, ("google.cloud.pubsub", "google.pubsub")) and not (
            origin is None and ctx.imports(*ROOTS) and "publisher" in receiver_last(call).lower()
        ):
            return None
        request = _request_message(call)
        if request is not None:
            return request
        site = ProduceSite("pubsub", "Pub/Sub `publish()`", positional(call, 1) or kwarg(call, "data"),
                           evidence="Pub/Sub `PublisherClient.publish()`")
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value not in NOT_ATTRIBUTES | {"data"}:
                site.id_exprs.append(cst.Dict([cst.DictElement(cst.SimpleString(repr(arg.keyword.value)), arg.value)]))
            if arg.star == "**":
                site.id_exprs.append(arg.value)
        return site


def _request_message(call: cst.Call) -> Optional[ProduceSite]:
    """The generated client's form: `publish(request={"topic": t, "messages": [{"data": d,
    "attributes": {...}}]})` or `publish(topic=t, messages=[PubsubMessage(data=d, attributes=...)])`.
    The first message written out is read (its `data`, its `attributes`); None for the other form."""
    request = kwarg(call, "request")
    messages = _entry(request, "messages") if isinstance(request, cst.Dict) else kwarg(call, "messages")
    if messages is None:
        return None
    first = messages.elements[0].value if isinstance(messages, (cst.List, cst.Tuple)) and messages.elements else None
    site = ProduceSite("pubsub", "Pub/Sub `publish(request=...)`", _entry(first, "data"),
                       evidence="Pub/Sub generated client `publish()` of messages written out")
    if first is None:
        site.payload = messages  # messages built elsewhere: their attributes are not in view
        site.id_exprs.append(cst.Name("attributes"))
        return site
    attributes = _entry(first, "attributes")
    if attributes is not None:
        site.id_exprs.append(attributes)
    elif not isinstance(first, (cst.Dict, cst.Call)):
        site.id_exprs.append(cst.Name("attributes"))  # a message made elsewhere: what it holds is not known
    return site


def _entry(expr: Optional[cst.BaseExpression], key: str) -> Optional[cst.BaseExpression]:
    """`key` of a dict display, or the keyword `key` of a constructor call (`PubsubMessage(data=...)`)."""
    return kwarg(expr, key) if isinstance(expr, cst.Call) else dict_value(expr, key)
