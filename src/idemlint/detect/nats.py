"""nats-py JetStream: `js.subscribe(subject, cb=fn)` acks after `fn`, `js.publish(..., headers={"Nats-Msg-Id": ...})`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, kwarg, positional
from ..model import WEAK
from .base import Adapter, Ctx, HandlerSite, ProduceSite, func_ref, kw_true, receiver_last, root_words

ROOTS = ("nats",)


def _is_jetstream(call: cst.Call, ctx: Ctx) -> bool:
    origin = ctx.origin(call.func.value) if isinstance(call.func, cst.Attribute) else None
    if origin is not None:
        return ".jetstream()" in origin
    last = receiver_last(call).lower()
    return ctx.imports(*ROOTS) and (last in ("js", "jetstream") or last.endswith("_js") or "jetstream" in last)


class NatsAdapter(Adapter):
    library = "nats"
    roots = ROOTS
    tokens = ("nats", "jetstream")
    site_words = ("subscribe",)  # JetStream `subscribe(cb=...)`
    gate_needs = dict.fromkeys(("publish", "publish_async", "subscribe"), root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset(['publish', 'publish_async'])

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("publish", "publish_async")):
            return None
        if not _is_jetstream(call, ctx):
            return None  # core NATS publish is not persisted: no redelivery, nothing to dedup
        site = ProduceSite("nats", "JetStream `publish()`", kwarg(call, "payload") or positional(call, 1),
                           evidence="JetStream `js.publish()`")
        headers = kwarg(call, "headers")
        if headers is not None:
            site.id_exprs.append(headers)
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            ctx = Ctx(index, func)
            for call in func.calls:
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "subscribe"):
                    continue
                if not _is_jetstream(call, ctx):
                    continue
                target = func_ref(kwarg(call, "cb"), ctx)
                if target is None:
                    continue
                if kw_true(call, "manual_ack"):
                    continue  # the callback acks itself (msg.ack() is found in its body)
                yield HandlerSite("nats", target, "framework", WEAK,
                                  "JetStream `subscribe(cb=...)` without `manual_ack=True`",
                                  "nats-py acks after the callback returns")
