"""Every ```python block of every rule page runs with only that rule, and matches its markers."""

from __future__ import annotations

import re

import pytest

from harness import RULE_PAGES, compare, expectations
from idemlint.rules import ALL_RULES

HEADINGS = ["## Why is this bad?", "## Example", "## Use instead", "## Confidence", "## Known problems",
            "## Libraries", "## References"]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def page_path(rule):
    return RULE_PAGES / f"{rule.name}.md"


def blocks():
    for rule in ALL_RULES:
        text = page_path(rule).read_text(encoding="utf-8")
        section = "top"
        pos = 0
        counters = {}
        for m in _BLOCK.finditer(text):
            heads = re.findall(r"^## (.+)$", text[pos:m.start()], re.M)
            if heads:
                section = heads[-1]
            pos = m.start()
            counters[section] = counters.get(section, 0) + 1
            yield pytest.param(rule, section, m.group(1), id=f"{rule.code}-{rule.name}::{section}[{counters[section]}]")


@pytest.mark.parametrize("rule,section,code", list(blocks()))
def test_page_example(rule, section, code):
    missed, unexpected = compare(code, codes=[rule.code])
    assert not missed and not unexpected, f"missed: {missed}\nunexpected: {unexpected}"
    if section == "Use instead":
        assert not expectations(code), "examples under 'Use instead' must be silent"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_page_shape(rule):
    text = page_path(rule).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == f"# `{rule.name}` ({rule.code})"
    first_sentence = next(line for line in lines[1:] if line.strip())
    assert first_sentence == rule.summary
    positions = [text.find(h + "\n") for h in HEADINGS]
    assert all(p >= 0 for p in positions), f"missing headings: {[h for h, p in zip(HEADINGS, positions) if p < 0]}"
    assert positions == sorted(positions), "headings out of order"
    example = text[positions[1]:positions[2]]
    use_instead = text[positions[2]:positions[3]]
    assert "# expect:" in example, "the Example section needs at least one flagged example"
    assert "```python" in use_instead, "the Use instead section needs at least one silent example"


def test_every_page_belongs_to_a_rule():
    names = {r.name for r in ALL_RULES}
    pages = {p.stem for p in RULE_PAGES.glob("*.md") if p.name != "README.md" and not p.name.startswith("_")}
    assert pages == names
