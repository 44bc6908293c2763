"""`check --format markdown` and `consumers --format markdown`: structure, links and escaping.

The demo project's Markdown is pinned by golden files (fixtures/golden/demo.md, demo.consumers.md).
"""

from __future__ import annotations

import re

from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint.cli import main
from idemlint.findings import Confidence, FileError, Finding, RunResult
from idemlint.pages import rule_url
from idemlint.report.markdown import check_lines, code, text


def finding(path="app/w.py", line=3, rule="IDEM001", name="ack-without-dedup", conf=Confidence.HIGH,
            symbol="on_message", message="`charge()` runs before any dedup check"):
    return Finding(path=path, line=line, column=5, end_line=line, end_column=20, rule=rule, name=name,
                   confidence=conf, message=message, hint="", symbol=symbol)


def test_counts_by_rule_and_confidence_then_findings_grouped_by_consumer():
    result = RunResult(files=4, findings=[
        finding(line=3), finding(line=9, rule="IDEM003", name="message-without-id", conf=Confidence.LOW),
        finding(path="app/x.py", line=5, conf=Confidence.MEDIUM, symbol="handle"),
    ])
    docs = "https://example.com/idemlint/rules"
    lines = check_lines(result, docs)
    assert lines[0] == "### idemlint: Found 3 findings (1 high, 1 medium, 1 low) in 4 files checked."
    url = rule_url("ack-without-dedup", "IDEM001", docs)
    assert url == "https://example.com/idemlint/rules/ack-without-dedup.md"
    assert f"| [IDEM001 ack-without-dedup]({url}) | 1 | 1 | 0 | 2 |" in lines
    assert "| **Total** | **1** | **1** | **1** | **3** |" in lines
    headings = [line for line in lines if line.startswith("#### ")]
    assert headings == ["#### `on_message` in `app/w.py`", "#### `handle` in `app/x.py`"]
    first = lines.index(headings[0])
    assert lines[first + 4].startswith(f"| 3 | [IDEM001]({url}) | high | `charge()` runs")
    assert lines[first + 5].startswith("| 9 | [IDEM003](")
    assert not any("idemlint explain" in line for line in lines)


def test_without_docs_url_codes_are_plain_and_the_report_says_how_to_read_a_page():
    lines = check_lines(RunResult(files=1, findings=[finding(rule="IDEM003", name="message-without-id"), finding()]))
    assert "| IDEM001 ack-without-dedup | 1 | 0 | 0 | 1 |" in lines
    assert not any("](" in line for line in lines)
    assert "Read a rule's page with `idemlint explain CODE` (for example `idemlint explain IDEM001`)." in lines
    assert not any("explain" in line for line in check_lines(RunResult(files=1)))  # nothing to explain


def test_every_table_row_has_as_many_cells_as_its_header():
    result = RunResult(files=2, findings=[finding(message="a | b `c | d` [x](javascript:alert(1)) <img src=x>")],
                       errors=[FileError("bad|name.py", "syntax error: invalid syntax", line=2)])
    rows = [line for line in check_lines(result) if line.startswith("|")]
    widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
    assert len({w for w in widths}) <= 3  # the rule table (6 pipes), findings (5), errors (5)
    for row in rows:
        assert not re.search(r"(?<!\\)<img", row) and not re.search(r"(?<!\\)\]\(javascript", row)


def test_escaping_keeps_code_spans_and_neutralises_the_rest():
    assert text("`a|b` and c|d") == "`a\\|b` and c\\|d"
    assert text("[link](http://x) <b>*bold*</b>") == "\\[link\\](http://x) \\<b\\>\\*bold\\*\\</b\\>"
    assert text("odd ` backtick") == "odd \\` backtick"
    # the visible escape's backslash is itself escaped, so the page shows `\x1b[2J`
    assert text("line\nbreak\x1b[2J") == "line break\\\\x1b\\[2J"
    assert code("we`ird|path.py") == "`we'ird\\|path.py`"


def test_a_clean_run_is_one_line():
    assert check_lines(RunResult(files=3)) == ["### idemlint: No findings in 3 files checked.", ""]


def test_errors_and_unused_suppressions_get_their_own_tables(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("FAKE-SYNTAX\n")
    (tmp_path / "ok.py").write_text("x = 1  # idemlint: ignore[IDEM001]\n")
    result = CliRunner().invoke(main, ["check", "--format", "markdown", "--warn-unused-ignores", "--no-cache"])
    assert result.exit_code == 1
    assert "#### Files that could not be checked" in result.stdout
    assert "| `broken.py` | 2 | syntax | invalid syntax (fake) |" in result.stdout
    assert "#### Unused suppressions" in result.stdout


def test_output_file_gets_markdown_and_the_terminal_text(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text("def on_message(m):\n    charge(m)  # FAKE: IDEM001 high\n")
    result = CliRunner().invoke(main, ["check", "--format", "markdown", "-o", "summary.md", "--no-cache", "--no-color"])
    assert result.exit_code == 1
    written = (tmp_path / "summary.md").read_text()
    assert written.startswith("### idemlint: Found 1 finding (1 high) in 1 file checked.\n")
    assert "#### `handler` in `w.py`" in written  # the fake engine's symbol
    assert "w.py:2:5: IDEM001 ack-without-dedup [high]" in result.stdout
