"""The analysed module's index remembers `resolve()`'s answers (`ModuleIndex.remember`): they must be
the answers it gives without remembering, for every expression of every function, on every fixture
project (the `wrapped` one follows origins through the project's other modules)."""

from __future__ import annotations

import libcst as cst
import pytest

from harness import FIXTURES
from idemlint.analysis import parse
from idemlint.index import ModuleIndex, walk
from idemlint.project import Project

FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("golden", "robustness"))


def _answers(index: ModuleIndex) -> list:
    out = []
    for func in [None, *index.functions]:
        node = func.node if func is not None else index.module
        for expr in walk(node, into_scopes=False):
            if isinstance(expr, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
                out.append(index.resolve(expr, func))
                out.append(index.resolve(expr, func))  # asked twice: the second comes from the memo
    return out


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_remembered_answers_are_the_answers(folder):
    files = sorted(folder.rglob("*.py"))
    assert files
    for path in files:
        source = path.read_bytes()
        plain_project, memo_project = Project([str(folder)]), Project([str(folder)])
        plain_project.start_file()
        memo_project.start_file()
        plain = ModuleIndex(parse(source), plain_project, str(path))
        remembering = ModuleIndex(parse(source), memo_project, str(path)).remember()
        answers = _answers(remembering)
        assert answers == _answers(plain), path
        assert remembering._resolved or not answers, path  # it did remember
