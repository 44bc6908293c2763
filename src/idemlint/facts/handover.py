"""Consumers that ack a message first and then pass it on: return it to their caller, or give it to
code idemlint cannot see, so that whatever is done with it comes after the ack.

A function that receives messages, deletes or acks them, and then returns them (a receive-and-delete
helper) or stores them for a later step (`context["ti"].xcom_push(value=messages)`) is at-most-once:
a crash between the ack and that later work loses the messages, which the broker has forgotten.

Only a function that does nothing with the message before the ack is read this way (no effect, no
hand-off, no dedup lookup, no marker): one that works and then acks is the ordinary, right order,
and what it returns afterwards is its result. What is passed on must carry the acked messages
themselves: the names the ack was given, what they were taken from (short of the call that fetched
them) and what they are copied or collected into (`batch.extend(messages)`), not a value computed
from them by a call.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from ..records import dataclass
from ..lazyimport import cst  # not loaded before first use

from ..detect.base import Ctx, is_mock
from ..index import ModuleIndex, call_name, children, dotted, kwarg
from ..project import camel_words
from ..model import Consumer, Event
from . import callees, effects, handoff
from .deferred import Shape, local_names, module_names, site
from .identity import names_in
from .handler import COLLECTS, LOG_CALLS, computes, hands_off
from .payload import bound_once
from .received import READS, acked_names, bound_names, bound_value
from ..lazyre import lazy_re

# the names of one function's work, the steps this module looks past: none of them means the ack
# came first ("handoff" included: a message given to unseen code before the ack was worked on)
WORK = ("effect", "forward", "defer", "handoff", "lookup", "marker")
# a flag that asks for acks on receipt: an ack under `if no_ack:` implements that mode
_AUTO_ACK = lazy_re(r"(^|_|\b)(no_?ack|auto_?ack|autoack)\b", re.I)
# builtins that copy or reorder what they are given, as a display would
# copies and conversions: the same content in another container or type (`str(message)` is a Service
# Bus message's body as text)
COPIES = {"list", "tuple", "sorted", "set", "frozenset", "dict", "reversed", "str", "bytes", "enumerate", "iter", "zip"}
# decoders: what they return is the message they are given, in another form (`json.loads(body)`,
# `umsgpack.unpackb(body)`, `body.decode()`, a pydantic model of it, a parser or validator that
# makes a request object of it: `self._validate_message(message.payload)`, `parse_event(body)`)
DECODES = {"loads", "unpackb", "unpack", "unpickle", "decode", "deserialize", "decompress", "b64decode",
           "model_validate_json", "model_validate", "parse_raw", "parse_obj", "from_json", "parse", "validate"}


# string methods that give the same text back, reshaped (`str(body, "utf-8").replace("'", '"')` before
# `json.loads`): what they return is still the message
RESHAPES = frozenset({"replace", "strip", "lstrip", "rstrip", "encode", "lower", "upper", "split", "splitlines"})


# a confluent-kafka message's accessors, which give what it holds (`msg.value()`, `msg.key()`)
ACCESSORS = frozenset({"value", "key", "headers"})


def _decodes(name: str) -> bool:
    """A decoder by its name: `loads`, also `json_loads`, `msgpack_unpackb`, `deserialize_message`,
    `_validate_message` (a private helper's leading underscores do not count)."""
    name = name.lstrip("_")
    if ALTERNATE_CONSTRUCTOR.match(name):
        return True  # `Alert.from_msg(msg.message)`, `Event.from_dict(data)`: an object made of the message
    return name in DECODES or name.rpartition("_")[2] in DECODES or name.partition("_")[0] in DECODES


# a class's alternate constructor named for what it reads (`from_msg`, `from_dict`, `from_bytes`): given
# the message, it makes an object of it
ALTERNATE_CONSTRUCTOR = lazy_re(r"^from_[a-z]\w*$")


@dataclass
class HandOver:
    ack: Event
    node: cst.CSTNode  # the `return`, or the call given the messages
    how: str  # returned | unseen | hook (a stub subclasses override) | polled (an auto-commit consumer's records)
    what: str  # the call (`unseen`, `hook`), the auto-commit (`polled`), "the default's path" (`returned`)

    def describe(self, symbol: str) -> str:
        if self.how == "hook":
            return (f"`{symbol}` acks the messages, then hands them to {self.what}, a stub its subclasses override "
                    "with the work on them")
        if self.how == "polled":
            return (f"`{symbol}` returns the records it polled to its caller; {self.what}, which may come "
                    "before the caller's work on them is done")
        if self.how == "returned" and self.what:
            return (f"`{symbol}` acks the messages, then returns what its default callback made of them (when no "
                    "callback is given) to its caller, whose work on them comes after the ack")
        if self.how == "returned":
            return f"`{symbol}` acks the messages, then returns them to its caller, whose work on them comes after the ack"
        return f"`{symbol}` acks the messages, then hands them to {self.what}, code idemlint cannot see"


def handed_on(consumer: Consumer, index: ModuleIndex) -> Optional[HandOver]:
    """The first main-line ack whose messages `consumer` then returns or gives to unseen code."""
    func = consumer.function
    if func.yields:
        return None  # a generator's `return` ends the iteration (`facts.generators` reads its yields)
    shape = Shape(func.node)
    skip = module_names(index) | {"self", "cls"}
    ctx = Ctx(index, func)
    for ack in consumer.of("ack"):
        node = site(ack)
        if ack.detail == "framework" or ack.early or ack.in_except or not shape.has(node):
            continue
        if auto_ack_mode(shape, node):
            continue
        if any(e.kind in WORK and e.seq < ack.seq and not e.in_except for e in consumer.events):
            return None  # work, then the ack: what comes after is the next step
        data = _carried(func, shape, node, skip, ctx=ctx) or _carried(func, shape, node, skip,
                                                                     _client_ack(consumer, ack, shape), ctx)
        if not data:
            continue
        if not consumer.of("receive") and (_delivery_params(node, func) or _kombu_callback(consumer, node, func)):
            # a callback given the delivery in its parameters (`on_message(ch, method, props, body)`):
            # acking by `method.delivery_tag` settles `body` too (not the channel the ack is called on)
            data = _carried(func, shape, node, skip, data | (set(func.params) - skip - _ack_receiver(node)), ctx)
        at = shape.order[id(node)]
        if any(isinstance(n, cst.Call) and not shape.inside(n, node) and not _default_transform(n, ctx) and (
                _unseen(n, ctx, data, skip, consumer, False)
                or _worked_on(n, ctx, data - set(func.params), skip, consumer))
               and not shape.exclusive(n, node) for n in shape.nodes[:at]):
            # given to unseen code before the ack (the walk may not have known it held the message), or
            # to a project function that does more than decode it (`await self._execute_job(job)`); not
            # in a branch the ack's excludes (`if not force_delete: handle(m); delete(m) else: ...`)
            continue
        for later in shape.nodes[at + 1:]:
            if shape.inside(later, node) or _excepting(shape, later) or shape.exclusive(node, later):
                continue
            if isinstance(later, cst.Return) and later.value is not None and (
                    _carries(later.value, data, skip) or _reshaped(later.value, ctx, data, skip)):
                # the messages only on the default's path (`handle = self.callback or self._to_dicts`):
                # a user's callback may do the work before the ack
                default = any(isinstance(n, cst.Call) and _given(n, data, skip) and _default_transform(n, ctx)
                              for n in shape.nodes[:at])
                return HandOver(ack, later, "returned", "the default's path" if default else "")
            if isinstance(later, cst.Call) and _same_transaction(later, node):
                continue  # `rw.start(transaction=txn)` after `ack(header, transaction=txn)`: one commit
            if not isinstance(later, cst.Call):
                continue
            hook = _hook(later, ctx)  # `self.handle_message(body)` after `self.delete_message(handle)`
            if (hook or not _same_receiver(later, node)) \
                    and _unseen(later, ctx, data, skip, consumer):  # `ch.basic_publish(...)`: the broker's API
                what = (f"the receivers of `{dotted(later.func)}()`" if _signal(later, ctx)
                        else f"`{call_name(later)}()`")
                return HandOver(ack, later, "hook" if hook else "unseen", what)
    return None


def auto_ack_mode(shape: Shape, node: cst.CSTNode) -> bool:
    """`if no_ack: self.basic_ack(tag)`: the auto-ack mode a caller asked for (IDEM005's side)."""
    return any(isinstance(a, cst.If) and _AUTO_ACK.search(" ".join(names_in(a.test))) for a in shape.ancestors(node))


def polled_then_returned(consumer: Consumer, index: ModuleIndex) -> Optional[HandOver]:
    """A Kafka auto-commit consumer that polls and returns what it polled (a queue's `pop()` for a
    scheduler, `fetch_one()`): auto-commit commits the offset at a later poll or from a background
    timer, whenever that comes, and the caller's work on the record may not be done by then.

    Only a function that does nothing with the record itself (no effect, hand-off, lookup or
    marker) and is no generator (`facts.generators` reads those); what is returned must carry the
    polled records (or what a decoder or a project function makes of them)."""
    func = consumer.function
    if not consumer.auto_commit or consumer.ack_mode != "framework" or func.yields:
        return None
    if any(e.kind in WORK for e in consumer.events):
        return None
    shape = Shape(func.node)
    skip = module_names(index) | {"self", "cls"}
    ctx = Ctx(index, func)
    ack = next((a for a in consumer.of("ack") if a.detail == "framework"), None)
    for receive in sorted(consumer.of("receive"), key=lambda e: e.seq):
        node = receive.node
        if ack is None or not isinstance(node, cst.Call) or not shape.has(node):
            continue
        binding = next((a for a in shape.ancestors(node) if isinstance(a, (cst.Assign, cst.AnnAssign))), None)
        seed = set(bound_names(binding)) - skip if binding is not None else set()
        data = _carried(func, shape, node, skip, seed) if seed else set()
        if not data:
            continue
        at = shape.order[id(node)]
        for later in shape.nodes[at + 1:]:
            if _excepting(shape, later):
                continue
            if isinstance(later, cst.Return) and later.value is not None and (
                    _carries(later.value, data, skip) or _reshaped(later.value, ctx, data, skip)):
                return HandOver(ack, later, "polled", consumer.framework_ack)
    return None


def _delivery_params(node: cst.CSTNode, func) -> Set[str]:
    """The parameters an ack reads a delivery handle from (`method` of `basic_ack(delivery_tag=
    method.delivery_tag)`): a parameter that is a delivery, not one that holds the handles themselves
    (`acknowledge(ack_ids=ack_ids)` in a helper given them)."""
    if not isinstance(node, cst.Call):
        return set()
    return {a.value.value.value for a in node.args if isinstance(a.value, cst.Attribute)
            and isinstance(a.value.value, cst.Name) and a.value.value.value in func.params
            and a.value.value.value not in ("self", "cls")}


def _same_transaction(call: cst.Call, ack: cst.CSTNode) -> bool:
    """`call` is given the broker transaction the ack is in (`transaction=txn` on both, as workflows'
    `transport.ack(header, transaction=txn)` and `rw.start(transaction=txn)`): what it sends goes
    out when the ack does, at the transaction's commit."""
    if not isinstance(ack, cst.Call):
        return False
    mine, theirs = kwarg(call, "transaction"), kwarg(ack, "transaction")
    return isinstance(mine, cst.Name) and isinstance(theirs, cst.Name) and mine.value == theirs.value


def _kombu_callback(consumer: Consumer, node: cst.CSTNode, func) -> bool:
    """A kombu callback (`callbacks=[on_result]`, called with `(body, message)`) acking the message
    it was given (`message.ack()`): the decoded `body` beside it is that message too."""
    if consumer.library != "kombu" or not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False
    receiver = node.func.value
    params = [p for p in func.params if p not in ("self", "cls")]
    return len(params) >= 2 and isinstance(receiver, cst.Name) and receiver.value in params


def _ack_receiver(node: cst.CSTNode) -> Set[str]:
    """The name an ack call is made on (`ch` of `ch.basic_ack(...)`)."""
    func = node.func if isinstance(node, cst.Call) else None
    while isinstance(func, cst.Attribute):
        func = func.value
    return {func.value} if isinstance(func, cst.Name) else set()


def _same_receiver(call: cst.Call, ack: cst.CSTNode) -> bool:
    """`call` is made on the object the ack is (`ch.basic_publish(...)` after `ch.basic_ack(...)`,
    `self.channel.x()` after `self.channel.basic_ack()`): the broker's API, not the work. A method
    of `self` is not on the client `self._client` holds."""
    if not (isinstance(call.func, cst.Attribute) and isinstance(ack, cst.Call) and isinstance(ack.func, cst.Attribute)):
        return bool(_ack_receiver(call) & _ack_receiver(ack))
    mine, theirs = dotted(call.func.value), dotted(ack.func.value)
    if mine is None or theirs is None:
        return bool(_ack_receiver(call) & _ack_receiver(ack))
    return mine == theirs or mine not in ("self", "cls") and theirs.startswith(mine + ".")


def _client_ack(consumer: Consumer, ack: Event, shape: Shape) -> Set[str]:
    """What an ack called on the client with nothing to name settles: `consumer.commit()` in `for
    record in consumer:` (or after `record = consumer.poll()`) settles `record`, the latest receive
    from that same client before it."""
    node = site(ack)
    if not isinstance(node, cst.Call) or node.args or not isinstance(node.func, cst.Attribute):
        return set()
    client = dotted(node.func.value)
    for receive in sorted(consumer.of("receive"), key=lambda e: -e.seq):
        if receive.seq > ack.seq:
            continue
        fetched = receive.node
        loop = next((a for a in shape.ancestors(fetched) if isinstance(a, cst.For) and a.iter is fetched), None) \
            if shape.has(fetched) else None
        fetched = loop or fetched  # a receive loop's event is its iterable: `for record in self.consumer:`
        if isinstance(fetched, cst.For):
            return set(bound_names(fetched)) if client and dotted(fetched.iter) == client else set()
        if isinstance(fetched, cst.Call) and isinstance(fetched.func, cst.Attribute) and client \
                and dotted(fetched.func.value) == client and shape.has(fetched):
            binding = next((a for a in shape.ancestors(fetched) if isinstance(a, (cst.Assign, cst.AnnAssign))), None)
            return set(bound_names(binding)) if binding is not None else set()
        return set()
    return set()


def _carried(func, shape: Shape, ack: cst.CSTNode, skip: Set[str], seed: Optional[Set[str]] = None,
             ctx: Optional[Ctx] = None) -> Set[str]:
    """The names that hold the messages `ack` settles: what it names (or `seed`), traced back through
    the bindings that reshape them (not into the call that fetched them), then forward through
    copies, loops, collecting calls (`batch.extend(messages)`) and, with `ctx`, project functions
    that only give them another form (`prepared = self._prepare_payload(raw)`, see `_transforms`)."""
    if seed is not None and not seed:
        return set()
    bindings: Dict[str, List[Tuple[int, cst.CSTNode]]] = {}
    for node in shape.nodes:
        for name in bound_names(node):
            bindings.setdefault(name, []).append((shape.order[id(node)], node))
    at = shape.order[id(ack)]
    out = set(seed) if seed is not None else _acked(ack, skip)
    out |= _same_delivery(out, bindings, at)
    todo = list(out)
    while todo:
        name = todo.pop()
        earlier = [b for b in bindings.get(name, ()) if b[0] < at]
        if not earlier:
            continue
        value = bound_value(earlier[-1][1])
        for found in _plain_names(value, skip) - out:
            out.add(found)
            todo.append(found)
    for _ in range(4):
        before = len(out)
        for name, found in bindings.items():
            if name not in out and any(
                    _carries(bound_value(b), out, skip)
                    or ctx is not None and _transformed(bound_value(b), ctx, out, skip) for _, b in found):
                out.add(name)
        for call in (n for n in shape.nodes if isinstance(n, cst.Call)):
            if call_name(call) not in COLLECTS or not isinstance(call.func, cst.Attribute):
                continue
            held = call.func.value  # `message_batch.extend(messages)`, `res["messages"].append(value)`
            while isinstance(held, cst.Subscript):
                held = held.value
            if isinstance(held, cst.Name) and held.value not in skip and any(
                    _carries(a.value, out, skip) for a in call.args):
                out.add(held.value)
        if len(out) == before:
            break
    return out


def _transformed(value: Optional[cst.BaseExpression], ctx: Ctx, data: Set[str], skip: Set[str]) -> bool:
    call = value.expression if isinstance(value, cst.Await) else value
    # a record built around them (`ParsedConsumeResult(parsed_messages=parsed)`) holds them too
    return isinstance(call, cst.Call) and _given(call, data, skip) and (
        (call_name(call) or "").lstrip("_")[:1].isupper() or _transforms(call, ctx) or _default_transform(call, ctx))


def _default_transform(call: cst.Call, ctx: Ctx) -> bool:
    """`handle = self.messages_callback or self._default_message_callback`, then `ret = handle(messages,
    context)`: a callback a user may give, else a method of the project that only reshapes the
    messages (`_transforms`). On the default path the result is the messages, whatever is done with
    them comes later; a user's callback is a path of its own (its work, before the ack, is fine)."""
    func = call.func
    if not isinstance(func, cst.Name) or ctx.func is None:
        return False
    value = bound_once(func.value, ctx.func)
    if not isinstance(value, cst.BooleanOperation) or not isinstance(value.operator, cst.Or):
        return False
    fallback = value.right
    return isinstance(fallback, (cst.Attribute, cst.Name)) and _transforms(cst.Call(func=fallback), ctx)


def _same_delivery(names: Set[str], bindings: Dict[str, List[Tuple[int, cst.CSTNode]]], at: int) -> Set[str]:
    """The other names one fetch bound with the acked ones: `method_frame, properties, body =
    channel.basic_get(queue)` then `basic_ack(method_frame.delivery_tag)` settles `body` too."""
    out: Set[str] = set()
    for name in names:
        earlier = [b for b in bindings.get(name, ()) if b[0] < at]
        if not earlier:
            continue
        node = earlier[-1][1]
        if isinstance(node, cst.Assign) and isinstance(bound_value(node), (cst.Call, cst.Await)) \
                and any(isinstance(t.target, (cst.Tuple, cst.List)) for t in node.targets):
            out.update(bound_names(node))
        elif isinstance(node, cst.For) and isinstance(node.target, (cst.Tuple, cst.List)):
            out.update(bound_names(node))  # `for decoded, msg in fetched:` then `msg.ack()` settles `decoded`
    return out - names


def _acked(node: cst.CSTNode, skip: Set[str]) -> Set[str]:
    """The names an ack is given (`complete_message(msg)`, `Entries=[... for m in batch]`), else the
    object it is called on (`msg.ack()`); for `async with message.process()`, see `received`."""
    if not isinstance(node, cst.Call):
        return set(acked_names(node)) - skip
    named = [a.value for a in node.args if not (a.keyword is not None and a.keyword.value in WHERE)] \
        or ([node.func.value] if isinstance(node.func, cst.Attribute) else [])
    return set().union(*(_plain_names(expr, skip) for expr in named))


# an ack's keywords that say where the message is (`delete_message(QueueUrl=url, ReceiptHandle=...)`)
# or how to settle it, not which message: the queue's URL is no message
WHERE = frozenset({"QueueUrl", "queue_url", "queue", "queue_name", "subscription", "subscription_path",
                   "topic", "stream", "group", "groupname", "requeue", "multiple", "timeout"})


def _plain_names(expr: cst.CSTNode, skip: Set[str]) -> Set[str]:
    """The names `expr` reads without calling anything that makes a new value: through subscripts,
    attributes, displays, comprehensions, reads (`resp.get("Messages")`) and copies (`list(...)`)."""
    out: Set[str] = set()
    stack: List[cst.CSTNode] = [expr.expression if isinstance(expr, cst.Await) else expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Call):
            name = call_name(cur) or ""
            if isinstance(cur.func, cst.Name) and name in COPIES:
                stack.extend(a.value for a in cur.args)
            elif isinstance(cur.func, cst.Attribute) and (name in READS or name in RESHAPES or name in ACCESSORS):
                stack.append(cur.func.value)
            elif _decodes(name):
                stack.extend(a.value for a in cur.args[:1])
                if isinstance(cur.func, cst.Attribute):
                    stack.append(cur.func.value)  # `body.decode("utf-8")`
            continue  # a call that computes or fetches: its result is a new value
        if isinstance(cur, (cst.Lambda, cst.FunctionDef)):
            continue
        if isinstance(cur, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            out |= _comprehension_names(cur, skip)
            continue
        if isinstance(cur, cst.Name):
            if cur.value not in skip:
                out.add(cur.value)
            continue
        if isinstance(cur, cst.Attribute):
            stack.append(cur.value)
            continue
        stack.extend(children(cur))
    return out


def _comprehension_names(node: cst.CSTNode, skip: Set[str]) -> Set[str]:
    """What a comprehension reads from outside: its iterables, and its element less its own targets
    (`[m["MessageId"] for m in summarise(batch)]` reads no `m` of the function)."""
    targets: Set[str] = set()
    out: Set[str] = set()
    comp = getattr(node, "for_in", None)
    while comp is not None:
        targets |= local_names(comp.target, set())
        out |= _plain_names(comp.iter, skip)
        comp = comp.inner_for_in
    for part in ("elt", "key", "value"):
        expr = getattr(node, part, None)
        if expr is not None:
            out |= _plain_names(expr, skip) - targets
    return out


def _carries(expr: cst.CSTNode, data: Set[str], skip: Set[str]) -> bool:
    return bool(_plain_names(expr, skip) & data)


def _excepting(shape: Shape, node: cst.CSTNode) -> bool:
    return any(isinstance(a, cst.ExceptHandler) for a in shape.ancestors(node))


def _given(call: cst.Call, data: Set[str], skip: Set[str]) -> bool:
    """Some argument of `call` carries the messages."""
    return any(_carries(a.value, data, skip) for a in call.args)


def _project_call(call: cst.Call, ctx: Ctx) -> bool:
    """`call` runs a function of the project (the walk reads it), not a library's."""
    return bool(callees.resolve_all(call.func, ctx, ctx.index.project, ctx.index.path, overrides=False))


def _reshaped(value: cst.BaseExpression, ctx: Ctx, data: Set[str], skip: Set[str]) -> bool:
    """`return self._fetch_data_from_wrapper_strct(notifications)`: what a project function makes of
    the acked messages, returned; whatever the caller does with it comes after the ack."""
    call = value.expression if isinstance(value, cst.Await) else value
    return isinstance(call, cst.Call) and _given(call, data, skip) and _project_call(call, ctx)


def _transforms(call: cst.Call, ctx: Ctx, depth: int = 2) -> bool:
    """`call` runs project functions that only give the message another form: each calls nothing but
    decoders (by name), builtins, value methods, pure libraries, loggers, constructors (`Prepared(...)`)
    and project functions of the same kind, to `depth` (`self._prepare_payload(raw)`, which decodes,
    parses into a model and wraps the result or the error). What it returns is the message."""
    found = callees.resolve_all(call.func, ctx, ctx.index.project, ctx.index.path, overrides=False)
    if not found or depth < 0:
        return False
    for callee in found:
        inner = Ctx(callee.index, callee.func)
        for made in callee.func.calls:
            name = call_name(made) or ""
            if _decodes(name) or name in CONVERTS or name.lower() in LOG_CALLS or name.lstrip("_")[:1].isupper():
                continue
            if not computes(made, inner) and not _transforms(made, inner, depth - 1):
                return False
    return True

# a record's own conversions to plain data (`ReceivedMessage.to_dict(m)`, `event.model_dump()`)
CONVERTS = frozenset({"to_dict", "as_dict", "asdict", "model_dump", "model_dump_json", "to_json", "dumps",
                      "serialize", "to_primitive"})


def _worked_on(call: cst.Call, ctx: Ctx, data: Set[str], skip: Set[str], consumer: Consumer) -> bool:
    """`call` runs a project function on the messages that is no decoder of them (`_decode_job(msg.data)`
    and `self._validate_message(payload)` only give the message another form) and no step the walk
    knows (the ack helper `self.delete_message_from_queue(handle)`), or writes them in a way a repeat
    leaves as it is (`replace_one({"_id": ...}, doc, upsert=True)`, which the walk records as no
    event): their processing. `data` holds the locals the messages were fetched into, not the
    parameters an ack may also name (the queue `self.generate_queue_url(queue_name)` is built for)."""
    if _decodes(call_name(call) or "") or not _given(call, data, skip):
        return False
    if any(e.node is call or getattr(e, "call_node", None) is call for e in consumer.events):
        return False
    return effects.harmless_write(call, ctx) or _project_call(call, ctx) and not _transforms(call, ctx)


# words of a hook told that the message was settled or of bookkeeping around it (`on_deleted`,
# `after_commit`, `log_message`, `record_metrics`): a notice, not the message's processing
NOTICE_WORDS = frozenset({"ack", "acked", "acknowledged", "commit", "committed", "complete", "completed", "settled",
                          "delete", "deleted", "removed", "success", "succeeded", "done", "finished", "failure",
                          "failed", "error", "errors", "exception", "log", "logged", "metric", "metrics", "stats",
                          "trace", "audit", "close", "closed", "stop", "stopped", "shutdown", "timeout"})


def _hook(call: cst.Call, ctx: Ctx) -> bool:
    """`self.handle_message(body)` or `cls.received_function(message)`: a method the class defines as
    a stub (abstract, `pass`, `raise NotImplementedError`) for its subclasses to override with the work
    on the message. Whatever overrides it, in the project or in an application built on it, runs
    where the stub is called (not a hook named for the ack or for bookkeeping: `on_deleted(msg)`)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls")):
        return False
    if camel_words(func.attr.value) & NOTICE_WORDS:
        return False
    callee = callees.resolve(func, ctx, ctx.index.project, ctx.index.path)
    return callee is not None and callee.func.class_name is not None and callees.is_stub(callee.func)


def _unseen(call: cst.Call, ctx: Ctx, data: Set[str], skip: Set[str], consumer: Consumer, given: bool = True) -> bool:
    """`call` is given the acked messages and runs code idemlint cannot see (not a library it knows,
    not a project function, not a logger, a container or a signal: see `facts.handoff`). After the
    ack, a callable the consumer was given (`handler(messages)`) is such code too: the work on the
    messages, which the ack came before; before the ack it may be an optional hook, not the work."""
    if any(e.node is call and e.kind != "given" for e in consumer.events):
        return False  # an ack, a receive or another recognised step (a given callable is unseen code)
    if is_mock(call, ctx) or (call_name(call) or "").startswith("assert"):
        return False  # a test double, or a test's assertion about the ack (`mock_qos.ack.assert_called_with(tag)`)
    if not _given(call, data, skip):
        return False
    if _project_call(call, ctx) and not _hook(call, ctx):
        return False  # a project function: the walk has read it
    if given and _signal(call, ctx):
        return True
    if effects.classify(call, ctx) is not None or effects.inert(call, ctx):
        return False
    return hands_off(call, ctx, data, given=given)


def _signal(call: cst.Call, ctx: Ctx) -> bool:
    """`signal.send(self, payload=payload)` (blinker, Django): its receivers run in `send()`, connected
    elsewhere, and after the ack they are the work on the messages, as a callable the consumer was
    given is. Not a signal named for the ack or bookkeeping (`message_acked.send(...)`): a notice."""
    if not isinstance(call.func, cst.Attribute) or handoff.in_process(call, ctx) != "a signal":
        return False
    words = {w for part in (dotted(call.func.value) or "").split(".") for w in re.split(r"_+", part.lower()) if w}
    return not words & NOTICE_WORDS


__all__ = ["HandOver", "handed_on"]
