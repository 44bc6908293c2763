"""Which function a call in a handler runs: in the same module, on a class, or in another project module.

Resolution is static and conservative: a name, an attribute of an import, `self.method` (also
inherited from a base class in the project), a method of an instance built from a project class
(`svc = Billing()` at module level, `self.billing = Billing()` in `__init__`, or `Billing().charge`).
Anything else stays unresolved, and the call is a hand-off to code the tool cannot see.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

import libcst as cst

from ..detect.base import Ctx, func_ref
from ..index import ClassInfo, FunctionInfo, ModuleIndex, dotted

MAX_HOPS = 6  # re-exports and base classes followed when resolving one call


@dataclass
class Callee:
    func: FunctionInfo
    index: ModuleIndex
    path: Optional[str]  # the callee's file; None when it is the module being analysed
    module: str = ""  # dotted module name of another project module

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.func.symbol}" if self.module else self.func.symbol


def resolve(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> Optional[Callee]:
    """The function `expr(...)` calls, or None. `path` is the file of `ctx.index` (None if unknown)."""
    callee = _resolve(expr, ctx, project, path)
    if callee is not None and callee.path is not None and (
            callee.index is ctx.index or same_file(callee.path, path)):
        return Callee(callee.func, ctx.index, None)
    return callee


def resolve_all(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str],
                overrides: bool = True) -> List[Callee]:
    """Every function `expr(...)` may run: the one `resolve` finds, or, when that is an abstract
    method (a stub: `pass`, `...`, `raise NotImplementedError`), the overrides of the project's
    subclasses of its class (polymorphic dispatch: `self._pipeline.acknowledge()`)."""
    callee = resolve(expr, ctx, project, path)
    if callee is None:
        return _any_class(expr, ctx, project, path)
    if not overrides or project is None or callee.func.class_name is None or not is_stub(callee.func):
        return [callee]
    return subclass_methods(callee, ctx, project, path) or [callee]


def _any_class(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """`obj.method` where `obj` is an instance of some class of a project module picked at run time
    (`getattr(module, name)(...)`: origin `module.*()`): the method of every class there that has one."""
    if project is None or not isinstance(expr, cst.Attribute):
        return []
    origin = ctx.origin(expr.value) or ""
    if not origin.endswith(".*()"):
        return []
    module = project.module_file(origin[: -len(".*()")], path)
    loaded = project.load(module) if module is not None else None
    if loaded is None:
        return []
    out: List[Callee] = []
    seen = set()
    for cls in loaded.index.classes.values():
        found = _method(cls, expr.attr.value, loaded.index, project, loaded.path, 0)
        if found is not None and id(found.func.node) not in seen and not is_stub(found.func):
            seen.add(id(found.func.node))
            out.append(found)
    return out


def subclass_methods(callee: Callee, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """The methods that override `callee` in the project's subclasses of its class (by class name)."""
    out: List[Callee] = []
    own = os.path.abspath(path) if path else None
    for sub_path, name in project.subclasses(callee.func.class_name):
        if own is not None and os.path.abspath(sub_path) == own:
            index, found_path = ctx.index, None
        else:
            loaded = project.load(sub_path)
            if loaded is None:
                continue
            index, found_path = loaded.index, loaded.path
        cls = index.classes.get(name)
        method = cls.methods.get(callee.func.name) if cls is not None else None
        if method is not None and not is_stub(method):
            out.append(Callee(method, index, found_path,
                              project.module_name(found_path) if found_path is not None else ""))
    return out


def is_stub(func: FunctionInfo) -> bool:
    """A body that does nothing: a docstring, `pass`, `...`, `return` / `return None`, or a raise of
    `NotImplementedError` (an abstract method)."""
    body = func.node.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for stmt in statements:
        smalls = stmt.body if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else None
        if smalls is None:
            return False
        for small in smalls:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                continue
            if isinstance(small, cst.Return) and (small.value is None or isinstance(small.value, cst.Name) and small.value.value == "None"):
                continue
            if isinstance(small, cst.Raise) and "NotImplemented" in (dotted(_raised(small.exc)) or ""):
                continue
            return False
    return True


def _raised(exc: Optional[cst.BaseExpression]) -> cst.BaseExpression:
    if isinstance(exc, cst.Call):
        return exc.func
    return exc if exc is not None else cst.Name("None")


def _resolve(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> Optional[Callee]:
    local = func_ref(expr, ctx)
    if local is not None:
        return Callee(local, ctx.index, None)
    if not isinstance(expr, cst.Attribute):
        return _by_origin(ctx.origin(expr), project, path)
    method = expr.attr.value
    owner = expr.value
    # self.method inherited from a base class; self.attr.method / svc.method on an instance
    if isinstance(owner, cst.Name) and owner.value in ("self", "cls") and ctx.func is not None:
        cls = ctx.index.class_of(ctx.func)
        if cls is not None:
            return _method(cls, method, ctx.index, project, path, 0)
        return None
    if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name) and owner.func.value == "super" and ctx.func is not None:
        cls = ctx.index.class_of(ctx.func)  # `super().method(...)`: the first base class that has it
        for base, base_index, base_path in base_classes(cls, ctx.index, project, path) if cls is not None else ():
            if method in base.methods:
                return _callee(base.methods[method], base_index, project, base_path)
        return None
    cls_ref = _instance_class(owner, ctx, project, path)
    if cls_ref is not None:
        cls, index, cls_path = cls_ref
        return _method(cls, method, index, project, cls_path, 0)
    return _by_origin(ctx.origin(expr), project, path)


def base_classes(cls: ClassInfo, index: ModuleIndex, project, path: Optional[str], broker_only: bool = False):
    """Every base class of `cls` the tool can find (same module or project), nearest first:
    (class, its module index, its path). With `broker_only`, bases in other modules are looked
    for only in modules that pass the prefilter (enough to find a base class that acks)."""
    out = []
    todo = [(cls, index, path, 0)]
    seen = {id(cls.node)}
    while todo:
        cur, cur_index, cur_path, hops = todo.pop(0)
        if hops > MAX_HOPS:
            continue
        for base in cur.bases:
            found = _class_named(base, cur_index, None, project, cur_path, hops, broker_only)
            if found is not None and id(found[0].node) not in seen:
                seen.add(id(found[0].node))
                out.append(found)
                todo.append((found[0], found[1], found[2], hops + 1))
    return out




def _instance_class(owner: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]):
    """(class, its module index, its path) of the object `owner` names, when it is built from a class."""
    value: Optional[cst.BaseExpression] = None
    if isinstance(owner, cst.Call):
        value = owner
    elif isinstance(owner, cst.Name):
        f = ctx.func
        while f is not None and value is None:
            if owner.value in f.assigns:
                value = f.assigns[owner.value][0][0]
            elif owner.value in f.params:
                return None
            f = f.parent
        if value is None and owner.value in ctx.index.module_assigns:
            value = ctx.index.module_assigns[owner.value][0][0]
    elif isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
        cls = ctx.index.class_of(ctx.func)
        if cls is not None:
            value = cls.attrs.get(owner.attr.value)
    if not isinstance(value, cst.Call):
        return None
    return _class_named(value.func, ctx.index, ctx.func, project, path, 0)


def _class_named(expr: cst.BaseExpression, index: ModuleIndex, func: Optional[FunctionInfo], project,
                 path: Optional[str], hops: int, broker_only: bool = False):
    if isinstance(expr, cst.Name) and expr.value in index.classes:
        return index.classes[expr.value], index, path
    if project is None or hops > MAX_HOPS:
        return None
    origin = index.resolve(expr, func)
    located = _locate(origin, project, path, broker_only)
    if located is None:
        return None
    loaded, rest = located
    return _class_in(loaded.index, rest, project, loaded.path, hops + 1, broker_only)


def _class_in(index: ModuleIndex, rest: List[Tuple[str, bool]], project, path: str, hops: int,
              broker_only: bool = False):
    if len(rest) != 1 or rest[0][1]:
        return None
    name = rest[0][0]
    if name in index.classes:
        return index.classes[name], index, path
    if name in index.imports and hops <= MAX_HOPS:
        located = _locate(index.imports[name], project, path, broker_only)
        if located is not None:
            return _class_in(located[0].index, located[1], project, located[0].path, hops + 1, broker_only)
    return None


def _method(cls: ClassInfo, name: str, index: ModuleIndex, project, path: Optional[str], hops: int) -> Optional[Callee]:
    if name in cls.methods:
        return _callee(cls.methods[name], index, project, path)
    if hops > MAX_HOPS:
        return None
    for base in cls.bases:
        found = _class_named(base, index, None, project, path, hops + 1)
        if found is not None and found[0] is not cls:
            callee = _method(found[0], name, found[1], project, found[2], hops + 1)
            if callee is not None:
                return callee
    return None


def _callee(func: FunctionInfo, index: ModuleIndex, project, path: Optional[str]) -> Callee:
    module = project.module_name(path) if project is not None and path is not None else ""
    return Callee(func, index, path, module)


def _locate(origin: Optional[str], project, path: Optional[str], broker_only: bool = False):
    if project is None or not origin:
        return None
    return project.locate(origin, path, broker_only)


def _by_origin(origin: Optional[str], project, path: Optional[str], hops: int = 0) -> Optional[Callee]:
    located = _locate(origin, project, path)
    if located is None:
        return None
    loaded, rest = located
    return _in_module(loaded, rest, project, hops)


def _in_module(loaded, rest: List[Tuple[str, bool]], project, hops: int) -> Optional[Callee]:
    index: ModuleIndex = loaded.index
    if not rest or hops > MAX_HOPS:
        return None
    (name, called), tail = rest[0], rest[1:]
    if not tail:
        func = index.module_functions.get(name)
        if func is not None and not called:
            return _callee(func, index, project, loaded.path)
    elif len(tail) == 1 and not tail[0][1]:
        if name in index.classes:
            return _method(index.classes[name], tail[0][0], index, project, loaded.path, hops + 1)
        if name in index.module_assigns and not called:
            value = index.module_assigns[name][0][0]
            if isinstance(value, cst.Call):
                found = _class_named(value.func, index, None, project, loaded.path, hops + 1)
                if found is not None:
                    return _method(found[0], tail[0][0], found[1], project, found[2], hops + 1)
    if name in index.imports:
        target = index.imports[name] + ("()" if called else "")
        if tail:
            target += "." + ".".join(n + ("()" if c else "") for n, c in tail)
        return _by_origin(target, project, loaded.path, hops + 1)
    return None


def same_file(a: Optional[str], b: Optional[str]) -> bool:
    return a is not None and b is not None and os.path.abspath(a) == os.path.abspath(b)


