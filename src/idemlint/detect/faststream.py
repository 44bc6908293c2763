"""FastStream: `@broker.subscriber(...)` handlers and their ack policy; `broker.publish(...)`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional
from ..model import STRONG, WEAK
from .base import Adapter, Ctx, HandlerSite, ProduceSite, decorator_call, kw_true, receiver, root_words

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
        if not index.imports_any(ROOTS):
            return
        for func in index.functions:
            for dec in func.decorators:
                callee, call = decorator_call(dec)
                if call is None or not isinstance(callee, cst.Attribute) or callee.attr.value != "subscriber":
                    continue
                kafka = _kafka_client(callee.value, index)
                mode = _mode(call, kafka is not None)
                if mode == "auto" and kafka is not None:
                    # ACK_FIRST on Kafka is the client's auto-commit (`enable_auto_commit=True`), not an ack
                    # on receipt: what was consumed is committed later, from a background thread or task;
                    # a sync handler runs in a thread pool, so the task may commit while it runs
                    option = _auto_option(call)
                    when = "await" if kafka == "aiokafka" and func.is_async else "thread"
                    yield HandlerSite("faststream", func, "framework", STRONG if option is not None else WEAK,
                                      f"FastStream Kafka subscriber ({kafka}) with auto-commit (`ACK_FIRST`)",
                                      "auto-commit commits its offset in the background",
                                      option_node=option or call, auto_commit=when)
                elif mode == "auto":
                    option = _auto_option(call)
                    yield HandlerSite("faststream", func, "auto", STRONG if option is not None else WEAK,
                                      "FastStream subscriber acking first (`ACK_FIRST` / auto-commit)",
                                      option_node=option or call)
                elif mode == "framework":
                    yield HandlerSite("faststream", func, "framework", WEAK, "FastStream `@subscriber`",
                                      "FastStream acks after the handler returns")
                break

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


def _kafka_client(broker: cst.BaseExpression, index: ModuleIndex) -> Optional[str]:
    """The Kafka client a FastStream broker wraps (`faststream.kafka`: aiokafka; `faststream.confluent`:
    confluent-kafka), or None for another broker."""
    origin = index.resolve(broker, None)
    if not origin:
        if index.imports_any(("faststream.rabbit", "faststream.nats", "faststream.redis")):
            return None
        origin = next((k for k in KAFKA if index.imports_any((k,))), "")
    return KAFKA.get(next((k for k in KAFKA if origin.startswith(k)), ""))


def _auto_option(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The keyword that spells the ack-first mode out (None: the broker's default policy)."""
    policy = kwarg(call, "ack_policy")
    if policy is not None and (dotted(policy) or "").endswith("ACK_FIRST"):
        return policy
    for name in ("no_ack", "auto_commit"):
        if kw_true(call, name):
            return kwarg(call, name)
    return None


def _mode(call: cst.Call, kafka: bool) -> str:
    policy = dotted(kwarg(call, "ack_policy")) if kwarg(call, "ack_policy") is not None else None
    if policy:
        last = policy.split(".")[-1]
        if last == "ACK_FIRST":
            return "auto"
        if last == "MANUAL":
            return "explicit"
        return "framework"
    if kw_true(call, "no_ack"):
        return "auto"
    auto_commit = kwarg(call, "auto_commit")
    if kafka:
        if isinstance(auto_commit, cst.Name) and auto_commit.value == "False":
            return "framework"
        return "auto"
    return "framework"
