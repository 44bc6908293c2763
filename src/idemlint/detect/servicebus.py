"""azure-servicebus: `receiver.complete_message(msg)`, RECEIVE_AND_DELETE, `ServiceBusMessage(message_id=...)`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, root_words

ROOTS = ("azure.servicebus",)


class ServiceBusAdapter(Adapter):
    library = "servicebus"
    roots = ROOTS
    tokens = ("complete_message", "servicebus", "ServiceBusMessage")
    site_words = ("get_queue_receiver", "get_subscription_receiver")  # `receive_mode=RECEIVE_AND_DELETE`
    gate_needs = {"send_messages": root_words(ROOTS), "schedule_messages": root_words(ROOTS)}
    ack_names = frozenset(['complete_message'])
    produce_names = frozenset(['schedule_messages', 'send_messages'])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "complete_message"):
            return None
        strength = STRONG if ctx.imports(*ROOTS) else WEAK
        return AckSite("servicebus", strength, "Service Bus `complete_message()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("send_messages", "schedule_messages")):
            return None
        if not ctx.imports(*ROOTS) or kwarg(call, "Entries") is not None:
            return None
        arg = positional(call, 0) or kwarg(call, "message")
        ctor = _ctor(arg, ctx)
        site = ProduceSite("servicebus", "Service Bus `send_messages()`", arg, evidence="Service Bus sender")
        if ctor is not None:
            site.payload = positional(ctor, 0) or kwarg(ctor, "body")
            if kwarg(ctor, "message_id") is not None:
                site.has_id = True
            props = kwarg(ctor, "application_properties")
            if props is not None:
                site.id_exprs.append(props)
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            for call in func.calls:
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                        "get_queue_receiver", "get_subscription_receiver")):
                    continue
                mode = kwarg(call, "receive_mode")
                text = (dotted(mode) if mode is not None else None) or string_value(mode) or ""
                if text.upper().endswith("RECEIVE_AND_DELETE") or text.lower() == "receiveanddelete":
                    yield HandlerSite("servicebus", func, "auto", STRONG,
                                      "receiver opened with `RECEIVE_AND_DELETE`", option_node=mode)


def _ctor(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.Call]:
    if isinstance(expr, cst.Name) and ctx.func is not None and expr.value in ctx.func.assigns:
        expr = ctx.func.assigns[expr.value][0][0]
    if isinstance(expr, cst.Call) and (dotted(expr.func) or "").split(".")[-1] == "ServiceBusMessage":
        return expr
    return None
