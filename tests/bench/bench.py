"""Benchmark idemlint against the floor (read + prefilter + libcst parse) on a real corpus.

Not a timed test: run it by hand (see tests/bench/README.md) and read the numbers.

    python tests/bench/bench.py [--jobs N] [--repeat R] [--skip-fixit]

Every timed run is a fresh subprocess, so interpreter start-up and imports are counted, as a
user would see them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

PY = sys.executable
MiB = 1024 * 1024


# --- running and measuring a subprocess ------------------------------------------------------------


def _tree_rss(root_pid: int) -> int:
    """Resident memory of `root_pid` and all its descendants, in bytes (Linux /proc)."""
    children: Dict[int, List[int]] = {}
    rss: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


class Run:
    def __init__(self, seconds: float, max_rss: int, tree_rss: int, returncode: int, stdout: bytes, stderr: bytes):
        self.seconds, self.max_rss, self.tree_rss = seconds, max_rss, tree_rss
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run(cmd: Sequence[str], cwd: Optional[str] = None, env: Optional[dict] = None, sample: bool = True) -> Run:
    """Run `cmd`; wall time, the largest single-process RSS (wait4) and the peak RSS of the tree."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err)
    peak = [0]
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    thread = threading.Thread(target=sampler, daemon=True) if sample and os.path.isdir("/proc") else None
    if thread:
        thread.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    if thread:
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    # ru_maxrss (KiB on Linux) covers the child and the descendants it waited for (the workers).
    return Run(seconds, usage.ru_maxrss * 1024, peak[0], proc.returncode, out.read(), err.read())


def interleaved(cmds: Sequence[Sequence[str]], repeat: int, **kw) -> List[float]:
    """The median wall time of each command over `repeat` rounds, each round running every command
    once in turn: a burst of load elsewhere slows the commands it is compared with as well."""
    times: List[List[float]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            times[i].append(run(cmd, sample=False, **kw).seconds)
    return [statistics.median(t) for t in times]


# --- the floor -------------------------------------------------------------------------------------


def _floor_chunk(paths: List[str]) -> Tuple[int, int]:
    import libcst

    from idemlint.detect import passes_prefilter

    passed = parsed = 0
    for path in paths:
        with open(path, "rb") as fh:
            source = fh.read()
        if not passes_prefilter(source):
            continue
        passed += 1
        try:
            libcst.parse_module(source)
            parsed += 1
        except Exception:  # noqa: BLE001 - syntax errors cost what they cost
            pass
    return passed, parsed


def floor_main(list_file: str, jobs: int) -> None:
    """`bench.py --floor LIST JOBS`: read + prefilter + parse every listed file on JOBS workers."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    paths = Path(list_file).read_text().splitlines()
    chunks = [paths[i:i + 16] for i in range(0, len(paths), 16)]
    if jobs <= 1:
        totals = [_floor_chunk(c) for c in chunks]
    else:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            totals = list(pool.map(_floor_chunk, chunks))
    print(sum(t[0] for t in totals), sum(t[1] for t in totals))


# --- fixit -----------------------------------------------------------------------------------------


def fixit_command(cache: Path) -> Optional[List[str]]:
    """`fixit` from a private venv under the cache folder (created once); None if not installable."""
    venv = cache / "fixit-venv"
    exe = venv / "bin" / "fixit"
    if exe.exists():
        return [str(exe)]
    print("bench: installing fixit into a private venv ...", file=sys.stderr)
    try:
        subprocess.run([PY, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "fixit"], check=True,
                       capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        detail = getattr(e, "stderr", b"") or b""
        print(f"bench: fixit not installable, skipped: {e} {detail.decode(errors='replace')[-300:]}", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        return None
    return [str(exe)] if exe.exists() else None


# --- the report ------------------------------------------------------------------------------------


def pick_single_files(files: List[str]) -> Tuple[str, str, str]:
    """Three mid-sized files: a broker module (it passes the prefilter and the engine's first
    pass, so libcst parses it), one that passes the prefilter only (broker words in comments,
    docstrings or unrelated names) and a plain one."""
    from idemlint.detect import passes_prefilter
    from idemlint.gate import may_hold_units

    broker = words = plain = None
    for path in files:
        data = Path(path).read_bytes()
        if not 3000 < len(data) < 20000:
            continue
        if not passes_prefilter(data):
            plain = plain or path
        elif not may_hold_units(data):
            words = words or path
        elif broker is None and b"def " in data and b"ack" in data:
            broker = path
        if broker and words and plain:
            break
    assert broker and words and plain, "corpus too small"
    return broker, words, plain


def _compile_idemlint() -> None:
    """Write idemlint's bytecode, as `pip install` does: an editable checkout under
    PYTHONDONTWRITEBYTECODE would otherwise recompile ~50 modules in every timed run (0.13 s)."""
    import compileall

    import idemlint

    compileall.compile_dir(os.path.dirname(idemlint.__file__), quiet=1)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each single-file measurement (median)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="interleaved rounds of floor/cold/warm; the fastest of each is reported (for busy machines)")
    parser.add_argument("--cache", type=Path, default=corpus.DEFAULT_CACHE, help="where the corpus is kept")
    parser.add_argument("--skip-fixit", action="store_true", help="do not install or run fixit")
    parser.add_argument("--skip-serial", action="store_true", help="do not compare with a --jobs 1 run")
    args = parser.parse_args(argv)

    from idemlint.config import Config
    from idemlint.discover import discover

    root = corpus.build(args.cache)
    _compile_idemlint()
    files = [f.path for f in discover([str(root)], Config(root=str(root)))]
    lines = sum(Path(p).read_bytes().count(b"\n") for p in files)
    work = Path(tempfile.mkdtemp(prefix="idemlint-bench-"))
    try:
        return _report(args, root, files, lines, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(args: argparse.Namespace, root: Path, files: List[str], lines: int, work: Path) -> int:
    jobs = str(args.jobs)
    # Every file of the corpus, tests and docs examples included: the numbers stay comparable with
    # those recorded before code roles (a default run skips test and example code).
    idemlint = [PY, "-m", "idemlint", "check", "--format", "json", "--exit-zero", "--include-tests", "--include-examples"]
    listing = work / "files.txt"
    listing.write_text("\n".join(files))
    rows: List[Tuple[str, str]] = []

    def row(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"  {name:<44} {value}", flush=True)

    print(f"idemlint benchmark: {len(corpus.PACKAGES)} packages under {root}, {args.jobs} worker(s)")
    row("files", f"{len(files)}")
    row("lines", f"{lines}")
    rounds: Dict[str, List[Run]] = {"floor": [], "nocache": [], "cold": [], "warm": []}
    for i in range(max(1, args.rounds)):
        # Interleaved, so a burst of load elsewhere on the machine hits every kind alike.
        rounds["floor"].append(run([PY, str(HERE / "bench.py"), "--floor", str(listing), jobs]))
        rounds["nocache"].append(run(idemlint + ["--no-cache", "--jobs", jobs, str(root)], cwd=str(work)))
        cache_dir = work / f"cache{i}"
        rounds["cold"].append(run(idemlint + ["--cache-dir", str(cache_dir), "--jobs", jobs, str(root)], cwd=str(work)))
        rounds["warm"].append(run(idemlint + ["--cache-dir", str(cache_dir), "--jobs", jobs, str(root)], cwd=str(work)))
        if args.rounds > 1:
            print("  round", i + 1, " ".join(f"{k} {v[-1].seconds:.2f}" for k, v in rounds.items()), flush=True)
    floor, nocache, cold, warm = (min(rounds[k], key=lambda r: r.seconds) for k in ("floor", "nocache", "cold", "warm"))
    passed, parsed = (int(x) for x in floor.stdout.split())
    row("pass the prefilter", f"{passed} files ({parsed} parse)")
    row("floor: read + prefilter + parse", f"{floor.seconds:.2f} s")
    row("idemlint cold, --no-cache", f"{nocache.seconds:.2f} s  ({nocache.seconds / floor.seconds:.2f} x floor)")
    row("idemlint cold, empty cache", f"{cold.seconds:.2f} s  ({cold.seconds / floor.seconds:.2f} x floor)")
    row("idemlint warm, full cache", f"{warm.seconds:.2f} s  ({warm.seconds / cold.seconds:.3f} x cold)")
    if len(rounds["floor"]) > 1:  # within a round the runs follow each other: a steadier ratio when load comes and goes
        paired = [n.seconds / f.seconds for f, n in zip(rounds["floor"], rounds["nocache"])]
        row("--no-cache / floor, per round", " ".join(f"{r:.2f}" for r in paired)
            + f"  (median {statistics.median(paired):.2f})")
    differ = [f"{k} round {i + 1}" for k in ("nocache", "cold", "warm") for i, r in enumerate(rounds[k])
              if r.stdout != nocache.stdout]
    row("cold/warm/--no-cache output identical", "yes" if not differ else "NO: " + ", ".join(differ))
    for k in ("nocache", "cold", "warm"):
        for i, r in enumerate(rounds[k]):
            if r.stdout != nocache.stdout:  # kept for a look: the bench's work folder is removed
                kept = args.cache / f"differs-{k}-{i + 1}.json"
                kept.write_bytes(r.stdout + b"\n--- stderr ---\n" + r.stderr)
                print(f"  (kept {kept}; exit {r.returncode})")
    findings = cold.stdout.count(b'"rule":')
    row("findings reported", str(findings))
    idem = rounds["nocache"] + rounds["cold"]
    row("peak RSS, all processes together", f"{max(r.tree_rss for r in idem) / MiB:.0f} MiB")
    row("peak RSS, largest single process", f"{max(r.max_rss for r in idem) / MiB:.0f} MiB")
    row("peak RSS, floor: together / largest", f"{max(r.tree_rss for r in rounds['floor']) / MiB:.0f} MiB / "
        f"{max(r.max_rss for r in rounds['floor']) / MiB:.0f} MiB")

    if not args.skip_serial:
        serial = run(idemlint + ["--no-cache", "--jobs", "1", str(root)], cwd=str(work))
        row("idemlint --jobs 1 (serial)", f"{serial.seconds:.2f} s")
        row("serial and parallel output identical", "yes" if serial.stdout == nocache.stdout else "NO")

    broker, words, plain = pick_single_files(files)
    text = [PY, "-m", "idemlint", "check", "--exit-zero"]
    single_cache = work / "single-cache"
    run(text + ["--cache-dir", str(single_cache), broker], cwd=str(work), sample=False)  # fills the cache
    t_pass, t_libcst, t_plain, t_words, t_broker_cold, t_broker_warm = interleaved(
        [[PY, "-c", "pass"], [PY, "-c", "import libcst"], text + ["--no-cache", plain], text + ["--no-cache", words],
         text + ["--no-cache", broker], text + ["--cache-dir", str(single_cache), broker]], args.repeat, cwd=str(work))
    row("python -c pass", f"{t_pass:.3f} s")
    row("python -c 'import libcst'", f"{t_libcst:.3f} s")
    for label, seconds in (("check 1 file without broker words, --no-cache", t_plain),
                           ("check 1 file with broker words only, --no-cache", t_words),
                           ("check 1 broker file, --no-cache", t_broker_cold),
                           ("check 1 broker file, cached", t_broker_warm)):
        row(label, f"{seconds:.3f} s  ({seconds / t_libcst:.2f} x import libcst)")
    print("  (single files: " + ", ".join(os.path.relpath(p, root) for p in (plain, words, broker)) + ")")

    if args.skip_fixit:
        row("fixit lint", "skipped (--skip-fixit)")
    else:
        fixit = fixit_command(args.cache)
        if fixit is None:
            row("fixit lint", "skipped: not installable")
        else:
            fx = run(fixit + ["lint", str(root)], cwd=str(work))
            row("fixit lint (default rules)", f"{fx.seconds:.2f} s  ({fx.seconds / nocache.seconds:.1f} x idemlint --no-cache)")
            row("fixit peak RSS, all processes", f"{fx.tree_rss / MiB:.0f} MiB")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--floor":
        floor_main(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
