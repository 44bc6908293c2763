"""Publishes through the project's layers: library publish methods passed on as values, and project
helpers that publish what their callers build.

- `retry(to_ensure_func=producer.publish, body=...)`, `executor.submit(channel.basic_publish, "", "q",
  body)`, `conn.ensure(producer, producer.publish)`: the call hands a library publish method on, with
  the arguments it passes along; it is judged as that publish, at the call.
- `publisher.emit("order.cancelled", {...})` where `emit` (another module) calls `publish_json(topic,
  event)`, which calls `producer.produce(topic, value=json.dumps(payload))`: the message is built by the
  caller. IDEM003 is judged there, on the argument that becomes the payload (the helper's own publish,
  whose payload is only a parameter, stays a low "built elsewhere" finding).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Callable, Iterable, Iterator, Optional, Tuple

from ..records import dataclass
from ..lazyimport import cst  # not loaded before first use

from ..detect import PRODUCE_ADAPTERS, called_name
from ..detect.base import Ctx, ProduceSite, is_mock, literal
from ..detect.nats import reply_subject
from ..index import argument, dotted, kwarg, positional, string_value
from . import callees
from .deferred import message_data
from .identity import is_id_field, mentions
from .payload import bound_once, built_here, fields, is_id_value
from ..origins import QUEUE_HELPER, caller_files, read_head
from ..lazyre import lazy_re

Produce = Callable[[cst.Call, Ctx], Optional[ProduceSite]]

# Names of project helpers worth following for a publish (a filter on cost: what the helper does decides).
PUBLISH_LIKE = lazy_re(r"publish|emit|send|produce|enqueue|dispatch|broadcast|notify|push|fire|post_event|"
                          r"put_message|write_message|" + QUEUE_HELPER, re.I)
NOT_PARAMS = {"self", "cls"}
# calls that return the function they are given, wrapped, instead of running it
WRAPPERS = frozenset({"ensure", "partial", "autoretry"})


@dataclass(frozen=True)
class Publishes:
    """A project function publishes (what it is given as) one of its parameters."""

    library: str
    what: str
    params: Tuple[str, ...]  # the parameters the payload is made from (`{"reason": reason, **payload}`)
    has_id: bool  # the helper itself gives the message an id (a property, a key, an id field)
    chain: Tuple[str, ...]
    id_params: Tuple[str, ...] = ()  # parameters that become the message's id (`key=key`) when passed
    # the helper writes the whole payload out itself (`{"event": event, "detail": detail}`): the
    # parameters are its fields' values, and the message is judged there
    written: bool = False
    by_name: bool = False  # the client is a producer by its name only (`ProduceSite.by_name`)
    core_subject: bool = False  # a core NATS publish (`ProduceSite.core_subject`)
    # parameters that become a core NATS publish's subject: a caller passing a request's reply inbox
    # (`msg.reply`) for one sends a reply, which the requester matches and needs no id
    reply_params: Tuple[str, ...] = ()



def passed_on(call: cst.Call, ctx: Ctx, produce: Produce) -> Optional[ProduceSite]:
    """The library publish a call hands on as a value, judged with the arguments passed along.

    A wrapper that returns the publish instead of running it (kombu's `conn.ensure(producer,
    producer.publish)`, `functools.partial`) publishes where what it returns is called."""
    if called_name(call) in WRAPPERS:
        return None  # runs nothing: the call of what it returns does
    wrapped = _wrapper_value(call, ctx)
    if wrapped is not None:
        ref, bound = wrapped
        return _judge(call, ref, bound + list(call.args), ctx, produce)
    for arg in call.args:
        ref = arg.value
        if arg.star:
            continue
        if isinstance(ref, cst.Call) and called_name(ref) == "partial":
            # `loop.run_in_executor(None, partial(client.send_message, QueueUrl=url, MessageBody=body))`
            bound = _partial(ref)
            if bound is not None:
                site = _judge(call, bound[0], bound[1], ctx, produce)
                if site is not None:
                    return site
            continue
        if not isinstance(ref, cst.Attribute) or ref.attr.value not in PRODUCE_ADAPTERS:
            continue
        site = _judge(call, ref, [a for a in call.args if a is not arg], ctx, produce)
        if site is not None:
            return site
    return None


def _partial(call: cst.Call) -> Optional[Tuple[cst.Attribute, list]]:
    """`functools.partial(producer.publish, *args, **kwargs)`: the library publish and every argument
    bound to it (positional and keyword alike), or None when its first argument is no publish."""
    first = call.args[0] if call.args else None
    if first is None or first.star or first.keyword is not None:
        return None
    ref = first.value
    if not isinstance(ref, cst.Attribute) or ref.attr.value not in PRODUCE_ADAPTERS:
        return None
    return ref, list(call.args[1:])


def _judge(call: cst.Call, ref: cst.Attribute, args: list, ctx: Ctx, produce: Produce) -> Optional[ProduceSite]:
    """`ref(*args)` judged as a publish, and told as made by `call`."""
    try:
        virtual = cst.Call(func=ref, args=args)
    except Exception:  # noqa: BLE001 - arguments in an order a call cannot have: nothing to judge
        return None
    site = produce(virtual, ctx)
    if site is not None:
        via = dotted(call.func) or called_name(call) or "a call"
        site.what = f"`{dotted(ref) or ref.attr.value}` passed to `{via}()`" if via != dotted(ref) else site.what
        site.evidence += f" (run by `{via}()`)"
    return site


def _wrapper_value(call: cst.Call, ctx: Ctx) -> Optional[Tuple[cst.Attribute, list]]:
    """`publish(...)` where `publish = conn.ensure(producer, producer.publish, ...)` or
    `functools.partial(channel.basic_publish, "", "q")`: the publish and the arguments bound to it."""
    if not isinstance(call.func, cst.Name) or ctx.func is None:
        return None
    values = ctx.func.assigns.get(call.func.value, ())
    value = values[0][0] if len(values) == 1 else None
    if not isinstance(value, cst.Call) or called_name(value) not in WRAPPERS:
        return None
    if called_name(value) == "partial":
        return _partial(value)  # its keywords are bound to the publish too
    for arg in value.args:
        ref = arg.value
        if isinstance(ref, cst.Attribute) and ref.attr.value in PRODUCE_ADAPTERS and not arg.star:
            return ref, []
    return None


def _passed_on_calls(call: cst.Call) -> Iterator[Tuple[cst.Call, cst.BaseExpression]]:
    """The calls a call makes by handing on a function named like a publish with the arguments to
    run it with (`executor.submit(publish_event, event)`, `cls._run_in_background(cls._send_event,
    topic, data)`): each as the call it stands for, with the reference handed on."""
    if called_name(call) in WRAPPERS:
        return  # runs nothing: the call of what it returns does
    for i, arg in enumerate(call.args):
        ref = arg.value
        if isinstance(ref, cst.Call) and called_name(ref) == "partial" and ref.args and not arg.star \
                and arg.keyword is None and not ref.args[0].star and ref.args[0].keyword is None \
                and isinstance(ref.args[0].value, (cst.Name, cst.Attribute)):
            # `retry_policy.run(partial(self._send_once, payload, opts))`: the helper with what the
            # partial binds to it, run by the call it is given to
            inner = ref.args[0].value
            name = inner.attr.value if isinstance(inner, cst.Attribute) else inner.value
            if PUBLISH_LIKE.search(name):
                try:
                    yield cst.Call(func=inner, args=list(ref.args[1:])), inner
                except Exception:  # noqa: BLE001 - arguments in an order a call cannot have
                    pass
            continue
        if arg.star or arg.keyword is not None or not isinstance(ref, (cst.Name, cst.Attribute)):
            continue
        name = ref.attr.value if isinstance(ref, cst.Attribute) else ref.value
        if not PUBLISH_LIKE.search(name) or i + 1 >= len(call.args):
            continue
        try:
            virtual = cst.Call(func=ref, args=list(call.args[i + 1:]))
        except Exception:  # noqa: BLE001 - arguments in an order a call cannot have
            continue
        yield virtual, ref


def _with_passed_on(calls: Iterable[cst.Call]) -> Iterator[cst.Call]:
    """`calls`, each followed by the publishing helpers it runs handed on (`_passed_on_calls`)."""
    for call in calls:
        yield call
        if not PUBLISH_LIKE.search(called_name(call)):
            yield from (virtual for virtual, _ in _passed_on_calls(call))


def helper_passed_on(call: cst.Call, ctx: Ctx, produce: Produce, depth: int) -> Optional[ProduceSite]:
    """A project publish helper handed on as a value with the arguments to run it with
    (`asyncio.to_thread(self.publisher.publish, message)`, `executor.submit(publish_event, event)`,
    `loop.run_in_executor(None, send, body)`): judged as `through_helper` judges its call."""
    for virtual, ref in _passed_on_calls(call):
        site = through_helper(virtual, ctx, produce, depth)
        if site is not None:
            via = dotted(call.func) or called_name(call) or "a call"
            site.what = f"`{dotted(ref) or called_name(virtual)}` passed to `{via}()`"
            return site
    return None


def through_helper(call: cst.Call, ctx: Ctx, produce: Produce, depth: int) -> Optional[ProduceSite]:
    """The publish a call of a project helper makes with what the call passes, judged here: a helper
    named like a publish, or one whatever its name whose body calls a library's publish
    (`self.queue.write_one(content)`: `sender_names`)."""
    name = called_name(call)
    if not (PUBLISH_LIKE.search(name) or name in sender_names(ctx.index)) or is_mock(call, ctx):
        return None
    project = ctx.index.project
    found = None
    for callee in callees.resolve_all(call.func, ctx, project, ctx.index.path):
        if ctx.func is None or callee.func.node is not ctx.func.node:
            found = _publishes(callee, ctx, produce, depth - 1, set())
            if found is not None:
                break  # one implementation that publishes (an abstract `send` of several pipelines)
    if found is None or found.written:
        return None
    # the argument the caller builds, of those the payload is made from (`publish_dlq(reason="x",
    # payload={...})`): a layer passing its caller's message on, or a received event, is judged there
    # (of several, one with an id field: the message carries what each of them gives it)
    built = [(given, keys) for given, (visible, keys) in
             ((g, fields(g, ctx)) for g in (argument(call, callee.func, p) for p in found.params) if g is not None)
             if (visible or built_here(given, ctx) or _builder_made(given, ctx))
             # a constant for one of several parameters (`self.signal("create", instance)`) is a value
             # the helper puts in the message it builds, not the message
             and not (len(found.params) > 1 and literal(given))]
    if not built:
        return None
    payload = next((given for given, keys in built if any(is_id_field(k) for k in keys)), built[0][0])
    chain = " -> ".join((callee.qualname,) + found.chain)
    site = ProduceSite(found.library, f"`{dotted(call.func) or called_name(call)}()`", payload,
                       evidence=f"publishes through `{chain}`: {found.what}", by_name=found.by_name,
                       core_subject=found.core_subject, guessed=callee.guessed)
    site.has_id = found.has_id or any(a.keyword is not None and is_id_field(a.keyword.value) for a in call.args) or any(
        _given(argument(call, callee.func, p)) for p in found.id_params) or any(
        reply_subject(argument(call, callee.func, p)) for p in found.reply_params)
    if not site.has_id:
        # another argument made from one id (`self._xadd_stream(codec.stream_key(rid), chunk)`, a stream
        # that exists for one request, `rid = req["id"]`): the message goes where that id names, as an
        # RPC reply carries its request's correlation id
        payloads = [argument(call, callee.func, p) for p in found.params]
        site.has_id = any(_names_an_id(a.value, ctx) for a in call.args
                          if a.star == "" and not any(a.value is given for given in payloads))
    site.id_exprs = [a.value for a in call.args
                     if a.keyword is not None and a.keyword.value in ("headers", "properties", "attributes")]
    return site


def _builder_made(given: cst.BaseExpression, ctx: Ctx) -> bool:
    """`given` is what a project function makes from what the caller gives it: a call (through
    serialisers, or a local bound to one) of functions of the project that each return a value they
    make (`_made`), none of them a coroutine (an `async def` that returns an object fetches it:
    `await self.request.quest(session, ret)`). The caller builds the message that way: its id is
    for IDEM003 to ask of that call, though what the payload holds may be out of view."""
    from .payload import _resolve_local, unwrap

    expr = given
    for _ in range(4):
        expr = _resolve_local(expr, ctx.func) if ctx.func is not None else expr
        if isinstance(expr, cst.Await):
            expr = expr.expression
        inner = unwrap(expr) if isinstance(expr, cst.Call) else None
        if inner is None:
            break
        expr = inner
    if not isinstance(expr, cst.Call) or not expr.args:
        return False
    found = callees.resolve_all(expr.func, ctx, ctx.index.project, ctx.index.path)
    return bool(found) and all(c.func.returns and c.func.node.asynchronous is None
                               and all(_made(r, c.func) for r in c.func.returns) for c in found)


# what a function that makes a message's value is called (`serialise_da00`, `to_dict`, `build_event`)
_MAKER = lazy_re(r"seriali[sz]e|encode|dump|pack|marshal|^to_|^as_|^build|^make|^create_(message|event|payload)", re.I)


def _made(value: cst.BaseExpression, func) -> bool:
    """A value `func` makes and returns: a dict display with its keys written out (spreads allowed:
    `{**data, **base}`), a dict or set comprehension, a formatted text, a record it constructs, or
    what a serialiser or a maker named so returns (`serialise_da00(**fields)`, `to_pubsub_message()`)."""
    from .payload import serialised

    # `body = {...}`, then `body.update(kwargs)`; `json.dumps({...}).encode()`: what it serialises
    value = serialised(value, func)
    if isinstance(value, cst.Dict):
        # its keys written out (a key held by a constant may be the id's: `Keys.MESSAGE_ID`)
        return all(isinstance(el, cst.StarredDictElement) or string_value(el.key) is not None
                   for el in value.elements)
    if isinstance(value, (cst.DictComp, cst.FormattedString)):
        return True
    if isinstance(value, cst.Call):
        name = (dotted(value.func) or "").rpartition(".")[2]
        return name[:1].isupper() or bool(_MAKER.search(name)) or name == "dict"
    return False


def sender_names(index) -> frozenset:
    """The functions of the module of `index`, and of the project modules it imports (read as text,
    `Origins.senders_of`), whose bodies call a library's publish: the calls worth resolving for a
    publishing helper named like nothing of the kind. Once per module."""
    project = index.project
    memo = project.memo("senders", index.path) if project is not None else {}
    key = (os.path.abspath(index.path) if index.path else "", id(index))
    if key not in memo:
        names = {f.name for f in index.functions if any(called_name(c) in PRODUCE_ADAPTERS for c in f.calls)}
        if project is not None and index.path:
            for sub in project.origins.imported_files(os.path.abspath(index.path)):
                names |= project.origins.senders_of(sub)
        memo[key] = frozenset(names)
    return memo[key]  # type: ignore[return-value]


def _publishes(callee: callees.Callee, ctx: Ctx, produce: Produce, depth: int, active: set) -> Optional[Publishes]:
    path = callee.path or ctx.index.path
    project = ctx.index.project
    key = (os.path.abspath(path) if path else "", id(callee.func.node), depth)
    memo = project.memo("publishes", callee.path) if project is not None else {}
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    if key in active:
        return None
    active.add(key)
    found = _find(callee, produce, depth, active)
    active.discard(key)
    if not active:
        memo[key] = found  # only an answer no cycle cut short
    return found


def _find(callee: callees.Callee, produce: Produce, depth: int, active: set) -> Optional[Publishes]:
    from ..analysis import _producer  # the producer record, as the engine makes it

    func = callee.func
    params = {p for p in func.params if p not in NOT_PARAMS}
    if not params:
        return None
    inner = Ctx(callee.index, func)
    derived = {p: message_data(func, {p}, set()) for p in params}  # `for message in messages:` ...
    # of several publishes of the payload (a JetStream branch with an id header, a core one without),
    # one without an id decides: the message may go out that way
    first: Optional[Publishes] = None
    for call in _with_passed_on(func.calls):
        site = produce(call, inner) if called_name(call) in PRODUCE_ADAPTERS else None
        if site is not None and site.payload is not None:
            feeding = tuple(p for p in sorted(params) if mentions(site.payload, derived[p]))
            if feeding:
                # an id slot fed by a parameter (`key=key`) holds an id only when the caller passes one
                fed = [e for e in site.id_exprs if any(mentions(part, {p}) for part in _id_slots(e) for p in params)]
                id_params = tuple(sorted(p for p in params
                                         if any(mentions(part, {p}) for e in fed for part in _id_slots(e))))
                if fed:
                    site = replace(site, has_id=False, id_exprs=[e for e in site.id_exprs if e not in fed])
                record = _producer(site, call, func, inner)
                subject = (kwarg(call, "subject") or positional(call, 0)) if site.core_subject else None
                replies = tuple(sorted(p for p in params if subject is not None and mentions(subject, {p})))
                found = Publishes(site.library, site.what, feeding, record.has_id, (), id_params,
                                  written=record.payload_visible, by_name=site.by_name, core_subject=site.core_subject,
                                  reply_params=replies)
                if not found.has_id:
                    return found
                first = first or found
                continue
        if depth <= 0 or not PUBLISH_LIKE.search(called_name(call)):
            continue
        nested, deeper = None, None
        for nested in callees.resolve_all(call.func, inner, callee.index.project, callee.path or callee.index.path):
            if nested.func.node is not func.node:
                deeper = _publishes(nested, inner, produce, depth - 1, active)
                if deeper is not None:
                    break
        if nested is None or deeper is None:
            continue
        passed = [given for given in (argument(call, nested.func, q) for q in deeper.params) if given is not None]
        feeding = tuple(p for p in sorted(params) if any(mentions(given, derived[p]) for given in passed))
        if feeding:
            has_id, id_params, replies = deeper.has_id, set(), set()
            for q in deeper.reply_params:
                given = argument(call, nested.func, q)
                has_id = has_id or reply_subject(given)
                replies |= {p for p in params if given is not None and mentions(given, {p})}
            for q in deeper.id_params:
                given = argument(call, nested.func, q)
                mine = {p for p in params if given is not None and mentions(given, derived[p])}
                id_params |= mine
                has_id = has_id or _given(given) and not mine
            found = Publishes(deeper.library, deeper.what, feeding, has_id, (nested.qualname,) + deeper.chain,
                              tuple(sorted(id_params)),
                              written=deeper.written or any(fields(given, inner)[0] for given in passed),
                              by_name=deeper.by_name, core_subject=deeper.core_subject,
                              reply_params=tuple(sorted(replies)))
            if not found.has_id:
                return found
            first = first or found
    return first


# the entries of a properties object that may carry the message's id, beside the id-named ones
_ID_HOLDERS = frozenset({"headers", "application_headers", "attributes", "properties", "message_attributes",
                         "application_properties"})


def _id_slots(expr: cst.BaseExpression) -> list:
    """The parts of an id slot that can hold an id: of properties built here with keywords only
    (`BasicProperties(delivery_mode=2, priority=priority)`), the id-named entries and the header
    maps; a parameter feeding `priority` gives the message no id. Anything else is one slot."""
    if isinstance(expr, cst.Call) and expr.args and all(a.keyword is not None for a in expr.args):
        return [a.value for a in expr.args if is_id_field(a.keyword.value) or a.keyword.value in _ID_HOLDERS]
    return [expr]


def _names_an_id(expr: cst.BaseExpression, ctx: Ctx, depth: int = 0) -> bool:
    """`expr` is an id (`req["id"]`, `order_id`), or a key or name made from one by a call or an
    f-string (`stream_key(rid)`, `f"result:{rid}"`), through the function's locals bound once and
    the parameters every call of the function in its module fills so."""
    if depth > 6:
        return False
    if isinstance(expr, cst.Name) and ctx.func is not None:
        value = bound_once(expr.value, ctx.func)
        if value is not None:
            return _names_an_id(value, ctx, depth + 1)
        owner = ctx.func  # a parameter of the function or of one it is nested in: what its callers pass
        while owner is not None and expr.value not in owner.params:
            owner = owner.parent
        if owner is not None and expr.value not in NOT_PARAMS:
            sites = ctx.index.call_sites(owner)
            given = [(argument(call, owner, expr.value), caller) for caller, call in sites]
            return bool(given) and len(given) <= MAX_CALLER_CALLS and all(
                value is not None and _names_an_id(value, Ctx(ctx.index, caller), depth + 1) for value, caller in given)
    if is_id_value(expr):
        return True
    if isinstance(expr, cst.FormattedString):
        return any(isinstance(part, cst.FormattedStringExpression) and _names_an_id(part.expression, ctx, depth + 1)
                   for part in expr.parts)
    if isinstance(expr, cst.Call):
        return any(a.star == "" and _names_an_id(a.value, ctx, depth + 1) for a in expr.args)
    return False


def _given(expr: Optional[cst.BaseExpression]) -> bool:
    """An argument that holds an id: not `None`, nothing, or a constant every call passes (`"BTCUSDT"`)."""
    return expr is not None and not (isinstance(expr, cst.Name) and expr.value == "None") and not literal(expr)


# `callers_give_ids`: beyond this many files calling the helper's name, or this many calls of it, the
# callers are not read (a name as common as `send` says little of which `send` each one runs)
MAX_CALLER_FILES = 30
MAX_CALLER_CALLS = 24
# what an id looks like in a call's text (the first CALL_WINDOW bytes after its parenthesis): a call
# without one keeps the finding before any module is parsed to read it
CALL_WINDOW = 400
_ID_TEXT = lazy_re(rb"(?i:id)\b|_id|Id[A-Z_]|uuid", re.I)
_DEF_BEFORE = lazy_re(rb"\bdef\s+$")
_REPLY_TEXT = lazy_re(rb"\.reply\b")


def callers_give_ids(producer, index, project, path: Optional[str], produce: Optional[Produce] = None,
                     depth: int = 0) -> Optional[Tuple[str, str]]:
    """How every project call of the function that publishes its parameter (IDEM003's "built
    elsewhere") settles the message's id, or None: no call found, one passes something neither with
    a visible id nor built where it is called, or too many to read.

    ("ids", evidence): every call passes a payload with an id field (`publisher.send({"harvest_object_id":
    ...})`) or replies to a request's reply inbox. ("callers", evidence): the callers give the message
    its id (one at least passes a payload with an id field), and each of the others passes a payload it
    builds itself, which IDEM003 judges at that call (`through_helper`, given `produce`): a caller that
    leaves the id out is reported there, so the helper's own finding would only say it again. When no
    call gives an id, the helper is the one place the id is missing, and its finding stands."""
    func = producer.function
    params = [p for p in func.params if p not in NOT_PARAMS]
    derived = {p: message_data(func, {p}, set()) for p in params}
    param = next((p for p in sorted(params) if mentions(producer.payload, derived[p])), None)
    if param is None or func.name.startswith("__"):
        return None
    # a core NATS publish whose subject is a parameter: a call that passes a request's reply inbox
    # (`msg.reply`) sends a reply, which needs no id
    subject = (kwarg(producer.call, "subject") or positional(producer.call, 0)) if producer.core_subject else None
    reply_param = subject.value if isinstance(subject, cst.Name) and subject.value in params else None
    # the files that call the name and can reach this function: its own module, and those that
    # name its module or its class (an import, a factory's module); a test passes what it likes,
    # so the production callers decide
    home = os.path.abspath(path) if path else None
    files = caller_files(project, func, path)
    if not files or len(files) > MAX_CALLER_FILES:
        return None
    # the home module first (parsed already), and, unless the calls may be judged where they are
    # made, no module parsed while a call's text shows no id
    files.sort(key=lambda f: os.path.abspath(f) != home)
    call_text = re.compile(rb"\b" + re.escape(func.name.encode()) + rb"\s*\(")
    judged = produce is not None and (PUBLISH_LIKE.search(func.name) is not None or func.name in sender_names(index))
    shown = not any(  # every call shows something id-like in its text
        not _ID_TEXT.search(text, m.end(), m.end() + CALL_WINDOW)
        and not (reply_param and _REPLY_TEXT.search(text, m.end(), m.end() + CALL_WINDOW))
        for text in map(read_head, files) for m in call_text.finditer(text)
        if not _DEF_BEFORE.search(text, max(0, m.start() - 12), m.start()))
    if not shown and not judged:
        return None  # a call with nothing id-like near it: the finding stands, nothing parsed
    found = replies = built = with_id = 0
    for file in files:
        if home is not None and os.path.abspath(file) == home:
            caller_index, caller_path = index, path
        else:
            loaded = project.load(file)
            if loaded is None:
                return None  # a file that calls it and cannot be read: what it passes is not known
            caller_index, caller_path = loaded.index, loaded.path
        for caller, call in caller_index.calls_named(func.name):
            if caller is not None and caller.node is func.node:
                continue
            ctx = Ctx(caller_index, caller)
            if not any(_is_func(target, caller_path, func, home)
                       for target in callees.resolve_all(call.func, ctx, project, caller_path)):
                continue
            found += 1
            given = argument(call, func, param)
            if found > MAX_CALLER_CALLS or given is None:
                return None
            if reply_param is not None and reply_subject(argument(call, func, reply_param)):
                replies += 1
                continue
            if any(is_id_field(k) for k in fields(given, ctx)[1]):
                with_id += 1
                continue
            if judged and through_helper(call, ctx, produce, depth) is not None:  # type: ignore[arg-type]
                built += 1  # built at the call, and judged there
                continue
            return None
    if not found:
        return None
    if built:
        if not with_id:
            return None  # no call gives the message an id: the helper is where one is missing
        return "callers", (f"every project call of `{func.symbol}` ({found}) passes a payload with an id or one it "
                           f"builds itself, judged at that call ({built})")
    if not replies:
        return "ids", f"every project call of `{func.symbol}` ({found}) passes a payload with an id"
    if replies == found:
        return "ids", f"every project call of `{func.symbol}` ({found}) replies to a request's reply inbox"
    return "ids", f"every project call of `{func.symbol}` ({found}) passes a payload with an id or replies to a request"


def _is_func(target: callees.Callee, caller_path: Optional[str], func, home: Optional[str]) -> bool:
    where = target.path or caller_path
    return home is not None and where is not None and os.path.abspath(where) == home and target.func.symbol == func.symbol
