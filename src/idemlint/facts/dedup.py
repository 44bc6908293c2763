"""Dedup lookups, claims and processed-markers: how a consumer remembers what it already did."""

from __future__ import annotations

import re
from typing import Container, Iterable, List, Optional, Set

import libcst as cst

from ..records import dataclass
from .. import patterns as user_patterns
from ..detect.base import Ctx, dict_keys, receiver, receiver_last
from ..index import call_name, chain_names, children, contains, dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK
from .effects import sql_kind, sql_table, sql_text
from .identity import identity_names, mentions
from .payload import bound_once
from ..lazyre import lazy_re

# Tables, models and keys that hold "this message was processed".
DEDUP_STORE = lazy_re(
    r"process|inbox|dedup|idempot|handled|consum|seen|received|message_?log|already|done|unique_?message",
    re.I,
)
# (`duplicate` leading a name is the verb "copy" or an adjective of what follows,
# `duplicate_item(...)`, `duplicate_side_effect_signals(trace)`: no lookup unless what follows asks
# whether one exists)
LOOKUP_HELPER = lazy_re(
    r"already|(?<!^)(?<!^_)(?<!^__)duplicate|^_*duplicate($|_(exists|check|found|of|message|event|id|key|request|"
    r"delivery)(_|$))|dedup|idempot|(^|_)seen($|_)|has_seen|(is|was|been)_(processed|handled|done|consumed|seen)"
    r"|processed_before|^is_new|first_time|check_processed|^processed$",
    re.I,
)
MARKER_HELPER = lazy_re(
    r"^(mark|record|save|store|remember|flag|set|add|insert|persist|log)_.*(processed|handled|seen|done|"
    r"consumed|complete|dedup|idempot)|^(mark|remember)_(seen|done|message|event)",
    re.I,
)
# a registration of a function to call later (`add_done_callback`, `set_error_handler`), whatever
# word it carries (`done`, `processed`): no read or write of a processed record
_REGISTERS = lazy_re(r"_(callback|listener|handler|hook|observer|subscriber)s?$", re.I)
CLAIM_HELPER = lazy_re(r"^(claim|try_claim|acquire|lock|reserve)_.*(message|event|id|key|processing)", re.I)
REDIS_READS = {"sismember", "smismember", "exists", "hexists", "get", "hget", "getbit"}
REDIS_CLAIMS = {"setnx", "sadd", "hsetnx", "zadd", "add"}
REDIS_WRITES = {"set", "setex", "psetex", "sadd", "hset", "hmset", "setnx", "hsetnx", "zadd"}
_REDIS_NAMES = frozenset(REDIS_READS | REDIS_CLAIMS | REDIS_WRITES)
ORM_EXISTENCE = {"exists", "aexists", "count", "acount"}
ORM_FETCH = {"first", "get", "aget", "one_or_none", "scalar", "scalar_one_or_none", "get_or_none", "afirst",
             "fetchone", "fetchrow", "fetchval"}
UNIQUE_ERRORS = {"IntegrityError", "UniqueViolation", "UniqueViolationError", "ConditionalCheckFailedException",
                 "DuplicateJobError", "DuplicateKeyError", "TransactionCanceledException",
                 "IdempotencyItemAlreadyExistsError", "ClientError"}
IDEMPOTENT_DECORATORS = {"idempotent", "idempotent_function"}


@dataclass
class DedupFact:
    kind: str  # lookup | claim | marker | per-delivery | unkeyed | insert-claim
    strength: int
    what: str
    lock: bool = False  # a claim that expires (SET NX with a TTL): a processing lock, not a record
    store: bool = False  # insert-claim: into a table named like a processed-messages record


# An insert that does nothing when its key is taken (brokers.md 9.2, 9.3). Its result tells a first
# delivery from a replay: `rowcount` 0, no `RETURNING` row (`fetchone()`/`fetchval()` give None),
# asyncpg's status "INSERT 0 0". ON CONFLICT ... DO UPDATE, REPLACE and MERGE change a row either
# way, so their result cannot tell (they are upserts, not claims).
_INSERT_IGNORING = lazy_re(
    r"\bon\s+conflict\b[^;]*?\bdo\s+nothing\b|\binsert\s+(or\s+)?ignore\b|\bon\s+duplicate\s+key\s+update\b"
    r"|\bwhere\s+not\s+exists\b", re.I | re.S)
# SQLAlchemy Core: `postgresql.insert(t).on_conflict_do_nothing()` (also sqlite's), MySQL's
# `insert(t).on_duplicate_key_update(...)`; `insert(t).prefix_with("IGNORE")` / `("OR IGNORE")`.
IGNORING_CHAIN = {"on_conflict_do_nothing", "on_duplicate_key_update"}
# Calls that run a statement and give back something that says whether it inserted a row.
CLAIM_RUNNERS = {"execute", "fetch", "fetchrow", "fetchval", "exec_driver_sql", "scalar", "scalars",
                 "execute_sql"}
# sqlite3's `lastrowid` keeps the previous insert's row id when INSERT OR IGNORE inserts nothing:
# a test of it cannot tell a replay.
UNTELLING = {"lastrowid"}


# Redis / cache writes: where the value written sits (`set(name, value)`, `setex(name, time, value)`,
# `hset(name, key, value)`, Django's `cache.add(key, value)`); the value is no key, whatever it holds
_VALUE_AT = {"set": 1, "setnx": 1, "add": 1, "getset": 1, "setex": 2, "psetex": 2, "hset": 2, "hsetnx": 2}


def _written_value(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    """The value a Redis or cache write stores (not its key), or None."""
    at = _VALUE_AT.get(name)
    if at is None:
        return None
    return kwarg(call, "value") or positional(call, at)


def _keyed(call: cst.Call, identity_vars: Set[str], tainted: Set[str], ctx: Optional[Ctx] = None,
           opaque: Set[str] = frozenset(), exclude: Optional[cst.BaseExpression] = None) -> Optional[str]:
    """How the call is keyed: "id" (message identity), "per-delivery", or None. Names in `opaque`
    are no id, whatever they are called; `exclude` (a written value) is not looked at."""
    best: Optional[str] = None
    values = [arg.value for arg in call.args if arg.value is not exclude]
    if ctx is not None and call.args:
        values += [v for v in statements(call.args[0].value, ctx) if v is not call.args[0].value]
    for value in values:
        found = identity_names(value, identity_vars, opaque)
        if found:
            return "id"
        if found == "":
            best = "per-delivery"
        if found is None and mentions(value, tainted) and best is None:
            best = "message"
    if isinstance(call.func, cst.Attribute):
        found = identity_names(call.func.value, identity_vars)
        if found:
            return "id"
    return best


def _record_fetch(call: cst.Call) -> bool:
    """`Model.objects.get(...)` (Django's manager) or `session.query(Model).get(...)`: a fetch that
    raises when the record is gone."""
    return isinstance(call.func, cst.Attribute) and ("objects" in chain_names(call.func.value)
                                                      or "query" in chain_names(call.func.value))


def _deleted_later(call: cst.Call, func) -> bool:
    """The function binds the result of `call` to a name once and calls `<name>.delete()`."""
    names = [name for name, values in func.assigns.items()
             if len(values) == 1 and values[0][0] is call and values[0][1] is None and values[0][2] == "="]
    return bool(names) and any(
        isinstance(c.func, cst.Attribute) and c.func.attr.value in ("delete", "adelete")
        and isinstance(c.func.value, cst.Name) and c.func.value.value in names for c in func.calls)


def _constant_key(call: cst.Call) -> bool:
    """Every argument is a literal or a setting (`"latest"`, `QUEUE_NAME`, `settings.QUEUE`): a key
    that is the same for every message, so it cannot tell one delivery of a message from another."""
    if not call.args:
        return False
    for arg in call.args:
        value = arg.value
        if isinstance(value, (cst.SimpleString, cst.Integer, cst.ConcatenatedString)):
            continue
        text = dotted(value) or ""
        last = text.split(".")[-1]
        if text and (last.isupper() or text.split(".")[0] in ("settings", "config", "conf")):
            continue
        return False
    return True


def _store_name(call: cst.Call, ctx: Ctx, depth: int = 0) -> str:
    """Model / table / key text a call touches, wherever the chain names it: `Processed.objects.filter`,
    `db.table("processed_messages").where(...)`, `db["processed"].find_one(...)`,
    `conn.execute(select(processed).where(...)).first()`, `conn.execute(stmt)` after `stmt = insert(processed)`."""
    from .handler import _is_receive  # the handler walk imports this module

    parts = []
    cur: Optional[cst.BaseExpression] = call
    while isinstance(cur, (cst.Call, cst.Attribute, cst.Subscript)):
        if isinstance(cur, cst.Call):
            for arg in cur.args[:2]:
                values = statements(arg.value, ctx) if depth < 2 else [arg.value]
                for value in values:
                    if value is not arg.value and _is_receive(value):
                        continue  # `topic, alert, key = consumer.poll()`: the key came with the message, from no store
                    parts.append(dotted(value) or string_value(value) or "")
                    if isinstance(value, cst.Call) and depth < 2:
                        parts.append(_store_name(value, ctx, depth + 1))
                    if isinstance(value, cst.FormattedString):
                        parts.extend(p.value for p in value.parts if isinstance(p, cst.FormattedStringText))
            cur = cur.func
        elif isinstance(cur, cst.Subscript):
            parts.extend(string_value(el.slice.value) or "" for el in cur.slice if isinstance(el.slice, cst.Index))
            cur = cur.value
        else:
            parts.append(cur.attr.value)
            cur = cur.value
    if isinstance(cur, cst.Name):
        parts.append(cur.value)
    return " ".join(p for p in parts if p)


def statements(expr: cst.BaseExpression, ctx: Ctx) -> List[cst.BaseExpression]:
    """The statement a name stands for: every value assigned to it in the function (a statement is
    often built in steps: `stmt = insert(t).values(...)`, then `stmt = stmt.on_conflict_do_nothing()`)."""
    if isinstance(expr, cst.Name) and ctx.func is not None and expr.value in ctx.func.assigns:
        return [value for value, _, _ in ctx.func.assigns[expr.value]]
    return [expr]


def _calls_in_chain(expr: cst.BaseExpression) -> Iterable[cst.Call]:
    cur: Optional[cst.BaseExpression] = expr
    while isinstance(cur, (cst.Call, cst.Attribute)):
        if isinstance(cur, cst.Call):
            yield cur
            cur = cur.func
        else:
            cur = cur.value


def _ignoring_statement(stmts: List[cst.BaseExpression]) -> bool:
    """A SQLAlchemy Core insert that skips a taken key (its steps may be spread over assignments)."""
    calls = [c for stmt in stmts for c in _calls_in_chain(stmt)]
    names = {n for stmt in stmts for n in chain_names(stmt)}
    if "insert" not in names:
        return False
    if names & IGNORING_CHAIN:
        return True
    return any(isinstance(c.func, cst.Attribute) and c.func.attr.value == "prefix_with"
               and any(re.search(r"\bignore\b", string_value(a.value) or "", re.I) for a in c.args)
               for c in calls)


def _runs_insert(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """`conn.execute(<an INSERT>)` somewhere in the chain `expr`."""
    for inner in _calls_in_chain(expr):
        if (call_name(inner) or "") in CLAIM_RUNNERS and inner.args:
            first = inner.args[0].value
            if sql_text(first, ctx) is not None:
                if sql_kind(first, ctx) in ("insert", "upsert"):
                    return True
            elif any("insert" in chain_names(stmt) for stmt in statements(first, ctx)):
                return True
    return False


def insert_claim(call: cst.Call, ctx: Ctx) -> Optional[str]:
    """`cur.execute("INSERT ... ON CONFLICT (id) DO NOTHING")`, `conn.fetchval("INSERT IGNORE ...")`,
    `conn.execute(insert(t).values(...).on_conflict_do_nothing())`: an insert whose result says
    whether it inserted. It is a claim only where that result is tested (see `InsertClaims`)."""
    mongo = _mongo_upsert_claim(call)
    if mongo is not None:
        return mongo
    if (call_name(call) or "") not in CLAIM_RUNNERS or not call.args:
        return None
    first = call.args[0].value
    sql = sql_text(first, ctx)
    if sql is not None:
        found = _INSERT_IGNORING.search(sql) if re.search(r"\binsert\b", sql, re.I) else None
        if found:
            words = found.group(0).lower().split()
            clause = ("ON CONFLICT DO NOTHING" if words[0] == "on" and words[1] == "conflict"
                      else " ".join(words).upper())
            return f"`{'INSERT ... ' if not clause.startswith('INSERT') else ''}{clause}` via `{dotted(call.func) or call_name(call)}()`"
        return None
    if _ignoring_statement(statements(first, ctx)):
        return f"insert that skips a taken key via `{dotted(call.func) or call_name(call)}()`"
    return None


def _mongo_upsert_claim(call: cst.Call) -> Optional[str]:
    """MongoDB's claim: `update_one({"_id": msg_id}, {"$setOnInsert": {...}}, upsert=True)` inserts
    the document only when no document matches, and its result says which (`upserted_id`,
    `matched_count`). Like an insert that skips a taken key, it claims where that result is tested."""
    if (call_name(call) or "") not in ("update_one", "find_one_and_update"):
        return None
    upsert = kwarg(call, "upsert")
    update = dict_keys(kwarg(call, "update") or positional(call, 1))
    if not (isinstance(upsert, cst.Name) and upsert.value == "True") or update is None or update != ["$setOnInsert"]:
        return None  # `$set` with upsert writes the document on every run: an overwrite, no claim
    return f"MongoDB `$setOnInsert` upsert via `{dotted(call.func) or call_name(call)}()`"


# what makes a new, empty collection in memory (`seen = set()`, `node, seen = term, set()`)
_NEW_COLLECTIONS = {"set", "dict", "list", "deque", "defaultdict", "OrderedDict", "Counter"}


def _fresh_collection(func: cst.BaseExpression, ctx: Ctx) -> bool:
    """`func` is a method of a local the function binds only to a new collection of its own (a set,
    a list or a dict display, `set()`, `collections.deque()`): a record that lives as long as the call."""
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) or ctx.func is None:
        return False
    name = func.value.value
    values = ctx.func.assigns.get(name, ())
    if not values or name in ctx.func.params:
        return False
    for value, index, how in values:
        if how != "=":
            return False
        if index is not None:  # `node, seen = term, set()`: the element at that position
            value = _element_at(value, index)
        if not _new_collection(value):
            return False
    return True


def _module_collection(func: cst.BaseExpression, ctx: Ctx) -> bool:
    """`func` is a method of a module-level name bound only to a new, empty collection
    (`_event_types_seen: set[str] = set()`), not a local or a parameter of the function: a record in
    process memory, which the crash that brings a redelivery wipes, so it records no message as
    processed (a metrics module's cache of the label values it has admitted)."""
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
        return False
    name = func.value.value
    if ctx.func is not None and (name in ctx.func.params or name in ctx.func.assigns):
        return False
    values = ctx.index.module_assigns.get(name, ())
    return bool(values) and all(how == "=" and index is None and _new_collection(value) for value, index, how in values)


def _instance_collection(func: cst.BaseExpression, ctx: Ctx) -> bool:
    """`func` is a method of `self.<name>`, which every method of the class binds only to a new,
    empty collection (`self._in_flight_tasks = set()` in `__init__`): process memory, as
    `_module_collection`'s is."""
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute)
            and isinstance(func.value.value, cst.Name) and func.value.value.value == "self") or ctx.func is None:
        return False
    cls = ctx.index.class_of(ctx.func)
    values = cls.attr_values.get(func.value.attr.value, ()) if cls is not None else ()
    return bool(values) and all(how == "=" and _new_collection(value) for value, _, how in values)


def _new_collection(value: Optional[cst.BaseExpression]) -> bool:
    if isinstance(value, (cst.Set, cst.List, cst.Dict)) and not value.elements:
        return True
    return isinstance(value, cst.Call) and (dotted(value.func) or "").rpartition(".")[2] in _NEW_COLLECTIONS \
        and not value.args


def _element_at(value: cst.BaseExpression, index: int) -> Optional[cst.BaseExpression]:
    if isinstance(value, (cst.Tuple, cst.List)) and index < len(value.elements):
        element = value.elements[index]
        return None if isinstance(element, cst.StarredElement) else element.value
    return None


def _reads_delivery(func: cst.BaseExpression, ctx: Ctx) -> bool:
    """`func` is a method of a local every assignment of which is a receive call's result
    (`received = sqs.receive_message(...)`, then `received.get("Messages", [])`)."""
    from .handler import RECEIVE_CALLS  # not at import time: `handler` imports this module

    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)) or ctx.func is None:
        return False
    values = [v.expression if isinstance(v, cst.Await) else v for v in ctx.func.values_of(func.value.value)]
    return bool(values) and all(isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute)
                                and v.func.attr.value in RECEIVE_CALLS for v in values)


def classify(call: cst.Call, ctx: Ctx, gated: bool, in_unique_try: bool,
             identity_vars: Set[str], tainted: Set[str], far: bool = False,
             opaque: Set[str] = frozenset()) -> Optional[DedupFact]:
    """Whether `call` reads or writes the consumer's record of processed messages.

    `far`: the call is two or more calls away from the handler, where every parameter is only
    assumed to be message data; a cache write there is a processed record only if named like one.
    """
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if not name:
        return None
    if _REGISTERS.search(name):
        return None  # `task.add_done_callback(...)`: stores a function to call later, records nothing
    if _fresh_collection(func, ctx):
        return None  # `seen = set()` ... `seen.add(run_id)`: gone when the function returns, kept by no redelivery
    if not gated and (_module_collection(func, ctx) or _instance_collection(func, ctx)):
        # `_SEEN: set[str] = set()` of the module, `self._in_flight = set()` of the object: kept in
        # process memory, which a crash wipes, so no record of a processed message (a claim tested
        # there is still one: an in-memory implementation of a repository's `claim()`, picked with
        # the others the call may run, stands for them)
        return None
    if _reads_delivery(func, ctx):
        return None  # `received.get("Messages", [])`: the batch a receive returned, not a processed record
    keyed = _keyed(call, identity_vars, tainted, ctx, opaque)
    store = _store_name(call, ctx)
    dedup_store = bool(DEDUP_STORE.search(store))
    text = dotted(func) or name

    # helpers named for what they do: `already_processed(msg_id)`, `mark_processed(msg_id)`
    if LOOKUP_HELPER.search(name) and keyed:
        if keyed == "per-delivery":
            return DedupFact("per-delivery", WEAK, f"`{text}()`")
        return DedupFact("lookup", WEAK, f"`{text}()`")
    if LOOKUP_HELPER.search(name) and gated and _constant_key(call):
        # `if already_processed(settings.QUEUE):` keys by nothing the message carries
        return DedupFact("unkeyed", WEAK, f"`{text}()`")
    if CLAIM_HELPER.search(name) and keyed in ("id", "message") and gated:
        return DedupFact("claim", WEAK, f"`{text}()`")
    if MARKER_HELPER.search(name) and keyed:
        if keyed == "per-delivery":
            return None
        return DedupFact("marker", WEAK, f"`{text}()`")

    # a work record: `record = Model.objects.get(id=record_id)` fetched by the message's key and
    # deleted when the work is done (`record.delete()`): a repeat finds no record and stops at the fetch
    if ctx.func is not None and keyed in ("id", "message") and name in ("get", "aget") and _record_fetch(call) \
            and _deleted_later(call, ctx.func):
        return DedupFact("lookup", WEAK, f"`{text}()` of a record deleted when the work is done")
    if ctx.func is not None and name in ("delete", "adelete") and isinstance(func, cst.Attribute) \
            and isinstance(func.value, cst.Name):
        fetched = bound_once(func.value.value, ctx.func)
        if isinstance(fetched, cst.Call) and call_name(fetched) in ("get", "aget") and _record_fetch(fetched) \
                and _keyed(fetched, identity_vars, tainted, ctx, opaque) in ("id", "message"):
            return DedupFact("marker", WEAK, f"`{text}()` of the record the message named")
    if keyed == "per-delivery" and (gated or dedup_store):
        return DedupFact("per-delivery", STRONG, f"`{text}()`")
    keyed_ok = keyed == "id" or (keyed == "message" and dedup_store)

    # Redis / cache: a call of a Redis or cache client is judged here only (its origin is resolved
    # last for other names: most calls are neither)
    if name not in _REDIS_NAMES:
        found = _other(call, ctx, name, text, keyed, keyed_ok, store, dedup_store, gated, in_unique_try)
        return None if found is not None and _redisish(call, ctx) else found
    if _redisish(call, ctx):
        value = _written_value(call, name)
        if value is not None:  # keyed by its key: `cache.set(email, {"id": user_id})` records no message id
            keyed = _keyed(call, identity_vars, tainted, ctx, opaque, exclude=value)
            keyed_ok = keyed == "id" or (keyed == "message" and dedup_store)
        if name == "set" and _true(kwarg(call, "nx")) and (keyed_ok or dedup_store):
            return DedupFact("claim" if gated else "marker", STRONG, f"`{text}(..., nx=True)`",
                             lock=gated and _short_ttl(call, ctx))
        if name in REDIS_CLAIMS and gated and (keyed_ok or dedup_store):
            return DedupFact("claim", STRONG, f"`{text}()`")
        if name in REDIS_READS and gated and (keyed_ok or dedup_store):
            if keyed is None and dedup_store and not keyed_ok and _constant_key(call):
                return DedupFact("unkeyed", STRONG, f"`{text}()`")
            return DedupFact("lookup", STRONG, f"`{text}()`")
        if name in REDIS_WRITES and (keyed_ok and dedup_store or dedup_store and keyed):
            return DedupFact("marker", STRONG, f"`{text}()`")
        if name in REDIS_WRITES and keyed == "id" and name in ("set", "setex", "sadd") and not far:
            return DedupFact("marker", STRONG, f"`{text}()`")
        return None
    return _other(call, ctx, name, text, keyed, keyed_ok, store, dedup_store, gated, in_unique_try)


def _other(call: cst.Call, ctx: Ctx, name: str, text: str, keyed: Optional[str], keyed_ok: bool, store: str,
           dedup_store: bool, gated: bool, in_unique_try: bool) -> Optional[DedupFact]:
    """`classify` for a call that is not a Redis or cache client's: ORM, SQL, DynamoDB."""
    func = call.func
    names = chain_names(call)
    if isinstance(func, cst.Attribute) and _runs_insert(func.value, ctx):
        return None  # `conn.execute(insert(...)).first()`: the insert is judged where it runs
    # ORM lookups: `Processed.objects.filter(message_id=...).exists()`, `session.get(Processed, id)`
    if gated and (keyed_ok or dedup_store) and name in ORM_EXISTENCE:
        return DedupFact("lookup", STRONG, f"`{text}()`")
    if gated and dedup_store and (keyed or name in ORM_FETCH) and name in ORM_FETCH | {"filter", "filter_by", "query"}:
        return DedupFact("lookup", STRONG, f"`{text}()`")
    if name in ("get_or_create", "aget_or_create") and (keyed_ok or dedup_store):
        if gated:
            return DedupFact("claim", STRONG, f"`{text}()`")
        if dedup_store:
            return DedupFact("marker", STRONG, f"`{text}()`")
        return None
    # claim by insert: `INSERT ... ON CONFLICT DO NOTHING` (a claim where its result is tested)
    claimed = insert_claim(call, ctx)
    if claimed is not None:
        table = sql_table(call.args[0].value, ctx) if sql_text(call.args[0].value, ctx) is not None else store
        store_hit = DEDUP_STORE.search(table) is not None
        if keyed in ("id", "message") or store_hit:
            return DedupFact("insert-claim", STRONG, claimed, store=store_hit)
        return None
    # SQL: SELECT from the processed table; an upsert or insert into it
    if name in ("execute", "fetch", "fetchrow", "fetchval", "executemany") and call.args and (
            sql_text(call.args[0].value, ctx) is not None):
        kind = sql_kind(call.args[0].value, ctx)
        sql_store = DEDUP_STORE.search(sql_table(call.args[0].value, ctx) or "") is not None
        if kind == "other" and (dedup_store or _mentions_id_column(call, ctx)):
            return DedupFact("lookup", STRONG, f"SQL lookup `{text}()`")
        if kind == "upsert" and sql_store:  # DO UPDATE / REPLACE: records the message, tells nothing
            return DedupFact("marker", STRONG, f"SQL upsert via `{text}()`")
        if kind == "insert" and sql_store:
            return DedupFact("claim" if in_unique_try else "marker", STRONG, f"SQL insert via `{text}()`")
        return None
    # DynamoDB conditional put: the write itself is the dedup
    if name in ("put_item", "update_item", "transact_write_items") and (
        kwarg(call, "ConditionExpression") is not None or kwarg(call, "ClientRequestToken") is not None
    ):
        return DedupFact("claim", STRONG, f"conditional `{text}()`")
    # ORM inserts into the processed table
    if name in ("create", "acreate", "add", "add_all", "save", "insert", "bulk_create") and dedup_store and keyed:
        if in_unique_try:
            return DedupFact("claim", STRONG, f"unique insert `{text}()`")
        return DedupFact("marker", STRONG, f"`{text}()`")
    # SQLAlchemy Core: `conn.execute(insert(processed).values(...))`, the statement inline or built in a local
    if name in CLAIM_RUNNERS | {"executemany"} and call.args and dedup_store and keyed:
        if any("insert" in chain_names(stmt) for stmt in statements(call.args[0].value, ctx)):
            return DedupFact("claim" if in_unique_try else "marker", STRONG, f"insert via `{text}()`")
    if "insert" in names and dedup_store and name == "execute":  # `processed.insert().values(...).execute()`
        return DedupFact("marker", STRONG, f"`{text}()`")
    if in_unique_try and keyed == "id" and name in ("create", "acreate", "add", "save", "insert"):
        return DedupFact("claim", STRONG, f"unique insert `{text}()`")
    return None


def state_guard(node: cst.If, imported: Container[str] = (), func=None) -> Optional[str]:
    """`if order.status == "paid": return`: a state check that makes a redelivery a no-op.

    A setting of an imported module (`if build_state not in conf.build_state_msg_filter: return`)
    names no state of a record: the test filters the messages by their kind, so its words are not
    read (`imported`: the module's imported names)."""
    words = []
    stack = [node.test]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Attribute) and (dotted(cur) or ".").split(".")[0] in imported:
            continue
        if isinstance(cur, cst.Attribute) and _http_status(cur, func):
            continue
        if isinstance(cur, cst.Attribute):
            words.append(cur.attr.value)
        elif isinstance(cur, cst.SubscriptElement) and isinstance(cur.slice, cst.Index):
            s = string_value(cur.slice.value)
            if s:
                words.append(s)
        stack.extend(children(cur))
    if not any(re.search(r"status|state|processed|handled|completed|done|paid|sent|delivered|fulfil|shipped|consumed",
                         w, re.I) for w in words):
        return None
    if not exits(node.body):
        return None
    return "state check"


# the calls whose response's status says whether something exists (`requests.get(url_of(order))`,
# then `if r.status_code == 200: return`): a lookup, where any other request's status is its outcome
_READS = frozenset({"get", "head", "aget", "ahead"})
# what a response is called when `.status` is its HTTP status (aiohttp, Scrapy)
_RESPONSES = frozenset({"response", "resp", "res", "r", "reply"})


def _http_status(attr: cst.Attribute, func) -> bool:
    """An HTTP response's status (`response.status_code`; `.status` of aiohttp and Scrapy) that says
    how a request went, not what state a record is in: the response of a write, or one the function
    is given (a Scrapy middleware's `response`). The status of a GET or HEAD it makes is a lookup."""
    name = attr.attr.value
    if name not in ("status_code", "status") or not isinstance(attr.value, cst.Name):
        return False
    holder = attr.value.value
    if func is None or name == "status" and holder not in _RESPONSES:
        return False  # `state.status` of a record read from the store is the state a repeat finds
    if holder in func.params:
        return True
    values = func.values_of(holder)
    if not values:
        return False
    for value in values:
        value = value.expression if isinstance(value, cst.Await) else value
        if not isinstance(value, cst.Call) or (call_name(value) or "") in _READS:
            return False
    return True


def exits(body: cst.BaseSuite) -> bool:
    stack = [body]
    while stack:
        cur = stack.pop()
        if isinstance(cur, (cst.Return, cst.Continue, cst.Raise, cst.Break)):
            return True
        if isinstance(cur, cst.Call) and isinstance(cur.func, cst.Attribute) and cur.func.attr.value in (
                "ack", "basic_ack", "commit", "delete_message", "complete_message", "xack", "acknowledge"):
            return True
        stack.extend(c for c in children(cur) if not isinstance(c, (cst.FunctionDef, cst.ClassDef)))
    return False


RELEASE_CALLS = {"delete", "unlink", "getdel"}
_CODE = cst.Module([])


def releases(call: cst.Call, claim: cst.CSTNode, ctx: Ctx) -> bool:
    """`r.delete(key)` of the key a `SET NX` claim took (same key expression), or MongoDB's
    `coll.delete_one(filter)` of the document an upsert claim made (same collection and filter): the
    claim undone."""
    if (call_name(call) or "") == "delete_one" and isinstance(claim, cst.Call) and _mongo_upsert_claim(claim) \
            and call.args and claim.args and isinstance(call.func, cst.Attribute) \
            and isinstance(claim.func, cst.Attribute):
        return dotted(call.func.value) == dotted(claim.func.value) is not None and \
            _CODE.code_for_node(call.args[0].value) == _CODE.code_for_node(claim.args[0].value)
    if (call_name(call) or "") not in RELEASE_CALLS or not call.args or not _redisish(call, ctx):
        return False
    if not isinstance(claim, cst.Call) or not claim.args or (call_name(claim) or "") != "set":
        return False
    return _CODE.code_for_node(call.args[0].value) == _CODE.code_for_node(claim.args[0].value)


def _redisish(call: cst.Call, ctx: Ctx) -> bool:
    recv = receiver(call)
    if recv is None:
        return False
    origin = ctx.origin(recv) or ""
    if origin:
        return origin.startswith(("redis", "django.core.cache", "aioredis", "valkey"))
    last = receiver_last(call).lower()
    return ("redis" in last or "cache" in last or last in ("r", "rds", "kv", "valkey")) and (
        ctx.imports("redis", "aioredis", "django.core.cache", "valkey") or "redis" in last or "cache" in last
    )


LOCK_SECONDS = 3600  # a claim that lapses within an hour is a processing lock, not a record


def _short_ttl(call: cst.Call, ctx: Ctx) -> bool:
    """SET NX whose expiry is short (or not a literal we can read): the redelivery gets through."""
    for key, scale in (("ex", 1), ("px", 1000)):
        value = kwarg(call, key)
        if value is None:
            continue
        seconds = _int_value(value, ctx)
        return seconds is None or seconds / scale <= LOCK_SECONDS
    return False


def _int_value(expr: cst.BaseExpression, ctx: Ctx, depth: int = 0) -> Optional[int]:
    if depth > 4:
        return None
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        left, right = _int_value(expr.left, ctx, depth + 1), _int_value(expr.right, ctx, depth + 1)
        return left * right if left is not None and right is not None else None
    if isinstance(expr, cst.Name) and expr.value in ctx.index.module_assigns:
        return _int_value(ctx.index.module_assigns[expr.value][0][0], ctx, depth + 1)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self" \
            and ctx.func is not None:
        # `ex=self.ttl_seconds`, set in `__init__` from `ttl_seconds: int = 86_400`: the values every
        # method of the class stores there, a parameter read as its default
        cls = ctx.index.class_of(ctx.func)
        stored = cls.attr_values.get(expr.attr.value, ()) if cls is not None else ()
        values = {_stored_int(value, owner, ctx, depth) for value, owner, how in stored if how == "="}
        return values.pop() if len(values) == 1 else None
    return None


def _stored_int(value: cst.BaseExpression, owner, ctx: Ctx, depth: int) -> Optional[int]:
    """The integer a method stores: a literal, or a parameter of the method read as its default."""
    if isinstance(value, cst.Name) and owner is not None and value.value in owner.params:
        default = owner.default_of(value.value)
        return _int_value(default, ctx, depth + 1) if default is not None else None
    return _int_value(value, ctx, depth + 1)


def _true(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def _mentions_id_column(call: cst.Call, ctx: Ctx) -> bool:
    sql = sql_text(call.args[0].value, ctx) or ""
    return bool(re.search(r"\bselect\b", sql, re.I) and re.search(r"message_?id|event_?id|msg_?id|dedup", sql, re.I))


def idempotent_decorator(decorators, ctx: Optional[Ctx] = None) -> Optional[str]:
    """AWS Powertools `@idempotent` / `@idempotent_function` (or a declared wrapper) on a handler."""
    for dec in decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        name = (dotted(expr) or "").split(".")[-1]
        if name in IDEMPOTENT_DECORATORS:
            return f"`@{name}`"
        if user_patterns.ACTIVE:
            origin = ctx.index.resolve(expr, None) if ctx is not None else None
            declared = user_patterns.ACTIVE.matches("idempotent", origin, dotted(expr))
            if declared:
                return f"declared idempotent wrapper `@{declared}`"
    return None


@dataclass
class _Insert:
    func: int  # id of the function node the insert runs in
    call: cst.Call
    fact: DedupFact
    names: Set[str]  # names that hold its result: the cursor, `row = cur.fetchone()`, `inserted = ...`
    epoch: int  # commits on its connection before it (the claim is written then, not at the test)


class InsertClaims:
    """Claims by insert, followed from the insert to the `if` that tests its result.

    `INSERT ... ON CONFLICT DO NOTHING` does nothing on a replay, but the effect after it still runs
    unless the code asks whether a row was inserted (`rowcount`, a `RETURNING` row, the inserted id)
    and leaves, or does the effect only, on the "inserted" branch. The claim counts from that test.
    """

    def __init__(self) -> None:
        self.pending: List[_Insert] = []

    def add(self, func: int, call: cst.Call, fact: DedupFact, cursor: Optional[str], epoch: int) -> None:
        self.pending.append(_Insert(func, call, fact, {cursor} if cursor else set(), epoch))

    def assigned(self, func: int, targets: List[str], value: cst.BaseExpression) -> None:
        """`row = cur.fetchone()`, `inserted = await conn.fetchval(...)`: the target holds the result too."""
        for ins in self.pending:
            if ins.func == func and (contains(value, ins.call) or _tells(value, ins.names)):
                ins.names.update(targets)

    def tested(self, func: int, test: cst.BaseExpression) -> List[_Insert]:
        """The pending inserts whose result `test` asks about (each is answered once)."""
        out = [ins for ins in self.pending
               if ins.func == func and (contains(test, ins.call) or _tells(test, ins.names))]
        for ins in out:
            self.pending.remove(ins)
        return out


def _tells(expr: cst.BaseExpression, names: Set[str]) -> bool:
    """`expr` reads one of `names`, other than through an attribute that cannot tell (`lastrowid`)."""
    if not names or not mentions(expr, names):
        return False
    stack: List[cst.CSTNode] = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Attribute) and isinstance(cur.value, cst.Name) and cur.value.value in names:
            if cur.attr.value not in UNTELLING:
                return True
            continue
        if isinstance(cur, cst.Name) and cur.value in names:
            return True
        stack.extend(children(cur))
    return False
