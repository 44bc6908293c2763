"""Terminal safety: text from scanned files never drives the terminal; JSON/SARIF carry it faithfully."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from idemlint.cli import main
from idemlint.escape import one_line, visible
from idemlint.findings import Confidence, FileError, Finding, Related, RunResult, UnusedIgnore
from idemlint.report import github, sarif
from idemlint.report import json as json_report
from idemlint.report import text as text_report

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

ESC_CLEAR = "\x1b[2J"
OSC_TITLE = "\x1b]0;pwned\x07"
OSC_LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\x9b31m"
RLO = "\u202e"  # right-to-left override (Trojan Source)
ISOLATES = "\u2066\u2067\u2068\u2069"
MARKUP = "[bold red]loud[/] [link=https://evil.example]click[/link]"
HOSTILE = f"{MARKUP} {ESC_CLEAR}{OSC_TITLE}{OSC_LINK}{C1_CSI}{RLO}{ISOLATES}\u200b\u2028\r\x7f\x00end"
# What rich itself writes for styles (SGR); anything else starting with ESC would come from the input.
RICH_SGR = re.compile(r"\x1b\[[0-9;]*m")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def test_visible_escapes_controls_bidi_and_format_characters():
    assert visible(ESC_CLEAR) == "\\x1b[2J"
    assert visible(C1_CSI) == "\\x9b31m"
    assert visible(RLO + "abc" + "\u2069") == "\\u202eabc\\u2069"
    assert visible("a\u200bb\u2028c\x7f\x00") == "a\\u200bb\\u2028c\\x7f\\x00"
    assert visible("\tcaf\u00e9 \u6d88\u8d39 \U0001f600 [bold]") == "\tcaf\u00e9 \u6d88\u8d39 \U0001f600 [bold]"
    assert one_line("a\tb\nc") == "a\\x09b\\x0ac"


def finding(text: str) -> Finding:
    return Finding(path=f"app/{text}.py", line=2, column=5, end_line=2, end_column=17, rule="IDEM001",
                   name="ack-without-dedup", confidence=Confidence.HIGH, message=f"`charge()` {text}",
                   hint=f"hint {text}", symbol=f"handle{text}", scope_line=1,
                   related=(Related(3, 5, f"ack {text}"),), evidence=(f"evidence {text}",))


def hostile_result() -> RunResult:
    return RunResult(
        files=3, parsed=2, findings=[finding(HOSTILE)],
        errors=[FileError(f"bad{HOSTILE}.py", f"syntax error: {HOSTILE}", kind="syntax", line=1),
                FileError("crash.py", f"internal error: KeyError: {HOSTILE!r} (please report this)", kind="internal",
                          traceback=f"Traceback (most recent call last):\n  KeyError: {HOSTILE}\n")],
        unused_ignores=[UnusedIgnore(f"app/{HOSTILE}.py", 3, 10, f"# idemlint: ignore[{HOSTILE}]", (), (HOSTILE,))],
    )


SOURCE = f"def handle(ch, method, properties, body):\n    charge(body)  # {HOSTILE}\n    ch.basic_ack(1)\n"


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("verbose", [False, True])
def test_text_report_shows_hostile_text_as_escapes(color, verbose):
    out = io.StringIO()
    options = text_report.TextOptions(color=color, verbose=verbose, width=200)
    text_report.render(hostile_result(), options, out, sources={f"app/{HOSTILE}.py": SOURCE})
    rendered = RICH_SGR.sub("", out.getvalue()) if color else out.getvalue()
    assert "\x1b" not in rendered
    assert not UNSAFE.search(rendered.replace("\n", "")), repr(UNSAFE.search(rendered.replace("\n", "")))
    assert MARKUP in rendered  # rich markup shown literally, not interpreted
    assert "\\x1b[2J\\x1b]0;pwned\\x07" in rendered and "\\x9b31m" in rendered
    assert "\\u202e\\u2066\\u2067\\u2068\\u2069" in rendered
    assert "charge(body)  # [bold red]loud[/]" in rendered  # the excerpt, escaped
    assert ("Traceback (most recent call last)" in rendered) == verbose  # tracebacks only under --verbose


def test_quiet_and_statistics_are_safe_too():
    for options in (text_report.TextOptions(color=False, quiet=True), text_report.TextOptions(color=False, statistics=True)):
        out = io.StringIO()
        text_report.render(hostile_result(), options, out)
        assert not UNSAFE.search(out.getvalue().replace("\n", ""))


def test_json_carries_the_text_faithfully():
    out = io.StringIO()
    json_report.render(hostile_result(), json_report.JsonOptions(str(REPO)), out)
    assert not UNSAFE.search(out.getvalue())  # ensure_ascii: the document itself is plain ASCII
    doc = json.loads(out.getvalue())
    (f,) = doc["findings"]
    assert f["message"] == f"`charge()` {HOSTILE}" and f["hint"] == f"hint {HOSTILE}"
    assert f["path"] == f"app/{HOSTILE}.py" and f["evidence"] == [f"evidence {HOSTILE}"]
    assert doc["errors"][0]["message"] == f"syntax error: {HOSTILE}"


def test_sarif_carries_the_text_faithfully_and_validates():
    out = io.StringIO()
    sarif.render(hostile_result(), sarif.SarifOptions(str(REPO)), out)
    assert not UNSAFE.search(out.getvalue())
    doc = json.loads(out.getvalue())
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    messages = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    assert any(HOSTILE in m for m in messages)


def test_github_annotations_cannot_inject_workflow_commands():
    for line in github.lines(hostile_result(), str(REPO)):
        assert "\n" not in line and "\r" not in line  # one command per line: no `::set-env` smuggling


def test_cli_text_output_of_a_hostile_source_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "fixtures" / "robustness" / "terminal_hostile.py", tmp_path / "w.py")
    for args in ([], ["--verbose"]):
        result = CliRunner().invoke(main, ["check", *args, "w.py"], env={"FORCE_COLOR": "1", "NO_COLOR": ""},
                                    catch_exceptions=False)
        assert result.exit_code == 1
        shown = RICH_SGR.sub("", result.stdout)
        assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown
        assert '"""[bold red]not markup[/] [link=https://evil.example]click[/link] \\x1b[2J\\x1b]0;pwned\\x07"""' in shown
        assert "# \\x1b[31mred\\x1b[0m \\u202e\\u2066evil\\u2069\\u2066 \\x9b1m [bold]b[/bold]" in shown


def test_cli_usage_errors_escape_the_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "nope\x1b[2J.py"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == "idemlint: error: path does not exist: nope\\x1b[2J.py\n"
