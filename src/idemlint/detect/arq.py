"""arq: coroutines listed in a worker settings class's `functions`; a job leaves the queue only when
it finishes.

arq keeps a job in the queue's sorted set while it runs (with an `arq:in-progress:` key) and removes
it when the coroutine returns; a worker that dies mid-job lets the in-progress key expire, and the
job runs again with `ctx["job_try"]` one higher, up to `max_tries` (5 by default). So a listed
coroutine is an at-least-once consumer whose ack is its return (arq 0.28 `worker.py`: `Worker`,
`func`, `run_job`). `func(coroutine, max_tries=1)`, or `max_tries = 1` on the settings class, runs a
job at most once: not a redelivering consumer.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, kwarg, positional
from ..model import WEAK
from .base import Adapter, HandlerSite, root_words

ROOTS = ("arq",)


class ArqAdapter(Adapter):
    library = "arq"
    roots = ROOTS
    tokens = ("arq",)
    site_words = ("functions",)  # `WorkerSettings.functions`
    gate_needs = {"functions": root_words(ROOTS)}
    ack_names = frozenset()
    produce_names = frozenset()

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        if not index.imports_any(ROOTS):
            return
        for cls in index.classes.values():
            listed = cls.attrs.get("functions")
            if not isinstance(listed, (cst.List, cst.Tuple)) or _once(cls.attrs.get("max_tries")):
                continue
            for element in listed.elements:
                func = _listed(element.value, index)
                if func is not None:
                    yield HandlerSite("arq", func, "framework", WEAK, f"listed in `{cls.name}.functions` (arq)",
                                      "arq removes a job only when it finishes")


def _listed(expr: cst.BaseExpression, index: ModuleIndex) -> Optional[FunctionInfo]:
    """The module's coroutine an entry of `functions` names: itself, or `func(coroutine, ...)`
    unless that runs it once (`max_tries=1`)."""
    if isinstance(expr, cst.Call):
        origin = index.resolve(expr.func, None) or ""
        if origin not in ("arq.worker.func", "arq.func") or _once(kwarg(expr, "max_tries")):
            return None
        expr = kwarg(expr, "coroutine") or positional(expr, 0)
    if isinstance(expr, cst.Name):
        return index.module_functions.get(expr.value)
    return None


def _once(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Integer) and expr.value == "1"


__all__ = ["ArqAdapter"]
