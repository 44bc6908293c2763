"""redis-py lists used as queues: `lpush`/`rpush` producers, `brpop` consumers, and the reliable
queue (`lmove`/`rpoplpush` into a processing list, then `lrem` from it as the ack).

A pop takes the item off the list: a worker that dies after `brpop` loses it (acked on receipt).
The reliable-queue pattern moves the item into a processing list instead, and removes it with
`LREM` once the work is done; a reaper pushes items stuck there back, so the item may run twice.
A list is a queue only when something pops it: a push is a producer when a pop or a move of the
same key is in the module, or (with low confidence) when the key is a constant named like a
queue; a list that is only trimmed, ranged or indexed here is a data structure.
"""

from __future__ import annotations

import os
import re
from typing import Callable, FrozenSet, Iterable, List, Optional, Set, Tuple

from ..lazyimport import cst  # not loaded before first use

from ..index import FunctionInfo, ModuleIndex, call_name, children, dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK
from ..lazyre import lazy_re
from .base import AckSite, Adapter, Ctx, HandlerSite, ProduceSite, func_ref, receiver

# redis-py and the libraries that hand out its clients (`django_redis.get_redis_connection()`,
# flask-redis's `FlaskRedis`, aioredis's asyncio client of the same commands)
ROOTS = ("redis", "valkey", "aioredis", "django_redis", "flask_redis")
BLOCKING_POPS = frozenset(["brpop", "blpop", "blmpop"])
POPS = BLOCKING_POPS | {"rpop", "lpop", "lmpop"}  # the item leaves the list: acked on receipt
MOVES = frozenset(["rpoplpush", "brpoplpush", "lmove", "blmove"])  # into a processing list
PUSHES = frozenset(["lpush", "rpush", "lpushx", "rpushx"])
# reads and trims of a list that is kept as data (a capped log, a timeline), not drained
DATA_USES = frozenset(["ltrim", "lrange", "lindex", "lset", "linsert", "lpos"])
LIST_READS = POPS | MOVES | {"lrange", "lindex"}
# a constant key named like a work queue (`jobs`, `email:queue`, `TASK_QUEUE`)
QUEUE_KEY = lazy_re(r"(^|[:_.\-/])(queue|queues|jobs?|tasks?|work|pending|todo|backlog|outbox)([:_.\-/]|$)",
                       re.I)


def _redis(call: cst.Call, ctx: Ctx) -> Optional[int]:
    """STRONG if the receiver is a redis client (resolved, or in a module importing redis), WEAK if
    it cannot be told (the command names are Redis's own), None if it resolves to something else."""
    origin = ctx.origin(receiver(call))
    if origin is not None and not origin.startswith("."):
        return STRONG if origin.split(".")[0] in ROOTS else None
    return STRONG if ctx.imports(*ROOTS) else WEAK


def key_text(expr: Optional[cst.BaseExpression], ctx: Ctx, local: bool = False) -> Optional[str]:
    """The key a list command names, comparable across calls: a literal's value, a module-level
    constant's value, or the name itself (`PROCESSING`, `self.processing`, `f"{name}:work"`). A
    parameter or a local of the function names a key only within it (`local`): the same variable
    name in two functions says nothing about the keys they hold."""
    value = string_value(expr)
    if value is not None:
        return value
    if isinstance(expr, cst.Name):
        if not local and ctx.func is not None and _bound_in(expr.value, ctx.func):
            return None
        bound = ctx.index.module_assigns.get(expr.value)
        if bound and len(bound) == 1 and string_value(bound[0][0]) is not None:
            return string_value(bound[0][0])
        return expr.value
    if isinstance(expr, cst.Attribute):
        return dotted(expr)
    if isinstance(expr, cst.FormattedString):
        parts = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            else:
                inner = dotted(part.expression)  # type: ignore[attr-defined]
                if inner is None:
                    return None
                parts.append("{" + inner + "}")
        return "".join(parts)
    return None


def _literal_key(expr: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """A string literal, or a module-level name bound once to one (`JOBS = "jobs"`)."""
    if string_value(expr) is not None:
        return True
    if isinstance(expr, cst.Name) and not (ctx.func is not None and _bound_in(expr.value, ctx.func)):
        bound = ctx.index.module_assigns.get(expr.value)
        return bool(bound) and len(bound) == 1 and string_value(bound[0][0]) is not None
    return False


def _bound_in(name: str, func: FunctionInfo) -> bool:
    """`name` is a parameter or a local of `func` or of a function around it."""
    f: Optional[FunctionInfo] = func
    while f is not None:
        if name in f.assigns or name in f.params:
            return True
        f = f.parent
    return False


def _source(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The list a pop or a move takes from (the first of several for `brpop([a, b])`)."""
    name = call_name(call)
    if name in ("lmpop", "blmpop"):
        return positional(call, 1 if name == "lmpop" else 2)
    first = positional(call, 0) or kwarg(call, "keys") or kwarg(call, "name") or kwarg(call, "src") \
        or kwarg(call, "first_list")
    if isinstance(first, (cst.List, cst.Tuple)) and first.elements:
        return first.elements[0].value
    return first


def _destination(call: cst.Call) -> Optional[cst.BaseExpression]:
    return positional(call, 1) or kwarg(call, "dst") or kwarg(call, "second_list")


_LAST: list = [None, {}]  # the module last asked about, and {(names, where): keys} for it


def _takes_off_lists(index: ModuleIndex) -> bool:
    """The module takes items off lists with a blocking pop or a move, whatever the key."""
    return any(call_name(call) in BLOCKING_POPS | MOVES and isinstance(call.func, cst.Attribute)
               for f in index.functions for call in f.calls)


def _keys_of(index: ModuleIndex, names: FrozenSet[str], where: Callable) -> Set[str]:
    """The keys the module's calls of `names` name at `where` (`_source` or `_destination`)."""
    if _LAST[0] is not index:
        _LAST[:] = [index, {}]
    memo = _LAST[1]
    if (names, where) not in memo:
        out: Set[str] = set()
        for f in [None, *index.functions]:
            ctx = Ctx(index, f)
            for call in (f.calls if f is not None else index.module_calls):
                if call_name(call) in names and isinstance(call.func, cst.Attribute):
                    key = key_text(where(call), ctx)
                    if key is not None:
                        out.add(key)
        memo[(names, where)] = out
    return memo[(names, where)]


def read_from_list(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0) -> bool:
    """`raw` bound by `for raw in r.lrange(...)` or `raw = r.rpop(...)` in this function, or by a
    call of a function of this module that returns what it read so (`batch = self.take_batch()`,
    whose `return batch` follows `batch = redis.rpop(key, n)`)."""
    if not isinstance(expr, cst.Name) or ctx.func is None:
        return False
    return _read_name(expr.value, ctx, depth)


def _read_name(name: str, ctx: Ctx, depth: int) -> bool:
    for value, _, _ in ctx.func.assigns.get(name, ()):
        value = _awaited(value)
        if isinstance(value, cst.Call) and call_name(value) in LIST_READS:
            return True
        if isinstance(value, cst.Call) and depth < 2:
            helper = func_ref(value.func, ctx)
            if helper is not None and helper is not ctx.func and _returns_read(
                    helper, Ctx(ctx.index, helper), depth + 1):
                return True
    return False


def _returns_read(helper: FunctionInfo, ctx: Ctx, depth: int) -> bool:
    """`helper` returns what it read off a list: `return batch`, or a filter of it (`[i for i in batch if ...]`)."""
    from ..facts.deferred import local_names  # the facts import the adapters

    return any(_read_name(name, ctx, depth) for r in helper.returns for name in local_names(r, set()))


def _popper_names(index: ModuleIndex) -> FrozenSet[str]:
    """The functions of this module, and of the project modules it imports (read as text,
    `Origins.poppers_of`), whose bodies pop off a Redis list: the only calls worth resolving for
    `_popping_helper`."""
    names = {f.name for f in index.functions if any(call_name(c) in POPS for c in f.calls)}
    project = index.project
    if project is not None and index.path:
        origins = project.origins
        for sub in origins.imported_files(os.path.abspath(index.path)):
            names |= origins.poppers_of(sub)
    return frozenset(names)


def _popping_helper(call: cst.Call, ctx: Ctx) -> Optional[Tuple[FunctionInfo, int]]:
    """The project function `call` runs, with how sure its pop is a queue's receive, when that
    function pops an item off a Redis list and returns it (or what it decodes from it). A
    non-blocking pop counts only with a count (a batch drained) or on a key the module also pushes to
    (a queue, not a pool of tokens). What the helper does itself is its own (it is a consumer too)."""
    if not isinstance(call.func, (cst.Name, cst.Attribute)) or call_name(call) in POPS | MOVES | PUSHES:
        return None
    helper, index = func_ref(call.func, ctx), ctx.index
    if helper is None and ctx.index.project is not None and isinstance(call.func, cst.Attribute):
        from ..facts import callees  # the facts import the adapters

        callee = callees.resolve(call.func, ctx, ctx.index.project, ctx.index.path)
        if callee is not None:
            helper, index = callee.func, callee.index
    if helper is None or helper is ctx.func or not helper.returns:
        return None
    inner = Ctx(index, helper)
    strength, seeds = None, set()
    for pop in helper.calls:
        name = call_name(pop)
        if name not in POPS or not isinstance(pop.func, cst.Attribute) or _redis(pop, inner) is None:
            continue
        if name in BLOCKING_POPS:
            strength = STRONG
        elif (positional(pop, 1) is not None or kwarg(pop, "count") is not None
              or key_text(_source(pop), inner) in _keys_of(index, PUSHES, _source)):
            strength = strength or WEAK
        else:
            continue
        seeds |= {target for target, values in helper.assigns.items()
                  if any(_awaited(value) is pop for value, _, _ in values)}
        if any(r is not None and _awaited(r) is pop for r in helper.returns):
            return helper, strength  # `return self.redis.blpop(queues, timeout=timeout)`: the item itself
    if strength is None or not seeds:
        return None
    from ..facts.deferred import message_data  # the facts import the adapters
    from ..facts.identity import mentions

    derived = message_data(helper, seeds, set())
    if not any(mentions(r, derived) for r in helper.returns):
        return None
    return helper, strength


def _awaited(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.expression if isinstance(expr, cst.Await) else expr


def _pushed(call: cst.Call) -> Optional[cst.BaseExpression]:
    """What a push puts on the list: its first value, or the items of a starred one (`lpush(key, *batch)`)."""
    values = [a for a in call.args if a.keyword is None][1:]
    if not values:
        return None
    return values[0].value


def _in_loop(func: FunctionInfo, call: cst.Call) -> bool:
    """`call` sits in a `for` / `while` of `func`'s own body (its test included)."""
    stack: List[Tuple[cst.CSTNode, bool]] = [(func.node.body, False)]
    while stack:
        cur, looped = stack.pop()
        if cur is call:
            return looped
        if isinstance(cur, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        looped = looped or isinstance(cur, (cst.For, cst.While))
        stack.extend((kid, looped) for kid in children(cur))
    return False


class RedisListsAdapter(Adapter):
    library = "redis_lists"
    roots = ROOTS
    tokens = tuple(sorted(POPS | MOVES | PUSHES))
    site_words = tuple(sorted(POPS))  # a pop consumer acked on receipt
    ack_names = frozenset(["lrem"])
    gate_needs = {"lrem": tuple(sorted(MOVES))}  # `lrem` acks only beside a move into a processing list
    produce_names = PUSHES

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        """`lrem(processing, 1, item)` after `lmove(queue, processing)`: the reliable queue's ack."""
        if call_name(call) != "lrem" or not isinstance(call.func, cst.Attribute):
            return None
        strength = _redis(call, ctx)
        if strength is None:
            return None
        key = key_text(positional(call, 0) or kwarg(call, "name"), ctx, local=True)
        own = [c for c in (ctx.func.calls if ctx.func is not None else ()) if call_name(c) in MOVES]
        if key is not None and any(key_text(_destination(c), ctx, local=True) == key for c in own):
            return AckSite("redis_lists", strength, "redis `lrem()` from the processing list the item was moved to")
        if own:
            return AckSite("redis_lists", WEAK, "redis `lrem()` after a move into a processing list")
        from ..gate import ACK_HELPER  # imports this package: not at module level

        # `def ack(self, raw): r.lrem(PROCESSING, 1, raw)`, called by the worker that moved it (a
        # reaper's `lrem` that puts a stale item back is no ack: it handles nothing)
        key = key_text(positional(call, 0) or kwarg(call, "name"), ctx)
        if ctx.func is not None and ACK_HELPER.match(ctx.func.name) and key is not None and key in _keys_of(
                ctx.index, MOVES, _destination):
            return AckSite("redis_lists", WEAK, "redis `lrem()` from a processing list a move fills in this module")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if call_name(call) not in PUSHES or not isinstance(call.func, cst.Attribute):
            return None
        if _redis(call, ctx) is None:
            return None
        key = key_text(positional(call, 0) or kwarg(call, "name"), ctx)
        name = call_name(call)
        what = f"redis `{name}()`"
        payload = _pushed(call)
        if read_from_list(payload, ctx):
            return None  # an item put back (a reaper, a retry): the message it was, not a new one
        if key is None:
            return self._configured(ctx, what, name, payload)
        if key in _keys_of(ctx.index, POPS | MOVES, _source):
            return ProduceSite("redis_lists", what, payload, evidence=f"redis `{name}()` to a list popped in this module")
        if key in _keys_of(ctx.index, DATA_USES, _source):
            return None  # trimmed, ranged or indexed here: a list kept as data, not a queue
        # only a key written in the code (a literal, a module constant): an attribute or a parameter
        # (`self.queue`) holds a configured name, which says nothing about who reads the list
        if _literal_key(positional(call, 0) or kwarg(call, "name"), ctx):
            if QUEUE_KEY.search(key):
                return ProduceSite("redis_lists", what, payload, unconfirmed_queue=True,
                                    evidence=f"redis `{name}()` to a list named like a queue (no pop of it in this module)")
            return None
        return self._configured(ctx, what, name, payload)

    @staticmethod
    def _configured(ctx: Ctx, what: str, name: str, payload) -> Optional[ProduceSite]:
        """A push to a configured key (an attribute, a parameter, a loop over configured queues) is a
        producer only in a module that itself takes items off lists with a blocking pop or a move (a
        pipeline class: receives from one configured list, pushes to the next)."""
        if not _takes_off_lists(ctx.index):
            return None
        return ProduceSite("redis_lists", what, payload, unconfirmed_queue=True,
                            evidence=f"redis `{name}()` in a module that takes items off Redis lists as a queue")

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        poppers: Optional[FrozenSet[str]] = None  # the names a popping helper may have (`_popper_names`)
        for func in index.functions:
            ctx = Ctx(index, func)
            for call in func.calls:
                name = call_name(call)
                if name not in POPS or not isinstance(call.func, cst.Attribute):
                    continue
                strength = _redis(call, ctx)
                if strength is None:
                    continue
                if name not in BLOCKING_POPS:
                    if not _in_loop(func, call):
                        continue  # a one-off `lpop` takes from a pool or a stack, not a queue it drains
                    strength = WEAK  # a drain loop, but the list may still be kept as data
                yield HandlerSite("redis_lists", func, "auto", strength,
                                  f"redis `{name}()` removes the item from the list on receipt", option_node=call)
                break
            else:
                # `item = self.queue.dequeue()`: a helper that pops an item and returns it (this
                # module's, or a project class's) receives for this function, acked on receipt
                if poppers is None:
                    poppers = _popper_names(index)
                for call in func.calls:
                    if call_name(call) not in poppers:
                        continue
                    found = _popping_helper(call, ctx)
                    if found is not None:
                        helper, strength = found
                        yield HandlerSite("redis_lists", func, "auto", strength,
                                          f"`{dotted(call.func) or call_name(call)}()` (`{helper.symbol}`) pops an "
                                          "item off a Redis list and returns it: removed on receipt", option_node=call,
                                          receives_at=call)
                        break
