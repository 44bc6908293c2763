"""pulsar-client: `consumer.acknowledge(msg)` and `producer.send(content, sequence_id=...)`."""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import kwarg, positional
from ..model import STRONG
from .base import AckSite, Adapter, Ctx, ProduceSite, origin_starts, receiver, receiver_last, root_words

ROOTS = ("pulsar",)


class PulsarAdapter(Adapter):
    library = "pulsar"
    roots = ROOTS
    tokens = ("pulsar", "acknowledge")
    gate_needs = {"acknowledge": ("pulsar", "confluent_kafka"), "acknowledge_cumulative": ("pulsar", "confluent_kafka"),
                  "send": root_words(ROOTS), "send_async": root_words(ROOTS)}
    ack_names = frozenset(['acknowledge', 'acknowledge_cumulative'])
    produce_names = frozenset(['send', 'send_async'])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                "acknowledge", "acknowledge_cumulative")):
            return None
        if not ctx.imports(*ROOTS, "confluent_kafka") or not call.args:
            return None
        lib = "pulsar" if ctx.imports(*ROOTS) else "confluent_kafka"
        return AckSite(lib, STRONG, f"`{receiver_last(call)}.{call.func.attr.value}()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("send", "send_async")):
            return None
        origin = ctx.origin(receiver(call))
        if not (origin_starts(origin, ("pulsar.",)) and "create_producer" in (origin or "")) and not (
            origin is None and ctx.imports(*ROOTS) and "producer" in receiver_last(call).lower()
        ):
            return None
        site = ProduceSite("pulsar", "Pulsar `producer.send()`", positional(call, 0) or kwarg(call, "content"),
                           evidence="Pulsar producer `send()`")
        if kwarg(call, "sequence_id") is not None:
            site.has_id = True
        props = kwarg(call, "properties")
        if props is not None:
            site.id_exprs.append(props)
        return site
