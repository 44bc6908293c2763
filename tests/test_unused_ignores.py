"""`--warn-unused-ignores` / `warn-unused-ignores = true`: suppression comments that hide nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli_fakes import fake_analyze, fake_engine  # noqa: F401  (fixture)
from idemlint.cli import main
from idemlint.suppress import unused_ignores

SOURCE = """\
def handle(ch, body):  # idemlint: ignore[IDEM002] scope-level, used
    charge(body)  # FAKE: IDEM001 high  # idemlint: ignore[IDEM001] used
    refund(body)  # idemlint: ignore[IDEM001] nothing here
    mail(body)  # FAKE: IDEM003 low  # idemlint: ignore[IDEM001, IDEM003] IDEM001 is stale
    post(body)  # noqa: E501, IDEM003
    log(body)  # noqa: E501
    text = "# idemlint: ignore[IDEM001] inside a string is not a comment"
    send(body)  # FAKE: IDEM002 medium  # idemlint: ignore
    other(body)  # idemlint: ignore
    typo(body)  # idemlint: ignore[IDEM01, ack-without-dedup]
"""


def unused_of(source: str):
    raw = fake_analyze(source.encode(), "w.py")
    return [(u.line, u.codes, u.unknown) for u in unused_ignores(raw, source.encode(), "w.py")]


def test_unused_ignores_in_detail():
    assert unused_of(SOURCE) == [
        (3, ("IDEM001",), ()),
        (4, ("IDEM001",), ()),
        (5, ("IDEM003",), ()),  # E501 belongs to another linter: never reported
        (9, ("*",), ()),
        (10, ("IDEM001",), ("IDEM01",)),
    ]


def test_a_def_line_comment_is_used_by_a_finding_in_its_handler():
    source = "def handle(ch, body):  # idemlint: ignore[IDEM001]\n    charge(body)  # FAKE: IDEM001 high\n"
    assert unused_of(source) == []
    assert unused_of(source.replace("IDEM001 high", "IDEM003 high")) == [(1, ("IDEM001",), ())]


@pytest.fixture
def project(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text(SOURCE)
    (tmp_path / "plain.py").write_text("x = 1  # idemlint: ignore[IDEM001]\n")  # fails the prefilter
    return tmp_path


def run_json(*args):
    result = CliRunner().invoke(main, ["check", "--format", "json", *args], catch_exceptions=False)
    return result, json.loads(result.stdout)


def test_off_by_default(project):
    result, doc = run_json()
    assert doc["unused_ignores"] == [] and doc["summary"]["unused_ignores"] == 0
    assert result.exit_code == 0  # every finding in w.py is suppressed
    assert doc["findings"] == [] and doc["summary"]["suppressed"] == 3


def test_flag_reports_them_and_exits_1(project):
    result, doc = run_json("--warn-unused-ignores")
    assert result.exit_code == 1
    assert [(u["path"], u["line"]) for u in doc["unused_ignores"]] == [
        ("plain.py", 1), ("w.py", 3), ("w.py", 4), ("w.py", 5), ("w.py", 9), ("w.py", 10),
    ]
    first = doc["unused_ignores"][1]
    assert first == {
        "path": "w.py", "line": 3, "column": 19, "comment": "# idemlint: ignore[IDEM001] nothing here",
        "codes": ["IDEM001"], "unknown": [], "message": "unused suppression for IDEM001: no such finding on this line",
    }
    assert doc["summary"]["unused_ignores"] == 6
    assert run_json("--warn-unused-ignores", "--exit-zero")[0].exit_code == 0


def test_config_key_and_cli_override(project):
    (project / "pyproject.toml").write_text("[tool.idemlint]\nwarn-unused-ignores = true\n")
    assert len(run_json()[1]["unused_ignores"]) == 6
    assert run_json("--no-warn-unused-ignores")[1]["unused_ignores"] == []
    (project / "pyproject.toml").write_text("[tool.idemlint]\nwarn-unused-ignores = 'yes'\n")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2 and "warn-unused-ignores" in result.output


def test_usage_does_not_depend_on_select_or_confidence(project):
    # The IDEM003 ignore on line 4 hides a low finding; filtering it away must not make it "unused".
    _, doc = run_json("--warn-unused-ignores", "--min-confidence", "high", "--select", "IDEM002")
    assert [u["line"] for u in doc["unused_ignores"] if u["path"] == "w.py"] == [3, 4, 5, 9, 10]
    assert [u["codes"] for u in doc["unused_ignores"] if u["line"] == 4] == [["IDEM001"]]


def test_text_output(project):
    result = CliRunner().invoke(main, ["check", "--warn-unused-ignores", "--no-color", "w.py"])
    out = result.stdout
    assert "w.py:3:19: warning[unused-ignore]: unused suppression for IDEM001: no such finding on this line\n" in out
    assert "w.py:9:18: warning[unused-ignore]: suppression comment hides no finding\n" in out
    assert "unknown rule `IDEM01`" in out
    assert out.rstrip().endswith("Found 5 unused suppressions in 1 file checked; 3 suppressed.")


def test_github_and_sarif_include_them(project):
    out = CliRunner().invoke(main, ["check", "--warn-unused-ignores", "--format", "github", "plain.py"]).stdout
    assert out == "::warning file=plain.py,line=1,col=8,title=idemlint unused-ignore::unused suppression for IDEM001: no such finding on this line\n"
