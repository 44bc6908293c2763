"""Which function a call in a handler runs: in the same module, on a class, or in another project module.

Resolution is static and conservative: a name, an attribute of an import, `self.method` (also
inherited from a base class in the project), a method of an instance built from a project class
(`svc = Billing()` at module level, `self.billing = Billing()` in `__init__`, or `Billing().charge`).
Anything else stays unresolved, and the call is a hand-off to code the tool cannot see.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import List, Optional, Tuple

import libcst as cst

from ..records import dataclass
from ..detect.base import Ctx, func_ref
from ..index import TYPE_VARS, ClassInfo, FunctionInfo, ModuleIndex, alternatives, dotted, kwarg, string_value
from ..project import camel_words

MAX_HOPS = 6  # re-exports and base classes followed when resolving one call


@dataclass
class Callee:
    func: FunctionInfo
    index: ModuleIndex
    path: Optional[str]  # the callee's file; None when it is the module being analysed
    module: str = ""  # dotted module name of another project module
    guessed: bool = False  # one implementation of an interface the receiver is named like (`by_interface`)

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
        return (_any_class(expr, ctx, project, path) or dispatched(expr, ctx, project, path)
                or by_prefix(expr, ctx) or factory_methods(expr, ctx, project, path)
                or by_interface(expr, ctx, project, path) or undeclared(expr, ctx, project, path)
                or given_callables(expr, ctx, project, path))
    if project is None or callee.func.class_name is None or not is_stub(callee.func):
        return [callee]
    if not overrides:  # a protocol's implementations are no overrides: what a call typed by it runs
        return protocol_methods(callee, ctx, project, path) or [callee]
    return subclass_methods(callee, ctx, project, path) or protocol_methods(callee, ctx, project, path) or [callee]


def _is_protocol(cls: ClassInfo) -> bool:
    """`class StreamConsumer(Protocol):` (also `typing.Protocol`, `Protocol[T]`)."""
    for base in cls.bases:
        expr = base.value if isinstance(base, cst.Subscript) else base
        if (dotted(expr) or "").rpartition(".")[2] == "Protocol":
            return True
    return False


def protocol_methods(callee: Callee, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """`consumer.ack(...)` where `consumer` is typed with a `typing.Protocol` whose `ack` is a stub:
    the `ack` of every class of the protocol's package (its module and the modules beside it) that
    has all the protocol's methods. Structural typing: an implementation need not derive from it."""
    proto = callee.index.classes.get(callee.func.class_name or "")
    if proto is None or not _is_protocol(proto):
        return []
    method = callee.func.name
    wanted = {name for name in proto.methods if not name.startswith("__")}
    home = callee.path or path
    indexes: List[Tuple[ModuleIndex, Optional[str]]] = [(callee.index, callee.path)]
    if home is not None:
        folder = os.path.dirname(os.path.abspath(home))
        for name in sorted(project.listing(folder) or ()):
            other = os.path.join(folder, name)
            if not name.endswith(".py") or other == os.path.abspath(home) or not project.defines(other, method):
                continue
            if path is not None and other == os.path.abspath(path):
                indexes.append((ctx.index, None))
                continue
            loaded = project.load(other)
            if loaded is not None:
                indexes.append((loaded.index, loaded.path))
    out: List[Callee] = []
    for index, found_path in indexes:
        for cls in index.classes.values():
            impl = cls.methods.get(method)
            if impl is None or cls is proto or _is_protocol(cls) or is_stub(impl) or not wanted <= set(cls.methods):
                continue
            out.append(Callee(impl, index, found_path,
                              project.module_name(found_path) if found_path is not None else ""))
            if len(out) >= MAX_IMPLEMENTATIONS:
                return out
    return out


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


MAX_IMPLEMENTATIONS = 12  # `by_interface`: more than this many overrides say nothing of one receiver
# receivers named too generally to say which interface they implement
_VAGUE_NOUNS = {"self", "cls", "obj", "object", "item", "value", "result", "response", "request", "data", "args",
                "kwargs", "other", "instance", "thing", "entry", "element", "base", "parent", "child", "wrapper"}


def by_interface(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """`notifier.notify(alarm)` / `self.repository.write_batch(rows)` / `for plugin in self.notifiers:
    plugin.process_event(...)` on an object nothing resolves (a plug-in the configuration names): the
    overrides of the method in the project's subclasses of the interface named like the receiver
    (`AlarmNotifier`, `NotifierBase`, `AbstractRepository`) that declares it abstract (`pass`, `...`,
    `raise NotImplementedError`). Only when the receiver's own origin is unknown."""
    if not isinstance(expr, cst.Attribute) or expr.attr.value.startswith("__"):
        return []
    if ctx.origin(expr.value) is not None:
        return []  # a library object, or something the project resolves otherwise
    noun = _noun(expr.value, ctx)
    if not noun:
        return []
    method = expr.attr.value
    out: List[Callee] = []
    index = ctx.index
    for cls in index.classes.values():  # an interface of this module (also without a project)
        stub = cls.methods.get(method)
        if stub is None or not is_stub(stub) or noun not in camel_words(cls.name):
            continue
        out.extend(replace(found, guessed=True) for found in subclass_methods(Callee(stub, index, None), ctx,
                                                                                project, path))
    if project is None:
        return out
    for name in project.interfaces_named(noun):
        if name in index.classes or (name, method) in project.no_interface:
            continue  # this module's own interface (done above), or one known not to declare `method`
        subs = project.subclasses(name)
        files = project.class_files(name) or []
        implementing = sum(1 for sub_path, _ in subs if project.defines(sub_path, method))
        if len(files) != 1 or not project.defines(files[0], method) or not implementing \
                or implementing > MAX_IMPLEMENTATIONS:
            # no single file defines the interface with such a method, no implementation's file
            # defines it, or so many do that the receiver's name narrows nothing down (read as text)
            project.no_interface.add((name, method))
            continue
        loaded = project.load(files[0])  # not this module: its own classes were looked at above
        cls = loaded.index.classes.get(name) if loaded is not None else None
        stub = cls.methods.get(method) if cls is not None else None
        if stub is None or not is_stub(stub):
            project.no_interface.add((name, method))
            continue
        for found in subclass_methods(_callee(stub, loaded.index, project, loaded.path), ctx, project, path):
            if all(found.func.node is not c.func.node for c in out):
                out.append(replace(found, guessed=True))
    # a plug-in set is a handful of implementations; a method dozens of classes override is a
    # framework's own polymorphism, which a receiver's name does not narrow down
    return out if len(out) <= MAX_IMPLEMENTATIONS else []


def _noun(expr: cst.BaseExpression, ctx: Ctx) -> str:
    """What the receiver is called, singular (`self.notifiers` -> `notifier`): its last name, or, for a
    loop variable, the last name of what it loops over; "" for a name too general to say."""
    if isinstance(expr, cst.Name) and ctx.func is not None:
        bound = ctx.func.assigns.get(expr.value, ())
        if len(bound) == 1 and bound[0][2] == "for" and isinstance(bound[0][0], (cst.Name, cst.Attribute)):
            expr = bound[0][0]
    name = expr.value if isinstance(expr, cst.Name) else expr.attr.value if isinstance(expr, cst.Attribute) else ""
    word = name.strip("_").rpartition("_")[2].lower()
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return "" if len(word) < 4 or word in _VAGUE_NOUNS else word


def dispatched(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """A call through a dispatch table: `handler = self.handlers.get(event_type)` then
    `handler(payload)`, `HANDLERS[kind](msg)`, or a loop over a list of handlers (`for handler in
    self.handlers: handler(msg)`, `handler.handle(msg)`, `info.handler(msg)` for a list of named
    tuples, `for name, f in self.filters.items(): f(msg)`): every function the table's values name,
    when the table is a dict or list display the code binds once (a local, a module global, a class
    attribute or `self.<name>` assigned in one method). A value that is an instance
    (`SignedHandler()`) runs its class's `__call__` (or the method called on it); a value that names
    nothing the project has is left out."""
    method = None
    if isinstance(expr, cst.Attribute) and not _is_looked_up(expr.value, ctx):
        expr, method = expr.value, expr.attr.value  # `handler.handle(msg)` / `info.handler(msg)`
    found = _looked_up(expr, ctx)
    if found is None:
        return []
    table, looped = found
    nested = _nested_entry(expr, ctx) if method is None and not looped else None
    if nested is not None:
        return _nested_runs(*nested, ctx, project, path)
    # `for name, f in self.filters.items():` / `.values()`: a loop over a dict's values
    entries = looped and isinstance(table, cst.Call) and isinstance(table.func, cst.Attribute) \
        and table.func.attr.value in ("items", "values") and not table.args
    display = _table(table.func.value if entries else table, ctx)  # type: ignore[union-attr]
    if display is None or isinstance(display[0], cst.Dict) != (entries or not looped):
        return []  # a dict is looked up by key or looped over by its values, a list looped over
    # a table a parameter may replace (`task_mapping or control_message_to_task`): its functions are
    # what runs by default only, so what they do is a guess
    values, where, guessed = display
    fields = None
    out: List[Callee] = []
    for element in values.elements:
        value = element.value
        if method is not None and isinstance(value, cst.Call):
            fields = fields if fields is not None else _tuple_fields(value.func, where)
            if method in fields:  # `HandlerInfo(".tag", "Signed", SignedHandler())`: the field's value
                value = _field(value, fields, method)
                if value is None:
                    continue
                found_callees = _runs(value, "__call__", where, project, path)
            else:
                found_callees = _runs(value, method, where, project, path)
        elif method is None:
            found_callees = _runs(value, "__call__", where, project, path)
        else:
            continue
        for callee in found_callees:
            if all(callee.func.node is not c.func.node for c in out):
                out.append(replace(callee, guessed=True) if guessed else callee)
    return out


def given_callables(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """`self.callback(...)`, where the class stores `self.callback` only from a parameter of its
    `__init__` (`self.__provision_callback = provision_callback`) and every construction of the class
    in the project passes a function of the project for it (`RabbitMQConsumer(params, exchange, queue,
    provision, logger)` in the plugin module): those functions, what the callable runs. Nothing when a
    construction passes something else (a lambda, a parameter of its own) or none is found."""
    if project is None or path is None or not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
                                               and expr.value.value == "self") or ctx.func is None:
        return []
    cls = ctx.index.class_of(ctx.func)
    init = cls.methods.get("__init__") if cls is not None else None
    if cls is None or init is None or expr.attr.value in cls.methods:
        return []
    stored = [(v, o) for v, o, how in cls.attr_values.get(expr.attr.value, ())
              if how == "=" and not (isinstance(v, cst.Name) and v.value == "None")]
    if not stored or any(o is not init or not isinstance(v, cst.Name) or v.value not in init.params for v, o in stored):
        return []
    params = {v.value for v, _ in stored}  # type: ignore[union-attr]
    if len(params) != 1:
        return []
    param = params.pop()
    from ..index import argument
    from ..origins import MAX_CONSTRUCTING_FILES  # the origins import this module

    home = os.path.abspath(path)
    # the production files that construct a class of that name (`Origins.constructed_with`'s search;
    # a call of the name is one of this class only if it resolves to it: checked below)
    files = project.constructing(cls.name, path)
    if not files or len(files) > MAX_CONSTRUCTING_FILES:
        return []
    out: List[Callee] = []
    for file in files:
        loaded = None if os.path.abspath(file) == home else project.load(file)
        index, where = (ctx.index, path) if loaded is None else (loaded.index, loaded.path)
        if loaded is None and os.path.abspath(file) != home:
            return []
        for scope, call in index.calls_named(cls.name):
            at = Ctx(index, scope)
            built = class_named(call.func, at, where)
            if built is None or built[0].name != cls.name or not (
                    built[0].node is cls.node or built[2] is not None and same_file(built[2], path)):
                continue  # (the class as another module reads it: its module parsed on its own)
            given = argument(call, init, param)
            target = resolve(given, at, project, where) if given is not None else None
            if target is None:
                return []  # a lambda, a parameter, a library's function: what runs is not known
            if all(target.func.node is not c.func.node for c in out):
                out.append(target)
    return out


def by_prefix(expr: cst.BaseExpression, ctx: Ctx) -> List[Callee]:
    """A method picked by a name made at run time: `getattr(self, "do_" + command)(...)` (or
    `f"do_{command}"`, also through a local bound once to the `getattr`): every method of the class
    whose name starts with the prefix, one of which runs (a command table the class's method names
    make)."""
    if isinstance(expr, cst.Name) and ctx.func is not None:
        values = ctx.func.values_of(expr.value)
        expr = values[0] if len(values) == 1 else expr
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "getattr"
            and len(expr.args) >= 2 and isinstance(expr.args[0].value, cst.Name)
            and expr.args[0].value.value == "self"):
        return []
    prefix = _name_prefix(expr.args[1].value)
    cls = ctx.index.class_of(ctx.func) if ctx.func is not None else None
    if not prefix or cls is None:
        return []
    return [Callee(method, ctx.index, None) for name, method in sorted(cls.methods.items()) if name.startswith(prefix)]


def _name_prefix(name: cst.BaseExpression) -> str:
    """The constant start of a name made at run time: `"do_" + command` or `f"do_{command}"` -> "do_"
    (at least three characters; "" for anything else)."""
    prefix = ""
    if isinstance(name, cst.BinaryOperation) and isinstance(name.operator, cst.Add):
        prefix = string_value(name.left) or ""
    elif isinstance(name, cst.FormattedString) and name.parts and isinstance(name.parts[0], cst.FormattedStringText):
        prefix = name.parts[0].value if len(name.parts) > 1 else ""
    return prefix if len(prefix) >= 3 and prefix.replace("_", "a").isalnum() else ""


def _nested_entry(expr: cst.BaseExpression, ctx: Ctx) -> Optional[Tuple[cst.BaseExpression, str]]:
    """`handler = BACKENDS[backend]["publish"]`, then `handler(topic, msg)`: (the outer table, the inner
    key) of a two-level lookup whose inner key is a string, also through a name bound once."""
    if isinstance(expr, cst.Name) and ctx.func is not None:
        bound = ctx.func.assigns.get(expr.value, ())
        if len(bound) != 1 or bound[0][2] != "=" or bound[0][1] is not None:
            return None
        expr = bound[0][0]
    if not (isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.value, cst.Subscript)
            and len(expr.value.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index)):
        return None
    key = string_value(expr.slice[0].slice.value)
    return (expr.value.value, key) if key is not None else None


def _nested_runs(table: cst.BaseExpression, key: str, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """Every function the inner dicts of a dict display bound once name under `key`."""
    display = _table(table, ctx)
    if display is None or not isinstance(display[0], cst.Dict):
        return []
    outer, where, guessed = display
    out: List[Callee] = []
    for element in outer.elements:
        inner = element.value if isinstance(element, cst.DictElement) else None
        if not isinstance(inner, cst.Dict):
            continue
        for entry in inner.elements:
            if isinstance(entry, cst.DictElement) and string_value(entry.key) == key:
                for callee in _runs(entry.value, "__call__", where, project, path):
                    if all(callee.func.node is not c.func.node for c in out):
                        out.append(replace(callee, guessed=True) if guessed else callee)
    return out


def _runs(value: cst.BaseExpression, method: str, where: Ctx, project, path: Optional[str]) -> List[Callee]:
    """What calling a table's value runs: the function it names, or, for an instance it builds
    (`SignedHandler()`), its class's `method`."""
    if isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)):
        cls = _class_named(value.func, where.index, where.func, project, path, 0)
        found = _method(cls[0], method, cls[1], project, cls[2], 0) if cls is not None else None
        if found is not None and cls is not None and same_file(found.path, path):
            found = Callee(found.func, where.index, None)
        return [found] if found is not None else []
    if method != "__call__":
        return []
    found = resolve(value, where, project, path)
    return [found] if found is not None else []


def _tuple_fields(func: cst.BaseExpression, where: Ctx) -> List[str]:
    """The field names of the named tuple class `func` names in this module (`HandlerInfo =
    namedtuple("HandlerInfo", ["topic", "name", "handler"])`, or a `NamedTuple` class), else []."""
    if not isinstance(func, cst.Name):
        return []
    cls = where.index.classes.get(func.value)
    if cls is not None:
        return list(cls.annotations) if any(dotted(b) in ("NamedTuple", "typing.NamedTuple") for b in cls.bases) else []
    bound = where.index.module_assigns.get(func.value, ())
    if len(bound) != 1 or not isinstance(bound[0][0], cst.Call):
        return []
    call = bound[0][0]
    if (where.index.resolve(call.func, None) or "") not in ("collections.namedtuple", "typing.NamedTuple") \
            or len(call.args) < 2:
        return []
    names = call.args[1].value
    if isinstance(names, (cst.List, cst.Tuple)):
        return [string_value(e.value) or "" for e in names.elements]
    text = string_value(names)
    return text.replace(",", " ").split() if text else []


def _field(value: cst.Call, fields: List[str], name: str) -> Optional[cst.BaseExpression]:
    for arg in value.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    positional = [a for a in value.args if a.keyword is None and not a.star]
    index = fields.index(name)
    return positional[index].value if index < len(positional) else None


def _is_looked_up(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """`expr` is itself a table's value (`HANDLERS[kind]`, `self.handlers.get(kind)`, a name bound
    to one), so a call of one of its attributes is a method of that value."""
    found = _looked_up(expr, ctx)
    return found is not None and not found[1]


def _looked_up(expr: cst.BaseExpression, ctx: Ctx) -> Optional[Tuple[cst.BaseExpression, bool]]:
    """(the table `expr` is read from, whether by a loop): `table[key]`, `table.get(key, ...)`, a
    name the function binds once to one of those, or a loop variable over the table."""
    if isinstance(expr, cst.Name) and ctx.func is not None:
        bound = ctx.func.assigns.get(expr.value, ())
        if len(bound) != 1 or bound[0][2] not in ("=", "for"):
            return None
        if bound[0][2] == "for":
            iterated = bound[0][0]
            if bound[0][1] not in (None, 1) or bound[0][1] == 1 and not (
                    isinstance(iterated, cst.Call) and isinstance(iterated.func, cst.Attribute)
                    and iterated.func.attr.value == "items"):
                return None  # `for name, f in table.items()`: the value, not the key
            return iterated, True
        expr = bound[0][0]
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        return expr.value, False
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and 1 <= len(expr.args) <= 2 and not any(a.star for a in expr.args):
        return expr.func.value, False
    return None


def _table(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[Tuple[cst.BaseExpression, Ctx, bool]]:
    """The dict, list or tuple display the name or `self.<attr>` `expr` is bound to once, with the
    context its values are read in (the method that assigns it, for `self._on_created`), and whether
    it is only the module's default for a table a parameter may give instead."""
    value: Optional[cst.BaseExpression] = None
    where = ctx
    default = None
    if isinstance(expr, cst.Name):
        bound = (ctx.func.assigns.get(expr.value) if ctx.func is not None else None) \
            or ctx.index.module_assigns.get(expr.value, ())
        if len(bound) == 1 and bound[0][2] == "=":
            value = bound[0][0]
            if ctx.func is None or expr.value not in ctx.func.assigns:
                where = Ctx(ctx.index, None)
    elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value in ("self", "cls"):
        cls = ctx.index.class_of(ctx.func)
        bound = cls.attr_values.get(expr.attr.value, []) if cls is not None else []
        if len(bound) > 1:  # `message_filters: dict = {}` in the class body, filled in `__init__`
            bound = [b for b in bound if not (isinstance(b[0], (cst.Dict, cst.List, cst.Tuple)) and not b[0].elements)]
        if len(bound) == 1 and bound[0][2] == "=":
            value, method = bound[0][0], bound[0][1]
            where = Ctx(ctx.index, method)
            default = _default_table(value, method, ctx.index)
            if default is not None:
                value, where = default, Ctx(ctx.index, None)
    return (value, where, default is not None) if isinstance(value, (cst.Dict, cst.List, cst.Tuple)) else None


def _default_table(value: cst.BaseExpression, method: Optional[FunctionInfo], index: ModuleIndex):
    """`self.task_mapping = task_mapping or control_message_to_task`: the module's table a parameter
    of the method defaults to (what the parameter holds instead is the caller's)."""
    if not isinstance(value, cst.BooleanOperation) or method is None:
        return None
    tables = []
    for option in alternatives(value):
        if isinstance(option, cst.Name) and option.value in method.params:
            continue
        bound = index.module_assigns.get(option.value, ()) if isinstance(option, cst.Name) else ()
        if len(bound) != 1 or not isinstance(bound[0][0], (cst.Dict, cst.List, cst.Tuple)):
            return None
        tables.append(bound[0][0])
    return tables[0] if len(tables) == 1 else None


def undeclared(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """`self.provider.publish_message(message)` where `provider` is declared (or built) as a project
    class that has no such method, nor its bases (`class Provider: def run(...): raise
    NotImplementedError`): the method of each project subclass of it that defines one (the providers
    the application may be given). Guessed: the base does not promise the method."""
    if not isinstance(expr, cst.Attribute) or expr.attr.value.startswith("__"):
        return []
    found = _declared_class(expr.value, ctx, project, path)
    if found is None:
        return []
    cls, index, cls_path = found
    method = expr.attr.value
    if method in cls.methods or any(method in base.methods for base, _, _ in base_classes(cls, index, project, cls_path)):
        return []  # declared: `resolve` answers, or the base's own method is what runs
    impls = _implementations(cls.name, method, ctx, project, path, guessed=True)
    return impls if len(impls) <= MAX_IMPLEMENTATIONS else []  # so many: the declared class narrows nothing down


def _declared_class(owner: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]):
    """(class, its module index, its path) of the project class `owner` is declared or resolved as:
    a parameter's annotation (`provider: Provider`), also through the attribute `__init__` stores it
    in (`self.provider = provider`); else what its origin names."""
    if isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
        cls = ctx.index.class_of(ctx.func)
        stored = cls.attrs.get(owner.attr.value) if cls is not None else None
        init = cls.methods.get("__init__") if cls is not None else None
        if isinstance(stored, cst.Name) and init is not None and stored.value in init.params:
            declared = init.annotations.get(stored.value)
            return _class_named(declared, ctx.index, init, project, path, 0) if declared is not None else None
    if isinstance(owner, cst.Name) and ctx.func is not None and owner.value in ctx.func.params \
            and owner.value in ctx.func.annotations:
        return _class_named(ctx.func.annotations[owner.value], ctx.index, ctx.func, project, path, 0)
    origin = ctx.origin(owner) or ""
    if project is None or not origin.endswith("()") or "(" in origin[:-2]:
        return None
    return class_at(origin[:-2], ctx.index)


def subclass_methods(callee: Callee, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """The methods that override `callee` in the project's subclasses of its class (by class name);
    without a project, in the analysed module's subclasses."""
    return _implementations(callee.func.class_name or "", callee.func.name, ctx, project, path)


def _implementations(class_name: str, method: str, ctx: Ctx, project, path: Optional[str],
                     guessed: bool = False) -> List[Callee]:
    """The non-stub `method` of each project subclass of the class named `class_name` (without a
    project, of the analysed module's direct subclasses)."""
    out: List[Callee] = []
    if project is None:
        for sub in ctx.index.classes.values():
            impl = sub.methods.get(method)
            if impl is not None and not is_stub(impl) and any(
                    (dotted(b) or "").rpartition(".")[2] == class_name for b in sub.bases):
                out.append(Callee(impl, ctx.index, None, guessed=guessed))
        return out
    own = os.path.abspath(path) if path else None
    for sub_path, name in project.subclasses(class_name):
        if own is not None and os.path.abspath(sub_path) == own:
            index, found_path = ctx.index, None
        elif not project.defines(sub_path, method):
            continue  # its file has no `def <method>(`: nothing there overrides it (not parsed)
        else:
            loaded = project.load(sub_path)
            if loaded is None:
                continue
            index, found_path = loaded.index, loaded.path
        cls = index.classes.get(name)
        impl = cls.methods.get(method) if cls is not None else None
        if impl is not None and not is_stub(impl):
            out.append(Callee(impl, index, found_path,
                              project.module_name(found_path) if found_path is not None else "", guessed=guessed))
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
    cls_ref = _instance_class(owner, ctx, project, path) or _own_class(owner, ctx, project, path)
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




def instance_class(owner: cst.BaseExpression, ctx: Ctx):
    """(class, its module index, its path) of the object `owner` names, when the module or the
    project builds it from a class of the project (`self._producer = MetricsProducer()`)."""
    return _instance_class(owner, ctx, ctx.index.project, ctx.index.path)


def _instance_class(owner: cst.BaseExpression, ctx: Ctx, project, path: Optional[str], depth: int = 0):
    """(class, its module index, its path) of the object `owner` names, when it is built from a class
    (also `self.producer`, stored from a constructor parameter, when the module constructs the class
    once, with an object built from a class: `HistogramSink(Producer(...))`)."""
    value: Optional[cst.BaseExpression] = None
    if isinstance(owner, cst.Call):
        value = owner
    elif isinstance(owner, cst.Name):
        f = ctx.func
        while f is not None and value is None:
            if owner.value in f.assigns:
                value = f.assigns[owner.value][0][0]
                declared = f.annotations.get(owner.value)
                if declared is not None and not (isinstance(value, cst.Call) and _class_named(
                        value.func, ctx.index, ctx.func, project, path, 0) is not None):
                    # `repo: AuditLogRepository = REGISTRY[AuditLogRepository](session)`: not built
                    # here from a class, so its declared type says what it is
                    return _class_named(declared, ctx.index, ctx.func, project, path, 0)
            elif owner.value in f.params:
                return None
            f = f.parent
        if value is None and owner.value in ctx.index.module_assigns:
            value = ctx.index.module_assigns[owner.value][0][0]
    elif isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
        cls = ctx.index.class_of(ctx.func)
        if cls is not None:
            value = cls.attrs.get(owner.attr.value)
            if isinstance(value, cst.Name) and depth < MAX_FACTORY_DEPTH:
                return _constructed_with(cls, value.value, ctx, project, path, depth)
    if not isinstance(value, cst.Call):
        return None
    model = _queried_model(value)
    if model is not None:  # `Layer.objects.get(id=layer_id)`: an object of the model class
        return _class_named(model, ctx.index, ctx.func, project, path, 0)
    return _class_named(value.func, ctx.index, ctx.func, project, path, 0)


# Django queryset methods that return one object of the queryset's model
_ONE_OBJECT = frozenset({"get", "first", "last", "earliest", "latest", "create", "aget", "afirst", "alast", "acreate"})


def _queried_model(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The model class of a Django query that returns one of its objects (`Layer.objects.get(id=i)`,
    `Order.objects.filter(...).first()`, `Ticket.objects.create(...)`), else None."""
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in _ONE_OBJECT:
        return None
    expr: cst.BaseExpression = call.func.value
    while isinstance(expr, (cst.Call, cst.Attribute)):
        if isinstance(expr, cst.Attribute) and expr.attr.value == "objects":
            return expr.value
        expr = expr.func if isinstance(expr, cst.Call) else expr.value
    return None


def _constructed_with(cls: ClassInfo, param: str, ctx: Ctx, project, path: Optional[str], depth: int):
    """The class of what the module's one construction of `cls` passes for its `__init__`'s `param`."""
    from ..index import argument

    init = cls.methods.get("__init__")
    if init is None or param not in init.params:
        return None
    sites = list(ctx.index.calls_named(cls.name))  # `HistogramSink(producer, ...)`: bodies without the name stay unparsed
    if len(sites) != 1 or not isinstance(sites[0][1].func, cst.Name):
        return None
    scope, call = sites[0]
    given = argument(call, init, param)
    if given is None:
        return None
    return _instance_class(given, Ctx(ctx.index, scope), project, path, depth + 1)


MAX_FACTORY_DEPTH = 2  # `get_gather_publisher()` -> `get_publisher(key)` -> `Publisher(...)`


def factory_methods(expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> List[Callee]:
    """`publisher = get_publisher(key)` then `publisher.send(body)`, where the project function
    `get_publisher` returns `Publisher(...)` or `RedisPublisher(...)` (chosen by configuration): the
    method of every project class its `return`s build, through factories that return another
    factory's result (`MAX_FACTORY_DEPTH`)."""
    if not isinstance(expr, cst.Attribute) or project is None:
        return []
    value = _bound_value(expr.value, ctx)
    if not isinstance(value, cst.Call):
        return []
    out: List[Callee] = []
    seen: set = set()
    for cls, index, cls_path in _built_by(value.func, ctx, project, path, 0, set()):
        found = _method(cls, expr.attr.value, index, project, cls_path, 0)
        if found is not None and id(found.func.node) not in seen and not is_stub(found.func):
            seen.add(id(found.func.node))
            out.append(found)
            if len(out) >= MAX_IMPLEMENTATIONS:
                break
    return out


def _bound_value(owner: cst.BaseExpression, ctx: Ctx) -> Optional[cst.BaseExpression]:
    """The call `owner` is (`get_publisher().send`) or a local bound once to (`publisher =
    get_publisher()`)."""
    if isinstance(owner, cst.Call):
        return owner
    if isinstance(owner, cst.Name) and ctx.func is not None:
        values = ctx.func.assigns.get(owner.value, ())
        if len(values) == 1 and values[0][1] is None and values[0][2] == "=":
            value = values[0][0]
            return value.expression if isinstance(value, cst.Await) else value
    return None


def _built_by(func_expr: cst.BaseExpression, ctx: Ctx, project, path: Optional[str], depth: int, active: set):
    """(class, index, path) of each project class a factory's `return`s construct."""
    factory = resolve(func_expr, ctx, project, path)
    if factory is None or factory.func.class_name is not None and factory.func.name == "__init__":
        return []
    key = id(factory.func.node)
    if key in active or depth > MAX_FACTORY_DEPTH:
        return []
    active.add(key)
    out = []
    inner = Ctx(factory.index, factory.func)
    where = factory.path or path
    for ret in factory.func.returns:
        ret = ret.expression if isinstance(ret, cst.Await) else ret
        if not isinstance(ret, cst.Call):
            continue
        cls = _class_named(ret.func, factory.index, factory.func, project, where, 0)
        if cls is not None:
            out.append(cls)
        else:
            out.extend(_built_by(ret.func, inner, project, where, depth + 1, active))
    return out


def _own_class(owner: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]):
    """(class, index, path) when `owner` is, by its origin, an instance of a class of this very module
    (`self.source`, set from a parameter annotated with the module's `KafkaEventSource`): the project
    locates other modules' classes, not the analysed module's own."""
    if project is None or path is None:
        return None
    origin = ctx.origin(owner) or ""
    prefix = project.module_name(path) + "."
    if not (origin.startswith(prefix) and origin.endswith("()")):
        return None
    cls = ctx.index.classes.get(origin[len(prefix):-2])
    return (cls, ctx.index, path) if cls is not None else None


def class_named(expr: cst.BaseExpression, ctx: Ctx, path: Optional[str]):
    """(class, its module index, its path) that `expr` names (`Connector`, `pkg.mod.Base`): a class of
    the module, or one of a project module; None for anything else (an instance, a library's class)."""
    return _class_named(expr, ctx.index, ctx.func, ctx.index.project, path, 0)


def class_at(origin: str, index: ModuleIndex):
    """(class, its module index, its path) an origin names (`Heartbeat`, `pkg.messages.ResultMessage`),
    read from `index`'s module; None when it is no class of the project."""
    if origin in index.classes:
        return index.classes[origin], index, index.path
    located = _locate(origin, index.project, index.path)
    return _class_in(located[0].index, located[1], index.project, located[0].path, 0) if located else None


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
    bound = _type_var_bound(index, name)
    if bound is not None and hops <= MAX_HOPS:
        # `BaseEvent = TypeVar("BaseEvent", bound=Event)`: what it annotates is an `Event`
        return _class_named(bound, index, None, project, path, hops + 1, broker_only)
    return None


def _type_var_bound(index: ModuleIndex, name: str) -> Optional[cst.BaseExpression]:
    """The `bound=` of a module global bound once to a `TypeVar(...)`, else None."""
    values = index.module_assigns.get(name, ())
    if len(values) != 1 or not isinstance(values[0][0], cst.Call):
        return None
    call = values[0][0]
    if (dotted(call.func) or "").rpartition(".")[2] != "TypeVar" or index.resolve(call.func, None) not in TYPE_VARS:
        return None
    return kwarg(call, "bound")


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


def by_dotted_name(name: str, project, path: Optional[str]) -> Optional[Callee]:
    """The project function a dotted name written out names (`"app.tasks.refresh_role"`), or None."""
    return _by_origin(name, project, path)


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


