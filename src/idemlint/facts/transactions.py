"""Transaction scopes: which `with` blocks and decorators make the database writes inside them atomic."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .. import patterns as user_patterns
from ..detect.base import Ctx, decorator_call
from ..index import FunctionInfo, dotted

# Receivers whose `.transaction()` / `.begin()` is a broker or cache transaction, not a database one
# (aio-pika `channel.transaction()`, aiokafka `producer.transaction()`, redis `transaction()`).
NON_DB_TXN_ORIGINS = ("aio_pika", "aiokafka", "redis", "kafka", "confluent_kafka", "stomp", "pika")
NON_DB_RECEIVERS = {"channel", "chan", "ch", "producer", "redis", "r", "rds", "cache", "pipe", "pipeline"}
CONNECT_FACTORIES = ("psycopg2.connect", "sqlite3.connect", "psycopg.connect", "pymysql.connect",
                     "MySQLdb.connect", "mysql.connector.connect")


def with_transaction(item: cst.WithItem, ctx: Ctx) -> Optional[str]:
    """A short description if entering `item` opens a database transaction, else None."""
    expr = item.item
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if user_patterns.ACTIVE:
        callee = expr.func if isinstance(expr, cst.Call) else expr
        declared = user_patterns.ACTIVE.matches("transaction", ctx.origin(callee), dotted(callee))
        if declared:
            return f"declared transaction `{declared}`"
    if isinstance(expr, cst.Call):
        func = expr.func
        text = dotted(func) or ""
        origin = ctx.origin(func) or ""
        name = text.split(".")[-1]
        if origin.endswith("transaction.atomic") or origin in ("django.db.transaction.atomic",) or text == "transaction.atomic":
            return "`transaction.atomic()`"
        if name in ("atomic", "in_transaction") and (ctx.imports("django.db", "peewee", "tortoise") or "." in text):
            return f"`{text}()`"
        if isinstance(func, cst.Attribute) and name in ("begin", "begin_nested", "transaction", "savepoint"):
            recv_origin = ctx.origin(func.value) or ""
            last = (dotted(func.value) or "").split(".")[-1].lower()
            if recv_origin.startswith(NON_DB_TXN_ORIGINS) or last in NON_DB_RECEIVERS:
                return None
            return f"`{text}()`"
        if origin in CONNECT_FACTORIES or text in CONNECT_FACTORIES:
            return f"`{text}()`"  # psycopg2/sqlite3 commit on exit; psycopg 3 commits and closes
        if isinstance(func, cst.Attribute) and name == "connection" and "pool" in (dotted(func.value) or "").lower():
            return f"`{text}()` (psycopg-pool commits on exit)"
        return None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        origin = ctx.origin(expr) or ""
        if origin.split("(")[0] in CONNECT_FACTORIES and origin.endswith(")"):
            return f"`with {dotted(expr)}:` on a {origin.split('(')[0]} connection"
        last = (dotted(expr) or "").split(".")[-1].lower()
        if not origin and last in ("conn", "connection", "db_conn", "dbconn") and ctx.imports("psycopg2", "sqlite3"):
            return f"`with {dotted(expr)}:` (commits on success)"
    return None


def decorator_transaction(func: FunctionInfo, ctx: Ctx) -> Optional[str]:
    """`@transaction.atomic`, `@atomic()`, `@db.atomic()`: the whole function is one transaction."""
    for dec in func.decorators:
        callee, _ = decorator_call(dec)
        text = dotted(callee) or ""
        origin = ctx.index.resolve(callee, None) or ""
        if user_patterns.ACTIVE and user_patterns.ACTIVE.matches("transaction", origin, text):
            return f"declared transaction `@{text}`"
        if origin.endswith("transaction.atomic") or text in ("transaction.atomic", "atomic", "db.atomic") or (
            text.endswith(".atomic") and ctx.imports("peewee", "django.db")
        ):
            return f"`@{text}`"
        if text.endswith("transactional") or text == "in_transaction":
            return f"`@{text}`"
    return None
