"""The pre-commit hook definition and the CI script say what README and the issue promise."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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
    assert 'idemlint = "idemlint.cli:run"' in text  # main, then the hard exit
    assert '"rules" = "idemlint/rule_pages"' in text


def test_supported_pythons_and_dependency_floors_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10"
    versions = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)]
    assert versions[0] == "3.10" and versions == sorted(versions, key=lambda v: int(v.split(".")[1]))
    floors = dict(re.match(r"([a-z]+)>=([\d.]+)", d).groups() for d in project["dependencies"])
    pins = dict(re.match(r"([a-z]+)==([\d.]+)", line).groups()
                for line in (REPO / "tests" / "floors.txt").read_text().splitlines() if line and line[0] != "#")
    # a floor may omit trailing zeros: `libcst>=1.1` is tested as 1.1.0
    assert {k: v.removesuffix(".0") for k, v in floors.items()} == {k: v.removesuffix(".0") for k, v in pins.items()}
    assert floors["click"] == "8.2"  # the suite's CliRunner needs 8.2 (separate stderr), which needs Python 3.10
    readme = (REPO / "README.md").read_text()
    assert f"Python {versions[0]} to {versions[-1]}" in readme
    for name, version in floors.items():
        assert f"{name} {version}" in readme, name
