"""Celery: tasks with `acks_late=True` (decorator, Task attribute or app config) ack after returning."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ClassInfo, FunctionInfo, ModuleIndex, dotted, kwarg
from ..model import WEAK
from ..lazyre import lazy_re
from . import celery_config
from .base import Adapter, DecoratorView, HandlerSite, ModuleWords, decorator_call, decorators, root_words

ROOTS = ("celery",)
CONFIG_NAMES = {"task_acks_late", "CELERY_TASK_ACKS_LATE", "CELERY_ACKS_LATE", "acks_late"}
# `@app.task` / `@app.task(...)`: one dot, as `_is_task_decorator` wants (`@self.app.task` is not one)
TASK_DECORATOR = lazy_re(rb"@[\s(\\]*\w+\s*\.\s*task\b(?!\s*\.)")


class CeleryAdapter(Adapter):
    library = "celery"
    roots = ROOTS
    tokens = ("celery", "acks_late", "ACKS_LATE", "shared_task")
    # `@app.task` / `@shared_task(...)`, or a `Task` subclass with `acks_late = True`
    site_words = ("task", "shared_task", "acks_late")
    # a task is a site only when acked late or in a module that imports celery
    gate_needs = dict.fromkeys(("task", "shared_task"), (*root_words(ROOTS), *sorted(CONFIG_NAMES)))
    ack_names = frozenset()
    produce_names = frozenset()

    def may_find(self, words: ModuleWords) -> bool:
        if "acks_late" in words.found or "shared_task" in words.found and super().may_find(words):
            return True  # `shared_task` may be imported under another name: no closer look
        return super().may_find(words) and TASK_DECORATOR.search(words.source) is not None

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        module_late = _module_acks_late(index)
        for func in index.functions:
            for view in decorators(func, index):
                if not _is_task_decorator(view):
                    continue
                late = _late_flag(view)
                configured = False
                if late is None:
                    late = module_late or bool(view.via) and _module_acks_late(view.index)
                    if not late and index.project is not None and index.path:
                        late = configured = celery_config.acks_late(index.project, index.path)
                if late:
                    yield HandlerSite("celery", func, "framework", WEAK,
                                      f"Celery task with `acks_late=True`{view.suffix()}"
                                      + (" (`task_acks_late` in the configuration of the project's Celery app)"
                                         if configured else ""),
                                      "Celery acks after the task returns (`acks_late=True`)")
                elif index.imports_any(ROOTS) or view.via:
                    yield HandlerSite("celery", func, "auto", WEAK,
                                      f"Celery task without `acks_late` (acked before it runs){view.suffix()}")
                break
        for cls in index.classes.values():
            run = cls.methods.get("run")
            if run is not None and _class_acks_late(cls) and _subclasses_task(cls):
                yield HandlerSite("celery", run, "framework", WEAK,
                                  f"`run()` of Celery task class `{cls.name}` with `acks_late = True`",
                                  "Celery acks after the task returns (`acks_late = True`)")


def bound_request(func: FunctionInfo) -> Optional[str]:
    """`self.request` of `@app.task(bind=True) def t(self, ...)`: the task's message (its `id` is
    the task id the producer set, the same on every redelivery); None for any other function.

    Read from the decorator's text alone (the caller has no module index at hand).
    """
    if not func.params:
        return None
    for dec in func.decorators:
        callee, call = decorator_call(dec)
        text = dotted(callee) or ""
        if call is None or not (text.split(".")[-1] == "shared_task" or text.endswith(".task") and text.count(".") == 1):
            continue
        flag = kwarg(call, "bind")
        if isinstance(flag, cst.Name) and flag.value == "True":
            return f"{func.params[0]}.request"
    return None


def _is_task_decorator(view: DecoratorView) -> bool:
    text = dotted(view.callee) or ""
    origin = view.origin() or ""
    if origin in ("celery.shared_task", "celery.app.shared_task") or text == "shared_task":
        return True
    if origin.startswith("celery.") and origin.endswith(".task"):
        return True  # `task = app.task` in a module of the project, then `@task`
    return text.endswith(".task") and text.count(".") == 1


def _late_flag(view: DecoratorView) -> Optional[bool]:
    if view.call is None:
        return None
    flag = view.keyword("acks_late")
    if isinstance(flag, cst.Name):
        return flag.value == "True"
    base = view.keyword("base")
    if isinstance(base, cst.Name) and base.value in view.index.classes:
        if _class_acks_late(view.index.classes[base.value]):
            return True
    return None


def _class_acks_late(cls: ClassInfo) -> bool:
    value = cls.attrs.get("acks_late")
    return isinstance(value, cst.Name) and value.value == "True"


def _subclasses_task(cls: ClassInfo) -> bool:
    return any((dotted(b) or "").split(".")[-1] in ("Task", "celery.Task") or "Task" in (dotted(b) or "")
               for b in cls.bases)


def _module_acks_late(index: ModuleIndex) -> bool:
    for name in CONFIG_NAMES:
        for value, _, _ in index.module_assigns.get(name, []):
            if isinstance(value, cst.Name) and value.value == "True":
                return True
    for node in index.module_calls:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "update":
            flag = kwarg(node, "task_acks_late")
            if isinstance(flag, cst.Name) and flag.value == "True":
                return True
    for stmt in index.module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Attribute) and t.target.attr.value in CONFIG_NAMES:
                            if isinstance(small.value, cst.Name) and small.value.value == "True":
                                return True
    return False
