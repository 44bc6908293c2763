"""kombu: `producer.publish(body, ..., message_id=...)`, `Consumer(..., no_ack=True)` (acks are `message.ack()`, see messages.py)."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional
from ..model import STRONG
from .base import Adapter, Ctx, HandlerSite, ModuleWords, ProduceSite, handler_ref, kw_true, origin_starts, receiver, receiver_last, root_words

ROOTS = ("kombu",)


class KombuAdapter(Adapter):
    library = "kombu"
    roots = ROOTS
    tokens = ("kombu",)
    site_words = ("no_ack",)  # `Consumer(..., no_ack=True)`
    gate_needs = dict.fromkeys(("publish", "no_ack"), root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset(['publish'])

    def may_find(self, words: ModuleWords) -> bool:
        # `publish()` on a kombu `Producer` (or a receiver named like one), `Consumer(..., no_ack=True)`
        return super().may_find(words) and (
            "publish" in words.found and words.names_contain("producer")
            or "no_ack" in words.found and words.names_contain("consumer"))

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """`Consumer(channel, queues, callbacks=[fn], no_ack=True)`: each callback is acked on delivery.
        So is one of a consumer without `no_ack=` whose queue says so: `Queue(name, exchange,
        no_ack=True)` (kombu's `Consumer` takes the queue's `no_ack` when its own is None), also
        through `ConsumerMixin.get_consumers(self, Consumer, channel)`'s `Consumer(queues=[...])`."""
        if not index.imports_any(ROOTS):
            return
        for func in [None, *index.functions]:
            ctx = Ctx(index, func)
            for call in (func.calls if func else index.module_calls):
                queues_at = _queues_position(call, func)
                if queues_at is None:
                    continue
                option = kwarg(call, "no_ack")
                if kw_true(call, "no_ack"):
                    how = "kombu `Consumer(..., no_ack=True)`"
                elif option is None and (queue := _no_ack_queue(call, func, queues_at)) is not None:
                    option, how = kwarg(queue, "no_ack"), "kombu `Queue(..., no_ack=True)` consumed by a `Consumer`"
                else:
                    continue
                callbacks = kwarg(call, "callbacks")
                refs = [el.value for el in callbacks.elements] if isinstance(callbacks, (cst.List, cst.Tuple)) else []
                if kwarg(call, "on_message") is not None:
                    refs.append(kwarg(call, "on_message"))  # type: ignore[arg-type]
                for ref in refs:
                    target = handler_ref(ref, ctx)
                    if target is not None:
                        yield HandlerSite("kombu", target, "auto", STRONG, how, option_node=option)

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "publish"):
            return None
        if not ctx.reaches(receiver(call), *ROOTS):
            return None
        origin = ctx.origin(receiver(call))
        # a `Producer` (`kombu.Producer(...)`, `connection.Producer()`), or one acquired from kombu's
        # producer pool (`with kombu.pools.producers[connection].acquire(block=True) as producer:`)
        if not (origin_starts(origin, ("kombu.",)) and ("Producer" in (origin or "")
                                                      or origin_starts(origin, ("kombu.pools.producers",)))) and not (
            origin is None and "producer" in receiver_last(call).lower()
        ):
            return None
        site = ProduceSite("kombu", "`producer.publish()`", positional(call, 0) or kwarg(call, "body"),
                           evidence="kombu `Producer.publish()`")
        for kw in ("message_id", "headers"):
            if kwarg(call, kw) is not None:
                site.id_exprs.append(kwarg(call, kw))  # type: ignore[arg-type]
        site.has_id = kwarg(call, "message_id") is not None
        return site


def _queues_position(call: cst.Call, func) -> Optional[int]:
    """Where a consumer's queues go when passed positionally, if `call` makes a consumer (None if
    not): `Consumer(channel, queues, ...)` / `kombu.Consumer(...)` (1), or, in
    `ConsumerMixin.get_consumers(self, Consumer, channel)`, the consumer class it is given, bound to
    the channel already (0), whatever the parameter's name."""
    if (func is not None and func.name == "get_consumers" and len(func.params) >= 2
            and isinstance(call.func, cst.Name) and call.func.value == func.params[1]):
        return 0
    return 1 if (dotted(call.func) or "").split(".")[-1] == "Consumer" else None


def _no_ack_queue(call: cst.Call, func, queues_at: int) -> Optional[cst.Call]:
    """The `Queue(..., no_ack=True)` among the queues a consumer is made with (`queues=[queue]`, or
    positional at `queues_at`), each a `Queue(...)` written there or a local bound once to one."""
    given = kwarg(call, "queues") or positional(call, queues_at)
    items = [el.value for el in given.elements] if isinstance(given, (cst.List, cst.Tuple)) else [given]
    for item in items:
        if isinstance(item, cst.Name) and func is not None:
            bound = func.assigns.get(item.value, ())
            item = bound[0][0] if len(bound) == 1 and bound[0][2] == "=" else None
        if isinstance(item, cst.Call) and (dotted(item.func) or "").split(".")[-1] == "Queue" and kw_true(item, "no_ack"):
            return item
    return None
