"""pika, aiormq, aioamqp and py-amqp: `basic_ack`, `basic_consume(auto_ack=True)`, `basic_publish`.

aioamqp (0.15) spells them its own way (`aioamqp/channel.py`): `basic_publish(payload, exchange_name,
routing_key, properties=None, ...)` with the properties a dict (`{"message_id": ...}`),
`basic_consume(callback, queue_name='', ..., no_ack=False)` calling `callback(channel, body,
envelope, properties)`, and `basic_client_ack(delivery_tag)` (`envelope.delivery_tag`).

py-amqp (5.3, the `amqp` package kombu is built on, `amqp/channel.py`): `basic_publish(msg,
exchange='', routing_key='', ...)` of an `amqp.Message(body, **properties)` (`message_id=`,
`application_headers=`), `basic_consume(queue, ..., no_ack=False, callback=None)`, `basic_get(queue,
no_ack=False)`, `basic_ack(delivery_tag)`.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional
from ..model import STRONG
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, handler_ref, kw_true, receiver, root_words

ROOTS = ("pika", "aiormq", "aioamqp", "amqp")
AIOAMQP = ("aioamqp",)
PY_AMQP = ("amqp",)


class PikaAdapter(Adapter):
    library = "pika"
    roots = ROOTS
    tokens = ("pika", "aiormq", "aioamqp", "basic_ack", "basic_client_ack", "basic_publish", "basic_consume")
    site_words = ("auto_ack", "no_ack")  # `basic_consume` / `consume` / `basic_get` with `auto_ack=True`
    gate_needs = {"auto_ack": ("basic_consume", *root_words(ROOTS)), "no_ack": ("basic_consume", *root_words(ROOTS))}
    ack_names = frozenset(['basic_ack', 'basic_client_ack'])
    produce_names = frozenset(['basic_publish'])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "basic_client_ack":
            # aioamqp's ack: its own name, given the delivery tag of the envelope the callback got
            if ctx.reaches(receiver(call), *AIOAMQP) or kwarg(call, "delivery_tag") is not None \
                    or _tag(positional(call, 0)):
                return AckSite("aioamqp", STRONG, "aioamqp `basic_client_ack()`")
            return None
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "basic_ack"):
            return None
        lib = "aiormq" if ctx.imports("aiormq") and not ctx.imports("pika") else "pika"
        # `basic_ack` exists only in AMQP clients; the delivery tag it is given settles it without an
        # import (`basic_ack(delivery_tag=...)`, or `basic_ack(message.delivery_tag)` in txamqp or py-amqp)
        if ctx.reaches(receiver(call), *ROOTS) or kwarg(call, "delivery_tag") is not None or _tag(positional(call, 0)):
            return AckSite(lib, STRONG, "AMQP `basic_ack()`")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "basic_publish"):
            return None
        first = positional(call, 0)
        py_amqp = _py_amqp(call, first, ctx)
        if not ctx.reaches(receiver(call), *ROOTS) and kwarg(call, "routing_key") is None and not py_amqp:
            return None
        props = kwarg(call, "properties") or positional(call, 3)
        body = kwarg(call, "body") or positional(call, 2)
        envelope = None
        if py_amqp:
            # `basic_publish(msg, exchange, routing_key)`: the message first, its properties in it
            body, props = kwarg(call, "msg") or first, None
            envelope = _envelope(body, ctx) if body is not None else None
            if envelope is not None:
                body = kwarg(envelope, "body") or positional(envelope, 0)
        elif _aioamqp(call, ctx):
            # `basic_publish(payload, exchange_name, routing_key, properties={...})`
            body, props = kwarg(call, "payload") or first, kwarg(call, "properties") or positional(call, 3)
        elif body is None and first is not None and (
                kwarg(call, "exchange") is not None or kwarg(call, "routing_key") is not None
                or ctx.imports("aiormq") and not ctx.imports("pika")):
            # aiormq's `basic_publish(body, *, exchange=..., routing_key=..., properties=...)` and
            # py-amqp's `basic_publish(msg, exchange=..., routing_key=...)`: the message comes first
            # (pika's own order, `(exchange, routing_key, body)`, cannot have a keyword `exchange=`)
            body, props = first, kwarg(call, "properties")
            envelope = _envelope(first, ctx)
            if envelope is not None:  # py-amqp `Message(body, message_id=..., **properties)`
                body = kwarg(envelope, "body") or positional(envelope, 0)
        site = ProduceSite("pika", "`basic_publish()`", body, evidence="AMQP `basic_publish()`")
        if props is not None:
            site.id_exprs.append(props)
        if envelope is not None:
            properties = [a for a in envelope.args
                          if a.keyword is not None and a.keyword.value not in ("body", "children", "channel")]
            properties += [a for a in envelope.args if a.star == "**"]
            site.id_exprs.append(cst.Call(func=cst.Name("properties"), args=properties))
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "basic_consume"):
                    continue
                cb = kwarg(call, "on_message_callback") or kwarg(call, "consumer_callback")
                if cb is None and _aioamqp(call, ctx):
                    cb = kwarg(call, "callback") or positional(call, 0)  # `basic_consume(callback, queue_name=...)`
                cb = cb or kwarg(call, "callback")  # py-amqp's `basic_consume(queue, callback=on_message)`
                if cb is None:
                    cb = positional(call, 1)
                    if not index.imports_any(("aiormq",)) and cb is not None and isinstance(positional(call, 0), (cst.Name, cst.Attribute)):
                        # pika < 1.0 order: basic_consume(callback, queue)
                        first = handler_ref(positional(call, 0), ctx)
                        if first is not None:
                            cb = positional(call, 0)
                target = handler_ref(cb, ctx)
                if target is not None and kw_true(call, "auto_ack", "no_ack"):
                    yield HandlerSite("pika", target, "auto", STRONG,
                                      "`basic_consume(..., auto_ack=True)` acks on delivery",
                                      option_node=kwarg(call, "auto_ack") or kwarg(call, "no_ack"))
        for func in index.functions:
            # `for method, properties, body in channel.consume(queue, auto_ack=True):`, `basic_get(...)`
            for call in func.calls:
                if (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("consume", "basic_get")
                        and index.imports_any(ROOTS) and kw_true(call, "auto_ack", "no_ack")):
                    yield HandlerSite("pika", func, "auto", STRONG,
                                      f"`{call.func.attr.value}(..., auto_ack=True)` acks on delivery",
                                      option_node=kwarg(call, "auto_ack") or kwarg(call, "no_ack"))
                    break


def _aioamqp(call: cst.Call, ctx: Ctx) -> bool:
    """A call on an aioamqp channel: resolved to one, or in a module that imports aioamqp and no
    other AMQP client."""
    if ctx.imports("pika", "aiormq"):
        return (ctx.origin(receiver(call)) or "").startswith("aioamqp")
    return ctx.reaches(receiver(call), *AIOAMQP)


def _py_amqp(call: cst.Call, first: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """A `basic_publish` of py-amqp: on a channel that resolves to one, given an `amqp.Message(...)`,
    or in a module that imports `amqp` and no other AMQP client."""
    if (ctx.origin(receiver(call)) or "").startswith(("amqp.", "amqp(")):
        return True
    envelope = _envelope(first, ctx) if first is not None else None
    if envelope is not None and (ctx.origin(envelope.func) or "").startswith("amqp."):
        return True
    return ctx.index.imports_any(PY_AMQP) and not ctx.index.imports_any(("pika", "aiormq", "aioamqp"))


def _envelope(expr: cst.BaseExpression, ctx: Ctx) -> Optional[cst.Call]:
    """The `Message(...)` construction a message argument is (inline, or bound once in the function)."""
    if isinstance(expr, cst.Name) and ctx.func is not None:
        values = ctx.func.assigns.get(expr.value, ())
        if len(values) == 1 and values[0][1] is None:
            expr = values[0][0]
    if isinstance(expr, cst.Call) and (dotted(expr.func) or "").rpartition(".")[2] == "Message":
        return expr
    return None


def _tag(expr) -> bool:
    """`message.delivery_tag` (or a name `delivery_tag`): what only an AMQP ack is given."""
    return (isinstance(expr, cst.Attribute) and expr.attr.value == "delivery_tag"
            or isinstance(expr, cst.Name) and expr.value == "delivery_tag")
