"""Project-wide origins: the library object a project name stands for, through the project's layers.

`index.ModuleIndex.resolve` turns an expression into a dotted origin through one module's imports and
assignments. When that origin names the project's own code (`.factories.init_consumer()`,
`shop.clients.sqs`, `.pipeline.Pipeline().channel`), the project is asked what is behind it:

    self.consumer = init_consumer(cfg)        # init_consumer (another module) returns Consumer(...)
    -> "confluent_kafka.Consumer()"

    self._pipeline.acknowledge()              # _pipeline set in a base class's __init__
    -> what the base class assigns, resolved in the base class's module

Followed: return values of project functions and methods (and their `yield`s, for a loop over a
generator), instance and class attributes (every method's assignments, project base classes
included), module globals and re-exports, iteration over a project class with `__iter__` /
`__next__`. Nothing is imported or executed, and each answer is a pure function of the files' text:
answers are memoised per process only when no cycle or nesting limit cut them short, so they never
depend on the order in which files are analysed.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple
from .lazyre import lazy_re

if TYPE_CHECKING:  # pragma: no cover
    from .index import ClassInfo, ModuleIndex
    from .project import Loaded, Project

MAX_NESTING = 8  # expansions inside expansions (a factory calling a factory ...)
MAX_MODULE_BYTES = 1_000_000  # larger files are not followed into (nor read past this)
# constructor injection (`Origins.constructed_with`): at most this many project files that construct
# the class, and this many constructions, are read for what they pass
MAX_CONSTRUCTING_FILES = 12
MAX_CONSTRUCTIONS = 8

# Library and standard-library roots: origins under them are never looked for in the project.
LIBRARY_ROOTS = frozenset({
    "confluent_kafka", "kafka", "aiokafka", "pika", "aio_pika", "aiormq", "kombu", "boto3", "botocore",
    "aiobotocore", "aioboto3", "google", "azure", "nats", "redis", "aioredis", "pulsar", "stomp", "celery",
    "dramatiq", "rq", "arq", "taskiq", "huey", "faststream", "propan", "aws_lambda_powertools", "requests",
    "httpx", "aiohttp", "urllib3", "stripe", "braintree", "twilio", "sendgrid", "django", "flask",
    "flask_sqlalchemy", "sqlalchemy", "sqlmodel", "psycopg2", "psycopg", "asyncpg", "aiosqlite", "peewee",
    "tortoise", "pymongo", "motor", "elasticsearch", "opensearchpy", "googleapiclient", "oslo_messaging",
    "taskiq_redis", "taskiq_aio_pika", "taskiq_nats", "beanie", "playhouse", "slack_sdk", "firebase_admin",
    "aiosmtplib", "aiogram", "fedora_messaging", "django_redis", "flask_redis", "valkey", "workflows",
})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"typing_extensions", "pydantic", "attr", "attrs"}
# roots never looked for in the project: the libraries above, the standard library and typing helpers
NOT_PROJECT = LIBRARY_ROOTS | _STDLIB
# the words of broker client libraries' module names (what `adjacent` reports; the gate's adapters
# look for them beside an ack or produce name)
BROKER_WORDS = frozenset({
    "confluent_kafka", "kafka", "aiokafka", "pika", "aio_pika", "aiormq", "kombu", "boto3", "botocore",
    "aiobotocore", "aioboto3", "pubsub_v1", "pubsub", "servicebus", "nats", "js", "redis", "pulsar", "stomp",
    "celery", "dramatiq", "rq", "arq", "taskiq", "huey", "faststream", "propan", "aws_lambda_powertools",
    "googleapiclient", "taskiq_redis", "taskiq_aio_pika", "taskiq_nats", "fedora_messaging",
    "django_redis", "flask_redis", "valkey", "workflows",
    # azure-storage-queue's clients, imported by name (its module words, `azure.storage.queue`, are
    # every Azure SDK's and the stdlib's `queue`)
    "QueueClient", "QueueServiceClient", "QueueService",
})

# Receives a project module makes for the modules that import it (`SqsMessageStream.__next__` calls
# `receive_messages()`; the module that loops over the stream calls `message.delete()`): what the
# engine's first pass needs beside such an ack (`detect.sqs`'s `gate_needs`).
RECEIVE_WORDS = frozenset({"receive_messages", "receive_message", "basic_consume", "basic_get", "xreadgroup",
                           "get_queue_receiver", "get_subscription_receiver", "pull_subscribe"})
_RECEIVE_BYTES = tuple(w.encode() for w in sorted(RECEIVE_WORDS))
_RECEIVE_WORD = lazy_re(rb"\b(?:" + b"|".join(w.encode() for w in sorted(RECEIVE_WORDS)) + rb")\b")
# frameworks whose decorators make a function a handler (a project decorator wrapping one of them)
FRAMEWORK_WORDS = frozenset({"celery", "dramatiq", "faststream", "taskiq", "taskiq_redis", "taskiq_aio_pika",
                             "taskiq_nats", "huey", "rq", "arq", "propan",
                             "aws_lambda_powertools", "nats", "aio_pika", "kombu"})
# `adjacent`: the module decorates a function with a name it imports from a project module that
# reaches a broker library (an in-house `@task(...)` wrapping Celery's)
DECORATED = "@decorated"
# `adjacent`: a class of the module derives from a name it imports from such a module
SUBCLASSED = "@subclassed"
_ACK_WORD = lazy_re(rb"\b(?:\w*_)?(?:ack|acknowledge|commit|complete|settle|xack|lrem|delete_message)(?:_\w+)?\("
                    rb"|\b(?:AIO)?KafkaConsumer\s*\(")
# (a Kafka consumer made in the module: its loops may auto-commit after a hook, with no ack call)
# `adjacent`: the module calls a publishing function a module near a broker defines
PUBLISHING = "@publishing"
# `adjacent`: the module publishes or subscribes through an object a class of it is given, which a
# module of its package that constructs the class builds near a broker (`Origins._injected_broker`)
INJECTED = "@injected"
# `adjacent`: the module calls a function a module it imports defines that pops off a Redis list
# (`item = self.queue.dequeue()`): it receives through it (`detect.redis_lists`' popping helpers)
RECEIVING = "@receiving"
_DEF = lazy_re(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.M)
_POP_CALL = lazy_re(rb"\.(?:b?[lr]pop|b?lmpop|brpoplpush|blmove)\s*\(")
# a library's publish called in a module's text (`.send_message(`, `.basic_publish(`, `.xadd(`)
_SEND_CALL = lazy_re(rb"\.(?:send_messages?|send_message_batch|publish(?:_async)?|basic_publish|produce|xadd|"
                        rb"[lr]pushx?|send_and_wait|send_batch|put_message)\s*\(")
# helpers named for putting a message on a queue (`add_to_queue`, `push_to_queue`, `queue_event`)
QUEUE_HELPER = r"(?:add|put|push|append)_\w*queue|queue_(?:message|event|task|job|notification)s?"
_PUBLISHER_DEF = lazy_re(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+(_*(?:(?:publish|emit|produce|enqueue|send)\w*|"
                            + QUEUE_HELPER.encode() + rb"))[ \t]*\(", re.M)
# `self._transport.publish(`, `await self.producer.send_message(`: a publish on an attribute; or a
# subscription through it, given a callback (`self._transport.subscribe(subject, _on_message)`)
INJECTED_USE = lazy_re(rb"\bself\.\w+\.(?:_*(?:publish|emit|produce|enqueue|send)\w*|xadd\w*|lpush|rpush"
                          rb"|subscribe\w*|consume\w*)\s*\(")
# `class Name:` or `class Name(...)` at the start of a line
_ANY_CLASS = lazy_re(rb"^[ \t]*class[ \t]+(\w+)[ \t]*[(:]", re.M)
# a parameter declared with a capitalised class name (`provider: Provider`, `bus: "EventBus" = None`)
_DECLARED = lazy_re(rb"\b[a-z_]\w*[ \t]*:[ \t]*['\"]?([A-Z]\w*)['\"]?[ \t]*[,)=]")
# `_injected_broker`: the modules constructing a class read at most
MAX_CONSTRUCTORS = 8
# `class Name(Base, ...):` lines: (the name, the text of its bases)
CLASS_LINE = lazy_re(rb"^[ \t]*class[ \t]+(\w+)[ \t]*\(([^)]*)\)", re.M)
_PART = lazy_re(r"^([A-Za-z_][A-Za-z0-9_]*)(\([^()]*\))?$")
_SUFFIX = lazy_re(r"((?:\[[^\[\]]*\])*)$")
_ITEM = lazy_re(r"\[(\d+)\]")  # an element of a tuple, by its place: `f()[0]`
# an import of a library root in a module's text: the module may build a library object
_IMPORT_LINE = lazy_re(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([^\n#;]*))|import[ \t]+([^\n#;]+))", re.M)


def _defs_calling(text: bytes, call: "re.Pattern[bytes]") -> FrozenSet[str]:
    """The names of the functions in a module's text whose text (up to the next `def`) holds `call`."""
    starts = list(_DEF.finditer(text)) if call.search(text) else []
    names = set()
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        if call.search(text, m.end(), end):
            names.add(m.group(1).decode())
    return frozenset(names)


def root_of(origin: str) -> str:
    return re.split(r"[.(\[]", origin, maxsplit=1)[0]


def is_project_origin(project: "Project", origin: str, importer: Optional[str]) -> bool:
    """True if `origin` starts in the project's own code (a relative import, or a module the
    project holds), not in a library."""
    if origin.startswith("."):
        return True
    root = root_of(origin)
    if not root or root in NOT_PROJECT:
        return False
    return project.module_file(root, importer) is not None


def split(origin: str) -> Optional[Tuple[str, List[Tuple[str, bool]], str]]:
    """`.a.B().c[]` -> (".", [("a", False), ("B", True), ("c", False)], "[]"); None for shapes the
    project cannot follow (a subscript in the middle, an odd part)."""
    suffix = _SUFFIX.search(origin).group(1)  # type: ignore[union-attr]
    body = origin[: len(origin) - len(suffix)] if suffix else origin
    level = len(body) - len(body.lstrip("."))
    parts: List[Tuple[str, bool]] = []
    for text in body[level:].split("."):
        m = _PART.match(text)
        if m is None:
            return None
        parts.append((m.group(1), m.group(2) is not None))
    return "." * level, parts, suffix


def library_imports(text: bytes) -> Tuple[Set[str], List[str]]:
    """(the words of the libraries a module's text imports, the other modules it imports by name).

    Only lines that start with `import` or `from`; a name imported from a library module counts
    too (`from google.cloud import pubsub_v1`)."""
    words: Set[str] = set()
    others: List[str] = []
    for m in import_statements(text):
        if m.group(1) is not None:
            module = m.group(1).decode("ascii", "replace")
            names = _names(m.group(2) if m.group(2) is not None else m.group(3))
            if module.startswith(".") or root_of(module) not in NOT_PROJECT:
                if module.strip("."):
                    others.append(module)
                    others.extend(f"{module}.{n}" for n in names)  # `from pkg import submodule`
                else:  # `from . import a, b`: the package's modules
                    others.extend(module + n for n in names)
            elif root_of(module) in LIBRARY_ROOTS:
                words.update(module.split("."))
                words.update(names)
        else:
            for item in m.group(4).decode("ascii", "replace").split(","):
                module = item.strip().split(" ")[0]
                if not module:
                    continue
                if root_of(module) in LIBRARY_ROOTS:
                    words.update(module.split("."))
                elif root_of(module) not in NOT_PROJECT:
                    others.append(module)
    return words, others


def import_statements(text: bytes):
    """The import statements of a module's text, by a scan for the word `import` (six times faster
    than a line-anchored regex over the whole text: most lines hold no import)."""
    i = text.find(b"import")
    while i != -1:
        start = text.rfind(b"\n", 0, i) + 1
        m = _IMPORT_LINE.match(text, start)
        if m is not None:
            yield m
            i = text.find(b"import", max(m.end(), i + 6))
        else:
            i = text.find(b"import", i + 6)


def imported_names(source: bytes) -> Dict[str, str]:
    """{the name an import binds in the module: the dotted name it stands for}: `from .base import
    Bot as B` -> {"B": ".base.Bot"}, `import pkg.mod as m` -> {"m": "pkg.mod"}, `import pkg.mod` ->
    {"pkg": "pkg"}."""
    out: Dict[str, str] = {}
    for m in import_statements(source):
        if m.group(1) is not None:
            module = m.group(1).decode("ascii", "replace")
            raw = (m.group(2) if m.group(2) is not None else m.group(3)).decode("ascii", "replace")
            for part in raw.replace("(", " ").replace(")", " ").replace("\\", " ").split(","):
                words = part.split()
                if not words or words[0] == "*":
                    continue
                local = words[2] if len(words) == 3 and words[1] == "as" else words[0]
                out[local] = (module if module.endswith(".") else module + ".") + words[0]
        else:
            for part in m.group(4).decode("ascii", "replace").split(","):
                words = part.split()
                if not words:
                    continue
                if len(words) == 3 and words[1] == "as":
                    out[words[2]] = words[0]
                else:
                    out[words[0].partition(".")[0]] = words[0].partition(".")[0]
    return out


def receive_words(text: bytes) -> Set[str]:
    """The receive calls named in a module's text (a plain search for each word first: most modules
    name none, and a word-boundary regex would be tried at every position)."""
    if not any(word in text for word in _RECEIVE_BYTES):
        return set()
    return {m.group(0).decode() for m in _RECEIVE_WORD.finditer(text)}


def _names(raw: Optional[bytes]) -> List[str]:
    if not raw:
        return []
    text = raw.decode("ascii", "replace").replace("(", " ").replace(")", " ").replace("\\", " ")
    return [part.strip().split(" ")[0] for part in text.split(",") if part.strip() and part.strip() != "*"]


class _Module(NamedTuple):
    """A module's file and dotted name: what `_absolute` reads of a `Loaded`."""

    path: str
    name: str


def _absolute(origin: str, loaded: "Loaded | _Module") -> str:
    """An origin relative to the module `loaded` (`.sqs.SqsPublisher()` in a package's `__init__`),
    made absolute from that module's dotted name, so that the importer reads it as that module
    meant it (unchanged when the origin is absolute or the module's name is unknown)."""
    if not origin.startswith(".") or not loaded.name:
        return origin
    level = len(origin) - len(origin.lstrip("."))
    package = loaded.name if os.path.basename(loaded.path) == "__init__.py" else loaded.name.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    if not package:
        return origin  # above the top package: leave it as it was
    return package + "." + origin[level:]


def caller_files(project: "Project", func, path: Optional[str]) -> List[str]:
    """The production files that may call `func` (defined in the module at `path`): those whose text
    calls its name (`Project.files_calling`) and that are its own module or name its module or its
    class (an import, a factory's module). Test code is left out: a test passes what it likes."""
    if path is None:
        return []
    home = os.path.abspath(path)
    words = [os.path.splitext(os.path.basename(path))[0], func.class_name or ""]
    needles = [w.encode() for w in words if w and w != "__init__"]
    return [f for f in project.files_calling(func.name, path)
            if (os.path.abspath(f) == home or any(w in read_head(f) for w in needles)) and not project.is_test_code(f)]


def adjacent_words(project: Optional["Project"], path: Optional[str], source: bytes) -> FrozenSet[str]:
    """`Origins.adjacent` of the module at `path`: nothing without a project and a file, or when it
    fails (it is only a way past the prefilter: the engine decides)."""
    if project is None or not path:
        return frozenset()
    try:
        return project.origins.adjacent(path, source)
    except Exception:  # noqa: BLE001
        return frozenset()


def read_head(path: str, limit: int = MAX_MODULE_BYTES + 1) -> bytes:
    """The first `limit` bytes of the file at `path` (nothing if it cannot be read): its text, for
    the questions answered from text alone, never parsed."""
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return b""


def render(parts: List[Tuple[str, bool]]) -> str:
    return "".join(f".{name}()" if called else f".{name}" for name, called in parts)


class Origins:
    """The project's memo of expanded origins (one per `Project`, per process)."""

    def __init__(self, project: "Project") -> None:
        self.project = project
        self.memo: Dict[Tuple[str, str], Optional[str]] = {}
        self.active: List[Tuple[str, str]] = []
        self.cuts = 0  # answers cut short by a cycle or the nesting limit (never memoised above them)
        self.carriers: Dict[Tuple[str, int], FrozenSet[str]] = {}
        self.imports: Dict[str, Tuple[FrozenSet[str], Tuple[str, ...]]] = {}
        self.ackers: Dict[str, bool] = {}
        self.publishers: Dict[str, FrozenSet[str]] = {}
        self.poppers: Dict[str, FrozenSet[str]] = {}  # `poppers_of`
        self.senders: Dict[str, FrozenSet[str]] = {}  # `senders_of`
        self.adjacents: Dict[Tuple[str, int], FrozenSet[str]] = {}

    # -- the questions ------------------------------------------------------------------
    def expand(self, origin: str, importer: Optional[str]) -> Optional[str]:
        """What the project origin `origin` (as resolved in the module `importer`) stands for, or
        None when the project cannot tell more than `origin` itself."""
        project = self.project
        if not is_project_origin(project, origin, importer):
            return None
        return self._guarded((origin, os.path.abspath(importer) if importer else ""), self._expand, origin, importer)

    def _guarded(self, key: tuple, compute, *args) -> Optional[str]:
        """`compute(*args)`, memoised under `key`, unless a cycle or the nesting limit cut it short
        (then None, and no answer below it is memoised either)."""
        if key in self.memo:
            return self.memo[key]  # type: ignore[index]
        if key in self.active or len(self.active) >= MAX_NESTING:
            self.cuts += 1
            return None
        cuts = self.cuts
        self.active.append(key)  # type: ignore[arg-type]
        try:
            result = compute(*args)
        finally:
            self.active.pop()
        if self.cuts == cuts:
            self.memo[key] = result  # type: ignore[index]
        return result

    def inherited_attribute(self, index: "ModuleIndex", cls: "ClassInfo", name: str) -> Optional[str]:
        """`self.<name>` where the class does not assign it: what its nearest project base class
        that assigns (or annotates) it says."""
        from .facts import callees

        key = (id(cls.node), name)
        memo = index.inherited  # on the index: gone with its tree, so node ids are never reused
        if key in memo:
            return memo[key]
        memo[key] = None  # a base class chain that comes back here adds nothing
        found = None
        for base, base_index, base_path in callees.base_classes(cls, index, self.project, index.path):
            if name in base.attr_values or name in base.annotations:
                found = base_index.attribute(base, name)
                if found and found.startswith(".") and base_path and base_index is not index:
                    # `from .backend import KartonBackend` in the base's module: relative to that module
                    found = _absolute(found, _Module(base_path, self.project.module_name(base_path)))
                break
        memo[key] = found
        return found

    def constructed_with(self, index: "ModuleIndex", cls: "ClassInfo", func: object, name: str) -> Optional[str]:
        """`def __init__(self, consumer, messaging): self.messaging = messaging` in a class its own
        module never constructs: what the project's production code passes for the parameter `name`
        where it constructs the class (`NotificationHandler(cfg, messaging.MessagingFactory(cfg))` in
        another module), when every such construction passes the same kind of object (constructor
        injection). None when no construction is found, one passes nothing there or something the
        tool cannot tell, they disagree, or too many files construct a class of that name."""
        if not index.path:
            return None
        home = os.path.abspath(index.path)
        return self._guarded(("constructed", home, cls.name, name), self._constructed_with, home, cls, func, name)

    def _constructed_with(self, home: str, cls: "ClassInfo", func: object, name: str) -> Optional[str]:
        from .detect.base import Ctx
        from .facts import callees

        project = self.project
        # the module's own constructions are `ModuleIndex._from_caller`'s (it found none)
        files = [f for f in project.constructing(cls.name, home) if os.path.abspath(f) != home]

        def runs(call, index, caller, loaded) -> bool:
            target = callees.class_named(call.func, Ctx(index, caller), loaded.path)
            # not another class of the same name
            return target is not None and target[0].name == cls.name and bool(target[2]) \
                and os.path.abspath(target[2]) == home

        return self._passed(files, cls.name, runs, func, name)

    def called_with(self, index: "ModuleIndex", func, name: str) -> Optional[str]:
        """`async def publish_dlq(*, js, subject, body): await js.publish(...)` in a module that never
        calls it: what the project's production code passes for the parameter `name` where it calls
        the function (`publish_dlq(js=self._js, ...)` in another module, `self._js` a JetStream
        context), when every such call passes the same kind of object. Bounded like
        `constructed_with`; None when no call is found or they disagree."""
        if not index.path or func.name.startswith("__"):
            return None
        home = os.path.abspath(index.path)
        return self._guarded(("called", home, func.symbol, name), self._called_with, index, home, func, name)

    def _called_with(self, index: "ModuleIndex", home: str, func, name: str) -> Optional[str]:
        from .detect.base import Ctx
        from .facts import callees

        project = self.project
        files = [f for f in caller_files(project, func, index.path) if os.path.abspath(f) != home]

        def runs(call, caller_index, caller, loaded) -> bool:
            return any(os.path.abspath(t.path or loaded.path) == home and t.func.symbol == func.symbol
                       for t in callees.resolve_all(call.func, Ctx(caller_index, caller), project, loaded.path))

        return self._passed(files, func.name, runs, func, name)

    def _passed(self, files: List[str], called: str, runs, func, name: str) -> Optional[str]:
        """What every call named `called` in `files` that `runs(call, index, caller, loaded)` says
        runs `func` passes for its parameter `name`, when they all pass the same kind of object:
        at most `MAX_CONSTRUCTING_FILES` files and `MAX_CONSTRUCTIONS` calls."""
        from .index import argument
        from .lazyimport import cst

        project = self.project
        if not files or len(files) > MAX_CONSTRUCTING_FILES:
            return None
        found: Set[str] = set()
        sites = 0
        for file in files:
            loaded = project.load(file)
            if loaded is None:
                return None  # a module that calls it and cannot be read: what it passes is unknown
            index = loaded.index
            for caller, call in index.calls_named(called):
                if not runs(call, index, caller, loaded):
                    continue
                sites += 1
                passed = argument(call, func, name)  # type: ignore[arg-type]
                origin = index.resolve(passed, caller) if passed is not None else None
                if origin is None and isinstance(passed, cst.Name) and passed.value == "self" and loaded.name:
                    # `GerritKafkaEventListener(self, config)` in a method: an instance of that class
                    owner = index.class_of(caller)
                    origin = f"{loaded.name}.{owner.name}()" if owner is not None else None
                if origin is None or sites > MAX_CONSTRUCTIONS:
                    return None
                found.add(_absolute(origin, loaded))
        return found.pop() if len(found) == 1 else None

    def carrier(self, path: str, depth: int = 2) -> bool:
        """True if the module at `path` imports a library (or, `depth` imports away, a project module
        that does): only such a module can hand out a library object. Read as text, never parsed."""
        return bool(self.carried(path, depth))

    def carried(self, path: str, depth: int) -> FrozenSet[str]:
        """The libraries the module at `path` imports, and those that the project modules it imports
        import, `depth` imports away: the words of their names (`from google.cloud import pubsub_v1`
        -> google, cloud, pubsub_v1). Read as text, never parsed; memoised per process."""
        key = (os.path.abspath(path), depth)
        if key in self.carriers:
            return self.carriers[key]
        own, project_modules = self._imports_of(key[0])
        words = set(own)
        if depth > 0:
            for sub in project_modules:
                words |= self.carried(sub, depth - 1)
        found = frozenset(words)
        self.carriers[key] = found  # depth falls at each step: no cycle comes back to this key
        return found

    def _imports_of(self, path: str, text: Optional[bytes] = None) -> Tuple[FrozenSet[str], Tuple[str, ...]]:
        """(the library and receive words of the module's text, the files of the project modules it
        imports), read once per process."""
        if path not in self.imports:
            if text is None:
                text = read_head(path)
            words, names = library_imports(text)
            words.update(receive_words(text))
            subs = []
            for name in names:
                sub = self.project.module_file(name, path)
                if sub is not None and sub != path and sub not in subs:
                    subs.append(sub)
            self.imports[path] = (frozenset(words), tuple(subs))
        return self.imports[path]

    def adjacent(self, path: str, source: bytes, depth: int = 3) -> FrozenSet[str]:
        """The broker libraries a module reaches through the project modules it imports (not its
        own imports): a module that polls and commits a consumer built by a project factory names
        no broker itself. The words of their names, as `carried` gives them; once per process and
        file (the prefilter, the first pass and the engine all ask)."""
        path = os.path.abspath(path)
        key = (path, depth)
        if key not in self.adjacents:
            self.adjacents[key] = self._adjacent(path, source, depth)
        return self.adjacents[key]

    def _adjacent(self, path: str, source: bytes, depth: int) -> FrozenSet[str]:
        words: Set[str] = set()
        decorated = False
        for sub in self._imports_of(path, source)[1]:
            words |= self.carried(sub, depth - 1)
        if words & BROKER_WORDS and b"@" in source:
            # `from pkg.tasks import task` then `@task(...)`: a decorator of a module near a broker
            for name in library_imports(source)[1]:
                module, _, attr = name.rpartition(".")
                sub = self.project.module_file(module, path) if module.strip(".") and attr else None
                # the decorator's module itself imports a framework that decorates handlers
                if sub is not None and sub != path and self.carried(sub, 0) & FRAMEWORK_WORDS and re.search(
                        rb"^[ \t]*@" + re.escape(attr.encode()) + rb"\b", source, re.M):
                    decorated = True
                    break
        found = {w for w in words if w in BROKER_WORDS or w in RECEIVE_WORDS}
        if not found & BROKER_WORDS:
            injected = self._injected_broker(path, source)
            if injected:  # `self._transport.publish(...)` on what a constructor elsewhere is given
                found |= injected | {INJECTED}
        if decorated:
            found.add(DECORATED)
        if found & BROKER_WORDS and self._subclasses_near(path, source, depth):
            found.add(SUBCLASSED)
        if found & BROKER_WORDS and self._calls_publisher(path, source):
            found.add(PUBLISHING)
        if found & BROKER_WORDS and self._calls_popper(path, source):
            found.add(RECEIVING)
        return frozenset(found)

    def _injected_broker(self, path: str, source: bytes) -> FrozenSet[str]:
        """Constructor injection: the module publishes or subscribes through an object a class of it
        is given (`def __init__(self, transport): self._transport = transport`, then
        `self._transport.publish(subject, {...})` or `.subscribe(subject, _on_message)`) and imports
        nothing near a broker; the modules of
        its package that construct the class (`EventManager(self._transport)`) do. Their broker
        words, or nothing. Read as text, never parsed."""
        if not INJECTED_USE.search(source):
            return frozenset()
        words: Set[str] = set()
        for name in {m.group(1).decode("ascii", "replace") for m in _ANY_CLASS.finditer(source)}:
            for other in self.project.constructing(name, path)[:MAX_CONSTRUCTORS]:
                if os.path.abspath(other) != path:
                    words |= self.carried(other, 1) & BROKER_WORDS
        if not words:
            # what it is given is declared by a class whose project subclasses reach a broker
            # (`def __init__(self, provider: Provider)`, and `class SQSProvider(Provider)` beside boto3)
            for name in {m.group(1).decode("ascii", "replace") for m in _DECLARED.finditer(source)}:
                for other, _ in self.project.subclasses(name)[:MAX_CONSTRUCTORS]:
                    if os.path.abspath(other) != path:
                        words |= self.carried(other, 1) & BROKER_WORDS
        return frozenset(words)

    def imported_files(self, path: str) -> Tuple[str, ...]:
        """The files of the project modules the module at `path` imports (read as text, once)."""
        return self._imports_of(path)[1]

    def _calls_popper(self, path: str, source: bytes) -> bool:
        """The module calls a function a module it imports defines whose body pops off a Redis list."""
        for sub in self._imports_of(path, source)[1]:
            for name in self.poppers_of(sub):
                if re.search(rb"\b" + re.escape(name.encode()) + rb"\s*\(", source):
                    return True
        return False

    def poppers_of(self, path: str) -> FrozenSet[str]:
        """The functions the module defines whose text (up to the next `def`) pops off a Redis list."""
        if path not in self.poppers:
            self.poppers[path] = _defs_calling(read_head(path), _POP_CALL)
        return self.poppers[path]

    def senders_of(self, path: str) -> FrozenSet[str]:
        """The functions the module defines whose text (up to the next `def`) calls a library's
        publish (`self.out_queue.send_message(...)` in a queue wrapper's `write_one`): publishing
        helpers whatever their names say."""
        if path not in self.senders:
            self.senders[path] = _defs_calling(read_head(path), _SEND_CALL)
        return self.senders[path]

    def _calls_publisher(self, path: str, source: bytes) -> bool:
        """The module calls a publishing function or method (`emit`, `publish_json`, `send_message`)
        that a module it imports defines, that module reaching a broker one import away, or passes
        one on with its arguments (`asyncio.to_thread(self.publisher.publish, message)`)."""
        for sub in self._imports_of(path, source)[1]:
            if not self.carried(sub, 1) & BROKER_WORDS:
                continue
            for name in self._publishers_of(sub):
                if re.search(rb"\b" + re.escape(name.encode()) + rb"\s*[(,]", source):  # called, or passed on
                    return True
        return False

    def _publishers_of(self, path: str) -> FrozenSet[str]:
        """The publishing functions the module defines, and, for a package's `__init__`, those of the
        modules it imports (`from .sns import SnsPublisher`: what its importers reach through it)."""
        if path not in self.publishers:
            text = read_head(path)
            names = {m.group(1).decode() for m in _PUBLISHER_DEF.finditer(text)} | self.senders_of(path)
            self.publishers[path] = frozenset(names)  # first: an import cycle of packages ends here
            if os.path.basename(path) == "__init__.py":
                for sub in self._imports_of(path)[1]:
                    names |= self._publishers_of(sub)
                self.publishers[path] = frozenset(names)
        return self.publishers[path]

    def _subclasses_near(self, path: str, source: bytes, depth: int) -> bool:
        """A class of the module derives from a name it imports from a project module near a broker
        (a bot's `class SqlOutputBot(OutputBot)`): its hooks may be acked by that base class."""
        bases = {name.decode() for m in CLASS_LINE.finditer(source) for name in re.findall(rb"\w+", m.group(2))}
        if not bases:
            return False
        for name in library_imports(source)[1]:
            module, _, attr = name.rpartition(".")
            if not (attr in bases or name.split(".")[-1] in bases):
                continue
            for candidate in (name, module):
                sub = self.project.module_file(candidate, path) if candidate.strip(".") else None
                if sub is not None and sub != path and self.carried(sub, depth - 1) & BROKER_WORDS and self._acks(sub):
                    return True
        return False

    def _acks(self, path: str) -> bool:
        """The module's text names an ack (`commit`, `acknowledge_message`, `basic_ack`, ...): a base
        class there may ack after calling a hook. Read as text, once per process."""
        if path not in self.ackers:
            self.ackers[path] = _ACK_WORD.search(read_head(path)) is not None
        return self.ackers[path]

    # -- following one origin -------------------------------------------------------------
    def _expand(self, origin: str, importer: Optional[str]) -> Optional[str]:
        pieces = split(origin)
        if pieces is None:
            return None
        prefix, parts, suffix = pieces
        found = self.project.find(prefix + ".".join(n + ("()" if c else "") for n, c in parts), importer)
        if found is None:
            return None
        path, rest = found
        if not rest or not (self.carrier(path) or self.project.mentions_broker(path)):
            return None  # a module itself, or one that neither builds nor handles a library object
        loaded = self.project.load(path)
        if loaded is None:
            return None
        return self._follow(loaded, rest, suffix)

    def _follow(self, loaded: "Loaded", rest: List[Tuple[str, bool]], suffix: str) -> Optional[str]:
        from .facts import callees

        index: ModuleIndex = loaded.index  # type: ignore[assignment]
        (name, called), tail = rest[0], rest[1:]
        value: Optional[str] = None
        if name in index.classes and name not in index.module_assigns:
            cls = index.classes[name]
            if not tail:
                return self._iterated_instance(cls, index, loaded.path, suffix) if called and suffix else None
            (attr, attr_called), tail = tail[0], tail[1:]
            if attr_called:
                method = callees._method(cls, attr, index, self.project, loaded.path, 0)
                if method is None:
                    return None
                value, suffix = self._call_value(method.func, method.index, suffix, not tail)
            else:
                value = index.attribute(cls, attr)
        elif name in index.module_functions and name not in index.module_assigns and name not in index.imports:
            if not called:
                return None  # the function itself: `callees` follows calls of it
            value, suffix = self._call_value(index.module_functions[name], index, suffix, not tail)
        elif name in index.module_assigns:
            value = index._resolve_name(name, None, 0)
            if value is not None and called:
                value += "()"
        elif name in index.imports:  # a re-export (`from .clients import sqs` in a package's __init__)
            value = index.imports[name] + ("()" if called else "")
        if value is None:
            return None
        result = value + render(tail) + suffix
        if is_project_origin(self.project, result, loaded.path):
            result = self.expand(result, loaded.path) or result
        return _absolute(result, loaded)  # read from another module: `.sqs.X` means its `.sqs`

    def _call_value(self, func, index: "ModuleIndex", suffix: str, last: bool) -> Tuple[Optional[str], str]:
        """What a call of `func` gives: its return value; for a generator iterated (`[]` after the
        call, the call being the last part), the value it yields."""
        if last and suffix.startswith("[]") and func.yields and not func.returns:
            for value in func.yields:
                origin = index.resolve(value, func)
                if origin is not None:
                    return origin, suffix[2:]
            return None, suffix
        item = _ITEM.match(suffix)
        if item is not None:
            from .lazyimport import cst  # libcst is not loaded for the gate

            # `service, name = make_queue(uri)`: the element of the tuple the function returns
            at = int(item.group(1))
            for value in func.returns:
                if isinstance(value, cst.Tuple) and at < len(value.elements) and \
                        not any(isinstance(e, cst.StarredElement) for e in value.elements):
                    origin = index.resolve(value.elements[at].value, func)
                    if origin is not None:
                        return origin, suffix[item.end():]
        return index.returned(func), suffix

    def _iterated_instance(self, cls: "ClassInfo", index: "ModuleIndex", path: str, suffix: str) -> Optional[str]:
        """`for m in Reader():` over a project class: what its `__next__` returns or its `__iter__` yields."""
        if not suffix.startswith("[]"):
            return None
        from .facts import callees

        for name in ("__next__", "__anext__", "__iter__", "__aiter__"):
            method = callees._method(cls, name, index, self.project, path, 0)
            if method is None:
                continue
            if name in ("__next__", "__anext__"):
                value = method.index.returned(method.func)
            else:
                value, _ = self._call_value(method.func, method.index, "[]", True)
            if value is not None:
                return value + suffix[2:]
        return None

