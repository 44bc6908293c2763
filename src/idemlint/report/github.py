"""GitHub Actions workflow-command annotations: one `::error`/`::warning`/`::notice` line each.

Level from confidence: `high` -> `error`, `medium` -> `warning`, `low` -> `notice`.
Paths are relative to the project root (the repository root in a checkout), as GitHub
needs them. Columns are given only for single-line ranges: GitHub rejects `col`/`endColumn`
when `line` and `endLine` differ.
"""

from __future__ import annotations

import os
from typing import IO, Dict, List, Optional

from ..records import dataclass
from ..findings import Confidence, FileError, Finding, RunResult, UnusedIgnore
from ..fingerprint import relative_path

LEVEL = {Confidence.HIGH: "error", Confidence.MEDIUM: "warning", Confidence.LOW: "notice"}


@dataclass(frozen=True)
class GithubOptions:
    root: str


def escape_data(text: str) -> str:
    """Escape a message as the runner requires (`%`, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, properties: Dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def _finding(finding: Finding, root: str) -> str:
    props: Dict[str, object] = {"file": relative_path(finding.path, root), "line": finding.line}
    if finding.end_line in (0, finding.line):
        props["col"] = finding.column
        if finding.end_column > finding.column:
            props["endColumn"] = finding.end_column
    else:
        props["endLine"] = finding.end_line
    props["title"] = f"{finding.rule} {finding.name}"
    message = f"{finding.message} [{finding.confidence.label}]"
    if finding.hint:
        message += f"\nHint: {finding.hint}"
    return command(LEVEL[finding.confidence], props, message)


def _error(error: FileError, root: str) -> str:
    props: Dict[str, object] = {"file": relative_path(error.path, root)}
    if error.line:
        props["line"] = error.line
    props["title"] = f"idemlint error[{error.kind}]"
    return command("error", props, error.message)


def _unused(unused: UnusedIgnore, root: str) -> str:
    props = {"file": relative_path(unused.path, root), "line": unused.line, "col": unused.column,
             "title": "idemlint unused-ignore"}
    return command("warning", props, unused.message)


def lines(result: RunResult, root: Optional[str] = None) -> List[str]:
    root = os.path.abspath(root or os.getcwd())
    out = [_error(e, root) for e in result.errors]
    out.extend(_finding(f, root) for f in result.findings)
    out.extend(_unused(u, root) for u in result.unused_ignores)
    if result.baseline is not None and result.baseline.fixed:
        n = result.baseline.fixed_count
        out.append(command("notice", {"title": "idemlint baseline"},
                           f"{n} baseline {'entry no longer matches' if n == 1 else 'entries no longer match'} "
                           f"(fixed); rewrite {result.baseline.path} with --write-baseline to shrink it"))
    return out


def render(result: RunResult, options: Optional[GithubOptions], stream: IO[str]) -> None:
    """Write one workflow command per line; nothing at all for a clean run."""
    for line in lines(result, options.root if options is not None else None):
        stream.write(line + "\n")
