"""README.md: the rules table is generated from the registry, and the start commands are there."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from idemlint.cli import main, rules_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
TABLE = re.compile(r"<!-- rules-table:start[^>]*-->\n(.*?)<!-- rules-table:end -->", re.S)


def test_readme_rules_table_matches_registry():
    match = TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "README.md lost its rules-table markers"
    assert match.group(1) == rules_markdown(), (
        "README rules table is stale: replace it with the output of `idemlint rules --format markdown`"
    )


def test_rules_markdown_command_prints_the_table():
    assert CliRunner().invoke(main, ["rules", "--format", "markdown"]).output == rules_markdown()


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    first = text.index("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/idemlint check fixtures/demo")
    second = text.index(
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert first < second < text.index("## ")


def test_readme_has_engine_section():
    assert "## How idemlint decides" in README.read_text(encoding="utf-8")
