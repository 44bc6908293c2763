"""The built wheel ships every rule page as `idemlint/rule_pages/<name>.md`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from idemlint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]


def test_wheel_contains_rule_pages(tmp_path):
    pytest.importorskip("hatchling", reason="hatchling is needed to build the wheel offline")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("idemlint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    pages = sorted(p.name for p in (REPO / "rules").glob("*.md"))
    assert pages, "no rule pages in rules/"
    for page in pages:
        assert f"idemlint/rule_pages/{page}" in names
    for rule in ALL_RULES:
        assert f"idemlint/rule_pages/{rule.name}.md" in names
    assert "idemlint/cli.py" in names and "idemlint/report/text.py" in names
    assert not any(n.startswith(("fixtures/", "tests/")) for n in names)
