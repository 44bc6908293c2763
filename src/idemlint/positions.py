"""Line and column of the few nodes a file reports, without resolving positions for the whole file.

libcst's PositionProvider generates code for the entire module, which costs as much as a second
parse. Findings only need positions inside a handful of top-level statements, so each such
statement is rendered on its own and shifted by the line it starts on, which Python's `ast`
(C-fast) tells us. If the two parsers disagree about the statement list, fall back to the provider.
"""

from __future__ import annotations

import ast
from typing import Callable, Dict, Iterable, List, Mapping, Optional

import libcst as cst
from libcst.metadata import CodeRange, CodePosition, MetadataWrapper, PositionProvider

from .index import walk


def _token_starts(source: bytes) -> Optional[List[int]]:
    """The same lines from the tokenizer, which has no nesting limit (CPython's parser stops at
    200 nested brackets, libcst does not)."""
    import io
    import tokenize

    starts: List[int] = []
    level = 0
    at_line_start = True
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type == tokenize.INDENT:
                level += 1
            elif tok.type == tokenize.DEDENT:
                level -= 1
            elif tok.type == tokenize.NEWLINE:
                at_line_start = True
            elif tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            elif at_line_start:
                at_line_start = False
                if level != 0 or tok.string in ("else", "elif", "except", "finally"):
                    continue
                if tok.string == "@":
                    continue  # a decorator line: the statement's line is its `def` / `class`
                starts.append(tok.start[0])
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError):
        return None
    return starts


def _ast_tree(source: bytes) -> Optional[ast.Module]:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # e.g. more than 200 nested brackets: the tokenizer route takes over


def _ast_starts(source: bytes, tree: Optional[ast.AST] = None) -> Optional[List[int]]:
    """The line of each top-level statement as libcst groups them (a `;` line is one statement).

    For a decorated definition that is the line of `def` / `class` itself (`lineno` in `ast`).
    """
    tree = tree if tree is not None else _ast_tree(source)
    if tree is None:
        return None
    return _statement_starts(tree.body)  # type: ignore[attr-defined]


def _statement_starts(body: List[ast.stmt]) -> List[int]:
    starts: List[int] = []
    last_end = 0
    for stmt in body:
        decorators = getattr(stmt, "decorator_list", None) or []
        first = min([stmt.lineno] + [d.lineno for d in decorators])
        line = stmt.lineno
        if first <= last_end:  # `a = 1; b = 2` shares a libcst SimpleStatementLine
            last_end = max(last_end, stmt.end_lineno or line)
            continue
        starts.append(line)
        last_end = stmt.end_lineno or line
    return starts


def _codegen_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """PositionProvider's own computation, without MetadataWrapper's extra visit of the tree."""
    try:
        provider = PositionProvider()
        provider._gen_impl(module)  # the codegen pass that records every node's range
        return provider._computed
    except Exception:  # noqa: BLE001 - a libcst internal changed: take the public, slower road
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _full(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[cst.CSTNode, CodeRange]:
    positions = _codegen_positions(module)
    return {n: positions[n] for n in nodes if n in positions}


# A class or function with more statements than this is rendered statement by statement (only
# the statements holding a wanted node), and so on down its nested classes and functions.
BIG_BLOCK = 8
_BLOCKS = (cst.ClassDef, cst.FunctionDef)
_AST_BLOCKS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def resolve(module: cst.Module, source: bytes, nodes: Iterable[cst.CSTNode]) -> Dict[cst.CSTNode, CodeRange]:
    """Positions (1-based lines, 0-based columns, as libcst gives them) of `nodes`."""
    wanted = {id(n): n for n in nodes}
    tree = _ast_tree(source)
    starts = _ast_starts(source, tree) if tree is not None else None
    if starts is None or len(starts) != len(module.body):
        starts, tree = _token_starts(source), None
    if starts is None or len(starts) != len(module.body):
        return _full(module, wanted.values())
    lines: List[str] = []
    out: Dict[cst.CSTNode, CodeRange] = {}
    for index, stmt in enumerate(module.body):
        inside = [n for n in walk(stmt) if id(n) in wanted]
        if not inside:
            continue
        if tree is not None and _big(stmt):
            if not lines:
                lines = source.decode("utf-8", "surrogateescape").splitlines()
            member = _in_members(module, stmt, tree.body[_ast_index(tree, starts[index])], inside, lines)  # type: ignore[attr-defined]
            if member is not None:
                out.update(member)
                continue
        out.update(_render(module, stmt, starts[index], inside))
        if len(out) == len(wanted):
            break
    return out


def _render(module: cst.Module, stmt: cst.CSTNode, start: int, inside: List[cst.CSTNode],
            columns: Optional[Callable[[int, int], Optional[int]]] = None) -> Dict[cst.CSTNode, CodeRange]:
    """Positions of `inside` from rendering `stmt` alone, shifted to its first line `start`
    (and, for a statement rendered out of its block, by `columns(line, rendered line)`)."""
    positions = _codegen_positions(
        cst.Module(body=[stmt], default_indent=module.default_indent, default_newline=module.default_newline)
    )
    anchor = stmt.name if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else stmt
    shift = start - positions[anchor].start.line
    out: Dict[cst.CSTNode, CodeRange] = {}
    for node in inside:
        rng = positions[node]
        start_col, end_col = rng.start.column, rng.end.column
        if columns is not None:
            a, b = columns(rng.start.line + shift, rng.start.line), columns(rng.end.line + shift, rng.end.line)
            if a is None or b is None:
                return {}
            start_col, end_col = start_col + a, end_col + b
        out[node] = CodeRange(CodePosition(rng.start.line + shift, start_col),
                              CodePosition(rng.end.line + shift, end_col))
    return out


def _big(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, _BLOCKS) and isinstance(stmt.body, cst.IndentedBlock) and len(stmt.body.body) > BIG_BLOCK


def _ast_index(tree: ast.Module, line: int) -> int:
    for i, stmt in enumerate(tree.body):
        if stmt.lineno == line:
            return i
    return -1


def _in_members(module: cst.Module, cls: cst.CSTNode, node: ast.stmt, inside: List[cst.CSTNode],
                lines: List[str]) -> Optional[Dict[cst.CSTNode, CodeRange]]:
    """Positions inside a big class or function, rendering only the statements that hold them,
    and within a big nested class or function only its statements that do (None: render it all).

    A member rendered alone loses its block's indentation on the lines the renderer indents, and
    keeps continuation lines verbatim; comparing each rendered line with the source line it came
    from gives the column shift of that line.
    """
    if not isinstance(node, _AST_BLOCKS):
        return None
    starts = _statement_starts(node.body)
    members = cls.body.body  # type: ignore[attr-defined]
    if len(starts) != len(members):
        return None
    wanted = {id(n) for n in inside}
    out: Dict[cst.CSTNode, CodeRange] = {}
    for start, member in zip(starts, members):
        held = [n for n in walk(member) if id(n) in wanted]
        if not held:
            continue
        if _big(member):
            index = next((i for i, stmt in enumerate(node.body) if stmt.lineno == start), -1)
            if index >= 0:
                nested = _in_members(module, member, node.body[index], held, lines)
                if nested is not None:
                    out.update(nested)
                    continue
        code = cst.Module(body=[member], default_indent=module.default_indent,
                          default_newline=module.default_newline).code.splitlines()

        def columns(line: int, rendered: int) -> Optional[int]:
            if not (0 < line <= len(lines) and 0 < rendered <= len(code)):
                return None
            src, gen = lines[line - 1], code[rendered - 1]
            return len(src) - len(gen) if src.endswith(gen) else None

        found = _render(module, member, start, held, columns)
        if len(found) != len(held):
            return None
        out.update(found)
    return out if len(out) == len(wanted) else None
