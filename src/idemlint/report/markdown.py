"""Markdown reports for CI job summaries and merge-request notes (GitHub's `$GITHUB_STEP_SUMMARY`,
GitLab MR comments): `check --format markdown` and `consumers --format markdown`.

GitHub-flavoured Markdown: pipe tables and links to the rule pages. Everything that comes from a
scanned file is escaped so it cannot break a table, open a link or inject HTML: control
characters become visible escapes, `|` is escaped everywhere, and outside code spans the
characters Markdown or HTML would interpret are backslash-escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Any, Dict, Iterable, List, Sequence, Tuple

from .. import escape
from ..findings import Finding, RunResult
from ..pages import rule_url
from .summary import inventory_line, plural, summary_line

TITLE = "idemlint"
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~])")
_CODE_SPAN = re.compile(r"(`[^`]*`)")


@dataclass(frozen=True)
class MarkdownOptions:
    group_by: str = "file"  # inventory: `file` or `library`


def text(value: str) -> str:
    """Escape `value` for a table cell: code spans kept (only `|` escaped inside them), the rest literal."""
    value = escape.visible(value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")).replace("\t", " ")
    if value.count("`") % 2:  # unbalanced backticks: no code spans at all
        return _SPECIAL.sub(r"\\\1", value)
    out = []
    for part in _CODE_SPAN.split(value):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(part.replace("|", "\\|"))
        else:
            out.append(_SPECIAL.sub(r"\\\1", part))
    return "".join(out)


def code(value: str) -> str:
    """`value` as a code span (paths, symbols), with backticks it contains dropped and `|` escaped."""
    value = escape.visible(value.replace("\n", " ")).replace("`", "'")
    return f"`{value}`".replace("|", "\\|")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> List[str]:
    """A pipe table; `align` has one letter per column, `r` for right-aligned."""
    align = align or "l" * len(header)
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return out


def rule_link(code_: str, name: str, with_name: bool = False) -> str:
    label = f"{code_} {name}" if with_name else code_
    return f"[{label}]({rule_url(name)})"


def _confidences(findings: Sequence[Finding]) -> str:
    return ", ".join(f"{rule_link(f.rule, f.name)} {f.confidence.label} (line {f.line})" for f in findings) or "none"


# --- check --------------------------------------------------------------------------------------------


def check_lines(result: RunResult) -> List[str]:
    """The `check --format markdown` report: a headline, counts by rule, then findings by consumer."""
    out = [f"### {TITLE}: {text(summary_line(result))}", ""]
    if result.findings:
        names = {f.rule: f.name for f in result.findings}
        totals = [0, 0, 0]
        rows = []
        for code_, by_conf in result.counts().items():
            counts = [by_conf["high"], by_conf["medium"], by_conf["low"]]
            totals = [a + b for a, b in zip(totals, counts)]
            rows.append([rule_link(code_, names[code_], with_name=True), *map(str, counts), str(sum(counts))])
        rows.append(["**Total**", *(f"**{n}**" for n in totals), f"**{sum(totals)}**"])
        out += table(["Rule", "High", "Medium", "Low", "Total"], rows, "lrrrr") + [""]
        for (path, symbol), findings in _by_consumer(result.findings):
            out += [f"#### {code(symbol)} in {code(path)}", ""]
            rows = [[str(f.line), rule_link(f.rule, f.name), f.confidence.label, text(f.message)] for f in findings]
            out += table(["Line", "Rule", "Confidence", "Finding"], rows, "rlll") + [""]
    if result.errors:
        out += ["#### Files that could not be checked", ""]
        rows = [[code(e.path), str(e.line) if e.line else "", e.kind, text(e.message)] for e in result.errors]
        out += table(["File", "Line", "Error", "Message"], rows, "lrll") + [""]
    if result.unused_ignores:
        out += ["#### Unused suppressions", ""]
        rows = [[code(u.path), str(u.line), code(u.comment), text(u.message)] for u in result.unused_ignores]
        out += table(["File", "Line", "Comment", "Why"], rows, "lrll") + [""]
    if result.baseline is not None:
        summary = result.baseline
        fixed = f"; {plural(summary.fixed_count, 'entry')} no longer match" if summary.fixed_count else ""
        out += [f"Baseline {code(summary.path)}: {plural(summary.matched, 'finding')} matched (not shown){fixed}.", ""]
    return out


def _by_consumer(findings: Iterable[Finding]) -> List[Tuple[Tuple[str, str], List[Finding]]]:
    """Findings grouped by the function they are in (its path and symbol), in report order."""
    groups: Dict[Tuple[str, str], List[Finding]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        groups.setdefault((finding.path, finding.symbol), []).append(finding)
    return list(groups.items())


def render(result: RunResult, options: Any, stream: IO[str]) -> None:
    stream.write("\n".join(check_lines(result)).rstrip("\n") + "\n")


# --- consumers -------------------------------------------------------------------------------------------


def _aspect(aspect: Any) -> str:
    where = f" (line {aspect.line})" if aspect.line else ""
    detail = f": {text(aspect.detail)}" if aspect.detail else ""
    return f"{aspect.label}{detail}{where}"


def _effects(effects: Sequence[Any]) -> str:
    parts = []
    for e in effects:
        via = f" via {code(e.via[-1])}" if e.via else ""
        line = e.call_line or e.line
        parts.append(f"{text(e.kind)}{via}" + (f" (line {line})" if line else ""))
    return "<br>".join(parts) or "none"


def inventory_lines(inventory: Any, options: MarkdownOptions) -> List[str]:
    """The `consumers --format markdown` report: one table of consumers and one of producers per group."""
    from ..inventory import grouped

    out = [f"### {TITLE} consumers: {text(inventory_line(inventory))}", ""]
    by_file = options.group_by == "file"
    for key, consumers, producers in grouped(inventory, options.group_by):
        out += [f"#### {code(key)}", ""]

        def where(unit: Any) -> str:
            return f"{code(unit.symbol)} (line {unit.line})" if by_file else f"{code(unit.symbol)} in {code(unit.path)}:{unit.line}"

        if consumers:
            rows = [[where(c), *([] if not by_file else [code(c.library)]), _aspect(c.ack), _aspect(c.dedup),
                     _aspect(c.transaction), _effects(c.effects), _confidences(c.findings)] for c in consumers]
            header = ["Consumer", *([] if not by_file else ["Library"]), "Ack", "Dedup", "Transaction",
                      "Side effects", "Findings"]
            out += table(header, rows) + [""]
        if producers:
            rows = [[where(p), *([] if not by_file else [code(p.library)]), text(p.call), code(p.destination) if p.destination else "?",
                     text(p.identification), _confidences(p.findings)] for p in producers]
            header = ["Producer", *([] if not by_file else ["Library"]), "Call", "Destination", "Message ID", "Findings"]
            out += table(header, rows) + [""]
    if inventory.errors:
        out += ["#### Files that could not be checked", ""]
        rows = [[code(e.path), str(e.line) if e.line else "", e.kind, text(e.message)] for e in inventory.errors]
        out += table(["File", "Line", "Error", "Message"], rows, "lrll") + [""]
    return out


def render_inventory(inventory: Any, options: MarkdownOptions, stream: IO[str]) -> None:
    stream.write("\n".join(inventory_lines(inventory, options)).rstrip("\n") + "\n")


__all__ = ["MarkdownOptions", "check_lines", "inventory_lines", "render", "render_inventory", "text", "code"]
