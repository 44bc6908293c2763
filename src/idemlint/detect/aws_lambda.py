"""AWS Lambda event-source handlers: `def handler(event, context)` reading `event["Records"]`."""

from __future__ import annotations

import re
from typing import Iterable

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, string_value
from ..model import WEAK
from ..lazyre import lazy_re
from .base import Adapter, Ctx, HandlerSite, handler_ref

POWERTOOLS_BATCH = ("process_partial_response", "async_process_partial_response")


class LambdaAdapter(Adapter):
    library = "aws_lambda"
    roots = ("aws_lambda_powertools",)
    tokens = ("Records", "record_handler")
    site_words = ("Records", *POWERTOOLS_BATCH)  # `event["Records"]`, a Powertools batch call
    ack_names = frozenset()
    produce_names = frozenset()

    def may_find(self, words) -> bool:
        """A Powertools batch call, or `NAME["Records"]` / `NAME.get("Records")` where NAME is the first
        parameter of some function of the module: what `handlers` needs (a DIRAC database module's
        `result["Records"]` holds no handler, and is not parsed)."""
        if not words.found.isdisjoint(POWERTOOLS_BATCH):
            return True
        if "Records" not in words.found:
            return False
        return first_param_reads_records(words.source)

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        seen = set()
        for func in index.functions:
            if len(func.params) < 2 or func.class_name is not None:
                continue
            event = func.params[0]
            reads = _reads_records(func, event)
            reader = None if reads else _records_reader(func, event, index)
            if not reads and reader is None:
                continue
            seen.add(id(func.node))
            how = (f"Lambda handler reading `{event}[\"Records\"]`" if reader is None else
                   f"Lambda handler: `{reader}({event}, ...)` reads `{event}[\"Records\"]`")
            yield HandlerSite("aws_lambda", func, "framework", WEAK, how,
                              "the Lambda event source deletes the batch when the handler returns")
        for func in [None, *index.functions]:
            for call in (func.calls if func else index.module_calls):
                name = (dotted(call.func) or "").split(".")[-1]
                if name not in POWERTOOLS_BATCH:
                    continue
                target = handler_ref(kwarg(call, "record_handler"), Ctx(index, func))
                if target is not None and id(target.node) not in seen:
                    seen.add(id(target.node))
                    yield HandlerSite("aws_lambda", target, "framework", WEAK,
                                      f"record handler of Powertools `{name}()`",
                                      "the batch processor reports success when the record handler returns")


# `event["Records"]`, `event.get("Records")` (any string prefix or quotes), and a `def` whose first
# parameter (after `*` or `**`) is the name read; a `def` line with a comment right after its `(` is
# not read, and lets the module in
_RECORDS_READ = lazy_re(rb"\b(\w+)\s*(?:\[|\.\s*get\s*\()\s*[rRuUbBfF]{0,2}(?:'{1,3}|\"{1,3})Records\b")
_COMMENTED_DEF = lazy_re(rb"\bdef\s+\w+\s*\(\s*#")


def first_param_reads_records(source: bytes) -> bool:
    """False only if no function of `source` reads `"Records"` of its first parameter (text only)."""
    names = {m.group(1) for m in _RECORDS_READ.finditer(source)}
    if not names:
        return False
    if _COMMENTED_DEF.search(source):
        return True
    first = rb"\bdef\s+\w+\s*\(\s*\**\s*(?:" + b"|".join(re.escape(n) for n in sorted(names)) + rb")\b"
    return re.search(first, source) is not None


def _records_reader(func, event: str, index: ModuleIndex):
    """The name of a function of the module that `func` hands its `event` to and that reads
    `event["Records"]` under its own name for it (`response, params, err = parse_event(event,
    context)`): the handler delegates the parsing, and is the entry the event source calls."""
    for call in func.calls:
        helper = index.module_functions.get(call.func.value) if isinstance(call.func, cst.Name) else None
        if helper is None or helper is func:
            continue
        for i, arg in enumerate(call.args):
            if isinstance(arg.value, cst.Name) and arg.value.value == event and arg.star == "":
                param = (arg.keyword.value if arg.keyword is not None
                         else helper.params[i] if i < len(helper.params) else None)
                if param is not None and param in helper.params and _reads_records(helper, param):
                    return helper.name
    return None


def _reads_records(func, event: str) -> bool:
    """`event["Records"]` or `event.get("Records")` in the function's own body."""
    if (event, "Records") in func.subscripts:
        return True
    for call in func.calls:
        if (
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "get"
            and isinstance(call.func.value, cst.Name)
            and call.func.value.value == event
            and call.args
            and string_value(call.args[0].value) == "Records"
        ):
            return True
    return False
