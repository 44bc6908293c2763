"""Analyse one module's source: parse, detect consumers and producers, run the rules."""

from __future__ import annotations

from typing import List

from .findings import Finding


class ParseFailure(Exception):
    """The source could not be decoded or parsed; `line` is 0 when unknown."""

    def __init__(self, message: str, line: int = 0, kind: str = "syntax") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.kind = kind


def passes_prefilter(source: bytes) -> bool:
    """Return True if the source mentions any adapter's trigger token (cheap, no parse)."""
    raise NotImplementedError  # filled in by the engine


def analyze(source: bytes, path: str) -> List[Finding]:
    """Return every rule's findings for `source` (unfiltered, unsuppressed, sorted).

    `path` is the display path put into each finding. Raises `ParseFailure` for
    undecodable or unparsable input; any other exception is an internal error.
    """
    raise NotImplementedError  # filled in by the engine
