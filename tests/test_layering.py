"""The engine never imports click or rich; `check --format json` never imports rich."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

ENGINE_MODULES = [
    "idemlint",
    "idemlint.api",
    "idemlint.analysis",
    "idemlint.config",
    "idemlint.discover",
    "idemlint.suppress",
    "idemlint.findings",
    "idemlint.rules",
    "idemlint.report.json",
    "idemlint.report.sarif",
    "idemlint.report.github",
    "idemlint.baseline",
    "idemlint.fingerprint",
    "idemlint.vcs",
    "idemlint.pages",
]


def imported_after(code: str) -> list:
    """Run `code` in a fresh interpreter; return the UI libraries it imported."""
    probe = code + (
        "\nimport sys, json\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'rich'})))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_imports_neither_click_nor_rich(module):
    assert imported_after(f"import {module}") == []


def test_the_probe_can_see_a_ui_import():
    assert imported_after("import idemlint.report.text") == ["rich"]


def test_json_check_does_not_import_rich(tmp_path):
    target = tmp_path / "plain.py"
    target.write_text("x = 1\n")
    code = (
        "import sys\n"
        "from idemlint.cli import main\n"
        f"try:\n    main(['check', '--format', 'json', {str(target)!r}])\n"
        "except SystemExit:\n    pass\n"
    )
    assert imported_after(code) == ["click"]
