"""Side-effect tables: which calls change the world in a way a second run would repeat."""

from __future__ import annotations

import re
from typing import Dict, List, Optional

import libcst as cst

from ..records import dataclass
from ..detect.base import Ctx, dict_keys, dict_value, func_ref, is_db_receiver, keywords, receiver, receiver_last
from ..index import call_name, chain_names, dotted, kwarg, positional, string_value, walk
from ..project import camel_words
from ..model import STRONG, WEAK
from .callees import _class_named, base_classes
from .identity import is_per_delivery, mentions, names_in
from .lookups import created_if_missing, loaded_row
from ..lazyre import lazy_re


@dataclass
class Effect:
    category: str  # http | payment | sms | email | publish | counter | db-insert | file
    strength: int
    what: str
    db: bool = False  # a write to a transactional SQL database
    db_key: Optional[str] = None


HTTP_ROOTS = ("requests", "httpx", "aiohttp", "urllib3")
HTTP_WRITE_METHODS = {"post", "patch"}
IDEMPOTENCY_HEADER = lazy_re(r"idempotency|idempotent|x-request-id|dedup", re.I)

PAYMENT_ROOTS = ("stripe", "braintree", "adyen", "paypalrestsdk", "razorpay", "square", "mollie")
PAYMENT_VERBS = {"create", "capture", "confirm", "pay", "sale", "refund", "submit_for_settlement", "charge"}

EMAIL_FUNCS = {
    "django.core.mail.send_mail", "django.core.mail.send_mass_mail", "django.core.mail.mail_admins",
    "django.core.mail.mail_managers",
}
PUSH_ROOTS = ("firebase_admin", "aioapns", "pyfcm")
PUSH_SENDS = {"send", "send_each", "send_each_async", "send_each_for_multicast", "send_each_for_multicast_async",
              "send_all", "send_multicast", "send_notification"}
# Slack (`slack_sdk`, the older `slack` package), python-telegram-bot and aiogram: methods that post
CHAT_ROOTS = ("slack_sdk", "slack", "telegram", "aiogram")
CHAT_POSTS = {"chat_postMessage", "chat_postEphemeral", "chat_scheduleMessage", "files_upload", "files_upload_v2",
              "send_message", "send_photo", "send_document", "send_media_group", "forward_message", "copy_message"}
SES_METHODS = {"send_email", "send_raw_email", "send_templated_email", "send_bulk_templated_email",
               "send_bulk_email"}
# Redis writes keyed by their first argument: the same key is overwritten, a fresh one is a new record
REDIS_KEYED_WRITES = {"set", "hset", "hmset", "setex", "psetex"}
REDIS_COUNTERS = {"incr", "incrby", "incrbyfloat", "decr", "decrby", "hincrby", "hincrbyfloat",
                  "zincrby", "lpush", "rpush", "xadd_counter"}
SQL_METHODS = {"execute", "executemany", "fetch", "fetchrow", "fetchval", "execute_many", "exec_driver_sql",
               "executescript", "execute_sql"}
# A project helper that runs the SQL it is given: `run_sql(...)`, `db_execute(...)`, `self.db.query(...)`;
# its first argument's text decides, as for a driver's `execute`.
SQL_HELPER = lazy_re(r"(^|_)(exec|execute|run|query|sql|write)(_|$)", re.I)
# what a helper's argument must look like to be taken as SQL (`write("Insert your card")` is not)
SQL_STATEMENT = lazy_re(r"^\s*(with\b.*?\)\s*)?(insert\s+(or\s+\w+\s+|ignore\s+)?into\b|update\s+\S+\s+set\b|"
                           r"delete\s+from\b|select\b|replace\s+into\b|merge\s+into\b)", re.I | re.S)
STRING_BUILDERS = {"format", "strip", "lstrip", "rstrip", "replace"}

_INSERT = lazy_re(r"^\s*(with\b.*?\)\s*)?insert\b", re.I | re.S)
_UPSERT = lazy_re(r"on\s+conflict|on\s+duplicate\s+key|insert\s+ignore|insert\s+or\s+(ignore|replace)|"
                     r"^\s*replace\s+into|^\s*merge\s+into|where\s+not\s+exists", re.I | re.S)
_COUNTER_SQL = lazy_re(r"\bset\b.*?\b(\w+)\s*=\s*\1\s*[-+]", re.I | re.S)
_UPDATE = lazy_re(r"^\s*update\b", re.I)

# Unresolved helpers named for what they do: `charge_card(...)`, `send_receipt(...)`.
EFFECT_VERBS = {
    "charge", "refund", "pay", "bill", "invoice", "send", "email", "mail", "notify", "sms", "publish", "emit",
    "enqueue", "create", "insert", "increment", "incr", "credit", "debit", "transfer", "withdraw", "deposit",
    "ship", "fulfil", "fulfill", "reserve", "capture", "purchase", "deliver", "submit", "dispatch",
}
NOT_EFFECT_NAMES = {"notify_all", "notify", "send_response", "send_ack", "send_nack", "send_heartbeat", "create_logger",
                    "emit_metric", "emit_metrics", "send_metric", "send_metrics"}


# the second half of a verb pair that names an upsert (`insert_or_replace`, `create_or_update`, `add_or_merge`)
OR_KEYED = frozenset({"update", "replace", "merge", "ignore", "skip", "get", "set", "overwrite", "upsert"})


FACTORY = lazy_re(
    r"^(create|make|build|get|new)_(\w+_)?(producer|consumer|client|session|engine|pool|connection|channel|"
    r"task|app|logger|table|index|queue|topic|subscription|subscriber|publisher|receiver|sender|context|"
    r"parser|schema|config|settings|ref|reference|id|key|uuid|dict|list|object|instance|message|request|"
    r"response|payload|model|entity|dto|mock|stub|fixture|tmp|temp|dir|file_?name|path|url)s?$"
)


def sql_text(expr: Optional[cst.BaseExpression], ctx: Ctx, _depth: int = 0) -> Optional[str]:
    """The SQL of a literal, a `text("...")` wrapper, or a name bound to one; also of SQL built from a
    literal: an f-string, `"...".format(...)`, `"..." % args`, `"..." + name` (unknown parts as a space)."""
    if expr is None or _depth > 8:
        return None
    d = _depth + 1
    if isinstance(expr, cst.Call) and (dotted(expr.func) or "").split(".")[-1] in ("text", "SQL", "sql", "dedent"):
        return sql_text(positional(expr, 0), ctx, d)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in STRING_BUILDERS:
        return sql_text(expr.func.value, ctx, d)  # `"INSERT ... VALUES ({})".format(x)`, `.strip()`
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return sql_text(expr.left, ctx, d)  # `"INSERT ... VALUES (%s)" % (x,)`
    if isinstance(expr, (cst.BinaryOperation, cst.ConcatenatedString)) and (
            isinstance(expr, cst.ConcatenatedString) or isinstance(expr.operator, cst.Add)):
        left = sql_text(expr.left, ctx, d)
        if left is None:
            return None
        return left + (sql_text(expr.right, ctx, d) or " ")
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else " " for p in expr.parts)
    if isinstance(expr, cst.Name):
        for scope in (ctx.func.assigns if ctx.func else {}, ctx.index.module_assigns):
            if expr.value in scope:
                return sql_text(scope[expr.value][0][0], ctx, d)
        return None
    return string_value(expr)


def _sql_helper(call: cst.Call, name: str, root: str, ctx: Ctx) -> bool:
    """A project helper named like one that runs SQL (`run_sql`, `db_execute`), given a SQL statement."""
    if not SQL_HELPER.search(name) or root in HTTP_ROOTS or not call.args:
        return False
    return bool(SQL_STATEMENT.match(sql_text(call.args[0].value, ctx) or ""))


def sql_kind(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[str]:
    """insert | upsert | counter | update | other for SQL we can read, None otherwise."""
    sql = sql_text(expr, ctx)
    if sql is None:
        return None
    if _UPSERT.search(sql):
        return "upsert"
    if _INSERT.search(sql):
        return "insert"
    if _UPDATE.search(sql):
        return "counter" if _COUNTER_SQL.search(sql) else "update"
    return "other"


def sql_table(expr: Optional[cst.BaseExpression], ctx: Ctx) -> str:
    sql = sql_text(expr, ctx) or ""
    m = re.search(r"\b(?:into|update)\s+[`\"\[]?([\w.]+)", sql, re.I)
    return m.group(1) if m else ""


def _has_idempotency_header(call: cst.Call) -> bool:
    headers = kwarg(call, "headers")
    keys = dict_keys(headers)
    if keys and any(IDEMPOTENCY_HEADER.search(k) for k in keys):
        return True
    return False


def _counter_expr(expr: cst.BaseExpression) -> bool:
    """`F("x") + 1` / `T.c.x - amount` / `Model.x + 1`."""
    return isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)) and (
        isinstance(expr.left, (cst.Call, cst.Attribute))
    )


def _chosen_method(expr: Optional[cst.BaseExpression], ctx: Ctx) -> str:
    """The write method among the literals an HTTP method chosen at run time may be (`method =
    str(meta.get("method") or default or "POST").upper()`), or "": a request whose method is read
    from the message or settings with a write verb as one of the choices."""
    if expr is None:
        return ""
    values = [expr]
    if isinstance(expr, cst.Name) and ctx.func is not None:
        values = ctx.func.values_of(expr.value)
    for value in values:
        for node in walk(value):
            text = (string_value(node) or "").lower() if isinstance(node, cst.SimpleString) else ""
            if text in HTTP_WRITE_METHODS:
                return text
    return ""


# an oslo.messaging RPC client (`get_rpc_client(transport, target)`, `RPCClient(...)`), also one
# `prepare(...)`d from it (oslo_messaging 18.3.1 `rpc/client.py`)
OSLO_RPC_CLIENT = lazy_re(r"^oslo_messaging(?:\.rpc(?:\.client)?)?\.(?:get_rpc_client|RPCClient)\([^()]*\)"
                             r"(?:\.prepare\([^()]*\))*$")


def classify(call: cst.Call, ctx: Ctx) -> Optional[Effect]:
    """The non-idempotent effect `call` has, or None (idempotent, harmless, or unknown)."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if name is None:
        return None
    origin = ctx.origin(func) or ""
    root = origin.split(".")[0] if origin else ""
    text = dotted(func) or name

    # HTTP (POST/PATCH are not idempotent by HTTP semantics; an Idempotency-Key header makes them so)
    if root in HTTP_ROOTS or origin.startswith("urllib.request"):
        method = name
        if name in ("request", "stream"):
            method = (string_value(positional(call, 0)) or "").lower()
        if name == "urlopen":
            method = "post" if (kwarg(call, "data") is not None or positional(call, 1) is not None) else "get"
            if method == "get":
                method = _request_method(positional(call, 0) or kwarg(call, "url"), ctx)
        if method in HTTP_WRITE_METHODS and not _has_idempotency_header(call):
            return Effect("http", STRONG, f"HTTP {method.upper()} `{text}()`")
        if name in ("request", "stream") and not method and not _has_idempotency_header(call):
            chosen = _chosen_method(positional(call, 0) or kwarg(call, "method"), ctx)
            if chosen:
                return Effect("http", WEAK, f"HTTP `{text}()` (its method chosen at run time, {chosen.upper()} among "
                                            "the choices)")
        return None

    # oslo.messaging RPC: a `cast` (or a `call`) runs a method of another service; each send gets a
    # fresh `_unique_id`, so the server's duplicate check does not catch a repeat after a redelivery
    if name in ("cast", "call") and isinstance(func, cst.Attribute) and OSLO_RPC_CLIENT.match(
            ctx.origin(func.value) or ""):
        return Effect("rpc", WEAK, f"oslo.messaging RPC `{text}()`")

    # payments
    if root in PAYMENT_ROOTS and re.sub(r"_async$", "", name) in PAYMENT_VERBS:  # stripe's `create_async`
        if _idempotency_key(call):
            return None
        return Effect("payment", STRONG, f"payment `{text}()`")

    # SMS (twilio `client.messages.create(to=..., from_=..., body=...)`)
    if name == "create" and (root == "twilio" or ("from_" in keywords(call) and "to" in keywords(call))):
        return Effect("sms", STRONG, f"SMS `{text}()`")

    # email
    if origin in EMAIL_FUNCS or (name in ("send_mail", "send_mass_mail") and ctx.imports("django.core.mail")):
        return Effect("email", STRONG, f"email `{text}()`")
    if name == "sendmail" or (name == "send_message" and "smtp" in (origin + receiver_last(call)).lower()):
        return Effect("email", STRONG, f"email `{text}()`")
    if name in SES_METHODS and ("(ses" in origin or "(sesv2" in origin or "ses" in receiver_last(call).lower()
                                or keywords(call) & {"Destination", "FromEmailAddress", "Source"}):
        return Effect("email", STRONG, f"email `{text}()`")
    if name == "send" and ("EmailMessage" in origin or "EmailMultiAlternatives" in origin
                           or "SendGridAPIClient" in origin):
        return Effect("email", STRONG, f"email `{text}()`")
    if origin == "aiosmtplib.send":
        return Effect("email", STRONG, f"email `{text}()`")
    if name == "send_messages" and origin.startswith("django.core.mail."):
        return Effect("email", STRONG, f"email `{text}()`")  # `get_connection(...).send_messages([...])`

    # push notifications (Firebase Cloud Messaging, APNs, pyfcm): each call reaches the devices again
    if root in PUSH_ROOTS and (name in PUSH_SENDS or root == "pyfcm" and name == "notify"):
        return Effect("push", STRONG, f"push notification `{text}()`")

    # chat messages (Slack, Telegram): each call posts one more message
    if root in CHAT_ROOTS and (name in CHAT_POSTS or name == "send" and "WebhookClient" in origin):
        return Effect("chat", STRONG, f"chat message `{text}()`")

    # search indexes: a document indexed without an id gets a new one on every run
    if root in SEARCH_ROOTS or name in SEARCH_METHODS and (ctx.imports(*SEARCH_ROOTS) or "document" in keywords(call)):
        return search_write(call, ctx, name, origin, text)

    # Redis counters and list appends
    last = receiver_last(call).lower()
    if name in REDIS_COUNTERS and (root == "redis" or (not origin and ctx.imports("redis") and (
            "redis" in last or last in ("r", "rds", "cache", "kv", "conn", "client")))):
        from ..detect.redis_lists import read_from_list  # detect imports facts: not at module level

        if name in ("lpush", "rpush") and read_from_list(positional(call, 1), ctx):
            return None  # an item read from a list put back (a rotation, a requeue): no new entry
        return Effect("counter", STRONG if root == "redis" else WEAK, f"Redis `{name}()`")

    # a Redis record stored under a key made new on every call (`hset(f"dlq:{uuid4().hex}", ...)`): a
    # new record on every redelivery, where the same key would be overwritten
    if name in REDIS_KEYED_WRITES and root == "redis" and made_fresh(positional(call, 0) or kwarg(call, "name"), ctx):
        return Effect("db-insert", STRONG, f"Redis `{name}()` under a key made new on each call")

    # MongoDB (pymongo, motor)
    if name in MONGO_WRITES and isinstance(func, cst.Attribute) and (
            root in MONGO_ROOTS or not origin and ctx.imports(*MONGO_ROOTS)):
        return mongo_write(call, name, text, STRONG if root in MONGO_ROOTS else WEAK)

    # SQL and ORMs
    if (name in SQL_METHODS or _sql_helper(call, name, root, ctx)) and call.args and call.args[0].keyword is None:
        kind = sql_kind(call.args[0].value, ctx)
        key = _db_key(call)
        if kind == "insert":
            return Effect("db-insert", STRONG, f"SQL INSERT via `{text}()`", db=True, db_key=key)
        if kind == "counter":
            return Effect("counter", STRONG, f"SQL counter UPDATE via `{text}()`", db=True, db_key=key)
        if name not in SQL_METHODS:
            return None  # a helper given SQL it does not write with (or that idemlint cannot read)
        steps = statement_steps(call.args[0].value, call, ctx)
        names = {name for step in steps for name in chain_names(step)}
        if "insert" in names and _core_insert(steps, ctx):
            if not names & UPSERT_CHAIN:
                return Effect("db-insert", STRONG, f"SQL INSERT via `{text}()`", db=True, db_key=key)
        elif "update" in names and "values" in names:
            if any(_counter_expr(a.value) for step in steps for a in _values_args(step)):
                return Effect("counter", STRONG, f"SQL counter UPDATE via `{text}()`", db=True, db_key=key)
        return None
    if isinstance(func, cst.Attribute) and ".objects" in (dotted(func.value) or "") + "." and ".objects" in text:
        if name in ("create", "acreate"):
            return Effect("db-insert", STRONG, f"ORM insert `{text}()`", db=True)
        if name in ("bulk_create", "abulk_create"):
            if kwarg(call, "ignore_conflicts") is not None or kwarg(call, "update_conflicts") is not None:
                return None
            return Effect("db-insert", STRONG, f"ORM insert `{text}()`", db=True)
    if name in ("update", "aupdate") and any(_counter_expr(a.value) for a in call.args if a.keyword):
        return Effect("counter", STRONG, f"ORM counter update `{text}()`", db=True)
    if name in ("add", "add_all", "bulk_save_objects", "bulk_insert_mappings") and isinstance(
            func, cst.Attribute) and _is_session(func.value, ctx):
        if name == "add" and created_if_missing(call, positional(call, 0), ctx.func):
            return None  # the row is created only when a lookup by its key found none
        if name == "add" and loaded_row(positional(call, 0), ctx.func):
            return None  # a row read from the database in this function: its changes, not a new row
        if _updates_given_row(positional(call, 0), ctx.func):
            return None  # `def update(self, obj): self.session.add(obj)`: the caller's row, saved again
        return Effect("db-insert", STRONG, f"ORM insert `{text}()`", db=True, db_key=dotted(func.value))
    if name == "save" and not call.args and isinstance(func, cst.Attribute) and _new_model(func.value, ctx) is not None:
        return Effect("db-insert", STRONG, f"ORM insert `{text}()`", db=True)
    if name in REPOSITORY_INSERTS and isinstance(func, cst.Attribute) and not origin:
        row = _new_row(positional(call, 0), ctx)
        if row is not None and not created_if_missing(call, positional(call, 0), ctx.func):
            # `self.db.changes.create(models.Change(...))`: a repository the tool cannot see
            return Effect("db-insert", WEAK, f"a new `{row}` row given to `{text}()`", db=True)
    orm = _orm_insert(call, name, ctx)
    if orm:
        if name == "execute" and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            text = f"{dotted(func.value.func) or 'insert'}(...).execute"  # peewee `Model.insert(...).execute()`
        return Effect("db-insert", STRONG, f"{orm} insert `{text}()`", db=orm != "Beanie")
    if name in ("update_item",) and _update_expression_counter(call):
        return Effect("counter", STRONG, f"DynamoDB counter `{text}()`")

    # file appends
    path_open = origin.startswith("pathlib.") and origin.endswith(".open")  # `Path(name).open(mode="a")`
    if name == "open" and (origin in ("", "open", "io.open") or text.endswith(".open") or path_open):
        builtin = text in ("open", "io.open") and not path_open
        mode = string_value(kwarg(call, "mode") or positional(call, 1 if builtin else 0))
        if mode and "a" in mode and not _lock_file(call, ctx):
            return Effect("file", STRONG, f"file append `{text}(..., {mode!r})`")
        path = (positional(call, 0) or kwarg(call, "file")) if builtin else receiver(call)
        if mode and ("w" in mode or "x" in mode) and _named_per_delivery(path, ctx, call):
            # `open(f"{folder}/{uuid4()}.json", "w")`, `(dump / f"{queue}-{header['message-id']}").open("w")`:
            # each delivery writes another file, so a redelivery leaves a second copy beside the first
            return Effect("file", WEAK, f"file written under a name new at each delivery `{text}(..., {mode!r})`")
    # ZooKeeper (kazoo `KazooClient.create(path, value, ..., sequence=True)`, also in a transaction): a new
    # sequential node on every call, an append to whatever queue the path holds
    if name in ("create", "create_async") and isinstance(func, cst.Attribute):
        sequence = kwarg(call, "sequence")
        if isinstance(sequence, cst.Name) and sequence.value == "True":
            strength = STRONG if root == "kazoo" else WEAK
            return Effect("db-insert", strength, f"ZooKeeper sequential node `{text}(..., sequence=True)`")
    return None


# what a repository method that saves the row it is given is called when that row already exists
# (not `save` or `persist`: a repository's `save(entity)` or a model's `save()` inserts a new one)
UPDATE_WORDS = frozenset({"update", "merge", "refresh", "touch", "upsert"})


def _updates_given_row(row: Optional[cst.BaseExpression], func) -> bool:
    """`session.add(obj)` where `obj` is a parameter of a method named for updating it (`update`,
    `update_many`, `upsert`): a repository's update of a row its caller loaded, not a new row (not
    `session.add(self)` in a model's own method: the model may be new)."""
    if not isinstance(row, cst.Name) or func is None or row.value not in func.params or row.value in func.assigns \
            or row.value in ("self", "cls"):
        return False
    return bool(camel_words(func.name) & UPDATE_WORDS)


MONGO_ROOTS = ("pymongo", "motor")
MONGO_WRITES = {"insert_one", "insert_many", "update_one", "update_many", "find_one_and_update"}
MONGO_OVERWRITES = {"replace_one", "find_one_and_replace"}  # the same document again
# update operators that change a document again on every run: a counter, an array append
MONGO_REPEATING = {"$inc", "$mul", "$push"}


def mongo_write(call: cst.Call, name: str, text: str, strength: int) -> Optional[Effect]:
    """A MongoDB collection write that a redelivery repeats: a document inserted without its own
    `_id` (MongoDB gives each insert a new one), an update that increments, multiplies or appends
    (`$inc`, `$mul`, `$push`). An insert with a literal `_id` fails on a replay (duplicate key), and
    `$set`, `$addToSet`, `$unset` and `replace_one` write the same document again: not effects."""
    if name == "insert_one":
        keys = dict_keys(kwarg(call, "document") or positional(call, 0))
        if keys is not None and "_id" in keys:
            return None
        return Effect("db-insert", strength, f"MongoDB insert `{text}()`")
    if name == "insert_many":
        return Effect("db-insert", strength, f"MongoDB insert `{text}()`")
    update = kwarg(call, "update") or positional(call, 1)
    keys = dict_keys(update)
    if keys is not None and MONGO_REPEATING.intersection(keys):
        operator = sorted(MONGO_REPEATING.intersection(keys))[0]
        return Effect("counter", strength, f"MongoDB `{operator}` update `{text}()`")
    return None


SEARCH_ROOTS = ("elasticsearch", "elasticsearch7", "elasticsearch8", "opensearchpy")
SEARCH_METHODS = {"index", "bulk"}  # `create` needs an id: a second one fails with a conflict
BULK_HELPERS = {"bulk", "streaming_bulk", "parallel_bulk", "async_bulk", "async_streaming_bulk"}
BULK_WRITES = {"index", "create"}  # bulk actions that add a document (`update` / `delete` need an `_id`)


def search_write(call: cst.Call, ctx: Ctx, name: str, origin: str, text: str) -> Optional[Effect]:
    """Elasticsearch / OpenSearch: `es.index(index=..., document=...)` without `id=`, `es.bulk(...)` or
    `helpers.bulk(es, actions)` with an index action without `_id`. With an id, the write is an
    upsert of that document: idempotent. Actions idemlint cannot see are not counted."""
    resolved = origin.split(".")[0] in SEARCH_ROOTS
    # the keyword set `index(index=..., document=/body=...)` is the client's own: with the library
    # imported (`try: from elasticsearch import Elasticsearch / except ImportError: ... = None`
    # leaves the client unresolved) it is as good as a resolved receiver
    strength = STRONG if resolved or ctx.imports(*SEARCH_ROOTS) else WEAK
    what = f"search index write `{text}()` without a document id"
    if not resolved and not (kwarg(call, "index") is not None and keywords(call) & {"document", "body", "operations"}):
        return None  # an unknown receiver's `index(x, 0)` is a list's or a string's
    if ".helpers" in origin and name in BULK_HELPERS:
        return Effect("search-index", strength, what) if _bulk_adds(
            positional(call, 1) or kwarg(call, "actions"), ctx, helper=True) else None
    if name == "index":
        if kwarg(call, "index") is None and positional(call, 0) is None:
            return None
        if kwarg(call, "id") is not None or positional(call, 2) is not None:
            return None  # `id=` (or a third positional, the id in opensearch-py 2): an upsert
        if kwarg(call, "document") is None and kwarg(call, "body") is None and positional(call, 1) is None:
            return None
        return Effect("search-index", strength, what)
    if name == "bulk" and "helpers" not in origin:
        return Effect("search-index", strength, what) if _bulk_adds(
            kwarg(call, "operations") or kwarg(call, "body") or positional(call, 0), ctx, helper=False) else None
    return None


def _bulk_adds(expr: Optional[cst.BaseExpression], ctx: Ctx, helper: bool) -> bool:
    """True if a visible bulk action adds a document without an `_id`.

    `es.bulk(operations=[{"index": {"_index": "x"}}, doc, ...])` takes action lines; the helpers take
    one dict per document (`{"_index": "x", "_id": ..., "_source": ...}`, `_op_type` defaulting to
    "index"). Literals, comprehensions, a local list filled by `append` and a generator of this
    module are read; anything else is unknown (not counted).
    """
    for action in _actions(expr, ctx):
        keys = dict_keys(action)
        if keys is None:
            continue
        if helper:
            op = string_value(dict_value(action, "_op_type")) or "index"
            if op in BULK_WRITES and "_id" not in keys and ("_source" in keys or "_index" in keys or "_op_type" in keys):
                return True
        elif len(keys) == 1 and keys[0] in BULK_WRITES:
            meta = dict_keys(dict_value(action, keys[0]))
            if meta is not None and "_id" not in meta:
                return True
    return False


def _actions(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0) -> List[cst.BaseExpression]:
    """The dict displays a bulk call's actions are made of, as far as they are visible."""
    if expr is None or depth > 3:
        return []
    if isinstance(expr, (cst.List, cst.Tuple)):
        return [el.value for el in expr.elements if isinstance(el.value, cst.Dict)]
    if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
        return [expr.elt] if isinstance(expr.elt, cst.Dict) else []
    func = ctx.func
    if isinstance(expr, cst.Name) and func is not None and expr.value in func.assigns:
        out: List[cst.BaseExpression] = []
        for value, _, _ in func.assigns[expr.value]:
            out.extend(_actions(value, ctx, depth + 1))
        for c in func.calls:  # `actions.append({...})`, `actions.extend([...])`
            if isinstance(c.func, cst.Attribute) and dotted(c.func.value) == expr.value and c.args:
                if c.func.attr.value == "append" and isinstance(c.args[0].value, cst.Dict):
                    out.append(c.args[0].value)
                elif c.func.attr.value == "extend":
                    out.extend(_actions(c.args[0].value, ctx, depth + 1))
        return out
    if isinstance(expr, cst.Call):
        gen = func_ref(expr.func, ctx)
        if gen is not None:  # a generator of this module: what it yields
            return [n.value for n in walk(gen.node.body, into_scopes=False)
                    if isinstance(n, cst.Yield) and isinstance(n.value, cst.Dict)]
    return []


# Broker declarations: creating (or re-declaring) a stream, queue, topic, exchange, key-value bucket or
# object store twice leaves one, and sends no message (`js.add_stream`, `channel.queue_declare`,
# `admin.create_topics`, `js.create_key_value`).
DECLARATION = lazy_re(r"^_*(create|declare|add|ensure|update|bind)_(?!(to|into|in|on|for)_)(\w+_)?(streams?|queues?|topics?|exchanges?|"
                         r"key_value|kv|object_store|buckets?|bindings?)$|^_*(queue|exchange)_(declare|bind)$")
SIGNAL_SENDS = {"send", "send_robust", "send_async"}
SIGNAL_ROOTS = ("django.dispatch", "django.db.models.signals", "django.core.signals", "django.test.signals",
                "blinker", "flask.signals")
# NATS key-value and object-store writes: the key is the subject and the last value wins
KV_WRITES = {"put", "update", "create", "delete", "purge", "put_string", "put_file"}
KV_ORIGINS = (".key_value(", ".create_key_value(", ".object_store(", ".create_object_store(")
KV_NAME = lazy_re(r"(^|_)(kv|key_value|bucket|obs|object_store|store)$", re.I)
# kazoo (ZooKeeper) writes keyed by their path: `set` overwrites the node, `ensure_path` / `delete` end
# in the same state, and `create` of a fixed path fails on a repeat (`NodeExistsError`); only
# `create(..., sequence=True)` makes a new node each time (`classify`)
ZK_KEYED = {"set", "set_async", "ensure_path", "ensure_path_async", "delete", "delete_async", "create",
            "create_async"}


# `inert`'s answers that are no write at all: a declaration, a signal, a query being built, a `SELECT`
NOT_WRITES = ("a declaration", "a signal", "a query method", "SQL other", "a lock")
# a lock taken on a key (`state.acquire(task_id, ttl)`, `redlock.acquire(name)`): who may work on it
LOCK_TAKES = frozenset({"acquire", "try_acquire", "acquire_lock", "try_lock"})


def harmless_write(call: cst.Call, ctx: Ctx) -> bool:
    """`call` writes something a repeat leaves as it is (an upsert by id, a key-value set, a `PUT`, a
    file written whole): work done, which a replay does not double (see `inert`)."""
    reason = inert(call, ctx)
    return reason is not None and not reason.startswith(NOT_WRITES)


def inert(call: cst.Call, ctx: Ctx) -> Optional[str]:
    """Why a call the tables do not count as an effect is not a hand-off of the message either (None:
    not known to be harmless): a declaration, a lock taken, a Django or blinker signal, a NATS key-value write, or a
    SQL helper given a statement that writes nothing twice (an upsert, a `SELECT`)."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if DECLARATION.match(name):
        return "a declaration"
    recv = receiver(call)
    if name in LOCK_TAKES and call.args:
        return "a lock taken on a key (no work done under it yet)"
    if name in SIGNAL_SENDS and recv is not None:
        origin = ctx.origin(recv) or ""
        if origin.startswith(SIGNAL_ROOTS) or name == "send_robust" or kwarg(call, "sender") is not None \
                or "signal" in receiver_last(call).lower():
            return "a signal (its receivers are not followed)"
    if name in KV_WRITES and recv is not None:
        origin = ctx.origin(recv) or ""
        if any(k in origin for k in KV_ORIGINS) or not origin and ctx.imports("nats") and KV_NAME.search(
                receiver_last(call)):
            return "a NATS key-value write (last value wins)"
    if name in ZK_KEYED and recv is not None and (ctx.origin(recv) or "").startswith("kazoo."):
        return "a ZooKeeper write keyed by its path"
    if name in ORM_QUERY_API and isinstance(func, cst.Attribute) and _orm_of(func.value, ctx):
        return "a query method of an ORM model class"  # `PageView.insert(...)` before its `.execute()`
    if name in MONGO_WRITES | MONGO_OVERWRITES and isinstance(func, cst.Attribute):
        root = (ctx.origin(func) or "").split(".")[0]
        if (root in MONGO_ROOTS or not root and ctx.imports(*MONGO_ROOTS)) and (
                name in MONGO_OVERWRITES or mongo_write(call, name, "", WEAK) is None):
            return "a MongoDB write a replay repeats harmlessly (keyed by `_id`, or `$set`)"
    if call.args and call.args[0].keyword is None and (name in SQL_METHODS or _sql_helper(call, name, "", ctx)):
        kind = sql_kind(call.args[0].value, ctx)
        if kind in ("upsert", "update", "other"):
            return f"SQL {kind}"
    if recv is not None and (ctx.origin(func) or "").split(".")[0] in HTTP_ROOTS + SEARCH_ROOTS:
        return "a client call the effect tables judge harmless"  # `self.session.put(...)`
    if _overwrites(call, ctx):
        return "a write that overwrites what is there (`overwrite=True`)"
    if name in PATH_WRITES and recv is not None and (
            (ctx.origin(recv) or "").startswith(PATH_ORIGINS) or not ctx.origin(recv) and ctx.imports("pathlib")):
        return "a file written whole (`pathlib`'s `write_text` / `write_bytes` replace what is there)"
    return None


# `pathlib.Path.write_text` / `write_bytes` open the file with "w" / "wb": the whole file is replaced
PATH_WRITES = frozenset({"write_text", "write_bytes"})
PATH_ORIGINS = ("pathlib.",)


def _overwrites(call: cst.Call, ctx: Ctx) -> bool:
    """`upload_blob(data, overwrite=True)`, `create_store(name, data, overwrite=overwrite)` in a function
    whose `overwrite` parameter defaults to True: a repeat writes the same thing over itself."""
    value = kwarg(call, "overwrite")
    if isinstance(value, cst.Name) and value.value == "True":
        return True
    if not isinstance(value, cst.Name) or ctx.func is None:
        return False
    if value.value in ctx.func.assigns:  # rebound: only after this call (`overwrite = style or False` below)
        order = {id(node): i for i, node in enumerate(walk(ctx.func.node.body))}
        if any(order.get(id(v), -1) < order.get(id(call), 0) for v, _, _ in ctx.func.assigns[value.value]):
            return False
    default = ctx.func.default_of(value.value)
    return isinstance(default, cst.Name) and default.value == "True"


# SQLAlchemy Core insert steps that make it write nothing twice (`prefix_with("IGNORE")` and kin too)
UPSERT_CHAIN = {"on_conflict_do_nothing", "on_conflict_do_update", "on_duplicate_key_update", "prefix_with"}


def statement_steps(expr: cst.BaseExpression, at: cst.CSTNode, ctx: Ctx) -> List[cst.BaseExpression]:
    """The SQLAlchemy Core statement `expr` is where `at` runs it: itself, or for a local name the
    last value the function binds to it before `at`, with the earlier steps that value builds on
    (`stmt = insert(t).values(...)`, then `stmt = stmt.on_conflict_do_nothing()`). A name bound in
    several places is read in source order (`stmt = select(...)` ... `stmt = insert(...)`)."""
    func = ctx.func
    if not isinstance(expr, cst.Name) or func is None or expr.value not in func.assigns:
        return [expr]
    values = [value for value, idx, how in func.assigns[expr.value] if idx is None and how == "="]
    if len(values) <= 1:
        return values or [expr]
    order = {id(node): i for i, node in enumerate(walk(func.node))}
    where = order.get(id(at))
    if where is None:
        return values
    steps: List[cst.BaseExpression] = []
    for value in sorted(values, key=lambda v: order.get(id(v), -1), reverse=True):
        if order.get(id(value), where) >= where:
            continue
        steps.append(value)
        if _chain_root(value) != expr.value:
            break  # a statement of its own, not a step on the one before
        where = order[id(value)]
    return steps or values


def _chain_root(expr: cst.BaseExpression) -> Optional[str]:
    """The name a method chain starts from (`stmt` in `stmt.values(...).returning(...)`)."""
    cur: Optional[cst.BaseExpression] = expr
    while isinstance(cur, (cst.Call, cst.Attribute)):
        cur = cur.func if isinstance(cur, cst.Call) else cur.value
    return cur.value if isinstance(cur, cst.Name) else None


def _core_insert(steps: List[cst.BaseExpression], ctx: Ctx) -> bool:
    """An INSERT built with SQLAlchemy Core: `insert(table)` (sqlalchemy's, or a function idemlint
    cannot resolve), or a table's `.insert()`."""
    for step in steps:
        cur: Optional[cst.BaseExpression] = step
        while isinstance(cur, (cst.Call, cst.Attribute)):
            if isinstance(cur, cst.Call):
                func = cur.func
                if isinstance(func, cst.Attribute) and func.attr.value == "insert":
                    return True  # `table.insert()`, `sqlalchemy.insert(...)`, `postgresql.insert(...)`
                if isinstance(func, cst.Name) and func.value == "insert":
                    origin = ctx.origin(func)
                    return origin is None or origin.split(".")[0] == "sqlalchemy"
                cur = func
            else:
                cur = cur.value
    return False


def _values_args(call: cst.BaseExpression):
    cur: Optional[cst.BaseExpression] = call
    while isinstance(cur, (cst.Call, cst.Attribute)):
        if isinstance(cur, cst.Call):
            if isinstance(cur.func, cst.Attribute) and cur.func.attr.value == "values":
                return [a for a in cur.args if a.keyword is not None]
            cur = cur.func
        else:
            cur = cur.value
    return []


def _idempotency_key(call: cst.Call) -> bool:
    if kwarg(call, "idempotency_key") is not None:
        return True
    options = kwarg(call, "options")
    keys = dict_keys(options) or []
    return "idempotency_key" in keys


def _update_expression_counter(call: cst.Call) -> bool:
    expr = string_value(kwarg(call, "UpdateExpression")) or ""
    return bool(re.search(r"^\s*ADD\b|(\w+)\s*=\s*\1\s*[+-]", expr, re.I)) and kwarg(call, "ConditionExpression") is None


def _db_key(call: cst.Call) -> Optional[str]:
    recv = receiver(call)
    return dotted(recv) if recv is not None else None


def _is_session(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    origin = ctx.origin(expr) or ""
    if origin:
        return "Session" in origin or "sessionmaker" in origin or origin.startswith("sqlalchemy") or "session" in origin
    text = (dotted(expr) or "").lower()
    return text.endswith("session") or text.endswith("db.session") or text in ("s", "sess", "uow.session")


# ORM model base classes whose class methods insert (`await Order.create(...)`), by library
ORM_BASES = {"tortoise": "Tortoise", "peewee": "peewee", "playhouse": "peewee", "beanie": "Beanie"}
ORM_CLASS_INSERTS = {"create", "bulk_create", "insert_one", "insert_many"}
ORM_UPSERT_CHAIN = {"on_conflict", "on_conflict_ignore", "on_conflict_replace"}  # peewee
# the ORMs' own query methods on a model class (inherited, so not followed into the project): no
# effect by themselves when `classify` finds none (an insert runs at `.execute()` or is a `create`)
ORM_QUERY_API = {"insert", "insert_many", "select", "update", "delete", "get", "get_or_none", "get_by_id",
                 "get_or_create", "update_or_create", "filter", "exclude", "all", "first", "find", "find_one",
                 "find_all", "replace", "replace_many", "exists", "count", "raw", "bulk_update", "in_bulk"}


def _orm_insert(call: cst.Call, name: str, ctx: Ctx) -> Optional[str]:
    """The ORM (Tortoise, peewee, Beanie) whose model class a call inserts a row or document with,
    or None: `Order.create(...)`, `Order.bulk_create([...])` (not with `ignore_conflicts=True` or an
    `on_conflict=`), Beanie's `Doc.insert_one(doc)` / `insert_many`, peewee's
    `Order.insert(...).execute()` / `insert_many(rows).execute()` (not with an `on_conflict*` step),
    and `doc.insert()` / `doc.create()` on a Beanie document built in the handler."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    if name in ORM_CLASS_INSERTS:
        if kwarg(call, "ignore_conflicts") is not None or kwarg(call, "on_conflict") is not None:
            return None
        return _orm_of(func.value, ctx)
    if name == "execute" and isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Attribute):
        names = chain_names(func.value)
        if names & ORM_UPSERT_CHAIN:
            return None
        cur: cst.BaseExpression = func.value
        while isinstance(cur, cst.Call) and isinstance(cur.func, cst.Attribute):
            if cur.func.attr.value in ("insert", "insert_many"):
                return "peewee" if _orm_of(cur.func.value, ctx) == "peewee" else None
            cur = cur.func.value
        return None
    if name in ("insert", "create") and not call.args:
        built = _new_model(func.value, ctx)
        if built is not None and _orm_of(built.func, ctx) == "Beanie":
            return "Beanie"
    return None


# what a repository object's method is called when it stores the new row it is given
REPOSITORY_INSERTS = {"create", "add", "insert", "save"}
# the declarative bases of mapped classes (`Base = declarative_base()`, `class Base(DeclarativeBase)`,
# Flask-SQLAlchemy's `db.Model`, SQLModel): a constructed instance is a new row
MAPPED_BASES = {"sqlalchemy": "SQLAlchemy", "flask_sqlalchemy": "SQLAlchemy", "sqlmodel": "SQLAlchemy"}
ROW_BASES = {**ORM_BASES, **MAPPED_BASES}  # every ORM whose constructed model is a new row


def _new_row(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[str]:
    """The model class of a new ORM row `expr` is (`Change(...)`, or a name the function binds once
    to one), for a repository method it is handed to; None otherwise."""
    if isinstance(expr, cst.Name) and ctx.func is not None and len(ctx.func.assigns.get(expr.value, ())) == 1:
        expr = ctx.func.assigns[expr.value][0][0]
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, (cst.Name, cst.Attribute)):
        return None
    return dotted(expr.func) if _orm_of(expr.func, ctx, ROW_BASES) else None


def _orm_of(expr: cst.BaseExpression, ctx: Ctx, bases: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The ORM of the model class `expr` names (its bases, through the project's classes), or None.
    Only a name that reads as a class (`Order`, `models.Order`) is looked up. `bases`: the library
    roots that make a model (by default those whose model classes insert by themselves)."""
    last = (dotted(expr) or "").rpartition(".")[2]
    if not last[:1].isupper():
        return None
    project = ctx.index.project
    found = _class_named(expr, ctx.index, ctx.func, project, ctx.index.path, 0)
    if found is None:
        return None
    for cls, index, _ in [found, *base_classes(found[0], found[1], project, found[2])]:
        for base in cls.bases:
            root = (index.resolve(base, None) or "").split(".")[0]
            if root in (bases or ORM_BASES):
                return (bases or ORM_BASES)[root]
    return None


def _new_model(expr: cst.BaseExpression, ctx: Ctx) -> Optional[cst.Call]:
    """`order = Order(...); order.save()`: the construction of a model built in this handler (so
    `save()` inserts), or None."""
    if not (isinstance(expr, cst.Name) and ctx.func is not None and expr.value in ctx.func.assigns):
        return None
    value = ctx.func.assigns[expr.value][0][0]
    if isinstance(value, cst.Call):
        callee = dotted(value.func) or ""
        last = callee.split(".")[-1]
        if last and last[0].isupper() and value.args != () and all(a.keyword for a in value.args):
            return value
    return None


def named_effect(call: cst.Call) -> Optional[str]:
    """A verb-named call (`charge_card`, `send_receipt`): the name, or None."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if not name or name in NOT_EFFECT_NAMES or name.lstrip("_")[:1].isupper() or FACTORY.match(name):
        return None  # classes (`_SendDecision` too) and factories of clients do nothing by being built
    parts = [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", name) if p]
    if not parts:
        return None
    lower = [p.lower() for p in parts]
    if any(a == "or" and b in OR_KEYED for a, b in zip(lower[1:], lower[2:])):
        # `insert_or_merge_entity`, `create_or_update_user`, `insertOrReplace`: a write under the
        # record's own key, which a repeat makes again to the same end (an upsert)
        return None
    if parts[0].lower() in EFFECT_VERBS and (len(parts) > 1 or parts[0].lower() in {"charge", "refund", "notify", "publish", "enqueue"}):
        return name
    return None


__all__ = ["Effect", "classify", "inert", "named_effect", "sql_kind", "sql_table", "is_db_receiver"]


_LOCKS = {"lockf", "flock", "fileno", "close"}


def _lock_file(call: cst.Call, ctx: Ctx) -> bool:
    """`lock = open(LOCK_PATH, "a")` then `fcntl.lockf(lock, fcntl.LOCK_EX)` (or a project
    `file_lock(lock)`): a file opened in append mode only to hold a lock on it, never written (every
    use of the handle is a lock call, `fileno()` or `close()`)."""
    func = ctx.func
    if func is None:
        return False
    names = [n for n, values in func.assigns.items() if any(v is call for v, _, _ in values)]
    names += [item.asname.name.value for block in func.withs for item in block.items if item.item is call
              and item.asname is not None and isinstance(item.asname.name, cst.Name)]
    if len(names) != 1:
        return False
    handle, locked = names[0], False
    for other in func.calls:
        named = call_name(other) or ""
        on_handle = isinstance(other.func, cst.Attribute) and isinstance(other.func.value, cst.Name) \
            and other.func.value.value == handle
        given = any(isinstance(a.value, cst.Name) and a.value.value == handle for a in other.args)
        lock_call = named in _LOCKS or "lock" in named.lower()  # also a project `file_lock(handle)`
        if (on_handle or given) and not lock_call:
            return False  # written, printed to, or handed to code that may write
        locked = locked or (given and lock_call and named not in ("fileno", "close"))
    return locked


def _request_method(target: Optional[cst.BaseExpression], ctx: Ctx) -> str:
    """The method of the `urllib.request.Request` that `urlopen(req)` sends (`Request(url,
    data=payload, method="POST")`, or a local bound to one): with data and no method it is a POST."""
    if isinstance(target, cst.Name) and ctx.func is not None:
        values = ctx.func.values_of(target.value)
        target = values[0] if len(values) == 1 else None
    if not isinstance(target, cst.Call) or (dotted(target.func) or "").split(".")[-1] != "Request":
        return "get"
    given = string_value(kwarg(target, "method") or positional(target, 5))
    if given:
        return given.lower()
    return "post" if kwarg(target, "data") is not None or positional(target, 1) is not None else "get"


def _named_per_delivery(path: Optional[cst.BaseExpression], ctx: Ctx, opened: cst.Call) -> bool:
    """A file `opened` under a path new at each delivery: one with a per-delivery handle in it
    (`method.delivery_tag`; under workflows, whose default `PikaTransport` sets a header's
    `message-id` to the delivery tag, `header["message-id"]`), or one made with a fresh value
    (`uuid4()`, the time: `made_fresh`) when the message's data is written to it (not a debug log
    named after the time); also through a local the function binds once (`filename = dump /
    f"{queue}-{header['message-id']}"`)."""
    if path is None:
        return False
    if isinstance(path, cst.Name) and ctx.func is not None and len(ctx.func.values_of(path.value)) == 1:
        path = ctx.func.values_of(path.value)[0]
    names = set(names_in(path))
    if any(is_per_delivery(name) for name in names) or "message-id" in names and ctx.imports("workflows"):
        return True
    return made_fresh(path, ctx) and _written_with_message(opened, ctx)


def _written_with_message(opened: cst.Call, ctx: Ctx) -> bool:
    """The file `opened` is given the message's data: `with open(...) as fh:` (or `fh = open(...)`),
    then a call that names `fh` and the message (`fh.write(body.decode())`, `json.dump(record, fh)`)."""
    func = ctx.func
    if func is None or not ctx.message_names:
        return False
    handles = {item.asname.name.value for node in walk(func.node) if isinstance(node, cst.With) for item in node.items
               if item.item is opened and item.asname is not None and isinstance(item.asname.name, cst.Name)}
    handles |= {name for name, values in func.assigns.items() if any(value is opened for value, _, _ in values)}
    return bool(handles) and any(mentions(c, handles) and mentions(c, ctx.message_names) for c in func.calls)


def made_fresh(key: Optional[cst.BaseExpression], ctx: Ctx, local: bool = True) -> bool:
    """A value new on every call (a Redis key, a file's path): `f"dlq:{uuid4().hex}"`, a local bound
    only to such values (one step: `key = make_key(...)`), or a call of a function of this module whose
    every `return` is one (`_dlq_message_key(topic)`)."""
    from .handler import _fresh  # the handler walk imports this module

    if key is None:
        return False
    if _fresh(key):
        return True
    if isinstance(key, cst.Name) and ctx.func is not None and local:
        values = ctx.func.values_of(key.value)
        return bool(values) and all(made_fresh(v, ctx, local=False) for v in values)
    if isinstance(key, cst.Call) and isinstance(key.func, cst.Name) and key.func.value in ctx.index.module_functions:
        helper = ctx.index.module_functions[key.func.value]
        return bool(helper.returns) and all(_fresh(v) for v in helper.returns)
    return False
