"""The engine's cheap first pass: can a module hold a consumer or a producer at all?

libcst's parse is most of the cost of a scan, and most files that pass the text prefilter
(a trigger word anywhere, comments and docstrings included) hold neither. This pass reads the
names CPython's compiler records for the module (`codewords`) and asks every adapter whether
it could find anything there (`Adapter.may_find`). It needs the adapters' words, not their
libcst code: libcst is not loaded for a module the gate turns away (see `lazyimport`).
"""

from __future__ import annotations

import re
from typing import FrozenSet

from . import patterns as user_patterns
from .codewords import alternation, code_words
from .detect import ACK_ADAPTERS, ADAPTERS, GATE_VOCABULARY, RECEIVE_WORDS, may_find, passes_prefilter
from .detect.base import ModuleWords
from .origins import BROKER_WORDS, CLASS_BASES, DECORATED, PUBLISHING, QUEUE_HELPER, RECEIVING, SUBCLASSED

# Project helpers through which a handler acks (`ack_message(ch, tag)`): acks only, never nacks.
ACK_HELPER = re.compile(r"^_*(basic_)?(ack|acknowledge|complete)(_message|_messages|_delivery|Message|Messages|Delivery)?$")
# Calls that may ack through project code (`self.acknowledge_message()`, `queue.ack(m)`,
# `self._commit_offsets()`, camelCase `self.ackMessage(message)`): followed into the project
# (`facts.acks`), never taken by their name alone.
ACK_LIKE = re.compile(r"^_*(?:basic_)?(?:ack|acknowledge|complete|settle|commit|delete_message)(?:_\w+|[A-Z]\w*)?$"
                      r"|^\w+_(?:ack|acknowledge)$|^_*[a-z]\w*(?:Ack|Acknowledge)$")
# What in-house consumer base classes call per message: `handle`, `process_message`, `on_order`, ...
HOOK_NAME = re.compile(r"^_?(on_\w+|handle\w*|process\w*|consume\w*|callback|execute|perform|run_job|do_work|work)$")

# A word an adapter looks at (`detect.GATE_VOCABULARY`), or a name an ack helper may have (`ACK_HELPER`).
# Ack names the fallback of `facts.acks` takes on objects nothing resolves (`transport.settle(msg)`).
FALLBACK_NAMES = frozenset({"ack", "acknowledge", "acknowledge_message", "ack_message", "complete",
                            "complete_message", "settle", "delete_message"})
FALLBACK_WORDS = FALLBACK_NAMES - {"ack", "acknowledge"}  # those two are in every adapter's vocabulary
# project helpers that may publish (`publisher.emit(...)`, `self.send_report(...)`: `facts.publishers`),
# among a module's names: publishing verbs only, not every `send_email` or `xcom_push`
_PUBLISH_LIKE = re.compile(r"^_*(?:(?:publish|emit|enqueue)(?:_\w+)?|produce|send|send_(?:message|event|report|msg|"
                           r"record|task|job|command|notification|batch)s?|" + QUEUE_HELPER + r")$", re.M)
_GATE = re.compile(r"\b" + alternation(GATE_VOCABULARY | set(RECEIVE_WORDS) | FALLBACK_WORDS) + r"\b"
                   r"|\b(?P<helper>" + ACK_HELPER.pattern.strip("^$") + r")\b")

# In a module's text: a name some adapter acks or publishes with, or an ack helper's (`_GATE`'s
# `helper`). A module let in by its adjacency alone needs one of them (`may_hold_units`).
# (not the names every logger's methods have, as oslo's notifier sends do: a module that calls those
# on a notifier imports oslo)
LOGGER_METHODS = frozenset({"debug", "info", "warn", "warning", "error", "critical", "exception", "log"})
ACK_OR_PUBLISH_NAMES = {name for adapter in ADAPTERS for name in (*adapter.ack_names, *adapter.produce_names)
                         } - LOGGER_METHODS
_ACK_OR_PUBLISH = re.compile(rb"\b" + alternation(ACK_OR_PUBLISH_NAMES).encode() + rb"\b|\b"
                             + ACK_HELPER.pattern.strip("^$").encode() + rb"\b")


def may_hold_units(source: bytes, adjacent: FrozenSet[str] = frozenset()) -> bool:
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
    """
    if user_patterns.ACTIVE or DECORATED in adjacent:
        return True  # declared patterns; a decorator of the project's that wraps a framework's
    if _LAST and _LAST[0] is source and _LAST[2] == adjacent:
        return _LAST[1]
    if adjacent and not adjacent & {SUBCLASSED, PUBLISHING, RECEIVING} and not _ACK_OR_PUBLISH.search(source) \
            and not passes_prefilter(source):
        # let in by the project modules it imports alone, and no ack, publish or ack-helper name in
        # its text: the adjacent branch below has nothing to find (no compile needed). A module that
        # does not compile counts as clean here, as one the prefilter turns away does.
        answer = False
    elif (words := code_words(source)) is None:
        answer = True
    else:
        text, methods = words
        found = set(adjacent & GATE_VOCABULARY)
        answer = False
        for match in _GATE.finditer(text):
            if match.group("helper") and match.group(0) not in ACK_ADAPTERS:
                answer = True  # `ack_message(ch, tag)`: maybe an ack through a project helper
                break
            found.add(match.group(0))
        else:
            hooks = any(HOOK_NAME.match(name) for name in methods)
            if adjacent and not passes_prefilter(source):
                # let in by the project modules it imports alone: only what they explain counts (an
                # `execute()` method or a `complete()` call of its own says nothing of a broker)
                words = ModuleWords(found, text, source)
                answer = (any(adapter.may_find(words) and not found.isdisjoint((*adapter.ack_names, *adapter.produce_names))
                              for adapter in ADAPTERS)  # an ack or a publish of the library it reaches
                          or hooks and SUBCLASSED in adjacent
                          or PUBLISHING in adjacent  # a call of a publish helper of such a module
                          or RECEIVING in adjacent)  # or of a helper that pops off a Redis list
            else:
                words = ModuleWords(found, text, source)
                answer = (may_find(words) or hooks
                          # the fallback (`facts.acks`): a commit beside a receive, or on a consumer looped over
                          or "commit" in found and (not found.isdisjoint(RECEIVE_WORDS) or words.names_contain("consumer"))
                          or not found.isdisjoint(FALLBACK_WORDS)
                          # a call of a publishing helper of a module near a broker library
                          or bool(adjacent) and _PUBLISH_LIKE.search(text) is not None
                          # or of a project helper (no library's publish name), in a module that
                          # imports a broker library itself: a client it may hand the helper
                          or any(m.group(0) not in ACK_OR_PUBLISH_NAMES for m in _PUBLISH_LIKE.finditer(text))
                          and not BROKER_WORDS.isdisjoint(text.split("\n")))
    _LAST[:] = [source, answer, adjacent]
    return answer


# a call named like a publishing helper of another module (`origins._PUBLISHER_DEF`'s names)
# (or a reference to one passed on with its arguments: `asyncio.to_thread(self.publisher.publish, message)`)
_PUBLISHER_CALL = re.compile(rb"\b_*(?:(?:publish|emit|produce|enqueue|send)\w*|" + QUEUE_HELPER.encode() + rb")\s*[(,]")


def adjacency_may_matter(source: bytes) -> bool:
    """False only if no `adjacent` words can let `source`, a module the prefilter turns away, past
    `may_hold_units`: it names no ack, publish or ack helper (`_ACK_OR_PUBLISH`), has no decorator
    (`DECORATED`), no class with a base (`SUBCLASSED`) and no call named like a publishing helper
    (`PUBLISHING`). The imports of such a module are not worth following (`Origins.adjacent`)."""
    return (b"@" in source or _ACK_OR_PUBLISH.search(source) is not None
            or CLASS_BASES.search(source) is not None or _PUBLISHER_CALL.search(source) is not None)


# The last source asked about and the answer: the API asks before loading the engine, and the
# engine asks again for the same bytes object (the compile is the pass's whole cost).
_LAST: list = []
