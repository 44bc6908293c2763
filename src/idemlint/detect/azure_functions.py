"""Azure Functions triggers (`azure-functions` 1.26.0): functions whose queue, Service Bus or Event
Hubs messages the Functions host settles when the function returns.

- Service Bus: `@app.service_bus_queue_trigger(arg_name=..., connection=..., queue_name=...)`,
  `@app.service_bus_topic_trigger(...)` (the v2 programming model), or a function with a
  `func.ServiceBusMessage` parameter bound in `function.json` (v1). The host completes the message
  when the function returns and abandons it when it raises (`autoCompleteMessages`, true by
  default); after `MaxDeliveryCount` deliveries it is dead-lettered. With
  `auto_complete_messages=False` the function settles its messages itself: no framework ack.
- Storage queues: `@app.queue_trigger(...)` or a `func.QueueMessage` parameter. The host deletes the
  message when the function succeeds, and on failure makes it visible again, up to
  `maxDequeueCount` (5) times, then moves it to the poison queue.
- Event Hubs: `@app.event_hub_message_trigger(...)` or a `func.EventHubEvent` parameter. The host
  checkpoints after the function returns, and a restarted host replays from the last checkpoint.

Each is at-least-once with the ack after the return: a framework ack, like a Lambda handler's.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, dotted, kwarg
from ..model import WEAK
from .base import Adapter, HandlerSite, decorator_call, root_words

ROOTS = ("azure.functions",)
# v2 decorators of `func.FunctionApp()` / `func.Blueprint()`: which host settles what
TRIGGERS = {
    "service_bus_queue_trigger": "Service Bus",
    "service_bus_topic_trigger": "Service Bus",
    "queue_trigger": "Storage queue",
    "event_hub_message_trigger": "Event Hubs",
}
# v1: the trigger parameter's type (the binding itself is in function.json, out of view)
MESSAGE_TYPES = {"ServiceBusMessage": "Service Bus", "QueueMessage": "Storage queue", "EventHubEvent": "Event Hubs"}
ACKS = {
    "Service Bus": "the Functions host completes the message when the function returns",
    "Storage queue": "the Functions host deletes the message when the function returns",
    "Event Hubs": "the Functions host checkpoints the events when the function returns",
}


class AzureFunctionsAdapter(Adapter):
    library = "azure_functions"
    roots = ROOTS
    tokens = (*TRIGGERS, *MESSAGE_TYPES)
    site_words = (*TRIGGERS, *MESSAGE_TYPES)
    gate_needs = dict.fromkeys(site_words, root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset()

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            if func.class_name is not None or func.parent is not None:
                continue  # the host calls module-level functions only
            service = _trigger(func, index)
            if service is None:
                continue
            how, kind = service
            yield HandlerSite("azure_functions", func, "framework", WEAK,
                              f"Azure Functions {kind} trigger ({how})", ACKS[kind])


def _trigger(func: FunctionInfo, index: ModuleIndex):
    """(how it was seen, the service) for a function the host triggers with a message, else None."""
    for dec in func.decorators:
        callee, call = decorator_call(dec)
        name = callee.attr.value if isinstance(callee, cst.Attribute) else ""
        if name not in TRIGGERS or call is None or not _of_azure_functions(callee.value, func, index):
            continue
        auto = kwarg(call, "auto_complete_messages")
        if isinstance(auto, cst.Name) and auto.value == "False":
            return None  # the function completes its messages itself
        return f"`@{dotted(callee) or name}(...)`", TRIGGERS[name]
    if not index.imports_any(ROOTS) or index.call_sites(func):
        return None  # a helper the module calls itself is not what the host calls
    for name in func.params:
        kind = _message_type(func.annotations.get(name), func, index)
        if kind is not None:
            return f"a `{name}` parameter of the trigger's message type", kind
    return None


def _of_azure_functions(app: cst.BaseExpression, func: FunctionInfo, index: ModuleIndex) -> bool:
    """`app` is a `FunctionApp` / `Blueprint` (by its origin), or, when nothing resolves it, the module
    imports azure.functions (an app built in another module: `from function_app import app`)."""
    origin = index.resolve(app, func)
    if origin is not None:
        return origin.startswith("azure.functions.")
    return index.imports_any(ROOTS)


def _message_type(ann: Optional[cst.BaseExpression], func: FunctionInfo, index: ModuleIndex) -> Optional[str]:
    """The service of `func.ServiceBusMessage`, `List[func.QueueMessage]`, `"azure.functions.EventHubEvent"`
    (the index reads the annotation: strings, `Optional`, collections)."""
    origin = index.annotation(ann, func) if ann is not None else None
    if not origin or not origin.startswith("azure.functions."):
        return None
    return MESSAGE_TYPES.get(origin.split("(")[0].rsplit(".", 1)[-1])
