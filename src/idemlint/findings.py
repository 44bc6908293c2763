"""Plain, picklable records that flow from the analysis to the reporters."""

from __future__ import annotations

import enum
from dataclasses import field
from typing import Dict, List, Optional, Tuple

from .records import dataclass


class Confidence(enum.IntEnum):
    """How sure idemlint is that a finding is real."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Confidence":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown confidence {text!r} (expected low, medium or high)") from None


class ParseFailure(Exception):
    """The engine could not decode or parse a source; `line` is 0 when unknown. It becomes a
    `FileError` of kind `kind`."""

    def __init__(self, message: str, line: int = 0, kind: str = "syntax") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.kind = kind


@dataclass(frozen=True)
class Related:
    """A secondary location of a finding: the ack, the side effect, the marker."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Step:
    """One link of a finding's trace: why the function is a consumer (or producer), the ack, the side
    effect, the call chain that led to it. `kind` is `consumer`, `producer`, `call` or an event kind
    of the analysis (`ack`, `effect`, `marker`, `lookup`, `handoff`, ...)."""

    kind: str
    line: int
    column: int
    message: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Finding:
    """One reported problem. Lines are 1-based, columns 1-based (as editors show them)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    name: str
    confidence: Confidence
    message: str
    hint: str
    symbol: str
    scope_line: int = 0  # line of the enclosing handler's `def` (suppressions may sit there)
    related: Tuple[Related, ...] = ()
    evidence: Tuple[str, ...] = ()
    trace: Tuple[Step, ...] = ()  # `check --show-evidence`: consumer, ack, side effect, call chain
    # Hash of the normalised source of lines `line`..`end_line` (comments and layout dropped),
    # set by `api.lint_source`; the stable part of the fingerprint (see fingerprint.py).
    snippet_hash: str = ""

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.rule)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "rule": self.rule,
            "name": self.name,
            "confidence": self.confidence.label,
            "message": self.message,
            "hint": self.hint,
            "symbol": self.symbol,
            "related": [
                {"line": r.line, "column": r.column, "message": r.message} for r in self.related
            ],
            "evidence": list(self.evidence),
            "trace": [step.to_dict() for step in self.trace],
        }


@dataclass(frozen=True)
class FileError:
    """A file that could not be checked. `kind` is one of: read, decode, syntax, skipped, internal."""

    path: str
    message: str
    kind: str = "syntax"
    line: int = 0
    traceback: str = ""  # only for kind "internal" under `--verbose`

    def to_dict(self) -> dict:
        out = {"path": self.path, "message": self.message, "kind": self.kind}
        if self.line:
            out["line"] = self.line
        if self.traceback:
            out["traceback"] = self.traceback
        return out


@dataclass(frozen=True)
class UnusedIgnore:
    """A suppression comment (or some of the codes it lists) that hid no finding.

    `codes` are the unused canonical codes (`*` for a bare `# idemlint: ignore`);
    `unknown` are items of an `# idemlint: ignore[...]` list that name no rule.
    """

    path: str
    line: int
    column: int
    comment: str
    codes: Tuple[str, ...] = ()
    unknown: Tuple[str, ...] = ()

    @property
    def message(self) -> str:
        parts = []
        if "*" in self.codes:
            parts.append("suppression comment hides no finding")
        elif self.codes:
            listed = ", ".join(self.codes)
            parts.append(f"unused suppression for {listed}: no such finding on this line")
        if self.unknown:
            parts.append("unknown rule " + ", ".join(f"`{u}`" for u in self.unknown))
        return "; ".join(parts)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "comment": self.comment,
            "codes": list(self.codes),
            "unknown": list(self.unknown),
            "message": self.message,
        }


@dataclass(frozen=True)
class BaselineEntry:
    """One baseline line: `count` findings with this fingerprint (see baseline.py)."""

    fingerprint: str
    path: str
    rule: str
    symbol: str
    count: int = 1
    name: str = ""
    confidence: str = ""
    message: str = ""

    def to_dict(self) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "path": self.path,
            "rule": self.rule,
            "name": self.name,
            "symbol": self.symbol,
            "confidence": self.confidence,
            "count": self.count,
            "message": self.message,
        }


@dataclass(frozen=True)
class BaselineSummary:
    """How a run compared with `--baseline FILE`: findings hidden, entries no longer matched."""

    path: str
    matched: int = 0
    fixed: Tuple[BaselineEntry, ...] = ()  # each with the count that no longer matches

    @property
    def fixed_count(self) -> int:
        return sum(e.count for e in self.fixed)


@dataclass(frozen=True)
class FileResult:
    path: str
    findings: Tuple[Finding, ...] = ()
    errors: Tuple[FileError, ...] = ()
    suppressed: int = 0
    parsed: bool = False
    unused_ignores: Tuple[UnusedIgnore, ...] = ()
    skipped: str = ""  # the role (`test`, `example`) of a file left unchecked; "": checked


@dataclass
class RunResult:
    files: int = 0
    parsed: int = 0
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    suppressed: int = 0
    unused_ignores: List[UnusedIgnore] = field(default_factory=list)
    checked: List[str] = field(default_factory=list)  # display paths of every file checked
    baseline: Optional[BaselineSummary] = None  # set when `--baseline` was applied
    skipped: Dict[str, int] = field(default_factory=dict)  # files left unchecked, by role (test, example)

    def reported(self) -> bool:
        """True when the run should exit 1: findings, file errors or unused suppressions."""
        return bool(self.findings or self.errors or self.unused_ignores)

    def counts(self) -> Dict[str, Dict[str, int]]:
        """Findings counted by rule code, then by confidence label."""
        out: Dict[str, Dict[str, int]] = {}
        for f in self.findings:
            by_conf = out.setdefault(f.rule, {"high": 0, "medium": 0, "low": 0})
            by_conf[f.confidence.label] += 1
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class Analysis:
    """The configuration-independent outcome of analysing one file: what the cache stores."""

    findings: Tuple[Finding, ...] = ()  # every rule's findings, unfiltered, with snippet hashes
    error: Optional[FileError] = None
    parsed: bool = False
    # (path, content digest) of the other project modules read to follow calls: the entry is
    # valid only while they are unchanged
    deps: Tuple[Tuple[str, str], ...] = ()
