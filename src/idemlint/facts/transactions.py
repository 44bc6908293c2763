"""Transaction scopes: which `with` blocks and decorators make the database writes inside them atomic."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .. import patterns as user_patterns
from ..detect.base import Ctx, decorator_call
from ..index import FunctionInfo, call_name, children, contains, dotted, walk

# Receivers whose `.transaction()` / `.begin()` is a broker or cache transaction, not a database one
# (aio-pika `channel.transaction()`, aiokafka `producer.transaction()`, redis `transaction()`).
NON_DB_TXN_ORIGINS = ("aio_pika", "aiokafka", "redis", "kafka", "confluent_kafka", "stomp", "pika", "workflows")
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


# AMQP transactions (pika `tx_select()` / `tx_commit()` / `tx_rollback()`, aio-pika
# `channel.transaction()` -> `Transaction.select/commit/rollback`, whose `async with` rolls back
# when its body raises): a publish the transaction rolls back is never sent.
AMQP_COMMITS = {"tx_commit", "commit"}
AMQP_LIBRARIES = ("pika", "aio_pika", "aiormq")


def amqp_rolled_back(call: cst.Call, func: Optional[FunctionInfo], ctx: Ctx) -> bool:
    """A publish that every path after it rolls back: a pika `tx_rollback()` (or an aio-pika
    `tx.rollback()`) statement follows it with no commit in between, or it sits in an
    `async with channel.transaction():` whose body then raises. A rollback only in an `except`
    block is the error path: on success the publish is committed, and sent."""
    if func is None or not isinstance(func.node.body, cst.IndentedBlock):
        return False
    after = _following(func.node.body, call, ctx, False)
    if after is None:
        return False
    for stmt, in_amqp_txn in after:
        ends = _statement_call(stmt)
        if ends is not None and (call_name(ends) in AMQP_COMMITS):
            return False  # committed first: sent
        if ends is not None and _amqp_rollback(ends, ctx):
            return True
        if in_amqp_txn and isinstance(stmt, cst.SimpleStatementLine) and any(
                isinstance(s, cst.Raise) for s in stmt.body):
            return True
        if any(isinstance(c, cst.Call) and call_name(c) in AMQP_COMMITS for c in walk(stmt)):
            return False
    return False


def _following(block: cst.IndentedBlock, call: cst.Call, ctx: Ctx, in_txn: bool):
    """The statements that run after the one holding `call`, innermost block first (each with
    whether it is inside an aio-pika transaction block), or None if `call` is not in `block`."""
    for i, stmt in enumerate(block.body):
        if not contains(stmt, call):
            continue
        inner_txn = in_txn or (isinstance(stmt, cst.With) and any(_amqp_txn(item, ctx) for item in stmt.items))
        inner = None
        for suite in _suites(stmt):
            inner = _following(suite, call, ctx, inner_txn)
            if inner is not None:
                break
        return (inner or []) + [(s, in_txn) for s in block.body[i + 1:]]
    return None


def _suites(stmt: cst.CSTNode):
    stack = list(reversed(list(children(stmt))))
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.IndentedBlock):
            yield cur
        elif not isinstance(cur, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.BaseExpression)):
            stack.extend(reversed(list(children(cur))))


def _statement_call(stmt: cst.CSTNode) -> Optional[cst.Call]:
    """`ch.tx_rollback()` / `await tx.rollback()` as a statement of its own."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr):
        value = stmt.body[0].value
        value = value.expression if isinstance(value, cst.Await) else value
        return value if isinstance(value, cst.Call) else None
    return None


def _amqp_txn(item: cst.WithItem, ctx: Ctx) -> bool:
    """`async with channel.transaction():` on an aio-pika channel (not a database connection)."""
    expr = item.item.expression if isinstance(item.item, cst.Await) else item.item
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "transaction"):
        return False
    origin = ctx.origin(expr.func.value) or ""
    last = (dotted(expr.func.value) or "").split(".")[-1].lower()
    return origin.startswith(("aio_pika", "aiormq")) or (last in ("channel", "chan", "ch") and ctx.imports("aio_pika"))


def _amqp_rollback(call: cst.Call, ctx: Ctx) -> bool:
    name = call_name(call)
    if name == "tx_rollback":
        return True
    if name != "rollback" or not isinstance(call.func, cst.Attribute):
        return False
    origin = ctx.origin(call.func.value) or ""
    return ".transaction(" in origin and ctx.imports("aio_pika", "aiormq")
