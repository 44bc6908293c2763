"""action.yml and the README's CI sections: valid YAML, and they use options that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from idemlint.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
yaml = pytest.importorskip("yaml", reason="PyYAML comes with pre-commit (test extra)")


def yaml_blocks(text):
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_action_is_a_composite_that_writes_and_uploads_sarif():
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all("shell" in s for s in steps if "run" in s)
    check = next(s for s in steps if s.get("id") == "check")
    assert "check --format sarif --output" in check["run"]
    assert 'echo "exit-code=$?" >> "$GITHUB_OUTPUT"' in check["run"]
    upload = next(s for s in steps if "uses" in s)
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert steps[-1]["run"] == 'exit "${{ steps.check.outputs.exit-code }}"'
    assert set(action["inputs"]) == {"paths", "args", "sarif-file", "upload-sarif", "python"}


def test_readme_yaml_blocks_parse_and_workflow_uploads_sarif():
    blocks = yaml_blocks(README)
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    steps = workflow["jobs"]["idemlint"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any("--format sarif --output idemlint.sarif" in r for r in runs)
    assert any("--format github --diff" in r for r in runs)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "idemlint.sarif"
    assert workflow["permissions"]["security-events"] == "write"
    pre_commit = next(b for b in blocks if isinstance(b, dict) and "repos" in b)
    assert pre_commit["repos"][0]["hooks"][0]["id"] == "idemlint"


def test_every_check_option_is_documented_in_the_readme():
    help_text = CliRunner().invoke(main, ["check", "--help"]).output
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    missing = sorted(o for o in options if f"`{o}" not in README and f"/ `{o}" not in README)
    assert not missing, f"options missing from README.md: {missing}"


@pytest.mark.parametrize("heading", ["## SARIF (GitHub code scanning)", "### Fingerprints", "## GitHub annotations",
                                     "## Baselines for legacy code", "## Changed files only", "### Unused suppressions",
                                     "## GitHub Actions", "## Contributing"])
def test_readme_sections(heading):
    assert f"\n{heading}\n" in README
