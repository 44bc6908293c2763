"""`index.visit` calls a read-only visitor's hooks exactly as libcst's own traversal does
(same hooks, same order), minus whitespace, comments and punctuation, without rebuilding the tree."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from idemlint.index import _punctuation, visit

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "fixtures").rglob("*.py"))[::5] + [ROOT / "src" / "idemlint" / "index.py"]


def _parse(path: Path):
    try:
        return cst.parse_module(path.read_bytes())
    except (cst.ParserSyntaxError, SyntaxError, UnicodeDecodeError):  # robustness/: bad syntax or encoding
        pytest.skip("not valid Python")

NODE_TYPES = [t for t in vars(cst).values() if isinstance(t, type) and issubclass(t, cst.CSTNode)]
# attribute hooks: the ones the engine's walkers use, and a few more
ATTRIBUTE_HOOKS = [("If", "test"), ("While", "test"), ("IfExp", "test"), ("Try", "handlers"), ("Call", "args"),
                   ("FunctionDef", "body"), ("Arg", "keyword"), ("Arg", "value"), ("ImportFrom", "names"),
                   ("FormattedStringExpression", "format_spec")]


def _recorder(base: type) -> type:
    def hook(name: str):
        return lambda self, node: self.seen.append((name, id(node)))

    namespace = {"__init__": lambda self: setattr(self, "seen", [])}
    for t in NODE_TYPES:
        if not issubclass(t, _punctuation()) and t is not cst.Comment:  # comments live in whitespace
            namespace[f"visit_{t.__name__}"] = hook(f"visit_{t.__name__}")
            namespace[f"leave_{t.__name__}"] = hook(f"leave_{t.__name__}")
    for owner, attribute in ATTRIBUTE_HOOKS:
        namespace[f"visit_{owner}_{attribute}"] = hook(f"visit_{owner}_{attribute}")
        namespace[f"leave_{owner}_{attribute}"] = hook(f"leave_{owner}_{attribute}")
    return type(f"Recorder{base.__name__}", (base,), namespace)


LibcstRecorder = _recorder(cst.CSTVisitor)
PlainRecorder = _recorder(object)  # a plain class with hooks only: no libcst base needed


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_hooks_in_the_same_order_as_libcst(path):
    module = _parse(path)
    expected = LibcstRecorder()
    module.visit(expected)
    assert expected.seen
    for recorder in (LibcstRecorder(), PlainRecorder()):
        visit(module, recorder)
        assert recorder.seen == expected.seen


@pytest.mark.parametrize("first", ['f"{a}"', 'f"{b:>{width}}"'])
def test_fstring_format_specs_are_visited_only_when_present(first):
    import idemlint.index as index

    index._ORDER.clear()
    index._PLANS.clear()  # the attribute order is learnt from the first instance of a type seen
    module = cst.parse_module(f'x = {first}\ny = f"{{b:>{{width}}}}"\nz = f"{{c!r}}"\n')
    expected, ours = LibcstRecorder(), LibcstRecorder()
    module.visit(expected)
    visit(module, ours)
    assert ours.seen == expected.seen
    assert [name for name, _ in ours.seen].count("visit_FormattedStringExpression_format_spec") == 1 + ("width" in first)


def test_a_false_visit_hook_skips_the_children_but_not_the_leave_hook():
    class Calls(cst.CSTVisitor):
        def __init__(self):
            self.seen = []

        def visit_FunctionDef(self, node):
            self.seen.append(("def", node.name.value))
            return node.name.value == "outer"

        def leave_FunctionDef(self, node):
            self.seen.append(("leave", node.name.value))

        def visit_Call(self, node):
            self.seen.append(("call", cst.Module([]).code_for_node(node.func)))

    module = cst.parse_module("def outer():\n    f()\n    def inner():\n        g()\n    h()\n")
    ours, theirs = Calls(), Calls()
    visit(module, ours)
    module.visit(theirs)
    assert ours.seen == theirs.seen == [("def", "outer"), ("call", "f"), ("def", "inner"), ("leave", "inner"),
                                        ("call", "h"), ("leave", "outer")]


def test_a_visitor_with_its_own_dispatch_gets_libcst_traversal():
    class Everything(cst.CSTVisitor):
        def __init__(self):
            self.count = 0

        def on_visit(self, node):
            self.count += 1
            return True

    module = cst.parse_module("x = f(1, 2)\n")
    ours, theirs = Everything(), Everything()
    visit(module, ours)
    module.visit(theirs)
    assert ours.count == theirs.count > 0
