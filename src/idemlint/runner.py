"""The process pool behind a run: files in chunks to worker processes, results in discovery order.

`Runner` takes a per-file function `one(job, config, cache, project) -> (result, passed)` (`check`
runs `api._engine_job`, `idemlint consumers` its inventory) and runs it in this process until enough
files need it, then in a pool of workers started once: jobs go out in chunks (at most `CHUNK_FILES`
files or `CHUNK_BYTES` of source), a few chunks per worker in flight. A worker that dies (a crash in
native code, the OOM killer) loses its chunk; those files are retried one by one in fresh
one-worker pools, so only the file that kills its worker is reported. Results are set by index, so a
parallel run gives exactly the serial run's result.
"""

from __future__ import annotations

import collections
import os
import sys
from typing import Any, Callable, Deque, List, Optional, Tuple

from .records import dataclass
from .findings import FileError, FileResult
from .stack import engine_gc

# Fewer files than this to analyse: stay in-process (a worker costs more to start than it saves).
POOL_THRESHOLD = 8
# Work is sent to the pool in chunks of at most this many files or bytes. Files come in discovery
# order, a folder's files together, and modules beside each other call into the same project modules:
# a chunk this size keeps more of a folder in one worker, which parses those callee modules once
# (the bench corpus, 2 workers: 8 files a chunk took 10.4-10.5 s, 16 took 10.1-10.2 s; 32 added 20 MiB
# to the peak memory of the run, and 128 left a worker idle at its end).
CHUNK_FILES = 16
CHUNK_BYTES = 512 * 1024
# Chunks in flight per worker before the oldest is waited for (bounds the sources held here).
IN_FLIGHT_PER_WORKER = 4

WORKER_DIED = "internal error: the worker process died while analysing this file (please report this)"

# Called as each file of a run is done: (files in the run, whether it was parsed, its findings).
Progress = Callable[[int, bool, int], None]
# The per-file function: (job, config, cache, project) -> (the file's result, whether it passed the prefilter).
One = Callable[..., Tuple[Any, bool]]


@dataclass
class Job:
    """A file that must be analysed: its bytes, display path and cache coordinates."""

    index: int
    path: str
    shown: str
    source: bytes
    key: str = ""
    deferred: bool = False  # not read yet: the worker reads and prefilters it (`api._defer_prefilter`)
    test_if_imports: bool = False  # skipped as test code if it imports pytest or unittest (`api._test_support`)


def died(job: Job) -> FileResult:
    """`check`'s result for a file whose worker died."""
    return FileResult(job.shown, errors=(FileError(job.shown, WORKER_DIED, kind="internal"),))


def effective_jobs(config: Any) -> int:
    """The number of worker processes `config` asks for (`jobs` unset: one per CPU)."""
    if config.jobs is not None:
        return config.jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_WORKER_PROJECT: List[Any] = []  # a worker's project, kept across its chunks (parsed modules are reused)


def run_chunk(jobs: List[Job], config: Any, cache: Any, project: Any, one: One) -> List[Tuple[int, Any, bool]]:
    """The worker-process entry point: a chunk of files through `one`."""
    if project is not None:
        if _WORKER_PROJECT and (_WORKER_PROJECT[0].bases, _WORKER_PROJECT[0].max_depth, _WORKER_PROJECT[0].scanned) == (
                project.bases, project.max_depth, project.scanned):
            project = _WORKER_PROJECT[0]
        else:
            _WORKER_PROJECT[:] = [project]
    with engine_gc():  # as the parent's run (a worker that was not forked has the defaults)
        out = [(job.index, *one(job, config, cache, project)) for job in jobs]
    release_memory()  # the chunk's trees are gone: give their pages back before the next chunk
    return out


class Runner:
    """Feeds jobs to a process pool started lazily, once `POOL_THRESHOLD` files need analysis.

    `one(job, config, cache, project)` gives a job's (result, whether it passed the prefilter), in
    this process or a worker (`run_chunk`); `died(job)` the result of a job whose worker died."""

    def __init__(self, config: Any, cache: Any, results: List[Any], project: Any, one: One,
                 died: Callable[[Job], Any] = died) -> None:
        self.one = one
        self.died = died
        self.config = config
        self.cache = cache
        self.project = project
        self.results = results
        self.jobs = effective_jobs(config)
        self.pending: List[Job] = []
        self.pending_bytes = 0
        self.waiting: List[Job] = []  # jobs held back until the pool is worth starting
        self.rejected = 0  # deferred jobs that the worker's read or prefilter turned away
        self.pool: Any = None
        self.futures: Deque[Tuple[Any, List[Job]]] = collections.deque()  # in flight, oldest first
        self.lost: List[Job] = []  # jobs of chunks whose worker died

    def _set(self, job: Job, result: Any, passed: bool) -> None:
        self.results[job.index] = result
        self.rejected += not passed

    def add(self, job: Job) -> None:
        if self.jobs <= 1:
            self._set(job, *self.one(job, self.config, self.cache, self.project))
            return
        if self.pool is None:
            self.waiting.append(job)
            if len(self.waiting) < POOL_THRESHOLD:
                return
            self.pool = make_pool(self.jobs)
            held, self.waiting = self.waiting, []
            for waiting in held:
                self._queue(waiting)
            return
        self._queue(job)

    def _queue(self, job: Job) -> None:
        self.pending.append(job)
        self.pending_bytes += len(job.source)
        if len(self.pending) >= CHUNK_FILES or self.pending_bytes >= CHUNK_BYTES:
            self._submit()

    def _submit(self) -> None:
        if self.pending:
            chunk, self.pending, self.pending_bytes = self.pending, [], 0
            self.futures.append((self._submit_chunk(self.pool, chunk), chunk))
        # at most a few chunks per worker in flight: the sources waiting in the queue stay few
        while len(self.futures) > IN_FLIGHT_PER_WORKER * self.jobs:
            self._collect(*self.futures.popleft())

    def _submit_chunk(self, pool: Any, chunk: List[Job]) -> Any:
        return pool.submit(run_chunk, chunk, self.config, self.cache, self.project, self.one)

    def _collect(self, future: Any, chunk: List[Job]) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            by_index = {job.index: job for job in chunk}
            for index, result, passed in future.result():
                self._set(by_index[index], result, passed)
        except BrokenProcessPool:
            self.lost.extend(chunk)

    def finish(self) -> None:
        for job in self.waiting:  # too few to be worth a pool
            self._set(job, *self.one(job, self.config, self.cache, self.project))
        if self.pool is None:
            return
        try:
            self._submit()
            while self.futures:
                self._collect(*self.futures.popleft())
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.lost:
            self._isolate(self.lost)

    def abort(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _isolate(self, jobs: List[Job]) -> None:
        """A worker died (a crash in native code, the OOM killer): retry file by file, each in a
        fresh one-worker pool, so only the file that kills its worker is reported."""
        from concurrent.futures.process import BrokenProcessPool

        pool = None
        try:
            for job in jobs:
                if pool is None:
                    pool = make_pool(1)
                try:
                    ((_, result, passed),) = self._submit_chunk(pool, [job]).result()
                    self._set(job, result, passed)
                except BrokenProcessPool:
                    pool.shutdown(wait=True)
                    pool = None
                    self.results[job.index] = self.died(job)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)


def make_pool(workers: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers inherit what is already imported (and any test's stand-in engine); the
    # calling process starts no threads. Elsewhere, the platform's default method.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if sys.platform == "linux" and "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


class Results(list):
    """The per-file results of a run, reporting each one as it is set (for a progress display);
    `findings` counts a result's findings (a `FileResult`'s by default)."""

    def __init__(self, size: int, progress: Optional[Progress],
                 findings: Callable[[Any], int] = lambda result: len(result.findings)) -> None:
        super().__init__([None] * size)
        self.progress = progress
        self.findings = findings

    def __setitem__(self, index: Any, result: Any) -> None:
        super().__setitem__(index, result)
        if self.progress is not None and result is not None:
            self.progress(len(self), result.parsed, self.findings(result))


# This process reads every file of a run and frees it at once, which leaves glibc's heap in
# holes it does not give back (measured: 62 MiB resident of which 33 MiB free, on 4,549 files).
TRIM_EVERY_FILES = 512
_TRIM: List[Any] = []  # [glibc's malloc_trim, or None where there is none]


def release_memory() -> None:
    """Hand freed heap memory back to the system (glibc only; elsewhere nothing happens)."""
    if not _TRIM:
        trim = None
        if sys.platform == "linux":
            try:
                import ctypes

                trim = ctypes.CDLL("libc.so.6").malloc_trim
                trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
            except (OSError, AttributeError):
                trim = None  # musl and other libcs
        _TRIM.append(trim)
    if _TRIM[0] is not None:
        _TRIM[0](0)
