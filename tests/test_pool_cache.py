"""Worker pool and result cache: parallel output is the serial output; the cache is invisible."""

from __future__ import annotations

import json
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from click.testing import CliRunner

import idemlint.api as api
import idemlint.cache as cache_module
import idemlint.runner as runner
from idemlint.api import lint_paths
from idemlint.cache import Analysis, Cache
from idemlint.cli import main
from idemlint.config import Config
from idemlint.findings import Confidence, FileError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
BAD = FIXTURES / "pika" / "bad_email_then_ack.py"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def lint(paths: List[str], **fields) -> Tuple[object, Dict[str, int]]:
    stats: Dict[str, int] = {}
    result = lint_paths(paths, Config(**fields), stats)
    return result, stats


def summary(result) -> list:
    return [f.to_dict() for f in result.findings] + [e.to_dict() for e in result.errors]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """Ten broker modules (enough to start the pool) and two plain ones, cwd = the tree."""
    monkeypatch.chdir(tmp_path)
    source = BAD.read_text()
    for i in range(10):
        (tmp_path / f"consumer_{i}.py").write_text(source.replace("def ", f"def v{i}_", 1))
    (tmp_path / "plain.py").write_text("x = 1\n")
    (tmp_path / "util.py").write_text("def add(a, b):\n    return a + b\n")
    return tmp_path


def test_bad_fixture_still_reports():
    result, _ = lint([str(BAD)], jobs=1)
    assert result.findings, "the cache tests need a fixture with findings"


# --- the pool ----------------------------------------------------------------------------------


def test_parallel_json_output_is_byte_identical_to_serial(monkeypatch):
    monkeypatch.chdir(ROOT)
    serial = run("check", "--format", "json", "--no-cache", "--jobs", "1", "fixtures")
    parallel = run("check", "--format", "json", "--no-cache", "--jobs", "2", "fixtures")
    assert serial.exit_code == parallel.exit_code == 1
    assert json.loads(serial.output)["findings"], "fixtures should report findings"
    assert parallel.output == serial.output


def test_fixtures_run_really_uses_the_pool():
    _, stats = lint([str(FIXTURES)], jobs=2)
    assert stats["workers"] == 2 and stats["analysed"] > runner.POOL_THRESHOLD


def test_pool_merges_in_discovery_order(tree, monkeypatch):
    # Small chunks and a reversed finishing order must not change the result.
    monkeypatch.setattr(runner, "CHUNK_FILES", 1)
    serial, _ = lint(["."], jobs=1)
    parallel, stats = lint(["."], jobs=3)
    assert stats["workers"] == 3
    assert summary(parallel) == summary(serial) and parallel.checked == serial.checked
    assert len(serial.findings) >= 10


def test_small_runs_stay_in_process(tmp_path):
    for i in range(runner.POOL_THRESHOLD - 1):
        (tmp_path / f"c{i}.py").write_text(BAD.read_text())
    result, stats = lint([str(tmp_path)], jobs=4)
    assert stats["workers"] == 0 and stats["analysed"] == runner.POOL_THRESHOLD - 1
    assert result.findings


def test_default_jobs_is_the_number_of_cpus():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert runner.effective_jobs(Config()) == cpus
    assert runner.effective_jobs(Config(jobs=3)) == 3


def _die_on_v3(source, path, verbose=False, project=None, file_path=None, patterns=()):
    if "v3_" in source.decode():
        os._exit(13)  # a worker killed mid-file (a native crash, the OOM killer)
    return REAL_ANALYSE(source, path, verbose)


REAL_ANALYSE = api.analyse


def test_a_dying_worker_costs_only_its_file(tree, monkeypatch):
    monkeypatch.setattr(api, "analyse", _die_on_v3)  # fork: the workers inherit the patch
    result, stats = lint(["."], jobs=2)
    assert stats["workers"] == 2
    assert [(e.path, e.kind) for e in result.errors] == [("consumer_3.py", "internal")]
    assert "worker process died" in result.errors[0].message
    assert {f.path for f in result.findings} == {f"consumer_{i}.py" for i in range(10) if i != 3}


@pytest.mark.parametrize("value", ["0", "-1", "-4"])
def test_jobs_must_be_positive(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run("check", "--jobs", value, "a.py")
    assert result.exit_code == 2
    assert "--jobs: expected a positive integer" in result.output


@pytest.mark.parametrize("value", ["0", "-2", "true", '"2"', "1.5"])
def test_jobs_in_config_must_be_a_positive_integer(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f"[tool.idemlint]\njobs = {value}\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run("check", "a.py")
    assert result.exit_code == 2
    assert "jobs: expected a positive integer" in result.output


def test_jobs_from_config_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.idemlint]\njobs = 3\ncache-dir = 'c'\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run("check", "--verbose", "a.py")
    assert "jobs = 3" in result.output and "cache-dir = 'c'" in result.output
    assert (tmp_path / "c" / ".gitignore").is_file()


# --- the cache ---------------------------------------------------------------------------------


def cached(tree: Path, **fields) -> Tuple[object, Dict[str, int]]:
    return lint(["."], jobs=1, cache_dir=".idemlint_cache", **fields)


def entries(tree: Path) -> List[Path]:
    return sorted((tree / ".idemlint_cache").glob("*/*.json"))


def test_second_run_hits_and_gives_the_same_result(tree):
    cold, s1 = cached(tree)
    warm, s2 = cached(tree)
    assert (s1["cache_hits"], s1["analysed"]) == (0, 10)
    assert (s2["cache_hits"], s2["analysed"]) == (10, 0)
    assert summary(warm) == summary(cold) and warm.parsed == cold.parsed == 10
    assert summary(warm) == summary(lint(["."], jobs=1)[0])  # and the same as no cache at all
    assert len(entries(tree)) == 10


def test_content_change_misses_only_that_file(tree):
    cached(tree)
    path = tree / "consumer_4.py"
    path.write_text(path.read_text() + "\n# edited\n")
    _, stats = cached(tree)
    assert (stats["cache_hits"], stats["analysed"]) == (9, 1)


def test_renamed_file_is_analysed_again(tree):
    # Findings carry the path, so the same bytes under another name are not a hit.
    cached(tree)
    (tree / "consumer_4.py").rename(tree / "renamed.py")
    result, stats = cached(tree)
    assert stats["analysed"] == 1 and any(f.path == "renamed.py" for f in result.findings)


def test_version_change_invalidates_and_prunes(tree, monkeypatch):
    cached(tree)
    old = {p.parent.name for p in entries(tree)}
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    _, stats = cached(tree)
    assert (stats["cache_hits"], stats["analysed"]) == (0, 10)
    new = {p.parent.name for p in entries(tree)}
    assert len(new) == 1 and new != old  # the old engine's entries are gone


def test_engine_source_change_invalidates(tree, monkeypatch):
    before = cache_module.engine_key()
    real = cache_module._stat_signature
    monkeypatch.setattr(cache_module, "_stat_signature", lambda root, suffix=".py": real(root, suffix) + ["x.py:1:1"])
    assert cache_module.engine_key() != before


def test_config_change_reuses_entries_and_reapplies_filters(tree):
    full, _ = cached(tree)
    rule = full.findings[0].rule
    other = next(code for code in ("IDEM001", "IDEM002", "IDEM003") if code != rule)
    for fields in ({"ignore": (rule,)}, {"select": (other,)}, {"per_file_ignores": (("consumer_1.py", (rule,)),)},
                   {"min_confidence": Confidence.HIGH}, {"warn_unused_ignores": True}):
        filtered, stats = cached(tree, **fields)
        assert stats["cache_hits"] == 10, fields
        assert summary(filtered) == summary(lint(["."], jobs=1, **fields)[0]), fields
    assert not cached(tree, ignore=(rule,))[0].findings
    assert len(cached(tree, per_file_ignores=(("consumer_1.py", (rule,)),))[0].findings) < len(full.findings)


def test_inline_suppression_is_applied_to_cached_findings(tree):
    result, _ = cached(tree)
    finding = next(f for f in result.findings if f.path == "consumer_0.py")
    path = tree / "consumer_0.py"
    lines = path.read_text().splitlines()
    lines[finding.line - 1] += f"  # idemlint: ignore[{finding.rule}]"
    path.write_text("\n".join(lines) + "\n")
    again, stats = cached(tree)
    assert stats["analysed"] == 1
    assert again.suppressed == result.suppressed + 1


def test_corrupt_entries_are_ignored(tree):
    cold, _ = cached(tree)
    garbage = [b"", b"{", b"[]", b'{"key": 1}', b"\x00\xff" * 10, json.dumps({"findings": 3}).encode()]
    for i, entry in enumerate(entries(tree)):
        data = json.loads(entry.read_text())
        if i < len(garbage):
            entry.write_bytes(garbage[i])
        else:  # right key, wrong shape
            data["findings"] = [{"line": "x"}]
            entry.write_text(json.dumps(data))
    engine_dir = entries(tree)[0].parent
    (engine_dir / "clean").write_bytes(b"abc")  # not a multiple of the digest size
    (engine_dir / "prefilter").write_bytes(b"(unbalanced")
    warm, stats = cached(tree)
    assert stats["analysed"] == 10 and summary(warm) == summary(cold)
    again, stats = cached(tree)  # and the broken entries were rewritten
    assert stats["cache_hits"] == 10 and summary(again) == summary(cold)


def test_internal_errors_and_skips_are_never_cached(tree, monkeypatch):
    def broken(source, path, verbose=False, project=None, file_path=None, patterns=()):
        return Analysis(error=FileError(path, "internal error: boom (please report this)", kind="internal"))

    monkeypatch.setattr(api, "analyse", broken)
    result, _ = cached(tree)
    assert len(result.errors) == 10 and entries(tree) == []
    c = Cache(str(tree / "c2"))
    os.makedirs(c.entries)
    for kind in ("internal", "skipped"):
        c.store("a.py", "k", Analysis(error=FileError("a.py", "x", kind=kind)))
    c.store("b.py", "k", Analysis(error=FileError("b.py", "syntax error", kind="syntax", line=3)))
    assert c.load("a.py", "k") is None
    assert c.load("b.py", "k") == Analysis(error=FileError("b.py", "syntax error", kind="syntax", line=3))
    assert c.load("b.py", "other key") is None


def test_syntax_errors_are_cached(tree):
    (tree / "broken.py").write_text("import pika\ndef f(:\n")
    cold, _ = cached(tree)
    warm, stats = cached(tree)
    assert stats["cache_hits"] == 11 and warm.errors == cold.errors and cold.errors[0].kind == "syntax"


def test_cache_writes_leave_no_temporary_files(tree):
    cached(tree)
    leftovers = [p for p in (tree / ".idemlint_cache").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_cli_creates_a_git_ignored_cache_dir(tree):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    subprocess.run(["git", "init", "-q", "."], check=True)
    result = run("check", "--jobs", "1", ".")
    assert result.exit_code == 1
    cache_dir = tree / ".idemlint_cache"
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache_dir / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True)
    assert ".idemlint_cache" not in status.stdout and "plain.py" in status.stdout


def test_no_cache_writes_nothing(tree):
    result = run("check", "--no-cache", ".")
    assert result.exit_code == 1
    assert not (tree / ".idemlint_cache").exists()


def test_cache_dir_option_is_relative_to_the_cwd(tree):
    (tree / "sub").mkdir()
    (tree / "pyproject.toml").write_text("[tool.idemlint]\ncache-dir = 'from-config'\n")
    os.chdir(tree / "sub")
    run("check", "--cache-dir", "here", "..")
    assert (tree / "sub" / "here" / ".gitignore").is_file() and not (tree / "from-config").exists()
    run("check", "..")  # the config's cache-dir is relative to the config file
    assert (tree / "from-config" / ".gitignore").is_file()


def test_api_does_not_cache_by_default(tree):
    lint_paths(["."])
    assert not (tree / ".idemlint_cache").exists()


def test_unwritable_cache_dir_only_costs_speed(tree):
    (tree / "blocker").write_text("a file where the cache directory should be\n")
    result, stats = lint(["."], jobs=1, cache_dir="blocker")
    assert stats["analysed"] == 10 and len(result.findings) >= 10


def test_clean_files_are_remembered(tree):
    cached(tree)
    clean = next((tree / ".idemlint_cache").glob("*/clean"))
    assert len(clean.read_bytes()) == 2 * cache_module.DIGEST_SIZE  # plain.py and util.py


def test_cached_prefilter_agrees_with_the_engine(tmp_path):
    from idemlint import analysis

    c = Cache.open(str(tmp_path / "c"))
    api._prefilter(c)  # stores the engine's regex
    patterns = c.load_prefilter()
    from idemlint.detect import PREFILTER

    assert patterns is not None and len(patterns) == len(PREFILTER)
    sources = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.py"))] + [
        b"track = 1\n", b"x = 1\n", b"class Billing(BaseConsumer):\n    pass\n"]
    assert any(analysis.passes_prefilter(source) for source in sources)
    assert not all(analysis.passes_prefilter(source) for source in sources)
    for source in sources:
        assert any(p.search(source) is not None for p in patterns) == analysis.passes_prefilter(source)


# --- start-up ----------------------------------------------------------------------------------


def _modules_after_check(args: List[str], cwd: Path) -> List[str]:
    code = (
        "import sys\n"
        "from idemlint.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "from idemlint.lazyimport import loaded\n"  # libcst may sit in sys.modules unloaded
        "print('MODULES', sorted({m.split('.')[0] for m in sys.modules} & {'rich'} | ({'libcst'} if loaded() else set())))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("MODULES")][-1]
    return eval(line.split(" ", 1)[1])  # noqa: S307 - our own probe's output


def test_checking_a_plain_file_does_not_load_libcst(tmp_path):
    (tmp_path / "plain.py").write_text("def add(a, b):\n    return a + b\n")
    args = ["check", "--format", "json", "plain.py"]
    assert _modules_after_check(args, tmp_path) == []  # first run: derives the prefilter, without libcst
    assert _modules_after_check(args + ["--no-cache"], tmp_path) == []
    (tmp_path / "other.py").write_text("print('a new file, never seen')\n")
    assert _modules_after_check(["check", "--format", "json", "other.py"], tmp_path) == []


def test_a_file_the_first_pass_turns_away_does_not_load_libcst(tmp_path):
    # Trigger words in a docstring and a comment pass the text prefilter; the compiled names
    # give no adapter anything to look for.
    (tmp_path / "words.py").write_text(
        '"""Consumers ack and commit; producers publish."""\n\n\ndef total(items):\n'
        '    # publish later\n    return sum(items)\n')
    from idemlint.detect import passes_prefilter

    assert passes_prefilter((tmp_path / "words.py").read_bytes())
    for extra in ([], ["--no-cache"], ["--jobs", "1"]):
        assert _modules_after_check(["check", "--format", "json", *extra, "words.py"], tmp_path) == []


def test_checking_a_cached_broker_file_does_not_import_libcst(tmp_path):
    (tmp_path / "consumer.py").write_text("import pika\n\ndef on_message(ch, method, props, body):\n    ch.basic_ack(method.delivery_tag)\n")
    args = ["check", "--format", "json", "consumer.py"]
    assert _modules_after_check(args, tmp_path) == ["libcst"]
    assert _modules_after_check(args, tmp_path) == []


def test_a_clean_text_run_into_a_pipe_imports_no_rich_and_prints_what_rich_would(tmp_path):
    from idemlint import cli
    from idemlint.findings import RunResult
    from idemlint.report import text as text_report

    (tmp_path / "plain.py").write_text("def add(a, b):\n    return a + b\n")
    assert _modules_after_check(["check", "plain.py"], tmp_path) == []  # no libcst, no rich
    assert _modules_after_check(["check", "plain.py"], tmp_path) == []  # cached prefilter
    for result in (RunResult(files=3), RunResult(files=1, suppressed=2)):
        for quiet in (False, True):
            options = {"color": True, "quiet": quiet, "verbose": False, "statistics": False, "show_evidence": False}
            fast, slow = io.StringIO(), io.StringIO()
            cli._render("text", result, str(tmp_path), fast, options)
            text_report.render(result, text_report.TextOptions(**options), slow)
            assert fast.getvalue() == slow.getvalue()


def test_a_big_cold_run_leaves_the_prefilter_to_the_workers(tmp_path):
    """No cached regexes and enough files: this process never imports libcst, and the output and
    the counts are those of a serial run."""
    consumer = "import pika\n\ndef on_message(ch, method, props, body):\n    charge(body)\n    ch.basic_ack(method.delivery_tag)\n"
    for i in range(api.DEFER_PREFILTER_FILES):
        (tmp_path / f"plain_{i}.py").write_text(f"def add_{i}(a, b):\n    return a + b\n")
    for i in range(10):
        (tmp_path / f"consumer_{i}.py").write_text(consumer)
    (tmp_path / "pyproject.toml").write_text("[tool.idemlint]\nmax-file-size = 1000\n")
    (tmp_path / "too_big.py").write_text(consumer * 20)  # read by the worker, refused there
    args = ["check", "--format", "json", "--no-cache", "--jobs", "2", "."]
    assert _modules_after_check(args, tmp_path) == []
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    runs = [subprocess.run([sys.executable, "-m", "idemlint", "check", "--format", "json", "--no-cache", "--verbose",
                            "--jobs", jobs, "."], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
            for jobs in ("1", "2")]
    assert runs[0].stdout == runs[1].stdout and json.loads(runs[0].stdout)["summary"]["findings"] == 10
    assert [e["path"] for e in json.loads(runs[0].stdout)["errors"]] == ["too_big.py"]
    for run in runs:
        assert "let in by the prefilter or their imports = 10, cache hits = 0, analysed = 10" in run.stderr, run.stderr
    cached = [subprocess.run([sys.executable, "-m", "idemlint", "check", "--format", "json", "--verbose", "--jobs", "2",
                              "--cache-dir", str(tmp_path / "cache"), "."], capture_output=True, text=True, cwd=tmp_path,
                             env=env, timeout=120) for _ in range(2)]
    assert cached[0].stdout == cached[1].stdout == runs[0].stdout
    assert "let in by the prefilter or their imports = 10, cache hits = 0, analysed = 10" in cached[0].stderr, cached[0].stderr
    assert "let in by the prefilter or their imports = 10, cache hits = 10, analysed = 0" in cached[1].stderr, cached[1].stderr
    engine = [d for d in (tmp_path / "cache").iterdir() if d.is_dir()]
    assert len(engine) == 1 and (engine[0] / "prefilter").exists() and (engine[0] / "clean").exists()


# --- the garbage collector ---------------------------------------------------------------------


def _threshold_seen_by_the_engine(monkeypatch, tmp_path: Path, jobs: int) -> set:
    """The collector thresholds in force while the (stand-in) engine analysed each file."""
    import gc

    from idemlint import analysis

    seen = tmp_path / "seen"
    seen.mkdir()

    def analyze(source, path, project=None, file_path=None, patterns=()):
        (seen / os.path.basename(path)).write_text(repr(gc.get_threshold()))
        return []

    monkeypatch.setattr(analysis, "analyze", analyze)
    for n in range(runner.POOL_THRESHOLD + 2):
        (tmp_path / f"c{n}.py").write_bytes(BAD.read_bytes())
    before = gc.get_threshold()
    lint_paths([str(tmp_path)], Config(jobs=jobs, cache_dir=None))
    assert gc.get_threshold() == before  # the caller's thresholds are back
    return {p.read_text() for p in seen.iterdir()}


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_engine_runs_with_the_tuned_collector_in_process_and_in_workers(monkeypatch, tmp_path, jobs):
    from idemlint.stack import ENGINE_GC_THRESHOLD

    assert _threshold_seen_by_the_engine(monkeypatch, tmp_path, jobs) == {repr(ENGINE_GC_THRESHOLD)}


def test_a_run_without_a_cache_imports_neither_tempfile_nor_shutil(tmp_path):
    """`tempfile` (with `shutil`, which imports bz2 and lzma, and `random`) costs ~12 ms at start-up:
    the cache imports it only to write an entry or to prune old ones."""
    # a module of the project it follows (its digest comes from the cache module)
    (tmp_path / "billing.py").write_text("import requests\n\ndef charge(body):\n    requests.post('https://pay', data=body)\n")
    (tmp_path / "consumer.py").write_text("import pika\n\nfrom billing import charge\n\n"
                                          "def on_message(ch, method, props, body):\n    charge(body)\n"
                                          "    ch.basic_ack(method.delivery_tag)\n")
    code = (
        "import sys\n"
        "from idemlint.cli import main\n"
        "try:\n    main(['check', '--format', 'json', '--no-cache', 'consumer.py'])\nexcept SystemExit:\n    pass\n"
        "print('MODULES', sorted({'tempfile', 'shutil', 'bz2', 'idemlint.cache'} & set(sys.modules)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert [ln for ln in proc.stdout.splitlines() if ln.startswith("MODULES")] == ["MODULES ['idemlint.cache']"]
    assert "IDEM001" in proc.stdout  # the helper was followed
    # with the cache on, the entries are still written (atomically, through a temporary file) and read
    cached = [subprocess.run([sys.executable, "-m", "idemlint", "check", "--format", "json", "--cache-dir", "cache",
                              "consumer.py"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
              for _ in range(2)]
    assert cached[0].stdout == cached[1].stdout and '"IDEM001"' in cached[0].stdout
    written = [name for _, _, names in os.walk(tmp_path / "cache") for name in names]
    assert written and not any(name.startswith(".tmp-") for name in written)  # renamed into place, none left
