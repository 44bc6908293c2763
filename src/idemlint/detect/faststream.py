"""FastStream: `@broker.subscriber(...)` handlers and their ack policy; `broker.publish(...)`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, dotted, is_true, kwarg, positional
from ..model import STRONG, WEAK
from .base import Adapter, Ctx, DecoratorView, HandlerSite, ProduceSite, decorators, handler_ref, receiver, root_words

ROOTS = ("faststream",)
KAFKA = {"faststream.kafka": "aiokafka", "faststream.confluent": "confluent_kafka"}


class FastStreamAdapter(Adapter):
    library = "faststream"
    roots = ROOTS
    tokens = ("faststream",)
    site_words = ("subscriber",)  # `@broker.subscriber(...)`
    gate_needs = dict.fromkeys(("publish", "subscriber"), root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset(['publish'])

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        local = index.imports_any(ROOTS)
        if not local and index.project is None:
            return
        for func in index.functions:
            for view in decorators(func, index):
                site = _site(func, view, local)
                if site is not None:
                    yield site
                    break
        if not local:
            return
        # the call form: `broker.subscriber("topic")(handle)`, or `subscribe = broker.subscriber(...)`
        # then `subscribe(handle)`, the handler maybe defined in another module
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                registration = _subscriber_call(call.func, func, index)
                if registration is None or len(call.args) != 1 or call.args[0].keyword is not None:
                    continue
                target = handler_ref(call.args[0].value, ctx)
                if target is not None:
                    site = _site(target, DecoratorView(registration.func, registration, index, func), local)
                    if site is not None:
                        yield site

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "publish"):
            return None
        origin = ctx.origin(receiver(call)) or ""
        if not origin.startswith("faststream."):
            return None
        site = ProduceSite("faststream", "FastStream `publish()`", positional(call, 0) or kwarg(call, "message"),
                           evidence="FastStream broker `publish()`")
        for kw in ("message_id", "headers", "key"):
            if kwarg(call, kw) is not None:
                site.id_exprs.append(kwarg(call, kw))  # type: ignore[arg-type]
        site.has_id = kwarg(call, "message_id") is not None or kwarg(call, "key") is not None
        return site


def _site(func: FunctionInfo, view: DecoratorView, local: bool) -> Optional[HandlerSite]:
    """The handler site a `subscriber(...)` decorator (or a project wrapper of one) makes of `func`."""
    callee, call = view.callee, view.call
    if call is None or not isinstance(callee, cst.Attribute) or callee.attr.value != "subscriber":
        return None
    if not (local if not view.via else view.index.imports_any(ROOTS)):
        return None
    kafka = _kafka_client(callee.value, view.index)
    mode = _mode(view, kafka is not None)
    if mode == "auto" and kafka is not None:
        # ACK_FIRST on Kafka is the client's auto-commit (`enable_auto_commit=True`), not an ack
        # on receipt: what was consumed is committed later, from a background thread or task;
        # a sync handler runs in a thread pool, so the task may commit while it runs
        option = _auto_option(view)
        when = "await" if kafka == "aiokafka" and func.is_async else "thread"
        return HandlerSite("faststream", func, "framework", STRONG if option is not None else WEAK,
                           f"FastStream Kafka subscriber ({kafka}) with auto-commit (`ACK_FIRST`)"
                           f"{view.suffix()}", "auto-commit commits its offset in the background",
                           option_node=option or (call if not view.via else view.outer), auto_commit=when)
    if mode == "auto":
        option = _auto_option(view)
        return HandlerSite("faststream", func, "auto", STRONG if option is not None else WEAK,
                           f"FastStream subscriber acking first (`ACK_FIRST` / auto-commit){view.suffix()}",
                           option_node=option or (call if not view.via else view.outer))
    if mode == "framework":
        return HandlerSite("faststream", func, "framework", WEAK, f"FastStream `@subscriber`{view.suffix()}",
                           "FastStream acks after the handler returns")
    return None


def _subscriber_call(expr: cst.BaseExpression, func: Optional[FunctionInfo],
                     index: ModuleIndex) -> Optional[cst.Call]:
    """The `broker.subscriber(...)` call that `expr` is, or that the name `expr` is bound to once in
    the function (or module)."""
    if isinstance(expr, cst.Name):
        assigns = func.assigns if func is not None else index.module_assigns
        values = assigns.get(expr.value, ())
        if len(values) != 1 or values[0][1] is not None:
            return None
        expr = values[0][0]
    if (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value == "subscriber"):
        return expr
    return None


def _kafka_client(broker: cst.BaseExpression, index: ModuleIndex) -> Optional[str]:
    """The Kafka client a FastStream broker wraps (`faststream.kafka`: aiokafka; `faststream.confluent`:
    confluent-kafka), or None for another broker."""
    origin = index.resolve(broker, None)
    if not origin:
        if index.imports_any(("faststream.rabbit", "faststream.nats", "faststream.redis")):
            return None
        origin = next((k for k in KAFKA if index.imports_any((k,))), "")
    return KAFKA.get(next((k for k in KAFKA if origin.startswith(k)), ""))


def _auto_option(view: DecoratorView) -> Optional[cst.BaseExpression]:
    """The keyword that spells the ack-first mode out (None: the broker's default policy)."""
    policy = view.keyword("ack_policy")
    if policy is not None and (dotted(policy) or "").endswith("ACK_FIRST"):
        return policy
    for name in ("no_ack", "auto_commit"):
        if is_true(view.keyword(name)):
            return view.keyword(name)
    return None


def _mode(view: DecoratorView, kafka: bool) -> str:
    policy = dotted(view.keyword("ack_policy")) if view.keyword("ack_policy") is not None else None
    if policy:
        last = policy.split(".")[-1]
        if last == "ACK_FIRST":
            return "auto"
        if last == "MANUAL":
            return "explicit"
        return "framework"
    if is_true(view.keyword("no_ack")):
        return "auto"
    auto_commit = view.keyword("auto_commit")
    if kafka:
        if isinstance(auto_commit, cst.Name) and auto_commit.value == "False":
            return "framework"
        return "auto"
    return "framework"
