"""Benchmark idemlint against the floors (libcst parsing every file; read + prefilter + parse) and
semgrep on a real corpus.

Not a timed test: run it by hand (see tests/bench/README.md) and read the numbers.

    python tests/bench/bench.py [--corpus brokers|all|apps] [--jobs N] [--rounds R] [--skip-fixit]

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
    def __init__(self, seconds: float, max_rss: int, tree_rss: int, returncode: int, stdout: bytes, stderr: bytes,
                 cpu: float = 0.0):
        self.seconds, self.max_rss, self.tree_rss = seconds, max_rss, tree_rss
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.cpu = cpu  # user + sys seconds of the process and the workers it waited for


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
    return Run(seconds, usage.ru_maxrss * 1024, peak[0], proc.returncode, out.read(), err.read(),
               usage.ru_utime + usage.ru_stime)


def interleaved(cmds: Sequence[Sequence[str]], repeat: int, **kw) -> List[float]:
    """The median wall time of each command over `repeat` rounds, each round running every command
    once in turn: a burst of load elsewhere slows the commands it is compared with as well."""
    times: List[List[float]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            times[i].append(run(cmd, sample=False, **kw).seconds)
    return [statistics.median(t) for t in times]


# --- the floor -------------------------------------------------------------------------------------


def _floor_chunk(paths: List[str], everything: bool = False) -> Tuple[int, int]:
    import libcst

    from idemlint.detect import passes_prefilter

    passed = parsed = 0
    for path in paths:
        with open(path, "rb") as fh:
            source = fh.read()
        if not everything and not passes_prefilter(source):
            continue
        passed += 1
        try:
            libcst.parse_module(source)
            parsed += 1
        except Exception:  # noqa: BLE001 - syntax errors cost what they cost
            pass
    return passed, parsed


def floor_main(list_file: str, jobs: int, everything: bool = False) -> None:
    """`bench.py --floor LIST JOBS`: read + prefilter + parse every listed file on JOBS workers;
    `--floor-all`: read + parse every listed file, no prefilter (what a linter that parses all pays)."""
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    paths = Path(list_file).read_text().splitlines()
    chunks = [paths[i:i + 16] for i in range(0, len(paths), 16)]
    work = functools.partial(_floor_chunk, everything=everything)
    if jobs <= 1:
        totals = [work(c) for c in chunks]
    else:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            totals = list(pool.map(work, chunks))
    print(sum(t[0] for t in totals), sum(t[1] for t in totals))


# --- fixit -----------------------------------------------------------------------------------------


def fixit_command(cache: Path) -> Optional[List[str]]:
    """`fixit` from a private venv under the cache folder (created once); None if not installable."""
    return _private_tool(cache, "fixit", "fixit")


# --- semgrep -------------------------------------------------------------------------------------

# One trivial rule of four patterns: the cheapest work a peer that parses every file does.
SEMGREP_RULE = """rules:
  - id: broker-calls
    languages: [python]
    severity: INFO
    message: broker call
    pattern-either:
      - pattern: $X.basic_ack(...)
      - pattern: $X.ack(...)
      - pattern: $X.commit(...)
      - pattern: $X.publish(...)
"""


def _private_tool(cache: Path, package: str, exe_name: str) -> Optional[List[str]]:
    """`exe_name` from `package` installed into a private venv under the cache folder (once); None if
    it cannot be installed."""
    venv = cache / f"{package}-venv"
    exe = venv / "bin" / exe_name
    if exe.exists():
        return [str(exe)]
    print(f"bench: installing {package} into a private venv ...", file=sys.stderr)
    try:
        subprocess.run([PY, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", package], check=True,
                       capture_output=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        detail = getattr(e, "stderr", b"") or b""
        print(f"bench: {package} not installable, skipped: {e} {detail.decode(errors='replace')[-300:]}",
              file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        return None
    return [str(exe)] if exe.exists() else None


def semgrep_command(cache: Path, work: Path, roots: Sequence[Path], jobs: int) -> Optional[List[str]]:
    """semgrep (PyPI) with the trivial rule over `roots`, made to read every file: an empty
    `.semgrepignore` in each root (semgrep's default ignores leave out tests), no metrics, no
    version check."""
    exe = _private_tool(cache, "semgrep", "semgrep")
    if exe is None:
        return None
    rule = work / "semgrep-rule.yaml"
    rule.write_text(SEMGREP_RULE)
    for root in roots:
        ignore = root / ".semgrepignore"
        if not ignore.exists():
            ignore.write_text("")
    return exe + ["scan", "--config", str(rule), "--metrics=off", "--disable-version-check", "--json", "--quiet",
                  "-j", str(jobs), *map(str, roots)]


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


def _roots(args: argparse.Namespace) -> List[Path]:
    """The folders the chosen corpus is made of."""
    if args.corpus == "apps":
        sys.path.insert(0, str(HERE.parent / "realworld"))
        import fetch  # tests/realworld/fetch.py: the pinned application sdists

        roots = [fetch.package_root(pkg) for pkg in fetch.load_packages() if fetch.is_unpacked(pkg)]
        if not roots:
            raise SystemExit("bench: the real-world corpus is not fetched (python tests/realworld/fetch.py)")
        return roots
    root = corpus.build(args.cache)
    return [root] if args.corpus == "all" else corpus.package_dirs(root, corpus.BROKER_PACKAGES)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("brokers", "all", "apps"), default="brokers",
                        help="brokers: celery, kombu, dramatiq, kafka-python, pika; all: those and SQLAlchemy, "
                             "Django; apps: the real-world application corpus (tests/realworld)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each single-file measurement (median)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of every tree-wide command (medians and spread are reported)")
    parser.add_argument("--cache", type=Path, default=corpus.DEFAULT_CACHE, help="where the corpus is kept")
    parser.add_argument("--base-src", type=Path, default=None,
                        help="the src/ folder of another idemlint checkout, run interleaved as a peer "
                             "(PYTHONPATH=...; e.g. the session's start, to measure a change)")
    parser.add_argument("--skip-semgrep", action="store_true", help="do not install or run semgrep")
    parser.add_argument("--skip-fixit", action="store_true", help="do not install or run fixit")
    parser.add_argument("--skip-serial", action="store_true", help="do not compare with a --jobs 1 run")
    parser.add_argument("--skip-single", action="store_true", help="do not time single files")
    args = parser.parse_args(argv)

    from idemlint.config import Config
    from idemlint.discover import discover

    roots = _roots(args)
    _compile_idemlint()
    files = [f.path for f in discover([str(r) for r in roots], Config(root=str(roots[0]), include_tests=True,
                                                                      include_examples=True))]
    lines = sum(Path(p).read_bytes().count(b"\n") for p in files)
    work = Path(tempfile.mkdtemp(prefix="idemlint-bench-"))
    try:
        return _report(args, roots, files, lines, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _spread(runs: List[Run], what: str = "seconds") -> str:
    values = [getattr(r, what) for r in runs]
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def _ratios(top: List[Run], bottom: List[Run], what: str = "seconds") -> str:
    """Per-round ratios of two commands run side by side, and their median."""
    paired = [getattr(a, what) / getattr(b, what) for a, b in zip(top, bottom)]
    return " ".join(f"{r:.2f}" for r in paired) + f"  (median {statistics.median(paired):.2f})"


def _report(args: argparse.Namespace, roots: List[Path], files: List[str], lines: int, work: Path) -> int:
    jobs = str(args.jobs)
    targets = [str(r) for r in roots]
    # Every file of the corpus, tests and docs examples included: the numbers stay comparable with
    # those recorded before code roles (a default run skips test and example code), and with the
    # floors and semgrep, which read every file.
    idemlint = [PY, "-m", "idemlint", "check", "--format", "json", "--exit-zero", "--include-tests", "--include-examples"]
    listing = work / "files.txt"
    listing.write_text("\n".join(files))
    rows: List[Tuple[str, str]] = []

    def row(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"  {name:<44} {value}", flush=True)

    print(f"idemlint benchmark: corpus {args.corpus} ({len(roots)} folder(s)), {args.jobs} worker(s), "
          f"{args.rounds} interleaved round(s); times are wall clock, 'cpu' is user+sys of all processes")
    row("files", f"{len(files)}")
    row("lines", f"{lines}")
    commands: Dict[str, Tuple[List[str], Optional[dict]]] = {
        "floor-all": ([PY, str(HERE / "bench.py"), "--floor-all", str(listing), jobs], None),
        "floor": ([PY, str(HERE / "bench.py"), "--floor", str(listing), jobs], None),
        "nocache": (idemlint + ["--no-cache", "--jobs", jobs, *targets], None),
    }
    semgrep = None if args.skip_semgrep else semgrep_command(args.cache, work, roots, args.jobs)
    if semgrep is not None:
        commands["semgrep"] = (semgrep, None)
    if args.base_src is not None:
        env = dict(os.environ, PYTHONPATH=str(args.base_src.resolve()))
        # the base may predate code roles (it then reads test and example files anyway)
        base_flags = ["--include-tests", "--include-examples"] if _knows_roles(args.base_src) else []
        commands["base"] = ([PY, "-m", "idemlint", "check", "--format", "json", "--exit-zero", *base_flags,
                             "--no-cache", "--jobs", jobs, *targets], env)
    rounds: Dict[str, List[Run]] = {k: [] for k in [*commands, "cold", "warm"]}
    for i in range(max(1, args.rounds)):
        # Interleaved, so a burst of load elsewhere on the machine hits every kind alike.
        for kind, (cmd, env) in commands.items():
            rounds[kind].append(run(cmd, cwd=str(work), env=env))
        cache_dir = work / f"cache{i}"
        rounds["cold"].append(run(idemlint + ["--cache-dir", str(cache_dir), "--jobs", jobs, *targets], cwd=str(work)))
        rounds["warm"].append(run(idemlint + ["--cache-dir", str(cache_dir), "--jobs", jobs, *targets], cwd=str(work)))
        print(f"  round {i + 1}: " + ", ".join(f"{k} {v[-1].seconds:.2f} s / cpu {v[-1].cpu:.2f} s"
                                               for k, v in rounds.items()), flush=True)
    nocache = rounds["nocache"][0]
    passed, parsed = (int(x) for x in rounds["floor"][0].stdout.split())
    row("pass the prefilter", f"{passed} files ({parsed} parse)")
    labels = {"floor-all": "floor: read + parse every file", "floor": "floor: read + prefilter + parse",
              "nocache": "idemlint cold, --no-cache", "cold": "idemlint cold, empty cache",
              "warm": "idemlint warm, full cache", "semgrep": "semgrep, trivial 4-pattern rule",
              "base": f"idemlint at {args.base_src}, --no-cache"}
    for kind, runs in rounds.items():
        row(labels[kind], f"{_spread(runs)}; cpu {_spread(runs, 'cpu')}")
    row("--no-cache / parse-everything floor", "wall " + _ratios(rounds["nocache"], rounds["floor-all"]))
    row("", "cpu  " + _ratios(rounds["nocache"], rounds["floor-all"], "cpu"))
    row("--no-cache / prefilter floor", "wall " + _ratios(rounds["nocache"], rounds["floor"]))
    if "semgrep" in rounds:
        row("--no-cache / semgrep", "wall " + _ratios(rounds["nocache"], rounds["semgrep"]))
        row("", "cpu  " + _ratios(rounds["nocache"], rounds["semgrep"], "cpu"))
        findings = rounds["semgrep"][0].stdout.count(b'"check_id"')
        row("semgrep matches", str(findings))
    else:
        row("semgrep", "skipped" + (" (--skip-semgrep)" if args.skip_semgrep else ": not installable"))
    if "base" in rounds:
        row("--no-cache / base", "wall " + _ratios(rounds["nocache"], rounds["base"]))
        row("", "cpu  " + _ratios(rounds["nocache"], rounds["base"], "cpu"))
    row("warm / cold", _ratios(rounds["warm"], rounds["cold"]))
    differ = [f"{k} round {i + 1}" for k in ("nocache", "cold", "warm") for i, r in enumerate(rounds[k])
              if r.stdout != nocache.stdout]
    row("cold/warm/--no-cache output identical", "yes" if not differ else "NO: " + ", ".join(differ))
    for k in ("nocache", "cold", "warm"):
        for i, r in enumerate(rounds[k]):
            if r.stdout != nocache.stdout:  # kept for a look: the bench's work folder is removed
                kept = args.cache / f"differs-{k}-{i + 1}.json"
                kept.write_bytes(r.stdout + b"\n--- stderr ---\n" + r.stderr)
                print(f"  (kept {kept}; exit {r.returncode})")
    row("findings reported", str(nocache.stdout.count(b'"rule":')))
    idem = rounds["nocache"] + rounds["cold"]
    row("peak RSS, all processes together", f"{max(r.tree_rss for r in idem) / MiB:.0f} MiB")
    row("peak RSS, largest single process", f"{max(r.max_rss for r in idem) / MiB:.0f} MiB")
    for kind in ("floor-all", "semgrep"):
        if kind in rounds:
            row(f"peak RSS, {kind}: together / largest", f"{max(r.tree_rss for r in rounds[kind]) / MiB:.0f} MiB / "
                f"{max(r.max_rss for r in rounds[kind]) / MiB:.0f} MiB")

    if not args.skip_serial:
        serial = run(idemlint + ["--no-cache", "--jobs", "1", *targets], cwd=str(work))
        row("idemlint --jobs 1 (serial)", f"{serial.seconds:.2f} s; cpu {serial.cpu:.2f} s")
        row("serial and parallel output identical", "yes" if serial.stdout == nocache.stdout else "NO")

    if not args.skip_single:
        _single_files(args, roots, files, work, row)

    if args.skip_fixit:
        row("fixit lint", "skipped (--skip-fixit)")
    else:
        fixit = fixit_command(args.cache)
        if fixit is None:
            row("fixit lint", "skipped: not installable")
        else:
            fx = run(fixit + ["lint", *targets], cwd=str(work))
            row("fixit lint (default rules)", f"{fx.seconds:.2f} s  ({fx.seconds / nocache.seconds:.1f} x idemlint --no-cache)")
            row("fixit peak RSS, all processes", f"{fx.tree_rss / MiB:.0f} MiB")
    return 0


def _knows_roles(src: Path) -> bool:
    """Whether the idemlint under `src` has the `--include-tests` option (code roles)."""
    try:
        return "include-tests" in (src / "idemlint" / "config.py").read_text()
    except OSError:
        return False


def _single_files(args: argparse.Namespace, roots: List[Path], files: List[str], work: Path, row) -> None:
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
    shown = [os.path.relpath(p, roots[0].parent) for p in (plain, words, broker)]
    print("  (single files: " + ", ".join(shown) + ")")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("--floor", "--floor-all"):
        floor_main(sys.argv[2], int(sys.argv[3]), everything=sys.argv[1] == "--floor-all")
    else:
        sys.exit(main())
