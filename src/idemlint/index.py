"""One cheap pass over a module: imports, functions, classes and assignments, plus name resolution.

Resolution turns an expression into a dotted "origin" string through the module's own imports and
simple assignments, without libcst's metadata providers (which cost more than the parse itself):

    channel = pika.BlockingConnection(params).channel()   ->  "pika.BlockingConnection().channel()"
    sqs = boto3.client("sqs")                             ->  "boto3.client(sqs)"
    for record in consumer: ...  (consumer = KafkaConsumer())  ->  "kafka.KafkaConsumer()[]"

Adapters and facts then match on these strings, so `db.session.commit()` and a Kafka consumer's
`commit()` are different facts even though the method name is the same.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .records import dataclass
from .lazyimport import cst  # not loaded before first use


# calls that run the coroutine they are given to completion, there and then
RUNS_COROUTINE = frozenset({"run", "run_until_complete", "run_sync", "async_to_sync"})


@dataclass
class FunctionInfo:
    node: cst.FunctionDef
    symbol: str  # dotted path from module level: Class.method, outer.inner
    name: str
    class_name: Optional[str]  # directly enclosing class, if a method
    parent: Optional["FunctionInfo"]
    params: List[str]
    annotations: Dict[str, cst.BaseExpression]
    decorators: List[cst.Decorator]
    is_async: bool
    # name -> list of (value expression, tuple index or None) assigned in this function's own body
    assigns: Dict[str, List[Tuple[cst.BaseExpression, Optional[int], str]]] = field(default_factory=dict)
    # collected in source order by the index pass (own body only, not nested functions)
    calls: List[cst.Call] = field(default_factory=list)
    withs: List[cst.With] = field(default_factory=list)
    fors: List[cst.For] = field(default_factory=list)
    tests: List[cst.BaseExpression] = field(default_factory=list)
    subscripts: set = field(default_factory=set)  # (name, literal key) pairs: event["Records"]
    # (name, name of the key) pairs where the key is a name: payload[ACK_KEY] (see `constant_keys`)
    subscript_names: set = field(default_factory=set)
    returns: List[cst.BaseExpression] = field(default_factory=list)  # `return <value>` (own body)
    yields: List[cst.BaseExpression] = field(default_factory=list)  # `yield <value>` (own body)

    def is_async_run(self, call: cst.Call) -> bool:
        """True if the coroutine `call` makes (a call of an `async def`) runs where it is made: awaited
        (`await self.deal(...)`), or given to `asyncio.run(...)` / `loop.run_until_complete(...)`. Not
        when it is kept or scheduled (`coro = self.deal(...)`, `create_task(self.deal(...))`)."""
        runs = self.__dict__.get("_runs_here")
        if runs is None:
            runs = set()
            for cur in walk(self.node.body, into_scopes=False):
                if isinstance(cur, cst.Await):
                    runs.add(id(cur.expression))
                elif isinstance(cur, cst.Call) and (dotted(cur.func) or "").rpartition(".")[2] in RUNS_COROUTINE:
                    runs.update(id(a.value) for a in cur.args)
            self.__dict__["_runs_here"] = runs
        return id(call) in runs

    def local_def(self, name: str) -> Optional[cst.FunctionDef]:
        """The function named `name` defined inside this one (`def _ack(): ...`), or None."""
        return next((node for node in walk(self.node.body)
                     if isinstance(node, cst.FunctionDef) and node.name.value == name), None)

    def values_of(self, name: str) -> List[cst.BaseExpression]:
        """The values the function's own plain assignments (`name = value`) give `name`."""
        return [v for v, _, how in self.assigns.get(name, ()) if how == "="]

    def default_of(self, name: str) -> Optional[cst.BaseExpression]:
        """The default value of the parameter `name` (`ttl_seconds: int = 86_400`), or None."""
        params = getattr(self.node, "params", None)
        if not isinstance(params, cst.Parameters):
            return None
        return next((p.default for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                     if p.name.value == name), None)


@dataclass
class ClassInfo:
    node: cst.ClassDef
    name: str
    bases: List[cst.BaseExpression]
    attrs: Dict[str, cst.BaseExpression] = field(default_factory=dict)  # class body + self.x = ... (first)
    methods: Dict[str, FunctionInfo] = field(default_factory=dict)
    # every assignment of an attribute, in source order: (value, the method assigning it (None: the
    # class body), how: "=", "with" or "for")
    attr_values: Dict[str, List[Tuple[cst.BaseExpression, Optional[FunctionInfo], str]]] = field(default_factory=dict)
    annotations: Dict[str, cst.BaseExpression] = field(default_factory=dict)  # `consumer: Consumer` in the body


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` -> "a.b.c" for plain Name/Attribute chains, else None."""
    parts: List[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def string_value(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a plain (possibly concatenated) string literal, else None."""
    if isinstance(expr, cst.SimpleString):
        try:
            value = expr.evaluated_value
        except Exception:  # noqa: BLE001 - odd prefixes; treat as not a literal
            return None
        return value.decode("latin-1") if isinstance(value, bytes) else value
    if isinstance(expr, cst.ConcatenatedString):
        left, right = string_value(expr.left), string_value(expr.right)
        if left is not None and right is not None:
            return left + right
    return None


def subscript_key(expr: cst.BaseExpression) -> Optional[str]:
    """The string key of a one-key subscript (`msg["headers"]`, `entry["MessageDeduplicationId"]`), else None."""
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        return string_value(expr.slice[0].slice.value)
    return None


def call_name(call: cst.Call) -> Optional[str]:
    """The called name: `f` for `f()`, `m` for `x.y.m()`."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def kwarg(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    """The argument passed as keyword `name`: `f(key=k)`, or spelled as a dict display spread into the
    call, `f(**{"key": k})` (the same call to Python)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
        if arg.star == "**" and isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement) and string_value(element.key) == name:
                    return element.value
    return None


def positional(call: cst.Call, index: int) -> Optional[cst.BaseExpression]:
    i = 0
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            if i == index:
                return arg.value
            i += 1
    return None


def is_true(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def is_false(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("False", "None")


def _target_names(target: cst.BaseExpression) -> Iterator[Tuple[str, Optional[int]]]:
    if isinstance(target, cst.Name):
        yield target.value, None
    elif isinstance(target, (cst.Tuple, cst.List)):
        for i, el in enumerate(target.elements):
            if isinstance(el.value, cst.Name):
                yield el.value.value, i


_SKIP_FIELDS = {
    "lpar", "rpar", "comma", "semicolon", "colon", "dot", "equal", "lbracket", "rbracket", "lbrace",
    "rbrace", "leading_lines", "header", "footer", "asynchronous", "lines_after_decorators", "star_tok",
    "arrow", "whitespace", "operator", "newline", "first_line", "empty_lines", "default_comma",
}
_FIELDS: Dict[type, Tuple[str, ...]] = {}


PROPERTY_DECORATORS = ("property", "cached_property")  # builtins, functools, and the cached-property package


def _is_property(func: "FunctionInfo") -> bool:
    """A method read as an attribute: `@property`, `@functools.cached_property`, `@cached_property`."""
    for dec in func.decorators:
        name = dotted(dec.decorator) or ""
        if name.rpartition(".")[2] in PROPERTY_DECORATORS:
            return True
    return False


# Nested steps one origin is followed through (a name, an attribute, a call, a loop over what a
# method of an attribute set in `__init__` from a local returns, ...): a bound on cycles and cost
MAX_RESOLVE_DEPTH = 16
# Library functions that return another library's object: what they return is that object
# (`intelmq.lib.utils.create_request_session(bot) -> requests.Session`, preconfigured for the bot)
LIBRARY_FACTORIES = {"intelmq.lib.utils.create_request_session": "requests.Session"}
TYPE_VARS = frozenset({"typing.TypeVar", "typing_extensions.TypeVar"})

def children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The syntactic children of `node`, without whitespace and punctuation.

    libcst's own `node.children` runs a visitor per call and costs more than parsing the file;
    this reads the dataclass fields directly (about ten times faster than a full visitor pass).
    Type checks go through a per-type cache: `isinstance` against libcst's abstract base
    classes is slow enough to dominate a walk.
    """
    names = _FIELDS.get(type(node))
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(node)  # type: ignore[arg-type]
            if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[type(node)] = names
    out: List[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        kind = _KIND.get(type(value))
        if kind is None:
            kind = _kind(type(value))
        if kind == 1:
            out.append(value)
        elif kind == 2:
            for v in value:
                k = _KIND.get(type(v))
                if k is None:
                    k = _kind(type(v))
                if k == 1:
                    out.append(v)
    return out


_KIND: Dict[type, int] = {}  # 1: a node worth walking, 2: a sequence, 0: anything else


# Built on first use, not at import (which must not load libcst).
@functools.lru_cache(maxsize=None)
def _punctuation() -> tuple:
    return (cst.BaseParenthesizableWhitespace, cst.Comma, cst.Dot, cst.Colon, cst.AssignEqual,
            cst.Semicolon, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline)


@functools.lru_cache(maxsize=None)
def _leaf_types() -> frozenset:
    """Nodes without children the index cares about: not pushed on the walk stack at all."""
    return frozenset({cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis,
                      cst.Pass, cst.Continue, cst.Break})


def _kind(t: type) -> int:
    if t in (tuple, list):
        kind = 2
    elif isinstance(t, type) and issubclass(t, cst.CSTNode):
        # Names and literals are kept (callers look at them); pure punctuation is not
        kind = 0 if issubclass(t, _punctuation()) else 1
    else:
        kind = 0
    _KIND[t] = kind
    return kind


def argument(call: cst.Call, func: FunctionInfo, param: str) -> Optional[cst.BaseExpression]:
    """What `call` passes for `func`'s parameter `param` (by keyword, or by position past `self`)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            return arg.value
    node = func.node.params
    ordered = [p.name.value for p in (*node.posonly_params, *node.params)]
    if ordered and ordered[0] in ("self", "cls") and (isinstance(call.func, cst.Attribute) or func.name == "__init__"):
        ordered = ordered[1:]  # a method called on an object, or a class constructed: `self` is not passed
    star = node.star_arg.name.value if isinstance(node.star_arg, cst.Param) else None
    positional = [a for a in call.args if a.keyword is None]
    if param == star:  # `def send_message(self, *messages)`: the first one given there
        index = len(ordered)
    elif param in ordered:
        index = ordered.index(param)
    else:
        return None
    if any(a.star for a in positional[: index + 1]):
        return None  # `*args`: which one lands there is not visible
    return positional[index].value if index < len(positional) else None


def alternatives(expr: cst.BaseExpression) -> List[cst.BaseExpression]:
    """The values an expression may take: `a or b` -> a, b; `a and b` -> b; `x if c else y` -> x, y
    (nested ones unfolded); `None` left out; any other expression is its own one value."""
    if isinstance(expr, cst.BooleanOperation):
        left = alternatives(expr.left) if isinstance(expr.operator, cst.Or) else []
        return left + alternatives(expr.right)
    if isinstance(expr, cst.IfExp):
        return alternatives(expr.body) + alternatives(expr.orelse)
    return [] if isinstance(expr, cst.Name) and expr.value == "None" else [expr]


def chain_names(expr: cst.BaseExpression) -> set:
    """The names along a call chain: `session.query(Job).filter_by(id=i).first` -> {query, filter_by,
    first}, and the name a chain starts with when it is called (`select(...).where` -> {select, where})."""
    names = set()
    cur: Optional[cst.BaseExpression] = expr
    while isinstance(cur, (cst.Call, cst.Attribute)):
        if isinstance(cur, cst.Call):
            if isinstance(cur.func, cst.Name):
                names.add(cur.func.value)
            cur = cur.func
        else:
            names.add(cur.attr.value)
            cur = cur.value
    return names


def contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    """True if `node` is `tree` or lies below it."""
    stack = [tree]
    while stack:
        cur = stack.pop()
        if cur is node:
            return True
        stack.extend(children(cur))
    return False


# calls that make a callable of the one they are given, calling it when called (asgiref's
# `sync_to_async(f)`, `async_to_sync(f)`, `functools.partial(f, ...)` with its arguments bound in)
CALLABLE_WRAPPERS = frozenset({"sync_to_async", "async_to_sync", "partial"})


def callable_wrapper(target: cst.BaseExpression, func: Optional[FunctionInfo]) -> Optional[cst.Call]:
    """The wrapper call that calling `target` goes through: `sync_to_async(consumer.commit)` itself, or
    the one a local is bound to once (`async_commit = sync_to_async(consumer.commit)`, then
    `await async_commit(...)`); None for anything else. Its first argument is what runs."""
    if isinstance(target, cst.Name) and func is not None and target.value not in func.params:
        values = [v for v, _, how in func.assigns.get(target.value, ()) if how == "="]
        if len(values) == 1:
            target = values[0]
    if isinstance(target, cst.Call) and (dotted(target.func) or "").rpartition(".")[2] in CALLABLE_WRAPPERS \
            and target.args and target.args[0].keyword is None and not target.args[0].star:
        return target
    return None


def _wrapped_callable(target: cst.BaseExpression, func: Optional[FunctionInfo]) -> Optional[cst.BaseExpression]:
    """What calling `target` calls when it wraps another callable (`callable_wrapper`'s first argument)."""
    wrapper = callable_wrapper(target, func)
    return wrapper.args[0].value if wrapper is not None else None


def walk(node: cst.CSTNode, into_scopes: bool = True) -> Iterator[cst.CSTNode]:
    """Every node below `node` in source order (pre-order); nested defs/classes only if `into_scopes`."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        kids = children(cur)
        if not into_scopes:
            kids = [k for k in kids if not isinstance(k, (cst.FunctionDef, cst.ClassDef, cst.Lambda))]
        stack.extend(reversed(kids))


# --- read-only visitors ----------------------------------------------------------------------


def visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """`node.visit(visitor)` for a read-only `cst.CSTVisitor`, without libcst rebuilding the tree.

    libcst's traversal constructs (and validates) a new copy of every node it passes, even for a
    visitor that changes nothing: that copy was most of the cost of walking handler bodies. This
    calls the same hooks in the same order (`visit_X` / `leave_X`, and `visit_X_attr` /
    `leave_X_attr` around each attribute, in libcst's own attribute order) on the nodes
    themselves. Whitespace and punctuation nodes (`_punctuation`), and so the comments inside
    whitespace, are not visited: the visitors here have no hooks for them. A visitor that overrides libcst's dispatch
    (`on_visit`, `on_leave`, ...) is handed to libcst's traversal unchanged.
    """
    plan = _PLANS.get((type(visitor), type(node)))
    if plan is None:
        if _overrides_dispatch(type(visitor)):
            node.visit(visitor)
            return
        plan = _plan(type(visitor), node)
    enter, leave, attributes = plan
    if enter is None or getattr(visitor, enter)(node) is not False:
        for name, before, after in attributes:
            value = getattr(node, name)
            if value is None and name in _ONLY_IF_SET:
                continue
            if before is not None:
                getattr(visitor, before)(node)
            kind = _KIND.get(type(value))
            if kind is None:
                kind = _kind(type(value))
            if kind == 1:
                visit(value, visitor)
            elif kind == 2:
                for item in value:
                    k = _KIND.get(type(item))
                    if k is None:
                        k = _kind(type(item))
                    if k == 1:
                        visit(item, visitor)
            if after is not None:
                getattr(visitor, after)(node)
    if leave is not None:
        getattr(visitor, leave)(node)


# (visitor class, node type) -> (visit hook, leave hook, ((attribute, its visit hook, its leave hook), ...))
_PLANS: Dict[Tuple[type, type], tuple] = {}
_ORDER: Dict[type, Tuple[str, ...]] = {}  # node type -> the attributes libcst visits, in its order
# Attributes libcst visits (hooks included) only when they are not None: an f-string's or a
# t-string's format spec (`FormattedStringExpression._visit_and_replace_children`).
_ONLY_IF_SET = frozenset({"format_spec"})


def _overrides_dispatch(visitor_cls: type) -> bool:
    """True for a visitor with its own `on_visit`, ... (a plain class with hooks only is fine)."""
    for name in ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute"):
        own = getattr(visitor_cls, name, None)
        if own is not None and own is not getattr(cst.CSTVisitor, name):
            return True
    return False


def _plan(visitor_cls: type, node: cst.CSTNode) -> tuple:
    t = type(node)
    if t not in _ORDER:
        recorder = _AttributeOrder(node)
        node._visit_and_replace_children(recorder)  # type: ignore[arg-type]  # one shallow pass per type
        # an attribute libcst skips when None (`_ONLY_IF_SET`) is not seen on such an instance:
        # it goes last, where libcst visits it
        unseen = [f.name for f in dataclasses.fields(node) if f.name not in recorder.names]  # type: ignore[arg-type]
        _ORDER[t] = tuple(recorder.names) + tuple(unseen)

    def hook(name: str) -> Optional[str]:
        return name if callable(getattr(visitor_cls, name, None)) else None

    plan = (hook(f"visit_{t.__name__}"), hook(f"leave_{t.__name__}"),
            tuple((a, hook(f"visit_{t.__name__}_{a}"), hook(f"leave_{t.__name__}_{a}")) for a in _ORDER[t]))
    _PLANS[(visitor_cls, t)] = plan
    return plan


class _AttributeOrder:
    """Records the attributes libcst visits on one node, without going below its children
    (duck-typed as a transformer that changes nothing: no `CSTVisitor` subclass at import)."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.names: List[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node is self.root

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        return updated

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.root:
            self.names.append(attribute)

    def on_leave_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass


class _Indexer:
    """One pass over the module (a plain field walk, not a libcst visitor: see `children`)."""

    def __init__(self, index: "ModuleIndex", thinning: object = None) -> None:
        self.ix = index
        self.class_stack: List[ClassInfo] = []
        self.func_stack: List[FunctionInfo] = []
        # the innermost scope owning statements: a class or a function
        self.scope_stack: List[Union[ClassInfo, FunctionInfo, None]] = [None]
        # a skeleton's plan (`thin.Thinning`): which functions' bodies were left out of the parse
        self.thinning = thinning
        self.defs = 0  # function definitions met so far (their place in `thinning.functions`)
        self.lazy: List[tuple] = []  # (info, skeleton node, piece, class stack, function stack, scope stack)

    def run(self, module: cst.Module) -> None:
        self._walk(module)
        if self.thinning is not None and self.defs != len(self.thinning.functions):  # type: ignore[attr-defined]
            raise ThinningMismatch("the skeleton's functions differ from CPython's")

    def _walk(self, node: cst.CSTNode) -> None:
        # an explicit stack (no recursion limit on deep code) of (node, phase):
        # "visit", then for defs "enter" (after decorators and defaults ran in the outer scope) and "leave"
        stack: List[Tuple[cst.CSTNode, str]] = [(node, "visit")]
        leaves = _leaf_types()
        # exact types, not `isinstance`: libcst's node classes are ABCs, and an `isinstance` that
        # fails runs ABCMeta's Python-level check (a tenth of the walk)
        scopes = (cst.FunctionDef, cst.ClassDef)
        while stack:
            cur, phase = stack.pop()
            if phase == "leave":
                if type(cur) is cst.FunctionDef:
                    self.func_stack.pop()
                else:
                    self.class_stack.pop()
                self.scope_stack.pop()
                continue
            if phase == "enter":
                self._visit(cur)
                stack.append((cur, "leave"))
                stack.append((cur.body, "visit"))  # type: ignore[attr-defined]
                continue
            if type(cur) in scopes:
                stack.append((cur, "enter"))
                outer = [k for k in children(cur) if k is not cur.body]  # type: ignore[attr-defined]
                stack.extend((k, "visit") for k in reversed(outer))
                continue
            self._visit(cur)
            stack.extend((k, "visit") for k in reversed(children(cur)) if type(k) not in leaves)

    def _visit(self, node: cst.CSTNode) -> None:
        t = type(node)
        if t is cst.Call:
            scope = self.func_stack[-1] if self.func_stack else None
            (scope.calls if scope else self.ix.module_calls).append(node)  # type: ignore[arg-type]
        elif t is cst.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                self._record(target.target, node.value, "=")  # type: ignore[attr-defined]
        elif t is cst.FunctionDef:
            self.visit_FunctionDef(node)  # type: ignore[arg-type]
        elif t is cst.ClassDef:
            self.visit_ClassDef(node)  # type: ignore[arg-type]
        elif t is cst.Import:
            self.visit_Import(node)  # type: ignore[arg-type]
        elif t is cst.ImportFrom:
            self.visit_ImportFrom(node)  # type: ignore[arg-type]
        elif t is cst.AnnAssign:
            self.visit_AnnAssign(node)  # type: ignore[arg-type]
        elif t is cst.WithItem:
            if node.asname is not None:  # type: ignore[attr-defined]
                self._record(node.asname.name, node.item, "with")  # type: ignore[attr-defined]
        elif t is cst.For:
            self._record(node.target, node.iter, "for")  # type: ignore[attr-defined]
            if self.func_stack:
                self.func_stack[-1].fors.append(node)  # type: ignore[arg-type]
        elif t is cst.NamedExpr:
            self._record(node.target, node.value, "=")  # type: ignore[attr-defined]
        elif t is cst.Subscript:
            if self.func_stack and isinstance(node.value, cst.Name) and node.slice:  # type: ignore[attr-defined]
                el = node.slice[0].slice  # type: ignore[attr-defined]
                if isinstance(el, cst.Index):
                    key = string_value(el.value)
                    if key is not None:
                        self.func_stack[-1].subscripts.add((node.value.value, key))  # type: ignore[attr-defined]
                    elif isinstance(el.value, cst.Name):
                        self.func_stack[-1].subscript_names.add((node.value.value, el.value.value))  # type: ignore[attr-defined]
        elif t in (cst.If, cst.While, cst.IfExp, cst.Assert):
            if self.func_stack:
                self.func_stack[-1].tests.append(node.test)  # type: ignore[attr-defined]
        elif t is cst.With:
            if self.func_stack:
                self.func_stack[-1].withs.append(node)  # type: ignore[arg-type]
        elif t is cst.Return:
            if self.func_stack and node.value is not None:  # type: ignore[attr-defined]
                self.func_stack[-1].returns.append(node.value)  # type: ignore[attr-defined]
        elif t is cst.Yield:
            if self.func_stack and node.value is not None:  # type: ignore[attr-defined]
                self.func_stack[-1].yields.append(node.value)  # type: ignore[attr-defined]

    # -- imports --------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted(alias.name)
            if not full:
                continue
            self.ix.import_roots.add(full.split(".")[0])
            self.ix.imported_modules.add(full)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.ix.imports[alias.asname.name.value] = full
            else:
                root = full.split(".")[0]
                self.ix.imports.setdefault(root, root)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else ""
        dots = "." * len(node.relative)
        base = f"{dots}{module or ''}"
        if not dots and module:
            self.ix.import_roots.add(module.split(".")[0])
            self.ix.imported_modules.add(module)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            if not dots and module:
                self.ix.imported_modules.add(f"{module}.{name}")
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            # `from .m import x` -> ".m.x"; `from . import m` -> ".m" (a module of the package)
            self.ix.imports[local] = f"{base}.{name}" if module else f"{dots}{name}"

    # -- scopes ---------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        # a generic base is its class (`BaseRepository[AuditLog]` is `BaseRepository`, `Protocol[M]` is `Protocol`)
        info = ClassInfo(node=node, name=node.name.value,
                         bases=[a.value.value if isinstance(a.value, cst.Subscript) else a.value for a in node.bases])
        self.ix.classes.setdefault(info.name, info)
        self.class_stack.append(info)
        self.scope_stack.append(info)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        owner = self.scope_stack[-1]
        parent = self.func_stack[-1] if self.func_stack else None
        cls = owner if isinstance(owner, ClassInfo) else None
        prefix = ""
        if isinstance(owner, ClassInfo):
            prefix = self._class_path(owner) + "."
        elif isinstance(owner, FunctionInfo):
            prefix = owner.symbol + "."
        params: List[str] = []
        annotations: Dict[str, cst.BaseExpression] = {}
        p = node.params
        for param in [*p.posonly_params, *p.params, *p.kwonly_params]:
            params.append(param.name.value)
            if param.annotation is not None:
                annotations[param.name.value] = param.annotation.annotation
        for star in (p.star_arg, p.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(star.name.value)
        info = FunctionInfo(
            node=node,
            symbol=prefix + node.name.value,
            name=node.name.value,
            class_name=cls.name if cls else None,
            parent=parent,
            params=params,
            annotations=annotations,
            decorators=list(node.decorators),
            is_async=node.asynchronous is not None,
        )
        self.ix.functions.append(info)
        self.ix.by_node[id(node)] = info
        if self.thinning is not None:
            self._maybe_lazy(info, node)
        if cls is not None:
            cls.methods.setdefault(info.name, info)
        elif parent is None:
            self.ix.module_functions.setdefault(info.name, info)
        self.func_stack.append(info)
        self.scope_stack.append(info)

    def _maybe_lazy(self, info: FunctionInfo, node: cst.FunctionDef) -> None:
        """Make `info` lazy if the skeleton left its body out (see `thin`)."""
        k = self.defs
        self.defs += 1
        thinning = self.thinning
        if k >= len(thinning.functions) or thinning.names[k] != node.name.value:  # type: ignore[attr-defined]
            raise ThinningMismatch(f"function {k} is `{node.name.value}` in the skeleton")
        piece = thinning.functions[k]  # type: ignore[attr-defined]
        if piece is not None:
            # the stacks as they will be once `info` is entered: its body is walked in them later
            self.lazy.append((info, node, piece, list(self.class_stack), [*self.func_stack, info],
                              [*self.scope_stack, info]))

    def _class_path(self, cls: ClassInfo) -> str:
        names = [c.name for c in self.class_stack[: self.class_stack.index(cls) + 1]]
        outer = self.func_stack[-1].symbol + "." if self.func_stack else ""
        return outer + ".".join(names)

    # -- assignments ----------------------------------------------------------------------
    def _record(self, target: cst.BaseExpression, value: cst.BaseExpression, how: str) -> None:
        scope = self.scope_stack[-1]
        # self.x = ... inside a method: an attribute of the enclosing class
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and (target.value.value == "self" or target.value.value == "cls" and self._in_classmethod())
            and self.class_stack
        ):
            cls = self.class_stack[-1]
            cls.attrs.setdefault(target.attr.value, value)
            owner = self.func_stack[-1] if self.func_stack else None
            cls.attr_values.setdefault(target.attr.value, []).append((value, owner, how))
            return
        for name, idx in _target_names(target):
            if isinstance(scope, FunctionInfo):
                scope.assigns.setdefault(name, []).append((value, idx, how))
            elif isinstance(scope, ClassInfo):
                if idx is None:
                    scope.attrs.setdefault(name, value)
                    scope.attr_values.setdefault(name, []).append((value, None, how))
            else:
                self.ix.module_assigns.setdefault(name, []).append((value, idx, how))

    def _in_classmethod(self) -> bool:
        """In a method whose first parameter is `cls` (`cls._producer = KafkaAsyncProducer(...)` in a
        `@classmethod`): what it assigns on `cls` is the class's attribute."""
        func = self.func_stack[-1] if self.func_stack else None
        return func is not None and func.class_name is not None and func.params[:1] == ["cls"]

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record(node.target, node.value, "=")
            if isinstance(node.target, cst.Name) and isinstance(self.scope_stack[-1], FunctionInfo):
                # `pipeline: Pipeline = RedisPipeline(...)`: the declared type, for a name assigned
                # several classes (see `ModuleIndex._resolve_name`)
                self.scope_stack[-1].annotations.setdefault(node.target.value, node.annotation.annotation)
        elif isinstance(node.target, cst.Name) and isinstance(self.scope_stack[-1], FunctionInfo):
            self.scope_stack[-1].annotations.setdefault(node.target.value, node.annotation.annotation)
        elif isinstance(node.target, cst.Name) and isinstance(self.scope_stack[-1], ClassInfo):
            self.scope_stack[-1].annotations.setdefault(node.target.value, node.annotation.annotation)
        if isinstance(node.target, cst.Name) and self.scope_stack[-1] is None:
            # `_transport: TransportManager | None = None`: a module global set at run time
            self.ix.module_annotations.setdefault(node.target.value, node.annotation.annotation)
        if (isinstance(node.target, cst.Attribute) and isinstance(node.target.value, cst.Name)
                and node.target.value.value == "self" and self.class_stack):
            self.class_stack[-1].annotations.setdefault(node.target.attr.value, node.annotation.annotation)



class ThinningMismatch(Exception):
    """The skeleton and CPython's parse disagree about the module's functions: parse it whole."""


# What a lazy function learns only from its body (see `thin`): reading one of these parses it.
_BODY_FIELDS = frozenset({"node", "assigns", "calls", "withs", "fors", "tests", "subscripts", "subscript_names",
                          "returns", "yields", "annotations"})


class _LazyFunction(FunctionInfo):
    """A `FunctionInfo` whose body the skeleton left out (`thin`): its name, signature, decorators
    and place are known; its body is parsed on first use, and then it is a plain `FunctionInfo`."""

    def __getattr__(self, name: str):  # only for attributes not set: the body's fields
        if name in _BODY_FIELDS and "_lazy" in self.__dict__:
            _materialise(self)
            return getattr(self, name)
        raise AttributeError(name)


def _alternate_constructor(call: cst.Call, scope: Optional[FunctionInfo], cls_name: str) -> bool:
    """`cls(nc, config=config)` in a method of the class `cls_name` whose first parameter is `cls`
    (an alternate constructor: `@classmethod async def connect(cls, ...)`)."""
    return (isinstance(call.func, cst.Name) and call.func.value == "cls" and scope is not None
            and scope.class_name == cls_name and bool(scope.params) and scope.params[0] == "cls")


def _library_receiver(func: FunctionInfo, name: str) -> bool:
    """`name` is the receiver of a call the function makes by a name some broker library acks or
    publishes with (`js.publish(...)`, `channel.basic_ack(tag)`): its origin decides a finding."""
    from .gate import ACK_OR_PUBLISH_NAMES  # the adapters import this module

    for call in func.calls:
        target = call.func
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == name \
                and target.attr.value in ACK_OR_PUBLISH_NAMES:
            return True
    return False


def body_may_call(info: FunctionInfo, name: str) -> bool:
    """False only when `info`'s body is not parsed yet and its text has no `name(`: reading its
    calls would parse it for nothing."""
    lazy = info.__dict__.get("_lazy")
    if lazy is None:
        return True
    thinning, piece = lazy[1], lazy[3]
    lines = getattr(thinning, "lines", None)
    if lines is None:
        lines = thinning.original.split(b"\n")
        thinning.lines = lines  # type: ignore[attr-defined]
    text = b"\n".join(lines[piece.body - 1:piece.end])
    return name.encode() in text


def _make_lazy(index: "ModuleIndex", thinning: object, entry: tuple) -> None:
    info, stub, piece, classes, funcs, scopes = entry
    state = info.__dict__
    annotations = state["annotations"]  # the parameters' (the body may add its own)
    for name in _BODY_FIELDS:
        state.pop(name, None)
    state["_lazy"] = (index, thinning, stub, piece, classes, funcs, scopes, annotations)
    info.__class__ = _LazyFunction


def _materialise(info: FunctionInfo) -> None:
    """Parse a lazy function's body (`thin.parse_body`), splice it into the skeleton's definition
    and collect from it what the index pass would have: the same walk, in the same scopes."""
    from .thin import parse_body

    index, thinning, stub, piece, classes, funcs, scopes, annotations = info.__dict__.pop("_lazy")
    info.__class__ = FunctionInfo
    node = stub.with_changes(body=parse_body(thinning, piece).body)
    info.__dict__.update(node=node, annotations=annotations, assigns={}, calls=[], withs=[], fors=[], tests=[],
                         subscripts=set(), subscript_names=set(), returns=[], yields=[])
    index.by_node[id(node)] = info
    indexer = _Indexer(index)
    indexer.class_stack, indexer.func_stack, indexer.scope_stack = classes, funcs, scopes
    indexer._walk(node.body)


# `Optional[X]` and friends: the annotation is (one of) the parameters
_UNWRAP = frozenset({"Optional", "Union", "Annotated", "ClassVar", "Final", "Required", "NotRequired", "ReadOnly"})
# collections whose (first) parameter is the type of their elements
_COLLECTIONS = frozenset({
    "list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "AsyncIterable", "AsyncIterator",
    "Collection", "Generator", "AsyncGenerator", "set", "Set", "frozenset", "FrozenSet", "AbstractSet",
    "MutableSet", "deque", "Deque", "tuple", "Tuple",
})


# standard-library containers: an element taken out of one says nothing of its type, a declared
# return type says more
_CONTAINER_ROOTS = frozenset({"collections", "queue", "asyncio", "heapq", "builtins"})


def _element(origin: str, suffix: str) -> str:
    """`origin` iterated or indexed: the element of a collection marked by `annotation` (`X()[*]`
    -> `X()`), else `origin[]`."""
    return origin[:-3] if origin.endswith("[*]") else origin + suffix


class ModuleIndex:
    """What one module imports, defines and assigns; and resolution of names to origins."""

    def __init__(self, module: cst.Module, project: object = None, path: Optional[str] = None,
                 thinning: object = None) -> None:
        self.module = module
        # the scanned project (`project.Project`) and this module's file: with them, `resolve`
        # follows names into the project's other modules (see `origins`)
        self.project: object = project
        self.path = path
        # handlers this module's registrations name that live in other project modules
        # (`detect.base.handler_ref`): the handler's node id -> `detect.base.Elsewhere`
        self.elsewhere: Dict[int, object] = {}
        self._params: Dict[Tuple[int, str, bool], Optional[str]] = {}  # (function node id, parameter, alone): `_from_caller`
        # memos that live as long as this index (and its tree): project origins seen from here, and
        # attributes a class inherits from its project bases
        self._expanded: Dict[str, str] = {}
        # `resolve`'s answers for whole expressions, for the analysed module only (`remember`): the
        # adapters ask about the same receivers again and again; a module the project keeps across
        # files must not remember them (a remembered answer would not record its `project.deps`)
        self._resolved: Optional[Dict[Tuple[int, int, bool], Optional[str]]] = None
        self.inherited: Dict[Tuple[int, str], Optional[str]] = {}
        self.imports: Dict[str, str] = {}
        self.import_roots: set = set()
        self.imported_modules: set = set()
        self.functions: List[FunctionInfo] = []
        self.module_functions: Dict[str, FunctionInfo] = {}
        self.classes: Dict[str, ClassInfo] = {}
        self.module_assigns: Dict[str, List[Tuple[cst.BaseExpression, Optional[int], str]]] = {}
        self.module_annotations: Dict[str, cst.BaseExpression] = {}  # module globals' declared types
        self.by_node: Dict[int, FunctionInfo] = {}
        self.module_calls: List[cst.Call] = []
        self.children_of: Dict[int, List[FunctionInfo]] = {}
        indexer = _Indexer(self, thinning)
        indexer.run(module)
        for entry in indexer.lazy:  # `module` is a skeleton (`thin`): these bodies are parsed on use
            _make_lazy(self, thinning, entry)
        for func in self.functions:
            if func.parent is not None:
                self.children_of.setdefault(id(func.parent.node), []).append(func)

    # -- queries --------------------------------------------------------------------------
    def imports_any(self, roots: Sequence[str]) -> bool:
        """True if the module imports any of the dotted module prefixes in `roots`."""
        for mod in self.imported_modules:
            for root in roots:
                if mod == root or mod.startswith(root + "."):
                    return True
        return False

    def function_for(self, node: cst.FunctionDef) -> Optional[FunctionInfo]:
        return self.by_node.get(id(node))

    def remember(self) -> "ModuleIndex":
        """Keep `resolve`'s answers for as long as this index lives (the analysed module's: one
        file's analysis)."""
        self._resolved = {}
        return self

    def resolve(self, expr: Optional[cst.BaseExpression], func: Optional[FunctionInfo],
                _depth: int = 0) -> Optional[str]:
        if _depth or self._resolved is None or expr is None:
            return self._resolve(expr, func, _depth)
        key = (id(expr), id(func), self.project is None)
        if key in self._resolved:
            return self._resolved[key]
        found = self._resolve(expr, func, 0)
        if self.project is None or not self.project.origins.active:  # not an answer a cycle cut short
            self._resolved[key] = found
        return found

    def _resolve(self, expr: Optional[cst.BaseExpression], func: Optional[FunctionInfo],
                 _depth: int = 0) -> Optional[str]:
        """The dotted origin of `expr`, or None when it cannot be told statically.

        With a project (`self.project`), what the module cannot tell alone is asked of the project
        (`origins`): the return value of a project function or method, an attribute assigned in a
        project base class, a global of another module. The answer is the library object behind
        the project's layers when one is found (`confluent_kafka.Consumer()` for
        `init_consumer(cfg)`), else the project path (`.factories.init_consumer()`)."""
        if expr is None or _depth > MAX_RESOLVE_DEPTH:
            return None
        d = _depth + 1
        if isinstance(expr, cst.Await):
            return self.resolve(expr.expression, func, d)
        if isinstance(expr, cst.Name):
            return self._expand(self._resolve_name(expr.value, func, d))
        if isinstance(expr, cst.Attribute):
            if isinstance(expr.value, cst.Name) and expr.value.value in ("self", "cls") and func:
                cls = self.class_of(func)
                if cls is not None:
                    return self.attribute(cls, expr.attr.value, d)
            base = self.resolve(expr.value, func, d)
            own = self._own_instance(base)
            if own is not None:
                # `params = get_connection_params()` returning `ConnectionParams(conn, ...)` of this
                # module: `params.conn` is what the class sets its `conn` to (`_from_caller`)
                found = self.attribute(own, expr.attr.value, d)
                if found is not None:
                    return found
            return self._expand(f"{base}.{expr.attr.value}") if base else None
        if isinstance(expr, cst.Call):
            returned = self._local_return(expr.func, func, d)
            if returned is not None:
                return returned
            if isinstance(expr.func, cst.Name) and expr.func.value == "getattr" and self._resolve_name("getattr", func, d) is None:
                return self._getattr(expr, func, d)
            base = self.resolve(_wrapped_callable(expr.func, func) or expr.func, func, d)
            if not base:
                return None
            if base in TYPE_VARS and kwarg(expr, "bound") is not None:
                # `BaseEvent = TypeVar("BaseEvent", bound=Event)`: what it annotates is an `Event`
                return self.resolve(kwarg(expr, "bound"), func, d)
            base = LIBRARY_FACTORIES.get(base, base)
            first = string_value(positional(expr, 0))
            if first is not None and len(first) <= 40 and first.replace("-", "").replace("_", "").isalnum():
                return self._expand(f"{base}({first})")
            return self._expand(f"{base}()")
        if isinstance(expr, cst.Subscript):
            base = self.resolve(expr.value, func, d)
            return _element(base, "[]") if base else None
        if isinstance(expr, (cst.BooleanOperation, cst.IfExp)):
            # `session or requests.Session()`, `client if client else make_client()`: a library
            # object before a project one, else the first value that resolves
            found = [o for o in (self.resolve(v, func, d) for v in alternatives(expr)) if o is not None]
            library = [o for o in found if self.project is None or not self.project.is_project_origin(o, self.path)]
            return (library or found or [None])[0]
        return None

    def _own_instance(self, origin: Optional[str]) -> Optional[ClassInfo]:
        """The class of this module an origin is an instance of (`pkg.mod.ConnectionParams()`, as
        `_local_instance` names one): the project cannot expand an origin in the module asking."""
        if not origin or not origin.endswith("()") or self.project is None or not self.path:
            return None
        module = self.project.module_name(self.path)
        if not module or not origin.startswith(module + "."):
            return None
        name = origin[len(module) + 1:-2]
        if name not in self.classes or name in self.module_assigns or name in self.imports:
            return None
        return self.classes[name]

    def local_origin(self, expr: Optional[cst.BaseExpression], func: Optional[FunctionInfo]) -> Optional[str]:
        """`resolve` as this module alone tells it (what the project's layers were asked for)."""
        project, self.project = self.project, None
        try:
            return self.resolve(expr, func)
        finally:
            self.project = project

    def _getattr(self, call: cst.Call, func: Optional[FunctionInfo], d: int) -> Optional[str]:
        """`getattr(obj, "name")` is `obj.name`; `getattr(module, name)` with a name known only at
        run time, on a project module, is one of its classes or functions (`module.*`: a plugin
        factory picking its class by configuration)."""
        target, name = positional(call, 0), positional(call, 1)
        base = self.resolve(target, func, d) if target is not None else None
        if base is None or name is None:
            return None
        literal = string_value(name)
        if literal is not None:
            return self._expand(f"{base}.{literal}") if literal.isidentifier() else None
        if self.project is not None and self.project.module_file(base, self.path) is not None:
            return f"{base}.*"
        return None

    def _expand(self, origin: Optional[str]) -> Optional[str]:
        if origin is None or self.project is None:
            return origin
        found = self._expanded.get(origin)
        if found is None:
            found = self.project.expand(origin, self.path) or origin
            if not self.project.origins.active:  # an answer no cycle cut short (see `Origins.expand`)
                self._expanded[origin] = found
        return found

    def attribute(self, cls: ClassInfo, name: str, _depth: int = 0) -> Optional[str]:
        """The origin of `self.<name>` in a method of `cls`: what some method (or the class body)
        assigns it, a library object before a project one; else what a project base class assigns."""
        found: Optional[str] = None
        for value, owner, how in cls.attr_values.get(name, ()):
            if isinstance(value, cst.Name) and value.value == "None":
                continue  # `self.conn = None` in `__init__`, set for real in `connect()`
            origin = self.resolve(value, owner, _depth + 1) or self._local_instance(value)
            if origin is None:
                continue
            if how == "for":
                origin = _element(origin, "[]")
            if self.project is None or not self.project.is_project_origin(origin, self.path):
                return origin
            found = found or origin
        if found is None and name in cls.annotations:
            found = self.annotation(cls.annotations[name], None, _depth + 1)
        if found is None and name not in cls.attr_values and name in cls.methods and _is_property(cls.methods[name]):
            # `@property` / `@cached_property def hook(self): return PubSubAsyncHook(...)`: what it returns
            return self.returned(cls.methods[name], _depth + 1)
        if found is None and self.project is not None and name not in cls.attr_values:
            return self.project.inherited_attribute(self, cls, name)
        return found

    def _local_instance(self, value: cst.BaseExpression) -> Optional[str]:
        """`SQSInterface(...)`, a class of this module constructed: its origin by the module's dotted
        name (`pkg.queueworker.SQSInterface()`), for a subclass in another module that reads the
        attribute its base class sets (`self.queue.write_one(...)`). None without a project."""
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)) or self.project is None \
                or not self.path:
            return None
        name = value.func.value
        if name not in self.classes or name in self.module_assigns or name in self.imports:
            return None
        module = self.project.module_name(self.path)
        return f"{module}.{name}()" if module else None

    def returned(self, func: FunctionInfo, _depth: int = 0) -> Optional[str]:
        """The origin of what `func` returns: a library object before a project one; else what its
        return annotation names (`def create(...) -> Pipeline:` of a factory that picks the class at
        run time)."""
        found: List[str] = []
        for value in func.returns:
            if isinstance(value, cst.Name) and value.value == "None":
                continue
            origin = self.resolve(value, func, _depth + 1)
            if origin is None:
                continue
            if self.project is None or not self.project.is_project_origin(origin, self.path):
                if origin.split(".")[0] not in _CONTAINER_ROOTS:
                    return origin
            found.append(origin)
        returns = getattr(func.node, "returns", None)
        if returns is not None and (len(set(found)) != 1 or found[0].split(".")[0] in _CONTAINER_ROOTS):
            # nothing resolved, or several project classes: the declared type covers them all
            declared = self.annotation(returns.annotation, func.parent, _depth + 1)
            if declared is not None:
                return declared
        return found[0] if found else None

    def _local_return(self, callee: cst.BaseExpression, func: Optional[FunctionInfo], d: int) -> Optional[str]:
        """What a call of a function of this module returns: `make_consumer()` of a module-level
        function, `self.make_consumer()` of a method of the class."""
        target: Optional[FunctionInfo] = None
        if isinstance(callee, cst.Name) and callee.value in self.module_functions:
            f = func
            while f is not None:
                if callee.value in f.assigns or callee.value in f.params:
                    return None  # a local name shadows the module's function
                f = f.parent
            if callee.value not in self.module_assigns and callee.value not in self.imports:
                target = self.module_functions[callee.value]
        elif (isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name)
              and callee.value.value in ("self", "cls") and func is not None):
            cls = self.class_of(func)
            if cls is not None:
                target = cls.methods.get(callee.attr.value)
        if target is None or target is func or d > 10:
            return None
        return self.returned(target, d)

    def class_of(self, func: Optional[FunctionInfo]) -> Optional[ClassInfo]:
        """The class whose method `func` is, or holds it (a function nested in a method)."""
        f = func
        while f is not None and f.class_name is None:
            f = f.parent
        if f is None or f.class_name is None:
            return None
        return self.classes.get(f.class_name)

    def _resolve_name(self, name: str, func: Optional[FunctionInfo], d: int) -> Optional[str]:
        f = func
        while f is not None:
            if name in f.assigns and name in f.annotations and len(f.assigns[name]) > 1:
                # assigned several values (one of several classes picked at run time): its
                # declared type covers them all
                declared = self.annotation(f.annotations[name], f, d)
                if declared is not None:
                    return declared
            if name in f.assigns:
                value, idx, how = f.assigns[name][0]
                if how == "=" and idx is None and name in f.params and name in f.annotations \
                        and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                        and isinstance(value.func.value, cst.Name) and value.func.value.value == name:
                    # `msg = msg.with_routing_key(key)` of a parameter `msg: Message`: a fluent method
                    # of the declared class gives another object of it
                    return self.annotation(f.annotations[name], f, d)
                # `_QUEUE = JobQueue()` (a singleton a `global` factory sets) or `q = JobQueue()`: a
                # class of this module, by the module's dotted name, as an attribute set so is
                base = self.resolve(value, f, d) or (
                    self._local_instance(value) if how == "=" and idx is None else None)
                if base is None and idx is None and name in f.annotations:
                    # `repo: AuditLogRepository = make_repository()`: what the factory returns is not
                    # read, its declared type is
                    return self.annotation(f.annotations[name], f, d)
                if base is None:
                    return None
                if how == "for":
                    base = _element(base, "[]")
                if idx is not None:
                    base += f"[{idx}]"
                return base
            if name in f.annotations:
                return self.annotation(f.annotations[name], f, d)
            if name in f.params:
                return self._from_caller(f, name, d) if name not in ("self", "cls") else None
            f = f.parent
        if name in self.module_assigns:
            value, idx, how = self.module_assigns[name][0]
            base = self.resolve(value, None, d)
            if base is None:
                # `_client: Client | None = None`, set later (by `global` or from another module):
                # its declared type
                declared = self.module_annotations.get(name)
                return self.annotation(declared, None, d) if declared is not None else None
            if how == "for":
                base = _element(base, "[]")
            return base + (f"[{idx}]" if idx is not None else "")
        if name in self.imports:
            return self.imports[name]
        if name in self.module_annotations:  # `_client: Client` declared, never assigned here
            return self.annotation(self.module_annotations[name], None, d)
        return None

    def _from_caller(self, func: FunctionInfo, name: str, d: int) -> Optional[str]:
        """A parameter whose only caller is in this module: what that call passes for it
        (`def consume_loop(consumer): ...` called once, from `main()`, with a `KafkaConsumer(...)`).
        A constructor's parameter, for a class this module never constructs, is what the project's
        other modules pass where they construct it (`Origins.constructed_with`). Other callers in
        other modules are not looked for; a callback handed to a library (no call in view) stays
        unknown. A parameter that the function acks or publishes with (`js.publish(...)`) is what
        the project's other modules pass where they call it (`Origins.called_with`)."""
        key = (id(func.node), name, self.project is None)  # `local_origin` asks without the project
        if key in self._params:
            return self._params[key]
        self._params[key] = None  # a call cycle adds nothing
        sites = self.call_sites(func)
        found = None
        if len(sites) == 1 and sites[0][0] is not func:
            scope, call = sites[0]
            passed = argument(call, func, name)
            found = self.resolve(passed, scope, d) if passed is not None else None
        elif not sites and self.project is not None:
            origins = self.project.origins
            ask = None
            cls = self.class_of(func) if func.name == "__init__" else None
            if cls is not None:
                # a class constructed in other project modules only: what they give its constructor
                ask = lambda: origins.constructed_with(self, cls, func, name)  # noqa: E731
            elif func.name != "__init__" and _library_receiver(func, name):
                # a library object handed to a helper that acks or publishes with it, from other modules
                ask = lambda: origins.called_with(self, func, name)  # noqa: E731
            if ask is not None:
                cuts = origins.cuts
                found = ask()
                if found is not None:
                    found = self._expand(found)
                if origins.cuts != cuts:
                    del self._params[key]  # cut short by a cycle: not this parameter's answer
                    return found
        self._params[key] = found
        return found

    def calls_named(self, name: str) -> Iterator[Tuple[Optional[FunctionInfo], cst.Call]]:
        """Every call of something named `name` (`name(...)`, `x.name(...)`) in the module, with the
        function it is in (None: module level); a function whose body is not parsed yet and whose
        text has no `name` is not parsed for it (`body_may_call`)."""
        for scope in [None, *self.functions]:
            if scope is not None and not body_may_call(scope, name):
                continue
            for call in (scope.calls if scope is not None else self.module_calls):
                if call_name(call) == name:
                    yield scope, call

    def call_sites(self, func: FunctionInfo) -> List[Tuple[Optional[FunctionInfo], cst.Call]]:
        """The calls in this module that may run `func`, by its name (`self.name(...)` / `x.name(...)`
        for a method, `name(...)` for a function, `Class(...)` for an `__init__`, and `cls(...)` in a
        classmethod of the class), with the function each is in (None: module level)."""
        sites = []
        method = func.class_name is not None
        # `__init__` is called by constructing its class: `Relay(session)`, `module.Relay(session)`
        built = func.class_name if func.name == "__init__" else None
        for scope in [None, *self.functions]:
            for call in (scope.calls if scope is not None else self.module_calls):
                target = call.func
                if (isinstance(target, cst.Attribute) if method else isinstance(target, cst.Name)) and (
                        target.attr.value if method else target.value) == func.name:  # type: ignore[union-attr]
                    sites.append((scope, call))
                elif built is not None and (call_name(call) == built or _alternate_constructor(call, scope, built)):
                    sites.append((scope, call))
        return sites

    def annotation(self, ann: cst.BaseExpression, func: Optional[FunctionInfo], _depth: int = 0) -> Optional[str]:
        """The origin of a value annotated `ann`: an instance of the class it names (`X()`).

        `Optional[X]`, `X | None`, `Annotated[X, ...]` and `"X"` are X; a collection
        (`list[X]`, `Iterable[X]`, `Sequence[X]`, ...) is marked so that its elements are X
        (`X()[*]`: a loop over it, or an index into it, gives `X()`); other generics lose their
        parameters (`asyncio.Queue[Any]` is an `asyncio.Queue()`)."""
        if _depth > MAX_RESOLVE_DEPTH:
            return None
        d = _depth + 1
        if isinstance(ann, (cst.SimpleString, cst.ConcatenatedString)):
            text = string_value(ann)
            if not text or len(text) > 200:
                return None
            try:
                parsed = cst.parse_expression(text)
            except Exception:  # noqa: BLE001 - not an expression: no type to read
                return None
            return self.annotation(parsed, func, d)
        if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
            for side in (ann.left, ann.right):
                if not (isinstance(side, cst.Name) and side.value == "None"):
                    found = self.annotation(side, func, d)
                    if found:
                        return found
            return None
        if isinstance(ann, cst.Subscript):
            base = (dotted(ann.value) or "").split(".")[-1]
            params = [el.slice.value for el in ann.slice if isinstance(el.slice, cst.Index)]
            if base in _UNWRAP:
                for param in params[:1] if base in ("Annotated", "ClassVar", "Final") else params:
                    if not (isinstance(param, cst.Name) and param.value == "None"):
                        return self.annotation(param, func, d)
                return None
            if base in _COLLECTIONS and params:
                element = self.annotation(params[0], func, d)
                return f"{element}[*]" if element else None
            ann = ann.value
        if (isinstance(ann, cst.Name) and ann.value in self.classes and self.project is not None
                and self.path is not None and self._resolve_name(ann.value, func, d) is None):
            # a class of this module: its project path, so that its methods can be found
            return f"{self.project.module_name(self.path)}.{ann.value}()"
        origin = self.resolve(ann, func, d)
        if origin in ("typing.Any", "typing_extensions.Any", "typing.Callable", "collections.abc.Callable"):
            return None  # says nothing of what the value is
        return f"{origin}()" if origin else None
