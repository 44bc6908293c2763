"""Baselines: record today's findings, later report only the new ones.

The file is JSON (UTF-8, keys sorted, two-space indent, entries sorted by path, rule, symbol,
fingerprint), so it diffs well and rewriting an unchanged tree gives identical bytes:

    {
      "entries": [
        {"confidence": "high", "count": 1, "fingerprint": "<32 hex>", "message": "...",
         "name": "ack-without-dedup", "path": "shop/payments.py", "rule": "IDEM001",
         "symbol": "on_order_placed"}
      ],
      "idemlint_baseline": 1
    }

Only `fingerprint` and `count` decide matching (see fingerprint.py: rule, root-relative path,
symbol and the normalised reported code; never the line number). The other fields are for
people reading the file and for the "fixed" report. Matching is a multiset: an entry with
`count: 2` hides at most two findings with that fingerprint.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .records import dataclass
from .config import Config
from .findings import BaselineEntry, BaselineSummary, Confidence, Finding, RunResult
from .fingerprint import fingerprint, relative_path

FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not an idemlint baseline."""


@dataclass(frozen=True)
class Baseline:
    path: str
    entries: Tuple[BaselineEntry, ...]


def entries_for(findings: Sequence[Finding], root: str) -> List[BaselineEntry]:
    """Group findings by fingerprint into sorted baseline entries."""
    grouped: Dict[str, BaselineEntry] = {}
    for f in findings:
        fp = fingerprint(f, root)
        if fp in grouped:
            old = grouped[fp]
            grouped[fp] = BaselineEntry(fp, old.path, old.rule, old.symbol, old.count + 1, old.name, old.confidence, old.message)
        else:
            grouped[fp] = BaselineEntry(fp, relative_path(f.path, root), f.rule, f.symbol, 1, f.name, f.confidence.label, f.message)
    return sorted(grouped.values(), key=lambda e: (e.path, e.rule, e.symbol, e.fingerprint))


def dumps(entries: Iterable[BaselineEntry]) -> str:
    doc = {"idemlint_baseline": FORMAT_VERSION, "entries": [e.to_dict() for e in entries]}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: str, findings: Sequence[Finding], root: str) -> int:
    """Write the baseline for `findings` to `path`; return the number of findings recorded."""
    text = dumps(entries_for(findings, root))
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return len(findings)


def _entry(raw: object, where: str) -> BaselineEntry:
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: expected an object")
    fp, count = raw.get("fingerprint"), raw.get("count", 1)
    if not isinstance(fp, str) or not fp:
        raise BaselineError(f"{where}: missing fingerprint")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BaselineError(f"{where}: count must be a positive integer")
    text = {k: raw.get(k, "") for k in ("path", "rule", "symbol", "name", "confidence", "message")}
    if not all(isinstance(v, str) for v in text.values()):
        raise BaselineError(f"{where}: path, rule, symbol, name, confidence and message must be strings")
    return BaselineEntry(fp, text["path"], text["rule"], text["symbol"], count, text["name"], text["confidence"], text["message"])


def load(path: str) -> Baseline:
    """Read a baseline file; raise `BaselineError` with a one-line reason."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as e:
        raise BaselineError(f"{path}: cannot read baseline: {e.strerror or e}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: not a JSON baseline: {e}") from None
    if not isinstance(doc, dict) or "idemlint_baseline" not in doc:
        raise BaselineError(f"{path}: not an idemlint baseline (no `idemlint_baseline` key)")
    if doc["idemlint_baseline"] != FORMAT_VERSION:
        raise BaselineError(f"{path}: unsupported baseline version {doc['idemlint_baseline']!r} (expected {FORMAT_VERSION})")
    raw = doc.get("entries")
    if not isinstance(raw, list):
        raise BaselineError(f"{path}: `entries` must be a list")
    return Baseline(path, tuple(_entry(item, f"{path}: entries[{i}]") for i, item in enumerate(raw)))


def _in_scope(entry: BaselineEntry, config: Optional[Config]) -> bool:
    """Could this run have reported the entry's finding at all (rule enabled, confident enough)?"""
    if config is None:
        return True
    if entry.rule not in config.enabled_codes():
        return False
    try:
        return Confidence.parse(entry.confidence) >= config.min_confidence
    except ValueError:
        return True


def apply(result: RunResult, baseline: Baseline, root: str, config: Optional[Config] = None) -> None:
    """Drop findings the baseline covers from `result` and record what no longer matched.

    An entry counts as fixed only if its file was checked in this run (so `--diff` and a
    narrower path do not "fix" the rest of the baseline) and the run could have reported it
    (its rule is enabled and its confidence is at least `min-confidence`).
    """
    remaining = Counter()
    for entry in baseline.entries:
        remaining[entry.fingerprint] += entry.count
    kept: List[Finding] = []
    matched = 0
    for f in result.findings:
        fp = fingerprint(f, root)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            matched += 1
        else:
            kept.append(f)
    checked = {relative_path(p, root) for p in result.checked}
    fixed = []
    for entry in baseline.entries:
        left = min(entry.count, remaining[entry.fingerprint])
        if left <= 0 or entry.path not in checked or not _in_scope(entry, config):
            continue
        remaining[entry.fingerprint] -= left
        fixed.append(BaselineEntry(entry.fingerprint, entry.path, entry.rule, entry.symbol, left, entry.name,
                                   entry.confidence, entry.message))
    result.findings = kept
    result.baseline = BaselineSummary(path=baseline.path, matched=matched, fixed=tuple(fixed))
