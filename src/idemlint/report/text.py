"""The human reporter: findings grouped by file with a source excerpt, then a summary (rich)."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import IO, Callable, Dict, Iterable, List, Mapping, Optional

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from .. import escape
from ..findings import BaselineSummary, Confidence, FileError, Finding, RunResult, UnusedIgnore

CONFIDENCE_STYLE = {
    Confidence.HIGH: "bold red",
    Confidence.MEDIUM: "yellow",
    Confidence.LOW: "cyan",
}
TAB_SIZE = 4

# Python's own line breaks; str.splitlines() would also split on \x0c, \u2028, ...
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class TextOptions:
    color: bool = True  # False: no ANSI sequences at all (--no-color, NO_COLOR)
    quiet: bool = False  # only the summary line, nothing when clean
    verbose: bool = False  # also evidence and tracebacks
    width: Optional[int] = None  # None: the terminal's
    statistics: bool = False  # counts by rule and confidence instead of the findings


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
    return out


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
    head = f"Baseline {_flat(summary.path)}: {_plural(summary.matched, 'finding')} matched (not shown)"
    if not n:
        return [Text(head + ".")]
    entries = "entry no longer matches" if n == 1 else "entries no longer match"
    out = [Text(f"{head}; {n} {entries} (fixed): rewrite it with --write-baseline to shrink it.", style="green")]
    for entry in summary.fixed:
        times = f" (x{entry.count})" if entry.count > 1 else ""
        symbol = f" in {entry.symbol}" if entry.symbol else ""
        out.append(Text(f"  fixed: {_flat(entry.path)}: {entry.rule} {entry.name}{symbol}{times}", style="dim"))
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(result: RunResult) -> str:
    """One line: what was found in how many files (the whole output under `--quiet`)."""
    files = _plural(result.files, "file")
    suppressed = f"; {result.suppressed} suppressed" if result.suppressed else ""
    new = "new " if result.baseline is not None else ""  # the baseline hides the known ones
    if not result.findings and not result.errors and not result.unused_ignores:
        return f"No {new}findings in {files} checked{suppressed}."
    parts = []
    if result.findings:
        by_conf = {c: sum(1 for f in result.findings if f.confidence is c) for c in Confidence}
        detail = ", ".join(f"{by_conf[c]} {c.label}" for c in sorted(Confidence, reverse=True) if by_conf[c])
        parts.append(f"{_plural(len(result.findings), new + 'finding')} ({detail})")
    if result.errors:
        with_errors = len({e.path for e in result.errors})
        parts.append(f"{_plural(with_errors, 'file')} with errors")
    if result.unused_ignores:
        parts.append(_plural(len(result.unused_ignores), "unused suppression"))
    if len(parts) > 2:
        parts = [", ".join(parts[:-1]), parts[-1]]
    return f"Found {' and '.join(parts)} in {files} checked{suppressed}."


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
