"""Where the message an ack settles was received: the binding of the acked object, traced back.

A consumer holds a message from its receive to its ack. The receive of the message an ack settles is
found from what the ack names (`incoming.ack()`, `basic_ack(method.delivery_tag)`,
`delete_message(ReceiptHandle=msg["ReceiptHandle"])`), traced back through the bindings that only
reshape it (`tag = m.delivery_tag`, `for m in resp["Messages"]`, `body = json.loads(m.body)`):

- to a recognised receive (`consumer.poll()`, `for m in consumer`, `sqs.receive_message(...)`), an
  event the walk already recorded;
- to a parameter of the handler: a callback holds its message from the start;
- else to the binding where the trace stops, a call that fetched it (`m = await queue.get()`), or
  the loop that iterates what such a call returned (`for m in batch`): that binding is the receive.

Only the last case adds an event. Without it, a script that publishes, then `queue.get()`s a
message and acks it, would be taken as handling the message when it published.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ..index import FunctionInfo, call_name, children, string_value
from ..model import WEAK, Event
from .deferred import BUILTIN_NAMES, Shape, local_names

NOT_MESSAGES = {"self", "cls"}
# methods that read a part of the object they are called on, as a subscript does (`resp.get("Messages")`)
READS = {"get", "pop", "popleft", "items", "values", "copy", "decode", "json", "__getitem__"}
# builtins that copy or order what they are given (`for name in list(self._data)`): no fetch
COPIES = {"list", "tuple", "sorted", "reversed", "enumerate", "dict", "set", "frozenset", "iter", "zip"}
BINDINGS = (cst.Assign, cst.AnnAssign, cst.For, cst.WithItem, cst.NamedExpr)

# where a value came from: ("param" | "received" | "fetched", position, the binding or None)
Source = Tuple[str, int, Optional[cst.CSTNode]]


def mark(func: FunctionInfo, events: List[Event], skip: Set[str]) -> None:
    """Add a `receive` event where the message of each of the handler's own acks was fetched by a
    call no adapter recognises, then renumber `events` in order. `skip`: module-level names."""
    acks = [e for e in events if e.kind == "ack" and e.detail != "framework"]
    if not acks:
        return
    shape = Shape(func.node)
    trace = _Trace(func, shape, skip, [e.node for e in events if e.kind == "receive"])
    added: Dict[int, Tuple[int, cst.CSTNode]] = {}
    for ack in acks:
        site = ack.call_node or ack.node
        if not shape.has(site):
            continue  # an ack outside this function's body
        found = [s for name in acked_names(site) for s in trace.source(name, shape.order[id(site)])]
        if not found:
            continue  # `consumer.commit()` on a client of `self`: no message named
        kind, _, binding = max(found, key=lambda s: s[1])
        if kind == "fetched" and binding is not None and id(binding) not in added:
            added[id(binding)] = (_end(shape, binding), bound_value(binding))
    if not added:
        return
    for end, node in sorted(added.values(), key=lambda a: a[0]):
        at = next((i for i, e in enumerate(events) if _position(shape, e) > end), len(events))
        events.insert(at, Event("receive", node, 0, WEAK, "the acked message is bound here", detail="bound"))
    for seq, event in enumerate(events, 1):
        event.seq = seq


class _Trace:
    def __init__(self, func: FunctionInfo, shape: Shape, skip: Set[str], receives: List[cst.CSTNode]) -> None:
        self.params = set(func.params) - NOT_MESSAGES
        self.shape = shape
        self.skip = skip | BUILTIN_NAMES | NOT_MESSAGES
        self.receives = {id(n) for n in receives}
        self.bindings: Dict[str, List[Tuple[int, cst.CSTNode]]] = {}
        for node in shape.nodes:
            if isinstance(node, BINDINGS):
                for name in bound_names(node):
                    self.bindings.setdefault(name, []).append((shape.order[id(node)], node))
        self.memo: Dict[Tuple[str, int], List[Source]] = {}

    def source(self, name: str, before: int, depth: int = 0) -> List[Source]:
        """Where the value of `name` read at position `before` came from (empty: a constant, a
        global, or too far to tell)."""
        if name in self.skip or depth > 8:
            return []
        key = (name, before)
        if key not in self.memo:
            self.memo[key] = self._source(name, before, depth)
        return self.memo[key]

    def _source(self, name: str, before: int, depth: int) -> List[Source]:
        earlier = [b for b in self.bindings.get(name, ()) if b[0] < before]
        if not earlier:
            return [("param", -1, None)] if name in self.params else []
        pos, binding = earlier[-1]
        value = bound_value(binding)
        if self._receives_in(value):
            return [("received", pos, binding)]
        names = _data_names(value, self.skip)
        found = [s for n in names for s in self.source(n, pos, depth + 1)]
        if any(kind != "fetched" for kind, _, _ in found):
            return found  # reshaped from a received message or from a parameter
        if found:  # fetched by a call before: iterated here (`for m in batch`), or reshaped (`tag = m.tag`)
            return [("fetched", pos, binding)] if isinstance(binding, cst.For) else found
        inner = value.expression if isinstance(value, cst.Await) else value
        if isinstance(inner, cst.Call) and not _reads(inner) and not (
                isinstance(inner.func, cst.Name) and inner.func.value in COPIES):
            return [("fetched", pos, binding)]  # `m = await queue.get(timeout=5)`: fetched by this call
        return []  # a constant, or what `self` or a global holds (`for tag in self.pending`): not known

    def _receives_in(self, value: cst.CSTNode) -> bool:
        stack = [value]
        while stack:
            cur = stack.pop()
            if id(cur) in self.receives:
                return True
            stack.extend(children(cur))
        return False


def acked_names(site: cst.CSTNode) -> List[str]:
    """The variables an ack names: its arguments (`complete_message(msg)`), else what it is called
    on (`msg.ack()`); for `async with message.process():`, the object `process()` is called on."""
    calls: List[cst.Call] = []
    if isinstance(site, cst.With):
        calls = [item.item for item in site.items if isinstance(item.item, cst.Call)]
    elif isinstance(site, cst.Call):
        calls = [site]
    out: List[str] = []
    for call in calls:
        receiver = [call.func.value] if isinstance(call.func, cst.Attribute) else []
        named = receiver if isinstance(site, cst.With) else [a.value for a in call.args] or receiver
        for expr in named:
            out.extend(local_names(expr, NOT_MESSAGES))
    return out


def _data_names(value: cst.CSTNode, skip: Set[str]) -> Set[str]:
    """The variables a bound value is made of: all it reads, except the objects a method is called
    on to fetch something new (`queue` in `queue.get(timeout=5)`); a method that reads a part of
    its object (`resp.get("Messages")`, `msg.decode()`) or is given data keeps its object."""
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and not _reads(value):
        return {n for a in value.args for n in local_names(a.value, skip)}
    return local_names(value, skip)


def _reads(call: cst.Call) -> bool:
    name = call_name(call) or ""
    if name == "get":
        first = call.args[0] if call.args else None
        return first is not None and first.keyword is None and string_value(first.value) is not None
    return name in READS


def bound_names(node: cst.CSTNode) -> List[str]:
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, (cst.AnnAssign, cst.For, cst.NamedExpr)):
        targets = [node.target]
    elif isinstance(node, cst.WithItem) and node.asname is not None:
        targets = [node.asname.name]
    else:
        return []
    out: List[str] = []
    while targets:
        cur = targets.pop()
        if isinstance(cur, cst.Name):
            out.append(cur.value)
        elif isinstance(cur, (cst.Tuple, cst.List)):
            targets.extend(el.value for el in cur.elements)
        elif isinstance(cur, cst.StarredElement):
            targets.append(cur.value)
    return out


def bound_value(binding: cst.CSTNode) -> cst.CSTNode:
    if isinstance(binding, cst.For):
        return binding.iter
    if isinstance(binding, cst.WithItem):
        return binding.item
    value = getattr(binding, "value", None)
    return value if value is not None else binding


def _end(shape: Shape, binding: cst.CSTNode) -> int:
    """The position of the last node of the binding (for a loop: of its target and iterable)."""
    last = shape.order[id(binding)]
    stack = [binding.target, binding.iter] if isinstance(binding, cst.For) else [binding]
    while stack:
        cur = stack.pop()
        if id(cur) in shape.order:
            last = max(last, shape.order[id(cur)])
        stack.extend(children(cur))
    return last


def _position(shape: Shape, event: Event) -> int:
    site = event.call_node or event.node
    return shape.order.get(id(site), -1)
