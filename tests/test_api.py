"""The library API: `lint_source` is the per-file error boundary; `lint_paths` is deterministic."""

from __future__ import annotations

import os

import pytest

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint import analysis, detect
from idemlint.api import lint_paths, lint_source
from idemlint.config import Config
from idemlint.discover import PathNotFound
from idemlint.findings import Confidence

BAD = b"def handler(m):\n    b()  # FAKE: IDEM003 low\n    a()  # FAKE: IDEM001 high\n"


def test_lint_source_filters_and_sorts(fake_engine):  # noqa: F811
    result = lint_source(BAD, "w.py", Config())
    assert result.parsed and result.path == "w.py"
    assert [(f.line, f.rule) for f in result.findings] == [(2, "IDEM003"), (3, "IDEM001")]
    result = lint_source(BAD, "w.py", Config(min_confidence=Confidence.HIGH))
    assert [f.rule for f in result.findings] == ["IDEM001"]


def test_lint_source_default_config(fake_engine):  # noqa: F811
    assert len(lint_source(BAD, "w.py").findings) == 2


@pytest.mark.parametrize(
    "exc, kind, message",
    [
        (analysis.ParseFailure("bad token", line=7, kind="decode"), "decode", "bad token"),
        (RecursionError(), "skipped", "too deeply nested to analyse"),
        (MemoryError(), "skipped", "out of memory while analysing"),
        (ValueError("x"), "internal", "internal error: ValueError: x (please report this)"),
        (NotImplementedError(), "internal", "internal error: NotImplementedError (please report this)"),
    ],
)
def test_every_exception_becomes_a_file_error(monkeypatch, exc, kind, message):
    def analyze(source, path, project=None, file_path=None, patterns=()):
        raise exc

    monkeypatch.setattr(analysis, "analyze", analyze)
    result = lint_source(b"x", "x.py", Config())
    (error,) = result.errors
    assert (error.kind, error.message, error.path) == (kind, message, "x.py")
    assert not result.parsed and result.findings == ()
    assert error.traceback == ""
    if kind == "internal":
        verbose = lint_source(b"x", "x.py", Config(verbose=True)).errors[0]
        assert type(exc).__name__ in verbose.traceback


def test_keyboard_interrupt_is_not_swallowed(monkeypatch):
    def analyze(source, path, project=None, file_path=None, patterns=()):
        raise KeyboardInterrupt

    monkeypatch.setattr(analysis, "analyze", analyze)
    with pytest.raises(KeyboardInterrupt):
        lint_source(b"x", "x.py", Config())


def test_lint_paths_counts_and_orders(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.py").write_bytes(BAD)
    (tmp_path / "a.py").write_bytes(BAD.replace(b"IDEM003 low", b"IDEM002 medium"))
    (tmp_path / "clean.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("FAKE-SYNTAX\n")
    result = lint_paths(["."], Config())
    assert result.files == 4 and result.parsed == 2
    assert [(f.path, f.line) for f in result.findings] == [("a.py", 2), ("a.py", 3), ("b.py", 2), ("b.py", 3)]
    assert [(e.path, e.kind) for e in result.errors] == [("broken.py", "syntax")]
    assert result.counts()["IDEM001"] == {"high": 2, "medium": 0, "low": 0}


def test_prefilter_failure_falls_back_to_analysis(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    def broken_prefilter(source):
        raise RuntimeError("prefilter bug")

    monkeypatch.setattr(detect, "passes_prefilter", broken_prefilter)
    (tmp_path / "w.py").write_bytes(BAD)
    assert len(lint_paths([str(tmp_path / "w.py")], Config()).findings) == 2


def test_lint_paths_missing_path(tmp_path):
    with pytest.raises(PathNotFound):
        lint_paths([str(tmp_path / "nope")], Config())


def test_oversized_and_special_files(tmp_path, fake_engine):  # noqa: F811
    (tmp_path / "big.py").write_bytes(BAD)
    result = lint_paths([str(tmp_path / "big.py")], Config(max_file_size=10))
    assert [e.kind for e in result.errors] == ["skipped"] and result.files == 1
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.py")
        result = lint_paths([str(tmp_path / "pipe.py")], Config())
        assert [(e.kind, e.message) for e in result.errors] == [("read", "cannot read file: not a regular file")]
