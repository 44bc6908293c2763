"""Module-level regexes compiled on first use, not at import.

idemlint compiles about a hundred patterns at module level, and `re.compile` runs in Python: a
one-file check (a pre-commit hook on one changed file) used 17 of them, and compiling the others
was a twentieth of its time. `lazy_re(pattern, flags)` stands for `re.compile(pattern, flags)`: it
compiles on the first attribute read, then keeps the compiled pattern's methods in its own
`__dict__`, so later calls (`PATTERN.search(text)`) cost what the compiled pattern's do.

Only for module-level constants used through their methods: code that needs a real `re.Pattern`
(an `isinstance` check, a pattern handed to `re.sub`) compiles it itself.
"""

from __future__ import annotations

import re
from typing import Any, List, Union

# the methods and attributes of a compiled pattern, copied onto the stand-in at its first use
_ATTRIBUTES = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "pattern", "flags",
               "groups", "groupindex")

DEFERRED: List["LazyPattern"] = []  # every stand-in made, for a test that compiles them all


class LazyPattern:
    """`re.compile(pattern, flags)`, deferred to the first attribute read."""

    def __init__(self, pattern: Union[str, bytes], flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for what `__dict__` lacks: the first use
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = self.compiled()
        return getattr(compiled, name)

    def compiled(self) -> "re.Pattern":
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = re.compile(*self._source)
            self.__dict__["_compiled"] = compiled
            for attribute in _ATTRIBUTES:
                self.__dict__[attribute] = getattr(compiled, attribute)
        return compiled

    def __repr__(self) -> str:
        return f"lazy_re({self._source[0]!r}, {self._source[1]})"


def lazy_re(pattern: Union[str, bytes], flags: int = 0) -> Any:
    """A stand-in for `re.compile(pattern, flags)` that compiles on first use (typed as Any: it
    answers every `re.Pattern` method)."""
    stand_in = LazyPattern(pattern, flags)
    DEFERRED.append(stand_in)
    return stand_in
