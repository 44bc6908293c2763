"""dramatiq: `@dramatiq.actor` functions; the worker acks after the actor returns."""

from __future__ import annotations

from typing import Iterable

from ..index import ModuleIndex
from ..model import WEAK
from .base import Adapter, HandlerSite, decorators, root_words

ROOTS = ("dramatiq",)


class DramatiqAdapter(Adapter):
    library = "dramatiq"
    roots = ROOTS
    tokens = ("dramatiq",)
    site_words = ("actor",)  # `@dramatiq.actor`
    gate_needs = {"actor": root_words(ROOTS)}
    ack_names = frozenset()
    produce_names = frozenset()

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            for view in decorators(func, index):
                if view.origin() in ("dramatiq.actor", "dramatiq.actor.actor"):
                    yield HandlerSite("dramatiq", func, "framework", WEAK, f"`@dramatiq.actor`{view.suffix()}",
                                      "dramatiq acks after the actor returns")
                    break
