"""The demo project's output in every format is pinned in fixtures/golden/ (regenerate: pytest --update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from idemlint.cli import main

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "fixtures" / "golden"
# The absolute checkout location is the one machine-dependent value (SARIF `%SRCROOT%`).
ROOT_PLACEHOLDER = "file:///SRCROOT/"

FORMATS = {
    "text": "demo.txt",
    "json": "demo.json",
    "sarif": "demo.sarif",
    "github": "demo.github.txt",
    "markdown": "demo.md",
}
# Other commands and options, pinned the same way: golden file -> command line.
COMMANDS = {
    "demo.evidence.txt": ["check", "--show-evidence", "fixtures/demo"],
    "demo.consumers.txt": ["consumers", "fixtures/demo"],
    "demo.consumers.library.txt": ["consumers", "--group-by", "library", "fixtures/demo"],
    "demo.consumers.json": ["consumers", "--format", "json", "fixtures/demo"],
    "demo.consumers.md": ["consumers", "--format", "markdown", "fixtures/demo"],
}


def render_demo(output_format: str, monkeypatch) -> str:
    """Run `idemlint check --format FORMAT fixtures/demo` from the repo root, text at width 100, no colour."""
    return render_command(["check", "--format", output_format, "fixtures/demo"], monkeypatch)


def render_command(args, monkeypatch) -> str:
    """Run `idemlint ARGS` from the repo root, text at width 100, no colour."""
    monkeypatch.chdir(REPO)
    env = {"NO_COLOR": "1", "COLUMNS": "100", "FORCE_COLOR": None}
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout.replace(REPO.as_uri() + "/", ROOT_PLACEHOLDER)


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_demo_output_matches_golden(output_format, monkeypatch, request):
    compare(render_demo(output_format, monkeypatch), FORMATS[output_format], f"check --format {output_format}", request)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_demo_command_matches_golden(name, monkeypatch, request):
    compare(render_command(COMMANDS[name], monkeypatch), name, " ".join(COMMANDS[name][:-1]), request)


def compare(actual: str, name: str, command: str, request) -> None:
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert golden.exists(), f"{golden} is missing: run `pytest --update-golden`"
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, (
        f"`idemlint {command} fixtures/demo` differs from {golden.relative_to(REPO)}; "
        "if the change is intended, run `python -m pytest --update-golden` and review the diff"
    )


def test_goldens_use_repo_relative_paths():
    for name in [*FORMATS.values(), *COMMANDS]:
        text = (GOLDEN / name).read_text(encoding="utf-8")
        assert "fixtures/demo/shop/" in text
        assert str(REPO) not in text, f"{name} holds an absolute path"
