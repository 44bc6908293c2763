"""Real-code smoke: scan the unpacked sources of published packages; no internal error allowed.

    python tests/smoke_real_code.py                 # download the pinned packages (cached), scan them
    python tests/smoke_real_code.py --tree DIR      # scan an already unpacked tree instead
    python tests/smoke_real_code.py --json          # one JSON line with the numbers

The pinned packages are fetched with `pip download` into IDEMLINT_SMOKE_CACHE
(default ~/.cache/idemlint-smoke) once and unpacked there; later runs reuse them.
The scan runs `python -m idemlint check` in a child process so its peak memory can be
measured (the largest process's maximum resident set size, workers included).
Exit status: 0 when no file gave an internal error, 1 otherwise, 2 when the tree could not
be fetched. tests/test_smoke_real_code.py runs this in the default test run (marked slow).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

# name, version, kind: sdist, or wheel for packages whose sdist needs a compiler.
PINNED: Tuple[Tuple[str, str, str], ...] = (
    ("aio-pika", "10.2.1", "wheel"),
    ("aiokafka", "0.14.0", "wheel"),
    ("arq", "0.28.0", "sdist"),
    ("aws-lambda-powertools", "3.37.0", "sdist"),
    ("azure-servicebus", "7.15.0", "sdist"),
    ("celery", "5.7.0", "sdist"),
    ("django", "5.2.19", "sdist"),
    ("dramatiq", "2.2.1", "sdist"),
    ("faststream", "0.7.8", "wheel"),
    ("google-cloud-pubsub", "2.44.0", "sdist"),
    ("kafka-python", "3.0.12", "sdist"),
    ("kombu", "5.7.0", "sdist"),
    ("nats-py", "2.16.0", "wheel"),
    ("pika", "1.4.4", "sdist"),
    ("rq", "3.0.0", "sdist"),
    ("sqlalchemy", "2.1.9", "wheel"),
    ("taskiq", "0.13.0", "sdist"),
)
REPO = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    return Path(os.environ.get("IDEMLINT_SMOKE_CACHE") or Path.home() / ".cache" / "idemlint-smoke")


def _normal(name: str) -> str:
    return name.lower().replace("-", "_")


def _archive(downloads: Path, name: str, version: str) -> Optional[Path]:
    """The downloaded sdist or wheel of `name==version`, if any (names compared normalised)."""
    prefix = _normal(f"{name}-{version}")
    for path in sorted(downloads.iterdir()):
        normal = _normal(path.name)
        if normal.startswith(prefix) and normal[len(prefix):len(prefix) + 1] in ("_", "."):
            return path
    return None


def fetch(root: Path) -> Path:
    """Download (once) and unpack (once) the pinned packages under `root`; return the source tree."""
    downloads, tree = root / "downloads", root / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    tree.mkdir(parents=True, exist_ok=True)
    for name, version, kind in PINNED:
        archive = _archive(downloads, name, version)
        if archive is None:
            binary = ["--only-binary", ":all:"] if kind == "wheel" else ["--no-binary", name]
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(downloads),
                 *binary, f"{name}=={version}"],
                check=True, stdout=subprocess.DEVNULL,
            )
            archive = _archive(downloads, name, version)
            if archive is None:
                raise RuntimeError(f"pip downloaded nothing recognisable for {name}=={version}")
        target = tree / archive.name.split(".tar.gz")[0].rsplit(".whl", 1)[0]
        if target.is_dir():
            continue
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(partial)
        else:
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(partial, filter="data")
                else:  # pragma: no cover - Python < 3.12 without the backported filter
                    tf.extractall(partial)
        partial.rename(target)
    return tree


def tree_size(tree: Path) -> Dict[str, int]:
    files = lines = size = 0
    for path in tree.rglob("*.py"):
        if path.is_file():
            data = path.read_bytes()
            files += 1
            size += len(data)
            lines += data.count(b"\n")
    return {"py_files": files, "lines": lines, "bytes": size}


def scan(tree: Path, extra: List[str]) -> Dict[str, object]:
    """Run `idemlint check --format json` on `tree` in a child process; return the numbers."""
    help_text = subprocess.run([sys.executable, "-m", "idemlint", "check", "--help"],
                               capture_output=True, text=True).stdout
    args = ["--no-cache"] if "--no-cache" in help_text else []
    if "--include-tests" in help_text:  # every file: tests and docs examples are real code too
        args += ["--include-tests", "--include-examples"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "idemlint", "check", "--format", "json", "--exit-zero", *args, *extra, str(tree)],
        capture_output=True, text=True, cwd=str(tree),
    )
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(f"idemlint exited {proc.returncode}: {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    kinds: Dict[str, int] = {}
    for error in doc["errors"]:
        kinds[error["kind"]] = kinds.get(error["kind"], 0) + 1
    internal = [e for e in doc["errors"] if e["kind"] == "internal"]
    return {
        "files_checked": doc["summary"]["files"],
        "findings": len(doc["findings"]),
        "errors_by_kind": kinds,
        "internal_errors": len(internal),
        "internal_examples": internal[:10],
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(max(peak_kb, before) / 1024, 1),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="scan this directory instead of the pinned packages")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("idemlint_args", nargs="*", help="extra `idemlint check` options (after --)")
    ns = parser.parse_args(argv)
    if ns.tree is not None:
        tree = ns.tree
    else:
        try:
            tree = fetch(cache_dir())
        except (OSError, subprocess.CalledProcessError, RuntimeError, tarfile.TarError, zipfile.BadZipFile) as e:
            print(f"smoke: cannot fetch the pinned packages: {e}", file=sys.stderr)
            return 2
    numbers = {"tree": str(tree), **tree_size(tree), **scan(tree, ns.idemlint_args)}
    if ns.json:
        print(json.dumps(numbers, sort_keys=True))
    else:
        for key, value in numbers.items():
            print(f"{key}: {value}")
    return 1 if numbers["internal_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
