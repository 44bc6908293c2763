"""Parse less than whole modules: function bodies nobody asked for are not given to libcst.

CPython's `ast` (C-fast) finds every function of a module. A function whose body adds nothing to
the module's index beyond the function itself (no import, no nested function or class, no
`self.x` binding: see `_adds_to_module`) has its body replaced by a string spanning the same lines
in the text libcst parses, the *skeleton*, so every kept line and column stays where it was. The index
(`index._Indexer`) makes such a function a *lazy* `FunctionInfo`: its name, signature, decorators
and place are read from the skeleton; its body (the `node` with its real body, and what the index
collects from it: calls, assignments, returns, ...) is parsed on first use, on its own, from the
original lines padded to the same line and column (`parse_body`), and spliced into the skeleton's
definition node. What is analysed is the same tree either way; only when it is parsed changes.

`IDEMLINT_WHOLE_MODULES=1` in the environment turns this off (every module parsed whole): the
tests compare both ways on every fixture and on real code.
"""

from __future__ import annotations

import ast
import os
from typing import TYPE_CHECKING, List, Optional

from .records import dataclass

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

ENABLED = os.environ.get("IDEMLINT_WHOLE_MODULES", "") in ("", "0")
# A body shorter than this many lines is kept: parsing it on its own later would cost more.
MIN_LINES = 3


@dataclass(frozen=True)
class Piece:
    """A function whose body the skeleton leaves out: 1-based lines of its first decorator (or
    `def`), of its body's first statement, and of its last line."""

    start: int
    body: int
    end: int
    indented: bool  # the `def` is not at column 0 (a method, or inside an `if` / `try`)


@dataclass
class Thinning:
    source: bytes  # the skeleton: the module with the pieces' bodies replaced, same lines and columns
    original: bytes
    # one entry per function definition, in source order (the order the index meets them): the
    # piece left out, or None for a function parsed with the skeleton
    functions: List[Optional[Piece]]
    names: List[str]  # the function names in the same order (a check that both parsers agree)


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def plan(source: bytes) -> Optional[Thinning]:
    """The skeleton of `source`, or None when it is better parsed whole (nothing worth leaving
    out, an encoding other than UTF-8, `\\r` line ends, or source CPython cannot parse)."""
    if not ENABLED or b"\r" in source or b"\x00" in source:
        return None
    if _declared_encoding(source) not in ("utf-8", "utf-8-sig"):
        return None
    try:
        source.decode("utf-8")
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, UnicodeDecodeError):
        return None
    defs: List[ast.AST] = []
    nested: set = set()
    _collect(tree, defs, nested)
    defs.sort(key=lambda d: (_start(d), d.col_offset))  # type: ignore[attr-defined]
    lines = source.split(b"\n")
    functions: List[Optional[Piece]] = []
    left_out = 0
    for node in defs:
        # a function inside another one stays: walks of the outer body must meet its real body
        piece = _piece(node, lines) if id(node) not in nested else None
        functions.append(piece)
        if piece is not None:
            # the body becomes one string spanning its lines: one token for libcst, where blank
            # lines would each be a node
            left_out += 1
            first = lines[piece.body - 1]
            indent = first[: len(first) - len(first.lstrip(b" \t\f"))]
            lines[piece.body - 1] = indent + b'"""'
            for i in range(piece.body, piece.end - 1):
                lines[i] = b""
            lines[piece.end - 1] = b'"""'
    if not left_out:
        return None
    return Thinning(b"\n".join(lines), source, functions, [d.name for d in defs])  # type: ignore[attr-defined]


def _declared_encoding(source: bytes) -> str:
    import io
    import tokenize

    try:
        return tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    except SyntaxError:
        return ""


def _collect(node: ast.AST, out: List[ast.AST], nested: set) -> None:
    """Every function definition of the module, nested ones included (the index meets them all);
    `nested` gets the ids of those defined inside another function. Definitions are statements:
    only statement lists are walked, never expressions."""
    todo = [(node, False)]
    while todo:
        cur, in_function = todo.pop()
        for child in _statements(cur):
            if isinstance(child, _FUNCS):
                out.append(child)
                if in_function:
                    nested.add(id(child))
            todo.append((child, in_function or isinstance(child, _FUNCS)))


def _statements(node: ast.AST) -> List[ast.stmt]:
    """The statements directly inside `node` (its body, `else`, `finally`, handlers, match cases)."""
    out: List[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list):
            out.extend(block)
    for holder in getattr(node, "handlers", None) or getattr(node, "cases", None) or ():
        out.extend(holder.body)
    return out


def _start(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])  # type: ignore[attr-defined]


def _piece(node: ast.AST, lines: List[bytes]) -> Optional[Piece]:
    body = node.body  # type: ignore[attr-defined]
    first, end = body[0].lineno, node.end_lineno  # type: ignore[attr-defined]
    if first <= node.lineno or end is None or end - first + 1 < MIN_LINES:  # type: ignore[attr-defined]
        return None  # a one-line body (`def f(): return 1`), or too short to be worth it
    if body[0].col_offset == 0 or _adds_to_module(node):
        return None
    line = lines[first - 1]
    if line[: body[0].col_offset].strip(b" \t\f"):
        return None  # something before the body's first statement on its line
    if lines[end - 1].rstrip(b" \t\f").endswith(b"\\"):
        return None  # its last line goes on (`\\`) past the body's end: cut there, it does not parse
    return Piece(_start(node), first, end, node.col_offset > 0)  # type: ignore[attr-defined]


def _adds_to_module(func: ast.AST) -> bool:
    """True if the body holds something the index records outside the function: an import (the
    module's import map), a nested function or class, or a binding of an attribute of `self` (the
    class's attributes). All of these are statements: expressions are not walked."""
    todo = [func]
    while todo:
        for stmt in _statements(todo.pop()):
            if isinstance(stmt, _SCOPES):
                return True
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
                targets = [stmt.target]
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                targets = [item.optional_vars for item in stmt.items if item.optional_vars is not None]
            else:
                targets = []
            if any(_self_attribute(t) for t in targets):
                return True  # `self.x = ...`, `self.x: T`, `for self.x in`, `with ... as self.x`
            todo.append(stmt)
    return False


def _self_attribute(target: ast.AST) -> bool:
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_self_attribute(t) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _self_attribute(target.value)
    # (`cls.x = ...` in a classmethod: the class's attribute too)
    return (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
            and target.value.id in ("self", "cls"))


def parse_body(thinning: Thinning, piece: Piece):
    """The function definition of `piece`, parsed on its own from the original lines, at the same
    lines and columns (`body_module`)."""
    from .lazyimport import cst

    node = body_module(thinning, piece).body[-1]
    while not isinstance(node, cst.FunctionDef):
        node = node.body.body[0]  # the `if 1:` block
    return node


def body_module(thinning: Thinning, piece: Piece) -> cst.Module:
    """The module libcst parses for `piece`: its original lines at the same lines and columns (a
    string filling the lines before it; an `if 1:` line above an indented one)."""
    lines = thinning.original.split(b"\n")[piece.start - 1: piece.end]
    head = _filler(piece.start - 1 - piece.indented) + (b"if 1:\n" if piece.indented else b"")
    return parse_module(head + b"\n".join(lines) + b"\n")


def _filler(lines: int) -> bytes:
    """`lines` lines of source that hold nothing: one string (one token for libcst)."""
    return b'"""' + b"\n" * (lines - 1) + b'"""\n' if lines > 0 else b""


def parse_module(source: bytes):
    """`libcst.parse_module`, without the per-node validation libcst runs as the native parser builds
    each node (`CSTNode.__post_init__`; a tenth of the parse): it checks what a program may build by
    hand, and the parser only builds valid trees. libcst's own code notes it as a cost worth moving."""
    from .lazyimport import cst

    base = cst.CSTNode
    saved = base.__dict__.get("__post_init__")
    if saved is None:  # a libcst without the hook: nothing to skip
        return cst.parse_module(source)
    base.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        base.__post_init__ = saved  # type: ignore[method-assign]


def _no_validation(self) -> None:
    pass
