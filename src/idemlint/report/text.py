"""The human reporter: findings grouped by file with a source excerpt, then a summary (rich)."""

from __future__ import annotations

import io
import tokenize
from typing import IO, Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from ..records import dataclass
from .. import escape
from ..findings import BaselineSummary, Confidence, FileError, Finding, RunResult, UnusedIgnore
from ..lazyre import lazy_re
from .summary import effect_where, plural, summary_line

CONFIDENCE_STYLE = {
    Confidence.HIGH: "bold red",
    Confidence.MEDIUM: "yellow",
    Confidence.LOW: "cyan",
}
TAB_SIZE = 4
# `--show-evidence` step names; other kinds of the analysis are printed as they are named.
STEP_LABELS = {"consumer": "consumer", "producer": "producer", "ack": "ack", "effect": "side effect",
               "marker": "processed record", "lookup": "dedup lookup", "handoff": "hand-off",
               "call": "call chain", "per-delivery": "per-delivery key", "receive": "receive",
               "forward": "forward (carries the message's id)", "given": "a callable it was given"}

# Python's own line breaks; str.splitlines() would also split on \x0c, \u2028, ...
_LINE_BREAK = lazy_re(r"\r\n|\r|\n")


@dataclass(frozen=True)
class TextOptions:
    color: bool = True  # False: no ANSI sequences at all (--no-color, NO_COLOR)
    quiet: bool = False  # only the summary line, nothing when clean
    verbose: bool = False  # also evidence and tracebacks
    width: Optional[int] = None  # None: the terminal's
    statistics: bool = False  # counts by rule and confidence instead of the findings
    show_evidence: bool = False  # the trace under each finding: consumer, ack, side effect, call chain


def visible(text: str) -> str:
    """Return `text` with control, format and bidi characters as visible escapes (tabs kept)."""
    return escape.visible(text)


def _flat(text: str) -> str:
    """`visible` for one-line fields (messages, hints, paths): tabs become spaces too."""
    return visible(text).replace("\t", " ")


def read_source_lines(path: str) -> Optional[List[str]]:
    """Read a file's lines for excerpts, decoded as Python would (cookie or UTF-8), lossy."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return _LINE_BREAK.split(text)


class _Sources:
    def __init__(self, given: Optional[Mapping[str, str]], reader: Callable[[str], Optional[List[str]]]) -> None:
        self._given = given or {}
        self._reader = reader
        self._cache: Dict[str, Optional[List[str]]] = {}

    def lines(self, path: str) -> Optional[List[str]]:
        if path not in self._cache:
            if path in self._given:
                self._cache[path] = _LINE_BREAK.split(self._given[path])
            else:
                self._cache[path] = self._reader(path)
        return self._cache[path]


def make_console(stream: IO[str], options: TextOptions) -> Console:
    """A console that never interprets markup and never wraps excerpt lines."""
    return Console(
        file=stream,
        color_system="auto" if options.color else None,
        no_color=not options.color,
        width=options.width,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def _excerpt(finding: Finding, lines: List[str]) -> List[Text]:
    """The reported line (with one line of context above) and a caret marker under the range."""
    if not 1 <= finding.line <= len(lines):
        return []
    first = max(1, finding.line - 1)
    gutter = len(str(finding.line))
    out = []
    for number in range(first, finding.line + 1):
        row = Text(f"  {number:>{gutter}} | ", style="dim")
        row.append(visible(lines[number - 1]).expandtabs(TAB_SIZE).rstrip())
        out.append(row)
    line = lines[finding.line - 1]
    start = max(0, finding.column - 1)
    if finding.end_line == finding.line and finding.end_column > finding.column:
        end = finding.end_column - 1
    else:
        end = len(line.rstrip())
    before = cell_len(visible(line[:start]).expandtabs(TAB_SIZE))
    through = cell_len(visible(line[:end]).expandtabs(TAB_SIZE))
    marker = Text(f"  {'':>{gutter}} | ", style="dim")
    marker.append(" " * before)
    marker.append("^" * max(1, through - before), style="bold red")
    out.append(marker)
    return out


def _finding_block(finding: Finding, lines: Optional[List[str]], options: TextOptions) -> List[Text]:
    head = Text()
    head.append(f"{_flat(finding.path)}:{finding.line}:{finding.column}", style="bold")
    head.append(": ")
    head.append(finding.rule, style="bold magenta")
    head.append(f" {finding.name} ")
    head.append(f"[{finding.confidence.label}]", style=CONFIDENCE_STYLE[finding.confidence])
    out = [head, Text(f"  {_flat(finding.message)}")]
    if lines:
        out.extend(_excerpt(finding, lines))
    for related in finding.related:
        out.append(Text(f"  note: line {related.line}:{related.column}: {_flat(related.message)}", style="dim"))
    if finding.hint:
        hint = Text("  hint: ", style="green")
        hint.append(_flat(finding.hint))
        out.append(hint)
    if options.verbose:
        for item in finding.evidence:
            out.append(Text(f"  evidence: {_flat(item)}", style="dim"))
    if options.show_evidence:
        out.extend(_trace(finding))
    return out


def _trace(finding: Finding) -> List[Text]:
    """`--show-evidence`: why this is a consumer, the ack, the side effect, the call chain."""
    if not finding.trace:
        return [Text("  evidence: (none recorded)", style="dim")]
    out = [Text("  evidence:", style="bold")]
    width = max(len(_step_label(step.kind)) for step in finding.trace)
    for step in finding.trace:
        row = Text("    ")
        row.append(f"{_step_label(step.kind) + ':':<{width + 1}} ", style="cyan")
        where = f"line {step.line}:{step.column}: " if step.line else ""
        row.append(f"{where}{_flat(step.message)}")
        out.append(row)
    return out


def _step_label(kind: str) -> str:
    return STEP_LABELS.get(kind, kind)


def _error_block(error: FileError, options: TextOptions) -> List[Text]:
    where = _flat(error.path) + (f":{error.line}" if error.line else "")
    row = Text()
    row.append(where, style="bold")
    row.append(": ")
    row.append(f"error[{error.kind}]", style="bold red")
    row.append(f": {_flat(error.message)}")
    out = [row]
    if options.verbose and error.traceback:
        out.extend(Text(f"    {visible(tb_line)}", style="dim") for tb_line in error.traceback.rstrip().splitlines())
    return out


def _unused_block(unused: UnusedIgnore) -> List[Text]:
    row = Text()
    row.append(f"{_flat(unused.path)}:{unused.line}:{unused.column}", style="bold")
    row.append(": ")
    row.append("warning[unused-ignore]", style="yellow")
    row.append(f": {_flat(unused.message)}")
    return [row, Text(f"  {_flat(unused.comment)}", style="dim")]


def _baseline_lines(summary: BaselineSummary) -> List[Text]:
    n = summary.fixed_count
    head = f"Baseline {_flat(summary.path)}: {plural(summary.matched, 'finding')} matched (not shown)"
    if not n:
        return [Text(head + ".")]
    entries = "entry no longer matches" if n == 1 else "entries no longer match"
    out = [Text(f"{head}; {n} {entries} (fixed): rewrite it with --write-baseline to shrink it.", style="green")]
    for entry in summary.fixed:
        times = f" (x{entry.count})" if entry.count > 1 else ""
        symbol = f" in {entry.symbol}" if entry.symbol else ""
        out.append(Text(f"  fixed: {_flat(entry.path)}: {entry.rule} {entry.name}{symbol}{times}", style="dim"))
    return out


def _summary_table(result: RunResult) -> List[Text]:
    counts = result.counts()
    if not counts:
        return []
    # names come with the findings: importing the rule registry would pull in libcst
    names = {f.rule: f.name for f in result.findings}
    width = max(len(f"{code} {name}") for code, name in names.items())
    out = [Text("Summary by rule:", style="bold")]
    for code, by_conf in counts.items():
        row = Text(f"  {f'{code} {names[code]}':<{width}}  ")
        for i, conf in enumerate(sorted(Confidence, reverse=True)):
            if i:
                row.append("  ")
            row.append(f"{by_conf[conf.label]:>3} {conf.label}", style=CONFIDENCE_STYLE[conf] if by_conf[conf.label] else "dim")
        out.append(row)
    return out


def render(
    result: RunResult,
    options: TextOptions,
    stream: IO[str],
    sources: Optional[Mapping[str, str]] = None,
    reader: Callable[[str], Optional[List[str]]] = read_source_lines,
) -> None:
    """Write the run for a human. `sources` maps display paths to text (else files are read)."""
    console = make_console(stream, options)
    if options.quiet:
        if result.reported():
            console.print(Text(summary_line(result)))
        return
    if options.statistics:
        render_statistics(result, console)
        return
    src = _Sources(sources, reader)
    groups: Dict[str, List[Text]] = {}
    for error in result.errors:
        groups.setdefault(error.path, []).extend(_error_block(error, options))
    for finding in result.findings:
        block = groups.setdefault(finding.path, [])
        if block:
            block.append(Text(""))
        block.extend(_finding_block(finding, src.lines(finding.path), options))
    for unused in result.unused_ignores:
        block = groups.setdefault(unused.path, [])
        if block:
            block.append(Text(""))
        block.extend(_unused_block(unused))
    for path in sorted(groups):
        console.print(Text(f"{_flat(path)}", style="bold underline"))
        for row in groups[path]:
            console.print(row)
        console.print()
    for row in _summary_table(result):
        console.print(row)
    if result.baseline is not None:
        for row in _baseline_lines(result.baseline):
            console.print(row)
    console.print(Text(summary_line(result), style="bold"))


def statistics_rows(result: RunResult) -> List[str]:
    """The `--statistics` table: one row per rule (and unused suppressions), then a total."""
    from ..rules import find_rule

    header = ("Code", "Name", "High", "Medium", "Low", "Total")
    rows = []
    totals = [0, 0, 0]
    for code, by_conf in result.counts().items():
        rule = find_rule(code)
        counts = [by_conf["high"], by_conf["medium"], by_conf["low"]]
        totals = [a + b for a, b in zip(totals, counts)]
        rows.append((code, rule.name if rule else "", *map(str, counts), str(sum(counts))))
    if result.unused_ignores:
        n = str(len(result.unused_ignores))
        rows.append(("-", "unused-ignore", "-", "-", "-", n))
    rows.append(("", "total", *map(str, totals), str(sum(totals) + len(result.unused_ignores))))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])] + [c.rjust(w) for c, w in zip(row[2:], widths[2:])]
        out.append("  ".join(cells).rstrip())
    return out


def render_statistics(result: RunResult, console: Console) -> None:
    """Counts by rule and confidence, the errors, the baseline note and the summary line."""
    for error in result.errors:
        for row in _error_block(error, TextOptions(color=False)):
            console.print(row)
    if result.errors:
        console.print()
    if result.findings or result.unused_ignores:
        for i, row in enumerate(statistics_rows(result)):
            console.print(Text(row, style="bold" if i == 0 else ""))
    if result.baseline is not None:
        for row in _baseline_lines(result.baseline):
            console.print(row)
    console.print(Text(summary_line(result), style="bold"))


def render_lines(result: RunResult, options: TextOptions, sources: Optional[Mapping[str, str]] = None) -> Iterable[str]:
    """Render to a list of lines (tests, embedding)."""
    buffer = io.StringIO()
    render(result, options, buffer, sources=sources)
    return buffer.getvalue().splitlines()


# --- `idemlint consumers` ----------------------------------------------------------------------------

ACK_STYLE = {"explicit": "green", "framework": "green", "auto": "yellow", "ack-first": "bold red"}


def _aspect_cell(aspect: Any, good: bool) -> Text:
    cell = Text(aspect.label, style="green" if good else ("dim" if aspect.kind == "none" else ""))
    if aspect.line:
        cell.append(f" (line {aspect.line})", style="dim")
    return cell


def _lines_cell(items: Sequence[Any], add: Any) -> Text:
    """One line per item, written by `add(cell, item)`; "none" when there are no items."""
    if not items:
        return Text("none", style="dim")
    cell = Text()
    for i, item in enumerate(items):
        if i:
            cell.append("\n")
        add(cell, item)
    return cell


def _add_finding(cell: Text, finding: Finding) -> None:
    cell.append(finding.rule, style="bold magenta")
    cell.append(" ")
    cell.append(finding.confidence.label, style=CONFIDENCE_STYLE[finding.confidence])
    cell.append(f" (line {finding.line})", style="dim")


def _add_effect(cell: Text, effect: Any) -> None:
    kind, helper, line = effect.shown()
    cell.append(_flat(kind))
    cell.append(f" via {_flat(helper)}" if helper else "", style="dim")
    cell.append(effect_where(line, effect.count), style="dim")


def _findings_cell(findings: Sequence[Finding]) -> Text:
    return _lines_cell(findings, _add_finding)


def _effects_cell(effects: Sequence[Any]) -> Text:
    from ..inventory import distinct

    return _lines_cell(distinct(effects, key=lambda e: e.shown()), _add_effect)


def _table(*headers: str) -> Any:
    """A table whose cells wrap long words instead of cutting them (symbols and paths stay whole)."""
    from rich.table import Table

    table = Table(show_lines=True, expand=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def inventory_tables(inventory: Any, group_by: str) -> List[Any]:
    """The renderables of `idemlint consumers`: per group, a consumers table and a producers table."""
    from ..inventory import grouped, role_column, role_note

    by_file = group_by == "file"
    role_header = ["Role"] if role_column(inventory, group_by) else []

    def role(unit: Any) -> List[Text]:
        return [Text(unit.role, style="" if unit.role == "production" else "dim")] if role_header else []

    out: List[Any] = []
    for key, consumers, producers in grouped(inventory, group_by):
        heading = Text(_flat(key), style="bold underline")
        if by_file:
            heading.append(role_note([*consumers, *producers]), style="bold")
        out.append(heading)

        def where(unit: Any) -> Text:
            place = Text(_flat(unit.symbol), style="bold")
            place.append(f"\nline {unit.line}" if by_file else f"\n{_flat(unit.path)}:{unit.line}", style="dim")
            return place

        if consumers:
            table = _table("Consumer", *(["Library"] if by_file else []), *role_header, "Ack", "Dedup", "Transaction",
                           "Side effects", "Findings")
            for c in consumers:
                ack = Text(c.ack.label, style=ACK_STYLE.get(c.ack.kind, ""))
                if c.ack.line:
                    ack.append(f" (line {c.ack.line})", style="dim")
                table.add_row(where(c), *([Text(_flat(c.library))] if by_file else []), *role(c), ack,
                              _aspect_cell(c.dedup, c.dedup.kind != "none"),
                              _aspect_cell(c.transaction, c.transaction.kind != "none"),
                              _effects_cell(c.effects), _findings_cell(c.findings))
            out.append(table)
        if producers:
            table = _table("Producer", *(["Library"] if by_file else []), *role_header, "Destination", "Message ID",
                           "Findings")
            for p in producers:
                ident = Text(_flat(p.identification), style="green" if p.identified else "yellow")
                table.add_row(where(p), *([Text(_flat(p.library))] if by_file else []), *role(p),
                              Text(_flat(p.destination) or "?"), ident, _findings_cell(p.findings))
            out.append(table)
        out.append(Text(""))
    return out


def render_inventory(inventory: Any, options: TextOptions, stream: IO[str], group_by: str = "file") -> None:
    """Write the consumer inventory for a person: tables per file (or library), errors, a summary line."""
    from .summary import inventory_line

    console = make_console(stream, options)
    for renderable in inventory_tables(inventory, group_by):
        console.print(renderable)
    for error in inventory.errors:
        for row in _error_block(error, options):
            console.print(row)
    if inventory.errors:
        console.print()
    console.print(Text(inventory_line(inventory), style="bold"))
