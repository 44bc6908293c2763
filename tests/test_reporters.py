"""Reporters: the JSON document's schema, and text output that is exact and terminal-safe."""

from __future__ import annotations

import io
import json
import re

import jsonschema
import pytest

from idemlint import __version__
from idemlint.findings import Confidence, FileError, Finding, Related, RunResult
from idemlint.report import json as json_report
from idemlint.report import text as text_report
from idemlint.report.text import TextOptions, visible

CONF = {"type": "string", "enum": ["high", "medium", "low"]}
POSITIVE = {"type": "integer", "minimum": 0}
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version", "version", "findings", "errors", "unused_ignores", "summary"],
    "properties": {
        "schema_version": {"const": 1},
        "version": {"type": "string"},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "path", "line", "column", "end_line", "end_column", "rule", "name", "confidence",
                    "message", "hint", "symbol", "related", "evidence", "trace", "fingerprint",
                ],
                "properties": {
                    "path": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "end_column": {"type": "integer", "minimum": 1},
                    "rule": {"type": "string", "pattern": "^IDEM[0-9]{3}$"},
                    "name": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
                    "confidence": CONF,
                    "message": {"type": "string"},
                    "hint": {"type": "string"},
                    "symbol": {"type": "string"},
                    "related": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["line", "column", "message"],
                            "properties": {"line": POSITIVE, "column": POSITIVE, "message": {"type": "string"}},
                        },
                    },
                    "evidence": {"type": "array", "items": {"type": "string"}},
                    "trace": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["kind", "line", "column", "message"],
                            "properties": {
                                "kind": {"type": "string", "pattern": "^[a-z][a-z-]*$"},
                                "line": {"type": "integer", "minimum": 0},
                                "column": {"type": "integer", "minimum": 0},
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                },
            },
        },
        "unused_ignores": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "line", "column", "comment", "codes", "unknown", "message"],
                "properties": {
                    "path": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "comment": {"type": "string"},
                    "codes": {"type": "array", "items": {"type": "string", "pattern": "^(IDEM[0-9]{3}|[*])$"}},
                    "unknown": {"type": "array", "items": {"type": "string"}},
                    "message": {"type": "string"},
                },
            },
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "kind", "message"],
                "properties": {
                    "path": {"type": "string"},
                    "kind": {"enum": ["read", "decode", "syntax", "skipped", "internal"]},
                    "message": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                    "traceback": {"type": "string"},
                },
            },
        },
        "summary": {
            "type": "object",
            "additionalProperties": False,
            "required": ["files", "parsed", "findings", "suppressed", "errors", "unused_ignores", "by_rule", "skipped"],
            "properties": {
                "unused_ignores": POSITIVE,
                "skipped": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["test", "example"],
                    "properties": {"test": POSITIVE, "example": POSITIVE},
                },
                "baseline": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["path", "matched", "fixed", "fixed_entries"],
                    "properties": {
                        "path": {"type": "string"},
                        "matched": POSITIVE,
                        "fixed": POSITIVE,
                        "fixed_entries": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "files": POSITIVE,
                "parsed": POSITIVE,
                "findings": POSITIVE,
                "suppressed": POSITIVE,
                "errors": POSITIVE,
                "by_rule": {
                    "type": "object",
                    "propertyNames": {"pattern": "^IDEM[0-9]{3}$"},
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["high", "medium", "low"],
                        "properties": {"high": POSITIVE, "medium": POSITIVE, "low": POSITIVE},
                    },
                },
            },
        },
    },
}


def make_finding(path="app/worker.py", line=2, column=5, end_column=17, rule="IDEM001", name="ack-without-dedup",
                 confidence=Confidence.HIGH, message="`charge()` runs before any dedup check in `handle`", **kw):
    return Finding(
        path=path, line=line, column=column, end_line=line, end_column=end_column, rule=rule, name=name,
        confidence=confidence, message=message, hint=kw.pop("hint", "check the message id first"),
        symbol="handle", **kw,
    )


def sample_result():
    return RunResult(
        files=3,
        parsed=2,
        findings=[
            make_finding(related=(Related(3, 5, "acked here"),), evidence=("`pika` imported",)),
            make_finding(line=3, column=5, end_column=30, rule="IDEM003", name="message-without-id",
                         confidence=Confidence.LOW, message="`basic_publish()` sends no message id"),
        ],
        errors=[FileError("broken.py", "invalid syntax", kind="syntax", line=4)],
        suppressed=1,
    )


SOURCE = "def handle(ch, body):\n    charge(body)\n    ch.basic_publish('', 'q', body)\n"


def render_text(result, sources=None, **options):
    buffer = io.StringIO()
    text_report.render(result, TextOptions(color=False, width=80, **options), buffer, sources=sources)
    return buffer.getvalue()


# --- JSON ----------------------------------------------------------------------------------------


def test_json_document_matches_schema():
    buffer = io.StringIO()
    json_report.render(sample_result(), None, buffer)
    doc = json.loads(buffer.getvalue())
    jsonschema.validate(doc, SCHEMA)
    assert doc["version"] == __version__
    assert doc["summary"] == {
        "files": 3, "parsed": 2, "findings": 2, "suppressed": 1, "errors": 1, "unused_ignores": 0,
        "by_rule": {"IDEM001": {"high": 1, "medium": 0, "low": 0}, "IDEM003": {"high": 0, "medium": 0, "low": 1}},
        "skipped": {"test": 0, "example": 0},
    }
    assert doc["errors"] == [{"kind": "syntax", "line": 4, "message": "invalid syntax", "path": "broken.py"}]
    assert doc["findings"][0]["related"] == [{"line": 3, "column": 5, "message": "acked here"}]


def test_json_keys_are_sorted_and_ascii():
    buffer = io.StringIO()
    json_report.render(RunResult(findings=[make_finding(message="caf\u00e9 \u202e")]), None, buffer)
    out = buffer.getvalue()
    assert out.isascii()
    assert list(json.loads(out)) == sorted(json.loads(out))
    assert json.loads(out)["findings"][0]["message"] == "caf\u00e9 \u202e"


def test_json_schema_rejects_a_missing_field():
    doc = json_report.to_document(sample_result())
    del doc["summary"]["parsed"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


# --- text ----------------------------------------------------------------------------------------


EXPECTED = """\
app/worker.py
app/worker.py:2:5: IDEM001 ack-without-dedup [high]
  `charge()` runs before any dedup check in `handle`
  1 | def handle(ch, body):
  2 |     charge(body)
    |     ^^^^^^^^^^^^
  note: line 3:5: acked here
  hint: check the message id first

app/worker.py:3:5: IDEM003 message-without-id [low]
  `basic_publish()` sends no message id
  2 |     charge(body)
  3 |     ch.basic_publish('', 'q', body)
    |     ^^^^^^^^^^^^^^^^^^^^^^^^^
  hint: check the message id first

broken.py
broken.py:4: error[syntax]: invalid syntax

Summary by rule:
  IDEM001 ack-without-dedup     1 high    0 medium    0 low
  IDEM003 message-without-id    0 high    0 medium    1 low
Found 2 findings (1 high, 1 low) and 1 file with errors in 3 files checked; 1 suppressed.
"""


def test_text_output_is_exact_without_color():
    assert render_text(sample_result(), sources={"app/worker.py": SOURCE}) == EXPECTED


def test_text_output_with_color_has_styles_and_same_text(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    buffer = io.StringIO()
    text_report.render(sample_result(), TextOptions(color=True, width=80), buffer, sources={"app/worker.py": SOURCE})
    out = buffer.getvalue()
    assert "\x1b[" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == EXPECTED


def test_quiet_text():
    assert render_text(sample_result(), quiet=True) == (
        "Found 2 findings (1 high, 1 low) and 1 file with errors in 3 files checked; 1 suppressed.\n"
    )
    assert render_text(RunResult(files=4), quiet=True) == ""
    assert render_text(RunResult(files=4)) == "No findings in 4 files checked.\n"
    assert render_text(RunResult(files=1)) == "No findings in 1 file checked.\n"


def test_source_markup_and_escapes_are_shown_literally():
    hostile = 'def handle(m):\n    x = "[bold red]boom[/] \x1b[2J\x07 \u202eevil\u2066 :smile:"; charge(m)\n'
    column = hostile.split("\n")[1].index("charge(m)") + 1
    finding = make_finding(line=2, column=column, end_column=column + 9, message="in `[red]handle[/red]` \x1b]0;title\x07")
    out = render_text(RunResult(files=1, findings=[finding]), sources={"app/worker.py": hostile})
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\u2066" not in out
    assert '"[bold red]boom[/] \\x1b[2J\\x07 \\u202eevil\\u2066 :smile:"' in out
    assert "in `[red]handle[/red]` \\x1b]0;title\\x07" in out
    lines = out.splitlines()
    source_row = next(line for line in lines if "charge(m)" in line)
    caret_row = lines[lines.index(source_row) + 1]
    # The caret sits under `charge(m)` even though escapes widened the line.
    assert source_row[caret_row.index("^"):].startswith("charge(m)")
    assert caret_row.count("^") == len("charge(m)")


def test_tabs_and_wide_characters_keep_the_caret_aligned():
    source = "def handle(m):\n\tx = '\u5bbf\u984c'; charge(m)\n"
    column = source.splitlines()[1].index("charge") + 1
    finding = make_finding(line=2, column=column, end_column=column + 9)
    out = render_text(RunResult(files=1, findings=[finding]), sources={"app/worker.py": source})
    lines = out.splitlines()
    source_row = next(line for line in lines if "charge(m)" in line)
    caret_row = lines[lines.index(source_row) + 1]
    from rich.cells import cell_len

    assert cell_len(source_row[: source_row.index("charge")]) == caret_row.index("^")


def test_missing_source_and_out_of_range_lines_do_not_crash(tmp_path):
    finding = make_finding(path=str(tmp_path / "gone.py"), line=99)
    out = render_text(RunResult(files=1, findings=[finding]))
    assert "gone.py:99:5" in out and "|" not in out


def test_paths_with_control_characters_are_escaped():
    finding = make_finding(path="evil\x1b[31m.py")
    out = render_text(RunResult(files=1, findings=[finding]), sources={"evil\x1b[31m.py": SOURCE})
    assert "\x1b" not in out and "evil\\x1b[31m.py:2:5" in out


def test_verbose_text_shows_evidence_and_traceback():
    result = RunResult(
        files=2,
        findings=[make_finding(evidence=("`pika` imported",))],
        errors=[FileError("x.py", "internal error: KeyError: 'a' (please report this)", kind="internal",
                          traceback="Traceback (most recent call last):\nKeyError: 'a'\n")],
    )
    out = render_text(result, sources={"app/worker.py": SOURCE}, verbose=True)
    assert "  evidence: `pika` imported" in out
    assert "    KeyError: 'a'" in out
    assert "evidence" not in render_text(result, sources={"app/worker.py": SOURCE})


@pytest.mark.parametrize(
    "raw, shown",
    [("a\tb", "a\tb"), ("\x00", "\\x00"), ("\x7f", "\\x7f"), ("\u200b", "\\u200b"), ("\u2028", "\\u2028"),
     ("\U000e0001", "\\U000e0001"), ("caf\u00e9", "caf\u00e9")],
)
def test_visible(raw, shown):
    assert visible(raw) == shown
