"""Skeletons (`idemlint.thin`): a module parsed with the bodies nobody asked for left out gives the
same index, the same function bodies once they are asked for, and the same findings as the module
parsed whole, on every fixture and on the project corpora (`fixtures/services`, `fixtures/wrapped`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import libcst as cst
import pytest

import idemlint.thin as thin
from idemlint.api import lint_paths
from idemlint.config import Config
from idemlint.index import FunctionInfo, ModuleIndex, ThinningMismatch

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

TRICKY = b'''"""Module docstring."""
import os
from typing import Optional


def top(a, b=len("x")):
    # a comment before the body
    x = a + b
    if x:
        return os.path.join(str(x), "y")
    return None


@decorator(arg=1)
async def coro(event):
    for record in event["Records"]:
        await handle(record)
    yield record


class Base(object):
    attr = 1

    def __init__(self, conn):
        self.conn = conn
        self.other = None

    def method(self, value: int) -> Optional[str]:
        text = """a string
at column 0 inside the body
"""
        total: int = value \\
            + 1
        with self.conn.begin() as tx:
            tx.run(text, total)
        return text

    class Inner:
        def deep(self):
            value = call_one()
            call_two(value)
            return value

    def short(self): return 1

    def uses_import(self):
        import json
        return json.dumps({})

    def sets_attr(self, x):
        if x:
            self.later = x
        return x

    @classmethod
    def configure(cls, x):
        if x:
            cls.shared = x
        return x


if os.environ.get("X"):
    def conditional(x):
        y = x * 2
        z = y + 1
        return z
else:
\tdef conditional(x):
\t\ty = x * 3
\t\tz = y + 1
\t\treturn z


def outer():
    def inner(m):
        m.ack()
        log(m)
        return m
    return inner


def unicode_body():
    s = "\xc3\xa9t\xc3\xa9"
    t = s.upper()
    return t
'''


def _functions(index: ModuleIndex):
    return {f.symbol + f"@{i}": f for i, f in enumerate(index.functions)}


def _code(node) -> str:
    """The node's code, each line's indentation dropped: a block's indentation is recorded relative
    to the module's default one, which a body parsed on its own may have chosen differently (tabs)."""
    return "\n".join(line.lstrip() for line in cst.Module(body=[]).code_for_node(node).split("\n"))


def _compare(whole: ModuleIndex, thinned: ModuleIndex) -> None:
    assert whole.imports == thinned.imports
    assert whole.imported_modules == thinned.imported_modules
    assert sorted(whole.module_assigns) == sorted(thinned.module_assigns)
    assert [_code(c) for c in whole.module_calls] == [_code(c) for c in thinned.module_calls]
    assert list(whole.classes) == list(thinned.classes)
    for name, cls in whole.classes.items():
        other = thinned.classes[name]
        assert list(cls.methods) == list(other.methods)
        assert list(cls.attrs) == list(other.attrs)
        assert {k: [(_code(v), o.symbol if o else None, how) for v, o, how in vs] for k, vs in cls.attr_values.items()} == \
               {k: [(_code(v), o.symbol if o else None, how) for v, o, how in vs] for k, vs in other.attr_values.items()}
    a, b = _functions(whole), _functions(thinned)
    assert list(a) == list(b)
    for key, f in a.items():
        g = b[key]
        assert (f.name, f.class_name, f.params, f.is_async) == (g.name, g.class_name, g.params, g.is_async)
        assert (f.parent.symbol if f.parent else None) == (g.parent.symbol if g.parent else None)
        assert [_code(d) for d in f.decorators] == [_code(d) for d in g.decorators]
        assert _code(f.node.body) == _code(g.node.body), key
        for attr in ("calls", "withs", "fors", "tests", "returns", "yields"):
            assert [_code(n) for n in getattr(f, attr)] == [_code(n) for n in getattr(g, attr)], (key, attr)
        assert f.subscripts == g.subscripts
        assert {k: [(_code(v), i, h) for v, i, h in vs] for k, vs in f.assigns.items()} == \
               {k: [(_code(v), i, h) for v, i, h in vs] for k, vs in g.assigns.items()}
        assert {k: _code(v) for k, v in f.annotations.items()} == {k: _code(v) for k, v in g.annotations.items()}
        assert g.node is b[key].node  # the body parsed once: the same node at every later use
        assert thinned.function_for(g.node) is g


def _indexes(source: bytes):
    from idemlint.analysis import parse

    plan = thin.plan(source)
    whole = ModuleIndex(parse(source))
    if plan is None:
        return whole, None, None
    return whole, ModuleIndex(parse(plan.source), thinning=plan), plan


def test_the_skeleton_keeps_every_line_and_leaves_bodies_out():
    plan = thin.plan(TRICKY)
    assert plan is not None
    assert plan.source.count(b"\n") == TRICKY.count(b"\n")
    left_out = [name for name, piece in zip(plan.names, plan.functions) if piece is not None]
    # bodies that add to the module's index stay: imports, nested functions, `self.x` bindings (and
    # `cls.x` ones in a classmethod)
    assert "uses_import" not in left_out and "outer" not in left_out and "sets_attr" not in left_out
    assert "configure" not in left_out
    assert "inner" not in left_out  # inside a function: the outer body is walked with it
    assert "__init__" not in left_out and "short" not in left_out  # one-line body: not worth it
    assert {"top", "coro", "method", "deep", "conditional", "unicode_body"} <= set(left_out)
    for old, new in zip(TRICKY.split(b"\n"), plan.source.split(b"\n")):
        assert new == old or new.strip() in (b"", b'"""'), (old, new)


CONTINUED = b"""class Channel:
    def __repr__(self):
        return '<{} number={}>'.format(
            self.__class__.__name__,
            self.channel_number)\\

    def close(self):
        transport = self.transport
        transport.close()
        return None
"""


def test_a_body_whose_last_line_goes_on_stays_in_the_skeleton():
    # pika 1.4.4's `Channel.__repr__` ends with a `\\`: CPython ends the body on that line, and the
    # body cut there does not parse (libcst: "unexpected end of file after a line continuation")
    plan = thin.plan(CONTINUED)
    assert plan is not None
    pieces = dict(zip(plan.names, plan.functions))
    assert pieces["__repr__"] is None
    assert pieces["close"] is not None
    whole, thinned, _ = _indexes(CONTINUED)
    _compare(whole, thinned)


def test_a_lazy_function_is_parsed_once_when_used_and_matches_the_whole_parse():
    whole, thinned, _ = _indexes(TRICKY)
    lazy = [f for f in thinned.functions if type(f) is not FunctionInfo]
    assert lazy, "no function was left lazy"
    assert all("_lazy" in f.__dict__ for f in lazy)
    _compare(whole, thinned)
    assert all(type(f) is FunctionInfo for f in thinned.functions)


def test_positions_inside_a_lazy_body_are_the_whole_parse_positions():
    from libcst.metadata import MetadataWrapper, PositionProvider

    plan = thin.plan(TRICKY)
    whole = MetadataWrapper(cst.parse_module(TRICKY), unsafe_skip_copy=True)
    whole_positions = whole.resolve(PositionProvider)
    expected = {}
    for node, rng in whole_positions.items():
        if isinstance(node, cst.Call):
            expected[_code(node)] = (rng.start.line, rng.start.column)
    for piece in plan.functions:
        if piece is None:
            continue
        node = thin.parse_body(plan, piece)
        piece_positions = _piece_positions(plan, piece)
        for inner in _calls(node.body):
            assert piece_positions[_code(inner)] == expected[_code(inner)]


def _calls(node):
    from idemlint.index import walk

    return [n for n in walk(node) if isinstance(n, cst.Call)]


def _piece_positions(plan, piece):
    """The positions of the calls in the module the engine parses for `piece` (`thin.body_module`)."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    positions = MetadataWrapper(thin.body_module(plan, piece), unsafe_skip_copy=True).resolve(PositionProvider)
    return {_code(n): (r.start.line, r.start.column) for n, r in positions.items() if isinstance(n, cst.Call)}


@pytest.mark.parametrize("source", [
    b"x = 1\n",  # no function at all
    b"def f():\r\n    a = 1\r\n    b = 2\r\n    return a\r\n",  # \r line ends
    b"# -*- coding: latin-1 -*-\ndef f():\n    a = '\xe9'\n    b = 2\n    return a\n",  # not UTF-8
    b"def f(:\n",  # CPython cannot parse it
])
def test_modules_parsed_whole(source):
    assert thin.plan(source) is None


def test_the_switch_turns_skeletons_off(monkeypatch):
    monkeypatch.setattr(thin, "ENABLED", False)
    assert thin.plan(TRICKY) is None


def test_a_skeleton_that_disagrees_with_cpython_is_refused():
    from idemlint.analysis import parse

    plan = thin.plan(TRICKY)
    broken = dataclasses.replace(plan, names=list(reversed(plan.names)))
    with pytest.raises(ThinningMismatch):
        ModuleIndex(parse(plan.source), thinning=broken)


FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*.py") if "robustness" not in p.parts)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_indexes_the_same_from_its_skeleton(path):
    whole, thinned, _ = _indexes(path.read_bytes())
    if thinned is not None:
        _compare(whole, thinned)


def _run(paths, whole: bool, monkeypatch, jobs: int = 1):
    monkeypatch.setattr(thin, "ENABLED", not whole)
    config = Config(root=str(paths[0]), jobs=jobs, include_tests=True, include_examples=True)
    result = lint_paths([str(p) for p in paths], config)
    return [dataclasses.astuple(f) for f in result.findings], [dataclasses.astuple(e) for e in result.errors]


@pytest.fixture(scope="module")
def skeleton_run():
    """The serial skeleton run on the whole fixtures tree (`fixtures/services` and `fixtures/wrapped`
    included: their findings there are those of a run on them alone), made once for the tests below."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _run([FIXTURES], False, monkeypatch)


def test_findings_are_the_same_with_skeletons_and_whole_modules(skeleton_run, monkeypatch):
    whole = _run([FIXTURES], True, monkeypatch)
    assert whole[0], "the fixtures give no finding: nothing was compared"
    assert skeleton_run == whole


def test_serial_and_parallel_skeleton_runs_agree(skeleton_run, monkeypatch):
    """A worker pool given several paths (two corpora of the fixtures tree) finds what the serial run
    over the whole tree finds in them."""
    corpora = [(FIXTURES / name).resolve() for name in ("services", "wrapped")]
    findings, errors = _run(corpora, False, monkeypatch, jobs=2)
    serial = [f for f in skeleton_run[0] if any(Path(f[0]).resolve().is_relative_to(c) for c in corpora)]
    assert findings and not errors
    assert findings == serial
