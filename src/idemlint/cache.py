"""Per-file analysis results cached on disk, so an unchanged file is read and hashed, never parsed.

Layout (all under the cache directory, `.idemlint_cache/` at the project root by default):

    .gitignore, CACHEDIR.TAG      written once: git ignores the whole directory, backup tools skip it
    <engine>/prefilter            the prefilter regexes (NUL-separated), so a run can skip importing libcst
    <engine>/clean                digests of file contents the prefilter rejected (16 bytes each):
                                  hashing is ~30x cheaper than the prefilter's regex
    <engine>/<sha256(path)>.json  one entry per file: the content key and the raw analysis

`<engine>` hashes the idemlint version, the format version, the Python minor version and the
size and mtime of every module of the installed idemlint package and of libcst, so any upgrade
or edit of the engine starts a fresh directory (older ones are removed). An entry holds the
*unfiltered* findings of `analysis.analyze` (with snippet hashes), or its parse error, keyed by
sha256 of the engine, the settings that shape the analysis (`call-depth`, `patterns`), the
display path and the file's bytes, plus the digests of the other project modules its handlers
were followed into (an entry is stale once one of them changes). Nothing else in it depends on
the configuration: select/ignore/min-confidence/per-file-ignores and inline suppressions are
re-applied on every run, so changing those never needs a fresh analysis.

Entries are JSON, not pickle: a cache directory can come from anywhere (an archive, a
force-added file), and loading it must never run code. Writes go to a temporary file in the same
directory and are published with `os.replace`, so concurrent runs and worker processes only
ever see whole entries. Anything unreadable, corrupt or of the wrong shape is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Pattern, Sequence, Set, Tuple

from . import __version__
from .findings import Analysis, Confidence, FileError, Finding, Related, Step

FORMAT = 2
DIGEST_SIZE = 16  # bytes of sha256 kept per clean file
MAX_CLEAN = 1_000_000  # more clean digests than this: keep only the current run's
GITIGNORE = "# Created by idemlint; the whole directory is a cache.\n*\n"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by idemlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def _stat_signature(root: str, suffix: str = ".py") -> List[str]:
    out = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(suffix):
                full = os.path.join(directory, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                out.append(f"{os.path.relpath(full, root)}:{st.st_size}:{st.st_mtime_ns}")
    return out


def engine_key() -> str:
    """A hash that changes whenever the analysis could give a different answer for the same bytes."""
    parts = [f"format {FORMAT}", f"idemlint {__version__}", f"python {sys.version_info[0]}.{sys.version_info[1]}"]
    here = os.path.dirname(os.path.abspath(__file__))
    parts += _stat_signature(here)
    parts += _libcst_signature()
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def _libcst_signature() -> List[str]:
    # Located, not imported: importing libcst costs ~0.3 s, which a warm run must not pay.
    import importlib.util

    try:
        spec = importlib.util.find_spec("libcst")
    except (ImportError, ValueError):
        return ["libcst ?"]
    if spec is None or not spec.origin:
        return ["libcst ?"]
    root = os.path.dirname(spec.origin)
    out = []
    for name in ("__init__.py", "_version.py"):
        try:
            st = os.stat(os.path.join(root, name))
        except OSError:
            continue
        out.append(f"libcst {root}/{name}:{st.st_size}:{st.st_mtime_ns}")
    # The native parser is what turns bytes into trees.
    native = os.path.join(root, "native")
    if os.path.isdir(native):
        out += [f"libcst native {s}" for s in _stat_signature(native, suffix="")]
    return out


class Cache:
    """One run's view of the cache directory. Picklable (it is sent to worker processes)."""

    def __init__(self, directory: str, engine: Optional[str] = None) -> None:
        self.directory = os.path.abspath(directory)
        self.engine = engine or engine_key()
        self.entries = os.path.join(self.directory, self.engine)
        self.settings = ""  # the configuration that changes the analysis (`Config.analysis_key`)

    @classmethod
    def open(cls, directory: str) -> Optional["Cache"]:
        """Create (if needed) and return the cache in `directory`; None when it cannot be written."""
        cache = cls(directory)
        try:
            fresh = not os.path.isdir(cache.entries)
            os.makedirs(cache.entries, exist_ok=True)
            for name, text in ((".gitignore", GITIGNORE), ("CACHEDIR.TAG", CACHEDIR_TAG)):
                if not os.path.exists(os.path.join(cache.directory, name)):
                    _write_atomic(cache.directory, name, text.encode("utf-8"))
        except OSError:
            return None
        if fresh:
            cache._prune()
        return cache

    def _prune(self) -> None:
        """Remove the entries of other engine versions (best effort: another run may be using them)."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            full = os.path.join(self.directory, name)
            if name != self.engine and re.fullmatch(r"[0-9a-f]{20}", name) and os.path.isdir(full):
                import shutil  # not at import time: shutil imports bz2 and lzma (~10 ms), which a run
                # without a cache, or one that writes nothing, must not pay

                shutil.rmtree(full, ignore_errors=True)

    # --- keys -------------------------------------------------------------------------------

    @staticmethod
    def digest(source: bytes) -> bytes:
        """The content digest: what `clean` holds and what `content_key` is built from."""
        return hashlib.sha256(source).digest()[:DIGEST_SIZE]

    def content_key(self, display_path: str, digest: bytes) -> str:
        """The key of an entry: engine, display path (findings carry it) and content digest."""
        h = hashlib.sha256()
        h.update(self.engine.encode("ascii"))
        h.update(b"\0")
        h.update(self.settings.encode("utf-8"))
        h.update(b"\0")
        h.update(display_path.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        h.update(digest)
        return h.hexdigest()

    def _entry_path(self, path: str) -> str:
        name = hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self.entries, name + ".json")

    # --- entries ----------------------------------------------------------------------------

    def load(self, path: str, key: str) -> Optional[Analysis]:
        """Return the cached analysis of `path` if it was made from the same key, else None."""
        try:
            with open(self._entry_path(path), "rb") as fh:
                data = json.loads(fh.read())
            if data.get("key") != key:
                return None
            analysis = _analysis_from_json(data)
            if analysis.deps and not dependencies_unchanged(analysis.deps):
                return None  # a module its handlers call has changed
            return analysis
        except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None  # missing or corrupt: analyse again (and overwrite it)

    def store(self, path: str, key: str, analysis: Analysis) -> None:
        """Record `analysis` for `path`; internal errors and skipped files are never stored."""
        if analysis.error is not None and analysis.error.kind not in ("syntax", "decode"):
            return
        data = dict(_analysis_to_json(analysis), key=key)
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        try:
            _write_atomic(self.entries, os.path.basename(self._entry_path(path)), payload)
        except OSError:
            pass  # a full disk or a read-only tree only costs speed

    # --- the prefilter --------------------------------------------------------------------

    def _clean_name(self) -> str:
        """Declared patterns widen the prefilter, so each set of settings has its own clean list."""
        if not self.settings or "patterns=()" in self.settings:
            return "clean"
        return "clean-" + hashlib.sha256(self.settings.encode("utf-8")).hexdigest()[:16]

    def load_clean(self) -> FrozenSet[bytes]:
        """Digests of contents the prefilter rejected in earlier runs (empty if unreadable)."""
        try:
            with open(os.path.join(self.entries, self._clean_name()), "rb") as fh:
                data = fh.read()
        except OSError:
            return frozenset()
        if len(data) % DIGEST_SIZE:
            return frozenset()  # truncated or foreign: start again
        return frozenset(data[i:i + DIGEST_SIZE] for i in range(0, len(data), DIGEST_SIZE))

    def store_clean(self, known: Iterable[bytes], new: Set[bytes]) -> None:
        """Add this run's `new` clean digests to the `known` ones (last writer wins: a lost
        digest only costs one prefilter call next time)."""
        merged = set(known) | new
        if len(merged) > MAX_CLEAN:
            merged = set(new)
        try:
            _write_atomic(self.entries, self._clean_name(), b"".join(sorted(merged)))
        except OSError:
            pass

    def load_prefilter(self) -> Optional[List[Pattern[bytes]]]:
        """The prefilter's regexes (any of them matching admits a file), or None if unreadable."""
        try:
            with open(os.path.join(self.entries, "prefilter"), "rb") as fh:
                return [re.compile(text) for text in fh.read().split(b"\0")]
        except (OSError, re.error, ValueError, TypeError):
            return None

    def store_prefilter(self, patterns: Sequence[Pattern[bytes]]) -> None:
        for pattern in patterns:
            if b"\0" in pattern.pattern or re.compile(pattern.pattern).flags != pattern.flags:
                return  # only a pattern whose flags are inline round-trips through its source text
        try:
            _write_atomic(self.entries, "prefilter", b"\0".join(p.pattern for p in patterns))
        except OSError:
            pass


def module_digest(source: bytes) -> str:
    """A module's content digest as recorded in an entry's `deps` (`Cache.digest`, in hex)."""
    return Cache.digest(source).hex()


_SEEN: Dict[Tuple[str, int, int], str] = {}  # (path, size, mtime) -> digest, for this process


def dependencies_unchanged(deps: Sequence[Tuple[str, str]]) -> bool:
    """True if every module a cached analysis read still has the same contents.

    Many entries share a dependency (every consumer calling one service module): each file is
    hashed once per process while its size and mtime stay the same."""
    for path, old in deps:
        try:
            st = os.stat(path)
            key = (path, st.st_size, st.st_mtime_ns)
            if key not in _SEEN:
                with open(path, "rb") as fh:
                    _SEEN[key] = module_digest(fh.read())
        except OSError:
            return False
        if _SEEN[key] != old:
            return False
    return True


def _write_atomic(directory: str, name: str, payload: bytes) -> None:
    import tempfile  # on first write only: it imports shutil and random (~20 ms with them)

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix="-" + name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --- JSON <-> records ---------------------------------------------------------------------------


def _finding_to_json(f: Finding) -> Dict[str, Any]:
    return {
        "path": f.path, "line": f.line, "column": f.column, "end_line": f.end_line, "end_column": f.end_column,
        "rule": f.rule, "name": f.name, "confidence": int(f.confidence), "message": f.message, "hint": f.hint,
        "symbol": f.symbol, "scope_line": f.scope_line,
        "related": [[r.line, r.column, r.message] for r in f.related],
        "evidence": list(f.evidence), "snippet_hash": f.snippet_hash,
        "trace": [[s.kind, s.line, s.column, s.message] for s in f.trace],
    }


def _finding_from_json(d: Dict[str, Any]) -> Finding:
    values = dict(d)
    values["confidence"] = Confidence(values["confidence"])
    values["related"] = tuple(Related(int(a), int(b), str(c)) for a, b, c in values["related"])
    values["evidence"] = tuple(str(e) for e in values["evidence"])
    values["trace"] = tuple(Step(str(k), int(a), int(b), str(c)) for k, a, b, c in values["trace"])
    return Finding(**values)


def _analysis_to_json(a: Analysis) -> Dict[str, Any]:
    error = None
    if a.error is not None:
        error = {"path": a.error.path, "message": a.error.message, "kind": a.error.kind, "line": a.error.line}
    return {"findings": [_finding_to_json(f) for f in a.findings], "error": error, "parsed": a.parsed,
            "deps": [[p, d] for p, d in a.deps]}


def _analysis_from_json(data: Dict[str, Any]) -> Analysis:
    error = data["error"]
    return Analysis(
        findings=tuple(_finding_from_json(f) for f in data["findings"]),
        error=FileError(**error) if error is not None else None,
        parsed=bool(data["parsed"]),
        deps=tuple((str(p), str(d)) for p, d in data.get("deps", ())),
    )
