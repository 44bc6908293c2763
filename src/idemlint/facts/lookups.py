"""Dedup lookups that are shapes rather than names: a search for the record before creating it in the
same store, a registry of expected messages each delivery takes its entry from, a content hash of
the whole message, and a project helper that reads or writes a store under the key it is given."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Iterable, List, Optional, Set

import libcst as cst

from ..records import dataclass
from ..detect.base import Ctx
from ..index import FunctionInfo, argument, call_name, chain_names, children, contains, dotted, walk
from .identity import GENERIC_KEYS, identity_names, mentions
from ..lazyre import lazy_re

# Reads that find records by what they hold: `misp.search(value=...)`, `db.orders.find_one({...})`,
# `Order.objects.filter(...).first()`, `session.query(...)`, `index.lookup(...)`.
SEARCH_VERB = lazy_re(r"^a?(search|find|lookup|query|filter|exists|count|select|get_by)(_\w+)?$", re.I)
# Calls that only wrap their argument: a hash of `json.dumps(event).encode()` is a hash of `event`.
WRAPPERS = {"dumps", "encode", "str", "bytes", "repr", "dict", "sorted", "to_dict", "to_json", "serialize"}
HASH_CALLS = {"hash", "hexdigest", "digest", "sha1", "sha224", "sha256", "sha384", "sha512", "md5", "blake2b",
              "blake2s", "sha3_256", "xxh64", "xxh3_64", "fingerprint", "content_hash"}
# A registry miss: the entry is not there (`except KeyError`, `LookupError`).
MISSES = {"KeyError", "LookupError"}
REMOVES = {"pop", "remove", "discard"}
_CODE = cst.Module([])


def code(node: cst.CSTNode) -> str:
    return _CODE.code_for_node(node)


def _chain(call: cst.BaseExpression) -> Iterable[cst.Call]:
    cur: Optional[cst.BaseExpression] = call
    while isinstance(cur, (cst.Call, cst.Attribute, cst.Subscript)):
        if isinstance(cur, cst.Call):
            yield cur
            cur = cur.func
        else:
            cur = cur.value


def store_of(call: cst.CSTNode) -> Optional[str]:
    """The object a call reads or writes, before any call in its chain: `self.misp` for
    `self.misp.search(...)`, `Order.objects` for `Order.objects.filter(...).first()`."""
    if not isinstance(call, cst.Call):
        return None
    calls = list(_chain(call))
    inner = calls[-1].func
    return dotted(inner.value) if isinstance(inner, cst.Attribute) else None


def message_keyed(expr: cst.CSTNode, func: Optional[FunctionInfo], tainted: Set[str],
                  receives: Set[str] = frozenset(), depth: int = 0) -> bool:
    """`expr` holds message data: it names the message, or a local bound to message data (or to what
    a call named in `receives` returned) or filled with it (`values.append(event[field])`)."""
    if mentions(expr, tainted):
        return True
    if func is None or depth > 3:
        return False
    for name in {n.value for n in _names(expr)} - tainted:
        for value, _, _ in func.assigns.get(name, ()):
            if any(call_name(c) in receives for c in _chain(value)) or message_keyed(
                    value, func, tainted, receives, depth + 1):
                return True  # `event = self.receive_message().to_dict()`: the message, converted
        for call in func.calls:
            if (isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
                    and call.func.value.value == name and call_name(call) in ("append", "extend", "add", "insert")
                    and any(message_keyed(a.value, func, tainted, receives, depth + 1) for a in call.args)):
                return True
    return False


def _names(expr: cst.CSTNode) -> Iterable[cst.Name]:
    stack = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name):
            yield cur
        elif isinstance(cur, cst.Attribute):
            stack.append(cur.value)  # `a.b`: only `a` is a local
            continue
        stack.extend(children(cur))


def search(call: cst.Call, ctx: Ctx, tainted: Set[str], receives: Set[str] = frozenset()) -> Optional[str]:
    """`r = self.misp.search(value=query_from_event)`: a read named like a search, on a store that is
    not the message itself, keyed by the message's data. The text to show, or None."""
    if not isinstance(call.func, cst.Attribute):
        return None
    calls = list(_chain(call))
    if not any(SEARCH_VERB.match(call_name(c) or "") for c in calls):
        return None
    store = store_of(call)
    if not store or _of_message(store, tainted):
        return None  # `text.find("x")`: a method of the message's own data
    if not any(message_keyed(a.value, ctx.func, tainted, receives) for c in calls for a in c.args):
        return None
    return f"`{dotted(call.func) or call_name(call)}()`"


def found_test(test: cst.BaseExpression, holds) -> Optional[bool]:
    """Whether `test` is true when the search found something (True), when it found nothing (False),
    or says nothing plain about it (None). `holds(expr)` tells an expression that holds the result:
    `r`, `len(r) > 0`, `r is not None`, `r["hits"]["total"]` against `not r`, `r is None`, `len(r) == 0`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = found_test(test.expression, holds)
        return None if inner is None else not inner
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if not holds(test.left):
            return None
        op, right = target.operator, target.comparator
        empty = (isinstance(right, cst.Name) and right.value in ("None", "False")
                 or isinstance(right, cst.Integer) and right.value == "0"
                 or isinstance(right, (cst.List, cst.Tuple, cst.Dict)) and not right.elements)
        one = isinstance(right, cst.Integer) and right.value == "1"
        if isinstance(op, (cst.Is, cst.Equal)) and empty:
            return False
        if isinstance(op, (cst.IsNot, cst.NotEqual)) and empty:
            return True
        if isinstance(op, cst.GreaterThan) and isinstance(right, cst.Integer) and right.value == "0":
            return True
        if isinstance(op, cst.GreaterThanEqual) and one:
            return True
        if isinstance(op, cst.LessThan) and one:
            return False
        return None
    if isinstance(test, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) and holds(test):
        return True
    return None


@dataclass
class Search:
    call: cst.Call
    what: str
    store: str
    names: Set[str] = field(default_factory=set)  # the names that hold its result


def holder(search_: Search):
    """A predicate: the expression reads the search's result (the call itself, a name holding it,
    `len(...)` of either, a subscript or attribute of either)."""
    def holds(expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("len", "bool") \
                and len(expr.args) == 1:
            return holds(expr.args[0].value)
        cur = expr
        while isinstance(cur, (cst.Subscript, cst.Attribute)):
            cur = cur.value
        if isinstance(cur, cst.Name):
            return cur.value in search_.names
        return cur is search_.call or contains(expr, search_.call)
    return holds


def registry_miss(node: cst.Try, identity: Set[str], tainted: Set[str], leaves, func: FunctionInfo):
    """`try: job = self.pending[task_key]` / `except KeyError: ...; continue`, then
    `self.pending.pop(task_key)`: the entry of a registry of expected messages, looked up by the
    message's id, where a miss (`leaves(handler body)`) skips the message. (node, text) or None."""
    if not any(_catches(h, MISSES) and leaves(h.body) for h in node.handlers):
        return None
    for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign, cst.Expr)) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if not (isinstance(value, cst.Subscript) and len(value.slice) == 1
                    and isinstance(value.slice[0].slice, cst.Index)):
                continue
            store, key = dotted(value.value), value.slice[0].slice.value
            if _registry(store, key, identity, tainted) and takes_entry(func, store, key):
                return value, f"registry entry `{code(value)}` taken once"
    return None


def registry_test(node: cst.If, identity: Set[str], tainted: Set[str], leaves, func: FunctionInfo) -> Optional[str]:
    """`if task_key not in self.pending: continue`, then `self.pending.pop(task_key)`: the same registry
    lookup as `registry_miss`, written as a membership test."""
    test = node.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.NotIn) and leaves(node.body)):
        return None
    store, key = dotted(test.comparisons[0].comparator), test.left
    if _registry(store, key, identity, tainted) and takes_entry(func, store, key):
        return f"registry entry `{code(key)}` in `{store}` taken once"
    return None


def seen_test(node: cst.If, identity: Set[str], tainted: Set[str], leaves) -> Optional[str]:
    """`if env.msg_id in self._seen_set: return False`: the message's id tested against a record of
    the ids already seen, and a hit leaves (`leaves(body)`). Whatever keeps the record (a set warmed
    from a file at start, a database table behind `__contains__`), the author dropped repeats by the
    message's id here: a dedup lookup, if only a weak one."""
    test = node.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.In) and leaves(node.body)):
        return None
    from .dedup import DEDUP_STORE  # dedup imports effects, which imports this module

    store = dotted(test.comparisons[0].comparator)
    if not store or _of_message(store, tainted) or not DEDUP_STORE.search(store.split(".")[-1]):
        return None
    if identity_names(test.left, identity, GENERIC_KEYS - identity):
        return f"`{code(test.left)}` looked up in `{store}`"
    return None


def _registry(store: Optional[str], key: cst.BaseExpression, identity: Set[str], tainted: Set[str]) -> bool:
    """A store that is not the message (`event.pop(field)` edits the message), keyed by its identity
    (a generic `key` only when it is bound to one)."""
    return bool(store) and not _of_message(store, tainted) and bool(  # type: ignore[arg-type]
        identity_names(key, identity, GENERIC_KEYS - identity))


def _of_message(store: str, tainted: Set[str]) -> bool:
    """The dotted store is message data: it, or a name or path it starts with, is tainted (what
    `identity.mentions` tells of the expression `store` spells)."""
    parts = store.split(".")
    return any(".".join(parts[:i]) in tainted for i in range(1, len(parts) + 1))


def bound(func: FunctionInfo, call: cst.Call, args: List[cst.Arg]) -> Set[str]:
    """The parameters of `func` that `call` passes `args` to (`index.argument`, the other way)."""
    values = [a.value for a in args]
    return {p for p in func.params if any(argument(call, func, p) is v for v in values)}


def _catches(handler: cst.ExceptHandler, names: Set[str]) -> bool:
    if handler.type is None:
        return False
    types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    return any((dotted(t.value if isinstance(t, cst.Element) else t) or "").split(".")[-1] in names for t in types)


def takes_entry(func: FunctionInfo, store: str, key: cst.BaseExpression) -> bool:
    """The function removes the entry `store[key]` it looked up (`store.pop(key)`, `del store[key]`):
    the registry then holds each expected message once, and a redelivery finds no entry."""
    key_code = code(key)
    for call in func.calls:
        if (call_name(call) in REMOVES and isinstance(call.func, cst.Attribute) and dotted(call.func.value) == store
                and call.args and code(call.args[0].value) == key_code):
            return True
    stack: List[cst.CSTNode] = [func.node.body]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Del):
            targets = cur.target.elements if isinstance(cur.target, cst.Tuple) else [cur.target]
            for t in targets:
                t = t.value if isinstance(t, cst.Element) else t
                if isinstance(t, cst.Subscript) and dotted(t.value) == store and code(t.slice[0].slice) == key_code:
                    return True
        if not isinstance(cur, (cst.FunctionDef, cst.ClassDef)):
            stack.extend(children(cur))
    return False


def content_hash(value: cst.BaseExpression, tainted: Set[str]) -> bool:
    """`message.hash()`, `hashlib.sha256(body).hexdigest()`, `sha256(json.dumps(event).encode())`: a
    digest of the whole message, the same on every delivery of it (SQS FIFO's content-based
    deduplication uses the SHA-256 of the body). A hash of one field (`md5(msg["url"])`) is not."""
    for call in _chain(value.expression if isinstance(value, cst.Await) else value):
        if call_name(call) not in HASH_CALLS:
            continue
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in tainted:
            return True  # `message.hash()`
        if any(_whole(a.value, tainted) for a in call.args if a.keyword is None):
            return True
    return False


def _whole(expr: cst.BaseExpression, tainted: Set[str]) -> bool:
    """`event`, `json.dumps(event)`, `body.encode()`: the message itself, not a field of it."""
    if isinstance(expr, cst.Name):
        return expr.value in tainted
    if isinstance(expr, cst.Call) and call_name(expr) in WRAPPERS:
        if isinstance(expr.func, cst.Attribute) and _whole(expr.func.value, tainted):
            return True
        return bool(expr.args) and _whole(expr.args[0].value, tainted)
    return False


# A read of one row by what it holds: `Model.get(key)`, `Model.query.filter_by(k=v).first()`,
# `session.query(Model).filter_by(...).one_or_none()`, `session.get(Model, key)`, `Model.objects.filter(...).first()`.
ROW_READS = {"get", "get_by", "filter_by", "filter", "where", "first", "one_or_none", "scalar", "scalar_one_or_none",
             "get_or_none", "find_one", "one"}
ROW_MODEL_ARGS = {"query", "get", "select", "scalars"}  # `session.query(Model)`, `session.get(Model, key)`


def created_if_missing(call: cst.Call, row: Optional[cst.BaseExpression], func: Optional[FunctionInfo]) -> bool:
    """`pkg = Package.query.filter_by(name=name).first()` / `if not pkg:` / `pkg = Package(name=name)`,
    `session.add(pkg)`: the insert `call` stores a row (`row`, or the name it is bound to) built from
    the same class the function looked it up in, with the key it looked it up by, in the branch that
    runs when that lookup found nothing. A redelivery finds the row and skips the insert (the
    check-then-create idiom, as `get_or_create` does it)."""
    if func is None or row is None:
        return False
    built = _construction(row, func)
    if built is None:
        return False
    model, values = dotted(built.func), {code(a.value) for a in built.args if not a.star and not _literal(a.value)}
    for test, in_body, holds in _guards(call, func):
        found = found_test(test, holds)
        if found is None or found == in_body:
            continue  # the branch runs when the lookup found the row
        for name in _held_names(test):
            for value, _, how in func.assigns.get(name, ()):
                if how == "=" and _row_read(value, model) and values & _read_keys(value):
                    return True
    return False


# The calls that fetch one stored row (SQLAlchemy `Query.one_or_none()` / `first()` / `get()`,
# `Session.get()`, `Result.scalar_one()`, Flask-SQLAlchemy's `get_or_404()`, Django's `objects.get()`)
ROW_FETCHES = frozenset({"one", "one_or_none", "first", "get", "scalar", "scalar_one", "scalar_one_or_none",
                         "get_or_404", "first_or_404", "one_or_404", "get_object_or_404"})


def loaded_row(row: Optional[cst.BaseExpression], func: Optional[FunctionInfo]) -> bool:
    """`file = FileInstance.query.filter_by(id=file_id).one_or_none()` ... `session.add(file)`: the object
    given to the session was read from the database in this function (every binding of the name is such
    a fetch), so adding it only writes its changes to that row, which a redelivery writes again."""
    if func is None or not isinstance(row, cst.Name):
        return False
    values = func.assigns.get(row.value, ())
    if not values:
        return False
    for value, index, how in values:
        if isinstance(value, cst.Await):
            value = value.expression
        if how != "=" or index is not None or not isinstance(value, cst.Call) or call_name(value) not in ROW_FETCHES:
            return False
        if call_name(value) == "get" and not isinstance(value.func, cst.Attribute) or not _reads_rows(value):
            return False
    return True


# what a call chain that reads a table names on the way (a query, a session, a model's manager)
TABLE_READS = frozenset({"query", "session", "db_session", "objects", "filter", "filter_by", "where", "execute",
                         "scalars", "select"})


def _reads_rows(call: cst.Call) -> bool:
    """The fetch reads a table: its chain names a query, a session or a model's manager (not `dict.get`)."""
    root = call.func
    while isinstance(root, (cst.Attribute, cst.Call)):
        root = root.value if isinstance(root, cst.Attribute) else root.func
    names = chain_names(call.func) | ({root.value} if isinstance(root, cst.Name) else set())
    return bool(names & TABLE_READS) or call_name(call) in ("get_or_404", "first_or_404", "one_or_404",
                                                             "get_object_or_404")


# The get-or-create idiom split into project helpers: `found = await self._get(location)`, `if not found:`
# `found = await self._create(location)`. The names say what each helper does with the record.
GETTER = lazy_re(r"^_*a?(get|find|fetch|lookup|load|read|search|select|query)(_\w+)?$")
CREATOR = lazy_re(r"^_*a?(create|insert|add|save|store|register|put|new|make)(_\w+)?$")


def create_helper_if_missing(call: cst.Call, func: Optional[FunctionInfo], tainted: Set[str]) -> bool:
    """`call` is a creating helper (`self._create(location)`) that runs only when the getting helper
    of the same object and noun, given the same message data, found nothing: in the branch of
    `if not found:` after `found = await self._get(location)`, or as `self._get(tag.name) or
    self._create(tag)`. A redelivery finds what the first delivery created and creates nothing (the
    check-then-create idiom of `created_if_missing`, with the read and the write in project helpers)."""
    if func is None or not CREATOR.match(call_name(call) or "") or not _message_roots(call, tainted):
        return False
    if not any(GETTER.match(call_name(c) or "") and _get_and_create(c, call, tainted, func) for c in func.calls):
        return False  # no getter of the same noun given the same data: nothing to guard it
    for node in walk(func.node.body, into_scopes=False):
        if (isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or)
                and _unawaited(node.right) is call and _get_and_create(_unawaited(node.left), call, tainted, func)):
            return True
    for test, in_body, holds in _guards(call, func):
        found = found_test(test, holds)
        if found is None or found == in_body:
            continue  # the branch runs when the lookup found something
        for name in _held_names(test):
            for value, _, how in func.assigns.get(name, ()):
                if how == "=" and _get_and_create(_unawaited(value), call, tainted, func):
                    return True
    return False


def _unawaited(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.expression if isinstance(expr, cst.Await) else expr


def _get_and_create(read: cst.BaseExpression, create: cst.Call, tainted: Set[str],
                    func: Optional[FunctionInfo] = None) -> bool:
    """`read` gets and `create` creates the same noun (`_get` / `_create`, `find_user` / `add_user`) on
    the same object, and both are given the same message data (`tag.name` and `tag` share `tag`; so
    do `task_id` and `task_data` after `task_id = task_data.get("task_id")`)."""
    if not isinstance(read, cst.Call):
        return False
    got, made = GETTER.match(call_name(read) or ""), CREATOR.match(call_name(create) or "")
    if not got or not made or (got.group(2) or "") != (made.group(2) or ""):
        return False
    if _receiver(read) != _receiver(create):
        return False
    read_roots, made_roots = _message_roots(read, tainted), _message_roots(create, tainted)
    if func is not None:
        read_roots, made_roots = _sources(read_roots, func, tainted), _sources(made_roots, func, tainted)
    return bool(read_roots & made_roots)


def _sources(names: Set[str], func: FunctionInfo, tainted: Set[str]) -> Set[str]:
    """`names` and the message data each is bound from once (`task_id = task_data.get("task_id")`)."""
    out = set(names)
    for name in names:
        values = func.values_of(name)
        if len(values) == 1:
            out.update(n.value for n in _names(values[0]) if n.value in tainted)
    return out


def _receiver(call: cst.Call) -> Optional[str]:
    return dotted(call.func.value) if isinstance(call.func, cst.Attribute) else None


def _message_roots(call: cst.Call, tainted: Set[str]) -> Set[str]:
    """The message-data names a call's arguments are built on (`tag.name` -> {"tag"})."""
    return {n.value for a in call.args if not a.star and not _literal(a.value)
            for n in _names(a.value) if n.value in tainted}


def _literal(expr: cst.BaseExpression) -> bool:
    """A constant: it keys nothing by itself (`status="new"`, `active=True`)."""
    return isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)) or (
        isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"))


def _construction(row: cst.BaseExpression, func: FunctionInfo) -> Optional[cst.Call]:
    """The call that builds the row: `row` itself, or the last call bound to the name `row` that is
    not a read (`bcls(nvr=nvr)`: a class held in a local builds rows too)."""
    if isinstance(row, cst.Name):
        built = [v for v, _, how in func.assigns.get(row.value, ()) if how == "=" and isinstance(v, cst.Call)
                 and isinstance(v.func, (cst.Name, cst.Attribute))]
        return built[-1] if built else None
    return row if isinstance(row, cst.Call) and isinstance(row.func, (cst.Name, cst.Attribute)) else None


def _guards(call: cst.Call, func: FunctionInfo):
    """(test, whether `call` is in its body (else in its `else`), a predicate of the names the test
    reads) for each `if` of the function that holds `call`."""
    for node in walk(func.node.body, into_scopes=False):
        if isinstance(node, cst.If):
            for branch, in_body in ((node.body, True), (node.orelse, False)):
                if branch is not None and contains(branch, call):
                    names = _held_names(node.test)
                    yield node.test, in_body, (lambda e, names=names: bool(_held_names(e) & names))


def _held_names(test: cst.BaseExpression) -> Set[str]:
    """The plain names a test reads the truth of (`not pkg`, `pkg is None`, `build and build.update`)."""
    if isinstance(test, cst.UnaryOperation):
        return _held_names(test.expression)
    if isinstance(test, cst.Comparison):
        return _held_names(test.left)
    if isinstance(test, cst.Name):
        return {test.value}
    return set()


def _row_read(value: cst.BaseExpression, model: Optional[str]) -> bool:
    """`value` reads one row of the class `model` names (also through a statement it runs:
    `session.scalars(select(Tagging).filter_by(...)).first()`)."""
    if not model:
        return False
    calls = _calls(value)
    if not any(call_name(c) in ROW_READS for c in calls):
        return False
    for call in calls:
        root = call.func
        while isinstance(root, cst.Attribute):
            if dotted(root) == model:
                return True  # `Package.query.filter_by(...)`
            root = root.value
        if dotted(root) == model or call_name(call) in ROW_MODEL_ARGS and call.args and dotted(call.args[0].value) == model:
            return True  # `Package.get(name)`, `session.query(Package)`, `select(Package)`
    return False


def _read_keys(value: cst.BaseExpression) -> Set[str]:
    """The code of the values a row read is keyed by (`filter_by(name=name)` -> {"name"})."""
    return {code(a.value) for c in _calls(value) for a in c.args if not a.star}


def _calls(expr: cst.BaseExpression) -> List[cst.Call]:
    """Every call in `expr` (lambdas left out)."""
    return [n for n in walk(expr, into_scopes=False) if isinstance(n, cst.Call)]
