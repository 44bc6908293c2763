"""google-cloud-pubsub: `subscriber.acknowledge(...)` and `publisher.publish(topic, data, **attrs)`."""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import kwarg, positional
from ..model import STRONG
from .base import AckSite, Adapter, Ctx, ProduceSite, keywords, origin_starts, receiver, receiver_last, root_words

ROOTS = ("google.cloud.pubsub", "google.cloud.pubsub_v1")
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
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "publish"):
            return None
        origin = ctx.origin(receiver(call))
        if not origin_starts(origin, ("google.cloud.pubsub",)) and not (
            origin is None and ctx.imports(*ROOTS) and "publisher" in receiver_last(call).lower()
        ):
            return None
        site = ProduceSite("pubsub", "Pub/Sub `publish()`", positional(call, 1) or kwarg(call, "data"),
                           evidence="Pub/Sub `PublisherClient.publish()`")
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value not in NOT_ATTRIBUTES | {"data"}:
                site.id_exprs.append(cst.Dict([cst.DictElement(cst.SimpleString(repr(arg.keyword.value)), arg.value)]))
            if arg.star == "**":
                site.id_exprs.append(arg.value)
        return site
