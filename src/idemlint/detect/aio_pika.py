"""aio-pika: `await message.ack()`, `async with message.process()`, `exchange.publish(Message(...))`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional
from ..model import STRONG, WEAK
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, handler_ref, kw_true, receiver, receiver_last, root_words

ROOTS = ("aio_pika",)


class AioPikaAdapter(Adapter):
    library = "aio_pika"
    roots = ROOTS
    tokens = ("aio_pika",)
    site_words = ("no_ack", "process")  # `consume(cb, no_ack=True)`, `async with message.process()`
    gate_needs = dict.fromkeys(("publish", "no_ack", "process"), root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset(['publish'])
    with_names = ("process",)

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """`queue.consume(cb, no_ack=True)`: `cb` is acked on delivery; `queue.iterator(no_ack=True)`
        and `queue.get(no_ack=True)`: the function that reads them is."""
        if not index.imports_any(ROOTS):
            return
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
                if name not in ("consume", "iterator", "get") or not kw_true(call, "no_ack"):
                    continue
                target = handler_ref(positional(call, 0) or kwarg(call, "callback"), ctx) if name == "consume" else func
                if target is not None:
                    yield HandlerSite("aio_pika", target, "auto", STRONG, f"aio-pika `{name}(..., no_ack=True)`",
                                      option_node=kwarg(call, "no_ack"))

    def with_ack(self, item: cst.WithItem, ctx: Ctx) -> Optional[AckSite]:
        call = item.item
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return None
        if call.func.attr.value != "process" or not ctx.reaches(call.func.value, *ROOTS):
            return None
        if any(a.keyword is None for a in call.args):
            return None  # aio-pika's process() takes keyword options only
        return AckSite("aio_pika", WEAK, "`async with message.process()` acks when the block exits")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "publish"):
            return None
        if not ctx.reaches(receiver(call), *ROOTS):
            return None
        msg = positional(call, 0) or kwarg(call, "message")
        ctor = _message_ctor(msg, ctx)
        if ctor is None and "exchange" not in receiver_last(call).lower():
            return None
        site = ProduceSite("aio_pika", "`exchange.publish()`", None, evidence="aio-pika `publish()`")
        if ctor is not None:
            site.payload = positional(ctor, 0) or kwarg(ctor, "body")
            for kw in ("message_id", "headers"):
                if kwarg(ctor, kw) is not None:
                    site.id_exprs.append(kwarg(ctor, kw))  # type: ignore[arg-type]
            if kwarg(ctor, "message_id") is not None:
                site.has_id = True
        else:
            site.payload = msg
        return site


def _message_ctor(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.Call]:
    if isinstance(expr, cst.Name) and ctx.func is not None and expr.value in ctx.func.assigns:
        expr = ctx.func.assigns[expr.value][0][0]
    if isinstance(expr, cst.Call):
        origin = ctx.origin(expr.func) or dotted(expr.func) or ""
        if origin in ("aio_pika.Message", "aio_pika.message.Message"):
            return expr
    return None
