"""`--format github`, `--output FILE` and `--statistics`, through the CLI with the fake engine."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint.cli import main
from idemlint.findings import Confidence, FileError, Finding, RunResult
from idemlint.report import github

BAD = """\
import pika


def on_message(ch, method, properties, body):
    charge(body)  # FAKE: IDEM001 high
    publish(body)  # FAKE: IDEM003 low
    ch.basic_ack(delivery_tag=method.delivery_tag)
"""
MEDIUM = "def handler(msg):\n    send_email(msg)  # FAKE: IDEM002 medium\n"


@pytest.fixture
def project(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker.py").write_text(BAD)
    (tmp_path / "app" / "mailer.py").write_text(MEDIUM)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- github ----------------------------------------------------------------------------------------


def test_github_annotations(project):
    result = run("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::warning file=app/mailer.py,line=2,col=5,endColumn=20,title=IDEM002 side-effect-outside-transaction"
        "::`effect()` runs before any dedup check in `handler` (IDEM002) [medium]%0AHint: look the message id up in a processed table first",
        "::error file=app/worker.py,line=5,col=5,endColumn=17,title=IDEM001 ack-without-dedup"
        "::`effect()` runs before any dedup check in `handler` (IDEM001) [high]%0AHint: look the message id up in a processed table first",
        "::notice file=app/worker.py,line=6,col=5,endColumn=18,title=IDEM003 message-without-id"
        "::`effect()` runs before any dedup check in `handler` (IDEM003) [low]%0AHint: look the message id up in a processed table first",
    ]


def test_github_clean_run_prints_nothing(project):
    (project / "app" / "worker.py").write_text("x = 1\n")
    result = run("check", "--format", "github", "app/worker.py")
    assert result.exit_code == 0 and result.stdout == ""


def test_github_escaping(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert github.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    f = Finding(path="we,ird:name.py", line=3, column=2, end_line=5, end_column=4, rule="IDEM001",
                name="ack-without-dedup", confidence=Confidence.LOW, message="100% bad:\nreally", hint="", symbol="h")
    (line,) = github.lines(RunResult(findings=[f]), str(tmp_path))
    # Multi-line range: GitHub drops col/endColumn when line != endLine, so they are not sent.
    assert line == "::notice file=we%2Cird%3Aname.py,line=3,endLine=5,title=IDEM001 ack-without-dedup::100%25 bad:%0Areally [low]"


def test_github_file_errors(project):
    (project / "app" / "broken.py").write_text("FAKE-SYNTAX\n")
    out = run("check", "--format", "github", "app/broken.py").stdout
    assert out == "::error file=app/broken.py,line=2,title=idemlint error[syntax]::invalid syntax (fake)\n"


def test_github_paths_are_relative_to_the_git_root(project, monkeypatch):
    import subprocess

    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.chdir(project / "app")
    out = run("check", "--format", "github", "worker.py").stdout
    assert "file=app/worker.py," in out


# --- --output --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_output_writes_machine_report_and_terminal_shows_text(project, fmt):
    result = run("check", "--format", fmt, "--output", "report.out", "--no-color")
    assert result.exit_code == 1
    assert "app/worker.py:5:5: IDEM001 ack-without-dedup [high]" in result.stdout
    assert "Found 3 findings" in result.stdout
    written = (project / "report.out").read_text()
    if fmt == "github":
        assert written.startswith("::warning file=app/mailer.py")
    else:
        doc = json.loads(written)
        assert doc["version"] in ("2.1.0",) if fmt == "sarif" else doc["summary"]["findings"] == 3
    # The same bytes as printing the format to stdout.
    assert written == run("check", "--format", fmt).stdout


def test_output_with_quiet_terminal(project):
    result = run("check", "--format", "json", "-o", "r.json", "-q")
    assert result.stdout == "Found 3 findings (1 high, 1 medium, 1 low) in 2 files checked.\n"
    assert json.loads((project / "r.json").read_text())["summary"]["findings"] == 3


def test_output_text_format_writes_plain_text(project):
    result = run("check", "--output", "r.txt")
    text = (project / "r.txt").read_text()
    assert "\x1b[" not in text and "Found 3 findings" in text and "Found 3 findings" in result.stdout


def test_output_unwritable_is_exit_2(project):
    result = run("check", "--format", "json", "--output", str(project / "missing-dir" / "r.json"))
    assert result.exit_code == 2 and "cannot write" in result.output


# --- --statistics ----------------------------------------------------------------------------------


def test_statistics(project):
    result = run("check", "--statistics", "--no-color")
    assert result.exit_code == 1
    assert result.stdout == (
        "Code     Name                             High  Medium  Low  Total\n"
        "IDEM001  ack-without-dedup                   1       0    0      1\n"
        "IDEM002  side-effect-outside-transaction     0       1    0      1\n"
        "IDEM003  message-without-id                  0       0    1      1\n"
        "         total                               1       1    1      3\n"
        "Found 3 findings (1 high, 1 medium, 1 low) in 2 files checked.\n"
    )


def test_statistics_clean_and_with_errors(project):
    (project / "app" / "broken.py").write_text("FAKE-SYNTAX\n")
    out = run("check", "--statistics", "--no-color", "app/broken.py").stdout
    assert out == "app/broken.py:2: error[syntax]: invalid syntax (fake)\n\nFound 1 file with errors in 1 file checked.\n"
    (project / "ok.py").write_text("x = 1\n")
    assert run("check", "--statistics", "ok.py").stdout == "No findings in 1 file checked.\n"


def test_statistics_with_machine_format_needs_output(project):
    result = run("check", "--statistics", "--format", "json")
    assert result.exit_code == 2 and "--output" in result.output
    result = run("check", "--statistics", "--format", "json", "--output", "r.json", "--no-color")
    assert result.exit_code == 1 and result.stdout.startswith("Code     Name")
    assert len(json.loads((project / "r.json").read_text())["findings"]) == 3


def test_statistics_text_helper_counts_unused_ignores():
    from idemlint.findings import UnusedIgnore
    from idemlint.report.text import statistics_rows

    result = RunResult(unused_ignores=[UnusedIgnore("a.py", 1, 1, "# idemlint: ignore", ("*",))],
                       errors=[FileError("b.py", "x")])
    assert [row.split() for row in statistics_rows(result)[-2:]] == [
        ["-", "unused-ignore", "-", "-", "-", "1"], ["total", "0", "0", "0", "1"],
    ]
