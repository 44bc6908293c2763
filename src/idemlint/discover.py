"""Turn command-line paths into an ordered, duplicate-free list of Python files to check."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Tuple

from .config import Config

if TYPE_CHECKING:
    import pathspec

# Directories never walked into: VCS data, caches, virtualenvs, build output.
SKIP_DIR_NAMES = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".tox", ".nox", ".mypy_cache",
        ".pytest_cache", ".ruff_cache", ".idemlint_cache", "build", "dist", "node_modules",
        "site-packages",
    }
)


class PathNotFound(Exception):
    """A path named on the command line does not exist (a usage error)."""


@dataclass(frozen=True)
class SourceFile:
    path: str  # what to open
    display_path: str  # what to show: as given or relative to the cwd, `/`-separated


def is_skipped_dir(path: str, name: str) -> bool:
    """Return True for directories idemlint never walks into, whatever the configuration."""
    if name in SKIP_DIR_NAMES or name.endswith(".egg-info"):
        return True
    # Any virtualenv, whatever its name (`env`, `.env311`, ...), has a pyvenv.cfg at its top.
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")


def _display(given: str, cwd: str) -> str:
    """Show a relative path as given (normalised) and an absolute one relative to the cwd if inside it."""
    norm = os.path.normpath(given)
    if os.path.isabs(norm):
        rel = os.path.relpath(norm, cwd)
        if not rel.startswith(os.pardir):
            norm = rel
    return _posix(norm)


class _Ignores:
    """Gitignore files (per directory, deepest last) plus the configured exclude globs."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = os.path.abspath(config.root)
        self._excludes: Optional["pathspec.GitIgnoreSpec"] = None  # built on first use
        # directory (absolute) -> its parsed .gitignore, or None when it has none
        self._gitignores: Dict[str, Optional[pathspec.GitIgnoreSpec]] = {}
        self._chains: Dict[Tuple[str, str], Tuple[str, ...]] = {}

    @property
    def excludes(self) -> "pathspec.GitIgnoreSpec":
        if self._excludes is None:
            import pathspec  # not imported for a run over named files only (the pre-commit case)

            self._excludes = pathspec.GitIgnoreSpec.from_lines(self.config.excludes())
        return self._excludes

    def _gitignore(self, directory: str) -> Optional["pathspec.GitIgnoreSpec"]:
        if directory not in self._gitignores:
            import pathspec

            spec = None
            try:
                with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                    spec = pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
            except OSError:
                pass
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def _gitignore_dirs(self, directory: str, base: str) -> Tuple[str, ...]:
        """Directories whose .gitignore applies inside `directory`, outermost first.

        Inside a repository: every directory up to the one holding `.git`. Outside one:
        only `base` (the directory being walked) and the directories below it.
        """
        key = (directory, base)
        if key not in self._chains:
            chain = []
            here = directory
            while True:
                chain.append(here)
                if os.path.exists(os.path.join(here, ".git")):
                    break
                parent = os.path.dirname(here)
                if parent == here:
                    chain = [d for d in chain if d == base or d.startswith(base.rstrip(os.sep) + os.sep)]
                    break
                here = parent
            self._chains[key] = tuple(reversed(chain))
        return self._chains[key]

    def gitignored(self, path: str, is_dir: bool, base: str) -> bool:
        if not self.config.respect_gitignore:
            return False
        ignored = False
        suffix = "/" if is_dir else ""
        for directory in self._gitignore_dirs(os.path.dirname(path), base):
            spec = self._gitignore(directory)
            if spec is None:
                continue
            rel = _posix(os.path.relpath(path, directory)) + suffix
            # Later patterns and deeper files win; `!pattern` re-includes.
            for pattern in spec.patterns:
                if pattern.include is not None and pattern.match_file(rel) is not None:
                    ignored = bool(pattern.include)
        return ignored

    def excluded(self, path: str, is_dir: bool, base: str) -> bool:
        """Return True if `path` matches the configured excludes (relative to the config root)."""
        if not self.config.excludes():
            return False
        rel = os.path.relpath(path, self.root)
        if rel.startswith(os.pardir):
            rel = os.path.relpath(path, base)
        rel = _posix(rel) + ("/" if is_dir else "")
        return self.excludes.match_file(rel)

    def skip(self, path: str, is_dir: bool, base: str) -> bool:
        if is_dir and is_skipped_dir(path, os.path.basename(path)):
            return True
        return self.excluded(path, is_dir, base) or self.gitignored(path, is_dir, base)

    def force_excluded(self, path: str) -> bool:
        """For `--force-exclude`: would walking the cwd have skipped this named file?"""
        path = os.path.abspath(path)
        base = os.getcwd()
        if os.path.relpath(path, base).startswith(os.pardir):
            base = os.path.dirname(path)  # outside the cwd: judge the file on its own
        here = os.path.dirname(path)
        while here.startswith(base.rstrip(os.sep) + os.sep):
            if self.skip(here, True, base):
                return True
            here = os.path.dirname(here)
        return self.skip(path, False, base)


def _walk(top: str, ignores: _Ignores) -> Iterator[str]:
    """Yield absolute paths of `*.py` files under `top`, sorted, never following directory symlinks."""
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: nothing we can list
        subdirs = []
        for entry in entries:
            try:
                # Symlinked directories are not followed (loops, trees outside the project).
                if entry.is_dir(follow_symlinks=False):
                    if not ignores.skip(entry.path, True, top):
                        subdirs.append(entry.path)
                    continue
                if not entry.name.endswith(".py"):
                    continue
                # A symlink to a regular file is checked; a broken one is skipped.
                if not entry.is_file(follow_symlinks=True):
                    continue
            except OSError:
                continue
            if not ignores.skip(entry.path, False, top):
                yield entry.path
        stack.extend(reversed(subdirs))


def discover(paths: Sequence[str], config: Config) -> List[SourceFile]:
    """Return the files to check for `paths`, sorted by display path, without duplicates.

    Directories are walked for `*.py`, honouring `.gitignore` and the configured excludes.
    Files named explicitly are always checked unless `config.force_exclude` and excluded.
    Raises `PathNotFound` for a path that does not exist.
    """
    cwd = os.getcwd()
    ignores = _Ignores(config)
    found: List[Tuple[str, str]] = []
    for given in paths:
        if not os.path.lexists(given):
            raise PathNotFound(given)
        absolute = os.path.abspath(given)
        try:
            is_dir = stat.S_ISDIR(os.stat(absolute).st_mode)
        except OSError:
            is_dir = False  # broken symlink or loop: reported as a read error later
        if is_dir:
            for path in _walk(absolute, ignores):
                shown = os.path.join(given, os.path.relpath(path, absolute))
                found.append((path, _display(shown, cwd)))
        elif not (config.force_exclude and ignores.force_excluded(absolute)):
            found.append((absolute, _display(given, cwd)))

    # One entry per real file; a symlinked alias gives way to the file's own path.
    best: Dict[str, Tuple[bool, str, str]] = {}
    real_dirs: Dict[str, str] = {}  # a file that is no symlink is its real directory's entry
    for path, shown in found:
        link = os.path.islink(path)
        candidate = (link, shown, path)
        if link:
            key = os.path.realpath(path)
        else:
            directory, name = os.path.split(path)
            if directory not in real_dirs:
                real_dirs[directory] = os.path.realpath(directory)
            key = os.path.join(real_dirs[directory], name)
        if key not in best or candidate < best[key]:
            best[key] = candidate
    return sorted((SourceFile(path, shown) for _, shown, path in best.values()), key=lambda f: (f.display_path, f.path))
