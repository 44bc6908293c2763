"""The JSON reporter: one document per run, `schema_version` 1, keys sorted."""

from __future__ import annotations

import json
import os
from typing import IO, Any, Dict, Optional

from ..records import dataclass
from .. import __version__
from ..discover import EXAMPLE, TEST
from ..findings import BaselineSummary, RunResult
from ..fingerprint import fingerprint

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class JsonOptions:
    root: str  # project root for the `fingerprint` of each finding


def baseline_summary(summary: BaselineSummary) -> Dict[str, Any]:
    return {
        "path": summary.path,
        "matched": summary.matched,
        "fixed": summary.fixed_count,
        "fixed_entries": [e.to_dict() for e in summary.fixed],
    }


def to_document(result: RunResult, root: Optional[str] = None) -> Dict[str, Any]:
    """Return the JSON-ready document for a run (the shape is documented in README.md)."""
    root = os.path.abspath(root or os.getcwd())
    findings = []
    for f in result.findings:
        item = f.to_dict()
        item["fingerprint"] = fingerprint(f, root)
        findings.append(item)
    summary: Dict[str, Any] = {
        "files": result.files,
        "parsed": result.parsed,
        "findings": len(result.findings),
        "suppressed": result.suppressed,
        "errors": len(result.errors),
        "unused_ignores": len(result.unused_ignores),
        "by_rule": result.counts(),
        "skipped": {role: result.skipped.get(role, 0) for role in (TEST, EXAMPLE)},
    }
    if result.baseline is not None:
        summary["baseline"] = baseline_summary(result.baseline)
    return {
        "schema_version": SCHEMA_VERSION,
        "version": __version__,
        "findings": findings,
        "errors": [e.to_dict() for e in result.errors],
        "unused_ignores": [u.to_dict() for u in result.unused_ignores],
        "summary": summary,
    }


def render(result: RunResult, options: Optional[JsonOptions], stream: IO[str]) -> None:
    """Write the run as one indented JSON document followed by a newline."""
    root = options.root if options is not None else None
    json.dump(to_document(result, root), stream, indent=2, sort_keys=True, ensure_ascii=True)
    stream.write("\n")
