"""Where a client object is built, and what one setting of its constructor says.

A consumer is built in the function that uses it, in `__init__`, at module level, or in a project
factory that returns it (`consumer = init_consumer(cfg)`). Its settings come as keyword arguments,
a config dict literal, a dict bound to a name (and changed in steps: `conf["k"] = v`,
`conf.update(...)`), a module constant of this or another project module, or `**spread` of any of
those. What cannot be read is `unknown`: the callers take the library default, with less confidence.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

from ..records import dataclass
from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, call_name, dotted, is_false, is_true, string_value, walk

ON, OFF, ABSENT, UNKNOWN = "on", "off", "absent", "unknown"
MAX_DEPTH = 6  # names, factories and modules followed for one answer


@dataclass(frozen=True)
class Built:
    """A constructor call, with the module and function it sits in."""

    call: cst.Call
    index: ModuleIndex
    func: Optional[FunctionInfo]


@dataclass(frozen=True)
class Setting:
    state: str  # on | off | absent | unknown
    node: Optional[cst.CSTNode] = None  # the value, where it is spelled out


IsCtor = Callable[..., bool]  # (call, its module index, its function) -> is it the constructor


def constructor(expr: Optional[cst.BaseExpression], func: Optional[FunctionInfo], index: ModuleIndex,
                is_ctor: IsCtor, depth: int = 0) -> Optional[Built]:
    """The call that builds the object `expr` holds: itself, what a local, a global, `self.x` or
    `with ... as x` was bound to, or what a project function it came from returns."""
    if expr is None or depth > MAX_DEPTH:
        return None
    if isinstance(expr, cst.Await):
        return constructor(expr.expression, func, index, is_ctor, depth + 1)
    if isinstance(expr, cst.Call):
        if is_ctor(expr, index, func):
            return Built(expr, index, func)
        for value, owner, owner_index in _returned(expr, func, index):
            found = constructor(value, owner, owner_index, is_ctor, depth + 1)
            if found is not None:
                return found
        return None
    for value, owner in _bindings(expr, func, index):
        found = constructor(value, owner, index, is_ctor, depth + 1)
        if found is not None:
            return found
    return None


def setting(built: Built, keys: Sequence[str], config_first: bool = True) -> Setting:
    """What the constructor's arguments say for any of `keys` (`enable.auto.commit`,
    `enable_auto_commit`): keywords, `**spread` dicts, and the config dict given first (when
    `config_first`: confluent-kafka's `Consumer(conf)`, not kafka-python's `KafkaConsumer(*topics)`)."""
    found = Setting(ABSENT)
    first = config_first
    spelled = [arg for arg in built.call.args if arg.keyword is not None and arg.keyword.value in keys]
    if len(spelled) == 1:
        # a keyword written out is final: a `**spread` that held it too would fail the call
        # (`got multiple values for keyword argument`), so `enable_auto_commit=False, **extra` is off
        return _truth(spelled[0].value, built.index)
    for arg in built.call.args:
        if arg.keyword is not None:
            if arg.keyword.value in keys:
                found = _merge(found, _truth(arg.value, built.index))
        elif arg.star == "**" or (first and not arg.star):
            found = _merge(found, _in_dict(arg.value, keys, built.func, built.index, 0))
        if arg.keyword is None and not arg.star:
            first = False
    return found


def _merge(before: Setting, after: Setting) -> Setting:
    """`after` overrides what it says; an `unknown` after a value may override it, so is unknown."""
    return before if after.state == ABSENT else after


def _truth(value: cst.BaseExpression, index: ModuleIndex, depth: int = 0) -> Setting:
    """`True`, `"true"`, `1` are on; `False`, `"false"`, `0` off; a module constant is read once."""
    text = string_value(value)
    if is_true(value) or (text or "").lower() == "true" or isinstance(value, cst.Integer) and value.value != "0":
        return Setting(ON, value)
    if is_false(value) or (text or "").lower() == "false" or isinstance(value, cst.Integer) and value.value == "0":
        return Setting(OFF, value)
    if isinstance(value, cst.Name) and depth == 0 and len(index.module_assigns.get(value.value, ())) == 1:
        return _truth(index.module_assigns[value.value][0][0], index, 1)
    return Setting(UNKNOWN, value)


def _in_dict(expr: cst.BaseExpression, keys: Sequence[str], func: Optional[FunctionInfo], index: ModuleIndex,
             depth: int) -> Setting:
    """The value a config dict gives one of `keys`: a dict display (later keys and spreads win),
    `dict(...)`, a copy, a name bound to one (with the changes made to it), another module's constant."""
    if depth > MAX_DEPTH:
        return Setting(UNKNOWN)
    d = depth + 1
    if isinstance(expr, cst.Dict):
        found = Setting(ABSENT)
        for el in expr.elements:
            if isinstance(el, cst.StarredDictElement):
                found = _merge(found, _in_dict(el.value, keys, func, index, d))
            elif string_value(el.key) in keys:
                found = _truth(el.value, index)
            elif string_value(el.key) is None:
                found = _merge(found, Setting(UNKNOWN))  # a computed key may be any of them
        return found
    if isinstance(expr, cst.Call):
        name = call_name(expr) or ""
        if dotted(expr.func) == "dict" or name in ("copy", "deepcopy") and expr.args:
            found = Setting(ABSENT)
            for arg in expr.args:
                found = _merge(found, _truth(arg.value, index) if arg.keyword is not None and arg.keyword.value in keys
                               else Setting(ABSENT) if arg.keyword is not None
                               else _in_dict(arg.value, keys, func, index, d))
            return found
        if name == "copy" and isinstance(expr.func, cst.Attribute):
            return _in_dict(expr.func.value, keys, func, index, d)  # `base.copy()`
        results = [_in_dict(value, keys, owner, owner_index, d) for value, owner, owner_index in _returned(expr, func, index)]
        return results[0] if results and all(r.state == results[0].state for r in results) else Setting(UNKNOWN)
    if isinstance(expr, (cst.Name, cst.Attribute)):
        bound = _bindings(expr, func, index)
        if bound:
            results = [_in_dict(value, keys, owner, index, d) for value, owner in bound]
            found = results[0] if all(r.state == results[0].state for r in results) else Setting(UNKNOWN)
            if isinstance(expr, cst.Name):
                found = _changed(expr.value, found, keys, func, index, d)
            elif func is not None:
                # `self.consumer_config["enable.auto.commit"] = False` before `Consumer(self.consumer_config)`
                found = _changed(dotted(expr) or "", found, keys, func, index, d)
            return found
        other = other_module_constant(expr, func, index)
        if other is not None:
            return _in_dict(other[0], keys, None, other[1], d)
    return Setting(UNKNOWN)


def _changed(name: str, found: Setting, keys: Sequence[str], func: Optional[FunctionInfo], index: ModuleIndex,
             depth: int) -> Setting:
    """Apply `conf["k"] = v`, `conf.update(...)` and `conf.setdefault("k", v)` made in the scope of `name`
    (for an attribute, `self.conf`, in the function at hand)."""
    scope: cst.CSTNode = index.module
    f = func
    if "." in name and func is not None:
        scope = func.node.body
    while f is not None and "." not in name:
        if name in f.assigns:
            scope = f.node.body
            break
        f = f.parent
    for node in walk(scope, into_scopes=False):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                t = target.target
                if (isinstance(t, cst.Subscript) and dotted(t.value) == name
                        and len(t.slice) == 1 and isinstance(t.slice[0].slice, cst.Index)):
                    key = string_value(t.slice[0].slice.value)
                    if key in keys:
                        found = _truth(node.value, index)
                    elif key is None:
                        found = _merge(found, Setting(UNKNOWN))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and dotted(node.func.value) == name:
            method = node.func.attr.value
            if method == "update":
                for arg in node.args:
                    found = _merge(found, _truth(arg.value, index) if arg.keyword is not None and arg.keyword.value in keys
                                   else Setting(ABSENT) if arg.keyword is not None
                                   else _in_dict(arg.value, keys, f, index, depth))
            elif method == "setdefault" and node.args and string_value(node.args[0].value) in keys:
                if found.state == ABSENT and len(node.args) > 1:
                    found = _truth(node.args[1].value, index)
    return found


def _bindings(expr: cst.BaseExpression, func: Optional[FunctionInfo], index: ModuleIndex
              ) -> List[Tuple[cst.BaseExpression, Optional[FunctionInfo]]]:
    """What a local, a global or `self.x` is bound to (`=` and `with ... as`), with the function binding it."""
    if isinstance(expr, cst.Name):
        f = func
        while f is not None:
            if expr.value in f.assigns:
                return [(v, f) for v, idx, how in f.assigns[expr.value] if idx is None and how != "for"]
            if expr.value in f.params:
                return []
            f = f.parent
        return [(v, None) for v, idx, how in index.module_assigns.get(expr.value, ()) if idx is None and how != "for"]
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        cls = index.class_of(func)
        if cls is not None:
            return [(v, owner) for v, owner, how in cls.attr_values.get(expr.attr.value, ())
                    if how != "for" and not (isinstance(v, cst.Name) and v.value == "None")]
    return []


def _returned(call: cst.Call, func: Optional[FunctionInfo], index: ModuleIndex
              ) -> List[Tuple[cst.BaseExpression, FunctionInfo, ModuleIndex]]:
    """What the project function `call` runs returns (in this module or another), or yields: a
    context manager made of a generator (`@asynccontextmanager def _read_consumer(self): consumer =
    AIOKafkaConsumer(...); yield consumer`) gives its `with ... as` what it yields."""
    from ..detect.base import Ctx
    from . import callees

    callee = callees.resolve(call.func, Ctx(index, func), index.project, index.path)
    if callee is None or callee.func is func:
        return []
    return [(value, callee.func, callee.index) for value in callee.func.returns + callee.func.yields
            if value is not None]


def other_module_constant(expr: cst.BaseExpression, func: Optional[FunctionInfo], index: ModuleIndex
                          ) -> Optional[Tuple[cst.BaseExpression, ModuleIndex]]:
    """`settings.KAFKA_CONFIG`, or an imported name: the value another project module assigns it."""
    project = index.project
    origin = index.resolve(expr, func)
    if project is None or not origin:
        return None
    located = project.locate(origin, index.path)
    if located is None:
        return None
    loaded, rest = located
    if len(rest) != 1 or rest[0][1]:
        return None
    values = loaded.index.module_assigns.get(rest[0][0], ())
    return (values[0][0], loaded.index) if len(values) == 1 and values[0][1] is None else None


__all__ = ["ABSENT", "Built", "OFF", "ON", "Setting", "UNKNOWN", "constructor", "setting"]
