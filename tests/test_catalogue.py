"""Meta-test: the registry, the rule pages, the README table and the fixtures describe the same rules."""

from __future__ import annotations

import re

import pytest

from harness import FIXTURES, RULE_PAGES, ROOT, expectations
from idemlint.rules import ALL_RULES, REMOVED_CODES

_LIB = re.compile(r"^- `(\w+)`", re.M)


def page_libraries(rule):
    text = (RULE_PAGES / f"{rule.name}.md").read_text(encoding="utf-8")
    section = text.split("## Libraries", 1)[1].split("\n## ", 1)[0]
    return _LIB.findall(section)


def test_codes_and_names_are_unique_and_well_formed():
    codes = [r.code for r in ALL_RULES]
    names = [r.name for r in ALL_RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"IDEM\d{3}", c) for c in codes)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", n) for n in names)
    assert not set(codes) & set(REMOVED_CODES), "a retired code was reused"
    for rule in ALL_RULES:
        assert rule.__name__ == "".join(part.capitalize() for part in rule.name.split("-"))
        module = rule.__module__.rsplit(".", 1)[-1]
        assert module == rule.name.replace("-", "_")


def test_readme_links_every_rule_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert f"rules/{rule.name}.md" in readme
        assert rule.code in readme


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_every_listed_library_has_bad_and_good_fixtures(rule):
    libraries = page_libraries(rule)
    assert libraries, "the page lists no libraries"
    problems = []
    for lib in libraries:
        folder = FIXTURES / lib
        files = sorted(folder.glob("*.py"))
        if not files:
            problems.append(f"{lib}: no fixture folder")
            continue
        flagged = [f for f in files if any(code == rule.code for _, code, _ in expectations(f.read_text()))]
        silent = [f for f in files if f.name.startswith("good_")
                  and not any(code == rule.code for _, code, _ in expectations(f.read_text()))]
        if not flagged:
            problems.append(f"{lib}: no fixture flagged with {rule.code}")
        if not silent:
            problems.append(f"{lib}: no good_ fixture")
    assert not problems, "\n".join(problems)
