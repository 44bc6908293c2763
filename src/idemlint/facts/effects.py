"""Side-effect tables: which calls change the world in a way a second run would repeat."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from ..detect.base import Ctx, dict_keys, is_db_receiver, keywords, receiver, receiver_last
from ..index import dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK


@dataclass
class Effect:
    category: str  # http | payment | sms | email | publish | counter | db-insert | file
    strength: int
    what: str
    db: bool = False  # a write to a transactional SQL database
    db_key: Optional[str] = None


HTTP_ROOTS = ("requests", "httpx", "aiohttp", "urllib3")
HTTP_WRITE_METHODS = {"post", "patch"}
IDEMPOTENCY_HEADER = re.compile(r"idempotency|idempotent|x-request-id|dedup", re.I)

PAYMENT_ROOTS = ("stripe", "braintree", "adyen", "paypalrestsdk", "razorpay", "square", "mollie")
PAYMENT_VERBS = {"create", "capture", "confirm", "pay", "sale", "refund", "submit_for_settlement", "charge"}

EMAIL_FUNCS = {
    "django.core.mail.send_mail", "django.core.mail.send_mass_mail", "django.core.mail.mail_admins",
    "django.core.mail.mail_managers",
}
SES_METHODS = {"send_email", "send_raw_email", "send_templated_email", "send_bulk_templated_email",
               "send_bulk_email"}
REDIS_COUNTERS = {"incr", "incrby", "incrbyfloat", "decr", "decrby", "hincrby", "hincrbyfloat",
                  "zincrby", "lpush", "rpush", "xadd_counter"}
SQL_METHODS = {"execute", "executemany", "fetch", "fetchrow", "fetchval", "execute_many", "exec_driver_sql",
               "executescript", "execute_sql"}

_INSERT = re.compile(r"^\s*(with\b.*?\)\s*)?insert\b", re.I | re.S)
_UPSERT = re.compile(r"on\s+conflict|on\s+duplicate\s+key|insert\s+ignore|insert\s+or\s+(ignore|replace)|"
                     r"^\s*replace\s+into|^\s*merge\s+into|where\s+not\s+exists", re.I | re.S)
_COUNTER_SQL = re.compile(r"\bset\b.*?\b(\w+)\s*=\s*\1\s*[-+]", re.I | re.S)
_UPDATE = re.compile(r"^\s*update\b", re.I)

# Unresolved helpers named for what they do: `charge_card(...)`, `send_receipt(...)`.
EFFECT_VERBS = {
    "charge", "refund", "pay", "bill", "invoice", "send", "email", "mail", "notify", "sms", "publish", "emit",
    "enqueue", "create", "insert", "increment", "incr", "credit", "debit", "transfer", "withdraw", "deposit",
    "ship", "fulfil", "fulfill", "reserve", "capture", "purchase", "deliver", "submit", "dispatch",
}
NOT_EFFECT_NAMES = {"notify_all", "notify", "send_response", "send_ack", "send_nack", "send_heartbeat", "create_logger",
                    "emit_metric", "emit_metrics", "send_metric", "send_metrics"}


FACTORY = re.compile(
    r"^(create|make|build|get|new)_(\w+_)?(producer|consumer|client|session|engine|pool|connection|channel|"
    r"task|app|logger|table|index|queue|topic|subscription|subscriber|publisher|receiver|sender|context|"
    r"parser|schema|config|settings|ref|reference|id|key|uuid|dict|list|object|instance|message|request|"
    r"response|payload|model|entity|dto|mock|stub|fixture|tmp|temp|dir|file_?name|path|url)s?$"
)


def sql_text(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[str]:
    """The SQL of a literal, a `text("...")` wrapper, or a name bound to a literal."""
    if expr is None:
        return None
    if isinstance(expr, cst.Call) and (dotted(expr.func) or "").split(".")[-1] in ("text", "SQL", "sql"):
        return sql_text(positional(expr, 0), ctx)
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
    if isinstance(expr, cst.Name):
        for scope in (ctx.func.assigns if ctx.func else {}, ctx.index.module_assigns):
            if expr.value in scope:
                return sql_text(scope[expr.value][0][0], ctx)
        return None
    return string_value(expr)


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


def _chain_has(call: cst.BaseExpression, names: set) -> bool:
    """True if a method chain `a.b(...).c(...)` calls any of `names` anywhere."""
    cur: Optional[cst.BaseExpression] = call
    while cur is not None:
        if isinstance(cur, cst.Call):
            if isinstance(cur.func, cst.Attribute) and cur.func.attr.value in names:
                return True
            for arg in cur.args:
                if isinstance(arg.value, cst.Call) and _chain_has(arg.value, names):
                    return True
            cur = cur.func
        elif isinstance(cur, cst.Attribute):
            cur = cur.value
        else:
            return False
    return False


def _counter_expr(expr: cst.BaseExpression) -> bool:
    """`F("x") + 1` / `T.c.x - amount` / `Model.x + 1`."""
    return isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)) and (
        isinstance(expr.left, (cst.Call, cst.Attribute))
    )


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
        if method in HTTP_WRITE_METHODS and not _has_idempotency_header(call):
            return Effect("http", STRONG, f"HTTP {method.upper()} `{text}()`")
        return None

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

    # Redis counters and list appends
    last = receiver_last(call).lower()
    if name in REDIS_COUNTERS and (root == "redis" or (not origin and ctx.imports("redis") and (
            "redis" in last or last in ("r", "rds", "cache", "kv", "conn", "client")))):
        return Effect("counter", STRONG if root == "redis" else WEAK, f"Redis `{name}()`")

    # SQL and ORMs
    if name in SQL_METHODS and call.args:
        kind = sql_kind(call.args[0].value, ctx)
        key = _db_key(call)
        if kind == "insert":
            return Effect("db-insert", STRONG, f"SQL INSERT via `{text}()`", db=True, db_key=key)
        if kind == "counter":
            return Effect("counter", STRONG, f"SQL counter UPDATE via `{text}()`", db=True, db_key=key)
        first = call.args[0].value
        if isinstance(first, cst.Call) and (dotted(first.func) or "").split(".")[-1] == "insert" or (
            isinstance(first, cst.Call) and _chain_has(first, {"values"}) and "insert" in (dotted(first.func) or "")
        ):
            if not _chain_has(first, {"on_conflict_do_nothing", "on_conflict_do_update",
                                      "on_duplicate_key_update", "prefix_with"}):
                return Effect("db-insert", STRONG, f"SQL INSERT via `{text}()`", db=True, db_key=key)
        if isinstance(first, cst.Call) and _chain_has(first, {"values"}) and "update" in _chain_names(first):
            if any(_counter_expr(a.value) for a in _values_args(first)):
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
    if name in ("add", "add_all") and isinstance(func, cst.Attribute) and _is_session(func.value, ctx):
        return Effect("db-insert", STRONG, f"ORM insert `{text}()`", db=True, db_key=dotted(func.value))
    if name == "save" and not call.args and isinstance(func, cst.Attribute) and _new_model(func.value, ctx):
        return Effect("db-insert", STRONG, f"ORM insert `{text}()`", db=True)
    if name in ("update_item",) and _update_expression_counter(call):
        return Effect("counter", STRONG, f"DynamoDB counter `{text}()`")

    # file appends
    if name == "open" and (origin in ("", "open", "io.open") or text.endswith(".open")):
        mode = string_value(kwarg(call, "mode") or positional(call, 1 if text in ("open", "io.open") else 0))
        if mode and "a" in mode:
            return Effect("file", STRONG, f"file append `{text}(..., {mode!r})`")
    return None


def _chain_names(call: cst.BaseExpression) -> set:
    names = set()
    cur: Optional[cst.BaseExpression] = call
    while isinstance(cur, (cst.Call, cst.Attribute)):
        if isinstance(cur, cst.Call):
            if isinstance(cur.func, cst.Name):
                names.add(cur.func.value)
            cur = cur.func
        else:
            names.add(cur.attr.value)
            cur = cur.value
    return names


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


def _new_model(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """`order = Order(...); order.save()`: a model built in this handler, so `save()` inserts."""
    if not (isinstance(expr, cst.Name) and ctx.func is not None and expr.value in ctx.func.assigns):
        return False
    value = ctx.func.assigns[expr.value][0][0]
    if isinstance(value, cst.Call):
        callee = dotted(value.func) or ""
        last = callee.split(".")[-1]
        return bool(last) and last[0].isupper() and value.args != () and all(a.keyword for a in value.args)
    return False


def named_effect(call: cst.Call) -> Optional[str]:
    """A verb-named call (`charge_card`, `send_receipt`): the name, or None."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if not name or name in NOT_EFFECT_NAMES or name[:1].isupper() or FACTORY.match(name):
        return None  # classes, and factories of clients and connections, do nothing by being built
    parts = [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", name) if p]
    if not parts:
        return None
    if parts[0].lower() in EFFECT_VERBS and (len(parts) > 1 or parts[0].lower() in {"charge", "refund", "notify", "publish", "enqueue"}):
        return name
    return None


__all__ = ["Effect", "classify", "named_effect", "sql_kind", "sql_table", "is_db_receiver"]
