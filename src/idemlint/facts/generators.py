"""Consumers that hand each message to their caller with `yield`, and when their ack comes before
the caller's work on it.

The caller's loop body runs while the generator waits at the `yield`. An ack before the `yield`
comes before that work. An ack after the `yield` runs when the caller asks for the next message:
after its work on this one, unless the caller collects the messages first (`list(gen())`,
`[m for m in gen()]`), gives the generator to a library function that reads it in chunks (a search
client's bulk helper), or hands each one off (an executor, a task, a thread, an in-memory queue)
and goes back for the next.
"""

from __future__ import annotations

from typing import List, Optional, Set

from ..records import dataclass
from ..lazyimport import cst  # not loaded before first use

from ..detect.base import Ctx, decorator_call
from ..index import FunctionInfo, ModuleIndex, call_name, dotted, kwarg, positional, walk
from ..model import STRONG, Consumer, Event
from . import callees
from .deferred import Shape, bound_by, classify, local_names, message_data, module_names, site

COLLECTORS = {"list", "tuple", "sorted", "set", "frozenset", "extend"}
# Library functions that read an iterable of actions in chunks and send a chunk once it is full (500
# actions by default): they ask for the next action, so resume the generator past its ack, before
# the chunk holding this one is sent. elasticsearch-py and opensearch-py `helpers.bulk(client,
# actions, ...)`, `streaming_bulk`, `parallel_bulk` and the async twins; also through a re-export
# (`search.helpers.bulk`, a project shim over either client).
CHUNKING = {"bulk", "streaming_bulk", "parallel_bulk", "async_bulk", "async_streaming_bulk"}
SEARCH_CLIENTS = ("elasticsearch", "elasticsearch7", "elasticsearch8", "opensearchpy")


# Decorators that run a generator function as a coroutine: each `yield` waits for a Deferred or a
# future (Twisted's `defer.inlineCallbacks`, Tornado's `gen.coroutine` / `gen.engine`, the old
# `asyncio.coroutine`); nothing is yielded to a caller's loop.
COROUTINE_DECORATORS = frozenset({"inlineCallbacks", "coroutine", "engine"})


def generator_coroutine(func: FunctionInfo) -> bool:
    """A generator function its decorator runs as a coroutine (`@defer.inlineCallbacks`)."""
    return any((dotted(decorator_call(dec)[0]) or "").split(".")[-1] in COROUTINE_DECORATORS
               for dec in func.decorators)


@dataclass
class Caller:
    """A function of the module that iterates over the generator."""

    func: FunctionInfo
    node: cst.CSTNode  # the loop's iterable, the collecting call, or the hand-off in the loop
    how: str  # loops | collected | chunked | handed
    what: str = ""  # the hand-off (`handed`) or the collecting call (`collected`)
    api: bool = True  # a recognised hand-off API (not a name that only looks like a queue or pool)
    framework: str = ""  # a pipeline framework out of the project that reads the generator (`_pipeline_reader`)


@dataclass
class EarlyAck:
    ack: Event
    hand_over: cst.CSTNode  # the yielded value
    before: bool  # the ack comes before the `yield` (else after it, and a caller works later)
    caller: Optional[Caller]

    @property
    def who(self) -> str:
        if self.caller is not None and self.caller.framework:
            return self.caller.framework
        return f"`{self.caller.func.symbol}`" if self.caller else "its caller"

    def describe(self, symbol: str) -> str:
        caller = self.caller
        if self.before:
            return f"`{symbol}` acks the message before it yields it to {self.who}, whose work on it comes after the ack"
        if caller is not None and caller.how == "collected":
            return f"`{symbol}` acks each message after `yield`, but {self.who} collects them all ({caller.what}) first"
        if caller is not None and caller.how == "chunked":
            return (f"`{symbol}` acks each message after `yield`, but {self.who} gives it to {caller.what}, which "
                    f"sends them in chunks: each message is acked before its chunk is sent")
        return (f"`{symbol}` acks after `yield`, when {self.who} asks for the next message: right after handing this "
                f"one to {caller.what if caller else 'other code'}, before that work is done")


def early_ack(consumer: Consumer, index: ModuleIndex) -> Optional[EarlyAck]:
    """The first main-line ack of a generator consumer that comes before its caller's work."""
    func = consumer.function
    yields = [y for y in func.yields if not isinstance(y, cst.From)]
    if not yields or generator_coroutine(func):
        return None  # no generator, or one run as a coroutine (its `yield`s wait, they hand nothing on)
    shape = Shape(func.node)
    skip = module_names(index)
    data = _message_data(consumer, shape, skip)
    yields = [y for y in yields if shape.has(y) and local_names(y, skip) & data]
    acks = [a for a in consumer.of("ack") if a.detail != "framework" and not a.early and not a.in_except
            and shape.has(site(a))]
    if not yields or not acks:
        return None
    callers = _callers(func, index)
    ahead = next((c for c in callers if c.how != "loops"), None) or _pipeline_reader(func, index)
    for ack in acks:
        for y in yields:
            if not _same_turn(consumer, shape, site(ack), y):
                continue
            block = site(ack) if isinstance(site(ack), cst.With) else None  # acks when the block exits
            if shape.order[id(site(ack))] < shape.order[id(y)] and (block is None or not shape.inside(y, block)):
                return EarlyAck(ack, y, True, callers[0] if callers else None)
            if ahead is not None:
                return EarlyAck(ack, y, False, ahead)
    return None


# Pipeline frameworks whose runner reads a source's records from a generator method and writes each
# one to stdout, where a separate destination process loads it (the Singer specification; the Airbyte
# protocol): the next record is asked for once this one is printed, before it is stored anywhere.
# (root of the base class, the generator methods the runner reads, the framework's name)
PIPELINE_READERS = (
    ("singer_sdk.", frozenset({"get_records"}), "the Singer SDK"),
    ("airbyte_cdk.", frozenset({"read", "read_records"}), "the Airbyte CDK"),
)


def _pipeline_reader(func: FunctionInfo, index: ModuleIndex) -> Optional[Caller]:
    """A generator method of a Singer tap's stream or an Airbyte source (`QueueStream.get_records`,
    `SourceAmazonSqs.read`, by their base classes, also through project bases): the framework reads it,
    printing each record for the destination process and asking for the next."""
    cls = index.class_of(func)
    if cls is None or func.class_name != cls.name:
        return None
    lineage = [(cls, index)] + [(c, i) for c, i, _ in callees.base_classes(cls, index, index.project, index.path)]
    for root, methods, name in PIPELINE_READERS:
        if func.name in methods and any((i.resolve(base, None) or "").startswith(root)
                                        for c, i in lineage for base in c.bases):
            return Caller(func, func.node.name, "handed", "its output (stdout), for the destination process to load",
                          framework=name)
    return None


def _message_data(consumer: Consumer, shape: Shape, skip: Set[str]) -> Set[str]:
    """What holds a received message: names bound by a receive call or a loop over a receiver, and
    what is derived from them; a function that receives nothing gets its message as a parameter."""
    func = consumer.function
    seeds: Set[str] = set()
    for receive in consumer.of("receive"):
        if not shape.has(receive.node):
            continue
        loop = shape.parent.get(id(receive.node))
        if isinstance(loop, cst.For) and loop.iter is receive.node:
            seeds |= local_names(loop.target, skip)
        else:
            seeds |= bound_by(func, receive.node)
    if not consumer.of("receive"):
        seeds |= set(func.params) - {"self", "cls"}
    return message_data(func, seeds, skip)


def _same_turn(consumer: Consumer, shape: Shape, ack: cst.CSTNode, handed: cst.CSTNode) -> bool:
    """The ack and the `yield` handle one message: in one iteration of the loop around the `yield`,
    no receive between them, not in two branches of one `if`."""
    loop = shape.loop_of(handed)
    if loop is not None and not shape.inside(ack, loop):
        return False
    low, high = sorted((shape.order[id(ack)], shape.order[id(handed)]))
    if any(shape.has(r.node) and low < shape.order[id(r.node)] < high for r in consumer.of("receive")):
        return False
    return not shape.exclusive(ack, handed)


def _callers(gen: FunctionInfo, index: ModuleIndex) -> List[Caller]:
    """The functions of the module that loop over `gen(...)` or collect it, and how."""
    out: List[Caller] = []
    for func in index.functions:
        if func is gen or not any(call_name(c) == gen.name for c in func.calls):
            continue  # a cheap first look: the generator's name is called here
        ctx = Ctx(index, func)
        for loop in func.fors:
            if _calls(loop.iter, gen, ctx):
                out.append(_loop_caller(func, loop, ctx))
        for call in func.calls:
            arg = positional(call, 0)
            if call_name(call) in COLLECTORS and arg is not None and _calls(arg, gen, ctx):
                out.append(Caller(func, call, "collected", f"`{call_name(call)}()`"))
            chunker = _chunking(call, ctx)
            actions = kwarg(call, "actions") or positional(call, 1)
            if chunker is not None and actions is not None and _calls(_bound_call(actions, func), gen, ctx):
                out.append(Caller(func, call, "chunked", f"`{chunker}()`",
                                  api=(ctx.origin(call.func) or "").split(".")[0] in SEARCH_CLIENTS))
        for node in walk(func.node.body, into_scopes=False):
            if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)) and _calls(node.for_in.iter, gen, ctx) \
                    and not any(isinstance(n, cst.Call) for n in walk(node.elt)):
                out.append(Caller(func, node, "collected", "a comprehension"))
    return out


def _loop_caller(func: FunctionInfo, loop: cst.For, ctx: Ctx) -> Caller:
    """`for m in gen(): pool.submit(work, m)`: the next message is asked for right after the hand-off
    (also one a function of the project makes of what the loop gives it: `data = self.handler(event)`,
    then `self._push_to_queue(data)`, which puts it on an in-memory queue)."""
    shape = Shape(func.node)
    tainted = message_data(func, local_names(loop.target, set()), module_names(ctx.index))
    for call in func.calls:
        if shape.inside(call, loop) and call is not loop.iter:
            handed = classify(call, ctx, tainted)
            via = ""
            if handed is None:
                handed, via = _helper_hand_off(call, ctx, tainted)
            if handed is not None:
                return Caller(func, call, "handed", handed.what + via, api=handed.strength >= STRONG)
    return Caller(func, loop.iter, "loops")


def _helper_hand_off(call: cst.Call, ctx: Ctx, tainted: Set[str]):
    """The hand-off that the project function `call` runs makes of what it is given (its parameters),
    one level down: (the hand-off, " (in `helper`)"), or (None, "")."""
    if not any(a.value is not None and local_names(a.value, set()) & tainted for a in call.args):
        return None, ""
    callee = callees.resolve(call.func, ctx, ctx.index.project, ctx.index.path)
    if callee is None:
        return None, ""
    inner = Ctx(callee.index, callee.func)
    params = set(callee.func.params) - {"self", "cls"}
    for c in callee.func.calls:
        handed = classify(c, inner, params)
        if handed is not None:
            return handed, f" (in `{callee.func.symbol}`)"
    return None, ""


def _chunking(call: cst.Call, ctx: Ctx) -> Optional[str]:
    """`helpers.bulk` (and its kin) of a search client, as the file imports it: the function's name."""
    origin = (ctx.origin(call.func) or "").split(".")
    if len(origin) < 2 or origin[-1] not in CHUNKING or origin[-2] != "helpers" or origin[0] == "":
        return None  # `origin[0] == ""`: a relative import, the project's own `helpers` module
    if callees.resolve(call.func, ctx, ctx.index.project, ctx.index.path) is not None:
        return None  # a project function of that name
    return ".".join(origin[-2:])


def _bound_call(expr: cst.BaseExpression, func: FunctionInfo) -> cst.BaseExpression:
    """`actions = self.actions(messages)` then `bulk(client, actions)`: the call `expr` was bound to."""
    if isinstance(expr, cst.Name):
        values = func.assigns.get(expr.value, ())
        if len(values) == 1:
            return values[0][0]
    return expr


def _calls(expr: cst.BaseExpression, gen: FunctionInfo, ctx: Ctx) -> bool:
    if not isinstance(expr, cst.Call) or call_name(expr) != gen.name:
        return False
    callee = callees.resolve(expr.func, ctx, ctx.index.project, ctx.index.path)
    return callee is not None and callee.func.node is gen.node


__all__ = ["Caller", "EarlyAck", "early_ack"]
