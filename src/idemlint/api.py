"""The library entry points: lint one source or a set of paths. Pure: no output, no exit codes."""

from __future__ import annotations

import os
import stat
import traceback
from dataclasses import replace
from typing import Iterable, Optional, Sequence

from . import analysis, suppress
from .config import Config, ConfigError, load_config
from .discover import PathNotFound, SourceFile, discover
from .findings import FileError, FileResult, RunResult
from .fingerprint import SnippetHasher

__all__ = ["Config", "ConfigError", "PathNotFound", "lint_source", "lint_paths", "load_config"]


def lint_source(source: bytes, path: str, config: Optional[Config] = None) -> FileResult:
    """Analyse `source` (shown as `path`), then apply inline suppressions and the config filters.

    This is the one error boundary per file: whatever goes wrong becomes a `FileError`
    in the result and the caller carries on with the next file.
    """
    config = config or Config()
    try:
        findings = analysis.analyze(source, path)
    except analysis.ParseFailure as e:
        return FileResult(path, errors=(FileError(path, e.message, kind=e.kind, line=e.line),))
    except RecursionError:
        return FileResult(path, errors=(FileError(path, "too deeply nested to analyse", kind="skipped"),))
    except MemoryError:
        return FileResult(path, errors=(FileError(path, "out of memory while analysing", kind="skipped"),))
    except Exception as e:  # noqa: BLE001 - the per-file boundary: one bad file never stops a run
        what = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        message = f"internal error: {what} (please report this)"
        detail = traceback.format_exc() if config.verbose else ""
        return FileResult(path, errors=(FileError(path, message, kind="internal", traceback=detail),))
    kept, suppressed = suppress.apply(findings, source, path, config)
    if kept:
        hasher = SnippetHasher(source)
        kept = [replace(f, snippet_hash=hasher.hash(f.line, f.end_line)) for f in kept]
    kept.sort(key=lambda f: f.sort_key())
    unused = suppress.unused_ignores(findings, source, path) if config.warn_unused_ignores else []
    return FileResult(path, findings=tuple(kept), suppressed=suppressed, parsed=True, unused_ignores=tuple(unused))


def _passes_prefilter(source: bytes) -> bool:
    try:
        return analysis.passes_prefilter(source)
    except Exception:  # noqa: BLE001
        # The prefilter is only a shortcut; if it fails, let the full analysis (and its
        # error boundary) decide about the file.
        return True


def lint_file(file: SourceFile, config: Config) -> FileResult:
    """Read, size-check and prefilter one discovered file, then `lint_source` it."""
    shown = file.display_path
    limit = config.max_file_size
    too_big = f"file is larger than max-file-size ({limit} bytes); not checked"
    try:
        info = os.stat(file.path)
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or device named on the command line would block or never end.
            return FileResult(shown, errors=(FileError(shown, "cannot read file: not a regular file", kind="read"),))
        if info.st_size > limit:
            return FileResult(shown, errors=(FileError(shown, too_big, kind="skipped"),))
        with open(file.path, "rb") as fh:
            source = fh.read(limit + 1)  # the file may have grown since stat
    except OSError as e:
        reason = e.strerror or type(e).__name__
        return FileResult(shown, errors=(FileError(shown, f"cannot read file: {reason}", kind="read"),))
    if len(source) > limit:
        return FileResult(shown, errors=(FileError(shown, too_big, kind="skipped"),))
    if not _passes_prefilter(source):
        # Mentions no broker API: scanned and clean, so any suppression comment in it is unused.
        unused = suppress.unused_ignores((), source, shown) if config.warn_unused_ignores else []
        return FileResult(shown, unused_ignores=tuple(unused))
    return lint_source(source, shown, config)


def collect(results: Iterable[FileResult]) -> RunResult:
    """Fold per-file results into one deterministic `RunResult`."""
    run = RunResult()
    for result in results:
        run.files += 1
        run.parsed += int(result.parsed)
        run.findings.extend(result.findings)
        run.errors.extend(result.errors)
        run.suppressed += result.suppressed
        run.unused_ignores.extend(result.unused_ignores)
        run.checked.append(result.path)
    run.findings.sort(key=lambda f: f.sort_key())
    run.unused_ignores.sort(key=lambda u: u.sort_key())
    run.errors.sort(key=lambda e: (e.path, e.line, e.kind, e.message))
    return run


def lint_paths(paths: Sequence[str], config: Optional[Config] = None) -> RunResult:
    """Discover the Python files under `paths` and lint each one.

    Raises `PathNotFound` if a path does not exist; every per-file problem is a `FileError`.
    """
    config = config or load_config(paths)
    files = discover(paths, config)
    return collect(lint_file(f, config) for f in files)
