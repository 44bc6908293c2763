"""Recall and precision of idemlint, per rule, on a project corpus (default: `fixtures/services/`).

    python tests/score_services.py [--corpus fixtures/wrapped] [--min-confidence medium] [--json]

The corpus is linted as one project (`lint_paths` on the corpus folder, in-process, no cache, every
rule selected), so calls are followed across the services' modules. Each `# expect: CODE[conf]`
marker is an expected finding. At a minimum confidence:

- an expected marker counts (must be found) when its confidence is >= the minimum;
- a reported finding counts when its confidence is >= the minimum;
- they match by file + line + rule code (the confidences need not agree; mismatches are listed);
- a reported finding on a marker whose confidence is below the minimum is neither a true nor a false
  positive (the marker is not required at this level, and the finding is not a false alarm).

Prints, per rule IDEM001..IDEM005 and in total: expected, reported, true positives, false positives,
false negatives, recall and precision, then the misses and the false alarms with file:line.

Per pattern (only for a corpus whose markers name one, as `fixtures/wrapped/` does): a marker may
end with `pattern=NAME` or `pattern=A+B` (`# expect: IDEM001[medium] pattern=factory`); it counts
once in each pattern it names. A false alarm counts against the patterns that the corpus README's
table lists for its module (a `Pattern` column; modules under `## <package>` headings, paths
relative to the package, as in `fixtures/services/README.md`); "-" when the README lists none.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tokenize
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from harness import FIXTURES, expectations

from idemlint.api import Config, lint_paths
from idemlint.findings import Confidence

SERVICES = FIXTURES / "services"
RULES = ("IDEM001", "IDEM002", "IDEM003", "IDEM004", "IDEM005")

Key = Tuple[str, int, str]  # (path relative to the corpus, line, rule)

_TAG = re.compile(r"#\s*expect(?P<offset>[+-]\d+)?:(?P<body>.*)$")
_PATTERN = re.compile(r"\bpattern=(?P<names>[\w+-]+)")
_ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")


def _level(label: Optional[str]) -> int:
    # A marker without a confidence ("any") is always required.
    return int(Confidence.parse(label)) if label else int(Confidence.HIGH)


def expected_markers(corpus: Path = SERVICES) -> Dict[Key, str]:
    """Every `# expect:` marker of the corpus: (file, line, rule) -> confidence label ("" for any)."""
    out: Dict[Key, str] = {}
    for path in sorted(corpus.rglob("*.py")):
        rel = path.relative_to(corpus).as_posix()
        for line, code, conf in expectations(path.read_text(encoding="utf-8")):
            out[(rel, line, code)] = conf or ""
    return out


def marker_patterns(corpus: Path = SERVICES) -> Dict[Tuple[str, int], Tuple[str, ...]]:
    """(file, line) -> the patterns named by `pattern=A+B` in the `# expect:` comment for that line."""
    out: Dict[Tuple[str, int], Tuple[str, ...]] = {}
    for path in sorted(corpus.rglob("*.py")):
        rel = path.relative_to(corpus).as_posix()
        readline = io.StringIO(path.read_text(encoding="utf-8")).readline
        for tok in tokenize.generate_tokens(readline):
            m = _TAG.search(tok.string) if tok.type == tokenize.COMMENT else None
            tag = _PATTERN.search(m.group("body")) if m else None
            if tag:
                line = tok.start[0] + int(m.group("offset") or 0)
                out[(rel, line)] = tuple(n for n in tag.group("names").split("+") if n)
    return out


def readme_table(corpus: Path = SERVICES) -> Dict[str, Dict[str, str]]:
    """Module path (relative to the corpus) -> its README row, {column name (lower case): cell}.

    Rows sit in tables under `## <package>` headings; a first cell may name several modules."""
    readme = corpus / "README.md"
    if not readme.exists():
        return {}
    out: Dict[str, Dict[str, str]] = {}
    package, header = "", None
    for text in readme.read_text(encoding="utf-8").splitlines():
        if text.startswith("## "):
            package, header = text[3:].strip(), None
            continue
        row = _ROW.match(text)
        if not row:
            header = None if not text.strip() else header
            continue
        cells = [c.strip() for c in row.group("cells").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(cells[0]) <= {"-", " "}:
            continue  # the separator row
        for module in re.findall(r"`([^`]+\.py)`", cells[0]):
            out[f"{package}/{module}" if package else module] = dict(zip(header, cells))
    return out


def module_patterns(corpus: Path = SERVICES) -> Dict[str, Tuple[str, ...]]:
    """Module path (relative to the corpus) -> the patterns its README row lists (a `Pattern` column)."""
    return {module: tuple(n.strip() for n in row["pattern"].split(",") if n.strip() not in ("", "-"))
            for module, row in readme_table(corpus).items() if "pattern" in row}


def _config() -> Config:
    from idemlint.rules import ALL_RULES

    codes = tuple(r.code for r in ALL_RULES)  # preview rules too: the corpus scores all of them
    return replace(Config(), select=codes, jobs=1, cache_dir=None, root=str(FIXTURES.parent))


def reported_findings(corpus: Path = SERVICES) -> Tuple[List[dict], List[str]]:
    """The engine's findings on the corpus (as dicts with a corpus-relative path) and file errors."""
    result = lint_paths([str(corpus)], _config())
    findings = []
    for f in result.findings:
        rel = Path(f.path).resolve().relative_to(corpus.resolve()).as_posix()
        findings.append({"path": rel, "line": f.line, "rule": f.rule, "confidence": f.confidence.label,
                         "message": f.message, "symbol": f.symbol})
    errors = [f"{e.path}:{e.line or 0}: {e.kind}: {e.message}" for e in result.errors]
    return findings, errors


def _rates(expected: int, tp: int, fp: int) -> dict:
    reported = tp + fp
    return {"expected": expected, "reported": reported, "tp": tp, "fp": fp, "fn": expected - tp,
            "recall": tp / expected if expected else 1.0, "precision": tp / reported if reported else 1.0}


def _by_pattern(corpus: Path, required: Dict[Key, str], matched: Counter, false_alarms: List[dict]) -> dict:
    tags = marker_patterns(corpus)
    if not tags:
        return {}
    modules = module_patterns(corpus)
    names = sorted({n for ns in tags.values() for n in ns} | {n for ns in modules.values() for n in ns})
    out = {}
    for name in names + ["-"]:
        expected = [k for k in required if name in tags.get(k[:2], ("-",))]
        tp = sum(1 for k in expected if matched[k])
        fp = sum(1 for f in false_alarms if name in (modules.get(f["path"]) or ("-",)))
        if expected or fp:
            out[name] = _rates(len(expected), tp, fp)
    return out


def score(min_confidence: str = "medium", corpus: Path = SERVICES) -> dict:
    floor = int(Confidence.parse(min_confidence))
    markers = expected_markers(corpus)
    findings, errors = reported_findings(corpus)

    required = {k: conf for k, conf in markers.items() if _level(conf) >= floor}
    counted = [f for f in findings if int(Confidence.parse(f["confidence"])) >= floor]

    matched: Counter = Counter()
    false_alarms: List[dict] = []
    mismatches: List[str] = []
    for f in counted:
        key = (f["path"], f["line"], f["rule"])
        if key in required and not matched[key]:
            matched[key] += 1
            if required[key] and required[key] != f["confidence"]:
                mismatches.append(f"{key[0]}:{key[1]}: {key[2]} expected {required[key]}, reported {f['confidence']}")
        elif key in markers and key not in required:
            continue  # a marker below the floor: neither required nor a false alarm
        elif key in required:
            false_alarms.append(dict(f, why="reported twice on one line"))
        else:
            false_alarms.append(f)

    by_message = {(f["path"], f["line"], f["rule"]): f for f in findings}
    misses = []
    for key, conf in sorted(required.items()):
        if matched[key]:
            continue
        seen = by_message.get(key)
        note = f" (reported {seen['confidence']}, below the floor)" if seen else ""
        misses.append({"path": key[0], "line": key[1], "rule": key[2], "expected": conf or "any", "note": note})

    rules = {}
    for code in RULES + ("all",):
        def mine(rule: str) -> bool:
            return code == "all" or rule == code

        expected = sum(1 for k in required if mine(k[2]))
        tp = sum(n for k, n in matched.items() if mine(k[2]))
        fp = sum(1 for f in false_alarms if mine(f["rule"]))
        rules[code] = _rates(expected, tp, fp)
    return {
        "corpus": _display(corpus),
        "min_confidence": min_confidence,
        "files": len(list(corpus.rglob("*.py"))),
        "markers": len(markers),
        "rules": rules,
        "patterns": _by_pattern(corpus, required, matched, false_alarms),
        "misses": misses,
        "false_alarms": sorted(false_alarms, key=lambda f: (f["path"], f["line"], f["rule"])),
        "confidence_mismatches": sorted(mismatches),
        "errors": errors,
    }


def _display(corpus: Path) -> str:
    try:
        return corpus.resolve().relative_to(FIXTURES.parent.resolve()).as_posix()
    except ValueError:
        return str(corpus)


def _table(title: str, rows: Dict[str, dict]) -> List[str]:
    width = max([8, len(title)] + [len(k) for k in rows])
    lines = [f"{title:<{width}} {'expected':>8} {'reported':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'recall':>7} {'precision':>9}"]
    for key, r in rows.items():
        lines.append(f"{key:<{width}} {r['expected']:>8} {r['reported']:>8} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} "
                     f"{r['recall']:>7.2f} {r['precision']:>9.2f}")
    return lines + [""]


def render(result: dict) -> str:
    lines = [f"{result.get('corpus', 'fixtures/services')}: {result['files']} files, {result['markers']} markers, "
             f"min confidence {result['min_confidence']}", ""]
    lines.extend(_table("rule", result["rules"]))
    if result.get("patterns"):
        lines.extend(_table("pattern", result["patterns"]))
    lines.append(f"misses ({len(result['misses'])}):")
    for m in result["misses"]:
        lines.append(f"  {m['path']}:{m['line']}: {m['rule']}[{m['expected']}]{m['note']}")
    lines.append(f"false alarms ({len(result['false_alarms'])}):")
    for f in result["false_alarms"]:
        lines.append(f"  {f['path']}:{f['line']}: {f['rule']}[{f['confidence']}] {f['message']}")
    if result["confidence_mismatches"]:
        lines.append(f"confidence mismatches, counted as found ({len(result['confidence_mismatches'])}):")
        lines.extend(f"  {m}" for m in result["confidence_mismatches"])
    if result["errors"]:
        lines.append(f"file errors ({len(result['errors'])}):")
        lines.extend(f"  {e}" for e in result["errors"])
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=SERVICES,
                        help="project folder to score (default: fixtures/services)")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"), default="medium")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = score(args.min_confidence, args.corpus)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
