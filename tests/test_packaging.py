"""The pre-commit hook definition and the CI script say what README and the issue promise."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_pre_commit_hook():
    # The file is flat `key: value` lines under one `- id:` item; read it without a YAML library.
    lines = (REPO / ".pre-commit-hooks.yaml").read_text().splitlines()
    assert lines[0] == "- id: idemlint"
    assert sum(line.startswith("- ") for line in lines) == 1
    hook = dict(line.strip().lstrip("- ").split(": ", 1) for line in lines if line.strip())
    assert hook["entry"] == "idemlint check --force-exclude"  # excludes and code roles apply to staged files
    assert hook["language"] == "python"
    assert hook["types"] == "[python]"
    assert hook["require_serial"] == "true"
    assert "pass_filenames" not in hook


def test_ci_script_runs_the_readme_test_command():
    script = REPO / ".ci" / "run"
    text = script.read_text()
    assert os.access(script, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert "pip install --quiet -e '.[test]'" in text
    assert text.rstrip().endswith('-m pytest')
    assert ".venv/bin/python -m pytest" in (REPO / "README.md").read_text()


def test_pyproject_entry_point_and_rule_pages_mapping():
    text = (REPO / "pyproject.toml").read_text()
    assert 'idemlint = "idemlint.cli:main"' in text
    assert '"rules" = "idemlint/rule_pages"' in text
