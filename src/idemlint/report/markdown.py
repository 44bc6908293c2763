"""Markdown reports for CI job summaries and merge-request notes (GitHub's `$GITHUB_STEP_SUMMARY`,
GitLab MR comments): `check --format markdown` and `consumers --format markdown`.

GitHub-flavoured Markdown: pipe tables, and links to the rule pages when `docs-url` is set (else a
line saying that `idemlint explain CODE` shows them). Everything that comes from a
scanned file is escaped so it cannot break a table, open a link or inject HTML: control
characters become visible escapes, `|` is escaped everywhere, and outside code spans the
characters Markdown or HTML would interpret are backslash-escaped.
"""

from __future__ import annotations

from typing import IO, Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..records import dataclass
from .. import escape
from ..findings import Finding, RunResult
from ..pages import rule_url
from ..lazyre import lazy_re
from .summary import effect_where, inventory_line, plural, summary_line

TITLE = "idemlint"
_SPECIAL = lazy_re(r"([\\`*_{}\[\]<>#+!|~])")
_CODE_SPAN = lazy_re(r"(`[^`]*`)")


@dataclass(frozen=True)
class MarkdownOptions:
    group_by: str = "file"  # inventory: `file` or `library`
    docs_url: Optional[str] = None  # the `docs-url` setting: rule codes link to their pages under it


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


def rule_link(code_: str, name: str, docs_url: Optional[str], with_name: bool = False) -> str:
    """The rule's code (and name), linked to its page when `docs_url` is set."""
    label = f"{code_} {name}" if with_name else code_
    url = rule_url(name, code_, docs_url)
    return f"[{label}]({url})" if url else label


def explain_note(codes: Iterable[str], docs_url: Optional[str]) -> List[str]:
    """Where the rule codes are not links: how to read a rule's page."""
    first = min(codes, default="")
    if docs_url or not first:
        return []
    return [f"Read a rule's page with `idemlint explain CODE` (for example `idemlint explain {first}`).", ""]


def _confidences(findings: Sequence[Finding], docs_url: Optional[str]) -> str:
    return ", ".join(f"{rule_link(f.rule, f.name, docs_url)} {f.confidence.label} (line {f.line})"
                     for f in findings) or "none"


# --- check --------------------------------------------------------------------------------------------


def check_lines(result: RunResult, docs_url: Optional[str] = None) -> List[str]:
    """The `check --format markdown` report: a headline, counts by rule, then findings by consumer."""
    out = [f"### {TITLE}: {text(summary_line(result))}", ""]
    if result.findings:
        names = {f.rule: f.name for f in result.findings}
        totals = [0, 0, 0]
        rows = []
        for code_, by_conf in result.counts().items():
            counts = [by_conf["high"], by_conf["medium"], by_conf["low"]]
            totals = [a + b for a, b in zip(totals, counts)]
            rows.append([rule_link(code_, names[code_], docs_url, with_name=True), *map(str, counts), str(sum(counts))])
        rows.append(["**Total**", *(f"**{n}**" for n in totals), f"**{sum(totals)}**"])
        out += table(["Rule", "High", "Medium", "Low", "Total"], rows, "lrrrr") + [""]
        for (path, symbol), findings in _by_consumer(result.findings):
            out += [f"#### {code(symbol)} in {code(path)}", ""]
            rows = [[str(f.line), rule_link(f.rule, f.name, docs_url), f.confidence.label, text(f.message)]
                    for f in findings]
            out += table(["Line", "Rule", "Confidence", "Finding"], rows, "rlll") + [""]
        out += explain_note(names, docs_url)
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


def render(result: RunResult, options: Optional[MarkdownOptions], stream: IO[str]) -> None:
    docs_url = options.docs_url if options is not None else None
    stream.write("\n".join(check_lines(result, docs_url)).rstrip("\n") + "\n")


# --- consumers -------------------------------------------------------------------------------------------


def _aspect(aspect: Any) -> str:
    where = f" (line {aspect.line})" if aspect.line else ""
    detail = f": {text(aspect.detail)}" if aspect.detail else ""
    return f"{aspect.label}{detail}{where}"


def _effects(effects: Sequence[Any]) -> str:
    from ..inventory import distinct

    parts = []
    for e in distinct(effects, key=lambda e: e.shown()):
        kind, helper, line = e.shown()
        via = f" via {code(helper)}" if helper else ""
        parts.append(f"{text(kind)}{via}{effect_where(line, e.count)}")
    return "<br>".join(parts) or "none"


def inventory_lines(inventory: Any, options: MarkdownOptions) -> List[str]:
    """The `consumers --format markdown` report: one table of consumers and one of producers per group."""
    from ..inventory import grouped, role_column, role_note

    out = [f"### {TITLE} consumers: {text(inventory_line(inventory))}", ""]
    by_file = options.group_by == "file"
    role_header = ["Role"] if role_column(inventory, options.group_by) else []

    def role(unit: Any) -> List[str]:
        return [unit.role] if role_header else []

    for key, consumers, producers in grouped(inventory, options.group_by):
        out += [f"#### {code(key)}{role_note([*consumers, *producers]) if by_file else ''}", ""]

        def where(unit: Any) -> str:
            return f"{code(unit.symbol)} (line {unit.line})" if by_file else f"{code(unit.symbol)} in {code(unit.path)}:{unit.line}"

        if consumers:
            rows = [[where(c), *([] if not by_file else [code(c.library)]), *role(c), _aspect(c.ack), _aspect(c.dedup),
                     _aspect(c.transaction), _effects(c.effects), _confidences(c.findings, options.docs_url)] for c in consumers]
            header = ["Consumer", *([] if not by_file else ["Library"]), *role_header, "Ack", "Dedup", "Transaction",
                      "Side effects", "Findings"]
            out += table(header, rows) + [""]
        if producers:
            rows = [[where(p), *([] if not by_file else [code(p.library)]), *role(p), text(p.call), code(p.destination) if p.destination else "?",
                     text(p.identification), _confidences(p.findings, options.docs_url)] for p in producers]
            header = ["Producer", *([] if not by_file else ["Library"]), *role_header, "Call", "Destination", "Message ID", "Findings"]
            out += table(header, rows) + [""]
    out += explain_note({f.rule for f in inventory.findings()}, options.docs_url)
    if inventory.errors:
        out += ["#### Files that could not be checked", ""]
        rows = [[code(e.path), str(e.line) if e.line else "", e.kind, text(e.message)] for e in inventory.errors]
        out += table(["File", "Line", "Error", "Message"], rows, "lrll") + [""]
    return out


def render_inventory(inventory: Any, options: MarkdownOptions, stream: IO[str]) -> None:
    stream.write("\n".join(inventory_lines(inventory, options)).rstrip("\n") + "\n")


__all__ = ["MarkdownOptions", "check_lines", "inventory_lines", "render", "render_inventory", "text", "code"]
