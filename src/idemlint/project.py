"""The scanned project: where its modules live, and their indexes loaded on demand.

A handler that calls `billing.charge(order)` in another module of the project gets the effects
of `charge` counted for it. To see them, the engine asks the `Project` for the module an origin
string such as `shop.services.billing.charge` or `..services.billing.BillingService().charge`
names, parses that file (even if the prefilter skipped it: a service module needs no broker
word), and finds the function or method. Nothing is imported or executed.

Module names are looked up the way Python would find them from the project's source roots:
the scanned directories, their `src/` folders, and the folder above the top package of the
importing file (found by walking up while `__init__.py` exists). A `Project` is picklable and
cheap to send to worker processes; each process keeps its own bounded set of parsed modules.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from .records import dataclass
from .origins import CLASS_LINE, MAX_MODULE_BYTES, read_head
from .lazyre import lazy_re

# Parsed modules kept per process, least recently used first out: at most this many, and at most
# this much source between them (a tree and its index take about 90 bytes per source byte, so
# the budget holds about 70 MiB). Re-parsing an evicted module is the main cost of following
# calls in application code (many small modules called from many tasks).
MAX_MODULES = 64
MAX_KEPT_SOURCE = 768 * 1024
_PART = lazy_re(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\([^()]*\))?)$")
_DEF_LINE = lazy_re(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+([^ \t\n(]+)[ \t]*\(", re.M)
# a base class's last name: `Base`, `pkg.Base`, `Base[T]`; not `metaclass=ABCMeta`
_BASE_NAME = lazy_re(rb"(?:^|,)\s*(?:[\w]+\.)*(\w+)\s*(?=[\[,]|$)")
_CAMEL_WORD = lazy_re(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# a call of a capitalised name (a class constructed: `NotificationHandler(cfg, factory)`,
# `handlers.NotificationHandler(...)`; its `class X(Base)` line too, which the caller sorts out)
_CONSTRUCTION = lazy_re(rb"\b([A-Z]\w*)\(")


def camel_words(name: str) -> set:
    """The words of a CamelCase name, lower case (`AlarmNotifier` -> {"alarm", "notifier"})."""
    return {w.lower() for w in _CAMEL_WORD.findall(name)}


@dataclass
class Loaded:
    path: str
    name: str  # dotted module name ("" when unknown)
    index: object  # ModuleIndex (typed loosely: this module must not import libcst at import time)
    digest: str
    size: int = 0  # bytes of source


class Project:
    def __init__(self, roots: Sequence[str] = (), max_depth: int = 3, scanned: Sequence[str] = ()) -> None:
        self.max_depth = max_depth  # calls followed from a handler
        # the paths the user named: where subclasses are looked for (`subclasses`), never all of the
        # source roots (the current directory may hold far more than the project)
        self.scanned = [os.path.abspath(p) for p in (scanned or roots)]
        bases: List[str] = []
        for root in roots:
            full = os.path.abspath(root)
            if os.path.isfile(full):
                full = os.path.dirname(full)
            for cand in (full, os.path.join(full, "src")):
                if os.path.isdir(cand) and cand not in bases:
                    bases.append(cand)
        self.bases = bases
        self._modules: "OrderedDict[str, Optional[Loaded]]" = OrderedDict()
        self._kept = 0  # bytes of source of the modules kept
        self._found: Dict[Tuple[str, object], Optional[str]] = {}
        self._folders: Dict[str, str] = {}  # importer -> its folder
        # what the file system says, asked once per run (module lookups ask it tens of thousands of
        # times: a folder's `__init__.py`, the search bases of an importer's folder, a file)
        self._packages: Dict[str, bool] = {}
        self._search: Dict[str, Tuple[str, ...]] = {}
        self._files: Dict[str, bool] = {}
        self._listings: Dict[str, Optional[frozenset]] = {}  # folder -> its entries (None: unlistable)
        self._names: Dict[str, str] = {}
        self._brokerish: Dict[str, bool] = {}
        self.deps: Dict[str, str] = {}  # path -> digest of every module read for the current file
        # answers about parsed modules, keyed by node ids: by kind (`memo`), each key led by the path of
        # the module it is about; those about the analysed file's own tree live for its analysis only
        self._memos: Dict[str, Dict[tuple, object]] = {}
        self._file_memos: Dict[str, Dict[tuple, object]] = {}
        self._origins: Optional[object] = None  # origins.Origins, made on first use
        self._subclasses: Optional[Dict[str, List[Tuple[str, str]]]] = None  # base name -> (path, class)
        self._nouns: Dict[str, List[str]] = {}  # `interfaces_named`
        self._defines: Dict[str, frozenset] = {}  # `defines`: path -> the names its `def` lines define
        self._defined: Dict[str, List[str]] = {}  # class name -> the files whose `class X(...):` lines define it
        # top-level package folder -> capitalised name -> the files calling it (`constructing`)
        self._constructed: Dict[str, Dict[str, List[str]]] = {}
        self._packages_files: Dict[str, List[str]] = {}  # top-level package folder -> `package_files`
        self._lasting: Dict[str, dict] = {}  # `lasting`
        self.no_interface: set = set()  # (interface, method) pairs `callees.by_interface` found nothing for
        self._project_files: Optional[List[str]] = None  # every .py file of the scanned trees (`files`)
        self._calling: Dict[Tuple[str, str], Tuple[str, ...]] = {}  # `files_calling`: (package, name) -> files

    def __getstate__(self) -> dict:
        return {"bases": self.bases, "max_depth": self.max_depth, "scanned": self.scanned}

    def __setstate__(self, state: dict) -> None:
        self.__init__(max_depth=state["max_depth"])
        self.bases = state["bases"]
        self.scanned = state["scanned"]

    # -- finding modules ------------------------------------------------------------------
    def _is_package(self, folder: str) -> bool:
        known = self._packages.get(folder)
        if known is None:
            known = self._packages[folder] = os.path.isfile(os.path.join(folder, "__init__.py"))
        return known

    def _is_file(self, path: str) -> bool:
        known = self._files.get(path)
        if known is None:
            known = self._files[path] = os.path.isfile(path)
        return known

    def listing(self, folder: str) -> Optional[frozenset]:
        """The entries of `folder`, listed once per run (None: unlistable)."""
        listing = self._listings.get(folder, False)
        if listing is False:
            try:
                listing = frozenset(os.listdir(folder))
            except OSError:
                listing = None  # unlistable: ask for each file instead
            self._listings[folder] = listing
        return listing

    def _may_hold(self, folder: str, name: str) -> bool:
        """False when `folder` surely holds neither `name` nor `name.py` (one listing per folder and
        run: most lookups are of modules outside the folder, and each would cost two `stat` calls)."""
        listing = self.listing(folder)
        return listing is None or name in listing or name + ".py" in listing

    def _search_bases(self, folder: str) -> Tuple[str, ...]:
        """Where an absolute import from a module in `folder` ("" for no importer) is looked for:
        the folder above its top package, then the project's bases."""
        out = self._search.get(folder)
        if out is not None:
            return out
        found: List[str] = []
        if folder:
            d = folder
            while self._is_package(d):
                parent = os.path.dirname(d)
                if parent == d:
                    break
                d = parent
            found.append(d)
        found.extend(b for b in self.bases if b not in found)
        self._search[folder] = out = tuple(found)
        return out

    def module_file(self, name: str, importer: Optional[str]) -> Optional[str]:
        """The file of module `name` (absolute, or relative with leading dots), or None (an
        absolute path: the answer depends on the importer's folder only)."""
        folder = self._folders.get(importer) if importer else ""
        if folder is None:
            folder = self._folders[importer] = os.path.dirname(os.path.abspath(importer))  # type: ignore[index]
        # an absolute name's file depends on the search bases only, which whole trees of folders share
        key = (name, folder) if name.startswith(".") else (name, self._search_bases(folder))
        if key in self._found:
            return self._found[key]
        found = self._module_file(name, importer, folder)
        if found is not None:
            found = os.path.abspath(found)
        self._found[key] = found
        return found

    def _module_file(self, name: str, importer: Optional[str], folder: str) -> Optional[str]:
        level = len(name) - len(name.lstrip("."))
        parts = [p for p in name.lstrip(".").split(".") if p]
        if level:
            if not importer:
                return None
            base = folder
            for _ in range(level - 1):
                if not self._is_package(base):
                    return None  # above the top package: Python would refuse the import too
                base = os.path.dirname(base)
            bases = [base]
        else:
            bases = self._search_bases(folder)
        for base in bases:
            if parts and not self._may_hold(base, parts[0]):
                continue
            stem = os.path.join(base, *parts) if parts else base
            for cand in ((stem + ".py",) if parts else ()) + (os.path.join(stem, "__init__.py"),):
                if self._is_file(cand):
                    return cand
        return None

    def module_name(self, path: str) -> str:
        known = self._names.get(path)
        if known is not None:
            return known
        d, file = os.path.split(os.path.abspath(path))
        parts = [] if file == "__init__.py" else [file[:-3]]
        while self._is_package(d):
            d, pkg = os.path.split(d)
            parts.insert(0, pkg)
        self._names[path] = name = ".".join(parts)
        return name

    # -- loading --------------------------------------------------------------------------
    def load(self, path: str, broker_only: bool = False) -> Optional[Loaded]:
        """The parsed module at `path` (None if unreadable). With `broker_only`, a module that does
        not pass the prefilter is not parsed (a base class that acks names a broker API)."""
        path = os.path.abspath(path)
        if broker_only and not self.mentions_broker(path):
            return None  # whether or not it is loaded already: the answer must not depend on what ran before
        if path in self._modules:
            self._modules.move_to_end(path)
            loaded = self._modules[path]
        else:
            loaded = self._parse(path)
            self._modules[path] = loaded
            self._kept += loaded.size if loaded is not None else 0
        if loaded is not None:
            self.deps[path] = loaded.digest
        return loaded

    def start_file(self) -> None:
        """Before a file's analysis: forget the modules the last one read, and evict the least
        recently used parsed modules down to the budget. Never during an analysis: the walks in
        progress hold the trees' functions, and the memos their node ids, so evicting (and parsing
        again) mid-file made the result depend on what the process had analysed before."""
        self.deps = {}
        while len(self._modules) > 1 and (len(self._modules) > MAX_MODULES or self._kept > MAX_KEPT_SOURCE):
            old, gone = self._modules.popitem(last=False)
            self._kept -= gone.size if gone is not None else 0
            # memos are keyed by node ids, which a later tree may reuse once this one is freed
            for kind, memo in self._memos.items():
                self._memos[kind] = {k: v for k, v in memo.items() if k[0] != old}
        self._file_memos = {}

    def memo(self, kind: str, path: Optional[str]) -> Dict[tuple, object]:
        """The memo of answers of one kind (`"summaries"`, `"acks"`, ...) about the module at `path`:
        kept across files for a module the project keeps (its keys must start with its absolute
        path), else (the analysed module, `path` None) dropped when the next file starts."""
        memos = self._memos if self.holds(path) else self._file_memos
        return memos.setdefault(kind, {})

    def mentions_broker(self, path: str) -> bool:
        """The module names a broker API, or imports a project module that builds a broker client
        (a base class whose ack goes through a pipeline module: `origins.Origins.adjacent`)."""
        if path not in self._brokerish:
            from .detect import passes_prefilter

            source = read_head(path)  # nothing if unreadable: no broker
            self._brokerish[path] = bool(source) and (passes_prefilter(source) or bool(self.origins.adjacent(path, source)))
        return self._brokerish[path]

    def _parse(self, path: str) -> Optional[Loaded]:
        from .analysis import ParseFailure, parse
        from .index import ModuleIndex

        try:
            if os.path.getsize(path) > MAX_MODULE_BYTES:
                return None
            with open(path, "rb") as fh:
                source = fh.read(MAX_MODULE_BYTES + 1)
            index = _skeleton_index(source, self, path) or ModuleIndex(parse(source), self, path)
        except (OSError, ParseFailure, RecursionError, MemoryError, ValueError):
            return None  # an unreadable callee only means the call stays unresolved
        return Loaded(path, self.module_name(path), index, digest(source), len(source))

    def interfaces_named(self, noun: str) -> List[str]:
        """The names of the project's base classes (those some project class derives from) that have
        `noun` as one of their CamelCase words (`notifier`: `AlarmNotifier`, `NotifierBase`)."""
        known = self._nouns.get(noun)
        if known is None:
            known = self._nouns[noun] = sorted(
                name for name in self._class_index() if noun in camel_words(name))
        return known

    def class_files(self, name: str) -> Optional[List[str]]:
        """The files whose `class <name>(...):` lines define a class of that name (None: none such
        line; a class written `class X:` is not in this index)."""
        self._class_index()
        return self._defined.get(name)

    def defines(self, path: str, name: str) -> bool:
        """The file's text has a `def <name>(` (read as text, once per process and file)."""
        names = self._defines.get(path)
        if names is None:
            names = self._defines[path] = frozenset(_DEF_LINE.findall(read_head(path)))
        return name.encode() in names

    def subclasses(self, name: str) -> List[Tuple[str, str]]:
        """Every class of the project deriving from a class named `name`, directly or not: (file,
        class name), by the names in their `class X(Base):` lines (read as text, once per process)."""
        out: List[Tuple[str, str]] = []
        seen = {name}
        todo = [name]
        while todo:
            for path, sub in self._class_index().get(todo.pop(0), ()):
                out.append((path, sub))
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        return out

    def _class_index(self) -> Dict[str, List[Tuple[str, str]]]:
        """Base class name -> its project subclasses (and `_defined`), built on first use."""
        if self._subclasses is None:
            self._subclasses = self._index_classes()
        return self._subclasses

    def _index_classes(self) -> Dict[str, List[Tuple[str, str]]]:
        """One read of every project file: its `class X(Base):` lines (`subclasses`, `class_files`)."""
        index: Dict[str, List[Tuple[str, str]]] = {}
        for path in self.files():
            text = read_head(path)
            if len(text) > MAX_MODULE_BYTES:
                continue  # not followed into
            for m in CLASS_LINE.finditer(text):
                name = m.group(1).decode("ascii", "replace")
                self._defined.setdefault(name, []).append(path)
                for base_name in _BASE_NAME.findall(m.group(2)):
                    index.setdefault(base_name.decode("ascii", "replace"), []).append((path, name))
        return index

    def constructing(self, name: str, near: str) -> List[str]:
        """The project files of the top-level package holding `near` whose text calls the capitalised
        name `name` (constructs a class of that name), from one read of the package's files, made on
        first use; test code left out (a test builds its objects with whatever it likes)."""
        top = self.top_package(near)
        index = self._constructed.get(top)
        if index is None:
            index = self._constructed[top] = {}
            for path in self.package_files(near):
                for called in set(_CONSTRUCTION.findall(read_head(path))):
                    index.setdefault(called.decode("ascii", "replace"), []).append(path)
        return index.get(name, [])

    def package_files(self, near: str) -> List[str]:
        """The production files (test code left out) of the top-level package holding `near`, in
        `files` order; listed once per process and package."""
        top = self.top_package(near)
        found = self._packages_files.get(top)
        if found is None:
            inside = top + os.sep
            found = self._packages_files[top] = [p for p in self.files() if os.path.abspath(p).startswith(inside)
                                                 and not self.is_test_code(p)]
        return found

    def lasting(self, kind: str) -> dict:
        """A memo of answers of one kind that hold for the whole run (answers about the project's
        text, not about parsed trees: nothing in it goes stale when modules are evicted)."""
        return self._lasting.setdefault(kind, {})

    def top_package(self, near: str) -> str:
        """The folder of the top-level package holding the file `near` (its own folder outside packages).
        A folder without `__init__.py` inside a package is a namespace portion of it (`shop/jobs/tasks.py`
        imported as `shop.jobs.tasks` with `shop/__init__.py` and no `shop/jobs/__init__.py`): the
        package holds it."""
        top = os.path.dirname(os.path.abspath(near))
        while self._is_package(os.path.dirname(top)):
            top = os.path.dirname(top)
        return top

    def is_test_code(self, path: str) -> bool:
        """Test code by the built-in test paths (`tests/`, `test_*.py`, ...), relative to the scanned
        root that holds it, or by a module-level pytest / unittest import."""
        from .discover import builtin_test_path, imports_test_framework

        full = os.path.abspath(path)
        roots = [os.path.abspath(r) for r in self.scanned]
        root = next((r for r in roots if full.startswith(r.rstrip(os.sep) + os.sep)), os.path.dirname(full))
        rel = os.path.relpath(full, root if os.path.isdir(root) else os.path.dirname(root)).replace(os.sep, "/")
        return builtin_test_path(rel) or imports_test_framework(read_head(path))

    def files(self) -> List[str]:
        """Every `.py` file of the scanned trees (a file named alone: its folder's), in a fixed
        order, skipped folders left out; listed once per process."""
        if self._project_files is None:
            from .discover import is_skipped_dir

            out: List[str] = []
            seen: set = set()
            for base in self.scanned:
                if os.path.isfile(base):
                    base = os.path.dirname(base)  # a file named alone: its package's neighbours
                for top, dirs, files in os.walk(base):
                    dirs[:] = sorted(d for d in dirs if not is_skipped_dir(os.path.join(top, d), d))
                    for file in sorted(files):
                        path = os.path.join(top, file)
                        if file.endswith(".py") and path not in seen:
                            seen.add(path)
                            out.append(path)
            self._project_files = out
        return self._project_files

    def files_calling(self, name: str, near: str) -> Tuple[str, ...]:
        """The files of the top-level package holding `near` (its folder, for a module in no
        package) whose text calls something named `name` (`name(` or `.name(`), read as text once
        per process, package and name. Callers in other top-level packages are not looked for."""
        top = self.top_package(near)
        key = (top, name)
        found = self._calling.get(key)
        if found is None:
            word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\s*\(")
            inside = top + os.sep
            found = tuple(p for p in self.files() if os.path.abspath(p).startswith(inside)
                          and word.search(read_head(p)) is not None)
            self._calling[key] = found
        return found

    def holds(self, path: Optional[str]) -> bool:
        """True if the module at `path` is one of the parsed modules kept (its node ids are stable)."""
        return path is not None and os.path.abspath(path) in self._modules

    # -- resolving origins ---------------------------------------------------------------
    def locate(self, origin: str, importer: Optional[str],
               broker_only: bool = False) -> Optional[Tuple[Loaded, List[Tuple[str, bool]]]]:
        """Split `origin` into the longest prefix that is a project module and the rest, and load
        that module.

        The rest is a list of (name, called) pairs: `Billing().charge` -> [("Billing", True), ("charge", False)].
        """
        found = self.find(origin, importer)
        if found is None:
            return None
        loaded = self.load(found[0], broker_only)
        return (loaded, found[1]) if loaded is not None else None

    def find(self, origin: str, importer: Optional[str]) -> Optional[Tuple[str, List[Tuple[str, bool]]]]:
        """`locate` without loading: (the module's file, the rest)."""
        level = len(origin) - len(origin.lstrip("."))
        parts: List[Tuple[str, bool]] = []
        for text in origin[level:].split("."):
            m = _PART.match(text)
            if m is None:
                return None  # subscripts and other shapes the tool cannot follow
            parts.append((m.group(1), bool(m.group(2))))
        prefix = "." * level
        for k in range(len(parts) - 1, -1, -1):
            if any(called for _, called in parts[:k]):
                continue
            if k == 0 and not level:
                break
            name = prefix + ".".join(n for n, _ in parts[:k])
            path = self.module_file(name, importer)
            if path is not None:
                if importer and os.path.abspath(path) == os.path.abspath(importer):
                    return None
                return path, parts[k:]
        return None

    @property
    def origins(self):
        if self._origins is None:
            from .origins import Origins

            self._origins = Origins(self)
        return self._origins

    def expand(self, origin: str, importer: Optional[str]) -> Optional[str]:
        """What a project origin stands for (see `origins.Origins.expand`)."""
        return self.origins.expand(origin, importer)

    def is_project_origin(self, origin: str, importer: Optional[str]) -> bool:
        from .origins import is_project_origin

        return is_project_origin(self, origin, importer)

    def inherited_attribute(self, index, cls, name: str) -> Optional[str]:
        return self.origins.inherited_attribute(index, cls, name)


def _skeleton_index(source: bytes, project: "Project", path: str) -> Optional[object]:
    """The index of a callee module from its skeleton (`thin`: bodies parsed when first used), or
    None when it is better parsed whole. A callee module is read for one function, a base class's
    attributes or a factory's `return`: most of its bodies are never needed."""
    from .analysis import ParseFailure, parse
    from .index import ModuleIndex, ThinningMismatch
    from .thin import plan

    thinning = plan(source)
    if thinning is None:
        return None
    try:
        return ModuleIndex(parse(thinning.source), project, path, thinning=thinning)
    except (ParseFailure, ThinningMismatch):
        return None  # the two parsers disagree about this module: parse it whole


def digest(source: bytes) -> str:
    """A module's content digest as recorded in cache entries (the cache's own, in hex)."""
    from .cache import module_digest

    return module_digest(source)
