"""The `idemlint` command, driven through click's CliRunner with a fake engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint import __version__
from idemlint import cli as cli_module
from idemlint.cli import main
from idemlint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]

BAD = """\
import pika


def on_message(ch, method, properties, body):
    charge(body)  # FAKE: IDEM001 high
    publish(body)  # FAKE: IDEM003 low
    ch.basic_ack(delivery_tag=method.delivery_tag)
"""
MEDIUM = """\
def handler(msg):
    send_email(msg)  # FAKE: IDEM002 medium
"""
CLEAN = "def f():\n    return 1\n"


@pytest.fixture
def project(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker.py").write_text(BAD)
    (tmp_path / "app" / "mailer.py").write_text(MEDIUM)
    (tmp_path / "app" / "util.py").write_text(CLEAN)
    return tmp_path


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def run_json(*args):
    result = run("check", "--format", "json", *args)
    return result, json.loads(result.stdout)


# --- exit codes --------------------------------------------------------------------------------


def test_findings_exit_1(project):
    assert run("check").exit_code == 1


def test_clean_exit_0(project):
    result = run("check", "app/util.py")
    assert result.exit_code == 0, result.output
    assert "No findings in 1 file checked." in result.output


def test_exit_zero(project):
    assert run("check", "--exit-zero").exit_code == 0


def test_file_errors_exit_1_and_run_continues(project):
    (project / "app" / "broken.py").write_text("FAKE-SYNTAX\n")
    result, doc = run_json("app/broken.py", "app/util.py")
    assert result.exit_code == 1
    assert doc["errors"] == [{"kind": "syntax", "line": 2, "message": "invalid syntax (fake)", "path": "app/broken.py"}]
    assert doc["summary"]["files"] == 2
    assert run("check", "--exit-zero", "app/broken.py").exit_code == 0


def test_internal_error_is_a_file_error_with_traceback_only_when_verbose(project):
    (project / "crash.py").write_text("FAKE-CRASH\n")
    result, doc = run_json("crash.py")
    assert result.exit_code == 1
    (error,) = doc["errors"]
    assert error["kind"] == "internal"
    assert error["message"] == "internal error: KeyError: 'boom' (please report this)"
    assert "traceback" not in error
    _, doc = run_json("--verbose", "crash.py")
    assert "KeyError" in doc["errors"][0]["traceback"]


def test_recursion_error_is_a_skipped_file(project):
    (project / "deep.py").write_text("FAKE-DEEP\n")
    _, doc = run_json("deep.py")
    assert [(e["kind"], e["message"]) for e in doc["errors"]] == [("skipped", "too deeply nested to analyse")]


def test_unreadable_and_oversized_files(project):
    (project / "big.py").write_text("FAKE: IDEM001 high\n" + "#" * 200)
    os.symlink(project / "missing.py", project / "dangling.py")
    result, doc = run_json("big.py", "dangling.py")
    assert result.exit_code == 1
    kinds = {e["path"]: e["kind"] for e in doc["errors"]}
    assert kinds == {"dangling.py": "read"}
    (project / "pyproject.toml").write_text("[tool.idemlint]\nmax-file-size = 100\n")
    _, doc = run_json("big.py")
    assert [e["kind"] for e in doc["errors"]] == ["skipped"]
    assert "max-file-size" in doc["errors"][0]["message"]


def test_nonexistent_path_exit_2(project):
    result = run("check", "nope.py")
    assert result.exit_code == 2
    assert "path does not exist: nope.py" in result.output


def test_config_error_exit_2(project):
    (project / "pyproject.toml").write_text("[tool.idemlint]\nselectt = []\n")
    result = run("check")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output and "selectt" in result.output


def test_unknown_rule_on_command_line_exit_2(project):
    result = run("check", "--select", "IDEM999")
    assert result.exit_code == 2
    assert "unknown rule 'IDEM999'" in result.output


def test_bad_option_value_exit_2(project):
    assert run("check", "--min-confidence", "sure").exit_code == 2
    assert run("check", "--format", "xml").exit_code == 2


def test_crash_outside_file_boundary_exit_2(project, monkeypatch):
    import idemlint.api

    def explode(paths, config):
        raise RuntimeError("discovery exploded")

    monkeypatch.setattr(idemlint.api, "lint_paths", explode)
    result = run("check")
    assert result.exit_code == 2
    assert "internal error: RuntimeError: discovery exploded (please report this)" in result.output


# --- selection -----------------------------------------------------------------------------------


def codes(doc):
    return [(f["path"], f["line"], f["rule"]) for f in doc["findings"]]


def test_all_findings_sorted(project):
    _, doc = run_json()
    assert codes(doc) == [
        ("app/mailer.py", 2, "IDEM002"),
        ("app/worker.py", 5, "IDEM001"),
        ("app/worker.py", 6, "IDEM003"),
    ]
    assert doc["summary"]["files"] == 3
    assert doc["summary"]["parsed"] == 2  # util.py fails the prefilter: scanned, clean, not parsed


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--select", "IDEM001"], ["IDEM001"]),
        (["--select", "ack-without-dedup,message-without-id"], ["IDEM001", "IDEM003"]),
        (["--ignore", "IDEM001, side-effect-outside-transaction"], ["IDEM003"]),
        (["--min-confidence", "medium"], ["IDEM002", "IDEM001"]),
        (["--min-confidence", "HIGH"], ["IDEM001"]),
    ],
)
def test_select_ignore_min_confidence(project, args, expected):
    _, doc = run_json(*args)
    assert [f["rule"] for f in doc["findings"]] == expected


def test_cli_overrides_config_file(project):
    (project / "pyproject.toml").write_text("[tool.idemlint]\nselect = ['IDEM003']\nmin-confidence = 'high'\n")
    _, doc = run_json()
    assert codes(doc) == []
    _, doc = run_json("--min-confidence", "low")
    assert codes(doc) == [("app/worker.py", 6, "IDEM003")]
    _, doc = run_json("--select", "IDEM001")
    assert codes(doc) == [("app/worker.py", 5, "IDEM001")]


def test_explicit_config_file(project):
    cfg = project / "lint.toml"
    cfg.write_text("ignore = ['IDEM001', 'IDEM003']\n")
    _, doc = run_json("--config", str(cfg))
    assert [f["rule"] for f in doc["findings"]] == ["IDEM002"]


def test_exclude_options_and_force_exclude(project):
    _, doc = run_json("--exclude", "mailer.py")
    assert {f["path"] for f in doc["findings"]} == {"app/worker.py"}
    _, doc = run_json("--extend-exclude", "worker.py")
    assert {f["path"] for f in doc["findings"]} == {"app/mailer.py"}
    _, doc = run_json("--exclude", "mailer.py", "app/mailer.py")
    assert doc["summary"]["files"] == 1  # named explicitly: still checked
    _, doc = run_json("--exclude", "mailer.py", "--force-exclude", "app/mailer.py")
    assert doc["summary"]["files"] == 0


def test_inline_suppression_counts(project):
    (project / "app" / "worker.py").write_text(BAD.replace("# FAKE: IDEM001 high", "# FAKE: IDEM001 high  # idemlint: ignore[IDEM001]"))
    result, doc = run_json()
    assert [f["rule"] for f in doc["findings"]] == ["IDEM002", "IDEM003"]
    assert doc["summary"]["suppressed"] == 1
    assert "1 suppressed" in run("check").output


# --- text output ---------------------------------------------------------------------------------


def test_text_output_shape(project):
    result = run("check", "--no-color")
    out = result.output
    assert "\x1b[" not in out
    assert "app/worker.py:5:5: IDEM001 ack-without-dedup [high]" in out
    assert "  `effect()` runs before any dedup check in `handler` (IDEM001)" in out
    assert "  4 | def on_message(ch, method, properties, body):" in out
    assert "  5 |     charge(body)  # FAKE: IDEM001 high" in out
    assert "    |     ^^^^^^^^^^^^\n" in out
    assert "  hint: look the message id up in a processed table first" in out
    assert "Found 3 findings (1 high, 1 medium, 1 low) in 3 files checked." in out
    # grouped by file, files in order
    assert out.index("app/mailer.py\n") < out.index("app/worker.py\n")


def test_quiet(project):
    result = run("check", "--quiet")
    assert result.output == "Found 3 findings (1 high, 1 medium, 1 low) in 3 files checked.\n"
    result = run("check", "-q", "app/util.py")
    assert result.exit_code == 0 and result.output == ""


def test_color_forced_and_no_color(project):
    colored = run("check", env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert "\x1b[" in colored.output
    assert "\x1b[" not in run("check", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).output
    assert "\x1b[" not in run("check", "--no-color", env={"FORCE_COLOR": "1"}).output


def test_verbose_shows_settings_and_evidence(project):
    result = CliRunner().invoke(main, ["check", "--verbose", "--no-color"])
    assert "idemlint: min-confidence = 'low'" in result.output
    assert "evidence: fake engine" in result.output


def test_json_is_valid_and_stable(project):
    first = run("check", "--format", "json").output
    assert first == run("check", "--format", "json").output
    doc = json.loads(first)
    assert doc["schema_version"] == 1 and doc["version"] == __version__


def test_default_path_is_cwd(project):
    _, doc = run_json()
    _, doc_dot = run_json(".")
    assert doc == doc_dot and doc["summary"]["files"] == 3


# --- other commands ----------------------------------------------------------------------------


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output == f"idemlint {__version__}\n"


def test_rules_lists_every_rule():
    result = run("rules", "--no-color")
    assert result.exit_code == 0
    for rule in ALL_RULES:
        assert rule.code in result.output and rule.name in result.output
    doc = json.loads(run("rules", "--format", "json").output)
    assert [r["code"] for r in doc] == [r.code for r in ALL_RULES]


@pytest.mark.parametrize("key", [r.code for r in ALL_RULES] + [r.name for r in ALL_RULES] + [ALL_RULES[0].code.lower()])
def test_explain_every_rule_by_code_and_name(key, monkeypatch):
    from idemlint.rules import find_rule

    rule = find_rule(key)
    page = cli_module.rule_page(rule.name)
    if page is None:
        pytest.skip(f"rules/{rule.name}.md not written yet")
    raw = run("explain", key, "--raw")
    assert raw.exit_code == 0 and raw.output == page
    rendered = run("explain", key, "--no-color")
    assert rendered.exit_code == 0
    assert rule.name in rendered.output and "#" not in rendered.output.splitlines()[0]


def test_explain_renders_the_page_found(monkeypatch):
    rule = ALL_RULES[0]
    monkeypatch.setattr(cli_module, "rule_page", lambda name: f"# `{name}`\n\nA **very** specific page.\n")
    result = run("explain", rule.code, "--no-color")
    assert result.exit_code == 0
    assert "A very specific page." in result.output and "**" not in result.output


def test_explain_without_page_falls_back_to_summary(monkeypatch):
    rule = ALL_RULES[0]
    monkeypatch.setattr(cli_module, "rule_page", lambda name: None)
    result = CliRunner().invoke(main, ["explain", rule.code, "--raw"])
    assert result.exit_code == 0
    assert rule.summary in result.output and "no documentation page" in result.output


def test_explain_unknown_rule_exit_2_lists_codes():
    result = run("explain", "IDEM999")
    assert result.exit_code == 2
    assert "unknown rule 'IDEM999'" in result.output
    for rule in ALL_RULES:
        assert rule.code in result.output


def test_rule_page_prefers_installed_package_pages(tmp_path, monkeypatch):
    """`importlib.resources` first (the wheel ships `idemlint/rule_pages/`), then the checkout."""
    pkg = tmp_path / "idemlint" / "rule_pages"
    pkg.mkdir(parents=True)
    (pkg / f"{ALL_RULES[0].name}.md").write_text("from the wheel\n")

    class FakeFiles:
        def joinpath(self, *parts):
            return tmp_path.joinpath("idemlint", *parts)

    import importlib.resources

    monkeypatch.setattr(importlib.resources, "files", lambda package: FakeFiles())
    assert cli_module.rule_page(ALL_RULES[0].name) == "from the wheel\n"


def test_python_dash_m_entry_point(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.run([sys.executable, "-m", "idemlint", "--version"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == f"idemlint {__version__}"


def test_the_command_flushes_its_whole_report_before_the_hard_exit(tmp_path):
    """`idemlint` ends with `os._exit`, past the interpreter's teardown: a report larger than a
    pipe's buffer still arrives whole, with the exit code of the findings."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    command = ["check", str(REPO / "fixtures" / "pika"), "--format", "json", "--min-confidence", "low", "--no-cache"]
    proc = subprocess.run([sys.executable, "-m", "idemlint", *command], capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stdout) > 65536  # more than a pipe holds: written while the reader drains it
    in_process = CliRunner().invoke(main, command)
    assert json.loads(proc.stdout)["findings"] == json.loads(in_process.output)["findings"]


@pytest.mark.parametrize("code, status, message", [(None, 0, ""), (0, 0, ""), (1, 1, ""), (2, 2, ""),
                                                   ("no config", 1, "no config\n")])
def test_hard_exit_keeps_sys_exit_codes(monkeypatch, capsys, code, status, message):
    class Exited(Exception):
        pass

    def fake_exit(status):
        raise Exited(status)

    monkeypatch.setattr(cli_module.os, "_exit", fake_exit)
    with pytest.raises(Exited) as exited:
        cli_module._hard_exit(code)
    assert exited.value.args == (status,)
    assert capsys.readouterr().err == message


def test_hard_exit_leaves_live_worker_processes_to_the_interpreter(monkeypatch):
    """Worker processes still running: the normal exit, whose hooks stop them, not `os._exit`."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "active_children", lambda: ["a worker"])
    monkeypatch.setattr(cli_module.os, "_exit", lambda status: pytest.fail("hard exit with live workers"))
    with pytest.raises(SystemExit) as exited:
        cli_module._hard_exit(1)
    assert exited.value.code == 1
