"""kombu: `producer.publish(body, ..., message_id=...)` (acks are `message.ack()`, see messages.py)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..index import kwarg, positional
from .base import Adapter, Ctx, ProduceSite, origin_starts, receiver, receiver_last

ROOTS = ("kombu",)


class KombuAdapter(Adapter):
    library = "kombu"
    roots = ROOTS
    tokens = ("kombu",)
    ack_names = frozenset()
    produce_names = frozenset(['publish'])

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "publish"):
            return None
        if not ctx.imports(*ROOTS):
            return None
        origin = ctx.origin(receiver(call))
        if not (origin_starts(origin, ("kombu.",)) and "Producer" in (origin or "")) and not (
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
