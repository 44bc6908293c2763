"""The SARIF 2.1.0 reporter: one run, rules from the registry and their pages, stable fingerprints.

Mappings (also in README.md):

- `level`: confidence `high` -> `error`, `medium` -> `warning`, `low` -> `note`. GitHub code
  scanning shows `level` as the alert's severity, so only findings idemlint is sure of are
  errors.
- rule `properties.precision`: `medium` for every rule (each rule reports at all three
  confidences; the per-result confidence is in `result.properties.confidence` and `level`).
- `partialFingerprints["idemlint/v1"]`: `fingerprint:n` (fingerprint.py), never a line number.
- rule `helpUri` only with `docs-url` set; `help` always holds the whole page (`idemlint explain`).
- run `properties.skippedFiles`: test and example files left unchecked, by role.
- columns are Unicode code points (`run.columnKind`), 1-based; `endColumn` is exclusive.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Dict, List, Optional
from urllib.parse import quote

from ..records import dataclass
from .. import __version__
from ..findings import Confidence, FileError, Finding, RunResult, UnusedIgnore
from ..fingerprint import SARIF_KEY, fingerprints_with_occurrence, relative_path
from ..pages import rule_page, rule_url, sections

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVEL = {Confidence.HIGH: "error", Confidence.MEDIUM: "warning", Confidence.LOW: "note"}
RULE_PRECISION = "medium"
UNUSED_IGNORE_ID = "unused-ignore"


@dataclass(frozen=True)
class SarifOptions:
    root: str  # project root: URIs are relative to it (`%SRCROOT%`)
    docs_url: Optional[str] = None  # the `docs-url` setting: each rule's `helpUri` (none when unset)


def _rule_descriptor(rule: Any, docs_url: Optional[str] = None) -> Dict[str, Any]:
    page = rule_page(rule.name)
    if page is None:
        page = f"# `{rule.name}` ({rule.code})\n\n{rule.summary}\n"
    parts = sections(page)
    why = parts.get("Why is this bad?", "")
    full = rule.summary + (f"\n\n{why}" if why else "")
    descriptor: Dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": page, "markdown": page},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"precision": RULE_PRECISION, "tags": ["correctness", "idempotency"]},
    }
    url = rule_url(rule.name, rule.code, docs_url)
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _unused_descriptor() -> Dict[str, Any]:
    text = (
        "A `# idemlint: ignore[...]` or `# noqa: IDEM...` comment suppresses no finding "
        "(reported with `--warn-unused-ignores`)."
    )
    return {
        "id": UNUSED_IGNORE_ID,
        "name": UNUSED_IGNORE_ID,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text + " Remove the comment, or the codes in it that no longer match."},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"precision": "very-high", "tags": ["maintainability"]},
    }


def _artifact(path: str, root: str) -> Dict[str, Any]:
    rel = relative_path(path, root)
    if rel.startswith("/"):
        return {"uri": Path(rel).as_uri()}
    return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int = 0, end_column: int = 0) -> Dict[str, int]:
    region = {"startLine": max(1, line)}
    if column >= 1:
        region["startColumn"] = column
    if end_line >= line and end_line:
        region["endLine"] = end_line
        if end_column >= 1 and (end_line > line or end_column > column):
            region["endColumn"] = end_column
    return region


def _result(finding: Finding, fp: str, rule_index: Dict[str, int], root: str, baselined: bool) -> Dict[str, Any]:
    artifact = _artifact(finding.path, root)
    text = finding.message + (f"\nHint: {finding.hint}" if finding.hint else "")
    location: Dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": _region(finding.line, finding.column, finding.end_line, finding.end_column),
        }
    }
    if finding.symbol:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.symbol, "kind": "function"}]
    out: Dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVEL[finding.confidence],
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {SARIF_KEY: fp},
        "properties": {
            "confidence": finding.confidence.label,
            "symbol": finding.symbol,
            "hint": finding.hint,
            "evidence": list(finding.evidence),
        },
    }
    if finding.rule in rule_index:
        out["ruleIndex"] = rule_index[finding.rule]
    if finding.related:
        out["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": {"artifactLocation": dict(artifact), "region": _region(r.line, r.column)},
                "message": {"text": r.message},
            }
            for i, r in enumerate(finding.related, start=1)
        ]
    if baselined:
        out["baselineState"] = "new"
    return out


def _unused_result(unused: UnusedIgnore, index: int, root: str) -> Dict[str, Any]:
    return {
        "ruleId": UNUSED_IGNORE_ID,
        "ruleIndex": index,
        "level": "warning",
        "message": {"text": unused.message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(unused.path, root),
                                            "region": _region(unused.line, unused.column)}}],
        "properties": {"comment": unused.comment, "codes": list(unused.codes), "unknown": list(unused.unknown)},
    }


def _notification(error: FileError, root: str) -> Dict[str, Any]:
    physical: Dict[str, Any] = {"artifactLocation": _artifact(error.path, root)}
    if error.line:
        physical["region"] = {"startLine": error.line}
    return {
        "level": "error",
        "message": {"text": f"{error.kind}: {error.message}"},
        "descriptor": {"id": f"file-error/{error.kind}"},
        "locations": [{"physicalLocation": physical}],
    }


def to_document(result: RunResult, root: Optional[str] = None, docs_url: Optional[str] = None) -> Dict[str, Any]:
    """Return the SARIF log for a run as a dict."""
    from ..discover import EXAMPLE, TEST
    from ..rules import ALL_RULES

    root = os.path.abspath(root or os.getcwd())
    rules = [_rule_descriptor(rule, docs_url) for rule in ALL_RULES]
    rule_index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    baselined = result.baseline is not None
    fps = fingerprints_with_occurrence(result.findings, root)
    results: List[Dict[str, Any]] = [
        _result(f, fp, rule_index, root, baselined) for f, fp in zip(result.findings, fps)
    ]
    if result.unused_ignores:
        rules.append(_unused_descriptor())
        results.extend(_unused_result(u, len(rules) - 1, root) for u in result.unused_ignores)
    run: Dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "idemlint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(e, root) for e in result.errors],
            }
        ],
        "results": results,
        "properties": {"skippedFiles": {role: result.skipped.get(role, 0) for role in (TEST, EXAMPLE)}},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: RunResult, options: Optional[SarifOptions], stream: IO[str]) -> None:
    """Write the run as one SARIF 2.1.0 document (indented, keys sorted) and a newline."""
    root = options.root if options is not None else None
    docs_url = options.docs_url if options is not None else None
    json.dump(to_document(result, root, docs_url), stream, indent=2, sort_keys=True, ensure_ascii=True)
    stream.write("\n")
