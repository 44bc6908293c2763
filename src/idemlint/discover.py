"""Turn command-line paths into an ordered, duplicate-free list of Python files to check, each
with its code role: production, test or example code."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Tuple

from .records import dataclass
from .config import Config
from .lazyre import lazy_re

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


PRODUCTION, TEST, EXAMPLE = "production", "test", "example"
ROLES = (PRODUCTION, TEST, EXAMPLE)


@dataclass(frozen=True)
class SourceFile:
    path: str  # what to open
    display_path: str  # what to show: as given or relative to the cwd, `/`-separated
    role: str = PRODUCTION  # by its path (`test-paths`, `example-paths`); see `skipped_as`
    named: bool = False  # named on the command line (not found by walking a directory)


def skipped_as(file: SourceFile, config: Config, role: Optional[str] = None) -> Optional[str]:
    """The role `file` is left out of `check` as, or None when it is checked.

    `role` overrides the file's own (a module found to import pytest is test code). A file named
    on the command line is checked whatever its role unless `--force-exclude`, as with excludes.
    """
    role = role or file.role
    if config.includes(role) or (file.named and not config.force_exclude):
        return None
    return role


# Module-level imports that make a module test code (test support: fixtures, fakes, base cases).
_TEST_IMPORTS = lazy_re(rb"^(?:import|from)[ \t]+(?:pytest|_pytest|unittest)\b", re.M)


def imports_test_framework(source: bytes) -> bool:
    """True when `source` imports pytest or unittest at module level (a line that starts with it)."""
    return _TEST_IMPORTS.search(source) is not None


def may_be_test_support(file: SourceFile, config: Config) -> bool:
    """Whether `file`, production code by its path, is test code if it imports a test framework
    (`imports_test_framework`): part of the built-in definition of test code."""
    return file.role == PRODUCTION and config.tests_by_imports()


class _Globs:
    """Gitignore-style globs matched against a `/`-separated relative path.

    A glob without `/` (but a trailing one), `**`, `[`, `!`, `#`, a backslash or a space (all the
    built-in role globs) is matched here against the file name and the directory names, as git
    does, so a run over named files does not import pathspec. Other globs go to pathspec.
    """

    _SIMPLE = re.compile(r"[^/!#\\\[\s]+/?")

    def __init__(self, globs: Sequence[str]) -> None:
        dirs: List[str] = []
        names: List[str] = []
        rest: List[str] = []
        for glob in globs:
            if not self._SIMPLE.fullmatch(glob) or "**" in glob:
                rest.append(glob)
            elif glob.endswith("/"):
                dirs.append(glob[:-1])  # directories only
            else:
                names.append(glob)  # a file or a directory
        self._dir = self._compile(dirs + names)
        self._name = self._compile(names)
        self._dirs: Dict[str, bool] = {}  # directory (relative) -> whether it is matched
        self._spec: Optional["pathspec.GitIgnoreSpec"] = None
        if rest:
            import pathspec

            self._spec = pathspec.GitIgnoreSpec.from_lines(rest)

    @staticmethod
    def _compile(globs: List[str]) -> Optional["re.Pattern[str]"]:
        return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None

    def _in_matched_dir(self, directory: str) -> bool:
        if directory not in self._dirs:  # once per directory, not per file
            parent, _, part = directory.rpartition("/")
            self._dirs[directory] = bool(part) and (
                (self._dir is not None and self._dir.match(part) is not None) or self._in_matched_dir(parent))
        return self._dirs[directory]

    def match(self, rel: str) -> bool:
        directory, _, name = rel.rpartition("/")
        if self._in_matched_dir(directory) or (self._name is not None and self._name.match(name) is not None):
            return True
        return self._spec is not None and self._spec.match_file(rel)


_BUILTIN_TESTS: List["_Globs"] = []


def builtin_test_path(rel: str) -> bool:
    """`rel` (`/`-separated, relative to a scanned root) is test code by the built-in test paths."""
    if not _BUILTIN_TESTS:
        from .config import DEFAULT_TEST_PATHS

        _BUILTIN_TESTS.append(_Globs(DEFAULT_TEST_PATHS))
    return _BUILTIN_TESTS[0].match(rel)


class _Roles:
    """The role of a path: test code, example code (first match wins, in that order) or production."""

    def __init__(self, config: Config) -> None:
        self.globs = ((TEST, _Globs(config.role_globs(TEST))), (EXAMPLE, _Globs(config.role_globs(EXAMPLE))))

    def of(self, rel: str) -> str:
        for role, globs in self.globs:
            if globs.match(rel):
                return role
        return PRODUCTION


def _relative(path: str, root: str, base: str) -> str:
    """`path` relative to the config root, else (outside it) to `base`, `/`-separated: what
    excludes and role globs are matched against."""
    for top in (root, base):
        prefix = top.rstrip(os.sep) + os.sep
        if path.startswith(prefix):  # both absolute and normalised: no need for relpath
            return _posix(path[len(prefix):])
    return _posix(os.path.relpath(path, base))


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
        return self.excludes.match_file(_relative(path, self.root, base) + ("/" if is_dir else ""))

    def skip(self, path: str, is_dir: bool, base: str) -> bool:
        if is_dir and is_skipped_dir(path, os.path.basename(path)):
            return True
        return self.excluded(path, is_dir, base) or self.gitignored(path, is_dir, base)

    def force_excluded(self, path: str) -> bool:
        """For `--force-exclude`: would walking the cwd have skipped this named file?"""
        path = os.path.abspath(path)
        base = _named_base(path)
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


def _named_base(path: str) -> str:
    """What a file named on the command line is judged relative to outside the config root: the
    cwd, or (outside it too) the file's own directory."""
    base = os.getcwd()
    return os.path.dirname(path) if os.path.relpath(path, base).startswith(os.pardir) else base


def discover(paths: Sequence[str], config: Config) -> List[SourceFile]:
    """Return the files to check for `paths`, sorted by display path, without duplicates.

    Directories are walked for `*.py`, honouring `.gitignore` and the configured excludes.
    Files named explicitly are always checked unless `config.force_exclude` and excluded.
    Each file's role comes from `test-paths` and `example-paths`, matched relative to the config
    root (see `skipped_as` for what `check` does with it).
    Raises `PathNotFound` for a path that does not exist.
    """
    cwd = os.getcwd()
    ignores = _Ignores(config)
    roles = _Roles(config)
    found: List[Tuple[str, str, str, bool]] = []
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
                found.append((path, _display(shown, cwd), roles.of(_relative(path, ignores.root, absolute)), False))
        elif not (config.force_exclude and ignores.force_excluded(absolute)):
            role = roles.of(_relative(absolute, ignores.root, _named_base(absolute)))
            found.append((absolute, _display(given, cwd), role, True))

    # One entry per real file; a symlinked alias gives way to the file's own path.
    best: Dict[str, Tuple[bool, str, str, str]] = {}
    named = set()  # files named on the command line (maybe also found by walking)
    real_dirs: Dict[str, str] = {}  # a file that is no symlink is its real directory's entry
    for path, shown, role, explicit in found:
        link = os.path.islink(path)
        candidate = (link, shown, path, role)
        if link:
            key = os.path.realpath(path)
        else:
            directory, name = os.path.split(path)
            if directory not in real_dirs:
                real_dirs[directory] = os.path.realpath(directory)
            key = os.path.join(real_dirs[directory], name)
        if explicit:
            named.add(key)
        if key not in best or candidate < best[key]:
            best[key] = candidate
    files = (SourceFile(path, shown, role, key in named) for key, (_, shown, path, role) in best.items())
    return sorted(files, key=lambda f: (f.display_path, f.path))
