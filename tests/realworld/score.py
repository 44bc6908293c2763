"""Recall and precision of idemlint on the labelled real-world corpus (tests/realworld/).

    python tests/realworld/score.py [--package P ...] [--json] [--min-confidence low|medium|high]
                                    [--jobs N] [--fetch]

Each pinned package (packages.toml) is linted as a user would lint it: `lint_paths([root])`
in-process on the unpacked sdist root, every rule selected (preview ones too), no cache, all other
settings at their defaults (so whatever a default scan skips stays skipped). Findings are matched
to the hand labels (labels.toml) by (package, path, symbol, rule):

- a labelled function and a rule form a pair; the pair is *reported* when at least one finding of
  that rule, at or above the confidence floor, has the function as its symbol;
- TP: a reported pair whose rule the label expects; FP: a reported pair it does not expect
  (decoys included); FN: an expected pair not reported;
- recall = TP / expected, precision = TP / reported (1.0 when the denominator is 0).

Without --min-confidence the tables are printed at `low` and at `medium` (medium and high). The
misses and false alarms are listed per level (path:line symbol rule confidence). Findings on
functions nobody labelled are counted per confidence and listed with --json, for a later triage;
they are not scored. The engine's commit is recorded, and so are per-file errors.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fetch  # noqa: E402  (tests/realworld/fetch.py)

from idemlint.api import Config, lint_paths  # noqa: E402
from idemlint.findings import Confidence  # noqa: E402

RULES = ("IDEM001", "IDEM002", "IDEM003", "IDEM004", "IDEM005")
LEVELS = ("low", "medium", "high")

LabelKey = Tuple[str, str, str]  # (package, path, function)


def load_labels(path: Path = fetch.LABELS_FILE) -> List[dict]:
    with open(path, "rb") as fh:
        return list(fetch.tomllib.load(fh)["label"])


def engine_commit() -> str:
    """`git rev-parse HEAD` of the idemlint checkout that is imported (plus '+dirty' if src changed)."""
    import idemlint

    src = Path(idemlint.__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=src, capture_output=True,
                               text=True, check=True).stdout.strip()
        engine = subprocess.run(["git", "log", "-1", "--format=%h", "--", "."], cwd=src, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"unknown (idemlint {getattr(idemlint, '__version__', '?')}, not a git checkout)"
    return f"{head}{'+dirty' if dirty else ''} (engine source last changed in {engine})"


def _config(root: Path, jobs: Optional[int]) -> Config:
    from idemlint.rules import ALL_RULES

    codes = tuple(r.code for r in ALL_RULES)  # preview rules too
    return replace(Config(), select=codes, jobs=jobs, cache_dir=None, root=str(root))


# a handler another module defines is reported where it is registered, and the message says where it
# is defined (`analysis._defined_at`): the finding is about that function, which the labels name
_DEFINED_AT = re.compile(r"\(`[^`]+` is defined in (.+?)(?::\d+)?, registered here\)$")


def _handler_file(finding) -> Optional[str]:
    """The file of the handler a finding shown at a registration is about (None: the shown file)."""
    found = _DEFINED_AT.search(finding.message)
    return found.group(1) if found else None


def lint_package(pkg: dict, root: Path, jobs: Optional[int]) -> Tuple[List[dict], List[dict], int]:
    """The engine's findings on one package root (paths relative to it), its file errors, files seen."""
    result = lint_paths([str(root)], _config(root, jobs))
    base = root.resolve()

    def rel(p: str) -> str:
        try:
            return Path(p).resolve().relative_to(base).as_posix()
        except ValueError:
            return p

    findings = [{"package": pkg["name"], "path": rel(_handler_file(f) or f.path), "line": f.line, "rule": f.rule,
                 "confidence": f.confidence.label, "symbol": f.symbol, "message": f.message}
                for f in result.findings]
    errors = [{"package": pkg["name"], "path": rel(e.path), "line": e.line, "kind": e.kind, "message": e.message}
              for e in result.errors]
    return findings, errors, result.files


def def_lines(root: Path, path: str) -> Dict[str, int]:
    """Qualified name (Class.method, outer.inner) -> line of its `def`, read with ast (nothing runs)."""
    out: Dict[str, int] = {}
    try:
        tree = ast.parse((root / path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return out

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.setdefault(prefix + child.name, child.lineno)
                walk(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _at_least(label: str, floor: str) -> bool:
    return int(Confidence.parse(label)) >= int(Confidence.parse(floor))


def score_level(labels: List[dict], findings: List[dict], floor: str, lines: Dict[LabelKey, int]) -> dict:
    by_key: Dict[LabelKey, dict] = {(lb["package"], lb["path"], lb["function"]): lb for lb in labels}
    # (label key, rule) -> the findings of that rule on that function, at or above the floor
    seen: Dict[Tuple[LabelKey, str], List[dict]] = defaultdict(list)
    below: Dict[Tuple[LabelKey, str], List[dict]] = defaultdict(list)
    for f in findings:
        key = (f["package"], f["path"], f["symbol"])
        if key not in by_key:
            continue
        (seen if _at_least(f["confidence"], floor) else below)[(key, f["rule"])].append(f)

    rows = {}
    misses, false_alarms = [], []
    for code in RULES + ("all",):
        def mine(rule: str) -> bool:
            return code == "all" or rule == code

        expected = {(k, r) for k, lb in by_key.items() for r in lb["expect"] if mine(r)}
        reported = {pair for pair in seen if mine(pair[1])}
        tp = expected & reported
        fp = reported - expected
        fn = expected - reported
        rows[code] = {
            "expected": len(expected), "reported": len(reported), "tp": len(tp), "fp": len(fp), "fn": len(fn),
            "recall": len(tp) / len(expected) if expected else 1.0,
            "precision": len(tp) / len(reported) if reported else 1.0,
        }
        if code == "all":
            for key, rule in sorted(fn):
                lower = below.get((key, rule))
                misses.append({"package": key[0], "path": key[1], "line": lines.get(key, 0), "symbol": key[2],
                               "rule": rule, "role": by_key[key]["role"], "pattern": by_key[key]["pattern"],
                               "note": f"reported {lower[0]['confidence']}, below the floor" if lower else ""})
            for key, rule in sorted(fp):
                first = min(seen[(key, rule)], key=lambda f: f["line"])
                false_alarms.append({"package": key[0], "path": key[1], "line": first["line"], "symbol": key[2],
                                     "rule": rule, "confidence": first["confidence"], "role": by_key[key]["role"],
                                     "pattern": by_key[key]["pattern"], "message": first["message"]})
    return {"min_confidence": floor, "rules": rows, "misses": misses, "false_alarms": false_alarms}


def score(package_names: Optional[List[str]] = None, levels: Tuple[str, ...] = ("low", "medium"),
          jobs: Optional[int] = 1, do_fetch: bool = False) -> dict:
    packages = fetch.load_packages()
    if package_names:
        unknown = set(package_names) - {p["name"] for p in packages}
        if unknown:
            raise SystemExit(f"unknown package(s): {', '.join(sorted(unknown))}")
        packages = [p for p in packages if p["name"] in package_names]
    if do_fetch:
        fetch.fetch(packages, log=lambda _msg: None)
    missing = [p["name"] for p in packages if not fetch.is_unpacked(p)]
    if missing:
        raise SystemExit(f"not fetched: {', '.join(missing)} (run python tests/realworld/fetch.py)")

    names = {p["name"] for p in packages}
    labels = [lb for lb in load_labels() if lb["package"] in names]
    findings: List[dict] = []
    errors: List[dict] = []
    files: Dict[str, int] = {}
    for pkg in packages:
        found, errs, nfiles = lint_package(pkg, fetch.package_root(pkg), jobs)
        findings += found
        errors += errs
        files[pkg["name"]] = nfiles

    lines: Dict[LabelKey, int] = {}
    roots = {p["name"]: fetch.package_root(p) for p in packages}
    for path_key in sorted({(lb["package"], lb["path"]) for lb in labels}):
        defs = def_lines(roots[path_key[0]], path_key[1])
        for lb in labels:
            if (lb["package"], lb["path"]) == path_key:
                lines[(lb["package"], lb["path"], lb["function"])] = defs.get(lb["function"], 0)

    labelled = {(lb["package"], lb["path"], lb["function"]) for lb in labels}
    unlabelled = [f for f in findings if (f["package"], f["path"], f["symbol"]) not in labelled]
    per_conf = Counter(f["confidence"] for f in unlabelled)
    per_pkg: Dict[str, Counter] = defaultdict(Counter)
    for f in unlabelled:
        per_pkg[f["package"]][f["confidence"]] += 1

    return {
        "engine_commit": engine_commit(),
        "packages": [{"name": p["name"], "version": p["version"], "files": files[p["name"]],
                      "labels": sum(1 for lb in labels if lb["package"] == p["name"])} for p in packages],
        "labels": len(labels),
        "findings": len(findings),
        "levels": {lvl: score_level(labels, findings, lvl, lines) for lvl in levels},
        "unlabelled": {
            "by_confidence": {lvl: per_conf.get(lvl, 0) for lvl in LEVELS},
            "by_package": {name: {lvl: c.get(lvl, 0) for lvl in LEVELS} for name, c in sorted(per_pkg.items())},
            "findings": sorted(unlabelled, key=lambda f: (f["package"], f["path"], f["line"], f["rule"])),
        },
        "errors": errors,
    }


def render(result: dict) -> str:
    out = [f"engine {result['engine_commit']}",
           f"{len(result['packages'])} packages, {result['labels']} labelled functions, "
           f"{result['findings']} findings", ""]
    for name, level in result["levels"].items():
        floor = "low and above" if name == "low" else f"{name}{' and above' if name != 'high' else ''}"
        out.append(f"min confidence {floor}")
        out.append(f"{'rule':<8} {'expected':>8} {'reported':>8} {'TP':>4} {'FP':>4} {'FN':>4} "
                   f"{'recall':>7} {'precision':>9}")
        for code, r in level["rules"].items():
            out.append(f"{code:<8} {r['expected']:>8} {r['reported']:>8} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} "
                       f"{r['recall']:>7.2f} {r['precision']:>9.2f}")
        out.append("")
        out.append(f"misses at {name} ({len(level['misses'])}):")
        for m in level["misses"]:
            note = f"  ({m['note']})" if m["note"] else ""
            out.append(f"  {m['package']}: {m['path']}:{m['line']} {m['symbol']} {m['rule']} "
                       f"[{m['role']}, {m['pattern']}]{note}")
        out.append(f"false alarms at {name} ({len(level['false_alarms'])}):")
        for f in level["false_alarms"]:
            out.append(f"  {f['package']}: {f['path']}:{f['line']} {f['symbol']} {f['rule']} {f['confidence']} "
                       f"[{f['role']}, {f['pattern']}]")
        out.append("")
    un = result["unlabelled"]
    out.append("findings on unlabelled functions (not scored): "
               + ", ".join(f"{lvl} {n}" for lvl, n in un["by_confidence"].items()))
    for name, counts in un["by_package"].items():
        out.append(f"  {name}: " + ", ".join(f"{lvl} {n}" for lvl, n in counts.items()))
    out.append(f"file errors ({len(result['errors'])}):")
    for e in result["errors"]:
        out.append(f"  {e['package']}: {e['path']}:{e['line']}: {e['kind']}: {e['message']}")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", action="append", default=[], help="score only this package (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--min-confidence", choices=LEVELS, default=None,
                        help="score at this floor only (default: low, then medium)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the scan (default 1)")
    parser.add_argument("--fetch", action="store_true", help="fetch missing packages first")
    args = parser.parse_args(argv)
    levels = (args.min_confidence,) if args.min_confidence else ("low", "medium")
    result = score(args.package, levels, args.jobs, args.fetch)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
