"""oslo.messaging (OpenStack): notification endpoints, which the listener acks after they return.

A notification listener (`oslo_messaging.get_notification_listener(transport, targets, endpoints,
...)`, or `get_batch_notification_listener` for batches) dispatches each notification to the method
of each endpoint named like its priority (`info`, `sample`, `error`, ...), and acknowledges it when
the endpoints return: `HANDLED` or `None`, and also on an exception unless `allow_requeue=True`
(oslo_messaging 18.3.1 `notify/listener.py`, `NotificationServer._process_incoming`;
`notify/dispatcher.py`, `PRIORITIES`). A crash before the ack redelivers the notification, so an
endpoint method is an at-least-once consumer. RPC servers (`get_rpc_server`) acknowledge a request
before dispatching it: their endpoints are not handled here.
"""

from __future__ import annotations

from typing import Iterable, List, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ClassInfo, ModuleIndex, call_name, kwarg, positional
from ..model import WEAK
from .base import Adapter, Ctx, HandlerSite

ROOTS = ("oslo_messaging",)
# the listener factories; a project wrapper named like one and keeping its arguments counts too
# (`messaging.get_batch_notification_listener(transport, targets, endpoints, ...)` in aodh and
# ceilometer), when it returns oslo's listener
LISTENERS = ("get_notification_listener", "get_batch_notification_listener")
# the endpoint methods the notification dispatcher calls, one per priority
PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")


class OsloMessagingAdapter(Adapter):
    library = "oslo_messaging"
    roots = ROOTS
    tokens = LISTENERS
    site_words = LISTENERS
    ack_names = frozenset()
    produce_names = frozenset()

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
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
    name the function binds once to such a list."""
    if expr is None or depth > 2:
        return []
    if isinstance(expr, cst.Name) and ctx.func is not None and len(ctx.func.assigns.get(expr.value, ())) == 1:
        return _endpoint_classes(ctx.func.assigns[expr.value][0][0], ctx, depth + 1)
    if not isinstance(expr, (cst.List, cst.Tuple)):
        return []
    found: List[ClassInfo] = []
    for element in expr.elements:
        value = element.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            cls = ctx.index.classes.get(value.func.value)
            if cls is not None and cls not in found:
                found.append(cls)
    return found
