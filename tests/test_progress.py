"""The progress bar: on stderr, only for large scans, only when stderr is a terminal and the format is text."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint import cli as cli_module
from idemlint.api import lint_paths
from idemlint.config import Config
from idemlint.cli import PROGRESS_THRESHOLD, main

FILES = PROGRESS_THRESHOLD + 20


@pytest.fixture
def big(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    for i in range(FILES):
        body = "def h(m):\n    charge(m)  # FAKE: IDEM001 high\n" if i % 10 == 0 else "x = 1\n"
        (tmp_path / f"m{i:03}.py").write_text(body)
    return tmp_path


def run(*args, terminal=True, monkeypatch=None):
    monkeypatch.setattr(cli_module, "_stderr_is_terminal", lambda: terminal)
    extra = ["--no-cache"] if args[0] == "check" else []
    return CliRunner().invoke(main, [*args, *extra, "-j", "1"], catch_exceptions=False)


def test_a_large_text_scan_on_a_terminal_shows_the_bar_on_stderr(big, monkeypatch):
    result = run("check", "--no-color", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert f"{FILES}/{FILES}" in result.stderr
    assert "files" in result.stderr and f"{FILES // 10} findings" in result.stderr and "parsed" in result.stderr
    assert "\x1b[" in result.stderr  # drawn for a terminal (cursor movement), even without colour
    assert "idemlint" not in result.stdout.splitlines()[0]  # nothing of the bar on stdout
    assert result.stdout.rstrip().endswith(f"in {FILES} files checked.")


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "markdown"])
def test_machine_formats_never_show_it(big, monkeypatch, fmt):
    assert run("check", "--format", fmt, monkeypatch=monkeypatch).stderr == ""


def test_piped_stderr_and_quiet_never_show_it(big, monkeypatch):
    assert run("check", terminal=False, monkeypatch=monkeypatch).stderr == ""
    assert run("check", "--quiet", monkeypatch=monkeypatch).stderr == ""


def test_a_small_scan_shows_nothing(big, monkeypatch):
    for path in sorted(big.glob("m*.py"))[PROGRESS_THRESHOLD - 10:]:
        path.unlink()
    assert run("check", monkeypatch=monkeypatch).stderr == ""


def test_consumers_shows_it_for_text_only(big, monkeypatch):
    assert f"{FILES}/{FILES}" in run("consumers", monkeypatch=monkeypatch).stderr
    assert run("consumers", "--format", "json", monkeypatch=monkeypatch).stderr == ""


def test_lint_paths_reports_every_file_once(big):
    calls = []
    result = lint_paths(["."], Config(jobs=2), progress=lambda total, parsed, n: calls.append((total, parsed, n)))
    assert len(calls) == FILES and {c[0] for c in calls} == {FILES}
    assert sum(c[2] for c in calls) == len(result.findings) == FILES // 10


def test_the_bar_draws_to_a_forced_terminal_console(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(cli_module.sys, "stderr", stream)
    bar = cli_module._ProgressBar()
    for i in range(PROGRESS_THRESHOLD + 1):
        bar(PROGRESS_THRESHOLD + 1, i % 2 == 0, 1 if i == 3 else 0)
    bar.close()
    out = stream.getvalue()
    assert f"{PROGRESS_THRESHOLD + 1}/{PROGRESS_THRESHOLD + 1}" in out
    assert f"{PROGRESS_THRESHOLD // 2 + 1} parsed, 1 findings" in out
