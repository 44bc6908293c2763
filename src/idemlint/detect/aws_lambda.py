"""AWS Lambda event-source handlers: `def handler(event, context)` reading `event["Records"]`."""

from __future__ import annotations

from typing import Iterable

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, string_value
from ..model import WEAK
from .base import Adapter, Ctx, HandlerSite, func_ref

POWERTOOLS_BATCH = ("process_partial_response", "async_process_partial_response")


class LambdaAdapter(Adapter):
    library = "aws_lambda"
    roots = ("aws_lambda_powertools",)
    tokens = ("Records", "record_handler")
    site_words = ("Records", *POWERTOOLS_BATCH)  # `event["Records"]`, a Powertools batch call
    ack_names = frozenset()
    produce_names = frozenset()

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        seen = set()
        for func in index.functions:
            if len(func.params) >= 2 and func.class_name is None and _reads_records(func, func.params[0]):
                seen.add(id(func.node))
                yield HandlerSite("aws_lambda", func, "framework", WEAK,
                                  f"Lambda handler reading `{func.params[0]}[\"Records\"]`",
                                  "the Lambda event source deletes the batch when the handler returns")
        for func in [None, *index.functions]:
            for call in (func.calls if func else index.module_calls):
                name = (dotted(call.func) or "").split(".")[-1]
                if name not in POWERTOOLS_BATCH:
                    continue
                target = func_ref(kwarg(call, "record_handler"), Ctx(index, func))
                if target is not None and id(target.node) not in seen:
                    seen.add(id(target.node))
                    yield HandlerSite("aws_lambda", target, "framework", WEAK,
                                      f"record handler of Powertools `{name}()`",
                                      "the batch processor reports success when the record handler returns")


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
