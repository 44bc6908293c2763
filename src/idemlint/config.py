"""Settings from `[tool.idemlint]` and the command line, merged into one frozen `Config`."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import field, replace
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

from .records import dataclass
from .findings import Confidence


DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024

# Code roles (see discover.py): globs, gitignore-style, relative to the config root. A file that
# matches none of them is production code; one that matches both is test code.
DEFAULT_TEST_PATHS = ("tests/", "test/", "testing/", "test_*.py", "*_test.py", "tests.py", "conftest.py")
DEFAULT_EXAMPLE_PATHS = ("docs/", "doc/", "examples/", "example/", "example-*/", "samples/", "tutorial*/", "snippets/",
                         "benchmarks/", "benchmark/", "example_*.py", "*_example.py")

# Files idemlint looks for, in this order, in each directory from the first path upward.
# A `pyproject.toml` counts only if it has a `[tool.idemlint]` table.
CONFIG_FILE_NAMES = ("idemlint.toml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration problem; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class Config:
    """Everything that changes what idemlint reports. Codes are canonical (`IDEM001`)."""

    select: Tuple[str, ...] = ()  # empty: every rule
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    extend_exclude: Tuple[str, ...] = ()
    min_confidence: Confidence = Confidence.LOW
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    respect_gitignore: bool = True
    warn_unused_ignores: bool = False  # report suppression comments that hide nothing
    force_exclude: bool = False  # command line only
    verbose: bool = False  # command line only
    jobs: Optional[int] = None  # worker processes; None: one per CPU
    # Result cache, relative to `root` unless absolute. None: no cache (the library default;
    # the command line uses `.idemlint_cache` unless --no-cache).
    cache_dir: Optional[str] = None
    # Where the settings came from; globs in `exclude` and `per-file-ignores` are relative to `root`.
    config_path: Optional[str] = None
    root: str = field(default_factory=os.getcwd)
    # How many calls deep a handler is followed into the functions it calls (0: its own body only).
    call_depth: int = 3
    # `[tool.idemlint.patterns]`: ((kind, (glob, ...)), ...) sorted by kind (see patterns.py)
    patterns: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    # Code roles: which files are test or example code, and whether `check` reports them.
    include_tests: bool = False
    include_examples: bool = False
    test_paths: Tuple[str, ...] = DEFAULT_TEST_PATHS
    extend_test_paths: Tuple[str, ...] = ()
    example_paths: Tuple[str, ...] = DEFAULT_EXAMPLE_PATHS
    extend_example_paths: Tuple[str, ...] = ()
    # Base address of the rule pages for links in reports (Markdown, SARIF `helpUri`); None: no links.
    docs_url: Optional[str] = None

    def analysis_key(self) -> str:
        """The settings that change what the engine finds (not only what is reported)."""
        return f"call-depth={self.call_depth};patterns={self.patterns!r}"

    def enabled_codes(self) -> Tuple[str, ...]:
        """Return the codes of the rules that report, in registry order."""
        from .rules import ALL_RULES

        chosen = set(self.select) if self.select else {r.code for r in ALL_RULES if not r.preview}
        return tuple(r.code for r in ALL_RULES if r.code in chosen and r.code not in self.ignore)

    def excludes(self) -> Tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def role_globs(self, role: str) -> Tuple[str, ...]:
        """The globs that make a file test (`role` "test") or example code."""
        if role == "test":
            return self.test_paths + self.extend_test_paths
        return self.example_paths + self.extend_example_paths

    def tests_by_imports(self) -> bool:
        """Whether a module importing pytest or unittest is test code: part of the built-in
        definition, so `test-paths` (which replaces it) turns it off; `extend-test-paths` keeps it."""
        return self.test_paths == DEFAULT_TEST_PATHS

    def includes(self, role: str) -> bool:
        """Whether `check` reports code of `role`."""
        return role == "production" or (self.include_tests if role == "test" else self.include_examples)


# --- one declaration of every key ------------------------------------------------------------


def _rule_list(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes or names")
    return tuple(resolve_rule(v, where) for v in value)


def _str_list(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def _confidence(value: Any, where: str) -> Confidence:
    if isinstance(value, Confidence):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected one of low, medium, high")
    try:
        return Confidence.parse(value)
    except ValueError:
        raise ConfigError(f"{where}: unknown confidence {value!r} (expected low, medium or high)") from None


def _per_file_ignores(value: Any, where: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table of glob = [codes]")
    return tuple((glob, _rule_list(codes, f"{where}.{glob!r}")) for glob, codes in value.items())


def _positive_int(value: Any, where: str) -> int:
    # bool is an int subclass; `max-file-size = true` is a mistake, not 1 byte.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}: expected a positive integer (bytes)")
    return value


def _jobs(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}: expected a positive integer (number of worker processes)")
    return value


def _depth(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ConfigError(f"{where}: expected an integer from 0 to 10 (calls followed from a handler)")
    return value


def _patterns(value: Any, where: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    from .patterns import PatternError, validate

    try:
        return validate(value, where)
    except PatternError as e:
        raise ConfigError(str(e)) from None


def _path(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a directory path")
    return value


def _url(value: Any, where: str) -> str:
    # The address goes into Markdown links and SARIF: no spaces, quotes or brackets that would end it.
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s()<>\[\]\"'`]+", value):
        raise ConfigError(f"{where}: expected an http(s) URL such as https://example.com/idemlint/rules")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false")
    return value


# TOML key -> (Config field, converter). Defaults live on the dataclass.
KEYS: Dict[str, Tuple[str, Callable[[Any, str], Any]]] = {
    "select": ("select", _rule_list),
    "ignore": ("ignore", _rule_list),
    "exclude": ("exclude", _str_list),
    "extend-exclude": ("extend_exclude", _str_list),
    "min-confidence": ("min_confidence", _confidence),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "max-file-size": ("max_file_size", _positive_int),
    "respect-gitignore": ("respect_gitignore", _bool),
    "warn-unused-ignores": ("warn_unused_ignores", _bool),
    "jobs": ("jobs", _jobs),
    "cache-dir": ("cache_dir", _path),
    "call-depth": ("call_depth", _depth),
    "patterns": ("patterns", _patterns),
    "include-tests": ("include_tests", _bool),
    "include-examples": ("include_examples", _bool),
    "test-paths": ("test_paths", _str_list),
    "extend-test-paths": ("extend_test_paths", _str_list),
    "example-paths": ("example_paths", _str_list),
    "extend-example-paths": ("extend_example_paths", _str_list),
    "docs-url": ("docs_url", _url),
}


def resolve_rule(code_or_name: str, where: str = "rule") -> str:
    """Return the canonical code for a rule code or name, or raise `ConfigError`."""
    from .rules import ALL_RULES, REMOVED_CODES, find_rule

    rule = find_rule(code_or_name)
    if rule is not None:
        return rule.code
    key = code_or_name.strip().upper()
    if key in REMOVED_CODES:
        raise ConfigError(f"{where}: rule {key} was removed: {REMOVED_CODES[key]}")
    known = ", ".join(f"{r.code} ({r.name})" for r in ALL_RULES)
    raise ConfigError(f"{where}: unknown rule {code_or_name!r}; known rules: {known}")


def split_list(text: str) -> Tuple[str, ...]:
    """Split a command-line comma list (`IDEM001,ack-without-dedup`) into items."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


# --- reading files ---------------------------------------------------------------------------


def _load_toml(path: str) -> Dict[str, Any]:
    # imported here: a run with no config file to read does without it (~2 ms of start-up)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({e.reason})") from None


def _idemlint_table(data: Dict[str, Any], path: str, explicit: bool) -> Optional[Dict[str, Any]]:
    """Return the idemlint table of a parsed file, or None if the file does not configure idemlint.

    `pyproject.toml` (and any file with a top-level `[tool]` table) must use `[tool.idemlint]`;
    another file named with `--config` may instead hold the keys at top level.
    """
    tool = data.get("tool")
    if os.path.basename(path) == "pyproject.toml" or isinstance(tool, dict):
        table = tool.get("idemlint") if isinstance(tool, dict) else None
        if table is None:
            if explicit:
                raise ConfigError(f"{path}: no [tool.idemlint] table")
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: tool.idemlint: expected a table")
        return table
    return data


def find_config_file(start: str) -> Optional[str]:
    """Return the first config file from `start` (a file or directory) upward, or None."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        for name in CONFIG_FILE_NAMES:
            candidate = os.path.join(here, name)
            if not os.path.isfile(candidate):
                continue
            if name != "pyproject.toml":
                return candidate
            if _idemlint_table(_load_toml(candidate), candidate, explicit=False) is not None:
                return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def parse_table(table: Mapping[str, Any], source: str) -> Dict[str, Any]:
    """Validate a `[tool.idemlint]` table; return Config field values. `source` names the file."""
    values: Dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"{source}: unknown key {key!r} (known: {known})")
        field_name, convert = KEYS[key]
        values[field_name] = convert(value, f"{source}: {key}")
    return values


def load_config(
    paths: Sequence[str] = (".",),
    config_file: Optional[str] = None,
    overrides: Optional[Mapping[str, Any]] = None,
) -> Config:
    """Build the run's `Config`: defaults, then the config file, then `overrides`.

    `config_file` is `--config`; without it the file is searched from the first path upward.
    `overrides` maps TOML key names (`min-confidence`, ...) or the command-line-only fields
    (`force_exclude`, `verbose`) to values; only pass what the user actually gave.
    """
    values: Dict[str, Any] = {}
    path = config_file
    if path is None:
        path = find_config_file(paths[0] if paths else ".")
    if path is not None:
        table = _idemlint_table(_load_toml(path), path, explicit=config_file is not None)
        values.update(parse_table(table or {}, path))
        values["config_path"] = path
        values["root"] = os.path.dirname(os.path.abspath(path))
    for key, value in (overrides or {}).items():
        if key in KEYS:
            field_name, convert = KEYS[key]
            values[field_name] = convert(value, f"command line: --{key}")
        elif key in ("force_exclude", "verbose"):
            values[key] = bool(value)
        else:
            raise ConfigError(f"command line: unknown setting {key!r}")
    return Config(**values)


def with_overrides(config: Config, **fields: Any) -> Config:
    """Return a copy of `config` with dataclass fields replaced (for API callers and tests)."""
    return replace(config, **fields)


def describe(config: Config) -> Iterable[str]:
    """Yield `key = value` lines describing the effective settings (for `--verbose`)."""
    yield f"config file = {config.config_path or '(none, defaults)'}"
    for key, (field_name, _) in KEYS.items():
        value = getattr(config, field_name)
        if isinstance(value, Confidence):
            value = value.label
        yield f"{key} = {value!r}"
