"""Download and unpack the pinned sdists of the real-world corpus.

    python tests/realworld/fetch.py [--libraries] [--package NAME ...] [--list]

The pins live in `packages.toml` beside this file (name, version, sdist file name, sha256); the client
libraries scanned for the confidence triage (not labelled) are pinned in `libraries.toml` and fetched
with `--libraries`. Each sdist
is downloaded with pip (`pip download --no-deps --no-binary NAME`), checked against its sha256 and
unpacked into `<cache>/<name>-<version>/` with the archive's top-level directory stripped, so label
paths are relative to that directory. The cache is `~/.cache/idemlint-realworld`, or the directory
named by `IDEMLINT_REALWORLD_CACHE`. Running it again skips what is already there.

Nothing here imports or runs the downloaded code: pip only prepares the sdist's metadata in its own
isolated build environment, and the archive is unpacked as data.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - older Pythons
    import tomli as tomllib  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
PACKAGES_FILE = HERE / "packages.toml"
LIBRARIES_FILE = HERE / "libraries.toml"
LABELS_FILE = HERE / "labels.toml"
CACHE_ENV = "IDEMLINT_REALWORLD_CACHE"
DONE_MARKER = ".idemlint-realworld-unpacked"


def load_packages(path: Path = PACKAGES_FILE) -> List[Dict[str, str]]:
    """The pinned packages, in file order."""
    with open(path, "rb") as fh:
        return list(tomllib.load(fh)["package"])


def cache_dir() -> Path:
    """Where sdists and unpacked trees live (`IDEMLINT_REALWORLD_CACHE` or ~/.cache/idemlint-realworld)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "idemlint-realworld"


def package_root(pkg: Dict[str, str], cache: Optional[Path] = None) -> Path:
    """The unpacked tree of one package: `<cache>/<name>-<version>`."""
    return (cache or cache_dir()) / f"{pkg['name']}-{pkg['version']}"


def is_unpacked(pkg: Dict[str, str], cache: Optional[Path] = None) -> bool:
    return (package_root(pkg, cache) / DONE_MARKER).is_file()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(pkg: Dict[str, str], sdists: Path) -> Path:
    """Fetch the pinned sdist into `sdists/` (pip, no dependencies, source only) and return its path."""
    target = sdists / pkg["sdist"]
    if target.is_file() and sha256_of(target) == pkg["sha256"]:
        return target
    with tempfile.TemporaryDirectory(prefix="idemlint-rw-") as tmp:
        # source for the package itself only: `:all:` would also build its build backend from source
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", pkg["name"],
               "--ignore-requires-python", f"{pkg['name']}=={pkg['version']}", "-d", tmp]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        got = Path(tmp) / pkg["sdist"]
        # pip saves the archive before it prepares the metadata, and some sdists' metadata (old-style
        # `Requires-Dist: x (>=1.0)`) makes an older pip exit with 2 afterwards: the pinned sha256,
        # not pip's exit code, is what says the file is the right one. When pip stops before saving
        # it (a build dependency it cannot resolve), the file is taken from the index's own listing.
        if not got.is_file():
            _from_index(pkg, got)
        if not got.is_file():
            tail = "\n".join(proc.stdout.strip().splitlines()[-5:])
            raise RuntimeError(f"{pkg['name']}=={pkg['version']}: pip download failed ({proc.returncode}):\n{tail}")
        digest = sha256_of(got)
        if digest != pkg["sha256"]:
            raise RuntimeError(f"{pkg['sdist']}: sha256 {digest} does not match the pin {pkg['sha256']}")
        sdists.mkdir(parents=True, exist_ok=True)
        shutil.move(str(got), str(target))
    return target


def _from_index(pkg: Dict[str, str], target: Path) -> None:
    """Download the pinned sdist from the URL PyPI's simple index lists for it (PEP 691 JSON; nothing
    on failure)."""
    import json
    import urllib.request

    try:
        request = urllib.request.Request(f"https://pypi.org/simple/{pkg['name']}/",
                                         headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            files = json.load(r).get("files", [])
        url = next((f["url"] for f in files if f.get("filename") == pkg["sdist"]), None)
        if url is None:
            return
        with urllib.request.urlopen(url, timeout=300) as r, open(target, "wb") as out:
            shutil.copyfileobj(r, out)
    except (OSError, ValueError):
        return


def _safe_members(names: List[str]) -> bool:
    for name in names:
        p = Path(name)
        if p.is_absolute() or ".." in p.parts:
            return False
    return True


def _unpack(archive: Path, dest: Path) -> None:
    """Unpack `archive` into `dest`, stripping its single top-level directory."""
    parent = dest.parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="idemlint-rw-", dir=parent) as tmp:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                if not _safe_members(zf.namelist()):
                    raise RuntimeError(f"{archive.name}: unsafe member path")
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                members = [m for m in tf.getmembers() if m.isfile() or m.isdir()]
                if not _safe_members([m.name for m in members]):
                    raise RuntimeError(f"{archive.name}: unsafe member path")
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, members=members, filter="data")
                else:  # pragma: no cover - Pythons without extraction filters
                    tf.extractall(tmp, members=members)
        tops = [p for p in Path(tmp).iterdir()]
        src = tops[0] if len(tops) == 1 and tops[0].is_dir() else Path(tmp)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(src), str(dest))
    (dest / DONE_MARKER).write_text(f"{archive.name}\n", encoding="utf-8")


def fetch(packages: List[Dict[str, str]], cache: Optional[Path] = None, log=print) -> Dict[str, Path]:
    """Make sure every package in `packages` is unpacked; return name -> root."""
    cache = cache or cache_dir()
    roots: Dict[str, Path] = {}
    for pkg in packages:
        root = package_root(pkg, cache)
        if is_unpacked(pkg, cache):
            log(f"ok       {pkg['name']}=={pkg['version']} ({root})")
        else:
            archive = _download(pkg, cache / "sdists")
            _unpack(archive, root)
            log(f"unpacked {pkg['name']}=={pkg['version']} ({root})")
        roots[pkg["name"]] = root
    return roots


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", action="append", default=[], help="fetch only this package (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the pins and whether they are unpacked")
    parser.add_argument("--libraries", action="store_true",
                        help="the client libraries of libraries.toml instead of the labelled packages")
    args = parser.parse_args(argv)
    packages = load_packages(LIBRARIES_FILE if args.libraries else PACKAGES_FILE)
    if args.package:
        unknown = set(args.package) - {p["name"] for p in packages}
        if unknown:
            parser.error(f"unknown package(s): {', '.join(sorted(unknown))}")
        packages = [p for p in packages if p["name"] in args.package]
    if args.list:
        for pkg in packages:
            state = "unpacked" if is_unpacked(pkg) else "missing"
            print(f"{pkg['name']}=={pkg['version']:<10} {state:<9} {pkg['why']}")
        return 0
    try:
        fetch(packages)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
