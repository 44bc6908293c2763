"""User patterns: a team's own ack, dedup, side-effect, idempotent, transaction and message-id names.

Declared in `[tool.idemlint.patterns]`:

    [tool.idemlint.patterns]
    ack = ["acme.mq.settle"]                  # calls that acknowledge the message
    dedup = ["acme.inbox.seen_before"]        # calls that look the message up (or claim it)
    side-effect = ["acme.billing.*"]          # calls that must not run twice
    idempotent = ["acme.idem.once"]           # decorators / context managers that dedup for you
    transaction = ["acme.db.unit_of_work"]    # context managers / decorators that open a transaction
    message-id = ["trace_token"]              # fields, attributes and headers that identify a message

Call patterns are matched against the call's qualified name, resolved through the module's
imports (`from acme.mq import settle as s` then `s(msg)` is `acme.mq.settle`), and against the
dotted text written at the call (`self.bus.settle`) when it cannot be resolved; `*` matches
any characters, dots included. A pattern without a dot also matches the last name alone
(`"charge_card"` matches `billing.charge_card(...)`). `message-id` patterns are names, matched
case-insensitively.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Dict, Iterable, Optional, Pattern, Tuple
from .lazyre import lazy_re

KINDS = ("ack", "dedup", "side-effect", "idempotent", "transaction", "message-id")
_VALID = lazy_re(r"^[A-Za-z0-9_.*?\[\]!-]+$")


class PatternError(ValueError):
    pass


def validate(table: object, where: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """Check a `[tool.idemlint.patterns]` table; return it as a hashable tuple."""
    if not isinstance(table, dict):
        raise PatternError(f"{where}: expected a table of kind = [patterns]")
    out = []
    for kind, values in table.items():
        if kind not in KINDS:
            raise PatternError(f"{where}: unknown pattern kind {kind!r} (known: {', '.join(KINDS)})")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise PatternError(f"{where}.{kind}: expected a list of strings")
        for value in values:
            if not value.strip() or not _VALID.match(value.strip()):
                raise PatternError(f"{where}.{kind}: {value!r} is not a qualified name or glob "
                                   "(letters, digits, `_`, `-`, `.` and the glob characters `*?[]!`)")
            if value.strip().strip("*.?") == "":
                raise PatternError(f"{where}.{kind}: {value!r} would match everything")
        out.append((kind, tuple(v.strip() for v in values)))
    return tuple(sorted(out))


class Patterns:
    """Compiled user patterns (one per kind)."""

    def __init__(self, declared: Iterable[Tuple[str, Tuple[str, ...]]] = ()) -> None:
        self.declared = tuple(declared)
        self._regex: Dict[str, Pattern[str]] = {}
        self._names: Dict[str, Pattern[str]] = {}
        for kind, globs in self.declared:
            if not globs:
                continue
            full = "|".join(fnmatch.translate(g) for g in globs)
            short = "|".join(fnmatch.translate(g) for g in globs if "." not in g)
            self._regex[kind] = re.compile(full)
            if short:
                self._names[kind] = re.compile(short, re.IGNORECASE if kind == "message-id" else 0)

    def __bool__(self) -> bool:
        return bool(self._regex)

    def matches(self, kind: str, *names: Optional[str]) -> Optional[str]:
        """The first of `names` (qualified or written) that a pattern of `kind` matches."""
        full = self._regex.get(kind)
        if full is None:
            return None
        short = self._names.get(kind)
        for name in names:
            if not name:
                continue
            bare = re.sub(r"\([^()]*\)", "", name)
            if full.match(bare):
                return name
            if short is not None and short.match(bare.rsplit(".", 1)[-1]):
                return name
        return None

    def is_message_id(self, name: str) -> bool:
        pattern = self._names.get("message-id")
        return bool(pattern is not None and pattern.match(name.strip()))

    def words(self) -> Tuple[str, ...]:
        """Identifiers a file must contain to possibly use a declared ack, hook or wrapper."""
        out = set()
        for kind, globs in self.declared:
            if kind in ("ack", "idempotent", "side-effect", "dedup"):
                for glob in globs:
                    last = glob.rsplit(".", 1)[-1]
                    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", last):
                        out.add(last)
        return tuple(sorted(out))


NONE = Patterns()
ACTIVE: Patterns = NONE  # the patterns of the running analysis (set by `analysis.analyze`)


def activate(declared: Iterable[Tuple[str, Tuple[str, ...]]]) -> None:
    global ACTIVE
    declared = tuple(declared)
    if ACTIVE.declared != declared:
        ACTIVE = Patterns(declared) if declared else NONE
