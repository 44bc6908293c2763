"""The names a module's code uses, read from CPython's own compiler output (no libcst).

The engine's cheap first pass (`gate.may_hold_units`): libcst's parse is most of the cost of
a scan, and half of the files that mention a broker word still cannot hold a consumer or a
producer (a word in a docstring, a library's own internals that never call an ack). CPython
compiles a module to bytecode in C, about a tenth of the time libcst takes to parse it; the
code objects it returns list every identifier the code uses. Compiling is not running: nothing
of the scanned code is executed or imported.
"""

from __future__ import annotations

import re
import types
import warnings
from typing import Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

# A string constant this short and without a space may be a key (`event["Records"]`) or a
# postponed annotation (`"kafka.KafkaConsumer"`); the others are prose (docstrings, messages).
SHORT_STRING = 100
CO_OPTIMIZED = 0x1  # `inspect.CO_OPTIMIZED`: set on functions' code, not on modules' or class bodies'


class Words(NamedTuple):
    """What `code_words` reads from a module's compiled code."""

    text: str  # every name the compiler recorded and every short string constant, one per line
    methods: List[Tuple[str, str]]  # a (class, function) pair for each function defined directly in a class body
    # for each class name, every name the code inside its body uses (its methods' and nested
    # functions', locals included): a base class that calls `self.handle(...)` has `handle` there
    class_names: Dict[str, Set[str]]


def code_words(source: bytes) -> Optional[Words]:
    """The names of a module's code (`Words`), or None if CPython cannot compile it.

    `text` holds, one per line, every name the compiler recorded (imports, globals, attributes,
    locals, parameters, keyword-argument names) and every short string constant without a space.
    Classes of the same name share one entry of `class_names`.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning, DeprecationWarning: not ours to print
            code = compile(source, "<idemlint>", "exec", dont_inherit=True)
    except Exception:  # noqa: BLE001 - syntax, decoding, NUL bytes, nesting, memory: the parser decides
        return None
    names: List[str] = []
    methods: List[Tuple[str, str]] = []
    class_names: Dict[str, Set[str]] = {}
    module = code
    # (code object, the class whose body defines it, the sets of the classes whose bodies hold it)
    todo: List[Tuple[types.CodeType, str, Tuple[Set[str], ...]]] = [(code, "", ())]
    while todo:
        code, in_class, owners = todo.pop()
        names.extend(code.co_names)
        names.extend(code.co_varnames)
        names.extend(code.co_cellvars)
        names.extend(code.co_freevars)
        for owner in owners:
            owner.update(code.co_names, code.co_varnames, code.co_cellvars, code.co_freevars)
        if in_class:
            methods.append((in_class, code.co_name))
        # A code object that is neither the module nor optimised (a function's) is a class body.
        # (Not `co_qualname`, which Python 3.10 lacks.)
        class_body = code is not module and not code.co_flags & CO_OPTIMIZED
        if class_body:
            # (its own names are those it binds, its methods' among them: not calls)
            owners = (*owners, class_names.setdefault(code.co_name, set()))
        consts = list(code.co_consts)
        while consts:
            const = consts.pop()
            if isinstance(const, str):
                if len(const) <= SHORT_STRING and " " not in const and "\n" not in const:
                    names.append(const)
            elif isinstance(const, (tuple, frozenset)):
                consts.extend(const)  # keyword-argument names, folded tuples
            elif isinstance(const, types.CodeType):
                todo.append((const, code.co_name if class_body else "", owners))
    return Words("\n".join(names), methods, class_names)


def alternation(words: Iterable[str]) -> str:
    """A regex matching exactly `words`, factored by common prefixes (`ack(?:_ids|nowledge)?`).

    Python's `re` tries a flat alternation's words one by one at every position; the factored
    form fails on the first character, which makes a word search over a whole tree about twice
    as fast.
    """
    words = sorted(set(words))
    if not words:
        return "(?!)"
    if words[0] == "":
        rest = words[1:]
        return "(?:" + alternation(rest) + ")?" if rest else ""
    groups: Dict[str, List[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    parts = [re.escape(first) + (alternation(tails) if tails != [""] else "") for first, tails in groups.items()]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
