"""What every adapter provides, and the small helpers they share."""

from __future__ import annotations

from dataclasses import field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..records import dataclass
from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, contains, dotted, kwarg, string_value


@dataclass
class AckSite:
    library: str
    strength: int
    evidence: str
    through: bool = False  # made by project code the call runs (`facts.acks`), not by the call itself


@dataclass
class ProduceSite:
    library: str
    what: str
    payload: Optional[cst.BaseExpression]  # None: the library has no payload we can inspect
    id_exprs: List[cst.BaseExpression] = field(default_factory=list)  # id-bearing arguments
    has_id: bool = False  # an id-bearing property/keyword/header is present
    always_has_id: bool = False  # the framework always assigns one (Celery, dramatiq, rq, ...)
    rpc_reply: bool = False  # a reply to `reply_to` carrying the request's correlation id
    evidence: str = ""
    # the broker rejects a repeat of this publish (a compare-and-set on the stream's last sequence):
    # idempotent, so neither a message without an id nor a consumer's side effect
    conditional: bool = False
    unconfirmed_queue: bool = False  # a push to a list no visible code pops: a queue by its name only
    # sent in the broker transaction that also acks the consumed message (workflows
    # `send(..., transaction=txn)` beside `ack(header, transaction=txn)`): it happens exactly when
    # the ack does, so it is neither repeated nor lost by a crash
    acked_with: bool = False
    # the client is taken for a message producer by its name only (`self._producer.publish(...)` of a
    # library idemlint does not know): `detect.messages.NamedProducerAdapter`
    by_name: bool = False
    # a core NATS publish (`nc.publish`): stored only when a JetStream stream captures its subject,
    # which the code does not say
    core_subject: bool = False
    # the library's messages have no id of any kind (IntelMQ events): one consumed and passed on
    # whole carries none either, so the relay is no exception to IDEM003
    idless_messages: bool = False
    # made through a project method picked by a guess of the receiver's class (`callees.undeclared`,
    # `callees.by_interface`): which implementation runs is not certain
    guessed: bool = False
    # delivered to a device, not to a consumer (an SNS mobile push to a platform endpoint, an SMS to a
    # phone number): a repeat is one more notification (IDEM001's), but no code dedups it (no IDEM003)
    device_push: bool = False


@dataclass
class HandlerSite:
    """A function that a framework calls per message (and maybe acks for)."""

    library: str
    function: FunctionInfo
    ack_mode: str  # framework | auto | explicit (explicit: the body must ack itself)
    strength: int
    evidence: str
    framework_ack: str = ""
    # ack_mode == auto: the option or constructor in force (related location of IDEM005); `strength`
    # is STRONG when the flag is spelled out, WEAK for a library default or a value we cannot read
    option_node: Optional[cst.CSTNode] = None
    # Kafka auto-commit (ack_mode == framework): "poll" (inside a later `poll()`, after the loop body's
    # work), "thread" (librdkafka's background thread), "await" (aiokafka's task, when the handler awaits)
    auto_commit: str = ""
    # a call of a project helper that receives for the handler and returns the message (`item =
    # self.queue.dequeue()`): the handler's receive, whose own work comes before the item is taken
    receives_at: Optional[cst.Call] = None


@dataclass
class ModuleWords:
    """What the engine's first pass knows of a module before parsing it (see `Adapter.may_find`)."""

    found: Set[str]  # the words of `detect.GATE_VOCABULARY` among the names its code uses
    text: str  # those names, one per line (`codewords.code_words`)
    source: bytes
    _lower: Optional[str] = None

    def names_contain(self, part: str) -> bool:
        """True if some name the code uses contains `part` (lower case), in any case (`_kafka_producer`)."""
        if self._lower is None:
            self._lower = self.text.lower()
        return part in self._lower


@dataclass
class Ctx:
    """What an adapter may look at while classifying one call."""

    index: ModuleIndex
    func: Optional[FunctionInfo]
    message_names: Set[str] = field(default_factory=set)

    def origin(self, expr: Optional[cst.BaseExpression]) -> Optional[str]:
        return self.index.resolve(expr, self.func)

    def imports(self, *roots: str) -> bool:
        return self.index.imports_any(roots)

    def reaches(self, expr: Optional[cst.BaseExpression], *roots: str) -> bool:
        """The module imports one of `roots`, or `expr` is (through the project's factories, base
        classes and attributes) an object of one: a receiver built in another module."""
        if self.index.imports_any(roots):
            return True
        origin = self.origin(expr) if expr is not None else None
        return bool(origin) and any(origin == r or origin.startswith((r + ".", r + "(")) for r in roots)


def literal(expr: Optional[cst.BaseExpression]) -> bool:
    """A constant written out: a string, bytes or number literal, or such a string `.encode()`d
    (`"BTCUSDT"`, `b"orders"`, `"x".encode("utf-8")`). As a key or an id, every message shares it."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "encode":
        expr = expr.func.value
    return isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float))


def configured(expr: Optional[cst.BaseExpression], ctx: "Ctx") -> bool:
    """`self.key`, assigned only in the class's `__init__` (from a constructor parameter or a setting):
    the object's, the same in every message it sends."""
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self"):
        return False
    cls = ctx.index.class_of(ctx.func)
    seen = 0
    while cls is not None and expr.attr.value not in cls.attr_values and seen < 4:
        # set by a base class of the module (`BaseActiveMQ.__init__` for its `Publisher`)
        named = [ctx.index.classes.get(base.value) for base in cls.bases if isinstance(base, cst.Name)]
        cls, seen = next((c for c in named if c is not None), None), seen + 1
    values = cls.attr_values.get(expr.attr.value, ()) if cls is not None else ()
    return bool(values) and all(owner is not None and owner.name == "__init__" for _, owner, _ in values)


class Adapter:
    """One client-library family. Subclasses override what their library has."""

    library: str = ""
    roots: Tuple[str, ...] = ()  # import prefixes that identify the library
    tokens: Tuple[str, ...] = ()  # words whose absence lets the prefilter skip a file
    # names one of which a module's code must use for `handlers()` or `with_ack()` to find anything
    # (beside `ack_names` / `produce_names`); lets the engine skip the parse of the others
    site_words: Tuple[str, ...] = ()
    # {one of the names above: the words one of which the module must also use for this adapter to
    # accept it} (`commit` counts for Kafka only beside a Kafka import); a name not listed needs nothing
    gate_needs: Dict[str, Tuple[str, ...]] = {}
    # called names `ack()` / `produce()` may recognise (None: any); lets the engine skip the rest
    ack_names: Optional[frozenset] = frozenset()
    produce_names: Optional[frozenset] = frozenset()
    # the called names of the `with` items `with_ack()` may take for an ack (`message.process()`)
    with_names: Tuple[str, ...] = ()

    def may_find(self, words: "ModuleWords") -> bool:
        """False only if this adapter can find nothing in a module whose code uses `words` (the
        engine's cheap first pass, before any parse): one of its names, with what it needs beside."""
        for name in (*self.ack_names, *self.produce_names, *self.site_words):
            if name in words.found:
                need = self.gate_needs.get(name)
                if need is None or not words.found.isdisjoint(need):
                    return True
        return False

    def gate_vocabulary(self) -> Set[str]:
        """Every word `may_find` looks at."""
        words = {*self.ack_names, *self.produce_names, *self.site_words}
        for need in self.gate_needs.values():
            words.update(need)
        return words

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        return None

    def with_ack(self, item: cst.WithItem, ctx: Ctx) -> Optional[AckSite]:
        """An ack that happens when a `with` block exits cleanly (aio-pika `message.process()`)."""
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        return None

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        return ()


# -- shared helpers -------------------------------------------------------------------------

DB_RECEIVERS = {
    "session", "db", "conn", "connection", "cursor", "cur", "transaction", "tx", "txn",
    "engine", "index", "repo", "database", "dbsession", "db_session", "uow", "unit_of_work",
}

MESSAGE_NAMES = {
    "msg", "message", "m", "record", "rec", "delivery", "envelope", "incoming", "event",
    "job", "item", "raw_message", "raw", "in_msg", "incoming_message", "received",
}


def root_words(roots: Sequence[str]) -> Tuple[str, ...]:
    """The words an import of one of `roots` puts among a module's names (`azure.servicebus` -> `servicebus`)."""
    return tuple(sorted({root.rsplit(".", 1)[-1] for root in roots}))


def receiver(call: cst.Call) -> Optional[cst.BaseExpression]:
    return call.func.value if isinstance(call.func, cst.Attribute) else None


def is_mock(call: cst.Call, ctx: "Ctx") -> bool:
    """`mock.call().delete_message(...)`, `mocked.basic_ack(...)`: a test double, not a broker call."""
    expr: Optional[cst.BaseExpression] = call.func
    while isinstance(expr, (cst.Attribute, cst.Call)):
        expr = expr.value if isinstance(expr, cst.Attribute) else expr.func
        if isinstance(expr, cst.Attribute) and expr.attr.value in ("return_value", "side_effect"):
            return True
    if isinstance(expr, cst.Name):
        origin = ctx.index.local_origin(expr, ctx.func) or ""  # an import of this module says it
        return origin.startswith(("unittest.mock", "mock")) or expr.value.lower().startswith(("mock", "fake_", "stub"))
    return False


def receiver_last(call: cst.Call) -> str:
    """The last name of the receiver: `self.consumer.commit()` -> "consumer"."""
    recv = receiver(call)
    if isinstance(recv, cst.Attribute):
        return recv.attr.value
    if isinstance(recv, cst.Name):
        return recv.value
    if isinstance(recv, cst.Call):
        name = recv.func
        if isinstance(name, cst.Attribute):
            return name.attr.value
        if isinstance(name, cst.Name):
            return name.value
    return ""


def is_db_receiver(call: cst.Call) -> bool:
    last = receiver_last(call).lower().lstrip("_")
    return last in DB_RECEIVERS or last.endswith("session") or last.endswith("conn") or last.endswith("db")


def keywords(call: cst.Call) -> Set[str]:
    """The keyword names a call passes, those of a dict display spread into it (`**{"key": k}`) too."""
    names = {a.keyword.value for a in call.args if a.keyword is not None}
    for arg in call.args:
        if arg.star == "**" and isinstance(arg.value, cst.Dict):
            names.update(text for e in arg.value.elements if isinstance(e, cst.DictElement)
                         and (text := string_value(e.key)) is not None)
    return names


def origin_starts(origin: Optional[str], prefixes: Sequence[str]) -> bool:
    return bool(origin) and any(origin.startswith(p) for p in prefixes)  # type: ignore[union-attr]


def decorator_call(dec: cst.Decorator) -> Tuple[cst.BaseExpression, Optional[cst.Call]]:
    """(the decorator's callee expression, the Call if it is called with arguments)."""
    expr = dec.decorator
    if isinstance(expr, cst.Call):
        return expr.func, expr
    return expr, None


@dataclass
class DecoratorView:
    """A decorator as a framework sees it: the decorator itself, or the framework decorator that a
    project wrapper returns or applies (`def actor(**kw): return dramatiq.actor(**kw)`, then
    `@actor(queue_name="x")` in another module)."""

    callee: cst.BaseExpression  # the decorator's callee expression, in `index`
    call: Optional[cst.Call]  # its call with arguments, if any
    index: ModuleIndex  # the module the expressions are in
    scope: Optional[FunctionInfo] = None  # the function whose body holds them (None: module level)
    outer: Optional[cst.Call] = None  # inside a wrapper: the use site's call (`@actor(queue_name="x")`)
    via: str = ""  # inside a wrapper: the wrapper's qualified name

    def origin(self) -> Optional[str]:
        return self.index.resolve(self.callee, self.scope)

    def keyword(self, name: str) -> Optional[cst.BaseExpression]:
        """A keyword the framework decorator is given: its own, else the use site's when the wrapper
        passes its keywords through (`app.task(**options)`)."""
        found = kwarg(self.call, name) if self.call is not None else None
        if found is None and self.outer is not None and self.call is not None and any(
                a.star == "**" for a in self.call.args):
            found = kwarg(self.outer, name)
        return found

    def suffix(self) -> str:
        return f" (through the project decorator `{self.via}`)" if self.via else ""


def decorators(func: FunctionInfo, index: ModuleIndex) -> Iterable[DecoratorView]:
    """`func`'s decorators, each followed by the framework decorators of the project wrapper it is."""
    for dec in func.decorators:
        callee, call = decorator_call(dec)
        yield DecoratorView(callee, call, index)
        yield from _wrapped(callee, call, index)


def _wrapped(callee: cst.BaseExpression, call: Optional[cst.Call], index: ModuleIndex) -> Iterable[DecoratorView]:
    """The library calls in the body of the project function `callee` names (and of the functions
    nested in it): a decorator factory returns one, or applies one to the function it is given."""
    project = index.project
    if project is None or not isinstance(callee, (cst.Name, cst.Attribute)):
        return
    from ..facts import callees  # the facts import this module: not at import time

    wrapper = callees.resolve(callee, Ctx(index, None), project, index.path)
    if wrapper is None:
        return
    scopes = [wrapper.func]
    for scope in scopes:
        scopes.extend(wrapper.index.children_of.get(id(scope.node), ()))
    for scope in scopes:
        for inner in scope.calls:
            func = inner.func
            if not isinstance(func, (cst.Name, cst.Attribute)) or isinstance(func, cst.Name) and func.value in scope.params:
                continue  # `fn(*args)`: the decorated function itself
            origin = wrapper.index.resolve(func, scope)
            if origin is not None and not project.is_project_origin(origin, wrapper.index.path):
                yield DecoratorView(func, inner, wrapper.index, scope, call, wrapper.qualname)


def dict_keys(expr: Optional[cst.BaseExpression]) -> Optional[List[str]]:
    """Literal string keys of a dict display or `dict(k=...)`; None if not a literal dict."""
    if isinstance(expr, cst.Dict):
        keys = []
        for el in expr.elements:
            if isinstance(el, cst.StarredDictElement):
                return None
            k = string_value(el.key)
            if k is None:
                return None
            keys.append(k)
        return keys
    if isinstance(expr, cst.Call) and dotted(expr.func) == "dict":
        if any(a.keyword is None for a in expr.args):
            return None
        return [a.keyword.value for a in expr.args if a.keyword is not None]
    return None


def dict_value(expr: Optional[cst.BaseExpression], key: str) -> Optional[cst.BaseExpression]:
    if isinstance(expr, cst.Dict):
        for el in expr.elements:
            if isinstance(el, cst.DictElement) and string_value(el.key) == key:
                return el.value
    return None


def func_ref(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[FunctionInfo]:
    """The function a callback argument names: `handle`, `self.on_message`, `Cls.handle`."""
    if isinstance(expr, cst.Name):
        f = ctx.func
        while f is not None:
            for other in ctx.index.children_of.get(id(f.node), ()):
                if other.name == expr.value:
                    return other
            f = f.parent
        return ctx.index.module_functions.get(expr.value)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        owner = expr.value.value
        cls_name = None
        if owner in ("self", "cls") and ctx.func is not None:
            f: Optional[FunctionInfo] = ctx.func
            while f is not None and f.class_name is None:
                f = f.parent
            cls_name = f.class_name if f else None
        elif owner in ctx.index.classes:
            cls_name = owner
        if cls_name and cls_name in ctx.index.classes:
            return ctx.index.classes[cls_name].methods.get(expr.attr.value)
    return None


def relayed_loop(expr: cst.BaseExpression, ctx: Ctx, receives: Callable[[cst.For, Ctx], bool]):
    """`for event in self.records():` / `for event in records(consumer)`: (the generator of this module
    the loop iterates over, its own loop that `receives` takes for a receive loop and that holds one
    of its `yield`s), or None. Each element the outer loop gets is then a message that loop received."""
    if not isinstance(expr, cst.Call):
        return None
    target = func_ref(expr.func, ctx)  # a method of the class, or a function of the module
    if target is None or target is ctx.func or not target.yields:
        return None
    inner = Ctx(ctx.index, target)
    for loop in target.fors:
        if receives(loop, inner) and any(contains(loop.body, value) for value in target.yields):
            return target, loop
    return None


@dataclass
class Elsewhere:
    """A handler that a registration of the analysed module names and another project module
    defines (`on_message_callback=handlers.on_order`): where it lives, and the name that points at
    it here, where its findings are shown."""

    index: ModuleIndex  # the module that defines it
    path: str
    qualname: str  # `svc.handlers.on_order`
    anchor: cst.CSTNode  # the expression of the registration that names it


def handler_ref(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[FunctionInfo]:
    """The function a registration's callback argument names (`func_ref`), or, in a project scan,
    the project function it resolves to elsewhere: imported (`handlers.on_order`), or a method of a
    base class of another module (`self.on_message`). Such a handler is noted in
    `ModuleIndex.elsewhere`; an abstract stub is no handler."""
    local = func_ref(expr, ctx)
    if local is not None or not isinstance(expr, (cst.Name, cst.Attribute)) or ctx.index.project is None:
        return local
    from ..facts import callees  # facts import this module

    callee = callees.resolve(expr, ctx, ctx.index.project, ctx.index.path)
    if callee is None or callees.is_stub(callee.func):
        return None
    if callee.path is not None and callee.index is not ctx.index:
        ctx.index.elsewhere.setdefault(id(callee.func.node),
                                       Elsewhere(callee.index, callee.path, callee.qualname, expr))
    return callee.func


def kw_true(call: cst.Call, *names: str) -> bool:
    """True if any of the keywords is passed the literal `True`."""
    return any(
        isinstance(kwarg(call, n), cst.Name) and kwarg(call, n).value == "True"  # type: ignore[union-attr]
        for n in names
    )
