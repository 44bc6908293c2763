"""stomp.py: `ConnectionListener.on_message(self, frame)` handlers, `conn.ack(...)`, `subscribe(ack=...)`, `conn.send(...)`."""

from __future__ import annotations

from typing import Iterable, List, Optional, Tuple

from ..lazyimport import cst  # not loaded before first use

from ..index import ClassInfo, ModuleIndex, dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, origin_starts, receiver, receiver_last, root_words

ROOTS = ("stomp",)
LISTENERS = ("stomp.ConnectionListener", "stomp.listener.")
CLIENT_MODES = ("client", "client-individual")
SEND_KEYWORDS = {"destination", "body", "content_type", "headers"}


def _connection(call: cst.Call, ctx: Ctx) -> bool:
    """The receiver is a stomp connection: resolved to `stomp.*`, or an unresolved name like `conn`."""
    origin = ctx.origin(receiver(call))
    if origin is not None:
        return origin_starts(origin, ("stomp.",))
    last = receiver_last(call).lower()
    return "conn" in last or "stomp" in last or last in ("client", "broker", "mq")


class StompAdapter(Adapter):
    library = "stomp"
    roots = ROOTS
    tokens = ("stomp",)
    site_words = ("on_message",)  # a listener's `on_message`
    gate_needs = dict.fromkeys(("ack", "send", "on_message"), root_words(ROOTS))
    ack_names = frozenset(["ack"])
    produce_names = frozenset(["send"])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        # STOMP 1.1 `conn.ack(id, subscription)`, 1.2/1.0 `conn.ack(id)`: an id always goes along,
        # which sets it apart from a message's own `msg.ack()`; `conn.commit(transaction=...)` is
        # a broker-side transaction, never an ack
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "ack") or not call.args:
            return None
        if not ctx.reaches(receiver(call), *ROOTS) or not _connection(call, ctx):
            return None
        return AckSite("stomp", STRONG, f"stomp `{receiver_last(call)}.ack()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "send") or not ctx.reaches(
                receiver(call), *ROOTS):
            return None
        if not _connection(call, ctx) and kwarg(call, "destination") is None:
            return None
        site = ProduceSite("stomp", f"stomp `{receiver_last(call)}.send()`", kwarg(call, "body") or positional(call, 1),
                           evidence="stomp connection `send()`")
        headers = kwarg(call, "headers") or positional(call, 3)
        if headers is not None:
            site.id_exprs.append(headers)
        extra = [a for a in call.args if a.keyword is not None and a.keyword.value not in SEND_KEYWORDS]
        extra += [a for a in call.args if a.star == "**"]  # `**{"idempotency-key": ...}`
        if extra:
            site.id_exprs.append(cst.Call(func=cst.Name("headers"), args=extra))
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """`on_message` of a `ConnectionListener` subclass, acked on delivery unless a subscription asks
        for `ack="client"` / `"client-individual"` (then the listener must ack, and its acks make it a consumer)."""
        if not index.imports_any(ROOTS):
            return
        listeners = _listeners(index)
        if not listeners:
            return
        mode = _subscription_mode(index)
        if mode is None:
            return  # a client-acked subscription: the listener's own `conn.ack(...)` decides
        strength, option, how = mode
        for cls in listeners:
            handler = cls.methods.get("on_message")
            if handler is not None:
                yield HandlerSite("stomp", handler, "auto", strength,
                                  f"stomp listener `{cls.name}` on a subscription with {how}", option_node=option)


def _listeners(index: ModuleIndex) -> List[ClassInfo]:
    """Subclasses of stomp's listener classes, and classes of this module whose instances are given
    to `conn.set_listener(name, Listener(...))` (stomp calls their `on_message` whatever they derive from)."""
    found: List[ClassInfo] = []
    for func in [None, *index.functions]:
        for call in (func.calls if func else index.module_calls):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "set_listener":
                for arg in call.args:
                    made = arg.value
                    if isinstance(made, cst.Call) and isinstance(made.func, cst.Name):
                        cls = index.classes.get(made.func.value)
                        if cls is not None and "on_message" in cls.methods and cls not in found:
                            found.append(cls)
    changed = True
    while changed:  # subclasses of listener classes of this module are listeners too
        changed = False
        for cls in index.classes.values():
            if cls in found:
                continue
            for base in cls.bases:
                origin = index.resolve(base, None) or ""
                if origin_starts(origin, LISTENERS) or (dotted(base) or "") in {c.name for c in found}:
                    found.append(cls)
                    changed = True
                    break
    return found


def _subscription_mode(index: ModuleIndex) -> Optional[Tuple[int, Optional[cst.CSTNode], str]]:
    """(how sure the subscriptions ack on delivery, the option, its description); None if one is client-acked."""
    best: Tuple[int, Optional[cst.CSTNode], str] = (WEAK, None, "no visible `subscribe()` (stomp's default is `ack=\"auto\"`)")
    seen = False
    for func in [None, *index.functions]:
        ctx = Ctx(index, func)
        for call in (func.calls if func else index.module_calls):
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "subscribe"):
                continue
            if not _connection(call, ctx) and kwarg(call, "destination") is None:
                continue
            value = kwarg(call, "ack") or positional(call, 2)
            text = string_value(value)
            if text in CLIENT_MODES:
                return None
            if value is None and any(a.star == "**" for a in call.args):
                return None  # `subscribe(id=..., **self._subscription_configuration)`: its ack mode is not in view
            if text == "auto":
                best = (STRONG, value, "`ack=\"auto\"`")
            elif best[0] == WEAK and not seen:
                how = "no `ack=` (stomp's default is `\"auto\"`)" if value is None else "an `ack=` value idemlint cannot read"
                best = (WEAK, value if value is not None else call, how)
            seen = True
    return best
