"""How the engine runs: on a thread with a deep stack, with the garbage collector tuned for it."""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import sys
import threading
from typing import Iterator

# libcst builds hundreds of thousands of node objects per file, and a worker keeps the parsed
# modules that handlers are followed into. With CPython's default thresholds (a collection every
# 700 new objects) the collector ran 4,300 times in a serial run of the benchmark corpus, and its
# 36 full collections, each scanning every kept tree again, cost 4.4 s: 17 % of the run. The trees
# hold no reference cycles (reference counting frees them) and the engine leaves little cyclic
# garbage (20,000 objects over that whole run), so the engine collects every 50,000 new objects:
# 0.7 s over 25 collections, with the same peak memory. mypy does the same (200,000).
ENGINE_GC_THRESHOLD = (50_000, 20, 20)


@contextlib.contextmanager
def engine_gc() -> Iterator[None]:
    """The collector's thresholds for a run of the engine; the caller's are restored after."""
    old = gc.get_threshold()
    gc.set_threshold(*ENGINE_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*old)

STACK_BYTES = 512 * 1024 * 1024  # reserved, not committed: pages are only touched as the stack grows
RECURSION_LIMIT = 20000


_STACK_THREAD: list = []  # [pid, thread, job queue]: one analysis thread per process, reused


def with_big_stack(fn, *args):
    """Run `fn` on a thread with a large stack and recursion limit.

    libcst parses and visits recursively: deeply nested code that is still valid Python would
    otherwise end in a RecursionError (a lost file) or a native stack overflow (a lost run).
    The thread is started once per process and reused: a fresh thread per file pays again for
    every stack page the parser touches (about a tenth of a serial run).
    """
    if _STACK_THREAD and _STACK_THREAD[1] is threading.current_thread():
        return fn(*args)  # already on the analysis thread
    if not _STACK_THREAD or _STACK_THREAD[0] != os.getpid() or not _STACK_THREAD[1].is_alive():
        jobs: "queue.Queue" = queue.Queue()
        old_size = threading.stack_size()
        threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=_serve, args=(jobs,), name="idemlint-analyze", daemon=True)
            thread.start()  # the stack size is taken when the thread starts, not when it is made
        finally:
            threading.stack_size(old_size)
        _STACK_THREAD[:] = [os.getpid(), thread, jobs]
    done = threading.Event()
    outcome: list = []
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        _STACK_THREAD[2].put((fn, args, outcome, done))
        done.wait()
    finally:
        sys.setrecursionlimit(old_limit)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _serve(jobs) -> None:
    while True:
        fn, args, outcome, done = jobs.get()
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome.append((False, exc))
        finally:
            done.set()
