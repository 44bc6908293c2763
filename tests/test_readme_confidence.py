"""The README's confidence table repeats tests/realworld/precision.json, the committed result of
`python tests/realworld/triage.py precision --write` (whole-package scans joined with the triage)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PRECISION = ROOT / "tests" / "realworld" / "precision.json"


def _table() -> dict:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- confidence-table:.*?-->\n(.*?)<!-- end confidence-table -->", text, re.S)
    assert block, "README.md has no confidence table between the confidence-table markers"
    rows = {}
    for line in block.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] in ("high", "medium", "low"):
            rows[cells[0]] = cells[1:]
    return rows


def test_readme_table_has_the_three_levels():
    assert list(_table()) == ["high", "medium", "low"]


def test_readme_table_matches_the_committed_results():
    result = json.loads(PRECISION.read_text(encoding="utf-8"))
    for level, cells in _table().items():
        r = result["levels"][level]
        want = [str(r["findings"]), str(r["judged"]), str(r["real"]), str(r["false"]), str(r["unsure"]),
                "n/a" if r["precision"] is None else f"{r['precision']:.2f}"]
        assert cells == want, f"README confidence row {level!r}: {cells} != precision.json {want}"


def test_readme_names_the_engine_and_the_corpus_of_the_results():
    result = json.loads(PRECISION.read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    engine = re.search(r"last changed in (\w+)", result["engine"]).group(1)
    assert f"engine {engine}" in text
    assert f"{result['corpus']['packages']} published packages" in text
    assert f"{result['corpus']['files']:,} files checked" in text
