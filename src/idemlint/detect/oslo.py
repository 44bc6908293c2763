"""oslo.messaging (OpenStack): notification endpoints, which the listener acks after they return.

A notification listener (`oslo_messaging.get_notification_listener(transport, targets, endpoints,
...)`, or `get_batch_notification_listener` for batches) dispatches each notification to the method
of each endpoint named like its priority (`info`, `sample`, `error`, ...), and acknowledges it when
the endpoints return: `HANDLED` or `None`, and also on an exception unless `allow_requeue=True`
(oslo_messaging 18.3.1 `notify/listener.py`, `NotificationServer._process_incoming`;
`notify/dispatcher.py`, `PRIORITIES`). A crash before the ack redelivers the notification, so an
endpoint method is an at-least-once consumer. The endpoints are the classes the module's listener
factories are given (also through a parameter of the function that calls the factory), and any
class with a method of the documented endpoint signature (`info(self, ctxt, publisher_id,
event_type, payload, metadata)`): plug-ins loaded by name from the configuration and handed to a
listener are seen no other way. RPC servers (`get_rpc_server`) acknowledge a request
before dispatching it: their endpoints are not handled here.
"""

from __future__ import annotations


from typing import Iterable, List, Optional, Tuple

from ..lazyimport import cst  # not loaded before first use

from ..index import ClassInfo, FunctionInfo, ModuleIndex, argument, call_name, kwarg, positional
from ..model import UNSEEN, WEAK
from ..lazyre import lazy_re
from .base import Adapter, Ctx, HandlerSite, ProduceSite

ROOTS = ("oslo_messaging",)
# the listener factories; a project wrapper named like one and keeping its arguments counts too
# (`messaging.get_batch_notification_listener(transport, targets, endpoints, ...)` in aodh and
# ceilometer), when it returns oslo's listener
LISTENERS = ("get_notification_listener", "get_batch_notification_listener")
# the endpoint methods the notification dispatcher calls, one per priority
PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")


# `oslo_messaging.Notifier`'s sends, one per priority (`notify/notifier.py`: `audit`, `debug`, `info`,
# `warn` (also `warning`), `error`, `critical`, `sample`), on the notifier or on `notifier.prepare(...)`;
# every notification gets a uuid4 `message_id` in `_notify`, so a send is never IDEM003's, but inside a
# consumer it is a publish like any other
NOTIFY = PRIORITIES + ("warning",)
# a notifier, built by the library's class (under any of its import paths), or `prepare(...)`d from one
NOTIFIER = lazy_re(r"^oslo_messaging(?:\.notify(?:\.notifier)?)?\.Notifier\([^()]*\)(?:\.prepare\([^()]*\))*$")

# The signature oslo.messaging documents for a notification endpoint's methods (`info(self, ctxt,
# publisher_id, event_type, payload, metadata)`): a class with one is an endpoint even when the
# listener is given it from a list the tool cannot follow (plug-ins loaded by name from the config).
SIGNATURE = ("publisher_id", "event_type", "payload", "metadata")
CONTEXT_NAMES = ("ctxt", "context", "ctx")


class OsloMessagingAdapter(Adapter):
    library = "oslo_messaging"
    roots = ROOTS
    tokens = LISTENERS + ("publisher_id",)
    site_words = LISTENERS + ("publisher_id",)
    # a send needs the notifier's class (or the library) named in the module's code: log calls are
    # spelled the same
    gate_needs = {"publisher_id": ("metadata",), **dict.fromkeys(NOTIFY, ("Notifier", "oslo_messaging"))}
    ack_names = frozenset()
    produce_names = frozenset(NOTIFY)

    def produce(self, call: cst.Call, ctx) -> Optional[ProduceSite]:
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in NOTIFY:
            return None
        if not NOTIFIER.match(ctx.origin(call.func.value) or ""):
            return None
        name = call.func.attr.value
        return ProduceSite("oslo_messaging", f"oslo.messaging notification `{name}()`",
                           kwarg(call, "payload") or positional(call, 2), has_id=True, always_has_id=True,
                           evidence=f"oslo.messaging `Notifier.{name}()` (the notifier gives every notification "
                                    "a `message_id`)")

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        given = set()
        for site in self._given(index):
            given.add(id(site.function.node))
            yield site
        for cls in index.classes.values():
            for priority in PRIORITIES:
                method = cls.methods.get(priority)
                if method is not None and id(method.node) not in given and _endpoint_signature(method):
                    yield HandlerSite(  # seen by its shape only: low
                        "oslo_messaging", method, "framework", UNSEEN,
                        f"`{cls.name}.{priority}` has the signature of an oslo.messaging notification endpoint "
                        f"(`{priority}(self, ctxt, publisher_id, event_type, payload, metadata)`)",
                        "the notification listener acknowledges the notification when the endpoint returns")

    def _given(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """The endpoints of the classes a listener factory of this module is given."""
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                name = call_name(call)
                if name not in LISTENERS:
                    continue
                origin = ctx.origin(call) or ""
                if not origin.startswith(f"oslo_messaging.{name}("):
                    continue  # a listener oslo builds, directly or returned by a project wrapper
                endpoints = kwarg(call, "endpoints") or positional(call, 2)
                for cls in _endpoint_classes(endpoints, ctx):
                    for priority in PRIORITIES:
                        method = cls.methods.get(priority)
                        if method is not None:
                            yield HandlerSite(
                                "oslo_messaging", method, "framework", WEAK,
                                f"oslo.messaging notification endpoint `{cls.name}` given to `{name}()`",
                                "the notification listener acknowledges the notification when the endpoint returns")


def _endpoint_classes(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0) -> List[ClassInfo]:
    """The classes of this module whose instances `expr` lists: `[AlarmEndpoint(notifiers)]`, or a
    name the function binds once to such a list; an element that is a parameter of the function
    stands for what the module's calls of that function pass (`self._listen(topic,
    endpoint=AlarmEndpoint(...))`)."""
    if expr is None or depth > 2:
        return []
    if isinstance(expr, cst.Name) and ctx.func is not None and len(ctx.func.assigns.get(expr.value, ())) == 1:
        return _endpoint_classes(ctx.func.assigns[expr.value][0][0], ctx, depth + 1)
    if not isinstance(expr, (cst.List, cst.Tuple)):
        return []
    found: List[ClassInfo] = []
    for element in expr.elements:
        for value, _ in _passed(element.value, ctx):
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
                cls = ctx.index.classes.get(value.func.value)
                if cls is not None and cls not in found:
                    found.append(cls)
    return found


def _endpoint_signature(method: FunctionInfo) -> bool:
    """`def info(self, ctxt, publisher_id, event_type, payload, metadata)`, by the parameters' names."""
    params = method.node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    return len(names) == 6 and names[0] == "self" and names[1] in CONTEXT_NAMES and tuple(names[2:]) == SIGNATURE


def _passed(value: cst.BaseExpression, ctx: Ctx) -> List[Tuple[cst.BaseExpression, Optional[FunctionInfo]]]:
    """`value` itself, or, for a parameter of the function, what each call of it in the module passes."""
    func = ctx.func
    if not (isinstance(value, cst.Name) and func is not None and value.value in func.params
            and value.value not in func.assigns):
        return [(value, func)]
    out = []
    for scope, call in ctx.index.call_sites(func):
        passed = argument(call, func, value.value) if scope is not func else None
        if passed is not None:
            out.append((passed, scope))
    return out
