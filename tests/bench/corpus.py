"""Build the benchmark corpus: pinned sdists from PyPI, unpacked once into a cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import List, Sequence, Tuple

# Pinned: the corpus must be the same on every run and every machine.
PACKAGES: Tuple[str, ...] = (
    "celery==5.7.0",
    "kombu==5.7.0",
    "dramatiq==2.2.1",
    "kafka-python==3.0.12",
    "pika==1.4.4",
    "sqlalchemy==2.0.58",
    "django==5.2.19",
)

# The broker libraries alone (issue 16's corpus: 1,196 files, 288k lines).
BROKER_PACKAGES: Tuple[str, ...] = tuple(p for p in PACKAGES if not p.startswith(("sqlalchemy", "django")))

DEFAULT_CACHE = Path(os.environ.get("IDEMLINT_BENCH_CACHE", Path.home() / ".cache" / "idemlint-bench"))


def _download(spec: str, dest: Path) -> Path:
    """Download one pinned sdist (falling back to the wheel) into `dest`; return the archive."""
    dest.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(dest)]
    name = spec.split("==")[0]
    # `--no-binary NAME`, not `:all:`: pip prepares an sdist's metadata, and `:all:` would make it
    # compile the build dependencies (Cython, ...) from source too.
    for extra in (["--no-binary", name], ["--only-binary", ":all:"]):
        before = set(dest.iterdir())
        proc = subprocess.run(pip + extra + [spec], capture_output=True, text=True)
        new = [p for p in set(dest.iterdir()) - before if p.suffix in (".gz", ".zip", ".whl")]
        if proc.returncode == 0 and new:
            return new[0]
        print(f"bench: pip download {' '.join(extra)} {spec} failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
    raise SystemExit(f"bench: cannot download {spec}")


def _unpack(archive: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".partial")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    if archive.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(archive) as tf:
            if sys.version_info >= (3, 12):
                tf.extractall(tmp, filter="data")
            else:  # the sdists are pinned; members are still checked for escaping paths
                for member in tf.getmembers():
                    name = os.path.normpath(member.name)
                    if name.startswith(("..", "/")) or not (member.isfile() or member.isdir()):
                        continue
                    tf.extract(member, tmp)
    else:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
    tmp.rename(target)


def build(cache: Path = DEFAULT_CACHE) -> Path:
    """Return the corpus root, downloading and unpacking whatever is missing."""
    root = cache / "corpus"
    root.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        target = root / spec.replace("==", "-")
        if target.is_dir():
            continue
        print(f"bench: fetching {spec}", file=sys.stderr)
        existing = [p for p in (cache / "archives").glob("*") if _matches(p.name, spec)] if (cache / "archives").is_dir() else []
        archive = existing[0] if existing else _download(spec, cache / "archives")
        _unpack(archive, target)
    return root


def package_dirs(root: Path, specs: Sequence[str]) -> List[Path]:
    """The unpacked folders of `specs` under the corpus `root`."""
    return [root / spec.replace("==", "-") for spec in specs]


def _matches(filename: str, spec: str) -> bool:
    name, version = spec.split("==")
    norm = filename.lower().replace("-", "_")
    return norm.startswith(f"{name.lower().replace('-', '_')}_{version}") and filename.endswith((".tar.gz", ".zip", ".whl"))


def python_files(root: Path) -> List[Path]:
    """Every `.py` file of the corpus, sorted."""
    return sorted(p for p in root.rglob("*.py") if p.is_file())


if __name__ == "__main__":
    print(build())
