"""dramatiq: `@dramatiq.actor` functions, and actors made by calling it (`write_log = dramatiq.actor(WriteLog())`,
`dramatiq.actor(fn, queue_name=...)`); the worker acks after the actor returns.

An actor made from an object runs its class's `__call__`; when that is a base class's, which runs a
method the class overrides (`TaskBase.__call__` runs `self.run(...)`), the override is the handler.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..index import FunctionInfo, ModuleIndex, call_name
from ..lazyimport import cst  # not loaded before first use
from ..model import WEAK
from .base import Adapter, HandlerSite, decorators, root_words

ROOTS = ("dramatiq",)
ACTOR = ("dramatiq.actor", "dramatiq.actor.actor")  # the decorator, called or applied


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
                if view.origin() in ACTOR:
                    yield HandlerSite("dramatiq", func, "framework", WEAK, f"`@dramatiq.actor`{view.suffix()}",
                                      "dramatiq acks after the actor returns")
                    break
        for call in index.module_calls:
            if not call.args or index.resolve(call.func, None) not in ACTOR:
                continue
            func = actor_function(call.args[0].value, index)
            if func is not None:
                yield HandlerSite("dramatiq", func, "framework", WEAK, "`dramatiq.actor(...)`",
                                  "dramatiq acks after the actor returns")


def actor_function(target: cst.BaseExpression, index: ModuleIndex) -> Optional[FunctionInfo]:
    """What an actor made of `target` runs per message: a function of the module, or for an object
    of one of its classes (`WriteLog()`), the class's `__call__`, or the method of the class a base
    class's `__call__` calls on `self`."""
    if isinstance(target, cst.Name):
        return index.module_functions.get(target.value)
    if not isinstance(target, cst.Call) or not isinstance(target.func, cst.Name) or target.func.value not in index.classes:
        return None
    cls = index.classes[target.func.value]
    if "__call__" in cls.methods:
        return cls.methods["__call__"]
    from ..facts.callees import base_classes  # facts import the adapters: not at module level

    for base, _, _ in base_classes(cls, index, index.project, index.path):
        runner = base.methods.get("__call__")
        if runner is None:
            continue
        for inner in runner.calls:
            name = call_name(inner)
            if isinstance(inner.func, cst.Attribute) and isinstance(inner.func.value, cst.Name) \
                    and inner.func.value.value == "self" and name in cls.methods:
                return cls.methods[name]  # `self.run(*args)`: the class's own step
        return None
    return None


def assigned_actor(name: str, index: ModuleIndex) -> Optional[FunctionInfo]:
    """What the actor a module global holds runs (`cleanup = dramatiq.actor(CleanupTask())`), or None."""
    bound = index.module_assigns.get(name)
    value = bound[0][0] if bound else None
    if not isinstance(value, cst.Call) or not value.args or index.resolve(value.func, None) not in ACTOR:
        return None
    return actor_function(value.args[0].value, index)
