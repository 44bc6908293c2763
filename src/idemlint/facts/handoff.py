"""Calls that get the message but hand it to no unseen work: they notify, register, log or keep state.

An unseen hand-off is a call that gives the message (or data derived from it) to code that runs
now, that idemlint cannot read, and that could change something outside the process, which a
redelivery would change again. These calls get the message and do none of that, whatever their
name suggests:

- a signal sent in the process (Django `Signal.send` / `send_robust`, blinker, openedx-events'
  `send_event`): its receivers are connected elsewhere, chosen at run time;
- a callback registry (`register(...)`, `add_listener(...)`, `on(...)`): it stores a function to
  call later, it calls nothing now;
- a logger or a monitoring call (`logging`, structlog, loguru, anything named `...logger`, a method
  named for a log such as `self.extend_log(...)`, a function of a `monitoring` / `metrics` /
  `tracing` / `telemetry` module, a counter or timer of a metrics client such as
  `statsd_client.incr(...)`): it records an observation of the handling,
  and a repeat is one more line or sample;
- an update of a container held in memory (a dict, list, set or deque the handler's object or
  function builds): the crash that causes a redelivery wipes it, and the same message puts the
  same entry back;
- a callable the consumer was built with (`self.callback = callback` in `__init__` or in a setter,
  after `self.callback = None`; a parameter; a local that picks it or the class's own default; or an
  object the function that made the callback was given, `mailbox.handle(message)`; a method the
  class inherits from a third-party library's base class, `self.process_event(...)` under
  eventcore's `Consumer`, which dispatches to the handlers its users register): a
  plug-in chosen by whoever wires the consumer. What it does is known where it is written, not in the
  transport that calls it (in real code: buffers, index look-ups, UI broadcasts);
- a waiter taken out of a registry held in memory (`event = self._waiting.pop(msg_id)`, then
  `event.send(body)` or `future.set_result(body)`): it wakes a caller of this process that waits
  for the reply, and a crash takes that caller with it;
- a frame sent on a live websocket connection (`await websocket.send(message)`, `ws.send_json(...)`,
  `sio.emit(...)`, in a module that imports a websocket library): whoever is connected sees one
  more notification, and nothing keeps it;
- a Redis command that reads, or writes what a repeat writes again, on a client the function holds
  under a `redis` name (`self.redisClient.hgetall("dlr:%s" % msgid)`, then `hmset`, `expire` or
  `delete` of that key; a client handed to the constructor, so its library is out of view): a read
  changes nothing, and the same key set or deleted again ends the same. Counters and list pushes
  are effects (`facts.effects`), and so is a write under a key made new on each call. A read command
  only Redis spells so (`hgetall`, `smembers`, `xpending_range`) is a read on any receiver.
"""

from __future__ import annotations

import re
import sys
from typing import Optional

import libcst as cst

from ..detect.base import Ctx
from ..index import FunctionInfo, alternatives, call_name, dotted, kwarg, positional, string_value, walk
from ..lazyre import lazy_re

SIGNAL_SENDS = {"send", "send_robust", "asend", "asend_robust", "send_async", "send_event",
                "send_event_with_custom_metadata", "emit", "fire"}
REGISTRY = lazy_re(r"^(un)?register(_\w+)?$|^add_(\w+_)?(listener|handler|callback|observer|hook|subscriber)s?$"
                      r"|^(on|once|connect|add_done_callback|subscribe_callback)$")
LOGGING_ROOTS = {"logging", "structlog", "loguru", "logbook", "eliot"}
# a method named for the log it writes or extends (`extend_log`, `log_event`, `add_logging_context`)
LOG_METHOD = lazy_re(r"(^|_)(log|logs|logging|logger)(_|$)", re.I)
# a module with one of these names in its path observes the handling (`edx_django_utils.monitoring`)
OBSERVING = {"monitoring", "metrics", "telemetry", "tracing", "instrumentation", "newrelic", "logging", "logs"}
# a metrics client (`statsd_client.incr(...)`, `self.metrics.timing(...)`, `prometheus` counters): it
# records an observation of the handling, like a logger
METRIC_CALLS = {"incr", "increment", "decr", "decrement", "timing", "timer", "gauge", "histogram", "distribution",
                "count", "observe", "inc", "dec", "set", "mark", "update", "send", "event"}
METRIC_CLIENT = lazy_re(r"statsd|metric|stats|prometheus|datadog|telemetry|counter|gauge|histogram|meter", re.I)
METRIC_ROOTS = {"statsd", "datadog", "prometheus_client", "dogstatsd", "opentelemetry", "newrelic", "sentry_sdk"}
CONTAINERS = {"dict", "list", "set", "frozenset", "deque", "defaultdict", "OrderedDict", "Counter", "ChainMap",
              "WeakValueDictionary", "WeakKeyDictionary", "WeakSet", "SortedDict", "SortedList", "SortedSet"}
MEMORY_ROOTS = {"heapq", "bisect", "weakref", "array", "contextvars"}  # containers updated in place, context variables
FILE_WRITES = {"write", "writelines"}
# what wakes a waiter (eventlet / gevent `Event.send`, `threading.Event.set`, a future's result)
WAKES = {"send", "set", "set_result", "set_exception", "send_exception", "callback", "errback", "put", "put_nowait"}
TAKES = {"pop", "get"}  # how an entry is taken from a registry
# Redis commands that only read (redis-py, txredisapi, aioredis, coredis spell them alike)
REDIS_READ_COMMANDS = frozenset({"get", "mget", "hget", "hmget", "hgetall", "hkeys", "hvals", "hlen", "hexists",
                                 "exists", "sismember", "smismember", "smembers", "scard", "lrange", "llen",
                                 "lindex", "zrange", "zrangebyscore", "zscore", "zcard", "ttl", "pttl", "type",
                                 "strlen", "getbit", "keys", "scan", "xlen", "xrange", "xrevrange", "xpending",
                                 "xpending_range", "xinfo_stream", "xinfo_groups", "xinfo_consumers"})
# ... of them, those no other library spells so (`get`, `keys`, `scan` are everyone's): a read whatever
# the receiver's name (`self._client.xpending_range(...)` in a project's stream wrapper)
REDIS_OWN_READS = frozenset({"hgetall", "hmget", "hkeys", "hvals", "hexists", "sismember", "smismember", "smembers",
                             "lrange", "zrange", "zrangebyscore", "zscore", "zcard", "xrange", "xrevrange",
                             "xpending", "xpending_range", "xinfo_stream", "xinfo_groups", "xinfo_consumers"})
# ... and those that leave a key as a repeat of them leaves it (set, delete, expire, set membership)
REDIS_SAME_WRITES = frozenset({"set", "setex", "psetex", "hset", "hmset", "mset", "delete", "unlink", "hdel",
                               "expire", "pexpire", "expireat", "persist", "sadd", "srem", "zadd", "zrem"})
_REDIS_NAME = lazy_re(r"redis", re.I)
# a frame sent on a live websocket connection (websockets, aiohttp, Starlette/FastAPI, Tornado,
# Django Channels, python-socketio): seen by whoever is connected now, kept by nobody
SOCKET_ROOTS = ("websockets", "aiohttp", "starlette", "fastapi", "tornado", "channels", "socketio", "flask_socketio",
                "websocket")
SOCKET_SENDS = frozenset({"send", "send_str", "send_json", "send_text", "send_bytes", "write_message", "emit"})
_SOCKET_NAME = lazy_re(r"(^|_)(ws|websocket|websockets|socket|sio)$", re.I)
DISPLAYS = (cst.Dict, cst.List, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp)
GIVEN = "a callable the consumer was given"  # the only reason that leaves a name-based effect standing


def in_process(call: cst.Call, ctx: Ctx) -> Optional[str]:
    """Why `call` hands the message to no unseen work (see the module docstring), or None."""
    func = call.func
    name = call_name(call) or ""
    origin = ctx.origin(func) or ""
    if origin.split(".")[0] in MEMORY_ROOTS:
        return "in-memory state"
    if not origin.startswith(".") and OBSERVING & set(origin.lower().split(".")[:-1]):
        return "a logger"
    if isinstance(func, cst.Subscript):
        # `self.handlers[topic](msg)`, `request["callback"](*args)` of an entry of `self.requests`:
        # a callable picked from the table the class fills with what its users register
        return GIVEN if _table_entry(func, ctx) else None
    if isinstance(func, cst.Name):
        picked = _picked_from(func.value, ctx)
        if picked is not None and _logger(picked, ctx):
            return "a logger"  # `method = getattr(logger, level)`, then `method(message, **fields)`
        return GIVEN if _given(func.value, ctx.func) or _given_choice(func.value, ctx) \
            or _registered_route(func.value, ctx) or _from_table(func.value, ctx) else None
    if not isinstance(func, cst.Attribute):
        return None
    recv = func.value
    recv_text = (ctx.origin(recv) or "") + " " + (dotted(recv) or "")
    if isinstance(recv, cst.Subscript):
        recv_text += " " + (dotted(recv.value) or "")  # `self.signals[exchange].send(...)`: one of a table
    if name in SIGNAL_SENDS and "signal" in recv_text.lower():
        return "a signal"
    if REGISTRY.match(name):
        return "a callback registry"
    last = (dotted(recv) or "").split(".")[-1].lower().lstrip("_")
    if _logger(recv, ctx):
        return "a logger"
    if LOG_METHOD.search(name):
        return "a logger"  # `with self.extend_log("recipe_ID", recipe_id):`, `self.log_event(...)`
    if name in METRIC_CALLS and (METRIC_CLIENT.search(last) or recv_text.split(".")[0].strip() in METRIC_ROOTS):
        return "a metrics client"  # `statsd_client.incr(...)`: one more sample on a repeat
    if _container(recv, ctx):
        return "in-memory state"
    if name in FILE_WRITES and _rewritten_file(recv, ctx):
        return "a file it rewrites whole"
    if _self_attr(func, ctx) and (_given_attr(func.attr.value, ctx) or _library_base_method(func.attr.value, ctx)
                                  or _subclass_hook(func.attr.value, ctx)):
        return GIVEN
    if isinstance(recv, cst.Name) and ctx.func is not None and ctx.func.parent is not None \
            and recv.value not in ctx.func.params and _given(recv.value, ctx.func.parent):
        # `get_message_handler(self, mailbox)` returns a callback that runs `mailbox.handle(message)`:
        # an object the factory of the callback was given
        return GIVEN
    if name in WAKES and _waiter(recv, ctx):
        return "a waiter in memory"
    if name in SOCKET_SENDS and _SOCKET_NAME.search(last) and ctx.imports(*SOCKET_ROOTS):
        return "a live connection"  # `await websocket.send(message)` to a connected browser
    if name in REDIS_OWN_READS:
        return "a Redis key read"  # `self._client.xpending_range(stream, group, ...)`
    if name in REDIS_READ_COMMANDS | REDIS_SAME_WRITES and _REDIS_NAME.search(last) and not _fresh_key(call, ctx):
        return "a Redis key read or overwritten"  # `self.redisClient.hgetall(key)`: the same state again
    return None


def _logger(recv: cst.BaseExpression, ctx: Ctx) -> bool:
    """`recv` is a logger: of a logging library, or named for one (`self.logger`, `log`)."""
    text = (ctx.origin(recv) or "") + " " + (dotted(recv) or "")
    last = (dotted(recv) or "").split(".")[-1].lower().lstrip("_")
    return text.split(".")[0].strip() in LOGGING_ROOTS or last.endswith("logger") or last == "log"


def _picked_from(name: str, ctx: Ctx) -> Optional[cst.BaseExpression]:
    """The object whose method a local bound once to `getattr(obj, name[, default])` holds."""
    func = ctx.func
    bound = func.assigns.get(name, ()) if func is not None else ()
    if len(bound) != 1 or bound[0][2] != "=" or bound[0][1] is not None:
        return None
    value = bound[0][0]
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "getattr" \
            and len(value.args) >= 2 and not value.args[0].star:
        return value.args[0].value
    return None


def _given(name: str, func: Optional[FunctionInfo]) -> bool:
    """`handler(msg)` where `handler` is a parameter of the function (never rebound in it), or of a
    function it is nested in (a callback defined inside `read(self, handler)` calls that `handler`)."""
    while func is not None and name not in ("self", "cls"):
        if name in func.assigns:
            return False
        if name in func.params:
            return True
        func = func.parent
    return False


def _given_choice(name: str, ctx: Ctx) -> bool:
    """`handle = self.messages_callback or self._default_callback`, then `handle(messages)`: a local
    bound once to a choice between a callable the consumer was given and the class's own default."""
    func = ctx.func
    bound = func.assigns.get(name, ()) if func is not None else ()
    if len(bound) != 1 or bound[0][2] != "=" or not isinstance(bound[0][0], (cst.BooleanOperation, cst.IfExp)):
        return False
    cls = ctx.index.class_of(func)
    given = False
    for option in alternatives(bound[0][0]):
        if isinstance(option, cst.Name) and _given(option.value, func):
            given = True
        elif isinstance(option, cst.Attribute) and isinstance(option.value, cst.Name) and option.value.value == "self":
            if _given_attr(option.attr.value, ctx):
                given = True
            elif cls is None or option.attr.value not in cls.methods:
                return False
        else:
            return False
    return given


def _registered_route(name: str, ctx: Ctx) -> bool:
    """`func = self.event_routes[event.path]`, then `await func(...)`, where a method of the class
    registers callables in that table (`def decorator(func): self.event_routes[path] = func`) or
    builds it from what it was given (`_given_table`): a handler its users gave it, picked by the
    message."""
    func = ctx.func
    bound = func.assigns.get(name, ()) if func is not None else ()
    if len(bound) != 1 or bound[0][2] != "=":
        return False
    value = bound[0][0]
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "get":
        value = value.func.value
    elif isinstance(value, cst.Subscript):
        value = value.value
    else:
        return False
    if not (_self_attr(value, ctx)):
        return False
    table = value.attr.value
    return _given_table(table, ctx) or _filled_with_parameters(table, ctx)


def _table_entry(func: cst.Subscript, ctx: Ctx) -> bool:
    """`func` reads an entry of a table a method of the class fills with one of its parameters:
    `self.<table>[key]`, or `entry[key]` where `entry` iterates `self.<table>` (or a `sorted(...)`,
    `list(...)` of it), and the table is filled by `self.<table>[k] = param`,
    `self.<table>.append(param)` or `.append({..., "callback": param})`."""
    base = func.value
    table = base.attr.value if _self_attr(base, ctx) else None
    if table is None and isinstance(base, cst.Name):
        table = _iterated_table(base.value, ctx)
    return table is not None and _filled_with_parameters(table, ctx)


def _from_table(name: str, ctx: Ctx) -> bool:
    """`fn(values)` where `fn` is bound by a loop over a table the class fills with its parameters
    (`for (cb, fn) in self.subscriptions`)."""
    table = _iterated_table(name, ctx)
    return table is not None and _filled_with_parameters(table, ctx)


def _iterated_table(name: str, ctx: Ctx) -> Optional[str]:
    """The `self.<table>` a loop or a comprehension of the function binds `name` from (`for request
    in sorted(self.requests, ...)`, `[cb for (cb, fn) in self.subscriptions if fn(values)]`)."""
    func = ctx.func
    if func is None or name in func.params:
        return None
    loops = [(loop.target, loop.iter) for loop in func.fors]
    loops += [(node.target, node.iter) for node in walk(func.node.body, into_scopes=False)
              if isinstance(node, cst.CompFor)]
    for target, source in loops:
        if name not in {n.value for n in walk(target) if isinstance(n, cst.Name)}:
            continue
        bound = func.values_of(source.value) if isinstance(source, cst.Name) else ()
        if len(bound) == 1 and len(func.assigns.get(source.value, ())) == 1:
            source = bound[0]  # `requests = sorted(self.requests, ...)`, then `for request in requests:`
        while isinstance(source, cst.Call) and dotted(source.func) in ("sorted", "list", "reversed", "tuple") \
                and source.args:
            source = source.args[0].value
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Attribute) \
                and source.func.attr.value in ("values", "items") and not source.args:
            source = source.func.value
        return source.attr.value if _self_attr(source, ctx) else None
    return None


def _filled_with_parameters(table: str, ctx: Ctx) -> bool:
    """A method of the class fills `self.<table>` with one of its parameters: `self.<table>[k] = param`,
    `self.<table>.append(param)`, `.append((cb, fn))`, `.append({..., "callback": param})`."""
    cls = ctx.index.class_of(ctx.func)
    if cls is None:
        return False
    for other in ctx.index.functions:
        if ctx.index.class_of(other) is not cls or other is ctx.func or not other.params:
            continue
        params = set(other.params) - {"self", "cls"}
        for node in walk(other.node, into_scopes=False):
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Name) and node.value.value in params \
                    and any(isinstance(t.target, cst.Subscript) and _self_attr(t.target.value, ctx)
                            and t.target.value.attr.value == table for t in node.targets):
                return True  # `self.handlers[topic] = handler`
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in ("append", "add", "insert") and _self_attr(node.func.value, ctx) \
                    and node.func.value.attr.value == table and node.args and _holds(node.args[-1].value, params):
                return True  # `self.requests.append({"name": path, "callback": func})`
    return False


def _holds(added: cst.BaseExpression, params) -> bool:
    """`added` is a parameter, a tuple of values with one among them (`(cb, fn)`), or a record that
    keeps one under a key naming a callable (`{"callback": func}`)."""
    if isinstance(added, cst.Name):
        return added.value in params
    if isinstance(added, cst.Tuple):
        return any(isinstance(el.value, cst.Name) and el.value.value in params for el in added.elements)
    return isinstance(added, cst.Dict) and any(
        isinstance(el, cst.DictElement) and isinstance(el.value, cst.Name) and el.value.value in params
        and _CALLABLE_KEY.search(string_value(el.key) or "") is not None for el in added.elements)


# the entry of a registration record that holds the callable (`{"callback": func, "topic": t}`)
_CALLABLE_KEY = lazy_re(r"callback|handler|func|function|fn|task|target|callable|hook|listener", re.I)


def _library_base_method(name: str, ctx: Ctx) -> bool:
    """`self.process_event(...)` in a class that defines no such method and whose bases all come from
    an installed third-party library (eventcore's `Consumer`, not the standard library's, not the
    project's): the library's own dispatch to the handlers its users register with it."""
    cls = ctx.index.class_of(ctx.func)
    if cls is None or not cls.bases or name in cls.methods:
        return False
    project = ctx.index.project
    for base in cls.bases:
        origin = ctx.origin(base) or ""
        root = origin.split(".")[0]
        if not root or root not in ctx.index.import_roots or root in sys.stdlib_module_names or (
                project is not None and project.is_project_origin(origin, ctx.index.path)):
            return False
    return True


def _subclass_hook(name: str, ctx: Ctx) -> bool:
    """`self.handle_message(msg)` in a class that neither defines nor binds `handle_message`, and whose
    bases (all of them classes of the project, found) do not either: the method its users' subclasses
    must write (django-nats-consumer's `NatsConsumerBase`). Its work is theirs, as a plug-in's is."""
    from . import callees  # it imports the adapters, which import this module's siblings

    cls = ctx.index.class_of(ctx.func)
    if cls is None:
        return False
    lineage = [(cls, ctx.index)]
    found = callees.base_classes(cls, ctx.index, ctx.index.project, ctx.index.path)
    declared = sum(len([b for b in c.bases if dotted(b) != "object"]) for c, _ in lineage) + sum(
        len([b for b in c.bases if dotted(b) != "object"]) for c, _, _ in found)
    if declared != len(found):
        return False  # a base the tool cannot find (a library's): `_library_base_method` asks about it
    lineage += [(c, i) for c, i, _ in found]
    return not any(name in c.methods or name in c.attr_values or name in c.annotations for c, _ in lineage)


def _given_table(table: str, ctx: Ctx) -> bool:
    """Every assignment of `self.<table>` builds it from what the assigning method was given:
    `{fn.__name__: fn for fn in worker_settings.functions}` (a task worker's functions by name)."""
    values = [(v, o) for v, o in _values(table, ctx) if not isinstance(v, (cst.Dict, cst.List)) or v.elements]
    return bool(values) and all(
        owner is not None and isinstance(value, (cst.DictComp, cst.ListComp))
        and _mentions_param(value.for_in.iter, owner) for value, owner in values)


def _self_attr(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """`self.<name>` in a method, or in a function nested in one (a callback defined in `start()`)."""
    return (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self"
            and ctx.func is not None and ctx.index.class_of(ctx.func) is not None)


def _waiter(recv: cst.BaseExpression, ctx: Ctx) -> bool:
    """`event` bound only to an entry taken from a container built in memory (`self._waiting.pop(key)`,
    `.get(key)`, `self._waiting[key]`): something this process registered to be woken."""
    if not isinstance(recv, cst.Name) or ctx.func is None:
        return False
    values = ctx.func.values_of(recv.value)
    if not values or len(values) != len(ctx.func.assigns.get(recv.value, ())):
        return False
    for value in values:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in TAKES:
            holder = value.func.value
        elif isinstance(value, cst.Subscript):
            holder = value.value
        else:
            return False
        if not _container(holder, ctx):
            return False
    return True


def _values(attr: str, ctx: Ctx):
    """What the methods of the handler's class assign to `self.<attr>`: (value, method) pairs."""
    cls = ctx.index.class_of(ctx.func)
    if cls is None:
        return []
    return [(value, owner) for value, owner, how in cls.attr_values.get(attr, ()) if how == "="]


def _given_attr(attr: str, ctx: Ctx) -> bool:
    """`self.callback(...)` where every assignment of `self.callback` stores a parameter of the method
    assigning it (`self.callback = callback`, `self.fn = fn or default_fn`, `self.on_job_start =
    settings.on_job_start`), or only ever None in the class (its users set it), and the class defines no
    method of that name."""
    cls = ctx.index.class_of(ctx.func)
    if cls is None or attr in cls.methods:
        return False
    # `self.callback = None` until a setter stores one: None is no code to run; a hook the class only
    # ever sets to None (`self.after_job_end = None`) is one its users assign from outside
    assigned = _values(attr, ctx)
    values = [(v, o) for v, o in assigned if not (isinstance(v, cst.Name) and v.value == "None")]
    if assigned and not values:
        return True
    return bool(values) and all(owner is not None and _mentions_param(value, owner) for value, owner in values)


def _mentions_param(value: cst.BaseExpression, owner: FunctionInfo) -> bool:
    """`callback`, `callback or default_callback`, `fn if fn else default`: a parameter of `owner`;
    or what a parameter holds (`worker_settings.on_job_start`: a hook of the settings it was given)."""
    for v in alternatives(value):
        while isinstance(v, cst.Attribute):
            v = v.value
        if isinstance(v, cst.Name) and v.value in owner.params and v.value not in ("self", "cls"):
            return True
    return False


def container_attr(recv: cst.BaseExpression, ctx: Ctx) -> bool:
    """`self.<name>` of the handler's object is a container built in memory (`_container`)."""
    return _self_attr(recv, ctx) and _container(recv, ctx)


def _fresh_key(call: cst.Call, ctx: Ctx) -> bool:
    """The command's key is made new on each call (`f"dlq:{uuid4().hex}"`): a new record each time."""
    from .effects import made_fresh  # effects imports the resolver this module is loaded before

    return made_fresh(positional(call, 0) or kwarg(call, "name"), ctx)


def _container(recv: cst.BaseExpression, ctx: Ctx) -> bool:
    """`recv` is a dict, list, set or deque built in memory: every value assigned to it is a display
    (`{}`, `[]`) or a container constructor (`defaultdict(list)`, `deque(maxlen=100)`)."""
    if isinstance(recv, cst.Name) and ctx.func is not None:
        values = ctx.func.values_of(recv.value)
    elif _self_attr(recv, ctx):
        values = [v for v, _ in _values(recv.attr.value, ctx)]  # type: ignore[union-attr]
    else:
        return False
    return bool(values) and all(_built_in_memory(v, ctx) for v in values)


def _built_in_memory(value: cst.BaseExpression, ctx: Ctx) -> bool:
    if isinstance(value, DISPLAYS):
        return True
    if isinstance(value, cst.Call):
        name = (ctx.origin(value.func) or dotted(value.func) or "").split(".")[-1].rstrip("()")
        return name in CONTAINERS
    return False


def _rewritten_file(recv: cst.BaseExpression, ctx: Ctx) -> bool:
    """`fh` of `with open(path, "w") as fh` (or `fh = open(path, "wb")`, `Path(p).open("w")`): every
    binding of it in the function opens a file for writing from its start, at a path not made
    fresh on each call. Writing the same message into it again leaves the same file."""
    from .effects import made_fresh  # effects imports the resolver this module is loaded before

    if not isinstance(recv, cst.Name) or ctx.func is None:
        return False
    bound = ctx.func.assigns.get(recv.value, ())
    if not bound or any(how not in ("=", "with") for _, _, how in bound):
        return False
    for value, _, _ in bound:
        if not isinstance(value, cst.Call) or call_name(value) != "open":
            return False
        origin = ctx.origin(value.func) or dotted(value.func) or ""
        if isinstance(value.func, cst.Name) or origin in ("io.open", "codecs.open"):
            mode, path = kwarg(value, "mode") or positional(value, 1), kwarg(value, "file") or positional(value, 0)
        elif origin.startswith("pathlib.") and isinstance(value.func, cst.Attribute):
            mode, path = kwarg(value, "mode") or positional(value, 0), value.func.value
        else:
            return False
        text = string_value(mode) or ""
        if "w" not in text or "a" in text or path is None or made_fresh(path, ctx):
            return False  # `f"{uuid4()}.json"`, directly or through a local: a new file on every delivery
    return True
