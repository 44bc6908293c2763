"""The wrapped-broker corpus (`fixtures/wrapped/`, issue 13), linted as one project.

- The engine must report exactly the corpus's `# expect:` markers (file, line, rule, confidence).
  Written before the engine work of issue 13 (xfail until it passed).
- Today already: no finding at medium or high confidence in a good twin (a function holding no
  marker), and no file error.
- The README's tables describe every module, and its Pattern and Expected columns agree with the
  markers.

Run `python tests/score_services.py --corpus fixtures/wrapped --min-confidence low` for recall and
precision per rule and per pattern.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from harness import FIXTURES, expectations
from score_services import marker_patterns, readme_table, reported_findings

WRAPPED = FIXTURES / "wrapped"
PATTERNS = {"factory", "ack-helper", "ack-wrapper", "template", "state", "decorator", "publish-ref", "fallback",
            "registered"}
_EXPECTED_ITEM = re.compile(r"(IDEM\d{3})\[(low|medium|high)\](?:\s*x(\d+))?")


def _markers() -> Set[Tuple[str, int, str, str]]:
    out = set()
    for path in sorted(WRAPPED.rglob("*.py")):
        rel = path.relative_to(WRAPPED).as_posix()
        for line, code, conf in expectations(path.read_text(encoding="utf-8")):
            out.add((rel, line, code, conf or "any"))
    return out


def _functions_with_markers(markers) -> Set[Tuple[str, str]]:
    """(file, qualified name of the innermost function holding a marker), as findings name symbols."""
    lines_by_file: Dict[str, Set[int]] = {}
    for rel, line, _, _ in markers:
        lines_by_file.setdefault(rel, set()).add(line)
    out = set()
    for rel, lines in lines_by_file.items():
        tree = ast.parse((WRAPPED / rel).read_text(encoding="utf-8"))

        def walk(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = f"{prefix}{child.name}"
                    if isinstance(child, ast.ClassDef):
                        walk(child, name + ".")
                        continue
                    if any(child.lineno <= line <= child.end_lineno for line in lines):
                        out.add((rel, name))
                    walk(child, name + ".")

        walk(tree, "")
    return out


@pytest.fixture(scope="module")
def linted():
    return reported_findings(WRAPPED)


def test_corpus_is_large_and_checked_without_file_errors(linted):
    _, errors = linted
    assert len(list(WRAPPED.rglob("*.py"))) >= 40
    assert not errors, "\n".join(errors)


def test_findings_are_exactly_the_markers(linted):
    findings, _ = linted
    got = {(f["path"], f["line"], f["rule"], f["confidence"]) for f in findings}
    expected = _markers()
    assert len(findings) == len(got), "two findings of one rule on one line"
    missed = sorted(expected - got)
    unexpected = sorted(got - expected)
    assert not missed and not unexpected, (
        "missed:\n" + "\n".join(f"  {p}:{n}: {c}[{k}]" for p, n, c, k in missed)
        + "\nunexpected:\n" + "\n".join(f"  {p}:{n}: {c}[{k}]" for p, n, c, k in unexpected))


def test_good_twins_raise_no_medium_or_high_alarm(linted):
    findings, _ = linted
    markers = _markers()
    bad_units = _functions_with_markers(markers)
    # a handler registered in another module is reported at its registration (its symbol is the handler's)
    marked = {(rel, line, code) for rel, line, code, _ in markers}
    alarms = [f for f in findings if f["confidence"] in ("medium", "high")
              and (f["path"], f["symbol"]) not in bad_units and (f["path"], f["line"], f["rule"]) not in marked]
    assert not alarms, "\n".join(f"{f['path']}:{f['line']}: {f['rule']}[{f['confidence']}] in {f['symbol']}: "
                                 f"{f['message']}" for f in alarms)


def test_every_marker_names_a_confidence_and_its_patterns():
    tags = marker_patterns(WRAPPED)
    problems: List[str] = []
    for rel, line, code, conf in sorted(_markers()):
        names = tags.get((rel, line))
        if conf == "any":
            problems.append(f"{rel}:{line}: {code} has no confidence")
        if not names or not set(names) <= PATTERNS:
            problems.append(f"{rel}:{line}: {code} names patterns {names}, not a subset of {sorted(PATTERNS)}")
    assert not problems, "\n".join(problems)


def test_readme_describes_every_module_and_agrees_with_the_markers():
    table = readme_table(WRAPPED)
    tags = marker_patterns(WRAPPED)
    markers_by_file: Dict[str, Counter] = {}
    for rel, line, code, conf in _markers():
        markers_by_file.setdefault(rel, Counter())[(code, conf)] += 1
    problems = []
    for path in sorted(WRAPPED.rglob("*.py")):
        rel = path.relative_to(WRAPPED).as_posix()
        row = table.get(rel)
        if row is None:
            if path.name != "__init__.py" or rel in markers_by_file:
                problems.append(f"{rel}: no README row")
            continue
        listed = Counter()
        for code, conf, times in _EXPECTED_ITEM.findall(row["expected"]):
            listed[(code, conf)] += int(times or 1)
        if listed != markers_by_file.get(rel, Counter()):
            problems.append(f"{rel}: README expects {dict(listed)}, markers say {dict(markers_by_file.get(rel, {}))}")
        patterns = {n.strip() for n in row["pattern"].split(",")} - {"-", ""}
        used = {n for (file, _), names in tags.items() if file == rel for n in names}
        if not used <= patterns or not patterns <= PATTERNS:
            problems.append(f"{rel}: README patterns {sorted(patterns)}, markers use {sorted(used)}")
    assert not problems, "\n".join(problems)


def test_a_handler_registered_elsewhere_is_shown_at_its_registration_with_its_home(linted):
    """`dispatch/`: a handler another module defines is reported at the registration, and the message
    says which function it is and where it is defined."""
    findings, _ = linted
    shown = {(f["path"], f["line"], f["rule"]): f for f in findings}
    on_order = shown[("dispatch/wiring.py", 17, "IDEM005")]
    assert on_order["symbol"] == "on_order"
    assert re.search(r"\(`dispatch\.handlers\.orders\.on_order` is defined in (\S*/)?dispatch/handlers/orders\.py:11, "
                     r"registered here\)$", on_order["message"]), on_order["message"]
    signup = shown[("dispatch/streams.py", 11, "IDEM001")]
    assert "`dispatch.handlers.signups.welcome_signup` is defined in" in signup["message"]


def test_consumers_lists_every_unit_check_reports(linted):
    """`idemlint consumers` lets a module in as `check` does: a module that names no broker and is
    let in only by the project modules it imports (a consumer a project factory builds) is listed
    with the same findings."""
    from idemlint.inventory import inventory_paths
    from score_services import _config

    inventory = inventory_paths([str(WRAPPED)], _config())
    listed = {(Path(f.path).resolve().relative_to(WRAPPED.resolve()).as_posix(), f.line, f.rule)
              for unit in [*inventory.consumers, *inventory.producers] for f in unit.findings}
    findings, _ = linted
    reported = {(f["path"], f["line"], f["rule"]) for f in findings}
    assert reported and reported == listed, (sorted(reported - listed), sorted(listed - reported))
