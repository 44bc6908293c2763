"""Stable finding identities for SARIF `partialFingerprints` and baselines: no line numbers.

Recipe (version `v1`):

    snippet  = the tokens of the reported lines `line`..`end_line`, comments, indentation and
               line breaks dropped, joined by one space (so re-indenting, re-wrapping the
               whitespace or adding a comment changes nothing)
    snippet_hash = sha256(snippet)[:16 hex]                       (computed in `api.lint_source`)
    fingerprint  = sha256("v1\\0" rule "\\0" path "\\0" symbol "\\0" snippet_hash)[:32 hex]

`path` is relative to the project root (the git work tree holding the current directory, else
the current directory), `/`-separated, so the same tree gives the same fingerprints whichever
directory idemlint is run from. Moving code up or down, or editing other lines, keeps a
fingerprint; editing the reported lines, renaming the handler or the file changes it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tokenize
from typing import Dict, Iterable, List, Optional, Tuple

from .findings import Finding

VERSION = "v1"
SARIF_KEY = f"idemlint/{VERSION}"
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}


# Python 3.12+ (PEP 701) splits an f-string into FSTRING_START, its parts and FSTRING_END; before,
# it was one STRING token. The f-string is put back together, so a fingerprint does not depend on
# the Python that computed it (a baseline written on 3.11 must match on 3.13).
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def _tokens_by_line(source: bytes, last_line: Optional[int] = None) -> Optional[Dict[int, List[str]]]:
    """The tokens starting on each line, up to `last_line` (the rest of the file is not tokenized)."""
    out: Dict[int, List[str]] = {}
    depth = 0  # f-strings open (they nest)
    encoding = "utf-8"
    lines: List[str] = []  # the decoded source lines, split as tokenize reads them (only for f-strings)
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if not depth and last_line is not None and tok.start[0] > last_line:
                break
            if tok.type == tokenize.ENCODING:
                encoding = tok.string
            if tok.type == _FSTRING_START:
                if depth == 0:
                    start = tok.start
                depth += 1
            if depth:
                if tok.type == _FSTRING_END:
                    depth -= 1
                    if depth == 0:
                        lines = lines or source.decode(encoding).removeprefix("\ufeff").split("\n")  # as tokenize reads it
                        out.setdefault(start[0], []).append(_span(lines, start, tok.end))
                continue
            if tok.type not in _SKIP:
                out.setdefault(tok.start[0], []).append(tok.string)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError, ValueError, IndexError):
        return None  # IndexError: rows that do not match the lines split above (lone CRs): raw lines
    return out


def _span(lines: List[str], start: Tuple[int, int], end: Tuple[int, int]) -> str:
    """The source text from `start` to `end`, both (row, column) as tokenize gives them."""
    if start[0] == end[0]:
        return lines[start[0] - 1][start[1]:end[1]]
    middle = lines[start[0]:end[0] - 1]
    return "\n".join([lines[start[0] - 1][start[1]:], *middle, lines[end[0] - 1][:end[1]]])


def _raw_lines(source: bytes) -> List[str]:
    text = source.decode("utf-8", errors="replace")
    return text.splitlines()


class SnippetHasher:
    """Hash the normalised source of line ranges of one file (tokenizes once, lazily)."""

    def __init__(self, source: bytes, last_line: Optional[int] = None) -> None:
        self._source = source
        self._last_line = last_line  # no snippet will reach below it: tokenize no further
        self._tokens: Optional[Dict[int, List[str]]] = None
        self._tokenized = False

    def snippet(self, line: int, end_line: int) -> str:
        if not self._tokenized:
            self._tokens = _tokens_by_line(self._source, self._last_line)
            self._tokenized = True
        end_line = max(line, end_line)
        if self._last_line is not None and end_line > self._last_line:
            raise ValueError(f"line {end_line} is past the hasher's last line {self._last_line}")
        if self._tokens is not None:
            parts = [t for n in range(line, end_line + 1) for t in self._tokens.get(n, ())]
            return " ".join(parts)
        # Untokenizable file (it parsed, so this is rare): whitespace-collapsed raw lines.
        lines = _raw_lines(self._source)[line - 1:end_line]
        return " ".join(" ".join(text.split()) for text in lines)

    def hash(self, line: int, end_line: int) -> str:
        return hashlib.sha256(self.snippet(line, end_line).encode("utf-8")).hexdigest()[:16]


def relative_path(path: str, root: str) -> str:
    """`path` (a display path: relative to the cwd, or absolute) relative to `root`, `/`-separated.

    A file outside `root` keeps its absolute path.
    """
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return absolute.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def fingerprint(finding: Finding, root: str) -> str:
    """The finding's identity (see the module docstring); 32 hex characters."""
    key = "\0".join((VERSION, finding.rule, relative_path(finding.path, root), finding.symbol, finding.snippet_hash))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def fingerprints_with_occurrence(findings: Iterable[Finding], root: str) -> List[str]:
    """`fingerprint:n` for each finding, n counting identical fingerprints in order (1-based).

    Two identical findings in one handler (the same call twice) stay distinct results in
    GitHub code scanning, as CodeQL's `primaryLocationLineHash` does with its `:n` suffix.
    """
    seen: Dict[str, int] = {}
    out = []
    for finding in findings:
        fp = fingerprint(finding, root)
        seen[fp] = seen.get(fp, 0) + 1
        out.append(f"{fp}:{seen[fp]}")
    return out
