"""Hostile and odd inputs: each test names what the user sees; none gives a traceback.

Small inputs live in fixtures/robustness/ (each with a pika consumer, so it reaches the
analysis rather than stopping at the prefilter); large and deep ones are generated here.
Engine bugs found this way were fixed in the engine; a new one would be a strict xfail naming it.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from idemlint.cli import main

REPO = Path(__file__).resolve().parents[1]
ROBUSTNESS = REPO / "fixtures" / "robustness"
HANDLER = textwrap.dedent(
    """\
    def on_message(ch, method, properties, body):
        charge_card(body)
        ch.basic_ack(delivery_tag=method.delivery_tag)
    """
)
CONSUMER = "import pika\n\n\n" + HANDLER  # IDEM001 on line 5


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def check(*args):
    """Run `idemlint check` in-process; return (exit code, output)."""
    result = CliRunner().invoke(main, ["check", "--no-color", *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def check_json(*args):
    code, output = check("--format", "json", *args)
    return code, json.loads(output)


ANY_LINE = -1  # a syntax error's line, whatever it is (but there is one)


def seen(doc, any_line=False):
    """What the user sees, compactly: errors as (kind, line), findings as (rule, line)."""
    line = (lambda e: ANY_LINE if e.get("line", 0) > 0 else 0) if any_line else (lambda e: e.get("line", 0))
    return [("error", e["kind"], line(e)) for e in doc["errors"]] + [
        (f["rule"], f["line"]) for f in doc["findings"]
    ]


# --- the fixture files -----------------------------------------------------------------------------

# file -> (exit code, what JSON reports, a line the text report shows)
ODD_FILES = {
    # A Python 2 print statement is a syntax error, reported on its own line with CPython's message.
    "py2_syntax.py": (1, [("error", "syntax", ANY_LINE)], ": error[syntax]: syntax error: "),
    "syntax_error.py": (1, [("error", "syntax", ANY_LINE)], ": error[syntax]: syntax error: "),
    # PEP 263 cookies are honoured: the file is analysed and its excerpt decoded correctly.
    "latin1_cookie.py": (1, [("IDEM001", 8)], "8 |     charge_card(body)  # d\u00e9bit"),
    "cp1252_cookie.py": (1, [("IDEM001", 8)], "ack-without-dedup"),
    # A cookie that lies (utf-8, but latin-1 bytes) or names no codec: a decode error, not a crash.
    "wrong_cookie.py": (1, [("error", "decode", 0)], "wrong_cookie.py: error[decode]: cannot decode source: 'utf-8' codec"),
    "unknown_cookie.py": (1, [("error", "decode", 0)], "error[decode]: cannot decode source: unknown encoding: klingon"),
    # A UTF-8 BOM does not shift lines or columns.
    "utf8_bom.py": (1, [("IDEM001", 5)], "utf8_bom.py:5:5: IDEM001"),
    "undecodable.py": (1, [("error", "decode", 0)], "undecodable.py: error[decode]: cannot decode source:"),
    "nul_bytes.py": (1, [("error", "decode", 0)], "nul_bytes.py: error[decode]: source contains NUL bytes"),
    "empty.py": (0, [], "No findings in 1 file checked."),
    # Every line ending Python accepts gives the same line numbers.
    "crlf.py": (1, [("IDEM001", 5)], "crlf.py:5:5: IDEM001"),
    "lone_cr.py": (1, [("IDEM001", 5)], "lone_cr.py:5:5: IDEM001"),
    "formfeed_tabs.py": (1, [("IDEM001", 5)], "5 |     charge_card(body)   # tab"),
    "non_ascii_identifiers.py": (1, [("IDEM001", 6)], "`\u043e\u0431\u0440\u0430\u0431\u043e\u0442\u0430\u0442\u044c` hands the message"),
}


def test_every_robustness_fixture_is_covered():
    on_disk = {p.name for p in ROBUSTNESS.glob("*.py")}
    assert on_disk == set(ODD_FILES) | {"never_execute.py", "terminal_hostile.py"}


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_file(here, name):
    expected_code, expected_seen, text_line = ODD_FILES[name]
    shutil.copy(ROBUSTNESS / name, here / name)
    code, doc = check_json(name)
    assert (code, seen(doc, any_line=True)) == (expected_code, expected_seen)
    code, text = check(name)
    assert code == expected_code
    assert text_line in text


def test_odd_files_together_do_not_stop_the_run(here):
    for name in ODD_FILES:
        shutil.copy(ROBUSTNESS / name, here / name)
    code, doc = check_json(".")
    assert code == 1 and doc["summary"]["files"] == len(ODD_FILES)
    assert {e["kind"] for e in doc["errors"]} == {"syntax", "decode"}  # no "internal"


def test_syntax_error_in_a_file_without_broker_code_is_not_reported(here):
    # The prefilter skips files that mention no broker API: they count as checked and clean.
    (here / "py2.py").write_text("print 'hello'\n")
    assert check("py2.py") == (0, "No findings in 1 file checked.\n")


def test_syntax_error_line_is_the_offending_line(here):
    shutil.copy(ROBUSTNESS / "py2_syntax.py", here / "w.py")  # `print 'charging', body` on line 3
    _, doc = check_json("w.py")
    assert doc["errors"][0]["line"] == 3


def test_tab_indented_finding_column(here):
    (here / "w.py").write_text("import pika\n\ndef on_message(ch, method, properties, body):\n\tcharge_card(body)\n"
                               "\tch.basic_ack(delivery_tag=method.delivery_tag)\n")
    _, doc = check_json("w.py")
    assert [(f["line"], f["column"]) for f in doc["findings"]] == [(4, 2)]


# --- generated: big and deep -----------------------------------------------------------------------


def test_20_mb_file_is_skipped_with_a_reason(here):
    (here / "big.py").write_bytes(b"import pika\n" + b"# padding padding padding\n" * 800_000)
    assert (here / "big.py").stat().st_size > 20_000_000
    code, doc = check_json("big.py")
    assert code == 1
    assert seen(doc) == [("error", "skipped", 0)]
    assert doc["errors"][0]["message"] == "file is larger than max-file-size (10485760 bytes); not checked"
    _, text = check("big.py")
    assert "big.py: error[skipped]: file is larger than max-file-size (10485760 bytes); not checked" in text


def test_20_mb_file_under_a_raised_limit_is_read(here):
    # Without broker code it stops at the prefilter: read, counted and clean, in well under a second.
    (here / "big.py").write_bytes(b"x = 1  # padding padding padding padding\n" * 500_000)
    (here / "pyproject.toml").write_text("[tool.idemlint]\nmax-file-size = 30000000\n")
    assert check("big.py") == (0, "No findings in 1 file checked.\n")


def test_100_000_line_file(here):
    (here / "long.py").write_text("import pika\n" + "# a comment line\n" * 100_000 + HANDLER)
    code, doc = check_json("long.py")
    assert (code, seen(doc)) == (1, [("IDEM001", 100_003)])


DEEP_PARENS = "X = " + "(" * 1000 + "1" + ")" * 1000 + "\n"
LONG_CHAIN = "Y = " + " + ".join(["a"] * 1000) + "\n"


def test_expression_nested_1000_deep(here):
    (here / "deep.py").write_text(CONSUMER + DEEP_PARENS)
    code, doc = check_json("deep.py")
    assert (code, seen(doc)) == (1, [("IDEM001", 5)])
    (here / "deep.py").write_text(CONSUMER + LONG_CHAIN)
    code, doc = check_json("deep.py")
    assert (code, seen(doc)) == (1, [("IDEM001", 5)])


def test_too_deep_for_the_analysis_is_at_worst_a_skipped_file(here):
    # Today the positions pass runs out of recursion: `error[skipped]: too deeply nested to analyse`.
    # The finding itself: never an internal error or a crash.
    (here / "deep.py").write_text(CONSUMER + DEEP_PARENS + LONG_CHAIN)
    code, doc = check_json("deep.py")
    assert (code, seen(doc)) in ((1, [("error", "skipped", 0)]), (1, [("IDEM001", 5)]))
    _, text = check("deep.py")
    assert "deep.py: error[skipped]: too deeply nested to analyse" in text or "deep.py:5:5: IDEM001" in text


def test_deep_expression_elsewhere_keeps_the_findings(here):
    (here / "deep.py").write_text(CONSUMER + DEEP_PARENS + LONG_CHAIN)
    _, doc = check_json("deep.py")
    assert seen(doc) == [("IDEM001", 5)]


def test_indentation_100_deep_is_a_syntax_error(here):
    body = "".join("    " * i + "if x:\n" for i in range(100)) + "    " * 100 + "pass\n"
    (here / "deep.py").write_text(CONSUMER + body)
    _, doc = check_json("deep.py")
    assert [e["kind"] for e in doc["errors"]] == ["syntax"]
    assert "indentation" in doc["errors"][0]["message"]


def _run_subprocess(tmp_path, source: str, timeout: float = 60):
    (tmp_path / "deep.py").write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "idemlint", "check", "--no-color", "deep.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
    )


def test_a_crashing_file_in_a_worker_pool_is_an_internal_error(tmp_path):
    # 3,000 nested parentheses are analysed on the large-stack thread; had a worker died anyway,
    # the file would be reported as an internal error while the others are still checked.
    for i in range(9):
        (tmp_path / f"w{i}.py").write_text(CONSUMER)
    (tmp_path / "deep.py").write_text(CONSUMER + "X = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "idemlint", "check", "--format", "json", "--jobs", "2", "--no-cache", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    errors = [(e["path"], e["kind"]) for e in doc["errors"]]
    assert errors in ([("deep.py", "internal")], []), errors
    if errors:
        assert doc["errors"][0]["message"] == (
            "internal error: the worker process died while analysing this file (please report this)")
    assert len(doc["findings"]) == 10 - len(errors)


def test_expression_nested_2000_deep_is_analysed_in_process(tmp_path):
    proc = _run_subprocess(tmp_path, CONSUMER + "X = " + "(" * 2000 + "1" + ")" * 2000 + "\n")
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
    assert "deep.py:5:5: IDEM001" in proc.stdout


def test_brackets_beyond_the_guard_are_a_skipped_file(tmp_path):
    proc = _run_subprocess(tmp_path, CONSUMER + "X = " + "(" * 3100 + "1" + ")" * 3100 + "\n")
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
    assert "deep.py: error[skipped]: brackets nested more than 3000 deep; not analysed" in proc.stdout


# --- paths -----------------------------------------------------------------------------------------


def test_directory_named_like_a_python_file_is_walked(here):
    (here / "pkg" / "x.py").mkdir(parents=True)
    (here / "pkg" / "x.py" / "inner.py").write_text(CONSUMER)
    _, doc = check_json("pkg")
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("pkg/x.py/inner.py", 5)]
    assert doc["errors"] == []
    _, doc = check_json("pkg/x.py")  # named on the command line: walked too
    assert [f["path"] for f in doc["findings"]] == ["pkg/x.py/inner.py"]


def test_broken_symlink(here):
    os.symlink(here / "missing.py", here / "dangling.py")
    code, doc = check_json("dangling.py")  # named: a read error
    assert (code, seen(doc)) == (1, [("error", "read", 0)])
    assert doc["errors"][0]["message"] == "cannot read file: No such file or directory"
    (here / "ok.py").write_text("x = 1\n")
    assert check(".") == (0, "No findings in 1 file checked.\n")  # walked: skipped


def test_symlink_loops(here):
    os.symlink(here / "b.py", here / "a.py")
    os.symlink(here / "a.py", here / "b.py")
    (here / "sub").mkdir()
    os.symlink(here / "sub", here / "sub" / "loop")  # a directory loop: never followed
    (here / "sub" / "w.py").write_text(CONSUMER)
    code, doc = check_json("a.py")
    assert (code, seen(doc)) == (1, [("error", "read", 0)])
    assert doc["errors"][0]["message"] == "cannot read file: Too many levels of symbolic links"
    code, doc = check_json(".")
    assert (code, seen(doc)) == (1, [("IDEM001", 5)])
    assert doc["summary"]["files"] == 1


def test_file_without_read_permission(here, monkeypatch):
    (here / "secret.py").write_text(CONSUMER)
    if os.geteuid() == 0:
        # root reads anything: make open() refuse, as it would for anyone else.
        real_open = builtins.open

        def refusing_open(file, *args, **kwargs):
            if str(file).endswith("secret.py"):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)
    else:
        os.chmod(here / "secret.py", 0)
    code, doc = check_json("secret.py")
    assert (code, seen(doc)) == (1, [("error", "read", 0)])
    assert doc["errors"][0]["message"] == "cannot read file: Permission denied"


def test_paths_with_spaces_unicode_and_newlines(here):
    names = ["my dir/w\u00f6rker \u00fcn\u00ef.py", "new\nline.py", "\u6d88\u8d39\u8005.py"]
    for name in names:
        (here / name).parent.mkdir(exist_ok=True)
        (here / name).write_text(CONSUMER)
    code, doc = check_json(".")
    assert code == 1
    assert sorted(f["path"] for f in doc["findings"]) == sorted(names)  # JSON: exactly as on disk
    _, text = check(".")
    assert "new\\x0aline.py:5:5: IDEM001" in text  # text: the newline shown, not obeyed
    assert "my dir/w\u00f6rker \u00fcn\u00ef.py:5:5: IDEM001" in text
    code, doc = check_json(*names)  # named one by one
    assert len(doc["findings"]) == 3


def test_ten_thousand_file_names_at_once(here):
    names = []
    for i in range(10_000):
        name = f"m{i // 1000}/f{i}.py"
        if i % 1000 == 0:
            (here / name).parent.mkdir()
        (here / name).write_text(CONSUMER if i % 2500 == 0 else f"VALUE = {i}\n")
        names.append(name)
    code, doc = check_json(*names)
    assert code == 1
    assert doc["summary"]["files"] == 10_000
    assert [f["path"] for f in doc["findings"]] == ["m0/f0.py", "m2/f2500.py", "m5/f5000.py", "m7/f7500.py"]


# --- never execute the scanned code ----------------------------------------------------------------


def test_scanned_code_is_never_imported_or_run(tmp_path):
    source = (ROBUSTNESS / "never_execute.py").read_text()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("never_execute.py", "setup.py", "conftest.py", "__init__.py", "__main__.py"):
        (pkg / name).write_text(source)
    proc = subprocess.run(
        [sys.executable, "-m", "idemlint", "check", "--format", "json", "--include-tests", "pkg", "pkg/never_execute.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # the findings, not os._exit(42) / sys.exit(43)
    doc = json.loads(proc.stdout)
    assert len(doc["findings"]) == 5 and doc["errors"] == []
    assert sorted(p.name for p in pkg.iterdir()) == ["__init__.py", "__main__.py", "conftest.py", "never_execute.py",
                                                      "setup.py"]
    assert not list(tmp_path.rglob("EXECUTED*"))


FORBIDDEN = re.compile(
    r"(?<![.\w])(eval|exec|compile|__import__)\(|runpy|import_module|exec_module|"
    r"^\s*(import|from)\s+(socket|urllib(?!\.parse)|http|requests|httpx|ftplib|smtplib|importlib\.(?!resources|util))"
)


# The one `compile()`: `codewords` reads the names CPython's compiler records in the code objects
# (the engine's cheap first pass); the code objects are only read, never run (no exec/eval anywhere).
# The one `exec_module`: `lazyimport` defers loading libcst, our own dependency, found by name on
# sys.path (`importlib.util.LazyLoader`), never anything scanned.
ALLOWED = {
    ("src/idemlint/codewords.py", 'code = compile(source, "<idemlint>", "exec", dont_inherit=True)'),
    ("src/idemlint/lazyimport.py", "loader.exec_module(module)"),
    # `records` writes the methods of idemlint's own record classes (`__init__`, `__eq__`, ...) from
    # their field names and compiles them, as `dataclasses` does: no text of a scanned file is in it
    ("src/idemlint/records.py", "exec(self.source, self.env, namespace)  # noqa: S102 - source written by `_make` from the field names"),
}


def test_idemlint_source_has_no_way_to_run_or_fetch_code():
    """Nothing in the package evaluates or imports scanned code, or opens a connection; the one
    `compile()` (see ALLOWED) makes code objects that are only read."""
    offenders = []
    allowed = 0
    for path in sorted((REPO / "src" / "idemlint").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = FORBIDDEN.search(line.split("#", 1)[0])
            if match and (str(path.relative_to(REPO)), line.strip()) in ALLOWED:
                allowed += 1
            elif match:
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
    assert allowed == len(ALLOWED)


# --- internal errors ---------------------------------------------------------------------------------


def test_internal_error_names_the_rule_and_asks_for_a_report(here, monkeypatch):
    from idemlint.rules import ack_without_dedup

    def broken_confidence(*args):
        raise ValueError("rule bug")

    monkeypatch.setattr(ack_without_dedup, "confidence", broken_confidence)  # called from the rule's own frame
    (here / "w.py").write_text(CONSUMER)
    (here / "ok.py").write_text("import pika\n")
    code, doc = check_json("--jobs", "1", "w.py", "ok.py")
    assert code == 1 and doc["summary"]["files"] == 2
    assert doc["errors"] == [{
        "kind": "internal", "path": "w.py",
        "message": "internal error in rule IDEM001 (ack-without-dedup): ValueError: rule bug (please report this)",
    }]
    _, text = check("--jobs", "1", "w.py")
    assert "w.py: error[internal]: internal error in rule IDEM001 (ack-without-dedup): ValueError: rule bug" in text
    assert "Traceback" not in text
    result = CliRunner().invoke(main, ["check", "--no-color", "--verbose", "--jobs", "1", "w.py"])
    assert "Traceback (most recent call last)" in result.stdout and "broken_confidence" in result.stdout


def test_internal_error_in_a_detector_names_it(here, monkeypatch):
    from idemlint.detect import pika as pika_detector

    def broken(*args, **kwargs):
        raise KeyError("detector bug")

    monkeypatch.setattr(pika_detector, "kwarg", broken)  # called from the adapter's own frame
    (here / "w.py").write_text(CONSUMER + "\n\nchannel.basic_consume(queue='q', on_message_callback=on_message)\n")
    _, doc = check_json("--jobs", "1", "w.py")
    (error,) = doc["errors"]
    assert error["kind"] == "internal"
    assert error["message"].startswith("internal error in detector pika: KeyError: 'detector bug'")
