"""The `idemlint` command: check, rules, explain; exit codes 0 clean, 1 reported, 2 usage/config/internal."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Dict, List, Optional, Sequence, Tuple

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


FORMATS = ("text", "json", "sarif", "github")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=False, dir_okay=True, file_okay=True))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format: text for people; json, sarif (GitHub code scanning) or github (workflow annotations).")
@click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the --format report to FILE; the terminal still shows the text report.")
@click.option("--min-confidence", type=click.Choice(CONFIDENCES, case_sensitive=False), default=None,
              help="Report only findings at least this confident (default: low).")
@click.option("--select", default=None, metavar="CODES", help="Comma list of rule codes or names to report (replaces the config's).")
@click.option("--ignore", default=None, metavar="CODES", help="Comma list of rule codes or names not to report (replaces the config's).")
@click.option("--exclude", default=None, metavar="GLOBS", help="Comma list of gitignore-style globs to skip (replaces the config's).")
@click.option("--extend-exclude", default=None, metavar="GLOBS", help="Comma list of globs to skip in addition to `exclude`.")
@click.option("--diff", "--since", "diff_rev", default=None, metavar="REV",
              help="Check only Python files changed against git revision REV (plus the working tree and untracked files).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Record today's findings in this baseline file (and exit 0 unless files could not be checked).")
@click.option("--warn-unused-ignores/--no-warn-unused-ignores", default=None,
              help="Report suppression comments that hide no finding (config: warn-unused-ignores).")
@click.option("--statistics", is_flag=True, help="Show counts by rule and confidence instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings or file errors are reported.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line, and nothing when clean (text format).")
@click.option("--no-color", is_flag=True, help="No colours or styles (also: the NO_COLOR environment variable).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Config file: a pyproject.toml with [tool.idemlint], or a TOML file with the keys at top level.")
@click.option("--force-exclude", is_flag=True, help="Apply excludes and .gitignore to files named on the command line too.")
@click.option("-j", "--jobs", type=int, default=None, metavar="N",
              help="Worker processes (config: jobs; default: one per CPU; 1 runs in-process).")
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
    warn_unused_ignores: Optional[bool],
    statistics: bool,
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
    from .config import ConfigError, describe, load_config, split_list, with_overrides
    from .discover import PathNotFound
    from .vcs import GitError, project_root

    paths = paths or (".",)
    if baseline_file and write_baseline_file:
        raise _fail("use either --baseline (report new findings) or --write-baseline (record them), not both")
    if statistics and output_format != "text" and not output_file:
        raise _fail(f"--statistics shows the text report; add --output FILE for the {output_format} report")
    # Only what was actually passed overrides the config file.
    overrides: Dict[str, Any] = {"force_exclude": force_exclude, "verbose": verbose}
    if jobs is not None:
        overrides["jobs"] = jobs
    if cache_dir is not None:
        overrides["cache-dir"] = os.path.abspath(cache_dir)  # relative to the cwd, not the config file
    for key, value in (("select", select), ("ignore", ignore), ("exclude", exclude), ("extend-exclude", extend_exclude)):
        if value is not None:
            overrides[key] = split_list(value)
    if min_confidence is not None:
        overrides["min-confidence"] = min_confidence
    if warn_unused_ignores is not None:
        overrides["warn-unused-ignores"] = warn_unused_ignores
    try:
        for path in paths:
            if not os.path.lexists(path):
                raise PathNotFound(path)
        config = load_config(paths, config_file, overrides)
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
        result = lint_paths(targets, config, stats) if verbose else lint_paths(targets, config)
        if verbose:
            click.echo("idemlint: files = {files}, passed the prefilter = {prefilter_passed}, cache hits = "
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
            traceback.print_exc()
        raise _fail(f"internal error: {type(e).__name__}: {e} (please report this)")

    text_options = {"color": _color_wanted(no_color), "quiet": quiet, "verbose": verbose, "statistics": statistics}
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="\n") as fh:
                _render(output_format, result, root, fh, dict(text_options, color=False, quiet=False, statistics=False))
        except OSError as e:
            raise _fail(f"cannot write {output_file}: {e.strerror or e}")
        _render("text", result, root, sys.stdout, text_options)
    else:
        _render(output_format, result, root, sys.stdout, text_options)
    if write_baseline_file:
        reported = bool(result.errors)  # the findings are now accepted; unreadable files are not
    else:
        reported = result.reported()
    raise click.exceptions.Exit(EXIT_REPORTED if reported and not exit_zero else EXIT_CLEAN)


def _render(output_format: str, result: Any, root: str, stream: Any, text_options: Dict[str, Any]) -> None:
    """Write `result` in `output_format` to `stream` (rich is imported only for text)."""
    if output_format == "json":
        from .report import json as json_report

        json_report.render(result, json_report.JsonOptions(root), stream)
    elif output_format == "sarif":
        from .report import sarif

        sarif.render(result, sarif.SarifOptions(root), stream)
    elif output_format == "github":
        from .report import github

        github.render(result, github.GithubOptions(root), stream)
    else:
        from .report import text as text_report

        text_report.render(result, text_report.TextOptions(**text_options), stream)


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
    sys.exit(main())
