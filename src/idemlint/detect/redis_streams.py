"""redis-py streams: `xack`, `xreadgroup(noack=True)`, `xadd(stream, fields, idmp=...)`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, kwarg, positional
from ..model import STRONG, WEAK
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, kw_true, receiver

ROOTS = ("redis", "aioredis", "django_redis", "flask_redis")  # as `redis_lists.ROOTS`: clients of the same commands


class RedisStreamsAdapter(Adapter):
    library = "redis_streams"
    roots = ROOTS
    tokens = ("xack", "xackdel", "xadd", "xreadgroup")
    site_words = ("xreadgroup",)  # `xreadgroup(..., noack=True)`
    ack_names = frozenset(['xack', 'xackdel'])
    produce_names = frozenset(['xadd'])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("xack", "xackdel")):
            return None
        return AckSite("redis_streams", STRONG if ctx.reaches(receiver(call), *ROOTS) else WEAK, "redis `xack()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "xadd"):
            return None
        site = ProduceSite("redis_streams", "redis `xadd()`", kwarg(call, "fields") or positional(call, 1),
                           evidence="redis stream `xadd()`")
        if kwarg(call, "idmp") is not None or kwarg(call, "idmpauto") is not None:
            site.has_id = True
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            for call in func.calls:
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "xreadgroup" and kw_true(call, "noack"):
                    yield HandlerSite("redis_streams", func, "auto", STRONG, "`xreadgroup(..., noack=True)`",
                                      option_node=kwarg(call, "noack"))
                    break
