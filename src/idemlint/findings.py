"""Plain, picklable records that flow from the analysis to the reporters."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Dict, List, Tuple


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


@dataclass(frozen=True)
class Related:
    """A secondary location of a finding: the ack, the side effect, the marker."""

    line: int
    column: int
    message: str


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
class FileResult:
    path: str
    findings: Tuple[Finding, ...] = ()
    errors: Tuple[FileError, ...] = ()
    suppressed: int = 0
    parsed: bool = False


@dataclass
class RunResult:
    files: int = 0
    parsed: int = 0
    findings: List[Finding] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)
    suppressed: int = 0

    def counts(self) -> Dict[str, Dict[str, int]]:
        """Findings counted by rule code, then by confidence label."""
        out: Dict[str, Dict[str, int]] = {}
        for f in self.findings:
            by_conf = out.setdefault(f.rule, {"high": 0, "medium": 0, "low": 0})
            by_conf[f.confidence.label] += 1
        return dict(sorted(out.items()))
