"""The consumer inventory (`idemlint consumers`): every detected consumer and producer as a plain record.

Every role is listed (production, test and example code; each record says which). For each
consumer: where it is, its library, how it acks, how it deduplicates, what its transaction
covers, what it does (side effects by kind) and the findings the rules report on it. For each
producer: where it sends and how a consumer can recognise a repeat of its message. Records hold
positions and strings only (they pickle, so files can be analysed in worker processes) and the
JSON document built from them is stable (`schema_version`, documented in README.md).

Files are discovered, read, size-checked and prefiltered exactly as `idemlint check` does; the
findings are the same findings, after the same inline suppressions and configuration filters.
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .records import dataclass
from . import __version__
from .config import Config
from .discover import PRODUCTION, ROLES, TEST, SourceFile, discover, imports_test_framework, may_be_test_support
from .findings import FileError, FileResult, Finding, ParseFailure

SCHEMA_VERSION = 1
GROUPS = ("file", "library")

# Called once per file when it is done: (files in the run, whether it was parsed, its findings).
Progress = Callable[[int, bool, int], None]


@dataclass(frozen=True)
class Aspect:
    """One column of a consumer: a `kind` from a fixed vocabulary, what was seen, and its line (0: none)."""

    kind: str
    label: str
    detail: str = ""
    line: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "detail": self.detail, "line": self.line}


@dataclass(frozen=True)
class EffectRecord:
    """Something the handler does that a redelivery repeats. `line` is where it happens (0: in
    another file), `call_line` the line of the handler's own call that leads there (0: direct),
    `count` how many of the analysis's events are this same effect."""

    kind: str
    what: str
    line: int
    call_line: int = 0
    via: Tuple[str, ...] = ()
    count: int = 1

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "line": self.line, "call_line": self.call_line,
                "via": list(self.via), "count": self.count}

    def shown(self) -> Tuple[str, str, int]:
        """What a table shows of it: kind, the helper it is in (or ""), the line."""
        return self.kind, self.via[-1] if self.via else "", self.call_line or self.line


def distinct(effects: Iterable[EffectRecord], key: Callable[[EffectRecord], Any]) -> List[EffectRecord]:
    """`effects` with those of the same `key` merged into the first, their counts added, in order."""
    merged: Dict[Any, EffectRecord] = {}
    for effect in effects:
        k = key(effect)
        merged[k] = replace(merged[k], count=merged[k].count + effect.count) if k in merged else effect
    return list(merged.values())


@dataclass(frozen=True)
class ConsumerRecord:
    path: str
    line: int
    column: int
    symbol: str
    library: str
    ack: Aspect
    dedup: Aspect
    transaction: Aspect
    effects: Tuple[EffectRecord, ...] = ()  # distinct, each with its count
    evidence: Tuple[str, ...] = ()
    findings: Tuple[Finding, ...] = ()
    role: str = PRODUCTION  # of its file: production, test or example code

    def to_dict(self) -> Dict[str, Any]:
        return {
            "path": self.path, "line": self.line, "column": self.column, "symbol": self.symbol,
            "library": self.library, "role": self.role, "ack": self.ack.to_dict(), "dedup": self.dedup.to_dict(),
            "transaction": self.transaction.to_dict(), "effects": [e.to_dict() for e in self.effects],
            "evidence": list(self.evidence), "findings": [finding_summary(f) for f in self.findings],
        }


@dataclass(frozen=True)
class ProducerRecord:
    path: str
    line: int
    column: int
    symbol: str
    library: str
    call: str
    destination: str
    identified: bool
    identification: str
    evidence: Tuple[str, ...] = ()
    findings: Tuple[Finding, ...] = ()
    role: str = PRODUCTION

    def to_dict(self) -> Dict[str, Any]:
        return {
            "path": self.path, "line": self.line, "column": self.column, "symbol": self.symbol,
            "library": self.library, "role": self.role, "call": self.call, "destination": self.destination,
            "identified": self.identified, "identification": self.identification,
            "evidence": list(self.evidence), "findings": [finding_summary(f) for f in self.findings],
        }


@dataclass(frozen=True)
class FileInventory:
    path: str
    consumers: Tuple[ConsumerRecord, ...] = ()
    producers: Tuple[ProducerRecord, ...] = ()
    errors: Tuple[FileError, ...] = ()
    parsed: bool = False
    role: str = PRODUCTION


@dataclass
class Inventory:
    files: int = 0
    parsed: int = 0
    consumers: List[ConsumerRecord] = field(default_factory=list)
    producers: List[ProducerRecord] = field(default_factory=list)
    errors: List[FileError] = field(default_factory=list)

    def findings(self) -> List[Finding]:
        """Every finding attached to a consumer or producer, each once, sorted."""
        seen: Dict[tuple, Finding] = {}
        for unit in [*self.consumers, *self.producers]:
            for f in unit.findings:
                seen[(f.sort_key(), f.message)] = f
        return [seen[k] for k in sorted(seen)]


def finding_summary(finding: Finding) -> Dict[str, Any]:
    return {"rule": finding.rule, "name": finding.name, "confidence": finding.confidence.label,
            "line": finding.line, "column": finding.column, "message": finding.message}


# --- one file --------------------------------------------------------------------------------------


def inventory_source(source: bytes, path: str, config: Optional[Config] = None, project: Any = None,
                     file_path: Optional[str] = None) -> FileInventory:
    """The consumers and producers of one source (shown as `path`); never raises.

    With a `project` and the file's real `file_path`, handlers are followed into the project's
    other modules, as `check` does."""
    from . import patterns as user_patterns
    from . import stack

    config = config or Config()
    if project is not None:
        project.start_file()
    user_patterns.activate(config.patterns)
    try:
        return stack.with_big_stack(_inventory, source, path, config, project, file_path)
    except ParseFailure as e:
        error = FileError(path, e.message, kind=e.kind, line=e.line)
    except (RecursionError, MemoryError):
        error = FileError(path, "too deeply nested or too large to analyse", kind="skipped")
    except Exception as e:  # noqa: BLE001 - the per-file boundary, as in `check`
        import traceback  # only for a crash: not loaded at start-up

        from .crash import internal_error_message

        detail = traceback.format_exc() if config.verbose else ""
        error = FileError(path, internal_error_message(e), kind="internal", traceback=detail)
    return FileInventory(path, errors=(error,))


def _inventory(source: bytes, path: str, config: Config, project: Any = None,
               file_path: Optional[str] = None) -> FileInventory:
    from .gate import may_hold_units
    from .origins import adjacent_words

    if not may_hold_units(source, adjacent_words(project, file_path, source), project,
                          file_path if project is not None else None):
        return FileInventory(path, parsed=True)  # without loading libcst (see `lazyimport`)
    from . import describe, suppress
    from .analysis import detect, parse, unit_findings
    from .positions import resolve

    module = parse(source)
    facts = detect(module, project, file_path if project is not None else None)
    if not facts.consumers and not facts.producers:
        return FileInventory(path, parsed=True)
    pairs = unit_findings(module, source, path, facts)
    kept, _ = suppress.apply([f for _, f in pairs], source, path, config)
    kept_ids = {id(f) for f in kept}
    by_unit: Dict[int, List[Finding]] = {}
    for unit, finding in pairs:
        if id(finding) in kept_ids:
            by_unit.setdefault(id(unit), []).append(finding)

    scopes = describe.ScopeFinder(module)
    shapes = []
    for consumer in facts.consumers:
        aspects = (describe.ack_aspect(consumer), describe.dedup_aspect(consumer, facts.index),
                   describe.transaction_aspect(consumer, scopes))
        shapes.append((consumer, aspects, describe.actions(consumer)))
    # a handler defined in another module is listed at its registration here (`Consumer.elsewhere`)
    names = [c.elsewhere.anchor if c.elsewhere is not None else c.function.node.name  # type: ignore[attr-defined]
             for c in facts.consumers]
    wanted = names + [p.call for p in facts.producers]
    for _, aspects, actions in shapes:
        wanted += [a.node for a in aspects if a.node is not None]
        wanted += [e.node for e in actions] + [e.call_node for e in actions if e.call_node is not None]
    positions = resolve(module, source, wanted)

    def line(node: Any) -> int:
        return positions[node].start.line if node is not None and node in positions else 0

    consumers = []
    for name, (consumer, (ack, dedup, txn), actions) in zip(names, shapes):
        effects = tuple(distinct(
            (EffectRecord(describe.effect_kind(e), e.what, line(e.node), line(e.call_node) if e.chain else 0, e.chain)
             for e in actions), key=lambda e: e))
        consumers.append(ConsumerRecord(
            path=path, line=line(name), column=positions[name].start.column + 1, symbol=consumer.symbol,
            library=consumer.library,
            ack=Aspect(ack.kind, describe.ACK_LABELS.get(ack.kind, ack.kind), ack.detail, line(ack.node)),
            dedup=Aspect(dedup.kind, describe.DEDUP_LABELS[dedup.kind], dedup.detail, line(dedup.node)),
            transaction=Aspect(txn.kind, describe.TRANSACTION_LABELS[txn.kind], txn.detail, line(txn.node)),
            effects=effects, evidence=tuple(describe.unique(consumer.evidence)),
            findings=tuple(sorted(by_unit.get(id(consumer), ()), key=Finding.sort_key)),
        ))
    producers = []
    for producer in facts.producers:
        rng = positions[producer.call]
        producers.append(ProducerRecord(
            path=path, line=rng.start.line, column=rng.start.column + 1, symbol=producer.symbol,
            library=producer.library, call=producer.what, destination=describe.destination(producer),
            identified=producer.has_id, identification=describe.identification(producer, facts.index),
            evidence=tuple(describe.unique(producer.evidence)),
            findings=tuple(sorted(by_unit.get(id(producer), ()), key=Finding.sort_key)),
        ))
    consumers.sort(key=lambda c: (c.line, c.column, c.symbol))
    producers.sort(key=lambda p: (p.line, p.column))
    return FileInventory(path, tuple(consumers), tuple(producers), parsed=True)


# --- many files ------------------------------------------------------------------------------------


def _inventory_job(job: Any, config: Config, cache: Any, project: Any) -> Tuple[FileInventory, bool]:
    """One file's inventory, in this process or a worker (`runner.Runner`'s per-file function)."""
    return inventory_source(job.source, job.shown, config, project, job.path), True


def _died(job: Any) -> FileInventory:
    from .runner import WORKER_DIED

    return FileInventory(job.shown, errors=(FileError(job.shown, WORKER_DIED, kind="internal"),))


def _findings(inv: FileInventory) -> int:
    return sum(len(unit.findings) for unit in [*inv.consumers, *inv.producers])


def inventory_files(files: Sequence[SourceFile], config: Config,
                    progress: Optional[Progress] = None, paths: Sequence[str] = ()) -> List[FileInventory]:
    """Inventory `files` in discovery order, in worker processes when `config.jobs` allows and
    enough files mention a broker API: `check`'s runner (`runner.Runner`: its threshold, chunks,
    bound on chunks in flight and retry of a chunk whose worker died). `paths` are source roots
    for following calls across modules, as in `api.lint_files`."""
    from . import api
    from .runner import Job, Results, Runner
    from .stack import engine_gc

    results = Results(len(files), progress, _findings)
    runner = Runner(config, None, results, api.make_project(config, paths), one=_inventory_job, died=_died)
    prefilter = api._with_declared_words(api._lazy(lambda: api._prefilter(None)), config)
    roles = [file.role for file in files]
    try:
        with engine_gc():  # forked workers inherit it
            for index, file in enumerate(files):
                source = api._read(file, config)
                if isinstance(source, FileResult):
                    results[index] = FileInventory(file.display_path, errors=source.errors)
                    continue
                if may_be_test_support(file, config) and imports_test_framework(source):
                    roles[index] = TEST  # as `check` judges it: a module importing pytest or unittest
                if not api._admitted(prefilter, source, runner.project, file.path, declared=bool(config.patterns)):
                    results[index] = FileInventory(file.display_path)
                else:
                    runner.add(Job(index, file.path, file.display_path, source))
            runner.finish()
    except BaseException:
        runner.abort()
        raise
    return [replace(r, role=role) for r, role in zip(results, roles) if r is not None]


def collect(results: Iterable[FileInventory]) -> Inventory:
    out = Inventory()
    for result in results:
        out.files += 1
        out.parsed += int(result.parsed)
        out.consumers.extend(replace(c, role=result.role) for c in result.consumers)
        out.producers.extend(replace(p, role=result.role) for p in result.producers)
        out.errors.extend(result.errors)
    out.consumers.sort(key=lambda c: (c.path, c.line, c.column))
    out.producers.sort(key=lambda p: (p.path, p.line, p.column))
    out.errors.sort(key=lambda e: (e.path, e.line, e.kind, e.message))
    return out


def inventory_paths(paths: Sequence[str], config: Optional[Config] = None,
                    progress: Optional[Progress] = None) -> Inventory:
    """Discover the Python files under `paths` (as `check` does) and inventory each one."""
    from .config import load_config

    config = config or load_config(paths)
    return collect(inventory_files(discover(paths, config), config, progress, paths))


# --- the JSON document -------------------------------------------------------------------------------


def to_document(inventory: Inventory) -> Dict[str, Any]:
    """The `idemlint consumers --format json` document (shape documented in README.md)."""
    libraries: Dict[str, Dict[str, int]] = {}
    roles = {role: {"consumers": 0, "producers": 0} for role in ROLES}
    for unit, key in [(c, "consumers") for c in inventory.consumers] + [(p, "producers") for p in inventory.producers]:
        counts = libraries.setdefault(unit.library, {"consumers": 0, "producers": 0})
        counts[key] += 1
        roles[unit.role][key] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "version": __version__,
        "consumers": [c.to_dict() for c in inventory.consumers],
        "producers": [p.to_dict() for p in inventory.producers],
        "errors": [e.to_dict() for e in inventory.errors],
        "summary": {
            "files": inventory.files,
            "parsed": inventory.parsed,
            "consumers": len(inventory.consumers),
            "consumers_with_findings": sum(1 for c in inventory.consumers if c.findings),
            "producers": len(inventory.producers),
            "producers_without_id": sum(1 for p in inventory.producers if not p.identified),
            "errors": len(inventory.errors),
            "by_library": dict(sorted(libraries.items())),
            "by_role": roles,
        },
    }


def role_column(inventory: Inventory, group_by: str) -> bool:
    """Whether the tables need a Role column: grouped by library, when test or example code is
    listed. (Grouped by file, the heading of a file that is not production code names its role.)"""
    return group_by == "library" and any(u.role != PRODUCTION for u in [*inventory.consumers, *inventory.producers])


def role_note(units: Iterable[Any]) -> str:
    """` (test code)` for a file's heading when its units are not production code, else ""."""
    role = next((unit.role for unit in units), PRODUCTION)
    return "" if role == PRODUCTION else f" ({role} code)"


def grouped(inventory: Inventory, group_by: str) -> List[Tuple[str, List[ConsumerRecord], List[ProducerRecord]]]:
    """(heading, consumers, producers) for `--group-by file` (the path) or `library`, headings sorted."""
    groups: Dict[str, Tuple[List[ConsumerRecord], List[ProducerRecord]]] = {}
    for consumer in inventory.consumers:
        key = consumer.library if group_by == "library" else consumer.path
        groups.setdefault(key, ([], []))[0].append(consumer)
    for producer in inventory.producers:
        key = producer.library if group_by == "library" else producer.path
        groups.setdefault(key, ([], []))[1].append(producer)
    return [(key, *groups[key]) for key in sorted(groups)]
