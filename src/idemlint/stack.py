"""The analysis thread: parsing, walking and compiling deeply nested code need a deep stack."""

from __future__ import annotations

import os
import queue
import sys
import threading

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
