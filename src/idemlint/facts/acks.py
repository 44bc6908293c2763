"""Acks made through the project's own code: helpers, wrappers and pipelines, to the call depth.

A bot framework's subclass calls `self.acknowledge_message()`; that base-class method calls
`self._pipeline.acknowledge()`; `_pipeline` is one of several project classes, each of which
finally calls the library (`channel.basic_ack(...)`, `redis.lrem(...)`). A call named like an ack
(`gate.ACK_LIKE`) is followed into the project function or method it resolves to (through `self`,
attributes, base classes, and the overrides of an abstract method), `call-depth` calls deep: it is
an ack if some resolution acks (weak), and names the chain in its evidence. A project `ack()` that
only logs is no ack.

When the call resolves to nothing the tool can see, the design card's fallback applies: a function
that handles a message and calls `ack()`, `acknowledge()`, `complete()`, `settle()`,
`delete_message()` (or `commit()` on an object that is no database session) is a consumer at low
confidence, and its evidence says so.
"""

from __future__ import annotations

import os
from typing import Callable, Optional, Tuple

from ..lazyimport import cst  # not loaded before first use

from ..detect import ACK_ADAPTERS, ADAPTERS, called_name
from ..detect.base import AckSite, Ctx, decorator_call, is_db_receiver, is_mock, receiver
from ..gate import ACK_LIKE, FALLBACK_NAMES, HOOK_NAME
from ..origins import NOT_PROJECT
from ..index import callable_wrapper, dotted, walk
from ..model import UNSEEN, WEAK
from . import callees, handoff
from .deferred import BUILTIN_NAMES
from .identity import mentions
from .received import bound_names
from ..lazyre import lazy_re

LibraryAck = Callable[[cst.Call, Ctx], Optional[AckSite]]
# the libraries some adapter knows: a call on their objects that no adapter takes for an ack is none
KNOWN_ROOTS = frozenset(root.split(".")[0] for adapter in ADAPTERS for root in adapter.roots)

# Receives that make a function one that handles messages itself: `facts.handler.RECEIVE_CALLS` less
# the non-blocking pops (`rpop`, `lpop`, ...), which is how a Redis reliable queue acks (intelmq's
# pipeline `_acknowledge()` pops its processing list), and less the iterator protocol and batch
# variants, which no helper calls to fetch for itself.
_RECEIVES = frozenset({"poll", "consume", "getone", "getmany", "receive", "receive_messages", "receive_message",
                       "basic_get", "fetch", "next_msg", "xreadgroup", "pull", "get_message", "brpop", "blpop",
                       "rpoplpush", "brpoplpush", "lmove", "blmove"})


def through_helper(call: cst.Call, ctx: Ctx, library_ack: LibraryAck, depth: int) -> Optional[AckSite]:
    """The ack a call named like one makes through project code, else the fallback's low one."""
    if is_mock(call, ctx):
        return None
    resolved, site = _through(call, ctx, library_ack, depth, set())
    if site is not None or resolved:
        return site  # project code the tool can read decides (a project `ack()` that only logs)
    return _fallback(call, ctx)


def _through(call: cst.Call, ctx: Ctx, library_ack: LibraryAck, depth: int,
             active: set) -> Tuple[bool, Optional[AckSite]]:
    """(whether the call resolved to project code, the ack it makes there)."""
    if depth <= 0:
        return False, None
    project = ctx.index.project
    # an abstract method dispatches to the subclasses' overrides only when it is named like an ack:
    # following every `self.x()` into every subclass would parse much of a framework
    targets = callees.resolve_all(call.func, ctx, project, ctx.index.path,
                                  overrides=bool(ACK_LIKE.match(called_name(call))))
    targets = [t for t in targets if ctx.func is None or t.func.node is not ctx.func.node]
    if not targets:
        return False, None
    if ctx.func is not None and all(t.func.is_async for t in targets) and not ctx.func.is_async_run(call):
        # `coroutine = self.deal(ch, method, body)`, then `run_coroutine_threadsafe(coroutine, loop)`:
        # calling a coroutine function makes the coroutine; its ack runs when a loop runs it, later
        return True, None
    handler = HOOK_NAME.match(called_name(call)) and not ACK_LIKE.match(called_name(call))
    if handler or any(_receives(Ctx(t.index, t.func)) or _loops_over_consumer(Ctx(t.index, t.func))
                      or _handles_each(t, ctx) or _acks_taken(Ctx(t.index, t.func)) for t in targets):
        # `self.run_once()` receives and acks its own messages, `self._consume_loop()` iterates a
        # consumer and commits, `self._handle(messages)` works on each message of its loop and acks
        # it, `self.process_message(msg)` is the per-message handler that acks what it was given:
        # a consumer, not a helper of the caller (whose findings would repeat the callee's)
        return True, None
    acking = []
    for callee in targets:
        site = _acks_in(callee, ctx, library_ack, depth - 1, active) or _commits_looped(callee, ctx)
        if site is not None:
            acking.append((callee, site))
    if not acking:
        return True, None
    callee, site = acking[0]
    some = "" if len(acking) == len(targets) else f" (one of {len(targets)} implementations, {len(acking)} of which ack)"
    # an implementation picked by the receiver's name only (`callees.by_interface`) acks at most unseen
    strength = UNSEEN if callee.guessed else min(WEAK, site.strength)
    return True, AckSite(site.library, strength, f"acks through `{callee.qualname}()`{some}: {site.evidence}",
                         through=True)


# calls that run the callable they are given, with the arguments after it, on a worker thread and wait
# for it (`await asyncio.to_thread(client.delete_message, QueueUrl=url, ReceiptHandle=handle)`,
# `await loop.run_in_executor(None, partial(client.delete_message, ...))`, anyio's
# `to_thread.run_sync(f, *args)`): how async code calls a blocking client such as boto3. The callable is
# the first argument, or the second for `run_in_executor(executor, f, *args)`.
RUNS_GIVEN = {"to_thread": 0, "run_sync": 0, "run_in_executor": 1}


def run_by(call: cst.Call, ctx: Optional[Ctx] = None) -> Optional[cst.Call]:
    """The call that `call` has a worker thread make: `f(*args)` for `asyncio.to_thread(f, *args)`
    (the arguments of a `functools.partial(f, ...)` bound in too), or `f(*args)` for
    `sync_to_async(f)(*args)`; with the function's `ctx`, also for a local bound once to one
    (`async_commit = sync_to_async(consumer.commit)`, then `await async_commit(asynchronous=False)`);
    None for any other call."""
    wrapper = callable_wrapper(call.func, ctx.func if ctx is not None else None)
    if wrapper is not None:  # `sync_to_async(consumer.commit)(...)`, or through a local bound to it
        ref, args = wrapper.args[0].value, list(call.args)
        if called_name(wrapper) == "partial":
            args = list(wrapper.args[1:]) + args
    else:
        at = RUNS_GIVEN.get(called_name(call))
        if at is None or len(call.args) <= at or any(a.keyword is not None or a.star for a in call.args[:at + 1]):
            return None
        ref, args = call.args[at].value, list(call.args[at + 1:])
    if isinstance(ref, cst.Call) and (dotted(ref.func) or "").rpartition(".")[2] == "partial" and ref.args \
            and ref.args[0].keyword is None and not ref.args[0].star:
        ref, args = ref.args[0].value, list(ref.args[1:]) + args
    if not isinstance(ref, (cst.Attribute, cst.Name)):
        return None
    try:
        return cst.Call(func=ref, args=args)
    except Exception:  # noqa: BLE001 - arguments in an order a call cannot have: nothing to read
        return None


# pika's BlockingConnection runs a callable on its own thread (`connection.add_callback_threadsafe(cb)`):
# how a worker thread acks a delivery, documented in pika's `basic_consumer_threaded.py` example
# (`cb = functools.partial(ack_message, ch, delivery_tag); ch.connection.add_callback_threadsafe(cb)`)
THREADSAFE = "add_callback_threadsafe"


def threadsafe(call: cst.Call, ctx: Ctx, library_ack: LibraryAck, depth: int) -> Optional[AckSite]:
    """The ack a callable handed to `add_callback_threadsafe` makes when the connection runs it: a
    `functools.partial` of a library ack (`channel.basic_ack`) or of a project helper that acks
    (`ack_message`), a `lambda` that acks, or a function nested in this one (`def _ack():
    channel.basic_ack(tag)`); also through a local name bound once to one of those."""
    if ctx.func is None or not call.args or call.args[0].keyword is not None:
        return None
    callback = call.args[0].value
    if isinstance(callback, cst.Name) and callback.value not in ctx.func.params:
        bound = ctx.func.values_of(callback.value)
        if len(bound) == 1:
            callback = bound[0]
        else:
            node = ctx.func.local_def(callback.value)
            nested = ctx.index.by_node.get(id(node)) if node is not None else None
            if nested is None:
                return None
            inner_ctx = Ctx(ctx.index, nested)
            return next((site for inner in nested.calls if (site := _called_ack(inner, inner_ctx, library_ack, depth))
                         is not None), None)
    runs: Optional[cst.Call] = None
    if isinstance(callback, cst.Call) and (dotted(callback.func) or "").split(".")[-1] == "partial" and \
            callback.args and callback.args[0].keyword is None:
        runs = cst.Call(func=callback.args[0].value, args=callback.args[1:])  # what the partial calls
    elif isinstance(callback, cst.Lambda) and isinstance(callback.body, cst.Call):
        runs = callback.body
    site = _called_ack(runs, ctx, library_ack, depth) if runs is not None else None
    if site is not None:
        site = AckSite(site.library, site.strength, f"{site.evidence}, run by `{dotted(call.func) or THREADSAFE}()`",
                       through=site.through)
    return site


def _called_ack(call: cst.Call, ctx: Ctx, library_ack: LibraryAck, depth: int) -> Optional[AckSite]:
    site = library_ack(call, ctx) if called_name(call) in ACK_ADAPTERS or run_by(call, ctx) is not None else None
    if site is None and ACK_LIKE.match(called_name(call)) and depth > 0:
        site = _through(call, ctx, library_ack, depth, set())[1]
    return site


def _acks_in(callee: callees.Callee, ctx: Ctx, library_ack: LibraryAck, depth: int,
             active: set) -> Optional[AckSite]:
    """The first ack `callee` makes: a library ack in its body, or one through a helper it calls."""
    path = callee.path or ctx.index.path
    project = ctx.index.project
    key = (os.path.abspath(path) if path else "", id(callee.func.node), depth)
    memo = project.memo("acks", callee.path) if project is not None else {}
    if key in memo:
        return memo[key]
    if key in active:
        return None  # a helper that calls itself back adds nothing
    active.add(key)
    inner_ctx = Ctx(callee.index, callee.func)
    found: Optional[AckSite] = None
    for inner in callee.func.calls:
        name = called_name(inner)
        if is_mock(inner, inner_ctx):
            continue
        if name in ACK_ADAPTERS or name in RUNS_GIVEN or isinstance(inner.func, cst.Call):
            found = library_ack(inner, inner_ctx)  # also one a worker thread makes (`run_by`)
        elif name == THREADSAFE:
            found = threadsafe(inner, inner_ctx, library_ack, depth)
        if found is None and (ACK_LIKE.match(name) or self_method(inner, inner_ctx)) and depth > 0:
            # `self._store_offsets(event)` in an event source's `ack()`: a method of its own class
            resolved, found = _through(inner, inner_ctx, library_ack, depth, active)
            if found is None and not resolved and name in FALLBACK_NAMES:
                # `await message.ack()` on a message the helper was given untyped: the fallback's
                # low ack, as in the function that calls it directly (`match_and_ack(message, ...)`)
                found = _fallback(inner, inner_ctx)
        if found is not None:
            break
    if found is None:
        found = _queued_ack(callee, library_ack)
    active.discard(key)
    if not active:
        memo[key] = found  # only an answer no cycle cut short
    return found


# how a method hands a delivery tag to the thread that owns the channel, and how that thread takes it
_QUEUE_PUTS = frozenset({"put", "put_nowait", "append"})
_QUEUE_TAKES = frozenset({"get", "get_nowait", "popleft", "pop"})


def _acks_taken(ctx: Ctx) -> bool:
    """The function acks a delivery it takes off a queue itself (`d_tag, props, body =
    self._command_queue.get(timeout=1.0)`, then `self._command.ack(d_tag)`): the deliveries a pika
    thread queued for it. It is the consumer, not an ack helper of its caller."""
    func = ctx.func
    taken = {name for name, values in func.assigns.items() for value, _, how in values
             if how == "=" and isinstance(value, cst.Call) and _queue_take(value, ctx)}
    return bool(taken) and any((called_name(c) in ACK_ADAPTERS or ACK_LIKE.match(called_name(c)))
                               and any(mentions(a.value, taken) for a in c.args) for c in func.calls)


# the standard library's in-process queues (and gevent's, janus's), by origin
_QUEUE_ORIGINS = ("queue.", "asyncio.Queue", "asyncio.queues.", "asyncio.LifoQueue", "asyncio.PriorityQueue",
                  "multiprocessing.", "gevent.queue.", "janus.")


def _queue_take(call: cst.Call, ctx: Ctx) -> bool:
    """`self._command_queue.get(timeout=1.0)`, `pending_q.get_nowait()`: a take off an in-process
    queue (by the receiver's origin or name), not a dict's `message.get("ReceiptHandle")`."""
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in ("get", "get_nowait") \
            or any(a.keyword is None for a in call.args):
        return False
    last = (dotted(call.func.value) or "").rpartition(".")[2].lower()
    return "queue" in last or last.endswith("_q") or last == "q" or (
        ctx.origin(call.func.value) or "").startswith(_QUEUE_ORIGINS)


def _queued_ack(callee: callees.Callee, library_ack: LibraryAck) -> Optional[AckSite]:
    """`def ack(self, msg_tag): self._to_ack.put(msg_tag)`, where another method of the class takes
    the tags off `self._to_ack` and acks them with the library (`self._channel.basic_ack(tag,
    multiple=True)` on the connection's own thread): pika channels are not thread-safe, so a worker
    thread's ack is queued for the I/O thread. The method acks (later, on that thread)."""
    func = callee.func
    cls = callee.index.class_of(func)
    if cls is None or not func.params:
        return None
    queues = set()
    for call in func.calls:
        target = call.func
        if isinstance(target, cst.Attribute) and target.attr.value in _QUEUE_PUTS and call.args \
                and any(mentions(a.value, set(func.params)) for a in call.args):
            owner = dotted(target.value) or ""
            if owner.startswith("self.") and owner.count(".") == 1:
                queues.add(owner)
    if not queues:
        return None
    for name, method in cls.methods.items():
        if method is func:
            continue
        taken = [c for c in method.calls if isinstance(c.func, cst.Attribute) and c.func.attr.value in _QUEUE_TAKES
                 and dotted(c.func.value) in queues]
        if not taken:
            continue
        inner_ctx = Ctx(callee.index, method)
        for inner in method.calls:
            site = library_ack(inner, inner_ctx) if called_name(inner) in ACK_ADAPTERS else None
            if site is not None:
                return AckSite(site.library, min(WEAK, site.strength),
                               f"queues the tag on `{dotted(taken[0].func.value)}`, which `{cls.name}.{name}()` "
                               f"acks: {site.evidence}", through=True)
    return None


def self_method(call: cst.Call, ctx: Ctx) -> bool:
    """`self.finish()` of a method the class itself defines: followed for an ack whatever its name
    (inherited methods only when named like an ack: bounded, and no base class is looked up)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"):
        return False
    cls = ctx.index.class_of(ctx.func)
    return cls is not None and func.attr.value in cls.methods


# The fallback's names that mean an ack in any library: on an object of a library the tool does not
# know, only these (a chat bot's `delete_message`, a future's `complete` are something else)
LIBRARY_ACK_NAMES = frozenset({"ack", "acknowledge", "ack_message", "acknowledge_message"})


def _fallback(call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
    name = called_name(call)
    recv = receiver(call)
    if recv is None and ctx.func is not None:
        return _given_ack(call, ctx)
    if recv is None or ctx.func is None:
        return None
    text = dotted(call.func) or name
    origin = ctx.origin(recv)
    root = origin.split(".")[0] if origin is not None else ""
    if origin is not None and not _project_origin(ctx, recv) and (
            name not in LIBRARY_ACK_NAMES or root in KNOWN_ROOTS or root in NOT_PROJECT):
        # a library object the adapters know (this is none of its acks), or of the standard library;
        # of the others, a consumer of a wrapper library the function loops over for its messages,
        # and an ack-named call (`transport.ack(header)` of a messaging library nobody here knows),
        # which the fallback below takes as it takes one on an object nothing resolves
        if name != "commit" or root in KNOWN_ROOTS or not _iterated_consumer(recv, ctx):
            return None
        return _looped_commit(text, "the function", origin)
    if name == "commit":
        if is_db_receiver(call):
            return None
        if _receives(ctx):
            return AckSite("unknown", UNSEEN, f"`{text}()` in a function that receives messages, on an object the "
                                              "tool cannot resolve (taken for an offset commit)", through=True)
        return _looped_commit(text, "the function") if _iterated_consumer(recv, ctx) else None
    if name not in FALLBACK_NAMES:
        return None
    message = set(ctx.message_names)
    if not (mentions(recv, message) or any(mentions(a.value, message) for a in call.args) or _receives(ctx)):
        return None  # no message in sight: `future.complete()`, `job.settle()` of something else
    if not origin:
        what = "an object the tool cannot resolve"
    elif _project_origin(ctx, recv):
        what = f"a `{origin}` object of the project, whose method the tool cannot follow"
    else:
        what = f"a `{origin}` object, of a library the tool does not know"
    return AckSite("unknown", UNSEEN, f"`{text}()` on {what} (taken for an ack)", through=True)


def _given_ack(call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
    """`ack()` where `ack` is a parameter of the function, given with the message it handles
    (`def on_round_start(self, event, receipt, ack): ...; ack()`): an in-house listener hands its
    handlers a callable that settles the delivery (a closure that deletes the SQS message, acks the
    tag). Nothing the tool can see says what it does, so the ack is taken at the fallback's low
    confidence, and only under a name that means an ack in any library."""
    func = ctx.func
    if func is None or not isinstance(call.func, cst.Name):
        return None
    name = call.func.value
    if name not in LIBRARY_ACK_NAMES or name not in func.params or func.assigns.get(name):
        return None  # not handed in, or rebound to something else here
    if not (set(ctx.message_names) - {name}):
        return None  # no message beside it: a callable of something else
    return AckSite("unknown", UNSEEN, f"`{name}()`, a callable the function is given with the message (taken for "
                                      "an ack)", through=True)


def _commits_looped(callee: callees.Callee, ctx: Ctx) -> Optional[AckSite]:
    """`self._flush()` commits `self._consumer`, which the caller loops over for its messages (a
    consumer of a wrapper library nobody here knows). Asked per caller, never remembered with the
    helper: the answer depends on the caller's loop."""
    if ctx.func is None or callee.func.class_name is None:
        return None
    inner_ctx = Ctx(callee.index, callee.func)
    for inner in callee.func.calls:
        recv = receiver(inner)
        if called_name(inner) == "commit" and recv is not None and (dotted(recv) or "").startswith("self.") \
                and not is_db_receiver(inner) and not _project_origin(inner_ctx, recv) \
                and _iterated_consumer(recv, ctx):
            return _looped_commit(dotted(inner.func) or "commit", f"`{ctx.func.symbol}`")
    return None


def _looped_commit(text: str, who: str, origin: str = "") -> AckSite:
    """The fallback's offset commit on a consumer `who` loops over for its messages."""
    client = f"`{origin}`, a client" if origin else "a client"
    return AckSite("unknown", UNSEEN, f"`{text}()` on a consumer {who} iterates for its messages ({client} the "
                                      "tool does not know: taken for an offset commit)", through=True)


def _iterated_consumer(recv: cst.BaseExpression, ctx: Ctx) -> bool:
    """`for alarm in self._consumer: ...; self._consumer.commit()`: the function loops over the very
    object it commits, and that object's name or origin says it is a consumer (a wrapper library's
    `client_factory.get_kafka_consumer(...)`), not a database."""
    func, text = ctx.func, dotted(recv)
    if func is None or not text:
        return False
    origin = (ctx.origin(recv) or "").lower()
    if "consumer" not in text.lower().rpartition(".")[2] and "consumer" not in origin.rpartition(".")[2]:
        return False
    return any(how == "for" and dotted(value) == text
               for bound in func.assigns.values() for value, _, how in bound)


def _loops_over_consumer(ctx: Ctx) -> bool:
    """The function's own `for` / `async for` iterates a consumer (`async for record in
    self._consumer`: a Kafka consumer's iterator protocol receives), by the iterable's name or origin."""
    func = ctx.func
    if func is None:
        return False
    for loop in func.fors:
        text = (dotted(loop.iter) or "").lower().rpartition(".")[2]
        if "consumer" in text or "consumer" in (ctx.origin(loop.iter) or "").lower().rpartition(".")[2]:
            return True
    return False


def _handles_each(callee: callees.Callee, ctx: Ctx) -> bool:
    """The function's own loop hands each message to other work and acks it there (`for msg_id, item
    in messages: result = self._dispatch(item); ...; stream.ack(self._redis, msg_id)`): each
    message's whole handling is in the loop, so the function is the consumer, and a caller that
    gives it a batch is not acking a message of its own (an `ack_all(messages)` that only acks is
    still its caller's helper). Answered once per process and function (`Project.memo`)."""
    func = callee.func
    if not func.fors:
        return False
    path = callee.path or ctx.index.path
    project = ctx.index.project
    memo = project.memo("handles-each", callee.path) if project is not None else {}
    key = (os.path.abspath(path) if path else "", id(func.node))
    if key not in memo:
        inner = Ctx(callee.index, func)
        memo[key] = any(_loop_handles_each(loop, inner) for loop in func.fors)
    return memo[key]  # type: ignore[return-value]


def _loop_handles_each(loop: cst.For, ctx: Ctx) -> bool:
    names = set(bound_names(loop))
    if not names:
        return False
    held = [n for n in walk(loop.body, into_scopes=False)
            if isinstance(n, cst.Call) and any(mentions(a.value, names) for a in n.args)]
    acked = [c for c in held if called_name(c) in ACK_ADAPTERS or ACK_LIKE.match(called_name(c) or "")]
    return bool(acked) and any(c not in acked and not _no_work(c, ctx) for c in held)


def _no_work(call: cst.Call, ctx: Ctx) -> bool:
    """A builtin, a log line, a metric, a callback registration: nothing done with the message
    (`facts.handoff`); a callable the consumer was given is work."""
    if isinstance(call.func, cst.Name) and call.func.value in BUILTIN_NAMES:
        return True
    return handoff.in_process(call, ctx) not in (None, handoff.GIVEN)


def _project_origin(ctx: Ctx, expr: cst.BaseExpression) -> bool:
    project = ctx.index.project
    origin = ctx.origin(expr)
    return project is not None and origin is not None and project.is_project_origin(origin, ctx.index.path)


def _receives(ctx: Ctx) -> bool:
    """The function calls a method that receives: a known receive, or one named so in a client
    nobody here knows (`receive_frame()`, stompest's `receiveFrame()`)."""
    func = ctx.func
    return func is not None and any(
        isinstance(c.func, cst.Attribute) and (c.func.attr.value in _RECEIVES or _RECEIVE_NAMED.match(c.func.attr.value))
        for c in func.calls)


_RECEIVE_NAMED = lazy_re(r"^receive(?:_[a-z]\w*|[A-Z]\w*)?$")



# Decorators that make a generator function a context manager (`contextlib`)
CONTEXT_MANAGERS = frozenset({"contextmanager", "asynccontextmanager"})


def context_manager_ack(item: cst.WithItem, ctx: Ctx, ack_of: LibraryAck) -> Optional[AckSite]:
    """`with message_context(message, conn) as msg:` where `message_context` is a project
    `@contextlib.contextmanager` that yields the message and acks after its `yield` (`delete_message(
    receipt_handle, conn)`): the block's work is acked when it exits, as with aio-pika's
    `message.process()`. `ack_of` tells an ack in the context manager's body (a library call or a
    helper)."""
    call = item.item
    if isinstance(call, cst.Await):
        call = call.expression
    if ctx.func is None:
        return None
    if not isinstance(call, cst.Call):
        return _exit_ack(call, ctx, ack_of)
    project = ctx.index.project
    callee = callees.resolve(call.func, ctx, project, ctx.index.path)
    if callee is None or callee.func.node is ctx.func.node or not callee.func.yields or not any(
            (dotted(decorator_call(dec)[0]) or "").split(".")[-1] in CONTEXT_MANAGERS for dec in callee.func.decorators):
        return None
    from .deferred import Shape  # deferred imports this module's neighbours: not at module level

    func = callee.func
    shape = Shape(func.node)
    first = min((shape.order[id(y)] for y in func.yields if id(y) in shape.order), default=None)
    if first is None:
        return None
    inner = Ctx(callee.index, func)
    for inner_call in func.calls:
        if shape.order.get(id(inner_call), -1) > first and not is_mock(inner_call, inner):
            site = ack_of(inner_call, inner)
            if site is not None:
                return AckSite(site.library, WEAK, f"acked by the context manager `{callee.qualname}()` when the "
                               f"`with` block exits ({site.evidence})", through=True)
    return None


def _exit_ack(obj: cst.BaseExpression, ctx: Ctx, ack_of: LibraryAck) -> Optional[AckSite]:
    """`with msg_obj as m:` where `msg_obj` is an object of a project class whose `__exit__` acks
    the message when the block ends without an error (`self.__mb_proxy._ack(conn_id, msg_id, ack_id)`,
    a STOMP ack through a helper): the block's work is acked when it exits."""
    if not isinstance(obj, (cst.Name, cst.Attribute)):
        return None
    found = callees.instance_class(obj, ctx)  # built here, or declared (`msg_obj: MsgObj = buffer.popleft()`)
    if found is None:
        origin = ctx.origin(obj) or ""
        if not origin.endswith("()") or "(" in origin[:-2]:
            return None  # an object built from a class (`pkg.msgs.MsgObj()`), nothing else
        found = callees.class_at(origin[:-2], ctx.index)
    if found is None:
        return None
    cls, index, path = found
    for hook in ("__exit__", "__aexit__"):
        method = cls.methods.get(hook)
        if method is None:
            continue
        inner = Ctx(index, method)
        for inner_call in method.calls:
            site = None if is_mock(inner_call, inner) else ack_of(inner_call, inner)
            if site is not None:
                return AckSite(site.library, WEAK, f"acked by `{cls.name}.{hook}()` when the `with` block exits "
                               f"({site.evidence})", through=True)
    return None
    project = ctx.index.project
    for hook in ("__exit__", "__aexit__"):
        callee = callees.resolve(cst.Attribute(value=obj, attr=cst.Name(hook)), ctx, project, ctx.index.path)
        if callee is None or callee.func.class_name is None:
            continue
        inner = Ctx(callee.index, callee.func)
        for inner_call in callee.func.calls:
            site = None if is_mock(inner_call, inner) else ack_of(inner_call, inner)
            if site is not None:
                return AckSite(site.library, WEAK, f"acked by `{callee.qualname}()` when the `with` block exits "
                               f"({site.evidence})", through=True)
    return None

