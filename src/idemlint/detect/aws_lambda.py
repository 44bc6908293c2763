"""AWS Lambda event-source handlers: `def handler(event, context)` reading `event["Records"]`."""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from ..index import ModuleIndex, dotted, kwarg, string_value
from ..model import WEAK
from .base import Adapter, Ctx, HandlerSite, func_ref, iter_calls

POWERTOOLS_BATCH = ("process_partial_response", "async_process_partial_response")


class LambdaAdapter(Adapter):
    library = "aws_lambda"
    roots = ("aws_lambda_powertools",)
    tokens = ("Records", "record_handler")

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        seen = set()
        for func in index.functions:
            if len(func.params) >= 2 and func.class_name is None and _reads_records(func.node, func.params[0]):
                seen.add(id(func.node))
                yield HandlerSite("aws_lambda", func, "framework", WEAK,
                                  f"Lambda handler reading `{func.params[0]}[\"Records\"]`",
                                  "the Lambda event source deletes the batch when the handler returns")
        for func in [None, *index.functions]:
            body = func.node.body if func else index.module
            for call in iter_calls(body):
                name = (dotted(call.func) or "").split(".")[-1]
                if name not in POWERTOOLS_BATCH:
                    continue
                target = func_ref(kwarg(call, "record_handler"), Ctx(index, func))
                if target is not None and id(target.node) not in seen:
                    seen.add(id(target.node))
                    yield HandlerSite("aws_lambda", target, "framework", WEAK,
                                      f"record handler of Powertools `{name}()`",
                                      "the batch processor reports success when the record handler returns")


def _reads_records(node: cst.FunctionDef, event: str) -> bool:
    stack = [node.body]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Subscript) and isinstance(cur.value, cst.Name) and cur.value.value == event:
            el = cur.slice[0].slice if cur.slice else None
            if isinstance(el, cst.Index) and string_value(el.value) == "Records":
                return True
        if (
            isinstance(cur, cst.Call)
            and isinstance(cur.func, cst.Attribute)
            and cur.func.attr.value == "get"
            and isinstance(cur.func.value, cst.Name)
            and cur.func.value.value == event
            and cur.args
            and string_value(cur.args[0].value) == "Records"
        ):
            return True
        stack.extend(c for c in cur.children if not isinstance(c, (cst.FunctionDef, cst.ClassDef)))
    return False
