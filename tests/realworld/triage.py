"""Whole-package scans and the precision of each confidence level, from the committed triage.

    python tests/realworld/triage.py scan [--package P ...] [--out FILE]
    python tests/realworld/triage.py precision [--scan FILE] [--write]
    python tests/realworld/triage.py sample [--scan FILE] [--size 40] [--seed 15]

`scan` runs `idemlint check <root> --format json --no-cache` in every pinned package root, as a
user would (a subprocess, default settings), for the labelled corpus (packages.toml) and the client
libraries (libraries.toml); then again with `--include-tests --include-examples`. It prints the
findings per confidence, the test and example findings of each run, and every finding that no
triage file judges (medium and high must all be judged). The findings are saved as JSON
(`<cache>/scans/latest.json` unless --out) for the other two commands.

`precision` joins the saved default-settings findings with the verdicts of the triage files
(`triage.toml` for the labelled corpus, `triage-libraries.toml` for the client libraries; a verdict
belongs to `(package, path, line, rule)`, so it survives a change of confidence) and prints the
precision per level and per rule x level. Medium and high are judged in full. Low is measured on a
random sample: the low findings whose `sample` key says so (drawn by `sample`, below); other low
findings that happen to be judged (a medium one demoted, a label) are shown apart, not mixed in.
Precision = real / judged, `unsure` counting as not real. `--write` stores the table in
`precision.json`, which the README's confidence table must repeat (tests/test_readme_confidence.py).

`sample` draws `--size` low findings at random (`random.Random(seed).sample` over the low findings
sorted by package, path, line, rule) and lists them, marked when already judged.

Nothing here imports or runs the scanned code.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fetch  # noqa: E402  (tests/realworld/fetch.py)

TRIAGE_FILES = {"packages": HERE / "triage.toml", "libraries": HERE / "triage-libraries.toml"}
PRECISION_FILE = HERE / "precision.json"
LEVELS = ("high", "medium", "low")
RULES = ("IDEM001", "IDEM002", "IDEM003", "IDEM004", "IDEM005")
INCLUDE = ("--include-tests", "--include-examples")
Key = Tuple[str, str, int, str]  # (package, path, line, rule)


def corpora() -> Dict[str, List[dict]]:
    return {"packages": fetch.load_packages(fetch.PACKAGES_FILE), "libraries": fetch.load_packages(fetch.LIBRARIES_FILE)}


def _check(root: Path, extra: Tuple[str, ...]) -> dict:
    cmd = [sys.executable, "-m", "idemlint", "check", ".", "--format", "json", "--no-cache", "--exit-zero", *extra]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{root}: idemlint exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def _row(corpus: str, pkg: dict, f: dict) -> dict:
    return {"corpus": corpus, "package": pkg["name"], "path": f["path"], "line": f["line"], "rule": f["rule"],
            "confidence": f["confidence"], "symbol": f.get("symbol") or "", "message": f["message"]}


def scan(names: Optional[List[str]] = None, log=print) -> dict:
    sys.path.insert(0, str(HERE))
    import score  # noqa: E402  (the engine's commit, as the scorer records it)

    out: dict = {"engine": score.engine_commit(), "packages": [], "default": [], "included": []}
    for corpus, packages in corpora().items():
        for pkg in packages:
            if names and pkg["name"] not in names:
                continue
            root = fetch.package_root(pkg)
            if not fetch.is_unpacked(pkg):
                raise SystemExit(f"not fetched: {pkg['name']} (python tests/realworld/fetch.py"
                                 f"{' --libraries' if corpus == 'libraries' else ''})")
            default, included = _check(root, ()), _check(root, INCLUDE)
            out["default"] += [_row(corpus, pkg, f) for f in default["findings"]]
            out["included"] += [_row(corpus, pkg, f) for f in included["findings"]]
            summary = default["summary"]
            out["packages"].append({
                "corpus": corpus, "name": pkg["name"], "version": pkg["version"], "files": summary["files"],
                "skipped": summary.get("skipped", {}), "errors": summary["errors"] + included["summary"]["errors"],
                "default": len(default["findings"]), "included": len(included["findings"])})
            log(f"{pkg['name']}=={pkg['version']}: {len(default['findings'])} findings, "
                f"{len(included['findings'])} with tests and examples")
    return out


def roles(scan_result: dict, verdicts: Dict[Key, dict]) -> dict:
    """Test and example findings: at default settings, those whose file a triage entry says is test or
    example code (the engine took it for production); with both flags, the findings only that run has."""
    default = {key_of(f) for f in scan_result["default"]}
    extra = [f for f in scan_result["included"] if key_of(f) not in default]
    leaked = [f for f in scan_result["default"] if verdicts.get(key_of(f), {}).get("code") in ("test", "example")]
    return {"default": len(leaked), "default_paths": sorted(f"{f['package']}: {f['path']}" for f in leaked),
            "with_flags": {lvl: sum(1 for f in extra if f["confidence"] == lvl) for lvl in LEVELS}}


def load_verdicts() -> Dict[Key, dict]:
    verdicts: Dict[Key, dict] = {}
    for path in TRIAGE_FILES.values():
        if not path.is_file():
            continue
        with open(path, "rb") as fh:
            for entry in fetch.tomllib.load(fh).get("finding", []):
                verdicts[(entry["package"], entry["path"], entry["line"], entry["rule"])] = entry
    return verdicts


def key_of(f: dict) -> Key:
    return (f["package"], f["path"], f["line"], f["rule"])


def _cell(items: List[dict]) -> dict:
    c = Counter(v["verdict"] for v in items)
    judged = c["real"] + c["false"] + c["unsure"]
    return {"judged": judged, "real": c["real"], "false": c["false"], "unsure": c["unsure"],
            "precision": round(c["real"] / judged, 2) if judged else None}


def precision(scan_result: dict) -> dict:
    verdicts = load_verdicts()
    findings = scan_result["default"]
    counts = Counter(f["confidence"] for f in findings)
    unjudged = [f for f in findings if f["confidence"] != "low" and key_of(f) not in verdicts]
    judged: Dict[str, List[dict]] = defaultdict(list)  # level -> verdicts counted
    by_rule: Dict[Tuple[str, str], List[dict]] = defaultdict(list)
    other_low: List[dict] = []
    for f in findings:
        v = verdicts.get(key_of(f))
        if v is None:
            continue
        if f["confidence"] == "low" and not v.get("sample"):
            other_low.append(v)
            continue
        judged[f["confidence"]].append(v)
        by_rule[(f["rule"], f["confidence"])].append(v)
    pkgs = scan_result["packages"]
    return {
        "engine": scan_result["engine"],
        "corpus": {"packages": len(pkgs), "files": sum(p["files"] for p in pkgs),
                   "versions": {p["name"]: p["version"] for p in pkgs}},
        "levels": {lvl: {"findings": counts.get(lvl, 0), **_cell(judged[lvl])} for lvl in LEVELS},
        "rules": {f"{r} {lvl}": _cell(by_rule[(r, lvl)]) for r in RULES for lvl in LEVELS if by_rule[(r, lvl)]},
        "low_judged_outside_sample": _cell(other_low),
        "unjudged_medium_high": len(unjudged),
        "test_and_example": roles(scan_result, verdicts),
        # the judged medium and high findings that only --include-tests --include-examples reports
        "test_and_example_judged": {lvl: _cell([verdicts[key_of(f)] for f in scan_result["included"]
                                                if f["confidence"] == lvl and key_of(f) in verdicts
                                                and key_of(f) not in {key_of(g) for g in findings}])
                                    for lvl in ("high", "medium")},
    }


def render(result: dict) -> str:
    out = [f"engine {result['engine']}",
           f"{result['corpus']['packages']} packages, {result['corpus']['files']} files", "",
           "| confidence | findings | judged | real | false | unsure | precision |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for lvl, r in result["levels"].items():
        p = "n/a" if r["precision"] is None else f"{r['precision']:.2f}"
        out.append(f"| {lvl} | {r['findings']} | {r['judged']} | {r['real']} | {r['false']} | {r['unsure']} | {p} |")
    out += ["", "| rule x level | judged | real | false | unsure | precision |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in result["rules"].items():
        out.append(f"| {name} | {r['judged']} | {r['real']} | {r['false']} | {r['unsure']} | {r['precision']:.2f} |")
    o = result["low_judged_outside_sample"]
    out += ["", f"low findings judged outside the sample: {o['judged']} ({o['real']} real, {o['false']} false, "
                f"{o['unsure']} unsure)",
            f"medium/high findings without a verdict: {result['unjudged_medium_high']}"]
    te = result["test_and_example"]
    out.append(f"test and example findings at default settings: {te['default']} {te['default_paths']}")
    out.append(f"test and example findings only with --include-tests --include-examples: {te['with_flags']}")
    for lvl, r in result["test_and_example_judged"].items():
        out.append(f"  judged {lvl}: {r['judged']} ({r['real']} real, {r['false']} false, {r['unsure']} unsure)")
    return "\n".join(out)


def sample(scan_result: dict, size: int, seed: int) -> List[dict]:
    lows = sorted((f for f in scan_result["default"] if f["confidence"] == "low"), key=key_of)
    return random.Random(seed).sample(lows, min(size, len(lows)))


def _default_scan_file() -> Path:
    return fetch.cache_dir() / "scans" / "latest.json"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_scan = sub.add_parser("scan")
    p_scan.add_argument("--package", action="append", default=[])
    p_scan.add_argument("--out", type=Path, default=None)
    p_prec = sub.add_parser("precision")
    p_prec.add_argument("--scan", type=Path, default=None)
    p_prec.add_argument("--write", action="store_true", help=f"store the table in {PRECISION_FILE.name}")
    p_prec.add_argument("--json", action="store_true")
    p_samp = sub.add_parser("sample")
    p_samp.add_argument("--scan", type=Path, default=None)
    p_samp.add_argument("--size", type=int, default=40)
    p_samp.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)

    if args.cmd == "scan":
        result = scan(args.package or None)
        target = args.out or _default_scan_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(f"saved {target}")
        print(f"by confidence: {dict(Counter(f['confidence'] for f in result['default']))}")
        verdicts = load_verdicts()
        print(f"test/example findings: {roles(result, verdicts)}")
        todo = [f for f in result["default"] if f["confidence"] != "low" and key_of(f) not in verdicts]
        print(f"medium/high without a verdict ({len(todo)}):")
        for f in sorted(todo, key=key_of):
            print(f"  {f['package']}: {f['path']}:{f['line']} {f['rule']} {f['confidence']} {f['symbol']}")
        return 0
    result_scan = json.loads((args.scan or _default_scan_file()).read_text(encoding="utf-8"))
    if args.cmd == "sample":
        verdicts = load_verdicts()
        for f in sample(result_scan, args.size, args.seed):
            v = verdicts.get(key_of(f))
            mark = f"[{v['verdict']}{', sample' if v.get('sample') else ''}]" if v else "[todo]"
            print(f"{mark} {f['package']}: {f['path']}:{f['line']} {f['rule']} {f['symbol']} -- {f['message']}")
        return 0
    result = precision(result_scan)
    if args.write:
        PRECISION_FILE.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
