"""The `idemlint` command: check, rules, explain; exit codes 0 clean, 1 reported, 2 usage/config/internal."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import click

from . import __version__

EXIT_CLEAN, EXIT_REPORTED, EXIT_USAGE = 0, 1, 2
DEFAULT_CACHE_DIR = ".idemlint_cache"  # at the project root (next to the config file, else the cwd)
CONFIDENCES = ("low", "medium", "high")


def _color_wanted(no_color: bool) -> bool:
    # https://no-color.org: any non-empty NO_COLOR disables colour.
    return not no_color and not os.environ.get("NO_COLOR")


def _fail(message: str) -> "click.exceptions.Exit":
    from .escape import one_line

    # Paths and TOML parse errors may carry escape sequences: never let them reach the terminal raw.
    click.echo(f"idemlint: error: {one_line(message)}", err=True)
    return click.exceptions.Exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="idemlint", message="%(prog)s %(version)s")
def main() -> None:
    """Find message-queue consumers that are not safe under at-least-once delivery."""


def run() -> None:
    """The `idemlint` command and `python -m idemlint`: `main`, then an exit that skips the
    interpreter's teardown. Freeing libcst's and idemlint's modules and the parsed trees one
    object at a time was a tenth of a one-file check (a pre-commit hook on one changed file); the
    operating system takes the memory back at once. mypy's `hard_exit` does the same."""
    try:
        main(prog_name="idemlint")
        code: Any = 0
    except SystemExit as stop:  # click's standalone mode always ends in one
        code = stop.code
    _hard_exit(code)


def _hard_exit(code: Any) -> None:
    if code is None:
        code = 0
    elif not isinstance(code, int):  # what `sys.exit` does with a message
        click.echo(str(code), err=True)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: the interpreter's own exit reports it
        sys.exit(code)
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.active_children():
        sys.exit(code)  # worker processes still alive: their exit hooks stop them
    os._exit(code)


FORMATS = ("text", "json", "sarif", "github", "markdown")
# More files than this to scan: a progress bar on stderr (text format, stderr a terminal).
PROGRESS_THRESHOLD = 200
# Options `check` and `consumers` share.
_EXCLUDE = click.option("--exclude", default=None, metavar="GLOBS", help="Comma list of gitignore-style globs to skip (replaces the config's).")
_EXTEND_EXCLUDE = click.option("--extend-exclude", default=None, metavar="GLOBS", help="Comma list of globs to skip in addition to `exclude`.")
_NO_COLOR = click.option("--no-color", is_flag=True, help="No colours or styles (also: the NO_COLOR environment variable).")
_FORCE_EXCLUDE = click.option("--force-exclude", is_flag=True, help="Apply excludes and .gitignore to files named on the command line too.")
_JOBS = click.option("-j", "--jobs", type=int, default=None, metavar="N",
              help="Worker processes (config: jobs; default: one per CPU; 1 runs in-process).")
_DOCS_URL = click.option("--docs-url", default=None, metavar="URL",
                         help="Link rule codes in Markdown and SARIF to the pages under URL (config: docs-url; "
                              "default: no links, `idemlint explain CODE` shows a page).")
_CONFIG = click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Config file: a pyproject.toml with [tool.idemlint], or a TOML file with the keys at top level.")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=False, dir_okay=True, file_okay=True))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format: text for people; json, sarif (GitHub code scanning), github (workflow "
                   "annotations) or markdown (CI job summaries, merge-request notes).")
@click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the --format report to FILE; the terminal still shows the text report.")
@click.option("--min-confidence", type=click.Choice(CONFIDENCES, case_sensitive=False), default=None,
              help="Report only findings at least this confident (default: low).")
@click.option("--select", default=None, metavar="CODES", help="Comma list of rule codes or names to report (replaces the config's).")
@click.option("--ignore", default=None, metavar="CODES", help="Comma list of rule codes or names not to report (replaces the config's).")
@_EXCLUDE
@_EXTEND_EXCLUDE
@click.option("--diff", "--since", "diff_rev", default=None, metavar="REV",
              help="Check only Python files changed against git revision REV (plus the working tree and untracked files).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Record today's findings in this baseline file (and exit 0 unless files could not be checked).")
@click.option("--include-tests/--no-include-tests", default=None,
              help="Also check test code: tests/, test_*.py, conftest.py, ... (config: include-tests, test-paths).")
@click.option("--include-examples/--no-include-examples", default=None,
              help="Also check example code: docs/, examples/, samples/, ... (config: include-examples, example-paths).")
@click.option("--warn-unused-ignores/--no-warn-unused-ignores", default=None,
              help="Report suppression comments that hide no finding (config: warn-unused-ignores).")
@click.option("--statistics", is_flag=True, help="Show counts by rule and confidence instead of the findings.")
@click.option("--show-evidence", is_flag=True,
              help="Under each finding, show why the function is a consumer, the ack, the side effect and the call chain.")
@_DOCS_URL
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings or file errors are reported.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line, and nothing when clean (text format).")
@_NO_COLOR
@_CONFIG
@_FORCE_EXCLUDE
@_JOBS
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Result cache directory (config: cache-dir; default: .idemlint_cache at the project root).")
@click.option("-v", "--verbose", is_flag=True, help="Show the settings used, evidence and internal-error tracebacks.")
def check(
    paths: Tuple[str, ...],
    output_format: str,
    output_file: Optional[str],
    min_confidence: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    exclude: Optional[str],
    extend_exclude: Optional[str],
    diff_rev: Optional[str],
    baseline_file: Optional[str],
    write_baseline_file: Optional[str],
    include_tests: Optional[bool],
    include_examples: Optional[bool],
    warn_unused_ignores: Optional[bool],
    statistics: bool,
    show_evidence: bool,
    docs_url: Optional[str],
    exit_zero: bool,
    quiet: bool,
    no_color: bool,
    config_file: Optional[str],
    force_exclude: bool,
    jobs: Optional[int],
    no_cache: bool,
    cache_dir: Optional[str],
    verbose: bool,
) -> None:
    """Check PATHS (files or directories; default: the current directory)."""
    from .api import lint_paths
    from .baseline import BaselineError
    from .baseline import apply as apply_baseline
    from .baseline import load as load_baseline
    from .baseline import write as write_baseline
    from .config import ConfigError, describe, with_overrides
    from .discover import PathNotFound
    from .vcs import GitError, project_root

    paths = paths or (".",)
    if baseline_file and write_baseline_file:
        raise _fail("use either --baseline (report new findings) or --write-baseline (record them), not both")
    if statistics and output_format != "text" and not output_file:
        raise _fail(f"--statistics shows the text report; add --output FILE for the {output_format} report")
    overrides = _overrides(force_exclude=force_exclude, verbose=verbose, jobs=jobs, select=select, ignore=ignore,
                           exclude=exclude, extend_exclude=extend_exclude, min_confidence=min_confidence,
                           docs_url=docs_url, include_tests=include_tests, include_examples=include_examples)
    if cache_dir is not None:
        overrides["cache-dir"] = os.path.abspath(cache_dir)  # relative to the cwd, not the config file
    if warn_unused_ignores is not None:
        overrides["warn-unused-ignores"] = warn_unused_ignores
    try:
        config = _load(paths, config_file, overrides)
        if no_cache:
            config = with_overrides(config, cache_dir=None)
        elif config.cache_dir is None:
            config = with_overrides(config, cache_dir=DEFAULT_CACHE_DIR)
        baseline = load_baseline(baseline_file) if baseline_file else None
        targets: Sequence[str] = paths
        if diff_rev is not None:
            targets = _changed_targets(diff_rev, paths)
            # Changed files are judged as if found by walking: excludes and .gitignore apply.
            config = with_overrides(config, force_exclude=True)
        if verbose:
            for line in describe(config):
                click.echo(f"idemlint: {line}", err=True)
            if diff_rev is not None:
                click.echo(f"idemlint: changed files against {diff_rev} = {len(targets)}", err=True)
        stats: Dict[str, int] = {}
        extra: Dict[str, Any] = {"stats": stats} if verbose else {}
        with _progress_bar(output_format == "text" and not quiet) as progress:
            if progress is not None:
                extra["progress"] = progress
            result = lint_paths(targets, config, **extra)
        if verbose:
            click.echo("idemlint: files = {files}, skipped test files = {skipped_tests}, skipped example files = "
                       "{skipped_examples}, let in by the prefilter or their imports = {prefilter_passed}, cache hits = "
                       "{cache_hits}, analysed = {analysed}, worker processes = {workers}".format(**stats), err=True)
        root = project_root() if (output_format != "text" or baseline or write_baseline_file) else os.getcwd()
        if baseline is not None:
            apply_baseline(result, baseline, root, config)
        if write_baseline_file:
            recorded = write_baseline(write_baseline_file, result.findings, root)
            noun = "finding" if recorded == 1 else "findings"
            click.echo(f"idemlint: wrote {recorded} {noun} to baseline {write_baseline_file}", err=True)
    except ConfigError as e:
        raise _fail(str(e))
    except PathNotFound as e:
        raise _fail(f"path does not exist: {e}")
    except BaselineError as e:
        raise _fail(str(e))
    except GitError as e:
        raise _fail(f"--diff {diff_rev}: {e}")
    except OSError as e:
        raise _fail(f"cannot write baseline {write_baseline_file}: {e.strerror or e}")
    except Exception as e:  # noqa: BLE001 - a crash outside the per-file boundary
        if verbose:
            import traceback  # only for a crash: not loaded at start-up

            traceback.print_exc()
        raise _fail(f"internal error: {type(e).__name__}: {e} (please report this)")

    text_options = {"color": _color_wanted(no_color), "quiet": quiet, "verbose": verbose, "statistics": statistics,
                    "show_evidence": show_evidence}
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="\n") as fh:
                _render(output_format, result, root, fh, dict(text_options, color=False, quiet=False, statistics=False),
                        config.docs_url)
        except OSError as e:
            raise _fail(f"cannot write {output_file}: {e.strerror or e}")
        _render("text", result, root, sys.stdout, text_options)
    else:
        _render(output_format, result, root, sys.stdout, text_options, config.docs_url)
    if write_baseline_file:
        reported = bool(result.errors)  # the findings are now accepted; unreadable files are not
    else:
        reported = result.reported()
    raise click.exceptions.Exit(EXIT_REPORTED if reported and not exit_zero else EXIT_CLEAN)


def _overrides(force_exclude: bool, verbose: bool, jobs: Optional[int], select: Optional[str] = None,
               ignore: Optional[str] = None, exclude: Optional[str] = None, extend_exclude: Optional[str] = None,
               min_confidence: Optional[str] = None, docs_url: Optional[str] = None,
               include_tests: Optional[bool] = None, include_examples: Optional[bool] = None) -> Dict[str, Any]:
    """The config keys the command line sets: only what was actually passed overrides the config file."""
    from .config import split_list

    overrides: Dict[str, Any] = {"force_exclude": force_exclude, "verbose": verbose}
    for key, value in (("select", select), ("ignore", ignore), ("exclude", exclude), ("extend-exclude", extend_exclude)):
        if value is not None:
            overrides[key] = split_list(value)
    for key, value in (("jobs", jobs), ("min-confidence", min_confidence), ("docs-url", docs_url),
                       ("include-tests", include_tests), ("include-examples", include_examples)):
        if value is not None:
            overrides[key] = value
    return overrides


def _load(paths: Sequence[str], config_file: Optional[str], overrides: Dict[str, Any]) -> Any:
    """The run's Config; raises PathNotFound for a missing path, ConfigError for a bad config."""
    from .config import load_config
    from .discover import PathNotFound

    for path in paths:
        if not os.path.lexists(path):
            raise PathNotFound(path)
    return load_config(paths, config_file, overrides)


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _ProgressBar:
    """A rich progress bar on stderr for a scan of more than `PROGRESS_THRESHOLD` files.

    Called once per finished file with the run's file count, whether the file was parsed and
    how many findings it has; the bar appears at the first call of a large enough run. It is
    redrawn from these calls (no refresh thread: the worker pool forks this process).
    """

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None
        self.done = self.parsed = self.findings = 0
        self.small = False
        self.drawn = 0.0

    def __call__(self, total: int, parsed: bool, findings: int) -> None:
        if self.small:
            return
        if self.bar is None:
            if total <= PROGRESS_THRESHOLD:
                self.small = True
                return
            self._start(total)
        self.done += 1
        self.parsed += int(parsed)
        self.findings += findings
        self.bar.update(self.task, completed=self.done, parsed=self.parsed, findings=self.findings)
        import time

        now = time.monotonic()
        if now - self.drawn >= 0.1 or self.done == total:
            self.drawn = now
            self.bar.refresh()

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(file=sys.stderr, force_terminal=True, highlight=False,
                          no_color=not _color_wanted(False), color_system="auto" if _color_wanted(False) else None)
        self.bar = Progress(
            TextColumn("idemlint"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
            TextColumn("{task.fields[parsed]} parsed, {task.fields[findings]} findings"), TimeElapsedColumn(),
            console=console, transient=True, auto_refresh=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("scan", total=total, parsed=0, findings=0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextlib.contextmanager
def _progress_bar(wanted: bool) -> Iterator[Optional[_ProgressBar]]:
    """A `_ProgressBar`, or None when stderr is not a terminal or the output is not for a person;
    the bar is removed when the block ends."""
    bar = _ProgressBar() if wanted and _stderr_is_terminal() else None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _render(output_format: str, result: Any, root: str, stream: Any, text_options: Dict[str, Any],
            docs_url: Optional[str] = None) -> None:
    """Write `result` in `output_format` to `stream` (rich is imported only for text); rule codes
    link to the pages under `docs_url` in Markdown and SARIF."""
    if output_format == "json":
        from .report import json as json_report

        json_report.render(result, json_report.JsonOptions(root), stream)
    elif output_format == "sarif":
        from .report import sarif

        sarif.render(result, sarif.SarifOptions(root, docs_url), stream)
    elif output_format == "github":
        from .report import github

        github.render(result, github.GithubOptions(root), stream)
    elif output_format == "markdown":
        from .report import markdown

        markdown.render(result, markdown.MarkdownOptions(docs_url=docs_url), stream)
    elif _plain_clean_run(result, stream, text_options):
        if not text_options.get("quiet"):
            from .report.summary import summary_line

            stream.write(summary_line(result) + "\n")  # what rich prints here, without importing it
    else:
        from .report import text as text_report

        text_report.render(result, text_report.TextOptions(**text_options), stream)


def _plain_clean_run(result: Any, stream: Any, text_options: Dict[str, Any]) -> bool:
    """A clean run whose text output has no colour (a pipe, pre-commit's case): one summary line."""
    if result.reported() or result.baseline is not None or text_options.get("statistics"):
        return False
    if not text_options.get("color"):
        return True
    if "FORCE_COLOR" in os.environ or os.environ.get("TTY_COMPATIBLE"):
        return False  # rich would colour even a pipe
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return False


def _changed_targets(rev: str, paths: Sequence[str]) -> List[str]:
    """The Python files changed against `rev` that lie under one of `paths`, relative to the cwd."""
    from .vcs import changed_files

    cwd = os.getcwd()
    scopes = [os.path.realpath(p) for p in paths]
    out = []
    for changed in changed_files(rev, cwd):
        if not changed.endswith(".py") or not os.path.isfile(changed):
            continue
        real = os.path.realpath(changed)
        if not any(real == s or real.startswith(s.rstrip(os.sep) + os.sep) for s in scopes):
            continue
        rel = os.path.relpath(real, os.path.realpath(cwd))
        out.append(real if rel.startswith(os.pardir) else rel)
    return out


INVENTORY_FORMATS = ("text", "json", "markdown")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=False, dir_okay=True, file_okay=True))
@click.option("--format", "output_format", type=click.Choice(INVENTORY_FORMATS), default="text", show_default=True,
              help="Output format: text (tables for people), json or markdown (CI job summaries).")
@click.option("--group-by", type=click.Choice(("file", "library")), default="file", show_default=True,
              help="List the consumers and producers under each file or each client library.")
@click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the --format report to FILE; the terminal still shows the tables.")
@click.option("--min-confidence", type=click.Choice(CONFIDENCES, case_sensitive=False), default=None,
              help="Attach only findings at least this confident (default: low).")
@click.option("--select", default=None, metavar="CODES", help="Comma list of rule codes or names whose findings to attach.")
@click.option("--ignore", default=None, metavar="CODES", help="Comma list of rule codes or names whose findings to leave out.")
@_EXCLUDE
@_EXTEND_EXCLUDE
@_CONFIG
@_FORCE_EXCLUDE
@_JOBS
@_DOCS_URL
@_NO_COLOR
@click.option("-v", "--verbose", is_flag=True, help="Show the settings used and internal-error tracebacks.")
def consumers(
    paths: Tuple[str, ...],
    output_format: str,
    group_by: str,
    output_file: Optional[str],
    min_confidence: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    exclude: Optional[str],
    extend_exclude: Optional[str],
    config_file: Optional[str],
    force_exclude: bool,
    jobs: Optional[int],
    docs_url: Optional[str],
    no_color: bool,
    verbose: bool,
) -> None:
    """List every consumer and producer in PATHS: how each acks, deduplicates and commits, what it
    does, and its findings. Exit 0, or 1 when a file could not be checked."""
    from .config import ConfigError, describe
    from .discover import PathNotFound
    from .inventory import inventory_paths

    paths = paths or (".",)
    overrides = _overrides(force_exclude=force_exclude, verbose=verbose, jobs=jobs, select=select, ignore=ignore,
                           exclude=exclude, extend_exclude=extend_exclude, min_confidence=min_confidence,
                           docs_url=docs_url)
    try:
        config = _load(paths, config_file, overrides)
        if verbose:
            for line in describe(config):
                click.echo(f"idemlint: {line}", err=True)
        with _progress_bar(output_format == "text") as progress:
            inventory = inventory_paths(paths, config, progress)
    except ConfigError as e:
        raise _fail(str(e))
    except PathNotFound as e:
        raise _fail(f"path does not exist: {e}")
    except Exception as e:  # noqa: BLE001 - a crash outside the per-file boundary
        if verbose:
            import traceback  # only for a crash: not loaded at start-up

            traceback.print_exc()
        raise _fail(f"internal error: {type(e).__name__}: {e} (please report this)")
    options = {"color": _color_wanted(no_color), "verbose": verbose}
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="\n") as fh:
                _render_inventory(output_format, inventory, group_by, fh, dict(options, color=False), config.docs_url)
        except OSError as e:
            raise _fail(f"cannot write {output_file}: {e.strerror or e}")
        _render_inventory("text", inventory, group_by, sys.stdout, options)
    else:
        _render_inventory(output_format, inventory, group_by, sys.stdout, options, config.docs_url)
    raise click.exceptions.Exit(EXIT_REPORTED if inventory.errors else EXIT_CLEAN)


def _render_inventory(output_format: str, inventory: Any, group_by: str, stream: Any, options: Dict[str, Any],
                      docs_url: Optional[str] = None) -> None:
    if output_format == "json":
        import json

        from .inventory import to_document

        json.dump(to_document(inventory), stream, indent=2, sort_keys=True, ensure_ascii=True)
        stream.write("\n")
    elif output_format == "markdown":
        from .report import markdown

        markdown.render_inventory(inventory, markdown.MarkdownOptions(group_by=group_by, docs_url=docs_url), stream)
    else:
        from .report import text as text_report

        text_report.render_inventory(inventory, text_report.TextOptions(**options), stream, group_by)


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["table", "markdown", "json"]), default="table",
              show_default=True, help="`markdown` prints the README's rules table.")
@click.option("--no-color", is_flag=True, help="No colours or styles.")
def rules_command(output_format: str, no_color: bool) -> None:
    """List every rule: code, name, summary."""
    from .rules import ALL_RULES

    if output_format == "markdown":
        click.echo(rules_markdown(), nl=False)
        return
    if output_format == "json":
        import json

        data = [{"code": r.code, "name": r.name, "summary": r.summary, "preview": r.preview} for r in ALL_RULES]
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    from rich.table import Table

    table = Table("Code", "Name", "Summary", title=None, show_lines=False)
    for rule in ALL_RULES:
        table.add_row(rule.code, rule.name, rule.summary)
    _console(no_color).print(table)


def rules_markdown() -> str:
    """The README's rules table, generated from the registry (a test keeps README in sync)."""
    from .rules import ALL_RULES

    rows = ["| Code | Name | Summary |", "| --- | --- | --- |"]
    for rule in ALL_RULES:
        summary = rule.summary.replace("|", "\\|")
        rows.append(f"| {rule.code} | [`{rule.name}`](rules/{rule.name}.md) | {summary} |")
    return "\n".join(rows) + "\n"


def _console(no_color: bool) -> Any:
    from rich.console import Console

    color = _color_wanted(no_color)
    return Console(color_system="auto" if color else None, no_color=not color, highlight=False)


def rule_page(name: str) -> Optional[str]:
    """Return the Markdown page for rule `name`: from the installed package, else the repo checkout."""
    from .pages import rule_page as find_page

    return find_page(name)


@main.command()
@click.argument("rule")
@click.option("--no-color", is_flag=True, help="No colours or styles.")
@click.option("--raw", is_flag=True, help="Print the page's Markdown source instead of rendering it.")
def explain(rule: str, no_color: bool, raw: bool) -> None:
    """Show the documentation page of RULE (a code such as IDEM001 or a name)."""
    from .rules import ALL_RULES, REMOVED_CODES, find_rule

    found = find_rule(rule)
    if found is None:
        key = rule.strip().upper()
        if key in REMOVED_CODES:
            raise _fail(f"rule {key} was removed: {REMOVED_CODES[key]}")
        known = "\n".join(f"  {r.code}  {r.name}" for r in ALL_RULES)
        click.echo(f"idemlint: error: unknown rule {rule!r}; known rules:\n{known}", err=True)
        raise click.exceptions.Exit(EXIT_USAGE)
    page = rule_page(found.name)
    if page is None:
        click.echo(f"idemlint: warning: no documentation page found for {found.name}", err=True)
        page = f"# `{found.name}` ({found.code})\n\n{found.summary}\n"
    if raw:
        click.echo(page, nl=not page.endswith("\n"))
        return
    from rich.markdown import Markdown

    _console(no_color).print(Markdown(page))


if __name__ == "__main__":  # pragma: no cover
    run()
