"""One-line summaries shared by the text and Markdown reports (no rich: the Markdown report must not need it)."""

from __future__ import annotations

from typing import Any, Dict

from ..discover import EXAMPLE, TEST
from ..findings import Confidence, RunResult


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def skipped_note(skipped: Dict[str, int]) -> str:
    """`; skipped 3 test files (add --include-tests to check them)`, or "" when nothing was skipped."""
    counts = [(n, role) for role, n in ((r, skipped.get(r, 0)) for r in (TEST, EXAMPLE)) if n]
    if not counts:
        return ""
    what = " and ".join(plural(n, f"{role} file") for n, role in counts)
    flags = " / ".join(f"--include-{role}s" for _, role in counts)
    return f"; skipped {what} (add {flags} to check {'it' if sum(n for n, _ in counts) == 1 else 'them'})"


def summary_line(result: RunResult) -> str:
    """One line: what was found in how many files (the whole output under `--quiet`)."""
    files = plural(result.files, "file")
    suppressed = f"; {result.suppressed} suppressed" if result.suppressed else ""
    suppressed += skipped_note(result.skipped)
    new = "new " if result.baseline is not None else ""  # the baseline hides the known ones
    if not result.findings and not result.errors and not result.unused_ignores:
        return f"No {new}findings in {files} checked{suppressed}."
    parts = []
    if result.findings:
        by_conf = {c: sum(1 for f in result.findings if f.confidence is c) for c in Confidence}
        detail = ", ".join(f"{by_conf[c]} {c.label}" for c in sorted(Confidence, reverse=True) if by_conf[c])
        parts.append(f"{plural(len(result.findings), new + 'finding')} ({detail})")
    if result.errors:
        with_errors = len({e.path for e in result.errors})
        parts.append(f"{plural(with_errors, 'file')} with errors")
    if result.unused_ignores:
        parts.append(plural(len(result.unused_ignores), "unused suppression"))
    if len(parts) > 2:
        parts = [", ".join(parts[:-1]), parts[-1]]
    return f"Found {' and '.join(parts)} in {files} checked{suppressed}."


def inventory_line(inventory: Any) -> str:
    """One line about an inventory: consumers (with findings), producers (without an id), files."""
    consumers = plural(len(inventory.consumers), "consumer")
    flagged = sum(1 for c in inventory.consumers if c.findings)
    producers = plural(len(inventory.producers), "producer")
    no_id = sum(1 for p in inventory.producers if not p.identified)
    errors = len({e.path for e in inventory.errors})
    tail = f"; {plural(errors, 'file')} could not be checked" if errors else ""
    for role in (TEST, EXAMPLE):
        units = [sum(1 for u in us if u.role == role) for us in (inventory.consumers, inventory.producers)]
        if any(units):
            tail += f"; in {role} code: {plural(units[0], 'consumer')}, {plural(units[1], 'producer')}"
    return (f"{consumers} ({flagged} with findings) and {producers} ({no_id} without a message ID) "
            f"in {plural(inventory.files, 'file')}{tail}.")


def effect_where(line: int, count: int) -> str:
    """` (line 30, x3)`: where an inventory's effect is and how many times the handler does it."""
    parts = ([f"line {line}"] if line else []) + ([f"x{count}"] if count > 1 else [])
    return f" ({', '.join(parts)})" if parts else ""
