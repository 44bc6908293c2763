"""Hand-offs to in-memory deferred work (executors, pools, asyncio tasks, threads, queues) and the
shape of a handler body (loops, branches) that IDEM004 needs to tell one message from the next."""

from __future__ import annotations

import builtins
import re
from typing import Dict, List, Optional, Set

import libcst as cst

from ..records import dataclass
from ..detect.base import Ctx, receiver_last
from ..index import FunctionInfo, call_name, children, dotted, kwarg, positional, walk
from ..model import STRONG, WEAK, Consumer, Event
from .identity import mentions
from ..lazyre import lazy_re

EXECUTORS = ("ThreadPoolExecutor(", "ProcessPoolExecutor(", "concurrent.futures", "Executor(")
POOLS = ("multiprocessing.Pool(", "multiprocessing.pool.Pool(", "multiprocessing.pool.ThreadPool(",
         "multiprocessing.dummy.Pool(", ".Pool(", "ThreadPool(")
QUEUES = ("queue.Queue(", "queue.SimpleQueue(", "queue.LifoQueue(", "queue.PriorityQueue(", "asyncio.Queue(",
          "asyncio.LifoQueue(", "asyncio.PriorityQueue(", "asyncio.queues.Queue(", "multiprocessing.Queue(",
          "multiprocessing.JoinableQueue(", "multiprocessing.SimpleQueue(", ".Manager().Queue(", "janus.Queue(")
THREADS = ("threading.Thread", "threading.Timer", "multiprocessing.Process", "multiprocessing.context.Process")
# structured concurrency: the block waits for its tasks before it exits
TASK_GROUPS = ("TaskGroup(", "anyio.create_task_group(", "trio.open_nursery(")
POOL_METHODS = {"apply_async", "map_async", "starmap_async", "imap", "imap_unordered"}
# an event loop runs these later, from its own thread: `loop.call_soon_threadsafe(queue.put_nowait, msg)`
LOOP_CALLS = {"call_soon", "call_soon_threadsafe", "call_later", "call_at", "run_coroutine_threadsafe"}
NAMES = {"submit", "map", "run_in_executor", "create_task", "ensure_future", "put", "put_nowait", "Thread",
         "Timer", "Process", "add_job", "crawl", *POOL_METHODS, *LOOP_CALLS}
QUEUE_NAME = lazy_re(r"(^|_)(q|inq|outq|queue|queues|inbox|backlog|jobs|work|tasks|pending|buffer)$", re.I)
EXECUTOR_NAME = lazy_re(r"(executor|pool|workers?)$", re.I)
# results and futures that are waited for: the work is done when the handler goes on
WAIT_CALLS = {"result", "join", "wait", "gather", "as_completed", "wait_for", "exception", "shield"}
# a `threading.Timer` the function cancels (`finally: timeout.cancel()`) is a watchdog: its work runs
# only if the function overruns (geonode's `Timer(UNOCONV_TIMEOUT, kill, [process])`)
TIMER_WAITS = WAIT_CALLS | {"cancel"}
BUILTIN_NAMES = set(dir(builtins))
ACKISH = lazy_re(r"(^|_)(n?ack|acknowledge|commit|complete_message|delete_message|xack)($|_)")


@dataclass
class Deferred:
    what: str
    strength: int  # STRONG: a recognised executor/pool/task/thread/queue API; WEAK: a queue-like name only


def classify(call: cst.Call, ctx: Ctx, tainted: Set[str]) -> Optional[Deferred]:
    """`executor.submit(fn, msg)`, `asyncio.create_task(handle(msg))`, `work_queue.put(msg)`, ...

    Only when the message (or data derived from it) goes along and the work is not waited for
    in the same function (`await`, `.result()`, `.join()`, `wait(...)`, `gather(...)`).
    """
    name = call_name(call) or ""
    if name not in NAMES or not call.args or not any(_hands_over(a.value, tainted) for a in call.args):
        return None
    if any(ACKISH.search(call_name(c) or "") for c in _calls_in(call)):
        return None  # `create_task(message.ack())`: an ack, not the work
    found = _kind(call, name, ctx)
    if found is None or ctx.func is None:
        return found
    if name in LOOP_CALLS and _only_resolves(call, ctx):
        return None  # `loop.call_soon_threadsafe(set_result, fut, msg)`: a waiter of this process, no work
    waits = TIMER_WAITS if name == "Timer" else WAIT_CALLS
    if _waited(call, ctx.func, queue=name in ("put", "put_nowait"), waits=waits):
        return None
    return found


# what a callback may do that leaves nothing to lose: complete a waiter of the same process, log
_IN_PROCESS = frozenset({"set_result", "set_exception", "set", "cancel", "done", "cancelled", "print", "debug", "info",
                         "warning", "warn", "error", "exception", "critical", "log"})


def _only_resolves(call: cst.Call, ctx: Ctx) -> bool:
    """The function an event loop is given (`loop.call_soon_threadsafe(fn, fut, result)`, a timeout's
    `loop.call_later(t, on_timeout)`) only completes, cancels or checks a future or an event, or logs:
    `fut.set_result(result)` wakes a waiter of this very process, which a crash takes down with the
    message, so nothing is left undone. Read for a function nested in this one or beside it (in
    the function that holds it); anything else may be work."""
    at = 1 if (call_name(call) or "") in ("call_later", "call_at") else 0  # `call_later(delay, callback, ...)`
    if len(call.args) <= at:
        return False
    target = call.args[at].value
    if isinstance(target, cst.Attribute):
        return target.attr.value in ("set_result", "set_exception")
    if not isinstance(target, cst.Name) or ctx.func is None:
        return False
    found = ctx.func.local_def(target.value) or (ctx.func.parent.local_def(target.value) if ctx.func.parent else None)
    if found is None:
        return False
    calls = [node for node in walk(found.body) if isinstance(node, cst.Call)]
    allowed = [c for c in calls if (call_name(c) or "") in _IN_PROCESS]
    inside = {id(node) for c in allowed for a in c.args for node in walk(a.value)}  # what a log line formats
    return bool(calls) and all(c in allowed or id(c) in inside for c in calls)


def _hands_over(expr: cst.BaseExpression, tainted: Set[str]) -> bool:
    """The message, or data of it, goes along in `expr`, and not only inside a sentence formatted
    from it: `q.put((queue_name, f"Message {header['message-id']} exported"))` hands a printer a
    status line about the message, not the message."""
    if isinstance(expr, (cst.Tuple, cst.List)):
        return any(_hands_over(element.value, tainted) for element in expr.elements)
    if isinstance(expr, cst.FormattedString):
        text = "".join(part.value for part in expr.parts if isinstance(part, cst.FormattedStringText))
        if re.search(r"[A-Za-z]{3,}", text) and re.search(r"\s", text):
            return False  # words and spaces around the values: a sentence, not a key or a payload
    return mentions(expr, tainted)


def _kind(call: cst.Call, name: str, ctx: Ctx) -> Optional[Deferred]:
    recv = call.func.value if isinstance(call.func, cst.Attribute) else None
    origin = ctx.origin(recv) if recv is not None else None
    text = dotted(call.func) or name
    last = receiver_last(call)
    if name in ("Thread", "Timer", "Process"):
        full = ctx.origin(call.func) or ""
        if full.startswith(THREADS) and not _only_target(call):
            return Deferred(f"a thread `{text}(...)`", STRONG)
        return None
    if name == "run_in_executor":
        return Deferred(f"`{text}()`", STRONG)
    if name == "crawl":
        # Scrapy's `crawler.engine.crawl(request)` puts the request in the engine's scheduler: it is
        # fetched, parsed and its items stored later, by the engine's loop
        if last == "engine" and ctx.imports("scrapy"):
            return Deferred(f"the Scrapy engine's scheduler `{text}()`", STRONG)
        return None
    if name == "add_job":
        # APScheduler's `scheduler.add_job(func, args=[...])`: the job runs later, on the scheduler's executor
        return Deferred(f"an APScheduler job `{text}()`", STRONG) if (origin or "").startswith("apscheduler") else None
    if name in LOOP_CALLS:
        if (ctx.origin(call.func) or "").startswith("asyncio.") or "loop" in last.lower():
            return Deferred(f"the event loop `{text}()`", STRONG)
        return None
    if name in ("create_task", "ensure_future"):
        if origin and any(g in origin for g in TASK_GROUPS) or last.lower() in ("tg", "nursery", "task_group", "group"):
            return None  # a task group waits for its tasks when its block exits
        if (ctx.origin(call.func) or "").startswith("asyncio.") or "loop" in last.lower():
            return Deferred(f"an asyncio task `{text}()`", STRONG)
        if not isinstance(call.args[0].value, (cst.Call, cst.Await)):
            return None  # `self.db.create_task(task_data)`: a record made of data, not a coroutine run later
        return Deferred(f"a task `{text}()`", WEAK)
    if name in ("submit", "map"):
        if origin and any(e in origin for e in EXECUTORS):
            return Deferred(f"an executor `{text}()`", STRONG)
        if name == "submit" and origin is None and EXECUTOR_NAME.search(last):
            return Deferred(f"`{text}()`", WEAK)
        return None
    if name in POOL_METHODS:
        strength = _pool(call, ctx)
        if strength is None:
            return None
        return Deferred(f"a process pool `{text}()`" if strength == STRONG else f"`{text}()`", strength)
    # put / put_nowait
    if origin and any(q in origin for q in QUEUES):
        return Deferred(f"an in-memory queue `{text}()`", STRONG)
    if _unknown_object(origin, ctx) and QUEUE_NAME.search(last) and not ctx.imports("kombu"):
        return Deferred(f"`{text}()`", WEAK)  # kombu's `SimpleQueue.put` publishes to the broker
    return None


def _unknown_object(origin: Optional[str], ctx: Ctx) -> bool:
    """An object neither the project nor a library idemlint knows makes: nothing resolved, or an
    attribute of another library's object (`context.output_queue` of a `sgn.subprocess.WorkerContext`
    parameter), whose queue-like name is all there is to go on. A project class's `put` is followed."""
    from .handler import KNOWN_LIBRARIES  # not at import time: `handler` imports this module

    if origin is None:
        return True
    if origin.split(".")[0].split("(")[0] in KNOWN_LIBRARIES | {"", "queue", "asyncio", "multiprocessing"}:
        return False
    project = ctx.index.project
    return project is None or project.find(origin, ctx.index.path) is None


def on_pool(call: cst.Call, ctx: Ctx) -> bool:
    """`pool.apply_async(...)` on a `multiprocessing` pool: work in a process of this host, not a task
    queue's `apply_async`."""
    return (call_name(call) or "") in POOL_METHODS and _pool(call, ctx) is not None


def _pool(call: cst.Call, ctx: Ctx) -> Optional[int]:
    """STRONG if the receiver is a `multiprocessing` pool by its origin, WEAK if nothing resolves it and
    it is named like a pool, else None."""
    if not isinstance(call.func, cst.Attribute):
        return None
    origin = ctx.origin(call.func.value)
    if origin:
        return STRONG if any(p in origin for p in POOLS) else None
    return WEAK if "pool" in receiver_last(call).lower() else None


# a message kept in a container of the handler's object (`self.pending.append(task)`), and taken out in
# another method of the class (`self.pending.popleft()`, `clear()`): that method works on it later
BUFFER_ADDS = {"append", "appendleft", "extend", "add", "insert"}
BUFFER_DRAINS = {"pop", "popleft", "popitem", "clear"}


def _hands_out(method, held: str) -> bool:
    """`def get_messages(self): return self.received_messages`: a method that gives its caller the
    container itself (or a copy of it, `list(self.events)`), whose work on what was collected comes
    later; a getter of anything else (its length, one item) is no drain."""
    for value in method.returns:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in (
                "list", "tuple", "sorted") and len(value.args) == 1:
            value = value.args[0].value
        if dotted(value) == held:
            return True
    return False


def buffered(call: cst.Call, ctx: Ctx, tainted: Set[str]) -> Optional[Deferred]:
    """`self.tasks.append(task)` in a handler (the consumer's own function), with the message (or data of
    it) going along, where `self.tasks` is a list, deque or set the class builds in memory and another
    of its methods, or a function of a module it imports, drains (`pop`, `popleft`, `clear`) or hands
    out whole (`return self.received_messages`): the work is done there, after the handler returns.
    Not when the handler itself calls that method or works on the container; an append to a
    container nothing takes from is state (`facts.handoff`)."""
    from .handoff import container_attr  # handoff is read by the handler walk, which imports this module

    func = call.func
    if not isinstance(func, cst.Attribute) or not call.args or ctx.func is None or ctx.func.class_name is None:
        return None
    recv = func.value
    if not (isinstance(recv, cst.Attribute) and isinstance(recv.value, cst.Name) and recv.value.value == "self"):
        return None
    if not any(_hands_over(a.value, tainted) for a in call.args) or not container_attr(recv, ctx):
        return None
    cls = ctx.index.class_of(ctx.func)
    if cls is None:
        return None
    attr = recv.attr.value
    held = f"self.{attr}"
    drains = [method for method in cls.methods.values() if method is not ctx.func and (any(
        call_name(other) in BUFFER_DRAINS and isinstance(other.func, cst.Attribute) and dotted(other.func.value) == held
        for other in method.calls) or _hands_out(method, held))]
    called = {dotted(c.func) for c in ctx.func.calls}
    if any(f"self.{method.name}" in called for method in drains):
        return None  # `if len(self.batch) >= 100: self.flush()`: the handler drains it itself, then acks
    if any(c is not call and any(dotted(a.value) == held for a in c.args) for c in ctx.func.calls):
        return None  # `write(self.rows)` in the handler itself: what it holds is worked on here
    if drains:
        how = "handed out whole" if _hands_out(drains[0], held) else "drained"
        return Deferred(f"an in-memory buffer `{held}` ({how} in `{drains[0].symbol}`)", WEAK)
    # or drained by a function the object is handed to, in a project module this one imports
    # (`bot_tasks.run_tasks(self)`, which does `bot.tasks.pop(0)`)
    project, path = ctx.index.project, ctx.index.path
    if project is not None and path is not None:
        from ..origins import read_head

        drain = re.compile(rb"\w\." + re.escape(attr.encode()) + rb"\.(?:" + "|".join(sorted(BUFFER_DRAINS)).encode() + rb")\(")
        for other_path in project.origins.imported_files(path):
            if drain.search(read_head(other_path)):
                return Deferred(f"an in-memory buffer `{held}`", WEAK)
    return None


THREAD_BASES = ("threading.Thread", "multiprocessing.Process", "multiprocessing.context.Process")


def started_thread(call: cst.Call, ctx: Ctx, tainted: Set[str]) -> Optional[Deferred]:
    """`worker.start()` of an object of a project class that subclasses `threading.Thread` (or
    `multiprocessing.Process`), built here with the message (`worker = RESTWorker(payload=body, ...)`,
    or `RESTWorker(...).start()`), and not joined in the function: its `run()` works later."""
    if call_name(call) != "start" or call.args or not isinstance(call.func, cst.Attribute) or ctx.func is None:
        return None
    made = call.func.value
    holder = made.value if isinstance(made, cst.Name) else None
    if holder is not None:
        values = ctx.func.values_of(holder)
        made = values[0] if len(values) == 1 else None
    if not isinstance(made, cst.Call) or not any(_hands_over(a.value, tainted) for a in made.args):
        return None
    if _waited(made, ctx.func, queue=False):
        return None  # joined (`worker.join()`): its work is done before the handler goes on
    base = _thread_base(made, ctx)
    return Deferred(f"a thread `{dotted(made.func)}(...)` ({base})", STRONG) if base else None


def _thread_base(made: cst.Call, ctx: Ctx) -> Optional[str]:
    """Why the project class `made` builds runs its work on a thread once started: it subclasses
    `threading.Thread` (or `multiprocessing.Process`), or its `start()` (its own or a project base's)
    starts one on the object itself (`Thread(target=self).start()`, `Thread(target=self.run)`) and
    does not join it. None otherwise."""
    from .callees import base_classes, class_named  # not at import time: `callees` comes later

    found = class_named(made.func, ctx, ctx.index.path)
    if found is None:
        return None
    lineage = [found] + base_classes(found[0], found[1], ctx.index.project, found[2])
    for cls, index, _ in lineage:
        for base in cls.bases:
            origin = index.resolve(base, None) or ""
            if origin.startswith(THREAD_BASES):
                return f"a `{origin}` subclass"
    start = next(((cls.methods["start"], index) for cls, index, _ in lineage if "start" in cls.methods), None)
    if start is None:
        return None
    method, index = start
    for call in method.calls:
        target = kwarg(call, "target") if call_name(call) in ("Thread", "Process") else None
        on_self = isinstance(target, cst.Name) and target.value == "self" or isinstance(target, cst.Attribute) \
            and isinstance(target.value, cst.Name) and target.value.value == "self"
        runner = (index.resolve(call.func, method) or "") if on_self else ""
        if runner.startswith(THREADS) and not _waited(call, method, queue=False):
            return f"its `start()` runs it on a `{runner}`"
    return None


def waited_work(call: cst.Call, ctx: Ctx, tainted: Set[str]):
    """The function and arguments of a thread or executor job that is given the message and waited
    for in the same function (`t = Thread(target=self.deliver, args=[message]); t.start(); ...
    t.join()`, `executor.submit(self.handle, msg).result()`): `(target, args)`, else None. Its work
    runs before the handler goes on, as a call of `target(*args)` would."""
    name = call_name(call) or ""
    if name in ("Thread", "Process"):
        target, given = kwarg(call, "target"), kwarg(call, "args")
        args = [el.value for el in given.elements] if isinstance(given, (cst.List, cst.Tuple)) else []
    elif name in ("submit", "run_in_executor"):
        at = 1 if name == "run_in_executor" else 0
        target = positional(call, at)
        args = [a.value for a in call.args[at + 1:] if a.keyword is None and not a.star]
    else:
        return None
    if target is None or not args or not any(_hands_over(a, tainted) for a in args) or ctx.func is None:
        return None
    if _kind(call, name, ctx) is None or not _waited(call, ctx.func, queue=False):
        return None
    return target, [cst.Arg(value=a) for a in args]


def _only_target(call: cst.Call) -> bool:
    """`Thread(target=self.run_forever)`: a worker loop started once, not this message's work."""
    return kwarg(call, "args") is None and kwarg(call, "kwargs") is None and positional(call, 2) is None


def _calls_in(call: cst.Call) -> List[cst.Call]:
    out, stack = [], [a.value for a in call.args]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Call):
            out.append(cur)
        if not isinstance(cur, (cst.Lambda, cst.FunctionDef)):
            stack.extend(children(cur))
    return out


# -- the shape of a function body -----------------------------------------------------------------

class Shape:
    """Parents and source order of the nodes of one function body (nested defs excluded)."""

    def __init__(self, func: cst.FunctionDef) -> None:
        self.parent: Dict[int, cst.CSTNode] = {}
        self.order: Dict[int, int] = {}
        self.nodes: List[cst.CSTNode] = []
        stack: List[cst.CSTNode] = [func.body]
        while stack:
            cur = stack.pop()
            self.order[id(cur)] = len(self.nodes)
            self.nodes.append(cur)
            kids = [k for k in children(cur) if not isinstance(k, (cst.FunctionDef, cst.ClassDef, cst.Lambda))]
            for kid in kids:
                self.parent[id(kid)] = cur
            stack.extend(reversed(kids))

    def ancestors(self, node: cst.CSTNode) -> List[cst.CSTNode]:
        out, cur = [], self.parent.get(id(node))
        while cur is not None:
            out.append(cur)
            cur = self.parent.get(id(cur))
        return out

    def has(self, node: Optional[cst.CSTNode]) -> bool:
        return node is not None and id(node) in self.order

    def loop_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The innermost `for`/`while` around `node` (a `for` owns its own iterable)."""
        return next((a for a in self.ancestors(node) if isinstance(a, (cst.For, cst.While))), None)

    def inside(self, node: cst.CSTNode, outer: cst.CSTNode) -> bool:
        return any(a is outer for a in self.ancestors(node))

    def in_receive_loop(self, receive: Optional[cst.CSTNode], *nodes: cst.CSTNode) -> bool:
        """All `nodes` are inside the loop around the latest receive (True when it is in no loop)."""
        loop = self.loop_of(receive) if receive is not None else None
        return loop is None or all(self.inside(n, loop) for n in nodes)

    def with_block(self, option: Optional[cst.CSTNode]) -> Optional[cst.CSTNode]:
        """The `with` statement whose context expression holds `option` (`with get_queue_receiver(
        ..., receive_mode=RECEIVE_AND_DELETE) as receiver:`), or None."""
        if option is None or not self.has(option):
            return None
        child: cst.CSTNode = option
        for anc in self.ancestors(option):
            if isinstance(anc, cst.With):
                return anc if isinstance(child, cst.WithItem) else None
            if isinstance(anc, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return None
            child = anc
        return None

    def same_iteration_source(self, node: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """`node` is inside another `for` over the same iterable as `loop` (`for m in batch:` twice),
        or over a list `loop` fills from its items (`for m in messages: payloads.append(json.loads(m.body));
        m.delete()`, then `for payload in payloads: run(payload)`)."""
        if not isinstance(loop, cst.For):
            return False
        source = dotted(loop.iter)
        if source is None:
            return False
        items = {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
        for a in self.ancestors(node):
            if not isinstance(a, cst.For) or a is loop:
                continue
            if dotted(a.iter) == source:
                return True
            if isinstance(a.iter, cst.Name) and _filled_from(loop.body, a.iter.value, items):
                return True
        return False

    def exclusive(self, a: cst.CSTNode, b: cst.CSTNode) -> bool:
        """True when `a` and `b` sit in different branches of one `if`/`match` (never both run)."""
        path_a = [a] + self.ancestors(a)
        ids_a = {id(n): i for i, n in enumerate(path_a)}
        path_b = [b] + self.ancestors(b)
        for j, node in enumerate(path_b):
            if id(node) in ids_a:
                i = ids_a[id(node)]
                if i == 0 or j == 0:
                    return False
                child_a, child_b = path_a[i - 1], path_b[j - 1]
                if isinstance(node, cst.If):
                    return _branch(node, child_a) != _branch(node, child_b)
                return isinstance(node, cst.Match) and child_a is not child_b
        return False


    def awaits_between(self, start: Optional[cst.CSTNode], node: cst.CSTNode) -> bool:
        """An `await` after `start` (None: the function's start) and up to `node` (`node` itself
        awaited included): where an asyncio background task, such as aiokafka's auto-commit, may run."""
        first = self.order.get(id(start), -1) if start is not None else -1
        last = self.order.get(id(node), -1)
        # pre-order: an `await` around `node` comes before it, one around `start` before `start`
        return any(isinstance(n, cst.Await) for n in self.nodes[first + 1:last + 1])


def site(event: Event) -> cst.CSTNode:
    """The node in the handler's own body: the call that led to a helper's event, else the event."""
    return event.call_node or event.node


def awaits_before(consumer, event) -> bool:
    """The handler awaits between the receive of `event`'s message (or its start) and `event`."""
    shape = Shape(consumer.function.node)
    receives = [r.node for r in consumer.of("receive") if r.seq < event.seq and shape.has(r.node)]
    return shape.awaits_between(receives[-1] if receives else None, event.call_node or event.node)


def in_receive_scope(consumer, effects: List, skip: Set[str]) -> List:
    """The `effects` that handle a message of `consumer`: not after its receive loop, not outside the
    `with` block of an auto-ack receiver, and after a one-off receive only those that use what was
    received (a test that sends a new batch afterwards handles nothing)."""
    if not effects or not (consumer.of("receive") or consumer.option_node is not None):
        return effects
    shape = Shape(consumer.function.node)
    block = shape.with_block(consumer.option_node)
    kept = []
    for effect in effects:
        site = effect.call_node or effect.node
        if not shape.has(site):
            kept.append(effect)
            continue
        receives = [r.node for r in consumer.of("receive") if r.seq < effect.seq and shape.has(r.node)]
        if receives and not shape.in_receive_loop(receives[-1], site):
            continue
        if block is not None and not shape.inside(site, block):
            continue
        if receives and shape.loop_of(receives[-1]) is None and not _uses_received(consumer, receives[-1], site, skip):
            continue
        kept.append(effect)
    return kept


def processes(consumer: Consumer, shape: Shape, ack: Event, work: Event, skip: Set[str]) -> bool:
    """Work after the ack handles the acked message, unless a function that fetched the message
    itself (a test, a script) acks it and then does something that uses none of its data, outside
    any loop around the ack: `message.ack()` then `producer.publish("second")` sends the next one."""
    if not shape.has(ack.node) or not isinstance(ack.node, cst.Call):
        return True  # acked in a helper: its names are not this function's
    call = ack.node
    # the message is what the ack is given (`complete_message(msg)`), else its receiver (`msg.ack()`)
    named = [a.value for a in call.args] or ([call.func.value] if isinstance(call.func, cst.Attribute) else [])
    seeds = set().union(*(local_names(n, skip) for n in named))
    if not seeds or seeds & set(consumer.function.params):
        return True  # `consumer.commit()` names no message; a callback's every step is for its message
    loop = shape.loop_of(call)
    if loop is not None and shape.inside(site(work), loop):
        return True  # the same iteration as the ack: the per-message handling
    return bool(local_names(site(work), skip) & message_data(consumer.function, seeds, skip))


# a nack/reject/modack helper settles the message, it does not process it
SETTLE = lazy_re(r"^_*(basic_)?(n?ack|nak|acknowledge|reject|requeue|drop|term|abandon|dead_letter|defer_message|"
                    r"modify_ack_deadline|modack|settle|complete)(_\w+)?$")


def settles(event: Event) -> bool:
    """Found in a helper that settles the message (`nack_message(...)`): no processing of it."""
    return any(SETTLE.match(link.split(".")[-1]) for link in event.chain)


def ack_before_work(consumer: Consumer, acks: List[Event], work: List[Event], skip: Set[str], index=None):
    """(ack, work, before) for the first ack that comes before work on its message: the work follows
    it, or it follows a hand-off of the message (`before`); None if every ack follows the work. With
    the module's `index`, work that only records the ack's own result is none (`_records_the_ack`)."""
    shape = Shape(consumer.function.node)
    for ack in acks:
        late = next((e for e in work if e.seq > ack.seq and same_message(consumer, shape, ack, e, ack)
                     and processes(consumer, shape, ack, e, skip) and not _records_the_ack(ack, e, index, skip)),
                    None)
        early = next((e for e in work if e.kind == "defer" and e.seq < ack.seq and _in_hand(consumer, shape, e)
                      and same_message(consumer, shape, e, ack, ack) and not _leaves_before(shape, site(e), site(ack))),
                     None)
        found = early or late
        if found is not None:
            return ack, found, found.seq < ack.seq
    return None


def _records_the_ack(ack: Event, work: Event, index, skip: Set[str]) -> bool:
    """Work that only records what the ack returned: `offsets = self.consumer.commit(asynchronous=False)`,
    then one commit-log record per committed offset (`producer.produce(log_topic, value=str(item.offset))`
    for `item` in `offsets`). It describes the commit, not the message: nothing the ack came before.
    Both calls in one function of the module (the handler's or a helper's), the ack a library's, every
    name the work is given (`self` aside) read from the ack's result."""
    call, done = ack.node, work.node
    if index is None or not isinstance(call, cst.Call) or not isinstance(done, cst.Call):
        return False
    from ..detect import ACK_ADAPTERS, called_name  # the adapters import this module's siblings

    if called_name(call) not in ACK_ADAPTERS:
        return False  # a helper that acks and returns the messages (`for req in self.next_requests():`)
    func = next((f for f in index.functions if any(c is call for c in f.calls) and any(c is done for c in f.calls)),
                None)
    bound = bound_by(func, call) if func is not None else set()
    if not bound:
        return False
    given = set().union(*(local_names(a.value, skip) for a in done.args)) - {"self", "cls"}
    return bool(given) and given <= message_data(func, bound, skip)


_EXITS = (cst.Break, cst.Return, cst.Continue, cst.Raise)


def ends_by_leaving(body: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The statement a block ends with when it leaves the function or the iteration (`return`,
    `continue`, `break`, `raise`), else None."""
    if isinstance(body, cst.IndentedBlock):
        last = body.body[-1] if body.body else None
        final = last.body[-1] if isinstance(last, cst.SimpleStatementLine) and last.body else None
    elif isinstance(body, cst.SimpleStatementSuite):
        final = body.body[-1] if body.body else None
    else:
        return None
    return final if isinstance(final, _EXITS) else None


def _leaves_before(shape: Shape, handed: cst.CSTNode, ack: cst.CSTNode) -> bool:
    """`handed` is in a block that ends by leaving and does not hold `ack`: that way never reaches
    the ack (`if not_due: delay_queue.put(item); break`, with the ack after the `if` for the items
    that are due)."""
    for block in shape.ancestors(handed):
        if not isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            continue
        if shape.inside(ack, block):
            return False
        if ends_by_leaving(block) is not None:
            return True
    return False


def _in_hand(consumer: Consumer, shape: Shape, event: Event) -> bool:
    """`Consumer.in_hand`, where an ack in the other branch of an `if` settles nothing on the way
    `event` is on (`if msg.dequeue_count > limit: delete(msg) else: schedule(msg); delete(msg)`)."""
    at = site(event)
    return consumer.in_hand(event, elsewhere=lambda ack: shape.has(site(ack)) and shape.has(at)
                            and shape.exclusive(site(ack), at))


def same_message(consumer: Consumer, shape: Shape, first: Event, then: Event, ack: Event) -> bool:
    """`then` still handles the message `first` was about: no receive in between, inside the
    receive loop and the loop over the batch that acks, not in the other branch of an `if`."""
    receives = consumer.of("receive")
    if any(first.seq < r.seq < then.seq for r in receives):
        return False
    a, b = site(first), site(then)
    if not (shape.has(a) and shape.has(b)):
        return False
    current = [r.node for r in receives if r.seq < min(first.seq, then.seq) and shape.has(r.node)]
    if not shape.in_receive_loop(current[-1] if current else None, a, b):
        return False  # after the receive loop: the last message is long acked, nothing is in hand
    batch = shape.loop_of(site(ack))
    if batch is not None and first is ack and not (current and shape.inside(current[-1], batch)):
        # `for msg in received: complete(msg)` then work after that loop: once the batch is
        # settled, what follows is the next step, unless it loops over the same messages again
        # (work handed off before the loop that settles the batch is the batch's own)
        other = b if site(ack) is a else a
        if not shape.inside(other, batch) and not shape.same_iteration_source(other, batch):
            return False
    return not shape.exclusive(a, b)


def _uses_received(consumer, receive: cst.CSTNode, site: cst.CSTNode, skip: Set[str]) -> bool:
    """After a one-off receive (no loop), an effect handles what was received only if it uses it:
    `msgs = receiver.receive_messages()` then `sender.send_messages(new_batch)` sends a new batch."""
    seeds = bound_by(consumer.function, receive)
    if not seeds:
        return True  # the received messages are not held in a variable we can follow
    return bool(local_names(site, skip) & message_data(consumer.function, seeds, skip))


# calls that add what they are given to a collection (`payloads.append(json.loads(m.body))`)
COLLECTORS = frozenset({"append", "extend", "add", "insert", "appendleft"})


def _filled_from(body: cst.CSTNode, holder: str, items: Set[str]) -> bool:
    """`body` adds to the list `holder` a value made from `items` (`payloads.append(json.loads(m.body))`)."""
    return any(isinstance(n, cst.Call) and call_name(n) in COLLECTORS
               and isinstance(n.func, cst.Attribute) and isinstance(n.func.value, cst.Name)
               and n.func.value.value == holder and any(mentions(a.value, items) for a in n.args)
               for n in walk(body))


def _branch(node: cst.If, child: cst.CSTNode) -> str:
    return "test" if child is node.test else "body" if child is node.body else "orelse"


def _waited(call: cst.Call, func: FunctionInfo, queue: bool, waits: Set[str] = WAIT_CALLS) -> bool:
    """The deferred work is waited for later in the same function (a call of `waits` on what holds
    it), or awaited right away."""
    shape = Shape(func.node)
    if not shape.has(call):
        return False
    holder: Optional[str] = None
    for anc in shape.ancestors(call):
        # a put is never waited for where it is made: `await q.put(m)` and `gather(*(q.put(m) for m in
        # batch))` wait for the puts, not for the consumer of the queue (only `q.join()` does)
        if isinstance(anc, cst.Await) and not queue:
            return True  # `await loop.run_in_executor(...)`, `await asyncio.gather(create_task(...))`
        if isinstance(anc, cst.Call) and not queue and (call_name(anc) or "") in WAIT_CALLS | {"list", "tuple", "sorted"}:
            return True  # `executor.submit(...).result()`, `list(executor.map(...))`
        if isinstance(anc, cst.For) and not queue:
            return True  # `for result in executor.map(...)`
        if isinstance(anc, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = anc.targets if isinstance(anc, cst.Assign) else [anc]
            for t in targets:
                if isinstance(t.target, cst.Name):
                    holder = t.target.value
            break
        if isinstance(anc, cst.Call) and call_name(anc) in ("append", "add", "extend", "insert"):
            holder = receiver_last(anc) or None
        if isinstance(anc, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            break
    if queue:
        holder = receiver_last(call) or None  # `queue.join()` waits until every item was processed
    if holder is None:
        return False
    for other in shape.nodes[shape.order[id(call)] + 1:]:
        if isinstance(other, cst.Await) and not queue and mentions(other.expression, {holder}):
            return True  # `await task`, `await asyncio.wait(tasks)`
        if isinstance(other, cst.Call) and (call_name(other) or "") in waits and (
                mentions(other.func, {holder}) or any(mentions(a.value, {holder}) for a in other.args)):
            return True  # `future.result()`, `wait(futures)`, `thread.join()`, `work_queue.join()`
    return False


# -- which names hold one message's data ---------------------------------------------------------


def local_names(expr: cst.CSTNode, skip: Set[str]) -> Set[str]:
    """The variables `expr` reads: bare names, roots of attribute chains, not called function names,
    attribute names or keyword names, and none of `skip` (imports, globals, builtins)."""
    out: Set[str] = set()
    stack: List[cst.CSTNode] = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name):
            if cur.value not in skip:
                out.add(cur.value)
        elif isinstance(cur, cst.Attribute):
            stack.append(cur.value)
        elif isinstance(cur, cst.Call):
            if not isinstance(cur.func, cst.Name):
                stack.append(cur.func)
            stack.extend(a.value for a in cur.args)
        elif isinstance(cur, cst.Arg):
            stack.append(cur.value)
        elif not isinstance(cur, (cst.Lambda, cst.FunctionDef)):
            stack.extend(children(cur))
    return out


def module_names(index) -> Set[str]:
    """Names bound at module level or built in: never one message's data."""
    return (set(index.imports) | set(index.module_assigns) | set(index.module_functions)
            | set(index.classes) | BUILTIN_NAMES)


def bound_by(func: FunctionInfo, node: cst.CSTNode) -> Set[str]:
    """The variables `node` (a call) is assigned to: `msgs = receiver.receive_messages()`."""
    return {name for name, values in func.assigns.items() for value, _, _ in values
            if value is node or isinstance(value, cst.Await) and value.expression is node}


def message_data(func: FunctionInfo, seeds: Set[str], skip: Set[str]) -> Set[str]:
    """`seeds` and the variables bound from them in `func`: `order = json.loads(msg.body)`, the other
    targets of one unpacking (`method, props, body = ch.basic_get(q)`), `for m in batch:` targets.

    Forward only: the source a message came from (`msg = messages.pop()`) does not join, so the
    next message taken from it is not this one.
    """
    out = set(seeds)
    bindings = [(name, value) for name, values in func.assigns.items() for value, _, _ in values]
    bindings += [(name, loop.iter) for loop in func.fors for name in local_names(loop.target, skip)]
    # a local list filled with them holds them too (`payloads.append(json.loads(m.body))`)
    bindings += [(call.func.value.value, arg.value) for call in func.calls if isinstance(call.func, cst.Attribute)
                 and call.func.attr.value in COLLECTORS and isinstance(call.func.value, cst.Name)
                 and call.func.value.value not in skip for arg in call.args]
    for _ in range(4):
        before = len(out)
        for name, value in bindings:
            if name not in out and local_names(value, skip) & out:
                out.add(name)
        unpacked = {id(value) for name, value in bindings if name in out}
        out.update(name for name, value in bindings if id(value) in unpacked)
        if len(out) == before:
            break
    return out


__all__ = ["Deferred", "Shape", "ack_before_work", "awaits_before", "bound_by", "classify", "in_receive_scope",
           "local_names", "message_data", "module_names", "processes", "same_message", "settles", "site"]
