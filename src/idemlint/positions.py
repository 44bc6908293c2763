"""Line and column of the few nodes a file reports, without resolving positions for the whole file.

libcst's PositionProvider generates code for the entire module, which costs as much as a second
parse. Findings only need positions inside a handful of top-level statements, so each such
statement is rendered on its own and shifted by the line it starts on, which Python's `ast`
(C-fast) tells us. If the two parsers disagree about the statement list, fall back to the provider.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterable, List, Mapping, Optional

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


def _ast_starts(source: bytes) -> Optional[List[int]]:
    """The line of each top-level statement as libcst groups them (a `;` line is one statement).

    For a decorated definition that is the line of `def` / `class` itself (`lineno` in `ast`).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # e.g. more than 200 nested brackets: the tokenizer route takes over
    starts: List[int] = []
    last_end = 0
    for stmt in tree.body:
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


def resolve(module: cst.Module, source: bytes, nodes: Iterable[cst.CSTNode]) -> Dict[cst.CSTNode, CodeRange]:
    """Positions (1-based lines, 0-based columns, as libcst gives them) of `nodes`."""
    wanted = {id(n): n for n in nodes}
    starts = _ast_starts(source)
    if starts is None or len(starts) != len(module.body):
        starts = _token_starts(source)
    if starts is None or len(starts) != len(module.body):
        return _full(module, wanted.values())
    out: Dict[cst.CSTNode, CodeRange] = {}
    for index, stmt in enumerate(module.body):
        inside = [n for n in walk(stmt) if id(n) in wanted]
        if not inside:
            continue
        positions = _codegen_positions(
            cst.Module(body=[stmt], default_indent=module.default_indent, default_newline=module.default_newline)
        )
        anchor = stmt.name if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else stmt
        shift = starts[index] - positions[anchor].start.line
        for node in inside:
            rng = positions[node]
            out[node] = CodeRange(
                CodePosition(rng.start.line + shift, rng.start.column),
                CodePosition(rng.end.line + shift, rng.end.column),
            )
        if len(out) == len(wanted):
            break
    return out
