"""Inline suppression comments and the select/ignore/confidence/per-file filters."""

from __future__ import annotations

import functools
import io
import os
import re
import tokenize
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from .config import Config
from .findings import Finding, UnusedIgnore
from .lazyre import lazy_re

if TYPE_CHECKING:
    import pathspec

ALL = "*"  # a bare `# idemlint: ignore` suppresses every rule

# `# idemlint: ignore`, `# idemlint: ignore[IDEM001]`, `# idemlint: ignore[a, IDEM003] reason`
_IDEMLINT = lazy_re(r"#\s*idemlint\s*:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
# `# noqa: IDEM001, E501`; a bare `# noqa` is deliberately NOT honoured (see README).
_NOQA = lazy_re(r"#\s*noqa\s*:\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*)", re.IGNORECASE)
_QUICK = lazy_re(rb"idemlint|noqa", re.IGNORECASE)


def _canonical(item: str) -> Optional[str]:
    """Map a code or rule name from a comment to the canonical code; None if unknown."""
    from .rules import find_rule

    rule = find_rule(item)
    return rule.code if rule is not None else None


def parse_comment(comment: str) -> FrozenSet[str]:
    """Return the codes a comment suppresses (`ALL` for a bare idemlint ignore), possibly empty."""
    codes = set()
    for match in _IDEMLINT.finditer(comment):
        listed = match.group("codes")
        if listed is None or not listed.strip():
            codes.add(ALL)
            continue
        for item in re.split(r"[\s,]+", listed.strip()):
            code = _canonical(item)
            if code:
                codes.add(code)
    for match in _NOQA.finditer(comment):
        for item in re.split(r"[\s,]+", match.group("codes")):
            code = _canonical(item)
            if code:
                codes.add(code)
    return frozenset(codes)


def _comments(source: bytes) -> Iterable[Tuple[int, str]]:
    """Yield (line, text) for every comment token; stop quietly at a tokenize error."""
    for line, _column, text in _comments_at(source):
        yield line, text


def _comments_at(source: bytes) -> Iterable[Tuple[int, int, str]]:
    """Yield (line, 1-based column, text) for every comment token."""
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.start[1] + 1, tok.string
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError, ValueError):
        # Unterminated strings, bad indentation, unknown encodings: keep what was read so far.
        return


def _unknown_items(comment: str) -> Tuple[str, ...]:
    """Items of `# idemlint: ignore[...]` lists that name no rule (`# noqa` codes of other
    linters are never reported: they are not ours)."""
    out = []
    for match in _IDEMLINT.finditer(comment):
        listed = match.group("codes")
        if listed and listed.strip():
            out.extend(item for item in re.split(r"[\s,]+", listed.strip()) if item and _canonical(item) is None)
    return tuple(out)


def unused_ignores(raw_findings: Sequence[Finding], source: bytes, path: str) -> List[UnusedIgnore]:
    """Return the suppression comments in `source` (or the codes in them) that hide nothing.

    A code on line L is used when the engine reported a finding of that rule (any rule, for a
    bare ignore) on line L or in a handler whose `def` is on line L. `raw_findings` are the
    findings *before* select, ignore, min-confidence and per-file-ignores, so whether a comment
    counts as used never depends on the run's filters.
    """
    if not _QUICK.search(source):
        return []
    out = []
    for line, column, text in _comments_at(source):
        codes = parse_comment(text)
        unknown = _unknown_items(text)
        if not codes and not unknown:
            continue
        hits = [f for f in raw_findings if line in (f.line, f.scope_line)]
        if ALL in codes:
            unused: Tuple[str, ...] = () if hits else (ALL,)
        else:
            used = {f.rule for f in hits}
            unused = tuple(sorted(c for c in codes if c not in used))
        if unused or unknown:
            out.append(UnusedIgnore(path, line, column, text.strip(), unused, unknown))
    return out


def suppressions(source: bytes) -> Dict[int, FrozenSet[str]]:
    """Map line number -> suppressed codes for every suppression comment in `source`."""
    if not _QUICK.search(source):
        return {}
    out: Dict[int, FrozenSet[str]] = {}
    for line, text in _comments(source):
        codes = parse_comment(text)
        if codes:
            out[line] = out.get(line, frozenset()) | codes
    return out


def is_suppressed(finding: Finding, table: Dict[int, FrozenSet[str]]) -> bool:
    """A finding is suppressed by a comment on its own line or on its handler's `def` line."""
    for line in (finding.line, finding.scope_line):
        codes = table.get(line) if line else None
        if codes and (ALL in codes or finding.rule in codes):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _glob_spec(glob: str) -> "pathspec.GitIgnoreSpec":
    import pathspec  # only for `per-file-ignores`

    return pathspec.GitIgnoreSpec.from_lines([glob])


def _per_file_codes(path: str, config: Config) -> FrozenSet[str]:
    if not config.per_file_ignores:
        return frozenset()
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, os.path.abspath(config.root))
    if rel.startswith(os.pardir):
        rel = path
    rel = rel.replace(os.sep, "/")
    codes = set()
    for glob, listed in config.per_file_ignores:
        if _glob_spec(glob).match_file(rel):
            codes.update(listed)
    return frozenset(codes)


def apply(
    findings: Sequence[Finding], source: bytes, path: str, config: Config
) -> Tuple[List[Finding], int]:
    """Return (kept findings, number suppressed by inline comments).

    Configuration filters (select, ignore, min-confidence, per-file-ignores) run first and
    are not counted; `suppressed` counts only findings an inline comment hid.
    """
    enabled = set(config.enabled_codes())
    file_ignored = _per_file_codes(path, config)
    candidates = [
        f
        for f in findings
        if f.rule in enabled and f.rule not in file_ignored and f.confidence >= config.min_confidence
    ]
    if not candidates:
        return [], 0
    table = suppressions(source)
    kept = [f for f in candidates if not is_suppressed(f, table)]
    return kept, len(candidates) - len(kept)
