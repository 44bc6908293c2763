"""workflows (Diamond Light Source's transport layer, used by zocalo services): `transport.ack(header)`,
`transport.subscribe(channel, callback, acknowledgement=True)`, `transport.send(destination, message)`.

`workflows.transport.common_transport.CommonTransport` wraps pika (`PikaTransport`) or stomp.py
(`StompTransport`) behind one API:
- `subscribe(channel, callback, *, acknowledgement=False, ...)` and
  `workflows.recipe.wrap_subscribe(transport, channel, callback, acknowledgement=...)`: without
  `acknowledgement=True` the broker takes each message as delivered when it is handed over;
  with it, the callback must call `transport.ack(header)` (or `nack`).
- `ack(message, subscription_id=None, **kwargs)`: the header dict, or its `message-id`.
- `send(destination, message, *, headers=None, **kwargs)`, `raw_send`, `broadcast`,
  `raw_broadcast`: pika's `BasicProperties` it builds carry the headers given and no
  `message_id`; a `transaction=` keyword puts the send in a broker transaction.
- The header a callback gets: under `PikaTransport` (`workflows.transport.default_transport`) its
  `message-id` is the delivery tag (`"message-id": method.delivery_tag`), new at each delivery; under
  `StompTransport` it is the STOMP frame's. A file named after it is a new file at each delivery.
A service (`workflows.services.common_service.CommonService`) holds its transport as
`self._transport`; a recipe callback gets it as `rw.transport`.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional
from ..model import STRONG
from ..lazyre import lazy_re
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, handler_ref, origin_starts, receiver, receiver_last, root_words

ROOTS = ("workflows",)
SENDS = ("send", "raw_send", "broadcast", "raw_broadcast")
TRANSPORT_NAME = lazy_re(r"^_*transport$", re.I)  # `self._transport`, `rw.transport`, `transport`
SEND_KEYWORDS = {"destination", "message", "headers", "transaction", "delay", "expiration", "persistent"}


def _transport(call: cst.Call, ctx: Ctx) -> bool:
    """The receiver is a workflows transport: resolved to one (`workflows.transport.lookup(...)()`,
    `PikaTransport()`, a recipe wrapper's `.transport`), or a name that says so (`self._transport`,
    `rw.transport`, `self.transport`) in a module that uses workflows."""
    if not ctx.reaches(receiver(call), *ROOTS):
        return False
    origin = ctx.origin(receiver(call))
    if origin is not None and origin_starts(origin, ("workflows.",)):
        return True
    return TRANSPORT_NAME.match(receiver_last(call)) is not None


def _acked_with(call: cst.Call, ctx: Ctx) -> bool:
    """The send's `transaction=txn` is the transaction an `ack(..., transaction=txn)` of the same
    function acks in: the broker commits both or neither."""
    txn = dotted(kwarg(call, "transaction"))
    if not txn or ctx.func is None:
        return False
    return any(isinstance(other.func, cst.Attribute) and other.func.attr.value == "ack"
               and dotted(kwarg(other, "transaction")) == txn for other in ctx.func.calls)


class WorkflowsAdapter(Adapter):
    library = "workflows"
    roots = ROOTS
    tokens = ("workflows",)
    site_words = ("subscribe", "wrap_subscribe")  # a subscription without `acknowledgement=True`
    gate_needs = dict.fromkeys(("ack", *SENDS, "subscribe", "wrap_subscribe"), root_words(ROOTS))
    ack_names = frozenset(["ack"])
    produce_names = frozenset(SENDS)

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "ack") or not call.args:
            return None
        if not _transport(call, ctx):
            return None
        return AckSite("workflows", STRONG, f"workflows `{receiver_last(call)}.ack()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in SENDS) or not _transport(call, ctx):
            return None
        name = call.func.attr.value
        body = kwarg(call, "message") or positional(call, 1)
        if body is None:
            return None
        site = ProduceSite("workflows", f"workflows `{receiver_last(call)}.{name}()`", body,
                           evidence=f"workflows transport `{name}()`")
        headers = kwarg(call, "headers")
        if headers is not None:
            site.id_exprs.append(headers)
        site.acked_with = _acked_with(call, ctx)
        extra = [a for a in call.args if a.keyword is not None and a.keyword.value not in SEND_KEYWORDS]
        extra += [a for a in call.args if a.star == "**"]
        if extra:
            site.id_exprs.append(cst.Call(func=cst.Name("headers"), args=extra))
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """`transport.subscribe(channel, callback)` and `workflows.recipe.wrap_subscribe(transport,
        channel, callback)` without `acknowledgement=True`: the callback is acked on delivery."""
        if not index.imports_any(ROOTS):
            return
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                if not isinstance(call.func, (cst.Attribute, cst.Name)):
                    continue
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else call.func.value
                if name == "subscribe" and isinstance(call.func, cst.Attribute) and _transport(call, ctx):
                    cb = kwarg(call, "callback") or positional(call, 1)
                elif name == "wrap_subscribe" and origin_starts(ctx.origin(call.func), ("workflows.recipe.",)):
                    cb = kwarg(call, "callback") or positional(call, 2)
                else:
                    continue
                option = kwarg(call, "acknowledgement")
                if option is not None and not (isinstance(option, cst.Name) and option.value == "False"):
                    continue  # `acknowledgement=True` (or a value read at run time): the callback acks
                target = handler_ref(cb, ctx)
                if target is not None:
                    how = "`acknowledgement=False`" if option is not None else "no `acknowledgement=True`"
                    yield HandlerSite("workflows", target, "auto", STRONG,
                                      f"workflows `{dotted(call.func) or name}()` with {how}: acked on delivery",
                                      option_node=option)
