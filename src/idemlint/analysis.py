"""Analyse one module's source: parse, detect consumers and producers, run the rules."""

from __future__ import annotations

import os
import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from .detect import ACK_ADAPTERS, ADAPTERS, PRODUCE_ADAPTERS, called_name, passes_prefilter
from .detect.base import AckSite, Ctx, Elsewhere, HandlerSite, ProduceSite, is_mock
from .facts import acks, callees, publishers, transactions
from .facts.acks import RUNS_GIVEN, THREADSAFE, run_by, self_method
from .facts.deferred import Shape, bound_by, local_names, message_data, module_names
from .facts.handler import MAX_DEPTH, HandlerRun, _fresh, _is_receive, initial_taint
from .facts.identity import is_id_field, mentions, names_in, normal
from .facts.payload import (CORRELATION, PROPERTY_ID_LIBRARIES, bound_once, built_here, carries_id, copied_headers,
                             fields, is_constant, typed_by_operator)
from .findings import Finding, ParseFailure, Related, Step
from .gate import ACK_LIKE, HOOK_NAME, may_hold_units
from .stack import with_big_stack as _with_big_stack
from .thin import parse_module
from .index import FunctionInfo, ModuleIndex, children, dotted, kwarg, string_value, walk
from .origins import adjacent_words
from .positions import resolve as resolve_positions
from . import patterns as user_patterns
from .model import STRONG, WEAK, Consumer, Event, ModuleFacts, Producer
from .lazyre import lazy_re

__all__ = ["ParseFailure", "analyze", "detect", "passes_prefilter"]

FAR_AWAY = 10**9  # the sequence number of an ack that happens after the handler returns
# `def ack(self, ...)` and friends: the implementation of an ack (or nack), not a consumer
ACK_WRAPPER = lazy_re(r"^_*(basic_)?(n?ack|acknowledge|reject|requeue|complete|commit|settle)"
                         r"(_message|_messages|_log_error|_offsets?|Message|Messages)?$|^_*delete_?[mM]essages?$")


MAX_BRACKET_DEPTH = 3000  # deeper than any real code; far below where the parser's stack would end
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"()[]{}")


def bracket_depth(source: bytes) -> int:
    """The deepest nesting of brackets (strings and comments included: an upper bound, in C speed)."""
    depth = deepest = 0
    for byte in source.translate(None, _NOT_BRACKETS):
        if byte in b"([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    return deepest


def parse(source: bytes) -> cst.Module:
    """Parse bytes (honouring a PEP 263 encoding cookie and a BOM) or raise ParseFailure."""
    if b"\x00" in source:
        raise ParseFailure("source contains NUL bytes", kind="decode")
    if bracket_depth(source) > MAX_BRACKET_DEPTH:
        # libcst's native parser recurses per level and would overflow the stack (a crash of the
        # whole run, not an exception), so such a file is refused before it reaches the parser
        raise ParseFailure(f"brackets nested more than {MAX_BRACKET_DEPTH} deep; not analysed", kind="skipped")
    try:
        return parse_module(source)  # libcst's parse, without its per-node validation
    except cst.ParserSyntaxError as exc:
        line, message = exc.raw_line, exc.message
        better = _python_syntax_error(source)
        if better is not None:  # CPython's own message and line are the ones users know
            line, message = better
        raise ParseFailure(f"syntax error: {message}", line=line, kind="syntax") from None
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise ParseFailure(f"cannot decode source: {exc}", kind="decode") from None


def _python_syntax_error(source: bytes) -> Optional[tuple]:
    import ast

    try:
        ast.parse(source)
    except SyntaxError as exc:
        if exc.lineno:
            return exc.lineno, exc.msg
    except (ValueError, RecursionError, MemoryError):
        pass
    return None


def _ack(call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
    if user_patterns.ACTIVE:
        declared = user_patterns.ACTIVE.matches("ack", ctx.origin(call.func), dotted(call.func))
        if declared:
            return AckSite("custom", STRONG, f"declared ack `{declared}()` ([tool.idemlint.patterns])")
    site = _library_ack(call, ctx)
    if site is not None and ctx.index.project is not None:
        site.evidence += _via(call, ctx)
    if site is None and called_name(call) == THREADSAFE:
        project = ctx.index.project
        return acks.threadsafe(call, ctx, _library_ack, project.max_depth if project is not None else MAX_DEPTH)
    if site is None and (ACK_LIKE.match(called_name(call)) or self_method(call, ctx)):
        project = ctx.index.project
        site = acks.through_helper(call, ctx, _library_ack, project.max_depth if project is not None else MAX_DEPTH)
    return site


def _via(call: cst.Call, ctx: Ctx) -> str:
    """How the project's layers told what the receiver of `call` is, when the module alone could not:
    `, `self.consumer` from `.factories.init_consumer()``."""
    recv = call.func.value if isinstance(call.func, cst.Attribute) else None
    if recv is None:
        return ""
    local = ctx.index.local_origin(recv, ctx.func)
    if local == ctx.origin(recv):
        return ""
    text = dotted(recv) or "the receiver"
    return f"; `{text}` from `{local}`" if local else f"; `{text}` resolved through the project's modules"


def _library_ack(call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
    for adapter in ACK_ADAPTERS.get(called_name(call), ()):
        site = adapter.ack(call, ctx)
        if site is not None:
            return site
    runs = run_by(call, ctx)  # `await asyncio.to_thread(client.delete_message, QueueUrl=..., ...)`
    if runs is not None:
        for adapter in ACK_ADAPTERS.get(called_name(runs), ()):
            site = adapter.ack(runs, ctx)
            if site is not None:
                site.evidence += f" (run by `{dotted(call.func) or called_name(call)}()`)"
                return site
    return None


def _produce(call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
    adapters = PRODUCE_ADAPTERS.get(called_name(call), ())
    if adapters and isinstance(call.func, cst.Attribute) and callees.class_named(
            call.func.value, ctx, ctx.index.path) is not None:
        # a method called on a class of the project, not on a client (`RMQConnector.basic_publish(channel,
        # ..., message_body=m)`, a static helper whose first argument is the channel): followed as a
        # publishing helper (`publishers.through_helper`), not read as the library's call
        return None
    if adapters:
        call = _spelled_out(call, ctx)  # the adapters read the keywords a `**params` dict holds
    for adapter in adapters:
        site = adapter.produce(call, ctx)
        if site is not None:
            site.rpc_reply = _rpc_reply(call, ctx)
            if not site.rpc_reply and _request_correlation_id(call, ctx):
                site.has_id = True  # an RPC request's `correlation_id` names that request
            elif not site.rpc_reply and any(_made_fresh(v, ctx) for v in _correlation_values(call, ctx, rpc=False)):
                # `correlation_id=str(uuid4())` made for this message alone: unique to it, as a
                # `message_id` is, so a consumer can drop a copy by it
                site.has_id = True
                site.evidence += " (a fresh `correlation_id` per message)"
            return site
    return None


def _spelled_out(call: cst.Call, ctx: Ctx) -> cst.Call:
    """`call` with each `**params` argument replaced by the keywords the dict holds, when `params` is
    a local the function binds once to a dict display (or `dict(...)` of keywords) and fills in with
    `params["Key"] = value` (also conditionally: a key that may be set counts as given). A stand-in
    for reading the call only: its nodes are the function's own."""
    if ctx.func is None or not any(a.star == "**" and isinstance(a.value, cst.Name) for a in call.args):
        return call
    args: List[cst.Arg] = []
    for arg in call.args:
        spread = _dict_keywords(arg.value.value, ctx.func) if arg.star == "**" and isinstance(arg.value, cst.Name) else None
        if spread is None:
            args.append(arg)
        else:
            args.extend(spread)
    try:
        return call.with_changes(args=args)
    except Exception:  # noqa: BLE001 - an order of arguments a call cannot have: read it as written
        return call


def _dict_keywords(name: str, func: FunctionInfo) -> Optional[List[cst.Arg]]:
    value = bound_once(name, func)
    pairs: List[Tuple[str, cst.BaseExpression]] = []
    if isinstance(value, cst.Dict):
        for el in value.elements:
            key = string_value(el.key) if isinstance(el, cst.DictElement) else None
            if key is None or not key.isidentifier():
                return None  # a spread or a computed key: not all in view
            pairs.append((key, el.value))
    elif isinstance(value, cst.Call) and dotted(value.func) == "dict" and all(a.keyword is not None for a in value.args):
        pairs = [(a.keyword.value, a.value) for a in value.args]  # type: ignore[union-attr]
    else:
        return None
    for node in walk(func.node.body, into_scopes=False):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value == name
                    and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index)):
                key = string_value(target.slice[0].slice.value)
                if key is None or not key.isidentifier():
                    return None
                pairs.append((key, node.value))
    seen: Dict[str, cst.BaseExpression] = {}
    for key, expr in pairs:
        seen[key] = expr  # the last value given wins
    return [cst.Arg(keyword=cst.Name(key), value=expr) for key, expr in seen.items()]


def _layered_produce(call: cst.Call, ctx: Ctx, project) -> Optional[ProduceSite]:
    """A publish through the project's layers: a library publish method passed on as a value, or a
    project helper that publishes what this call gives it, called or passed on with its arguments
    (`facts.publishers`)."""
    site = publishers.passed_on(call, ctx, _produce)
    if site is None and project is not None:
        site = (publishers.through_helper(call, ctx, _produce, project.max_depth)
                or publishers.helper_passed_on(call, ctx, _produce, project.max_depth))
    return site


def _rpc_reply(call: cst.Call, ctx: Ctx) -> bool:
    """An RPC reply: sent to the request's `reply_to` with the request's own `correlation_id`.

    The correlation id must be read from the incoming message (`props.correlation_id`, or a local
    bound from it) and not be fresh: `reply_to=queue` with `correlation_id=str(uuid4())` is a
    request of our own, judged like any other publish.
    """
    request = None
    for value in _correlation_values(call, ctx):
        request = _request_data(ctx) if request is None else request
        if mentions(value, request) and not _made_fresh(value, ctx):
            return True
    return False


def _request_correlation_id(call: cst.Call, ctx: Ctx) -> bool:
    """An RPC request (a publish with `reply_to` that is no reply) whose `correlation_id` is not a
    constant. The client matches the reply by it, so it makes one per call: `str(uuid4())`, kombu's
    `uuid()`, aio-pika's `create_future()`, a counter. That is the request's id, as a `message_id`
    would be; a constant names no single request. (A value shared by several requests, such as a
    trace id, cannot be told from a per-call one, and is taken as an id too.) A `reply_to` that may be
    `None` (`reply_to = None`, then `if get_response: reply_to = queue.name`) makes a request on some
    paths only: on the others the publish is a plain message, and its correlation id names nothing."""
    if _maybe_none(kwarg(call, "reply_to"), ctx):
        return False
    return any(not is_constant(value, ctx) for value in _correlation_values(call, ctx))


def _maybe_none(value: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """`value` is a local that some assignment of the function binds to `None`."""
    if not isinstance(value, cst.Name) or ctx.func is None:
        return False
    return any(isinstance(v, cst.Name) and v.value == "None" for v, _, _ in ctx.func.assigns.get(value.value, ()))


def _correlation_values(call: cst.Call, ctx: Ctx, rpc: bool = True) -> List[cst.BaseExpression]:
    """The values a publish with a `reply_to` (any publish, without `rpc`) gives to `correlation_id`
    (a keyword or a string key); names passed as arguments are looked up one level
    (`properties=props_out`, `message = Message(..., correlation_id=...)`)."""
    exprs: List[cst.CSTNode] = [call]
    for arg in call.args:
        if isinstance(arg.value, cst.Name) and ctx.func is not None and arg.value.value in ctx.func.assigns:
            exprs.append(ctx.func.assigns[arg.value.value][0][0])
    if rpc and "reply_to" not in {n for e in exprs for n in names_in(e)}:
        return []
    out: List[cst.BaseExpression] = []
    while exprs:
        cur = exprs.pop()
        if isinstance(cur, cst.Arg) and cur.keyword is not None and normal(cur.keyword.value) in CORRELATION:
            out.append(cur.value)
        elif isinstance(cur, cst.DictElement) and normal(string_value(cur.key) or "") in CORRELATION:
            out.append(cur.value)
        exprs.extend(children(cur))
    return out


def _made_fresh(value: cst.BaseExpression, ctx: Ctx) -> bool:
    """`str(uuid4())` itself, a local every assignment of which is one, or a `self.` attribute set to
    one in this method or the class (the RabbitMQ RPC tutorial's `self.corr_id = str(uuid4())`)."""
    if _fresh(value):
        return True
    func = ctx.func
    if func is None:
        return False
    if isinstance(value, cst.Name):
        values = [v for v, _, _ in func.assigns.get(value.value, ())]
        return bool(values) and all(_fresh(v) for v in values)
    if not (isinstance(value, cst.Attribute) and dotted(value.value) == "self"):
        return False
    cls = ctx.index.classes.get(func.class_name) if func.class_name else None
    values = [cls.attrs[value.attr.value]] if cls is not None and value.attr.value in cls.attrs else []
    stack: List[cst.CSTNode] = [func.node.body]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Assign) and any(dotted(t.target) == dotted(value) for t in cur.targets):
            values.append(cur.value)
        stack.extend(children(cur))
    return any(_fresh(v) for v in values)


def _request_data(ctx: Ctx) -> Set[str]:
    """The names holding the incoming message or data read from it: the handler's message names,
    what a receive call or a loop over one binds, and the locals bound from those (`message_data`)."""
    if ctx.func is None:
        return set(ctx.message_names)
    return message_data(ctx.func, set(ctx.message_names) | _received(ctx), module_names(ctx.index))


def detect(module: cst.Module, project=None, path: Optional[str] = None) -> ModuleFacts:
    """Find consumers (with the facts of their handlers) and producers in a parsed module.

    With a `project` (and the module's file `path`), calls into other project modules are
    followed; without one, only this module is visible.
    """
    index = ModuleIndex(module, project, path).remember()
    sites: Dict[int, HandlerSite] = {}
    for adapter in ADAPTERS:
        for site in adapter.handlers(index):
            sites.setdefault(id(site.function.node), site)
    for site in _hook_handlers(index, project, path):
        sites.setdefault(id(site.function.node), site)
    for site in _callback_handlers(index, project):
        sites.setdefault(id(site.function.node), site)
    consumers: List[Consumer] = []
    producers: List[Producer] = []
    for func in index.functions:
        ctx = Ctx(index, func, initial_taint(func, index))
        acks = []
        acked: List[cst.Call] = []
        first_producer = len(producers)
        for call in func.calls:
            name = called_name(call)
            # a call an adapter may take for an ack or a publish (the others can only publish
            # through the project's layers)
            named = (name in ACK_ADAPTERS or name in PRODUCE_ADAPTERS or ACK_LIKE.match(name) or self_method(call, ctx)
                     or name == THREADSAFE or name in RUNS_GIVEN or isinstance(call.func, cst.Call)
                     or isinstance(call.func, cst.Name) and run_by(call, ctx) is not None
                     or user_patterns.ACTIVE and user_patterns.ACTIVE.matches("ack", ctx.origin(call.func),
                                                                              dotted(call.func)))
            if named and is_mock(call, ctx):
                continue
            ack = _ack(call, ctx) if named else None
            if ack is not None:
                acks.append(ack)
                acked.append(call)
            site = (_produce(call, ctx) if named else None) or (_layered_produce(call, ctx, project) if ack is None else None)
            if site is not None and not site.always_has_id and not _rolled_back(site, call, func, ctx):
                producers.append(_producer(site, call, func, ctx))
        held: Set[str] = set()
        acks.extend(_with_acks(func, ctx, held))
        if ACK_WRAPPER.match(func.name):
            continue  # `def ack(self, ...)`: the implementation of an ack, not a consumer
        site = sites.get(id(func.node))
        if acks:
            best = max(acks, key=lambda a: a.strength)
            consumer = Consumer(best.library, func, "explicit", best.strength, [a.evidence for a in acks])
        elif site is not None and site.ack_mode in ("framework", "auto"):
            consumer = Consumer(site.library, func, site.ack_mode, site.strength, [site.evidence],
                                framework_ack=site.framework_ack, option_node=site.option_node,
                                receives_at=site.receives_at,
                                auto_commit=site.auto_commit)
        else:
            continue
        for producer in producers[first_producer:]:
            if not producer.has_id and not producer.idless_messages and _relays(producer, ctx):
                producer.has_id = True  # the message it consumed, passed on whole: not a new message
                producer.evidence.append("passes on the message it consumed, as it came")
        consumers.append(_walk(consumer, index, project, path, _iterated_acked(func, acked) | held))
    for site in sites.values():
        where = index.elsewhere.get(id(site.function.node))
        consumer = _registered_here(site, where, project) if where is not None else None
        if consumer is not None:
            consumers.append(consumer)
    module_ctx = Ctx(index, None)
    for call in index.module_calls:
        site = _produce(call, module_ctx) or _layered_produce(call, module_ctx, project)
        if site is not None:
            producers.append(_producer(site, call, None, module_ctx))
    for producer in producers:
        if project is not None and _built_elsewhere(producer):
            given = publishers.callers_give_ids(producer, index, project, path, _produce, project.max_depth)
            if given is not None:
                if given[0] == "ids":
                    producer.has_id = True
                else:
                    producer.judged_by_callers = True
                producer.evidence.append(given[1])
    return ModuleFacts(index, _callers_report(consumers, index), producers)


def _callers_report(consumers: List[Consumer], index: ModuleIndex) -> List[Consumer]:
    """Less the helpers that ack for their callers: a function that acks a message it neither takes
    (no receive of its own) nor is given (its ack names none of its parameters, nor anything it reads
    from them), called only from consumers of the module whose walk reaches its ack
    (`def modify_end(self, event): self.send_message(event); self.acknowledge_message()`, called by
    `process()` after `receive_message()`). Its work is reported at those callers, with the message
    they took; reporting it again where it is written says the same thing twice."""
    by_node = {id(c.function.node): c for c in consumers}
    kept = []
    for consumer in consumers:
        func = consumer.function
        params = message_data(func, set(func.params) - {"self", "cls"}, set())  # and what is read from them
        # an ack of a message it is given (`self.ack_message(message)`, `ch.basic_ack(method.delivery_tag)`)
        # makes the function the consumer of that message: its caller only dispatched it
        own = [e for e in consumer.of("ack") if not e.chain]
        if consumer.ack_mode == "explicit" and own and all(not mentions(e.node, params) for e in own) and not any(
                e.kind == "receive" and not e.chain for e in consumer.events):
            sites = index.call_sites(func)
            if sites and all(scope is not None and scope is not func and id(scope.node) in by_node and any(
                    e.kind == "ack" and e.call_node is call for e in by_node[id(scope.node)].events)
                    for scope, call in sites):
                continue
        kept.append(consumer)
    return kept


# what a received message's whole content is under: SQS `message.body` / `record["Body"]`, Kafka `msg.value()`
_WHOLE_BODY = frozenset({"body", "Body", "value", "data", "payload"})


def _relays(producer: Producer, ctx: Ctx) -> bool:
    """The consumer publishes the message it consumed, as it came (a redrive from a dead-letter
    queue, a delayed retry of the same message): the name that holds it, or its whole body. Its id
    is the one its producer gave it, so IDEM003, which asks the author of a message for one, does
    not apply; repeating the publish is IDEM001's business.

    Over AMQP the id is a property beside the body: aio-pika's incoming message published whole
    (`exchange.publish(message, ...)`) goes on with it, and the body sent on with no headers or
    properties of its own keeps whatever id the body holds. A copy whose envelope the publish makes
    anew (`aio_pika.Message(body=message.body, headers=message.headers)`, `basic_publish(..., body,
    properties=BasicProperties(headers=retry_headers))`) is a new message, with no id unless it sets
    one, which `has_id` would have seen (forwarded `properties` count)."""
    payload = producer.payload
    if producer.library in PROPERTY_ID_LIBRARIES and producer.envelope_set:
        return False
    expr = payload
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args:
        expr = expr.func  # `msg.value()`
    if isinstance(expr, cst.Attribute) and expr.attr.value in _WHOLE_BODY:
        expr = expr.value
    elif isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
            and string_value(expr.slice[0].slice.value) in _WHOLE_BODY:
        expr = expr.value
    return isinstance(expr, cst.Name) and (expr.value in ctx.message_names or expr.value in _received(ctx)) \
        or _decoded_relay(payload, ctx)


def _decoded_relay(payload: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """The records it consumed, each decoded and passed on (a stream bridge): a local bound once to a
    comprehension over the consumed messages whose element is a function of this module given the
    record (and constants) that returns the record's data decoded or reshaped, with constants added
    (`records = [formatter(record, "\\n") for record in event["Records"]]`, where `formatter` returns
    `{"Data": b64decode(record["kinesis"]["data"]).decode() + delimiter}`). The content is the one
    its producer sent, as `_relays` reads it."""
    from .facts.handover import _plain_names  # (handover imports the resolver this module is loaded with)

    func = ctx.func
    if not isinstance(payload, cst.Name) or func is None:
        return False
    values = func.values_of(payload.value)
    comp = values[0] if len(values) == 1 else None
    if not isinstance(comp, (cst.ListComp, cst.GeneratorExp)) or comp.for_in.inner_for_in is not None:
        return False
    skip = module_names(ctx.index)
    if not _plain_names(comp.for_in.iter, skip) & (ctx.message_names | _received(ctx)):
        return False
    record = local_names(comp.for_in.target, skip)
    call = comp.elt
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.args
            and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value in record
            and all(a.keyword is None and not a.star and _constant_or_module(a.value, skip) for a in call.args[1:])):
        return False
    helper = ctx.index.module_functions.get(call.func.value)
    if helper is None or not helper.params or not helper.returns:
        return False
    given = _decoded_from(helper, helper.params[0], skip)
    returned = [_plain_names(value, skip) for value in helper.returns]
    return all(names and names <= given for names in returned)


def _constant_or_module(expr: cst.BaseExpression, skip: Set[str]) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.Integer)) or isinstance(expr, cst.Name) and expr.value in skip


def _decoded_from(func: FunctionInfo, param: str, skip: Set[str]) -> Set[str]:
    """`param`, the locals bound once to what is read or decoded from it, and the parameters whose
    default is a constant (a separator)."""
    from .facts.handover import _plain_names

    out = {param} | {p.name.value for p in func.node.params.params
                     if isinstance(p.default, (cst.SimpleString, cst.Integer))}
    reads = {name: _plain_names(values[0][0], skip) for name, values in func.assigns.items()
             if len(values) == 1 and values[0][2] == "="}
    for _ in range(4):
        found = {name for name, names in reads.items() if name not in out and names and names <= out}
        if not found:
            break
        out |= found
    return out


def _received(ctx: Ctx) -> Set[str]:
    """The names a receive call of the function binds as they come (`frame, header, body =
    channel.basic_get(queue)`, `for record in consumer:`), not what is read from them."""
    func = ctx.func
    if func is None:
        return set()
    names: Set[str] = set()
    for call in func.calls:
        if _is_receive(call):
            names |= bound_by(func, call)
    for loop in func.fors:
        if _is_receive(loop.iter):
            names |= local_names(loop.target, set())
    return names


def _built_elsewhere(producer: Producer) -> bool:
    """IDEM003's "built elsewhere" case: a function's publish of a payload it does not build."""
    return (not producer.has_id and not producer.constant_payload and not producer.operator_input
            and not producer.payload_visible and not producer.payload_built_here
            and producer.function is not None and producer.payload is not None)


def _registered_here(site: HandlerSite, where: Elsewhere, project) -> Optional[Consumer]:
    """A handler another project module defines and this module registers (`basic_consume(...,
    on_message_callback=handlers.on_order, auto_ack=True)`): a consumer of this module, walked in
    its own module, whose findings are shown at the registration. Not when its own module sees it
    as a consumer already (an ack in its body, or a registration or decorator there): that module
    reports it."""
    func = site.function
    if site.ack_mode not in ("framework", "auto") or ACK_WRAPPER.match(func.name):
        return None
    if id(func.node) in _home_sites(where, project):
        return None
    ctx = Ctx(where.index, func, initial_taint(func))
    if any(_ack(call, ctx) is not None for call in func.calls) or next(_with_acks(func, ctx), None) is not None:
        return None
    consumer = Consumer(site.library, func, site.ack_mode, site.strength,
                        [site.evidence, f"the handler `{where.qualname}` is defined in another module: "
                                        "its findings are shown where it is registered"],
                        framework_ack=site.framework_ack, option_node=site.option_node,
                        receives_at=site.receives_at,
                        auto_commit=site.auto_commit, elsewhere=where)
    return _walk(consumer, where.index, project, where.path)


def _home_sites(where: Elsewhere, project) -> Set[int]:
    """The handlers the module of `where` finds in itself (node ids), once per process and module."""
    memo = project.memo("handler-sites", where.path)
    key = (where.path,)
    if key not in memo:
        found = {id(site.function.node) for site in _adapter_sites(where.index, where.path, project)}
        found.update(id(site.function.node) for site in _hook_handlers(where.index, project, where.path))
        memo[key] = found
    return memo[key]  # type: ignore[return-value]


def _adapter_sites(index: ModuleIndex, path: Optional[str], project) -> List[HandlerSite]:
    """The handlers the adapters find in a module the project keeps (`handlers`), once per process and
    module."""
    memo = project.memo("adapter-sites", path) if project is not None else {}
    key = (os.path.abspath(path) if path else "", id(index))
    if key not in memo:
        memo[key] = [site for adapter in ADAPTERS for site in adapter.handlers(index)]
    return memo[key]  # type: ignore[return-value]


def _with_acks(func: FunctionInfo, ctx: Ctx, held: Optional[Set[str]] = None):
    """The acks `with` blocks make when they exit; `held` gets the names of a message object whose
    own `__exit__` acks it (`with msg_obj as m:`): the message the block handles."""
    for node in func.withs:
        for item in node.items:
            for adapter in ADAPTERS:
                site = adapter.with_ack(item, ctx)
                if site is not None:
                    yield site
            site = acks.context_manager_ack(item, ctx, _ack)
            if site is not None:
                if held is not None and isinstance(item.item, cst.Name):
                    held.add(item.item.value)
                    if item.asname is not None and isinstance(item.asname.name, cst.Name):
                        held.add(item.asname.name.value)
                yield site


def _rolled_back(site: ProduceSite, call: cst.Call, func: Optional[FunctionInfo], ctx: Ctx) -> bool:
    """A publish an AMQP transaction rolls back is never sent: no message, so no id to ask for."""
    return site.library in transactions.AMQP_LIBRARIES and transactions.amqp_rolled_back(call, func, ctx)


def _producer(site: ProduceSite, call: cst.Call, func: Optional[FunctionInfo], ctx: Ctx) -> Producer:
    has_id, evidence = site.has_id or site.rpc_reply, site.evidence
    unknown_props = False
    for expr in site.id_exprs:
        found = False if site.library in PROPERTY_ID_LIBRARIES and copied_headers(
            expr, ctx, set(ctx.message_names) | _received(ctx)) else carries_id(expr, ctx)
        if found:
            has_id = True
        elif found is None:
            unknown_props = True
    visible, names = fields(site.payload, ctx) if site.payload is not None else (False, [])
    if any(is_id_field(n) for n in names):
        has_id = True
    if unknown_props and not has_id:
        has_id = True  # properties built elsewhere may well carry the id: do not guess
        evidence += " (properties not visible)"
    constant = site.payload is not None and is_constant(site.payload, ctx)
    return Producer(site.library, call, func, site.what, has_id, visible, evidence=[evidence],
                    constant_payload=constant, rpc_reply=site.rpc_reply,
                    unconfirmed_queue=site.unconfirmed_queue, by_name=site.by_name, core_subject=site.core_subject,
                    idless_messages=site.idless_messages,
                    payload_built_here=not visible and site.payload is not None and built_here(site.payload, ctx),
                    operator_input=not has_id and not constant and typed_by_operator(site.payload, ctx),
                    payload=site.payload, envelope_set=bool(site.id_exprs), guessed=site.guessed,
                    device_push=site.device_push)


HOOK_CALLER = lazy_re(r"^self\.(\w+)$")


def _hook_handlers(index: ModuleIndex, project, path: Optional[str]) -> List[HandlerSite]:
    """Consumer classes: a base-class method calls `self.handle(...)` and then acks; every
    subclass that overrides `handle` is a consumer whose hook the base acks after it returns."""
    out: List[HandlerSite] = []
    for cls in index.classes.values():
        if not cls.bases or not any(HOOK_NAME.match(name) for name in cls.methods):
            continue  # no method named like a per-message hook: no base to look up
        for base, base_index, base_path in callees.base_classes(cls, index, project, path, broker_only=True):
            for hook, (library, evidence) in _acked_hooks(base, base_index, base_path, project).items():
                func = cls.methods.get(hook)
                if func is not None:
                    out.append(HandlerSite(library, func, "framework", WEAK, evidence, framework_ack=evidence))
    return out


# what a project function that takes a per-message callback is called (`subscribe`, `consume`,
# `listen`, `register_handler`, `add_listener`, `on_message`, `watch`): only such calls are resolved
# (resolving every call given a function costs a module load per callee)
SUBSCRIBE_LIKE = lazy_re(r"subscribe|consume|listen|register|handler|callback|^_*on_|watch|receive", re.I)


def _callback_handlers(index: ModuleIndex, project) -> List[HandlerSite]:
    """Callbacks given to a project wrapper that acks per message after calling them: a function
    of this module passed to a project function (`await self._transport.subscribe(subject,
    _on_message)`) whose body, or a function nested in it (the consume loop it starts), calls that
    parameter and then acks the message with a library ack (`callback(data)`, then `await
    msg.ack()`). The callback is a consumer the wrapper acks after it returns. Only calls named like a
    subscription (`SUBSCRIBE_LIKE`) are resolved. (Needs the project: alone, a module resolves no
    instance of its own classes.)"""
    if project is None:
        return []
    out: List[HandlerSite] = []
    nested = {(id(f.parent.node), f.name): f for f in index.functions if f.parent is not None}
    for func in [None, *index.functions]:
        ctx = Ctx(index, func)
        for call in (func.calls if func is not None else index.module_calls):
            given = [(arg, target) for arg in call.args
                     for target in [_module_callable(arg.value, func, index, nested)] if target is not None]
            if not given or not SUBSCRIBE_LIKE.search(called_name(call)):
                continue
            for callee in callees.resolve_all(call.func, ctx, project, index.path):
                if callee.index is index and func is not None and callee.func.node is func.node:
                    continue
                for arg, target in given:
                    param = _parameter_of(call, arg, callee.func)
                    acked = _acks_after_calling(callee, param) if param else None
                    if acked is not None:
                        evidence = (f"given to `{callee.qualname}`, which acks each message after "
                                    f"`{param}(...)` returns ({acked.evidence})")
                        out.append(HandlerSite(acked.library, target, "framework", WEAK, evidence,
                                               framework_ack=f"`{callee.qualname}` acks the message after it returns"))
    return out


def _module_callable(expr: cst.BaseExpression, func: Optional[FunctionInfo], index: ModuleIndex,
                     nested: Dict[tuple, FunctionInfo]) -> Optional[FunctionInfo]:
    """The function of this module an argument names: a function nested in the caller (`nested`, by
    the caller's node and the name), a module function, or a method of the caller's class
    (`self.on_message`)."""
    if isinstance(expr, cst.Name):
        inner = nested.get((id(func.node), expr.value)) if func is not None else None
        return inner or index.module_functions.get(expr.value)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self" and func:
        cls = index.class_of(func)
        return cls.methods.get(expr.attr.value) if cls is not None else None
    return None


def _parameter_of(call: cst.Call, arg: cst.Arg, callee: FunctionInfo) -> Optional[str]:
    """The parameter of `callee` that `arg` of `call` binds (positional after `self`, or by keyword)."""
    if arg.keyword is not None:
        return arg.keyword.value if arg.keyword.value in callee.params else None
    if arg.star:
        return None
    params = [p for p in callee.params if p not in ("self", "cls")]
    at = [a for a in call.args if a.keyword is None and not a.star].index(arg)
    return params[at] if at < len(params) else None


def _acks_after_calling(callee: "callees.Callee", param: str) -> Optional[AckSite]:
    """The library ack a function (or a function nested in it) makes after calling its parameter
    `param`, in the same function: `callback(data)` then `await msg.ack()`."""
    scopes = [callee.func] + [f for f in callee.index.functions if _nested_in(f, callee.func)]
    for scope in scopes:
        calls = scope.calls
        first = next((i for i, c in enumerate(calls) if isinstance(c.func, cst.Name) and c.func.value == param),
                     None)
        if first is None:
            continue
        ctx = Ctx(callee.index, scope, initial_taint(scope))
        for call in calls[first + 1:]:
            if called_name(call) in ACK_ADAPTERS:
                site = _library_ack(call, ctx)
                if site is not None:
                    return site
    return None


def _nested_in(func: FunctionInfo, outer: FunctionInfo) -> bool:
    f = func.parent
    while f is not None:
        if f is outer:
            return True
        f = f.parent
    return False


def _acked_hooks(cls, index: ModuleIndex, path: Optional[str], project) -> Dict[str, tuple]:
    """{hook name: (library, evidence)} for the `self.hook(...)` calls a method of `cls` acks after.
    (The gate's `_may_ack` and `_base_may_call` assume what this reads: a call named like an ack, or
    a `with` item named in an adapter's `with_names`, after `self.hook(...)` in one method.)"""
    key = (os.path.abspath(path) if path else "", id(cls.node))
    # memoised only for modules the project keeps: the analysed module's tree dies with its run
    memo = project.memo("hooks", path) if project is not None else {}
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    hooks: Dict[str, tuple] = {}
    for method in cls.methods.values():
        ctx = Ctx(index, method, initial_taint(method))
        called: List[Tuple[str, cst.Call]] = []
        shape: Optional[Shape] = None
        for call in method.calls:
            if called and (called_name(call) in ACK_ADAPTERS or ACK_LIKE.match(called_name(call))) and not is_mock(call, ctx):
                site = _ack(call, ctx)
                shape = shape or Shape(method.node)
                # the ack follows the hook only from a block around it (not a branch of its own:
                # `if error_on_message: self.acknowledge_message()` after the retries ran out)
                block = next((a for a in shape.ancestors(call) if isinstance(a, cst.IndentedBlock)), method.node.body)
                after = [hook for hook, at in called if block is method.node.body or shape.inside(at, block)
                         or _on_result(shape, call, at, method)]
                if site is not None and after:
                    for hook in after:
                        hooks.setdefault(hook, (site.library, (
                            f"acked by `{cls.name}.{method.name}()` after `self.{hook}()` returns "
                            f"({site.evidence})")))
                    break
            m = HOOK_CALLER.match(dotted(call.func) or "")
            if m and m.group(1) != method.name:
                called.append((m.group(1), call))
        for node in method.withs:  # `async with message.process(): await self.handle(payload)`
            site = next((s for item in node.items for adapter in ADAPTERS
                         for s in (adapter.with_ack(item, ctx),) if s is not None), None)
            if site is None:
                continue
            for inner in walk(node.body):
                m = HOOK_CALLER.match(dotted(inner.func) or "") if isinstance(inner, cst.Call) else None
                if m and m.group(1) != method.name:
                    hooks.setdefault(m.group(1), (site.library, (
                        f"acked by `{cls.name}.{method.name}()` when its `with` block exits, after "
                        f"`self.{m.group(1)}()` returns ({site.evidence})")))
    for method, site in _framework_methods(cls, index, path, project):
        # a method the framework acks after (a Kafka loop over an auto-commit consumer): a hook it
        # hands the message runs before that ack (`for msg in self.__CONSUMER: self._message(msg.value)`)
        held = {p for p in method.params if p not in ("self", "cls")} | {
            name for loop in method.fors for name in local_names(loop.target, set())}
        for call in method.calls:
            m = HOOK_CALLER.match(dotted(call.func) or "")
            if m and m.group(1) != method.name and any(a.star == "" and mentions(a.value, held) for a in call.args):
                hooks.setdefault(m.group(1), (site.library, (
                    f"acked by `{cls.name}.{method.name}()` after `self.{m.group(1)}()` returns: "
                    f"{site.evidence} ({site.framework_ack})")))
    memo[key] = hooks
    return hooks


def _framework_methods(cls, index: ModuleIndex, path: Optional[str], project) -> List[Tuple[FunctionInfo, HandlerSite]]:
    """The methods of `cls` an adapter finds as handlers the framework acks after they return."""
    return [(s.function, s) for s in _adapter_sites(index, path, project) if s.ack_mode == "framework"
            and s.function.class_name == cls.name and cls.methods.get(s.function.name) is s.function]


def _on_result(shape: Shape, ack: cst.Call, hook: cst.Call, method: FunctionInfo) -> bool:
    """The ack is in the branch taken when the hook says it handled the message: `retval =
    self._process_message(msg)` then `if retval: consumer.commit(msg)` (or `if self.handle(msg):`)."""
    held = {name for name, values in method.assigns.items()
            if any(v is hook or isinstance(v, cst.Await) and v.expression is hook for v, _, how in values if how == "=")}
    for node in shape.ancestors(ack):
        if isinstance(node, cst.If) and shape.inside(ack, node.body) and (
                any(n is hook for n in walk(node.test)) or mentions(node.test, held)):
            return True
    return False


def _iterated_acked(func: FunctionInfo, calls: List[cst.Call]) -> Set[str]:
    """The names that hold the message the function's acks name, from where they are bound: a loop
    variable (`for sqs_message in sqs_messages: ...; sqs_messages.ack(sqs_message)` holds the message
    from the loop's start: an iterator of the project's that receives, which no adapter knows), and
    every name one fetch unpacks with the acked one (`method, properties, body = subscriber.get()`
    then `subscriber.ack(method.delivery_tag)`: `body` is that delivery's)."""
    out: Set[str] = set()
    for call in calls:
        for arg in call.args:
            root = arg.value
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            if not isinstance(root, cst.Name):
                continue
            bound = func.assigns.get(root.value, ())
            if any(how == "for" for _, _, how in bound):
                out.add(root.value)
            for value, index, how in bound:
                # (or a delivery taken whole first: `task = self.pending.get()`, `d_tag, headers, body = task`)
                if index is not None and how == "=" and isinstance(value, (cst.Call, cst.Await, cst.Name)):
                    out.update(name for name, values in func.assigns.items()
                               if any(v is value and i is not None for v, i, _ in values))
    return out


def _walk(consumer: Consumer, index: ModuleIndex, project=None, path: Optional[str] = None,
          acked: Set[str] = frozenset()) -> Consumer:
    run = HandlerRun(index, ADAPTERS, _ack, _produce, project, path,
                     project.max_depth if project is not None else MAX_DEPTH)
    run.tainted.update(initial_taint(consumer.function, index))
    run.tainted.update(acked)
    if consumer.receives_at is not None:
        run.relays.add(id(consumer.receives_at))
    run.walk(consumer.function)
    if consumer.ack_mode == "framework":
        run.events.append(Event("ack", consumer.function.node.name, FAR_AWAY, consumer.ack_strength,
                                consumer.framework_ack or consumer.evidence[0], detail="framework"))
    consumer.events = run.events
    if run.idempotent:
        consumer.evidence.append(f"idempotent wrapper {run.idempotent}")
        consumer.events.append(Event("lookup", consumer.function.node, 0, 2, run.idempotent, detail="wrapper"))
    return consumer


def analyze(source: bytes, path: str, project=None, file_path: Optional[str] = None,
            patterns: tuple = ()) -> List[Finding]:
    """Return every rule's findings for `source` (unfiltered, unsuppressed, sorted).

    `path` is the display path put into each finding. With a `project` and the file's real
    `file_path`, calls into other modules of the project are followed, and `project.deps`
    holds the files read for it afterwards. Raises `ParseFailure` for undecodable or
    unparsable input; any other exception is an internal error.
    """
    if project is not None:
        project.start_file()
    user_patterns.activate(patterns)  # `[tool.idemlint.patterns]`, declared by the user
    return _with_big_stack(_analyze, source, path, project, file_path)


def _analyze(source: bytes, path: str, project=None, file_path: Optional[str] = None) -> List[Finding]:
    if not may_hold_units(source, adjacent_words(project, file_path, source), project, file_path):
        return []
    module = parse(source)
    facts = detect(module, project, file_path)
    if not facts.consumers and not facts.producers:
        return []
    out = [finding for _, finding in unit_findings(module, source, path, facts)]
    out.sort(key=Finding.sort_key)
    return out


def unit_findings(module: cst.Module, source: bytes, path: str, facts: ModuleFacts) -> List[tuple]:
    """Every rule's findings, each as `(unit, Finding)` with the consumer or producer it is about."""
    from .describe import trace
    from .rules import ALL_RULES

    raw: List[tuple] = []
    for rule_cls in ALL_RULES:
        rule = rule_cls()
        for consumer in facts.consumers:
            for rf in rule.check_consumer(consumer, facts):
                raw.append((rule_cls, rf, consumer, trace(consumer, rf)))
        for producer in facts.producers:
            for rf in rule.check_producer(producer, facts):
                raw.append((rule_cls, rf, producer, trace(producer, rf)))
    if not raw:
        return []
    # an event found in another module has its node there: it is shown at the handler's call
    # (summaries are shared, so the same node can lead back to different calls in different consumers)
    anchors = {(id(c), id(e.node)): e.call_node for c in facts.consumers for e in c.events if e.call_node is not None}
    wanted = [rf.node for _, rf, _, _ in raw] + [rf.scope_node for _, rf, _, _ in raw if rf.scope_node is not None]
    wanted += [anchors[(id(u), id(rf.node))] for _, rf, u, _ in raw if (id(u), id(rf.node)) in anchors]
    wanted += [node for _, rf, _, _ in raw for node, _ in rf.related]
    wanted += [node for *_, steps in raw for _, node, _ in steps if node is not None]
    wanted += [unit.elsewhere.anchor for _, _, unit, _ in raw if getattr(unit, "elsewhere", None) is not None]
    positions = resolve_positions(module, source, wanted)
    out = []
    for rule_cls, rf, unit, steps in raw:
        where: Optional[Elsewhere] = getattr(unit, "elsewhere", None)
        rng = (positions.get(rf.node) or positions.get(anchors.get((id(unit), id(rf.node))))
               or positions.get(rf.scope_node) or (positions.get(where.anchor) if where is not None else None))
        if rng is None:
            continue  # nothing of it lies in this file (cannot happen for the rules shipped)
        scope = positions.get(rf.scope_node) if rf.scope_node is not None else None
        scope_line = scope.start.line if scope is not None else rng.start.line if where is not None else 0
        message = rf.message
        if where is not None:
            message += f" ({_defined_at(where, path, facts.index.path)}, registered here)"
        related = tuple(
            Related(positions[node].start.line, positions[node].start.column + 1, text)
            for node, text in rf.related
            if node in positions
        )
        trail = tuple(
            Step(kind, positions[node].start.line if node in positions else 0,
                 positions[node].start.column + 1 if node in positions else 0, text)
            for kind, node, text in steps
        )
        out.append((unit, Finding(
            path=path, line=rng.start.line, column=rng.start.column + 1, end_line=rng.end.line,
            end_column=rng.end.column + 1, rule=rule_cls.code, name=rule_cls.name, confidence=rf.confidence,
            message=message, hint=rf.hint, symbol=rf.symbol, scope_line=scope_line,
            related=related, evidence=tuple(rf.evidence), trace=trail,
        )))
    return out


def _defined_at(where: Elsewhere, display: str, file_path: Optional[str]) -> str:
    """`` `svc.handlers.on_order` is defined in svc/handlers.py:4 ``: the file shown relative to the
    reported file's shown path, and the line of the `def` (CPython's `ast`: that module's tree
    here may be a skeleton without positions)."""
    shown = where.path
    if file_path is not None:
        rel = os.path.relpath(where.path, os.path.dirname(os.path.abspath(file_path)))
        shown = os.path.normpath(os.path.join(os.path.dirname(display), rel)).replace(os.sep, "/")
    line = _def_line(where.path, where.index, where.qualname)
    return f"`{where.qualname}` is defined in {shown}" + (f":{line}" if line else "")


def _def_line(path: str, index: ModuleIndex, qualname: str) -> int:
    """The line of the `def` of the function the dotted `qualname` ends with (0: not found)."""
    import ast

    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return 0
    body = tree.body
    parts = qualname.split(".")
    for start in range(len(parts)):  # the module's own dotted name comes first
        body, line = tree.body, 0
        for part in parts[start:]:
            node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                         and n.name == part), None)
            if node is None:
                line = 0
                break
            body, line = node.body, node.lineno
        if line:
            return line
    return 0
