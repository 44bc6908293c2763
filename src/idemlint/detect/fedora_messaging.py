"""fedora-messaging (Fedora's AMQP layer): consumer callbacks, which the library acks after they return.

A consumer is a callable taking one message: a function `def cb(message)`, or a class whose
`__call__(self, message)` the library instantiates with no arguments (`api._check_callback`). It is
given to `fedora_messaging.api.consume(callback, bindings=None, queues=None)` or `twisted_consume`,
or named in the TOML configuration (`callback = "pkg.mod:Class"`) that the `fedora-messaging
consume` CLI loads: such a class is recognised by its shape alone. The consumer runs the callback
(in a thread, or as a coroutine) and sends `basic_ack` when it returns; `raise Nack()` requeues the
message, `Drop()` discards it, `HaltConsumer()` acks it and stops, and any other exception nacks it
with requeue (fedora_messaging 3.9.1 `twisted/consumer.py`, `Consumer._read_one`;
`exceptions.py`). So a callback is an at-least-once consumer whose ack is its return. `message.id`
is the AMQP `message_id` that `Message.__init__` sets to a fresh `uuid4()` (`_build_properties`):
the same on every redelivery, a valid dedup key. `api.publish(message)` and `twisted_publish`
always send that id, so a publish never lacks one; in a consumer it is still a side effect (a new
message, with a new id, on every redelivery).
"""

from __future__ import annotations

from typing import Iterable, Optional, Set

from ..lazyimport import cst  # not loaded before first use

from ..index import ClassInfo, FunctionInfo, ModuleIndex, call_name, kwarg, positional, walk
from ..model import UNSEEN, WEAK
from .base import Adapter, Ctx, HandlerSite, ProduceSite, handler_ref, root_words

ROOTS = ("fedora_messaging",)
CONSUMES = {"consume", "twisted_consume"}
PUBLISHES = {"publish", "twisted_publish"}
# the public API module: `from fedora_messaging import api`, then `api.consume(...)` / `api.publish(...)`
API = "fedora_messaging.api."
CONSUMING = {API + name for name in CONSUMES}
PUBLISHING = {API + name for name in PUBLISHES}
MESSAGE_CLASSES = ("fedora_messaging.message.Message", "fedora_messaging.api.Message")
CONTROL = {f"fedora_messaging.exceptions.{name}" for name in ("Nack", "Drop", "HaltConsumer")}
# `Message` attributes a callback reads (message.py: properties and the fields `__init__` sets)
MESSAGE_ATTRS = {
    "id", "topic", "body", "headers", "_headers", "_body", "_properties", "severity", "priority", "queue",
    "summary", "url", "app_name", "app_icon", "agent_name", "agent_avatar", "usernames", "groups",
    "packages", "containers", "modules", "flatpaks", "validate",
}
MESSAGE_PARAMS = {"message", "msg", "m"}
FRAMEWORK_ACK = "fedora-messaging acks the message when the callback returns"


class FedoraMessagingAdapter(Adapter):
    library = "fedora_messaging"
    roots = ROOTS
    tokens = ROOTS
    site_words = (*sorted(CONSUMES), "__call__")  # `api.consume(cb)`, a callback class's `__call__`
    gate_needs = dict.fromkeys((*CONSUMES, *PUBLISHES, "__call__"), root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset(PUBLISHES)

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        origin = ctx.origin(call.func) or ""
        if origin not in PUBLISHING:
            return None
        name = origin[len(API):]
        # the message's id is set when it is built: the publish always carries one
        return ProduceSite("fedora_messaging", f"fedora-messaging `{name}()`",
                           positional(call, 0) or kwarg(call, "message"), has_id=True, always_has_id=True,
                           evidence=f"fedora-messaging `api.{name}()` (the message's id is set when it is built)")

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        seen: Set[int] = set()
        # the names a consume may be called by: also an alias (`from fedora_messaging.api import consume as c`)
        names = CONSUMES | {local for local, origin in index.imports.items() if origin in CONSUMING}
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                origin = ctx.origin(call.func) if call_name(call) in names else None
                if origin not in CONSUMING:
                    continue
                name = origin[len(API):]  # type: ignore[index]
                target = _callback(kwarg(call, "callback") or positional(call, 0), ctx)
                if target is not None and id(target.node) not in seen:
                    seen.add(id(target.node))
                    yield HandlerSite("fedora_messaging", target, "framework", WEAK,
                                      f"`{target.symbol}` given to fedora-messaging `api.{name}()`", FRAMEWORK_ACK)
        if not index.imports_any(ROOTS):
            return
        for cls in index.classes.values():
            method = cls.methods.get("__call__")
            if method is None or id(method.node) in seen or _is_message(cls, index):
                continue
            param = _message_param(method, index)
            if param is not None and _handles(method, param, index):
                # seen by its shape only (it may be a handler another callback dispatches to): low
                yield HandlerSite("fedora_messaging", method, "framework", UNSEEN,
                                  f"`{cls.name}.__call__(self, {param})`: the callback shape the `fedora-messaging "
                                  "consume` CLI instantiates", FRAMEWORK_ACK)


def _callback(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0) -> Optional[FunctionInfo]:
    """The function a callback argument runs: `on_message`, `self.on_message`, a class of the module
    (`Handler`, instantiated by the library) or an instance of one (`Handler()`), or a name bound
    once to one of those."""
    if expr is None or depth > 2:
        return None
    found = handler_ref(expr, ctx)
    if found is not None:
        return found
    if isinstance(expr, cst.Call):
        expr = expr.func  # `Handler(config)`: the instance's `__call__` runs per message
    if not isinstance(expr, cst.Name):
        return None
    cls = ctx.index.classes.get(expr.value)
    if cls is not None:
        return cls.methods.get("__call__")
    assigns = ctx.func.assigns if ctx.func is not None else {}
    values = assigns.get(expr.value) or ctx.index.module_assigns.get(expr.value, [])
    return _callback(values[0][0], ctx, depth + 1) if len(values) == 1 else None


def _is_message(cls: ClassInfo, index: ModuleIndex) -> bool:
    """A message schema (`class BuildV1(Message)`), not a consumer."""
    return any(index.resolve(base, None) in MESSAGE_CLASSES for base in cls.bases)


def _message_param(method: FunctionInfo, index: ModuleIndex) -> Optional[str]:
    """The one parameter besides `self` of `__call__`, if named or annotated like a message."""
    if len(method.params) != 2:
        return None  # other parameters: not a callable the consumer calls with the message alone
    param = method.params[1]
    if param in MESSAGE_PARAMS:
        return param
    annotation = method.annotations.get(param)
    if annotation is not None and (index.annotation(annotation, method) or "").startswith(ROOTS[0] + "."):
        return param  # `message: Message`, or a schema class of the library
    return None


def _handles(method: FunctionInfo, param: str, index: ModuleIndex) -> bool:
    """The body reads the message (`message.body`, `msg.topic`) or raises `Nack` / `Drop` / `HaltConsumer`."""
    for node in walk(method.node):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == param:
            if node.attr.value in MESSAGE_ATTRS:
                return True
        elif isinstance(node, cst.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
            if index.resolve(exc, method) in CONTROL:
                return True
    return False


__all__ = ["FedoraMessagingAdapter"]
