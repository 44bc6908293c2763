"""azure-servicebus: `receiver.complete_message(msg)`, RECEIVE_AND_DELETE, `ServiceBusMessage(message_id=...)`."""

from __future__ import annotations

from typing import Iterable, List, Optional, Set

from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, children, dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, receiver, root_words

ROOTS = ("azure.servicebus",)
# What takes messages off a receiver (azure-servicebus 7.15, sync and aio): the methods below, and
# iterating it (`for`/`async for`, `next(receiver)`, `anext(receiver)`). `peek_messages()` copies
# messages without a lock and removes nothing, and the link gets credit only in a receive call.
RECEIVE_METHODS = frozenset(["receive_messages", "receive_deferred_messages", "__next__", "__anext__", "next",
                             "get_streaming_message_iter", "_get_streaming_message_iter"])


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
        strength = STRONG if ctx.reaches(receiver(call), *ROOTS) else WEAK
        return AckSite("servicebus", strength, "Service Bus `complete_message()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("send_messages", "schedule_messages")):
            return None
        if not ctx.reaches(receiver(call), *ROOTS) or kwarg(call, "Entries") is not None:
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
                if not (text.upper().endswith("RECEIVE_AND_DELETE") or text.lower() == "receiveanddelete"):
                    continue
                if not _may_receive(func, call):
                    continue  # the receiver is only peeked: nothing is delivered, so nothing is deleted
                yield HandlerSite("servicebus", func, "auto", STRONG,
                                  "receiver opened with `RECEIVE_AND_DELETE`", option_node=mode)


def _ctor(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.Call]:
    if isinstance(expr, cst.Name) and ctx.func is not None and expr.value in ctx.func.assigns:
        expr = ctx.func.assigns[expr.value][0][0]
    if isinstance(expr, cst.Call) and (dotted(expr.func) or "").split(".")[-1] == "ServiceBusMessage":
        return expr
    return None


def _may_receive(func: FunctionInfo, opened: cst.Call) -> bool:
    """False only when the receiver `opened` returns is bound to a local name whose every use is
    visible and none takes a message: attribute reads other than the receive methods (`peek_messages`,
    `close`, `session`) and `with receiver:`. Any other use (a loop over it, `next(receiver)`, a
    hand-off to a helper, a re-binding) may receive, as may a receiver that is not held in a name."""
    name = _bound_name(func, opened)
    if name is None:
        return True
    # ids of the Name nodes spelled `name` that are no read of the receiver, or read it harmlessly
    neutral: Set[int] = set()
    stack: List[cst.CSTNode] = [func.node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name):
            if cur.value == name and id(cur) not in neutral:
                return True
            continue
        if isinstance(cur, cst.Attribute):
            neutral.add(id(cur.attr))  # `x.receiver` names an attribute, not the local
            if cur.attr.value not in RECEIVE_METHODS:
                neutral.add(id(cur.value))
        elif isinstance(cur, cst.WithItem):
            neutral.add(id(cur.item))  # `with receiver:` opens the link with no credit
            if cur.asname is not None:
                neutral.add(id(cur.asname.name))
        elif isinstance(cur, (cst.AssignTarget, cst.AnnAssign)):
            neutral.add(id(cur.target))
        elif isinstance(cur, cst.Arg) and cur.keyword is not None:
            neutral.add(id(cur.keyword))
        elif isinstance(cur, cst.Param):
            neutral.add(id(cur.name))
        stack.extend(children(cur))
    return False


def _bound_name(func: FunctionInfo, opened: cst.Call) -> Optional[str]:
    """`receiver = client.get_queue_receiver(...)` / `with client.get_queue_receiver(...) as receiver`."""
    for target, values in func.assigns.items():
        if any(value is opened for value, _, _ in values):
            return target if len(values) == 1 else None  # re-bound: which value a use sees is unclear
    for node in func.withs:
        for item in node.items:
            if item.item is opened:
                asname = item.asname.name if item.asname is not None else None
                return asname.value if isinstance(asname, cst.Name) else None
    return None
