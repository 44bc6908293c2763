"""The engine's cheap first pass: can a module hold a consumer or a producer at all?

libcst's parse is most of the cost of a scan, and most files that pass the text prefilter
(a trigger word anywhere, comments and docstrings included) hold neither. This pass reads the
names CPython's compiler records for the module (`codewords`) and asks every adapter whether
it could find anything there (`Adapter.may_find`). It needs the adapters' words, not their
libcst code: libcst is not loaded for a module the gate turns away (see `lazyimport`).
"""

from __future__ import annotations

import builtins
import re
from typing import Dict, FrozenSet, List, Optional, Set

from . import patterns as user_patterns
from .codewords import alternation, code_words
from .detect import ACK_ADAPTERS, ADAPTERS, GATE_VOCABULARY, RECEIVE_WORDS, WITH_ACK_NAMES, may_find, passes_prefilter
from .detect.base import ModuleWords
from .origins import (BROKER_WORDS, CLASS_LINE, DECORATED, INJECTED, INJECTED_USE, PUBLISHING, QUEUE_HELPER, RECEIVING,
                      SUBCLASSED, imported_names, read_head)
from .lazyre import lazy_re

# Project helpers through which a handler acks (`ack_message(ch, tag)`, `delete_queue_message(svc, q,
# message=m)`): acks only, never nacks.
ACK_HELPER = lazy_re(r"^_*(?:(basic_)?(ack|acknowledge|complete)(_message|_messages|_delivery|Message|Messages|Delivery)?"
                        r"|delete_\w+_messages?)$")
# Calls that may ack through project code (`self.acknowledge_message()`, `queue.ack(m)`,
# `self._commit_offsets()`, camelCase `self.ackMessage(message)`): followed into the project
# (`facts.acks`), never taken by their name alone.
ACK_LIKE = lazy_re(r"^_*(?:basic_)?(?:ack|acknowledge|complete|settle|commit|delete_messages?)(?:_\w+|[A-Z]\w*)?$"
                      r"|^\w+_(?:ack|acknowledge)$|^_*[a-z]\w*(?:Ack|Acknowledge)$|^_*delete_\w+_messages?$")
# What in-house consumer base classes call per message: `handle`, `process_message`, `on_order`, ...
HOOK_NAME = lazy_re(r"^_?(on_\w+|handle\w*|process\w*|consume\w*|callback|execute|perform|run_job|do_work|work"
                     r"|message|msg|(?:got|new|incoming)_(?:message|msg)"
                     # a sink's hook, named for what it writes (`insert_record(self, message)`)
                     r"|(?:insert|save|store|write|index|persist|ingest|sink)"
                     r"_(?:records?|messages?|msg|events?|items?))$")

# A word an adapter looks at (`detect.GATE_VOCABULARY`), or a name an ack helper may have (`ACK_HELPER`).
# Ack names the fallback of `facts.acks` takes on objects nothing resolves (`transport.settle(msg)`).
FALLBACK_NAMES = frozenset({"ack", "acknowledge", "acknowledge_message", "ack_message", "complete",
                            "complete_message", "settle", "delete_message"})
# the Kafka clients' words among a module's adjacent words, and their receive calls: a consumer that
# auto-commits acks with no call of its own, so its poll is the only sign of it
KAFKA_WORDS = frozenset({"kafka", "confluent_kafka", "aiokafka"})
KAFKA_RECEIVES = frozenset({"poll", "consume", "getmany", "getone"})
_KAFKA_RECEIVE = lazy_re(rb"\.(?:poll|consume|getmany|getone)\s*\(")
FALLBACK_WORDS = FALLBACK_NAMES - {"ack", "acknowledge"}  # those two are in every adapter's vocabulary
# project helpers that may publish (`publisher.emit(...)`, `self.send_report(...)`: `facts.publishers`),
# among a module's names: publishing verbs only, not every `send_email` or `xcom_push`
_PUBLISH_LIKE = lazy_re(r"^_*(?:(?:publish|emit|enqueue)(?:_\w+)?|produce|send|send_(?:message|event|report|msg|"
                           r"record|task|job|command|notification|batch)s?|" + QUEUE_HELPER + r")$", re.M)
# `match_and_ack(message, ...)`, `self.finish_and_acknowledge(msg)`: a helper `ACK_LIKE` follows too
# (not the `auto_ack` / `no_ack` switches)
_SUFFIX_HELPER = r"(?!(?:auto|no)_ack\b)[A-Za-z]\w*_(?:ack|acknowledge)"
_GATE = lazy_re(r"\b" + alternation(GATE_VOCABULARY | set(RECEIVE_WORDS) | FALLBACK_WORDS) + r"\b"
                   r"|\b(?P<helper>" + ACK_HELPER.pattern.strip("^$") + "|" + _SUFFIX_HELPER + r")\b")

# In a module's text: a name some adapter acks or publishes with, or an ack helper's (`_GATE`'s
# `helper`). A module let in by its adjacency alone needs one of them (`may_hold_units`).
# (not the names every logger's methods have, as oslo's notifier sends do: a module that calls those
# on a notifier imports oslo)
LOGGER_METHODS = frozenset({"debug", "info", "warn", "warning", "error", "critical", "exception", "log"})
ACK_OR_PUBLISH_NAMES = {name for adapter in ADAPTERS for name in (*adapter.ack_names, *adapter.produce_names)
                         } - LOGGER_METHODS
_ACK_OR_PUBLISH = lazy_re(rb"\b" + alternation(ACK_OR_PUBLISH_NAMES).encode() + rb"\b|\b"
                             + ACK_HELPER.pattern.strip("^$").encode() + rb"\b|\b" + _SUFFIX_HELPER.encode() + rb"\b")


def may_hold_units(source: bytes, adjacent: FrozenSet[str] = frozenset(), project=None,
                   path: Optional[str] = None) -> bool:
    """False only if `source` cannot hold a consumer or a producer.

    `detect` finds nothing in a module whose code (CPython's compiled names, see `codewords`)
    gives no adapter a reason to look closer (`Adapter.may_find`: an ack or produce call's name,
    a name its handlers need, with the import or keyword they need beside it), uses no
    ack-helper name and defines no method named like a consumer-class hook; such a module is
    not parsed with libcst at all. Declared patterns can make any call an ack, so with them, and
    for source CPython cannot compile (the parser then reports the error), the answer is True,
    unless only `adjacent` lets the module in and its text names no ack or publish at all.

    `adjacent` holds the words of the broker libraries the module reaches through the project
    modules it imports (`origins.Origins.adjacent`): a module that commits a consumer a project
    factory built counts as if it imported the library itself.

    A method named like a consumer-class hook counts only in a class with a base the engine's
    base-class lookup can find (`_hook_may_be_acked`): in this module, or, with the `project` and
    the module's `path`, in a project module that names a broker.
    """
    if user_patterns.ACTIVE or DECORATED in adjacent:
        return True  # declared patterns; a decorator of the project's that wraps a framework's
    if _LAST and _LAST[0] is source and _LAST[2] == adjacent and _LAST[3] is project and _LAST[4] == path:
        return _LAST[1]
    if adjacent and not adjacent & {SUBCLASSED, PUBLISHING, RECEIVING, INJECTED} \
            and not _ACK_OR_PUBLISH.search(source) \
            and not (adjacent & KAFKA_WORDS and _KAFKA_RECEIVE.search(source)) and not passes_prefilter(source):
        # let in by the project modules it imports alone, and no ack, publish or ack-helper name in
        # its text: the adjacent branch below has nothing to find (no compile needed). A module that
        # does not compile counts as clean here, as one the prefilter turns away does.
        answer = False
    elif (compiled := code_words(source)) is None:
        answer = True
    else:
        text, methods = compiled.text, compiled.methods
        found = set(adjacent & GATE_VOCABULARY)
        answer = False
        for match in _GATE.finditer(text):
            if match.group("helper") and match.group(0) not in ACK_ADAPTERS:
                answer = True  # `ack_message(ch, tag)`: maybe an ack through a project helper
                break
            found.add(match.group(0))
        else:
            hooked: Dict[str, Set[str]] = {}
            for cls, name in methods:
                hooked.setdefault(cls, set()).add(name)
            hooked = {cls: names for cls, names in hooked.items() if any(HOOK_NAME.match(n) for n in names)}
            if adjacent and not passes_prefilter(source):
                # let in by the project modules it imports alone: only what they explain counts (an
                # `execute()` method or a `complete()` call of its own says nothing of a broker)
                words = ModuleWords(found, text, source)
                answer = (any(adapter.may_find(words) and not found.isdisjoint((*adapter.ack_names, *adapter.produce_names))
                              for adapter in ADAPTERS)  # an ack or a publish of the library it reaches
                          or bool(hooked) and SUBCLASSED in adjacent
                          or PUBLISHING in adjacent  # a call of a publish helper of such a module
                          or RECEIVING in adjacent  # or of a helper that pops off a Redis list
                          or INJECTED in adjacent  # or through an object its class is given
                          # a poll loop over a Kafka consumer a project factory built: auto-commit
                          # is its ack, with no call to show for it
                          or bool(adjacent & KAFKA_WORDS) and not found.isdisjoint(KAFKA_RECEIVES))
            else:
                words = ModuleWords(found, text, source)
                answer = (may_find(words)
                          # the fallback (`facts.acks`): a commit beside a receive, or on a consumer looped over
                          or "commit" in found and (not found.isdisjoint(RECEIVE_WORDS) or words.names_contain("consumer"))
                          or not found.isdisjoint(FALLBACK_WORDS)
                          # a call of a publishing helper of a module near a broker library
                          or bool(adjacent) and _PUBLISH_LIKE.search(text) is not None
                          or PUBLISHING in adjacent  # or of one whatever its name (`queue.write_one(...)`)
                          # or of a project helper (no library's publish name), in a module that
                          # imports a broker library itself: a client it may hand the helper
                          or any(m.group(0) not in ACK_OR_PUBLISH_NAMES for m in _PUBLISH_LIKE.finditer(text))
                          and not BROKER_WORDS.isdisjoint(text.split("\n"))
                          # a hook method a base class of the project may ack after calling it
                          or bool(hooked) and _hook_may_be_acked(hooked, source, compiled.class_names, project, path))
    _LAST[:] = [source, answer, adjacent, project, path]
    return answer


# `class Name(` or `class Name:` at the start of a line
_CLASS_LINE = lazy_re(rb"^[ \t]*class[ \t]+(\w+)[ \t]*([(:])", re.M)
_BUILTIN_NAMES = frozenset(dir(builtins))


def _hook_may_be_acked(hooked: Dict[str, Set[str]], source: bytes, class_names: Dict[str, Set[str]],
                       project, path: Optional[str]) -> bool:
    """False only if no class in `hooked` (classes of the module that define a method named like a
    hook, with the names of all their methods) can become a consumer the way
    `analysis._hook_handlers` makes one: a base class its base-class lookup
    (`callees.base_classes`, `broker_only`) finds calls one of the class's methods as
    `self.method(...)` (and acks after it). The lookup finds a class of this module by name, or a
    class of a project module that names a broker (`Project.mentions_broker`); a base of a library
    or the builtins (`threading.Thread`, `APIView`, `Exception`) is never found, and neither is an
    imported one without a project. A base is taken to call a method when its methods' code uses
    the name at all (`codewords.Words.class_names`). The bases are followed through the modules'
    text (`_base_may_call`); when the text does not say (a base list it cannot read, a name bound
    some other way, a star import, a class re-exported), the answer is True."""
    return any(_base_may_call(source, class_names, path, cls, methods, project, 0)
               for cls, methods in hooked.items())


def _base_may_call(source: bytes, class_names: Dict[str, Set[str]], path: Optional[str], cls: str,
                   methods: Set[str], project, hops: int, own: bool = True) -> bool:
    """Some base of class `cls` of `source` (the module at `path`, its classes' names
    `class_names`), or the class itself unless it is the `own` class whose methods these are, may
    call one of `methods` on `self`, as far as the text of the chain of bases can tell."""
    if hops > _BASE_HOPS:
        return True  # deeper than the text is followed: the engine decides
    if cls not in class_names:
        return True  # not a class defined here (re-exported, made some other way): cannot tell
    if not own and not methods.isdisjoint(class_names[cls]) and _may_ack(class_names[cls]):
        return True
    bases_of: Dict[str, List[Optional[List[str]]]] = {}
    for m in _CLASS_LINE.finditer(source):
        bases = _base_list(source, m.end()) if m.group(2) == b"(" else []
        bases_of.setdefault(m.group(1).decode(), []).append(bases)
    imports: Optional[Dict[str, str]] = None
    for bases in bases_of.get(cls, [None]):
        if bases is None:
            return True
        for base in bases:
            head = base.partition(".")[0]
            if head in bases_of and head == base:
                if _base_may_call(source, class_names, path, base, methods, project, hops + 1, own=False):
                    return True  # a class of this module: its methods, then its own bases
                continue
            if imports is None:
                imports = imported_names(source)
            if head not in imports:
                if head in _BUILTIN_NAMES:
                    continue
                return True  # bound some other way (an assignment, a star import): cannot tell
            if project is None or not path:
                continue  # without a project, an imported base is never found
            found = _found_class(project, imports[head] + base[len(head):], path)
            if found is True:
                return True
            if found is not None:
                where, name = found
                text, words = _module_words(project, where)
                if words is None or _base_may_call(text, words.class_names, where, name, methods, project,
                                                   hops + 1, own=False):
                    return True
    return False


def _may_ack(names: Set[str]) -> bool:
    """A class whose methods use `names` may ack after a hook: a call named like an ack
    (`analysis._acked_hooks` takes those), a `with` item an adapter acks by, or a Kafka consumer
    that auto-commits."""
    return any(name in ACK_ADAPTERS or name in WITH_ACK_NAMES or ACK_LIKE.match(name) or name in AUTO_COMMITTERS
               for name in names)


# Kafka consumers that commit on their own (auto-commit is on by default): a loop over one acks after
# the hook it calls with no ack call to show for it (`analysis._framework_methods`)
AUTO_COMMITTERS = frozenset({"KafkaConsumer", "AIOKafkaConsumer"})


def _module_words(project, path: str):
    """(text, `code_words`) of a project module a base class is in, read once per project and path."""
    if _WORDS_OF[:1] != [project]:
        _WORDS_OF[:] = [project, {}]
    memo = _WORDS_OF[1]
    if path not in memo:
        text = read_head(path)
        memo[path] = (text, code_words(text))
    return memo[path]


_BASE_HOPS = 6  # bases followed in text (any bound is safe: past it the answer is True)
_WORDS_OF: list = []  # [the project, {path: (its text, its `code_words`)}]


def _base_list(source: bytes, start: int) -> Optional[List[str]]:
    """The bases in a class's parentheses from `start` (after the `(`), keyword arguments
    (`metaclass=...`) left out and subscripts stripped (`Generic[T]` -> `Generic`); None if they
    cannot be read as dotted names."""
    depth, i, item, items = 0, start, bytearray(), []
    while i < len(source):
        c = source[i:i + 1]
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            if depth == 0:
                break
            depth -= 1
        elif c == b"," and depth == 0:
            items.append(bytes(item))
            item = bytearray()
            i += 1
            continue
        elif c in b"#'\"\\*":
            return None  # a comment, a string, a line continuation, `*bases`
        if depth == 0:
            item += c
        i += 1
    else:
        return None
    items.append(bytes(item))
    out = []
    for raw in items:
        text = raw.decode("utf-8", "replace").strip()
        if not text or "=" in text:
            continue  # a trailing comma, `metaclass=ABCMeta`
        if not re.fullmatch(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*", text):
            return None  # a call (`make_base()`), ...: not a name the text can follow
        out.append(re.sub(r"\s+", "", text))
    return out


def _found_class(project, origin: str, path: str):
    """Where a base-class lookup of `origin` may find a class: None if it finds nothing (it names
    nothing in a project module that names a broker: `Project.load(broker_only=True)` refuses the
    others), (the module's file, the class name) when it names a class at the module's top
    level, and True when the lookup may find one the text cannot place."""
    try:
        found = project.find(origin, path)
    except Exception:  # noqa: BLE001 - only a shortcut: when in doubt, the engine decides
        return True
    if found is None or not found[1] or not project.mentions_broker(found[0]):
        return None
    rest = found[1]
    if len(rest) != 1 or rest[0][1]:
        return True  # a nested class, a call: not a class line of that module
    return found[0], rest[0][0]


# a call named like a publishing helper of another module (`origins._PUBLISHER_DEF`'s names)
# (or a reference to one passed on with its arguments: `asyncio.to_thread(self.publisher.publish, message)`)
_PUBLISHER_CALL = lazy_re(rb"\b_*(?:(?:publish|emit|produce|enqueue|send)\w*|" + QUEUE_HELPER.encode() + rb")\s*[(,]"
                             # a helper named after the library call it wraps: `xadd_json(`, `safe_basic_publish(`
                             rb"|\b\w*(?:xadd|lpush|rpush|_publish|_produce)\w*\s*[(,]")


def adjacency_may_matter(source: bytes) -> bool:
    """False only if no `adjacent` words can let `source`, a module the prefilter turns away, past
    `may_hold_units`: it names no ack, publish or ack helper (`_ACK_OR_PUBLISH`), has no decorator
    (`DECORATED`), no class with a base (`SUBCLASSED`) and no call named like a publishing helper
    (`PUBLISHING`), no receive a Kafka consumer could make (`_KAFKA_RECEIVE`: a poll loop over
    a consumer a project factory built, which auto-commits), and no publish or subscription on an
    attribute (`INJECTED_USE`: `self._transport.subscribe(...)` on an object its class is given).
    The imports of such a module are not worth following (`Origins.adjacent`)."""
    return (b"@" in source or _ACK_OR_PUBLISH.search(source) is not None
            or CLASS_LINE.search(source) is not None or _PUBLISHER_CALL.search(source) is not None
            or _KAFKA_RECEIVE.search(source) is not None or INJECTED_USE.search(source) is not None)


# The last source asked about and the answer: the API asks before loading the engine, and the
# engine asks again for the same bytes object (the compile is the pass's whole cost).
_LAST: list = []
