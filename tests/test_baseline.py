"""Baselines: `--write-baseline` records findings, `--baseline` reports only new ones, matched by
fingerprint (rule, path, symbol, normalised code), never by line number."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint.baseline import BaselineError, load
from idemlint.cli import main

REPO = Path(__file__).resolve().parents[1]
PADDING = "".join(f"_UNRELATED_{i} = {i}  # an edit above the findings\n" for i in range(10))


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_json(*args):
    result = run("check", "--format", "json", *args)
    return result, json.loads(result.stdout)


# --- the acceptance scenario, on the demo project with the real engine ---------------------


@pytest.fixture
def demo(tmp_path, monkeypatch):
    shutil.copytree(REPO / "fixtures" / "demo", tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "demo"


def test_demo_baseline_silences_all_then_only_new_findings_appear(demo):
    _, before = run_json("demo")
    assert before["findings"], "the demo should have findings"
    written = run("check", "demo", "--write-baseline", "baseline.json")
    assert written.exit_code == 0
    assert f"wrote {len(before['findings'])} findings to baseline baseline.json" in written.output

    result, doc = run_json("demo", "--baseline", "baseline.json")
    assert result.exit_code == 0 and doc["findings"] == []
    assert doc["summary"]["baseline"] == {"path": "baseline.json", "matched": len(before["findings"]),
                                          "fixed": 0, "fixed_entries": []}

    # Moving every finding down by ten lines changes nothing.
    for path in (demo / "shop").glob("*.py"):
        text = path.read_text()
        path.write_text(PADDING + text)
    _, moved = run_json("demo")
    assert [f["line"] for f in moved["findings"]] == [f["line"] + 10 for f in before["findings"]]
    result, doc = run_json("demo", "--baseline", "baseline.json")
    assert result.exit_code == 0 and doc["findings"] == []

    # A new unsafe consumer: exactly its finding appears.
    shutil.copy(demo / "shop" / "confirmation_lambda.py", demo / "shop" / "welcome_lambda.py")
    result, doc = run_json("demo", "--baseline", "baseline.json")
    assert result.exit_code == 1
    assert [(f["path"], f["rule"]) for f in doc["findings"]] == [("demo/shop/welcome_lambda.py", "IDEM001")]
    text = run("check", "demo", "--baseline", "baseline.json", "--no-color").stdout
    assert "Found 1 new finding (1 medium)" in text
    assert f"Baseline baseline.json: {len(before['findings'])} findings matched (not shown)." in text


def test_baseline_file_is_sorted_stable_and_lineless(demo):
    run("check", "demo", "--write-baseline", "a.json")
    run("check", "demo", "--write-baseline", "b.json")
    a = Path("a.json").read_text()
    assert a == Path("b.json").read_text()
    doc = json.loads(a)
    assert doc["idemlint_baseline"] == 1
    entries = doc["entries"]
    assert [(e["path"], e["rule"], e["symbol"], e["fingerprint"]) for e in entries] == sorted(
        (e["path"], e["rule"], e["symbol"], e["fingerprint"]) for e in entries)
    assert all("line" not in e for e in entries)
    assert set(entries[0]) == {"confidence", "count", "fingerprint", "message", "name", "path", "rule", "symbol"}
    assert a == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_baseline_paths_do_not_depend_on_the_working_directory(demo, monkeypatch):
    # Inside a git work tree, paths are relative to its top level wherever idemlint runs.
    subprocess.run(["git", "init", "-q", str(demo.parent)], check=True)
    run("check", "demo", "--write-baseline", "baseline.json")
    monkeypatch.chdir(demo / "shop")
    result, doc = run_json(".", "--baseline", "../../baseline.json")
    assert result.exit_code == 0 and doc["summary"]["baseline"]["matched"] > 0


# --- matching details, with the fake engine --------------------------------------------------------

TWO = "def handle(ch, body):\n    charge(body)  # FAKE: IDEM001 high\n    charge(body)  # FAKE: IDEM001 high\n"


@pytest.fixture
def project(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text(TWO)
    return tmp_path


def test_duplicates_are_a_multiset(project):
    run("check", "--write-baseline", "b.json")
    assert [e["count"] for e in json.loads(Path("b.json").read_text())["entries"]] == [2]
    (project / "w.py").write_text(TWO + "    charge(body)  # FAKE: IDEM001 high\n")
    result, doc = run_json("--baseline", "b.json")
    assert result.exit_code == 1 and [f["line"] for f in doc["findings"]] == [4]


def test_fixed_entries_are_reported_so_the_baseline_can_shrink(project):
    (project / "x.py").write_text("def other(m):\n    mail(m)  # FAKE: IDEM003 low\n")
    run("check", "--write-baseline", "b.json")
    (project / "w.py").write_text("def handle(ch, body):\n    charge(body)  # FAKE: IDEM001 high\n")
    (project / "x.py").write_text("def other(m):\n    pass\n")
    result, doc = run_json("--baseline", "b.json")
    assert result.exit_code == 0 and doc["findings"] == []
    summary = doc["summary"]["baseline"]
    assert (summary["matched"], summary["fixed"]) == (1, 2)
    assert sorted((e["path"], e["rule"], e["count"]) for e in summary["fixed_entries"]) == [
        ("w.py", "IDEM001", 1), ("x.py", "IDEM003", 1)]
    text = run("check", "--baseline", "b.json", "--no-color").stdout
    assert "2 entries no longer match (fixed): rewrite it with --write-baseline to shrink it." in text
    assert "  fixed: x.py: IDEM003 message-without-id in handler" in text
    assert "No new findings in 2 files checked." in text
    github = run("check", "--baseline", "b.json", "--format", "github").stdout
    assert github.startswith("::notice title=idemlint baseline::2 baseline entries no longer match")


def test_entries_outside_the_run_are_not_fixed(project):
    (project / "x.py").write_text("def other(m):\n    mail(m)  # FAKE: IDEM003 low\n")
    run("check", "--write-baseline", "b.json")
    # Only w.py checked, or IDEM003 filtered out: the x.py entry is out of scope, not fixed.
    for args in (["w.py"], ["--select", "IDEM001"], ["--min-confidence", "high"]):
        _, doc = run_json("--baseline", "b.json", *args)
        assert doc["summary"]["baseline"]["fixed"] == 0, args


def test_editing_the_reported_code_makes_a_new_finding(project):
    run("check", "--write-baseline", "b.json")
    (project / "w.py").write_text(TWO.replace("charge(body)  # FAKE: IDEM001 high\n    charge", "refund(body)  # FAKE: IDEM001 high\n    charge", 1))
    _, doc = run_json("--baseline", "b.json")
    assert [f["line"] for f in doc["findings"]] == [2]
    assert doc["summary"]["baseline"]["fixed"] == 1


def test_write_baseline_exit_code_and_errors(project):
    (project / "broken.py").write_text("FAKE-SYNTAX\n")
    assert run("check", "--write-baseline", "b.json").exit_code == 1  # a file could not be checked
    assert run("check", "w.py", "--write-baseline", "b.json").exit_code == 0
    result = run("check", "--baseline", "b.json", "--write-baseline", "c.json")
    assert result.exit_code == 2 and "not both" in result.output


@pytest.mark.parametrize("content, message", [
    (None, "cannot read baseline"),
    ("{not json", "not a JSON baseline"),
    ('{"entries": []}', "not an idemlint baseline"),
    ('{"idemlint_baseline": 2, "entries": []}', "unsupported baseline version"),
    ('{"idemlint_baseline": 1, "entries": [{"count": 1}]}', "missing fingerprint"),
    ('{"idemlint_baseline": 1, "entries": [{"fingerprint": "ab", "count": 0}]}', "count must be a positive integer"),
])
def test_bad_baseline_files_exit_2(project, content, message):
    if content is not None:
        (project / "b.json").write_text(content)
    result = run("check", "--baseline", "b.json")
    assert result.exit_code == 2 and message in result.output
    with pytest.raises(BaselineError):
        load(str(project / "b.json"))
