"""The library entry points: lint one source or a set of paths. Pure: no output, no exit codes.

`lint_paths` reads every file in the calling process and sends only the files that pass the
prefilter and miss the cache to worker processes (`runner.Runner`); results are merged in
discovery order, so a parallel run gives exactly the serial run's result.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from . import suppress
from .config import Config, ConfigError, load_config
from .discover import TEST, PathNotFound, SourceFile, discover, imports_test_framework, skipped_as, may_be_test_support
from .findings import Analysis, FileError, FileResult, ParseFailure, RunResult
from .runner import TRIM_EVERY_FILES, Job, Progress, Results, Runner, release_memory
from .stack import engine_gc

if TYPE_CHECKING:
    from .cache import Cache

# `analysis` (and with it libcst, ~0.3 s to import) is imported only when a file must be analysed:
# a run whose files all miss the prefilter or hit the cache never pays for it.

__all__ = ["Config", "ConfigError", "PathNotFound", "lint_source", "lint_paths", "load_config"]


def _analysis_module() -> Any:
    from . import analysis

    return analysis


def _may_hold_units(source: bytes, project: Any = None, file_path: Optional[str] = None) -> bool:
    """The engine's first pass (`gate`), on the analysis thread: compiling deeply nested code
    needs its stack too."""
    from .gate import may_hold_units
    from .origins import adjacent_words
    from .stack import with_big_stack

    try:
        return with_big_stack(may_hold_units, source, adjacent_words(project, file_path, source), project, file_path)
    except Exception:  # noqa: BLE001 - only a shortcut: if it fails, the engine decides (and reports)
        return True


def analyse(source: bytes, path: str, verbose: bool = False, project: Any = None,
            file_path: Optional[str] = None, patterns: tuple = ()) -> Analysis:
    """Run the engine on `source`: the part of `lint_source` that filters do not change.

    This is the one error boundary per file: whatever goes wrong becomes a `FileError`.
    The findings are unfiltered and carry their snippet hashes, so the result can be cached.
    With a `project` (and the file's real `file_path`), handlers are followed into the other
    modules of the project, and the modules read are recorded as the result's `deps`.
    """
    if not patterns and not _engine_replaced() and not _may_hold_units(source, project, file_path):
        return Analysis(parsed=True)  # the engine's first pass turned it away: libcst not loaded
    analysis = _analysis_module()
    try:
        if patterns:
            findings = analysis.analyze(source, path, project, file_path, patterns)
        elif project is not None and file_path is not None:
            findings = analysis.analyze(source, path, project, file_path)
        else:
            findings = analysis.analyze(source, path)
    except ParseFailure as e:
        return Analysis(error=FileError(path, e.message, kind=e.kind, line=e.line))
    except RecursionError:
        return Analysis(error=FileError(path, "too deeply nested to analyse", kind="skipped"))
    except MemoryError:
        return Analysis(error=FileError(path, "out of memory while analysing", kind="skipped"))
    except Exception as e:  # noqa: BLE001 - the per-file boundary: one bad file never stops a run
        import traceback  # only for a crash: not loaded at start-up

        from .crash import internal_error_message

        message = internal_error_message(e)  # names the rule or detector that raised
        detail = traceback.format_exc() if verbose else ""
        return Analysis(error=FileError(path, message, kind="internal", traceback=detail))
    if findings:
        from .fingerprint import SnippetHasher

        hasher = SnippetHasher(source, last_line=max(max(f.line, f.end_line) for f in findings))
        findings = [replace(f, snippet_hash=hasher.hash(f.line, f.end_line)) for f in findings]
    deps: Tuple[Tuple[str, str], ...] = ()
    if project is not None and file_path is not None:
        own = os.path.abspath(file_path)
        deps = tuple(sorted((p, d) for p, d in project.deps.items() if p != own))
    return Analysis(findings=tuple(findings), parsed=True, deps=deps)


def finish(result: Analysis, source: bytes, path: str, config: Config) -> FileResult:
    """Apply inline suppressions and the config filters to an analysis (cheap: no parsing)."""
    if result.error is not None:
        return FileResult(path, errors=(result.error,))
    findings = list(result.findings)
    # Nothing to filter: skip `apply`, whose rule registry would import libcst.
    kept, suppressed = suppress.apply(findings, source, path, config) if findings else ([], 0)
    kept.sort(key=lambda f: f.sort_key())
    unused = suppress.unused_ignores(findings, source, path) if config.warn_unused_ignores else []
    return FileResult(path, findings=tuple(kept), suppressed=suppressed, parsed=result.parsed,
                      unused_ignores=tuple(unused))


def lint_source(source: bytes, path: str, config: Optional[Config] = None) -> FileResult:
    """Analyse `source` (shown as `path`), then apply inline suppressions and the config filters.

    Whatever goes wrong becomes a `FileError` in the result; the caller carries on.
    """
    config = config or Config()
    return finish(analyse(source, path, config.verbose, patterns=config.patterns), source, path, config)


# --- the prefilter -----------------------------------------------------------------------------


def _engine_replaced() -> bool:
    """True when a caller swapped the engine functions (tests do): never cache their output."""
    analysis = sys.modules.get("idemlint.analysis")
    return analysis is not None and getattr(analysis.analyze, "__module__", "") != "idemlint.analysis"


def _prefilter(cache: Optional[Cache]) -> Callable[[bytes], bool]:
    """The prefilter function, from the cache's copy of the regex when the adapters are not loaded yet."""
    if "idemlint.detect" not in sys.modules and cache is not None:
        patterns = cache.load_prefilter()
        if patterns:
            return lambda source: any(pattern.search(source) is not None for pattern in patterns)
    from . import detect  # the adapters, without libcst (see `lazyimport`)

    if cache is not None:
        compiled = getattr(detect, "PREFILTER", None)
        if (isinstance(compiled, tuple) and all(isinstance(p, re.Pattern) for p in compiled)
                and getattr(detect.passes_prefilter, "__module__", "") == detect.__name__):
            cache.store_prefilter(compiled)
    return lambda source: detect.passes_prefilter(source)


def _lazy(make: Callable[[], Callable[[bytes], bool]]) -> Callable[[bytes], bool]:
    """A prefilter built on first use: a run whose files are all known clean or cached
    never loads the prefilter (nor, without a cached regex, libcst)."""
    made: List[Callable[[bytes], bool]] = []

    def prefilter(source: bytes) -> bool:
        if not made:
            made.append(make())
        return made[0](source)

    return prefilter


def _with_declared_words(prefilter: Callable[[bytes], bool], config: Config) -> Callable[[bytes], bool]:
    """The prefilter, widened to the names the user declared in `[tool.idemlint.patterns]`."""
    if not config.patterns:
        return prefilter
    from .patterns import Patterns

    words = Patterns(config.patterns).words()
    if not words:
        return prefilter
    extra = re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\b")
    return lambda source: prefilter(source) or extra.search(source) is not None


def _passes(prefilter: Callable[[bytes], bool], source: bytes) -> bool:
    try:
        return prefilter(source)
    except Exception:  # noqa: BLE001
        # The prefilter is only a shortcut; if it fails, let the full analysis (and its
        # error boundary) decide about the file.
        return True


# --- one file ------------------------------------------------------------------------------------


def _read(file: SourceFile, config: Config) -> Union[bytes, FileResult]:
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
    return source


class _Clean:
    """Contents known to fail the prefilter (from the cache), and the ones found in this run."""

    def __init__(self, cache: Optional[Cache]) -> None:
        self.cache = cache
        self.known = cache.load_clean() if cache is not None else frozenset()
        self.new: Set[bytes] = set()

    def save(self) -> None:
        if self.cache is not None and self.new - self.known:
            self.cache.store_clean(self.known, self.new)


def _clean_result(source: bytes, shown: str, config: Config) -> FileResult:
    # Mentions no broker API: scanned and clean, so any suppression comment in it is unused.
    unused = suppress.unused_ignores((), source, shown) if config.warn_unused_ignores else []
    return FileResult(shown, unused_ignores=tuple(unused))


def _admitted(prefilter: Callable[[bytes], bool], source: bytes, project: Any, path: str,
              known_clean: bool = False, declared: bool = False) -> bool:
    """The file goes on to the engine: it passes the prefilter (unless the cache knows it fails
    it), or it reaches a broker library through the project modules it imports (a consumer a
    project factory builds: `origins.Origins.adjacent`), and the engine's first pass decides. A
    module nothing adjacent can let past that pass (`gate.adjacency_may_matter`) is not followed
    into its imports, unless the user `declared` patterns (which make any call count)."""
    from .gate import adjacency_may_matter
    from .origins import adjacent_words

    if not known_clean and _passes(prefilter, source):
        return True
    return project is not None and (declared or adjacency_may_matter(source)) and bool(adjacent_words(project, path, source))


def _test_if_imports(file: SourceFile, config: Config) -> bool:
    """Whether `file`, production code by its path, is left out as test code if it imports a test framework."""
    return may_be_test_support(file, config) and skipped_as(file, config, TEST) is not None


def _test_support(job: Job, source: bytes) -> Optional[FileResult]:
    """The result of a file left out as test code by its imports (pytest, unittest), or None."""
    if job.test_if_imports and imports_test_framework(source):
        return FileResult(job.shown, skipped=TEST)
    return None


def _prepare(index: int, file: SourceFile, config: Config, cache: Optional[Cache],
             prefilter: Optional[Callable[[bytes], bool]], stats: Dict[str, int],
             clean: _Clean, project: Any = None) -> Union[Job, FileResult]:
    """Read, size-check, prefilter and look up one file; a `Job` if it still needs the engine.

    A test or example file that `check` leaves out is not even read. With `prefilter` None the
    job leaves reading and the prefilter to the worker (`_defer_prefilter`). A file that fails the
    prefilter still goes to the engine when it reaches a broker library through the project modules
    it imports (`_admitted`; never cached as clean: that depends on other files).
    """
    role = skipped_as(file, config)
    if role is not None:
        return FileResult(file.display_path, skipped=role)
    job = Job(index, file.path, file.display_path, b"", test_if_imports=_test_if_imports(file, config))
    if prefilter is None:
        return replace(job, deferred=True)
    source = _read(file, config)
    if isinstance(source, FileResult):
        return source
    skipped = _test_support(job, source)
    if skipped is not None:
        return skipped
    shown = file.display_path
    digest = cache.digest(source) if cache is not None else b""
    if not _admitted(prefilter, source, project, file.path, known_clean=digest in clean.known,
                     declared=bool(config.patterns)):
        if cache is not None:
            clean.new.add(digest)
        return _clean_result(source, shown, config)
    stats["prefilter_passed"] += 1
    job.source = source
    if cache is not None:
        job.key = cache.content_key(shown, digest)
        cached = cache.load(file.path, job.key)
        if cached is not None:
            stats["cache_hits"] += 1
            return finish(cached, source, shown, config)
    return job


_WORKER_PREFILTERS: Dict[tuple, Callable[[bytes], bool]] = {}  # per process, by declared patterns


def _worker_prefilter(config: Config, cache: Optional[Cache]) -> Callable[[bytes], bool]:
    if config.patterns not in _WORKER_PREFILTERS:
        _WORKER_PREFILTERS[config.patterns] = _with_declared_words(_prefilter(cache), config)
    return _WORKER_PREFILTERS[config.patterns]


def _engine_job(job: Job, config: Config, cache: Optional[Cache],
                project: Any = None) -> Tuple[FileResult, bool]:
    """(the file's result, whether it passed the prefilter) for a job, in whatever process runs it."""
    if job.deferred:
        source = _read(SourceFile(job.path, job.shown), config)
        if isinstance(source, FileResult):
            return source, False
        skipped = _test_support(job, source)
        if skipped is not None:
            return skipped, False
        if not _admitted(_worker_prefilter(config, cache), source, project, job.path, declared=bool(config.patterns)):
            return _clean_result(source, job.shown, config), False
        job = replace(job, source=source)
    result = analyse(job.source, job.shown, config.verbose, project, job.path, config.patterns)
    if cache is not None:
        cache.store(job.path, job.key, result)
    return finish(result, job.source, job.shown, config), True


def make_project(config: Config, paths: Sequence[str] = ()) -> Any:
    """The project whose modules handlers are followed into, `config.call_depth` calls deep."""
    from .project import Project

    return Project([config.root, *paths], max_depth=config.call_depth, scanned=paths or [config.root])


# --- many files ----------------------------------------------------------------------------------


def _new_stats() -> Dict[str, int]:
    return {"files": 0, "skipped_tests": 0, "skipped_examples": 0, "prefilter_passed": 0, "cache_hits": 0,
            "analysed": 0, "workers": 0}


def _open_cache(config: Config) -> Optional[Cache]:
    if not config.cache_dir or _engine_replaced():
        return None
    from .cache import Cache  # not imported by a `--no-cache` run

    directory = os.path.join(os.path.abspath(config.root), config.cache_dir)
    cache = Cache.open(directory)
    if cache is not None:
        cache.settings = config.analysis_key()
    return cache


# A run without a cache over at least this many files leaves reading and the prefilter to the
# workers (this process then reads no file, holds no source and imports neither the adapters
# nor libcst).
DEFER_PREFILTER_FILES = 64


def _defer_prefilter(cache: Optional["Cache"], files: int, jobs: int) -> bool:
    """True for a run without a cache over enough files to be worth it: the workers then read and
    prefilter the files, as they parse them. (With a cache, this process needs each file's digest
    anyway.) Not when this process holds the engine already (a caller that imported it)."""
    return cache is None and jobs > 1 and files >= DEFER_PREFILTER_FILES and "idemlint.analysis" not in sys.modules


def lint_files(files: Sequence[SourceFile], config: Config, stats: Optional[Dict[str, int]] = None,
               paths: Sequence[str] = (), progress: Optional[Progress] = None) -> List[FileResult]:
    """Lint `files` (in parallel when `config.jobs` allows and enough files need analysis).

    `stats`, if given, receives counts: files (checked), skipped_tests, skipped_examples (test and
    example files left out), prefilter_passed (let in by the prefilter, or by the project modules
    they import: `_admitted`), cache_hits, analysed, workers.
    `progress`, if given, is called as each file is done: (files in the run, parsed, its findings).
    `paths` (the paths the user named) are source roots for following calls across modules,
    besides `config.root`.
    """
    counts = _new_stats()
    cache = _open_cache(config)
    clean = _Clean(cache)
    results: List[Optional[FileResult]] = Results(len(files), progress)
    runner = Runner(config, cache, results, make_project(config, paths), _engine_job)
    prefilter: Optional[Callable[[bytes], bool]] = None
    if not _defer_prefilter(cache, len(files), runner.jobs):
        prefilter = _with_declared_words(_lazy(lambda: _prefilter(cache)), config)
    try:
        with engine_gc():  # forked workers inherit it
            _feed(files, config, cache, prefilter, counts, clean, results, runner)
    except BaseException:
        runner.abort()  # Ctrl-C or a crash outside the per-file boundary: stop the workers
        raise
    for result in results:
        if result is not None and result.skipped:
            counts[f"skipped_{result.skipped}s"] += 1
    counts["files"] = len(files) - counts["skipped_tests"] - counts["skipped_examples"]
    counts["workers"] = runner.jobs if runner.pool is not None else 0
    if stats is not None:
        stats.update(counts)
    return [r for r in results if r is not None]


def _feed(files: Sequence[SourceFile], config: Config, cache: Optional[Cache],
          prefilter: Optional[Callable[[bytes], bool]], counts: Dict[str, int], clean: _Clean,
          results: List[Optional[FileResult]], runner: Runner) -> None:
    """Prepare every file, hand the ones that need the engine to `runner`, and wait for them."""
    for index, file in enumerate(files):
        if index and index % TRIM_EVERY_FILES == 0:
            release_memory()
        outcome = _prepare(index, file, config, cache, prefilter, counts, clean, runner.project)
        if isinstance(outcome, FileResult):
            results[index] = outcome
        else:
            counts["analysed"] += 1
            counts["prefilter_passed"] += outcome.deferred  # taken back below if turned away
            runner.add(outcome)
    runner.finish()
    counts["analysed"] -= runner.rejected
    counts["prefilter_passed"] -= runner.rejected
    clean.save()


def collect(results: Iterable[FileResult]) -> RunResult:
    """Fold per-file results into one deterministic `RunResult`."""
    run = RunResult()
    for result in results:
        if result.skipped:
            run.skipped[result.skipped] = run.skipped.get(result.skipped, 0) + 1
            continue
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


def lint_paths(paths: Sequence[str], config: Optional[Config] = None,
               stats: Optional[Dict[str, int]] = None, progress: Optional[Progress] = None) -> RunResult:
    """Discover the Python files under `paths` and lint each one.

    Raises `PathNotFound` if a path does not exist; every per-file problem is a `FileError`.
    The result cache is used only when `config.cache_dir` is set (the command line sets it).
    """
    config = config or load_config(paths)
    files = discover(paths, config)
    return collect(lint_files(files, config, stats, paths, progress))
