"""`effects.harmless_write`: what the hand-over walk takes for work done on the messages before an
ack (`facts.handover._worked_on`) among the calls `effects.inert` calls harmless. A write a repeat
leaves as it is counts; a declaration, a signal, a query being built or a `SELECT` does not."""

from __future__ import annotations

import libcst as cst
import pytest

from idemlint.analysis import parse
from idemlint.detect.base import Ctx
from idemlint.facts import effects
from idemlint.index import ModuleIndex

SOURCE = '''
import pymongo
from sqlalchemy import text

docs = pymongo.MongoClient().app.docs


def handle(conn, event, doc):
    docs.replace_one({"_id": doc["id"]}, doc, upsert=True)
    conn.execute(text("INSERT INTO seen (id) VALUES (:id) ON CONFLICT (id) DO UPDATE SET at = now()"), {"id": doc["id"]})
    conn.execute(text("SELECT * FROM seen WHERE id = :id"), {"id": doc["id"]})
    event.declare_queue(doc["id"])
'''


@pytest.mark.parametrize("line, expected", [(0, True), (1, True), (2, False), (3, False)])
def test_harmless_write(line: int, expected: bool) -> None:
    index = ModuleIndex(parse(SOURCE.encode()))
    func = next(f for f in index.functions if f.name == "handle")
    calls = [c for c in func.calls if isinstance(c.func, cst.Attribute)
             and c.func.attr.value in ("replace_one", "execute", "declare_queue")]
    assert effects.harmless_write(calls[line], Ctx(index, func)) is expected
