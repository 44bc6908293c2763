"""What a published message carries: visible payload fields and id-bearing properties."""

from __future__ import annotations

import re
from typing import List, Optional, Set, Tuple

import libcst as cst

from ..detect.base import Ctx, configured, dict_keys, func_ref, literal
from ..index import FunctionInfo, argument, dotted, kwarg, positional, string_value, subscript_key, walk
from .identity import is_id_field, normal
from .settings import other_module_constant
from ..lazyre import lazy_re

WRAPPERS = {"dumps", "encode", "bytes", "str", "dump", "safe_dump", "packb", "serialize", "SerializeToString",
            "deepcopy", "b64encode", "urlsafe_b64encode"}
# Methods of the payload itself: in `body.encode("utf-8")` the payload is `body`, and the argument
# is a codec name, not the payload (a constant-looking `"utf-8"` says nothing about the message).
RECEIVER_WRAPPERS = {"encode", "decode", "SerializeToString", "model_dump_json", "json"}


def unwrap(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The payload inside a serialising call: `json.dumps(x)` -> x, `x.encode("utf-8")` -> x, else None."""
    if not isinstance(expr, cst.Call):
        return None
    if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in RECEIVER_WRAPPERS and not (
            (dotted(expr.func.value) or "").rpartition(".")[2][:1].isupper() and any(a.keyword is None for a in expr.args)):
        return expr.func.value  # not a class's codec given the payload: `ResultMessage.encode(message)`
    if (dotted(expr.func) or "").split(".")[-1] in WRAPPERS and expr.args:
        return expr.args[0].value
    if dotted(expr.func) in ("cast", "typing.cast", "t.cast") and len(expr.args) == 2:
        return expr.args[1].value  # `cast(Any, to_fields(envelope, payload))`: the value, as it is
    return None


def _mutated(name: str, func: FunctionInfo) -> bool:
    """`payload["id"] = ...` or `payload.update(...)` after `payload = {...}`: the literal is not all."""
    return any(base == name for base, _ in func.subscripts) or _updated(name, func)


def _updated(name: str, func: FunctionInfo) -> bool:
    """`name.update(...)` / `setdefault(...)` / `__setitem__(...)`: keys the text may not show."""
    return any(
        isinstance(c.func, cst.Attribute) and isinstance(c.func.value, cst.Name) and c.func.value.value == name
        and c.func.attr.value in ("update", "setdefault", "__setitem__")
        for c in func.calls
    )


def built_here(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0) -> bool:
    """A payload the function builds itself but not all in view: a dict display (or `dict(...)`) it
    binds once and then fills in (`body = {"sender_id": s}; body.update(event.as_dict())`), or a
    text it writes with values from elsewhere (`f"Notification sent to {user} via {channel}"`)."""
    func = ctx.func
    for _ in range(4):
        # `data = json.dumps(payload).encode()`: what the local holds, then what it serialises (not a
        # local given keys out of view after it is bound: read below)
        if isinstance(expr, cst.Name) and not _filled_in(expr.value, ctx):
            expr = _resolve_local(expr, func)
        inner = unwrap(expr) if expr is not None else None
        if inner is None:
            break
        expr = inner
    if _template(_resolve_local(expr, func)) or _spread_into(_resolve_local(expr, func), ctx):
        return True
    if isinstance(expr, cst.Call) and depth < 2:
        # `notification.failure_text(context)`: a builder of the project that writes the text or the
        # dict its `return` gives
        built = _builder_return(expr, ctx)
        return built is not None and built_here(built[0], built[1], depth + 1)
    if not isinstance(expr, cst.Name) or func is None:
        return False
    value = bound_once(expr.value, func)
    if not _mutated(expr.value, func):
        # `struct = self.generate_life_sign()`, then `struct[key] = value` under keys out of view: a
        # builder's dict, filled in here
        return _filled_in(expr.value, ctx) and isinstance(value, cst.Call) and _builds_dict(value, ctx)
    if _dict_in_each_branch(expr.value, func):
        return True  # `request = {...}` in each branch, then `request["timeout"] = t`
    if isinstance(value, cst.Call) and dotted(value.func) != "dict":
        # `payload = self._build_base_payload()`, then `payload.update(extra)`
        return _builds_dict(value, ctx)
    return isinstance(value, (cst.Dict, cst.Call))  # a display, or `dict(...)`


def _builds_dict(call: cst.Call, ctx: Ctx) -> bool:
    """A builder of the module or the class whose `return` is a dict display in view."""
    if dotted(call.func) == "dict":
        return False
    built = _builder_return(call, ctx)
    return built is not None and isinstance(_resolve_local(built[0], built[1].func), cst.Dict) \
        and fields(built[0], built[1], 2)[0]


def _spread_into(expr: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """A dict display with entries of its own and the rest spread in from values made here
    (`{"error_type": t, "message": m, **context_info}` with `context_info = self._context()`): built
    here, not all in view. Not when a spread holds what the function was given or received (`{**event,
    "status": "done"}`): a copy of another message may carry that message's id."""
    if not isinstance(expr, cst.Dict) or ctx.func is None:
        return False
    own = [el for el in expr.elements if isinstance(el, cst.DictElement) and string_value(el.key) is not None]
    spreads = [el.value for el in expr.elements if isinstance(el, cst.StarredDictElement)]
    if not own or not spreads:
        return False
    from .deferred import local_names, message_data  # it imports this module
    from .handler import PEEK_CALLS, RECEIVE_CALLS
    from .identity import mentions

    func = ctx.func
    seeds = {p for p in func.params if p not in ("self", "cls")} | set(ctx.message_names)
    seeds |= {name for loop in func.fors for name in local_names(loop.target, set())}
    seeds |= {name for name, values in func.assigns.items() for value, _, _ in values
              if any(isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                     and node.func.attr.value in RECEIVE_CALLS | PEEK_CALLS for node in walk(value))}
    given = message_data(func, seeds, set())
    return not any(mentions(spread, given) for spread in spreads)


def _template(expr: Optional[cst.BaseExpression]) -> bool:
    """An f-string with words of its own (`f"order {n} shipped"`), not one that only formats a value
    (`f"{message}"`, `f"{body}\\n"`); or the same written with `str.format` or `%`
    (`"DAG {dag} failed at {when}".format(...)`, `"job %s done" % name`)."""
    if isinstance(expr, (cst.FormattedString, cst.ConcatenatedString)):
        parts = _text_parts(expr)  # (f-strings written one after the other: their texts together)
        return any(isinstance(part, cst.FormattedStringExpression) for part in parts) and any(
            isinstance(part, cst.FormattedStringText) and _WORD.search(_ESCAPE.sub("", part.value)) is not None
            for part in parts)
    text = _formatted_text(expr)
    return text is not None and _WORD.search(_PLACEHOLDER.sub("", _ESCAPE.sub("", text))) is not None


# a placeholder of a `str.format` (`{dag}`, `{0!r}`) or `%` text (`%s`, `%(name)s`, `%05d`)
_PLACEHOLDER = lazy_re(r"\{[^{}]*\}|%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[a-zA-Z%]")


def _formatted_text(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """The literal text of `"...".format(...)` or `"..." % values`, else None."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        return string_value(expr.func.value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return string_value(expr.left)
    return None


def _format_values(expr: cst.BaseExpression) -> List[cst.BaseExpression]:
    """What a `str.format` / `%` text formats in."""
    if isinstance(expr, cst.Call):
        return [a.value for a in expr.args]
    right = expr.right if isinstance(expr, cst.BinaryOperation) else None
    if isinstance(right, (cst.Tuple, cst.List)):
        return [el.value for el in right.elements]
    if isinstance(right, cst.Dict):
        return [el.value for el in right.elements if isinstance(el, cst.DictElement)]
    return [right] if right is not None else []


_ESCAPE = lazy_re(r"\\.")  # `\n`, `\t`, ... in the source text of a string
_WORD = lazy_re(r"[^\W\d_]")  # a letter


def _filled_in(name: str, ctx: Ctx) -> bool:
    """`name` is given keys in the function: a literal key, a module constant's (`payload[ACK_KEY]`),
    or one held by a variable (`for key, value in fields.items(): output[key] = value`, keys the
    text does not show)."""
    return ctx.func is not None and (_mutated(name, ctx.func) or bool(constant_keys(name, ctx))
                                     or any(base == name for base, _ in ctx.func.subscript_names))


def keys_got(name: str, func: FunctionInfo) -> List[str]:
    """The literal keys the function reads from `name` with `name.get("key")`, sorted."""
    keys = set()
    for call in func.calls:
        target = call.func
        if isinstance(target, cst.Attribute) and target.attr.value == "get" and isinstance(target.value, cst.Name) \
                and target.value.value == name and call.args and call.args[0].keyword is None:
            key = string_value(call.args[0].value)
            if key is not None:
                keys.add(key)
    return sorted(keys)


def _literal_keys(name: str, func: FunctionInfo) -> Optional[List[str]]:
    """Every key of a dict the function binds once to a display and then gives only literal keys
    (`headers = {}`, then `headers["topic"] = topic`), or None when some key is not in view (a key
    held by a name, `update(...)`, `setdefault(...)`)."""
    start = bound_once(name, func)
    keys = dict_keys(start) if start is not None else None
    if keys is None or any(base == name for base, _ in func.subscript_names) or _updated(name, func):
        return None
    return keys + sorted(key for base, key in func.subscripts if base == name)


def constant_keys(name: str, ctx: Ctx) -> List[str]:
    """The keys `name[KEY] = ...` gives it where `KEY` is a module constant bound once to a string
    (`ACK_UUID_KEY = "acknowledge_uuid"`), sorted; a key the function binds itself is not one."""
    func = ctx.func
    if func is None:
        return []
    keys = []
    for base, key_name in func.subscript_names:
        values = ctx.index.module_assigns.get(key_name, ()) if base == name and key_name not in func.assigns else ()
        if len(values) == 1 and values[0][1] is None and values[0][2] == "=":
            key = string_value(values[0][0])
            if key is not None:
                keys.append(key)
    return sorted(keys)


def bound_once(name: str, func: FunctionInfo) -> Optional[cst.BaseExpression]:
    """The value `name = <value>` binds, when that is the function's only binding of the name."""
    values = func.assigns.get(name, ())
    if len(values) != 1 or values[0][1] is not None or values[0][2] != "=":
        return None
    return values[0][0]


def _reserialised(value: cst.BaseExpression, name: str) -> bool:
    """`value` only serialises `name` itself (`json.dumps(data)`, `body.encode()`)."""
    for _ in range(4):
        inner = unwrap(value)
        if inner is None:
            return False
        if isinstance(inner, cst.Name) and inner.value == name:
            return True
        value = inner
    return False


def _resolve_local(expr: Optional[cst.BaseExpression], func: Optional[FunctionInfo]) -> Optional[cst.BaseExpression]:
    """What a local bound once holds (`fields = await self._encode_message(...)`: the awaited call)."""
    seen = 0
    if isinstance(expr, cst.Await):
        expr = expr.expression
    while isinstance(expr, cst.Name) and func is not None and seen < 5:
        value = bound_once(expr.value, func)
        if value is None:
            return expr
        if isinstance(value, cst.Await):
            value = value.expression
        if _mutated(expr.value, func):
            return expr  # built up after the literal: treat as opaque
        if _reserialised(value, expr.value):
            return expr  # `data = json.dumps(data)` rebinds a parameter: the value is the parameter's
        expr = value
        seen += 1
    return expr


# Field names of an entry that only wraps a message serialised elsewhere (taskiq-redis's
# `xadd(queue, {b"data": message.message})`, whose bytes hold the task id): the payload is what
# the field holds, seen or not.
ENVELOPES = {"data", "body", "payload", "message", "msg", "event", "envelope", "content"}


# the entries of an envelope that hold its metadata: an id there identifies the message
# (`{"metadata": {"event_id": ...}, "data": {...}}`)
METADATA = {"meta", "metadata", "header", "headers", "attributes", "properties", "context", "envelope",
            "messageattributes", "info"}


# what names the message itself in an envelope's metadata (not who sent it or what it is about:
# `{"meta": {"tenantId": ...}}` names a tenant every message of it shares)
_MESSAGE_ID = lazy_re(r"^(id|uuid|guid|ulid|ksuid)$|(^|_)(event|message|msg|envelope)_?(id|uuid|ulid)$|"
                         r"^(idempotency|dedup|deduplication)_?(id|key)$|^(x_)?(message|request)_id$"
                         r"|^x_git_?hub_delivery$", re.I)  # GitHub's webhook delivery GUID


def _opaque_metadata(expr: cst.BaseExpression, keys: List[str], ctx: Ctx) -> bool:
    """A metadata entry (`METADATA`) that carries another message's metadata whole, out of sight
    (`"attributes": json.dumps(message.attributes)`, `"headers": msg["headers"]`): the id a message
    keeps there (Pub/Sub-style attributes, AMQP headers) goes along."""
    for key in keys:
        if normal(key).replace("_", "") not in METADATA:
            continue
        inner = _element(expr, key)
        for _ in range(3):  # through `json.dumps(...)`, `.encode()`
            unwrapped = unwrap(inner) if inner is not None else None
            if unwrapped is None:
                break
            inner = unwrapped
        if isinstance(inner, cst.Name) and ctx.func is not None and inner.value in ctx.func.assigns \
                and inner.value not in ctx.func.params \
                and not isinstance(bound_once(inner.value, ctx.func), (cst.Dict, cst.SimpleString)):
            return True  # `{META_FIELD: meta, ...}` with the local `meta` split off something out of view
        if isinstance(inner, cst.Attribute):
            name = inner.attr.value  # `message.attributes`
        else:
            name = subscript_key(inner) if inner is not None else None  # `msg["headers"]`
        if name is not None and normal(name).replace("_", "") in METADATA:
            return True
    return False


def _metadata_keys(expr: cst.BaseExpression, keys: List[str], ctx: Ctx) -> List[str]:
    """The keys that name the message in the metadata entries of a dict display written out (or a
    local bound once to one)."""
    out: List[str] = []
    for key in keys:
        if normal(key).replace("_", "") not in METADATA:
            continue
        inner = _element(expr, key)
        inner = _resolve_local(inner, ctx.func) if inner is not None else None
        found = dict_keys(inner) if inner is not None else None
        out.extend(k for k in found or () if _MESSAGE_ID.search(re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", k)
                                                                 .replace("-", "_")))
    return out


def _element(expr: cst.BaseExpression, key: str) -> Optional[cst.BaseExpression]:
    """The value of `key` in a dict display or `dict(key=...)`."""
    if isinstance(expr, cst.Dict):
        for el in expr.elements:
            if isinstance(el, cst.DictElement) and string_value(el.key) == key:
                return el.value
    elif isinstance(expr, cst.Call):
        return kwarg(expr, key)
    return None


def fields(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0, wraps: int = 0) -> Tuple[bool, List[str]]:
    """(visible, field names) of a payload: a dict display, `json.dumps({...})`, `Event(a=..., b=...)`.

    A dict filled in by `payload["key"] = ...` is not visible as a whole, but the keys it is given
    are still reported (an id among them is an id).
    """
    if _id_payload(expr, ctx):
        return True, ["id"]  # `send(crash_id)`, `publish(str(order.id))`: the message is the id
    expr = _resolve_local(expr, ctx.func)
    branched = _branch_dicts(expr, ctx)
    if branched is not None:
        return branched
    inner = unwrap(expr) if expr is not None else None
    if isinstance(inner, cst.Name) and ctx.func is not None and _filled_in(inner.value, ctx):
        expr = inner
    if isinstance(expr, cst.Name) and ctx.func is not None and _filled_in(expr.value, ctx):
        return False, _given_keys(expr.value, ctx)
    for _ in range(4):
        inner = unwrap(expr) if expr is not None else None
        if inner is None:
            break
        expr = _resolve_local(inner, ctx.func)
    if isinstance(expr, cst.Dict):
        expr = _constant_keyed(expr, ctx)
    if isinstance(expr, cst.Name) and ctx.func is not None and _filled_in(expr.value, ctx):
        # `json.dumps(event).encode()` of an `event` given (or read) keys here: those keys
        return False, _given_keys(expr.value, ctx)
    if isinstance(expr, cst.Name) and ctx.func is not None:
        read = keys_got(expr.value, ctx.func)
        if any(is_id_field(key) for key in read):
            # `log("failed to publish id=%s", payload.get("id"))`: the function reads the id of the
            # payload it publishes, so the payload carries one
            return False, read
    obj = (_dumped_object(expr) or _snapshot_of(expr, ctx) or _dumped_by_method(expr, ctx) or expr) \
        if expr is not None else None
    held = object_fields(obj, ctx) if obj is not None else None
    if held is not None:
        shared = _constructed_own(obj, held, ctx)
        held = [name for name in held if name not in shared]
    if held is not None and any(is_id_field(name) for name in held):
        # `dump(message.__dict__)`, `asdict(event)`, `event.model_dump_json()` of an object of a
        # project class that has an id field (`self.job_id = job_id`, `event_id: str`)
        return True, held
    if isinstance(expr, cst.FormattedString) or isinstance(expr, cst.ConcatenatedString) and _text_parts(expr):
        # a text written here: an id is one of the values it formats in that names the message
        # (`f"{event_id}: order shipped"`), or one made unique there; also over several
        # f-strings written one after the other (`(f"Site {site}: ..." f"below {threshold}")`)
        return False, ["id"] if any(isinstance(part, cst.FormattedStringExpression) and _text_id(part.expression)
                                    for part in _text_parts(expr)) else []
    if _formatted_text(expr) is not None:
        # the same text written with `str.format` or `%`
        return False, ["id"] if any(_text_id(value) for value in _format_values(expr)) else []
    sequence = _sequence(expr)
    if sequence is not None:
        # a record sent as a tuple (`str((record_type, action, record_id, ...))`): its
        # elements have no names, so an id is an element that is one (`record_id`, `uuid4()`)
        whole, items = sequence
        return whole, ["id"] if any(is_id_value(item) or _made_unique(item) for item in items) else []
    keys = dict_keys(expr)
    if keys is not None:
        built = _built_up_values(expr, ctx)
        if built is not None:
            # `{"recipe": steps, "recipe-pointer": 1}` where the function builds `steps` up entry by
            # entry (`steps[str(n)] = step`, `step["variables"]["job_uuid"] = job_uuid`): not all in
            # view, and the keys it writes in there are the message's too
            return False, keys + built
        if not keys or not all(normal(key) in ENVELOPES for key in keys):
            # another message's metadata carried whole (`"attributes": json.dumps(message.attributes)`)
            # may hold the message's id: the keys are in view, what names the message is not
            nested, hidden = _nested_objects(expr, keys, ctx)
            return not hidden and not _opaque_metadata(expr, keys, ctx), keys + nested + _metadata_keys(expr, keys, ctx)
        visible = True
        for key in keys:  # an entry that only wraps messages: what they hold is the payload
            inner = _element(expr, key)
            if inner is None or isinstance(inner, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
                continue
            if wraps >= MAX_NESTING:
                return False, keys  # `data = {"data": data}`: a local that holds itself
            inner_visible, inner_keys = fields(inner, ctx, depth, wraps + 1)
            visible = visible and inner_visible
            keys = keys + inner_keys
        return visible, keys
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        return True, []
    if isinstance(expr, cst.Dict):
        # `{**fields, "_origin_id": msg_id}`: not all in view, but the keys written out are given
        given = _written_keys(expr)
        spread = [_spread_fields(el.value, ctx) for el in expr.elements if isinstance(el, cst.StarredDictElement)]
        if spread and all(names is not None for names in spread):
            # `{"register": "spa", **dict(params), "session_id": sid}` with `params` an object of a
            # project class (a pydantic model): its fields are the rest of the message
            return True, given + [name for names in spread for name in names or ()]
        return False, given
    if isinstance(expr, cst.Call) and expr.args and all(a.keyword is not None for a in expr.args):
        callee = (dotted(expr.func) or "").split(".")[-1]
        if callee[:1].isupper():
            given = [a.keyword.value for a in expr.args if a.keyword is not None]
            return True, given + _fresh_id_fields(expr.func, ctx)
    marshalled = _marshalled_keys(expr, ctx) if isinstance(expr, cst.Call) else None
    if marshalled is not None:
        return True, marshalled
    if isinstance(expr, cst.Call):
        # `make_envelope(body, message_id=job.id)` (or `self._build_message(spec, message_id)`, the id
        # given under its name): a builder handed an id puts it in the message; a builder of this module
        # is read for what its `return` puts there
        keys = [a.keyword.value for a in expr.args if a.keyword is not None and is_id_field(a.keyword.value)]
        keys += [a.value.value for a in expr.args if a.keyword is None and not a.star
                 and isinstance(a.value, cst.Name) and is_id_field(a.value.value)]
        built = _builder_return(expr, ctx) if depth < 2 else None
        if built is not None:
            visible, inner_keys = fields(built[0], built[1], depth + 1)
            return visible, keys + inner_keys
        return False, keys
    return False, []


# flask-restful's and flask-restx's `marshal(data, fields, envelope=None)`: the fields' keys, nothing else
MARSHALS = ("flask_restful.marshal", "flask_restx.marshal", "flask_restx.marshalling.marshal", "flask_restplus.marshal")


def _marshalled_keys(call: cst.Call, ctx: Ctx) -> Optional[List[str]]:
    """`marshal(row, waiver_fields)`: the keys of the fields mapping (a dict display, or a constant of
    this module or another project module bound to one), and the envelope's; None when not known."""
    if ctx.origin(call.func) not in MARSHALS:
        return None
    spec = kwarg(call, "fields") or positional(call, 1)
    where = ctx.index
    if isinstance(spec, cst.Name) and spec.value in where.module_assigns and (
            ctx.func is None or spec.value not in ctx.func.assigns):
        values = where.module_assigns[spec.value]
        spec = values[0][0] if len(values) == 1 and values[0][1] is None else None
    elif isinstance(spec, (cst.Name, cst.Attribute)):
        found = other_module_constant(spec, ctx.func, where)
        spec = found[0] if found is not None else None
    keys = dict_keys(spec) if spec is not None else None
    if keys is None:
        return None
    envelope = string_value(kwarg(call, "envelope") or positional(call, 2))
    return keys + ([envelope] if envelope else [])


# A whole object serialised: `asdict(event)` (dataclasses, attrs), `vars(event)`, `event.__dict__`,
# `event.model_dump()` / `.model_dump_json()` / `.dict()` (pydantic), `event._asdict()` (a named tuple).
# (`model_dump_json()` is also one of the `RECEIVER_WRAPPERS`: as the payload, it is the object itself;
# as an entry of a dict display, `{"meta": envelope.model_dump_json()}`, the object's fields are the
# message's.)
OBJECT_DUMPS = {"asdict", "vars"}
OBJECT_METHODS = {"model_dump", "model_dump_json", "dict", "_asdict"}


def _nested_objects(expr: cst.BaseExpression, keys: List[str], ctx: Ctx) -> Tuple[List[str], bool]:
    """(fields, any not known) of the whole objects a dict display carries in its entries
    (`"original_job": self.original_job.model_dump()`, `"event": asdict(event)`): the fields of an object
    of a project class are the message's too (a dead-letter record carries its job's `job_id`); an
    object whose class is not known leaves the message not all in view."""
    found: List[str] = []
    hidden = False
    for key in keys:
        inner = _element(expr, key)
        obj = _dumped_object(inner) if inner is not None else None
        if obj is None:
            continue
        held = object_fields(obj, ctx)
        if held is None:
            hidden = True
        else:
            found += held
    return found, hidden


def _sequence(expr: Optional[cst.BaseExpression]) -> Optional[Tuple[bool, list]]:
    """(all in view, the elements in view) of a record written as a tuple display, or of displays
    added together with other sequences (`(a, b, c) + extra`); None for anything else, and for a
    tuple that holds messages or records of its own (a dict display, an object made by a class:
    `[Message(data, attrs)]` is a batch, whose messages are judged one by one elsewhere)."""
    if isinstance(expr, cst.Tuple):
        items = [el.value for el in expr.elements if not isinstance(el, cst.StarredElement)]
        if any(isinstance(item, (cst.Dict, cst.List, cst.Tuple)) or isinstance(item, cst.Call) and (
                dotted(item.func) or "").rpartition(".")[2][:1].isupper() for item in items):
            return None
        # all in view when every element is a value written here (a constant, a text, a call's
        # result); a name may hold a whole document (`(name, doc)`), whose fields are out of view
        return all(isinstance(item, (cst.BaseString, cst.Integer, cst.Float, cst.Call)) for item in items), items
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left, right = _sequence(expr.left), _sequence(expr.right)
        if left is None and right is None:
            return None
        return (bool(left and left[0] and right and right[0]),
                (left[1] if left else []) + (right[1] if right else []))
    return None


def _made_unique(expr: cst.BaseExpression) -> bool:
    """`uuid4()`, `str(uuid.uuid4())`: a value made unique where the message is built."""
    return any(isinstance(node, cst.Call) and (dotted(node.func) or "").rpartition(".")[2] in FRESH_IDS
               for node in walk(expr))


def _branch_dicts(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[Tuple[bool, List[str]]]:
    """(visible, fields) of a payload bound to a dict display in each branch (`if ...: request =
    {...} else: request = {...}`), also serialised (`dumps(request)`), or None. The keys every display
    writes are the message's whatever the branch (an id in one branch only is missing from the
    others), plus those the function gives it after (`request["time_out"] = t`), which leave it not
    all in view, as they leave a dict bound once."""
    func = ctx.func
    for _ in range(4):
        inner = unwrap(expr) if expr is not None else None
        if inner is None:
            break
        expr = _resolve_local(inner, func)
    if func is None or not isinstance(expr, cst.Name):
        return None
    name = expr.value
    if not _dict_in_each_branch(name, func):
        return None
    shapes = [fields(value, ctx) for value, _, _ in func.assigns[name]]
    common = set.intersection(*(set(keys) for _, keys in shapes))
    given = sorted(key for base, key in func.subscripts if base == name)
    # filled in after (`request["timeout"] = t`): not all in view, as for a dict bound once
    return all(visible for visible, _ in shapes) and not _filled_in(name, ctx), sorted(common) + given


def _dict_in_each_branch(name: str, func: FunctionInfo) -> bool:
    """`name` is bound more than once, each time to a dict display (`if ...: request = {...} else:
    request = {...}`)."""
    values = func.assigns.get(name, ())
    return len(values) > 1 and all(index is None and how == "=" and dict_keys(value) is not None
                                   for value, index, how in values)


def _spread_fields(expr: cst.BaseExpression, ctx: Ctx) -> Optional[List[str]]:
    """The fields a `**` entry of a dict display spreads: a whole object of a project class
    (`**dict(params)`, `**params.model_dump()`, `**vars(event)`); None when they are not known."""
    obj = _dumped_object(expr)
    if obj is None and isinstance(expr, cst.Call) and dotted(expr.func) == "dict" and len(expr.args) == 1 \
            and expr.args[0].keyword is None and not expr.args[0].star:
        obj = expr.args[0].value  # `dict(model)`: a pydantic model iterates over its fields
    return object_fields(obj, ctx) if obj is not None else None


def _snapshot_of(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.BaseExpression]:
    """`event.event_data` where the class of `event` binds `self.event_data = self.__dict__.copy()`
    (or `vars(self)`, `asdict(self)`) in `__init__`: a copy of the whole object, the object's fields;
    the object (`event`), or None."""
    if not isinstance(expr, cst.Attribute):
        return None
    found = _object_class(expr.value, ctx)
    if found is None:
        return None
    for cls in _lineage(found, ctx.index.project):
        values = cls.attr_values.get(expr.attr.value)
        if values:
            return expr.value if all(owner is not None and owner.name == "__init__" and _self_copy(
                bound_once(value.value, owner) if isinstance(value, cst.Name) else value)  # `self.x = data`
                for value, owner, _ in values) else None
    return None


def _constructed_own(obj: cst.BaseExpression, held: List[str], ctx: Ctx) -> Set[str]:
    """The id fields of an object made here (`msg = MSG("Update", self.local_id, ...)`) that its
    `__init__` sets from a parameter (`self.id = id`) the construction gives a value of the publisher's
    own (`_publisher_own`: an attribute set only in `__init__`, a constant): the sender's id, the same
    in every message, not the message's."""
    made = obj if isinstance(obj, cst.Call) else bound_once(obj.value, ctx.func) \
        if isinstance(obj, cst.Name) and ctx.func is not None else None
    ids = [name for name in held if is_id_field(name)]
    if not isinstance(made, cst.Call) or not ids:
        return set()
    found = _object_class(obj, ctx)
    if found is None:
        return set()
    init = next((cls.methods["__init__"] for cls in _lineage(found, ctx.index.project) if "__init__" in cls.methods),
                None)
    if init is None:
        return set()
    shared: Set[str] = set()
    for name in ids:
        values = found[0].attr_values.get(name, ())
        given = [argument(made, init, value.value) if isinstance(value, cst.Name) and value.value in init.params
                 and owner is init else None for value, owner, _ in values]
        if given and all(g is not None and _publisher_own(g, ctx) for g in given):
            shared.add(name)
    return shared


def _dumped_by_method(expr: Optional[cst.BaseExpression], ctx: Ctx) -> Optional[cst.BaseExpression]:
    """`request.to_json()` where the project class of `request` defines `to_json` to serialise a copy
    of the whole object (`serializable = copy.deepcopy(self.__dict__)`, then `return
    json.dumps(serializable)`; `return vars(self)`): the object (`request`), or None."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args):
        return None
    found = _object_class(expr.func.value, ctx)
    if found is None:
        return None
    name = expr.func.attr.value
    for cls in _lineage(found, ctx.index.project):
        method = cls.methods.get(name)
        if method is not None:
            return expr.func.value if method.returns and all(
                _self_copy(serialised(value, method)) for value in method.returns) else None
    return None


def serialised(value: cst.BaseExpression, func) -> Optional[cst.BaseExpression]:
    """What a returned value serialises, through serialisers and the locals bound once on the way
    (`json.dumps(serializable)` after `serializable = copy.deepcopy(self.__dict__)`)."""
    for _ in range(4):
        value = _resolve_local(value, func)
        if isinstance(value, cst.Name):
            value = bound_once(value.value, func) or value
        inner = unwrap(value) if isinstance(value, cst.Call) else None
        if inner is None:
            return value
        value = inner
    return value


def _self_copy(value: Optional[cst.BaseExpression]) -> bool:
    """`self.__dict__`, `self.__dict__.copy()`, `dict(self.__dict__)`, `copy.deepcopy(self.__dict__)`,
    `vars(self)`, `asdict(self)`."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "copy" \
            and not value.args:
        value = value.func.value
    elif isinstance(value, cst.Call) and (dotted(value.func) or "").rpartition(".")[2] in ("dict", "copy", "deepcopy") \
            and len(value.args) == 1:
        value = value.args[0].value
    dumped = _dumped_object(value)
    return isinstance(dumped, cst.Name) and dumped.value == "self"


def _dumped_object(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The object a serialisation of a whole object reads, or None."""
    if isinstance(expr, cst.Attribute) and expr.attr.value == "__dict__":
        return expr.value
    if not isinstance(expr, cst.Call) or any(a.keyword is None and a is not expr.args[0] for a in expr.args):
        return None
    if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in OBJECT_METHODS and \
            all(a.keyword is not None for a in expr.args):
        return expr.func.value
    if (dotted(expr.func) or "").split(".")[-1] in OBJECT_DUMPS and expr.args and expr.args[0].keyword is None:
        return expr.args[0].value
    return None


def _object_class(obj: cst.BaseExpression, ctx: Ctx):
    """(class, its module index, its path) of an object of a project class, or None (see
    `object_fields`)."""
    from . import callees  # it imports the adapters, which import this module's siblings

    if ctx.func is None:
        return None
    index, project = ctx.index, ctx.index.project
    # `ParcelScanned(parcel=p).__dict__`, or `event = ParcelScanned(...)` then `asdict(event)`: an
    # object made here from a class of the module or the project
    made = obj if isinstance(obj, cst.Call) else bound_once(obj.value, ctx.func) if isinstance(obj, cst.Name) else None
    if not isinstance(obj, (cst.Name, cst.Attribute)) and not isinstance(made, cst.Call):
        return None
    found = None
    annotation = ctx.func.annotations.get(obj.value) if isinstance(obj, cst.Name) else None
    if isinstance(made, cst.Call) and (dotted(made.func) or "").rpartition(".")[2][:1].isupper() and (
            built := callees.class_named(made.func, ctx, index.path)) is not None:
        found = built
    elif not isinstance(obj, (cst.Name, cst.Attribute)):
        return _factory_class(made, ctx)  # `publish(_envelope_of(record))`, a project function making it
    elif isinstance(obj, cst.Name) and obj.value == "self":
        cls = index.class_of(ctx.func)
        found = (cls, index, index.path) if cls is not None else None
    elif isinstance(annotation, cst.Name) and annotation.value in index.classes:
        found = (index.classes[annotation.value], index, index.path)  # `params: Params`, a class of this module
    elif isinstance(annotation, (cst.Name, cst.Attribute)) and project is not None:
        found = callees.class_named(annotation, ctx, index.path)  # `envelope: Envelope`, imported from the project
    elif _declared_attribute(obj, ctx) is not None:
        # `self.original_job`, declared `original_job: JobMessage` in the class body (a dataclass field)
        found = callees.class_named(_declared_attribute(obj, ctx), ctx, index.path)
    else:
        origin = ctx.origin(obj)
        found = callees.class_at(origin[:-2], index) if origin and origin.endswith("()") else None
        if found is None and isinstance(made, cst.Call):
            found = _factory_class(made, ctx)  # `msg = create_msg(sender)`, a project function making it
    return found


def object_fields(obj: cst.BaseExpression, ctx: Ctx) -> Optional[List[str]]:
    """The fields of an object of a project class (`self`; a parameter annotated with the class; a
    name bound to its constructor or a factory's return): the attributes its methods and class body
    bind, its class-level annotations (a dataclass's or a pydantic model's fields), and those of its
    project base classes. None when the class is not known."""
    found = _object_class(obj, ctx)
    if found is None:
        return None
    names: List[str] = []
    for cls in _lineage(found, ctx.index.project):
        names += [*cls.attr_values, *cls.annotations]
        names += ["id"] if _fresh_defaults(cls) else []
    return names


def _factory_class(call: cst.Call, ctx: Ctx):
    """(class, its module index, its path) of the objects the project function `call` runs makes
    (`def create_msg(sender) -> GoMsg: msg = GoMsg(id=f"msg:{uuid1()}", ...); return msg`): the class
    its return annotation names, else the one every `return` constructs; None when not known."""
    from . import callees

    if isinstance(call.func, cst.Name) and call.func.value in ctx.index.module_functions:
        callee = callees.Callee(ctx.index.module_functions[call.func.value], ctx.index, None)
    else:
        callee = callees.resolve(call.func, ctx, ctx.index.project, ctx.index.path)
    if callee is None or callee.func.class_name is not None:
        return None  # (a method: what `self` makes is not read here)
    where = Ctx(callee.index, callee.func)
    path = callee.path or ctx.index.path
    returns = callee.func.node.returns
    annotation = returns.annotation if returns is not None else None
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value  # `-> Envelope[Any]`: a generic class's objects
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return callees.class_named(annotation, where, path)
    made = [bound_once(value.value, callee.func) if isinstance(value, cst.Name) else value
            for value in callee.func.returns if value is not None]
    if not made or not all(isinstance(m, cst.Call) and (dotted(m.func) or "").rpartition(".")[2][:1].isupper()
                           for m in made):
        return None
    found = [callees.class_named(m.func, where, path) for m in made]  # type: ignore[union-attr]
    return found[0] if found[0] is not None and all(f is not None and f[0] is found[0][0] for f in found) else None


def _declared_attribute(obj: cst.BaseExpression, ctx: Ctx) -> Optional[cst.BaseExpression]:
    """The type the class of the method declares for `self.<name>` (`original_job: JobMessage`)."""
    if not (isinstance(obj, cst.Attribute) and isinstance(obj.value, cst.Name) and obj.value.value == "self"):
        return None
    cls = ctx.index.class_of(ctx.func)
    return cls.annotations.get(obj.attr.value) if cls is not None else None


def _lineage(found, project) -> List:
    """The class `found` (class, its module index, its path) names, then its project base classes."""
    from . import callees

    return [cls for cls, _, _ in [found, *callees.base_classes(found[0], found[1], project, found[2])]]


# what makes a value unique when an object is made: a field defaulting to one of these is an id
FRESH_IDS = frozenset({"uuid1", "uuid4", "uuid6", "uuid7", "ulid", "ULID"})


def _fresh_defaults(cls) -> bool:
    """The class gives every new object a fresh unique value (`correlation_id: str =
    field(default_factory=lambda: str(uuid.uuid4()))`, `self.event_uuid = uuid4()` in `__init__`):
    whatever that field is named, the object carries an id."""
    for values in cls.attr_values.values():
        for value, owner, _ in values:
            if owner is not None and owner.name != "__init__":
                continue
            for node in walk(value):
                name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
                if name in FRESH_IDS:
                    return True
    return False


def _fresh_id_fields(func: cst.BaseExpression, ctx: Ctx) -> List[str]:
    """`["id"]` when `func` names a project class (or a project base of it) whose objects get a fresh
    unique value when made (`_fresh_defaults`), else `[]`: `RawEvent(event_name=..., payload=...)`."""
    from . import callees  # it imports the adapters, which import this module's siblings

    found = callees.class_named(func, ctx, ctx.index.path)
    return ["id"] if found is not None and any(map(_fresh_defaults, _lineage(found, ctx.index.project))) else []


def _built_up_values(expr: cst.BaseExpression, ctx: Ctx) -> Optional[List[str]]:
    """The keys written into the entries of a dict display that are locals the function builds up
    by subscript (`steps[str(n)] = step`), down to the locals stored in them; None when no entry
    is such a local."""
    func = ctx.func
    if func is None or not isinstance(expr, cst.Dict):
        return None
    names = [el.value.value for el in expr.elements
             if isinstance(el, cst.DictElement) and isinstance(el.value, cst.Name)
             and any(base == el.value.value for base, _ in func.subscripts)]
    if not names:
        return None
    writes = _subscript_writes(func)
    keys: List[str] = []
    todo, seen = list(names), set()
    while todo and len(seen) < 8:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for written, stored in writes.get(name, ()):
            keys.extend(written)
            if stored is not None:
                todo.append(stored)
    return keys


def _subscript_writes(func: FunctionInfo) -> dict:
    """Per local, what `local[...][...] = value` writes into it: (the literal keys along the chain,
    the local stored when the value is a plain name). The function's own body, not nested ones."""
    out: dict = {}
    for node in walk(func.node.body, into_scopes=False):
        if not isinstance(node, cst.Assign):
            continue
        value = node.value.value if isinstance(node.value, cst.Name) else None
        for target in node.targets:
            cur, chain = target.target, []
            while isinstance(cur, cst.Subscript):
                element = cur.slice[0].slice if cur.slice else None
                key = string_value(element.value) if isinstance(element, cst.Index) else None
                if key is not None:
                    chain.append(key)
                cur = cur.value
            if isinstance(cur, cst.Name) and cur is not target.target:
                out.setdefault(cur.value, []).append((chain, value))
    return out


def _written_keys(expr: cst.Dict) -> List[str]:
    """The string keys a dict display writes out (beside any `**spread` it also holds)."""
    return [k for k in (string_value(el.key) for el in expr.elements if isinstance(el, cst.DictElement))
            if k is not None]


def _given_keys(name: str, ctx: Ctx) -> List[str]:
    """The keys a dict the function fills in is given or read with (`payload["id"] = ...`,
    `log(event["event_id"])`), and those of the literal it started from."""
    keys = sorted(key for base, key in ctx.func.subscripts if base == name)
    keys += constant_keys(name, ctx)
    start = bound_once(name, ctx.func)
    if start is not None:
        # the literal it started from: its keys are given too (those written out, beside a spread)
        keys += dict_keys(start) or (_written_keys(start) if isinstance(start, cst.Dict) else [])
        # or the whole object it is a copy of (`data = asdict(self)`, then `data["from"] = ...`)
        keys += _spread_fields(start, ctx) or []
    return keys


def _constant_keyed(expr: cst.Dict, ctx: Ctx) -> cst.Dict:
    """`{META_FIELD: ..., PAYLOAD_FIELD: ...}` with each key a module constant bound once to a string
    (`key_string`) written out as that string: the keys the message has. The values are the display's
    own nodes."""
    elements, changed = [], False
    for el in expr.elements:
        text = key_string(el.key, ctx) if isinstance(el, cst.DictElement) and isinstance(el.key, cst.Name) else None
        if text is not None and ctx.func is not None and el.key.value in ctx.func.params:
            text = None  # a parameter holds whatever key its caller passes
        elements.append(el.with_changes(key=cst.SimpleString(repr(text))) if text is not None else el)
        changed = changed or text is not None
    return expr.with_changes(elements=elements) if changed else expr


def _builder_return(call: cst.Call, ctx: Ctx) -> Optional[Tuple[cst.BaseExpression, Ctx]]:
    """What a project function returns (its single `return` value), and where to read it: a function
    of this module called by name, or, in a project scan, one of another module
    (`codec.encode_request(request, rid=rid)`)."""
    if isinstance(call.func, cst.Name) and call.func.value in ctx.index.module_functions:
        func = ctx.index.module_functions[call.func.value]
        return (func.returns[0], Ctx(ctx.index, func, set())) if len(func.returns) == 1 else None
    method = func_ref(call.func, ctx) if isinstance(call.func, cst.Attribute) else None
    if method is not None and method is not ctx.func:  # `self._build_event(...)`: a builder method of the class
        return (method.returns[0], Ctx(ctx.index, method, set())) if len(method.returns) == 1 else None
    project = ctx.index.project
    if not isinstance(call.func, cst.Attribute if project is None else (cst.Name, cst.Attribute)):
        return None  # (alone, a method of an object of one of the module's classes is read too)
    from . import callees  # it imports the adapters, which import this module's siblings

    callee = callees.resolve(call.func, ctx, project, ctx.index.path)
    if callee is None or len(callee.func.returns) != 1 or callee.func is ctx.func:
        return None
    returned = callee.func.returns[0]
    shown = _resolve_local(returned, callee.func)
    if callee.path is None and not (_template(shown) or isinstance(shown, cst.Dict)):
        # this module's own methods are read where they are called, but for a formatter of a class
        # of it called on a local (`notification = Notify(...)`, then `notification.failure_text(ctx)`
        # returning `"DAG {dag} failed".format(...)`), or for a dict display it returns (a record's
        # `to_dict()`): the text or the mapping is written there
        return None
    return returned, Ctx(callee.index, callee.func, set())


def _id_payload(expr: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """The payload, through serialising wrappers and local names, is a bare id."""
    for _ in range(4):
        if expr is None:
            return False
        if is_id_value(expr):
            return True
        inner = unwrap(expr)
        if inner is None:
            resolved = _resolve_local(expr, ctx.func)
            if resolved is expr:
                return False
            inner = resolved
        expr = inner
    return False


def is_id_value(expr: Optional[cst.BaseExpression]) -> bool:
    """A payload that is itself an id: `crash_id`, `order.id`, `str(order.number)`, `f"{order_id}"`."""
    if isinstance(expr, cst.FormattedString):
        parts = [p for p in expr.parts if not (isinstance(p, cst.FormattedStringText) and not p.value.strip())]
        if len(parts) == 1 and isinstance(parts[0], cst.FormattedStringExpression):
            return is_id_value(parts[0].expression)
        return False
    if isinstance(expr, cst.Call) and (dotted(expr.func) or "") in ("str", "bytes", "int") and expr.args:
        return is_id_value(expr.args[0].value)
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        key = string_value(expr.slice[0].slice.value)
        return key is not None and is_id_field(key)
    name = expr.attr.value if isinstance(expr, cst.Attribute) else expr.value if isinstance(expr, cst.Name) else ""
    return bool(name) and (is_id_field(name) or normal(name) in ID_PAYLOAD_WORDS)


# The words of a value's name that make it the id of a message or an event, not of the thing a
# message is about (`site_id`, `task_id`, `dag_id` name a site, a task, a DAG; an alert about one
# is sent again for every new reading of it)
MESSAGE_ID_WORDS = {"message", "msg", "event", "request", "req", "delivery", "notification", "dedup",
                    "idempotency", "uuid", "guid", "correlation", "trace", "nonce", "run", "execution"}


def _text_parts(expr: cst.BaseExpression) -> list:
    """The parts of the f-strings a text is written with, one f-string or several written one after
    the other (`f"a {x}" f"b {y}"`); empty for a text of plain strings."""
    if isinstance(expr, cst.FormattedString):
        return list(expr.parts)
    if isinstance(expr, cst.ConcatenatedString):
        return _text_parts(expr.left) + _text_parts(expr.right)
    return []


def _text_id(expr: cst.BaseExpression) -> bool:
    """A value formatted into a text message that lets a reader of the text drop a repeat: one made
    unique where the text is written (`uuid4()`), or an id of the message or event itself
    (`event_id`, `msg.id`, `self.request.id`). An entity's id in prose (`f"Site {site_id}: stock
    low"`) names what the text is about, and every text about it carries it."""
    if _made_unique(expr):
        return True
    if not is_id_value(expr):
        return False
    words = set()
    for node in walk(expr):
        if isinstance(node, cst.Name):
            words.update(w for w in re.split(r"[^a-z0-9]+", node.value.lower()) if w)
    return bool(words & MESSAGE_ID_WORDS)


# Names of a bare value that identifies the thing it is sent about (an order number, a crash id, a
# task's `uid` pushed onto a work list).
ID_PAYLOAD_WORDS = {"number", "order_number", "crash_id", "uuid", "uid", "pk"}


def is_constant(expr: Optional[cst.BaseExpression], ctx: Ctx, depth: int = 0) -> bool:
    """A payload made only of literals (`"ping"`, `{"ping": "1"}`, `json.dumps({"op": "wake"})`).
    Nesting deeper than `MAX_NESTING` (or a local that holds itself: `msg = {"msg": msg}`) is not."""
    if depth > MAX_NESTING:
        return False
    expr = _resolve_local(expr, ctx.func)
    inner = unwrap(expr) if expr is not None else None
    if inner is not None:
        return is_constant(inner, ctx, depth + 1)
    if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float)) \
            or isinstance(expr, cst.ConcatenatedString) and not _text_parts(expr):
        return True  # (not `f"a {x}" "b"`: an f-string among the pieces formats values in)
    if isinstance(expr, cst.Name):
        if expr.value in ("True", "False", "None"):
            return True
        # `BODY = b'{"op": "ping"}'` at module level, bound once: a module constant
        func = ctx.func
        while func is not None and expr.value not in func.assigns and expr.value not in func.params:
            func = func.parent
        values = ctx.index.module_assigns.get(expr.value, ()) if func is None else ()
        return len(values) == 1 and values[0][1] is None and values[0][2] == "=" and \
            is_constant(values[0][0], Ctx(ctx.index, None), depth + 1)
    if isinstance(expr, cst.Dict):
        return all(isinstance(el, cst.DictElement) and is_constant(el.key, ctx, depth + 1)
                   and is_constant(el.value, ctx, depth + 1) for el in expr.elements)
    if isinstance(expr, (cst.List, cst.Tuple)):
        return all(is_constant(el.value, ctx, depth + 1) for el in expr.elements)
    return False


MAX_NESTING = 8  # payload displays read this deep (a local that holds itself never ends)


def _resolve(expr: cst.BaseExpression, ctx: Ctx) -> cst.BaseExpression:
    """A local name's value, or `self.properties` as another method of the class set it (`connect()`)."""
    expr = _resolve_local(expr, ctx.func) or expr
    cls = ctx.index.class_of(ctx.func)
    if isinstance(expr, cst.Attribute) and dotted(expr.value) == "self" and cls is not None:
        values = _attribute_values(cls, expr.attr.value)
        if len(values) == 1:
            return values[0][0]
    return expr


def _attribute_values(cls, name: str) -> List[Tuple[cst.BaseExpression, FunctionInfo]]:
    """What the methods of `cls` give `self.<name>` with a plain `=`, less `None` (an `__init__`
    placeholder): (value, the method)."""
    return [(value, owner) for value, owner, how in cls.attr_values.get(name, ())
            if owner is not None and how == "=" and not (isinstance(value, cst.Name) and value.value == "None")]


def _inherited(expr: cst.BaseExpression, ctx: Ctx) -> Optional[Tuple[cst.BaseExpression, Ctx]]:
    """`self.<name>` that the class never assigns and its nearest project base class that does
    assigns once (`self._properties = pika.BasicProperties(...)` in a base `__init__`): that value,
    with the context of the base's method, to be read in its own module."""
    if not (isinstance(expr, cst.Attribute) and dotted(expr.value) == "self") or ctx.func is None:
        return None
    cls = ctx.index.class_of(ctx.func)
    project = ctx.index.project
    if cls is None or project is None or expr.attr.value in cls.attr_values:
        return None
    from . import callees

    for base, base_index, _ in callees.base_classes(cls, ctx.index, project, ctx.index.path):
        if expr.attr.value in base.attr_values:
            values = _attribute_values(base, expr.attr.value)
            return (values[0][0], Ctx(base_index, values[0][1])) if len(values) == 1 else None
    return None


def _alternatives(expr: cst.BaseExpression, ctx: Ctx) -> List[cst.BaseExpression]:
    """The values a local assigned more than once holds (plain `=` each, none of them built up
    afterwards); [] for anything else."""
    func = ctx.func
    if not isinstance(expr, cst.Name) or func is None:
        return []
    values = func.assigns.get(expr.value, [])
    if len(values) < 2 or any(idx is not None or how != "=" for _, idx, how in values) or _mutated(expr.value, func):
        return []
    return [value for value, _, _ in values]


def carries_id(expr: cst.BaseExpression, ctx: Ctx) -> Optional[bool]:
    """Whether a properties/headers/attributes expression carries an id (None: cannot tell)."""
    inherited = _inherited(expr, ctx)
    if inherited is not None:
        return carries_id(*inherited)
    expr = _resolve(expr, ctx)
    several = _alternatives(expr, ctx)
    if several:  # `headers = []`, then `headers = [("env", ...)]` in a branch: each value decides
        found = [carries_id(value, ctx) for value in several]
        return None if None in found else any(found)
    if isinstance(expr, cst.Name) and ctx.func is not None and _mutated(expr.value, ctx.func):
        keys = _literal_keys(expr.value, ctx.func)  # `headers = {}`, then `headers["topic"] = topic`
        if keys is not None:
            return any(is_id_field(k) for k in keys)
    if isinstance(expr, cst.Call):
        given = kwarg(expr, "message_id")
        if given is not None and not _publisher_own(given, ctx):
            return True
        headers = kwarg(expr, "headers") or kwarg(expr, "application_properties")
        if headers is not None:
            return carries_id(headers, ctx)
        if any(a.keyword is None or a.star for a in expr.args):
            return None
        return any(is_id_field(a.keyword.value) and not _publisher_own(a.value, ctx)
                   for a in expr.args if a.keyword is not None)
    keys = dict_keys(expr)
    if keys is None and isinstance(expr, cst.Dict):
        keys = _constant_display_keys(expr, ctx)
    if keys is not None:
        own = {string_value(el.key) for el in expr.elements if isinstance(el, cst.DictElement)
               and _publisher_own(el.value, ctx)} if isinstance(expr, cst.Dict) else set()
        return any(is_id_field(k) and k not in own for k in keys)
    if isinstance(expr, (cst.List, cst.Tuple)):
        names = []
        for el in expr.elements:
            inner = el.value
            if isinstance(inner, cst.Tuple) and inner.elements:
                key = string_value(inner.elements[0].value)
                if key is None:
                    return None
                names.append(key)
            else:
                return None
        return any(is_id_field(k) for k in names)
    if isinstance(expr, cst.Name) and expr.value == "None":
        return False
    return None


def _publisher_own(value: cst.BaseExpression, ctx: Ctx) -> bool:
    """An id entry whose value is the publisher's, the same in every message it sends: an attribute
    the object set only in `__init__` (`id=self.internal_id`, a client's name made when it started)
    or a constant written out. It names the sender, not the message."""
    return literal(value) or configured(value, ctx)


def key_string(key: cst.BaseExpression, ctx: Ctx) -> Optional[str]:
    """A dict display's key as text: a string, or a module constant bound once to one (`X_DELAY`
    after `X_DELAY = "x-delay"`, not a local of the function)."""
    text = string_value(key)
    if text is None and isinstance(key, cst.Name) and (ctx.func is None or key.value not in ctx.func.assigns):
        values = ctx.index.module_assigns.get(key.value, ())
        if len(values) == 1 and values[0][1] is None and values[0][2] == "=":
            text = string_value(values[0][0])
    return text


def _constant_display_keys(expr: cst.Dict, ctx: Ctx) -> Optional[List[str]]:
    """The keys of a dict display whose keys are strings or module constants bound once to one
    (`{X_DELAY: delay}` after `X_DELAY = "x-delay"`); None when one is neither."""
    keys = []
    for el in expr.elements:
        if isinstance(el, cst.StarredDictElement):
            return None
        key = key_string(el.key, ctx)
        if key is None:
            return None
        keys.append(key)
    return keys


# the libraries whose message id is a property beside the body (AMQP's `message_id`): a copy made
# from a delivered message's body and headers leaves it behind
PROPERTY_ID_LIBRARIES = ("pika", "aio_pika", "aiormq", "kombu")


def copied_headers(expr: cst.BaseExpression, ctx: Ctx, message: Set[str]) -> bool:
    """`headers=message.headers` (or `dict(message.headers or {})`, `message.headers.copy()`, through a
    local that adds no id key) of a message the function was given or received (`message`, the
    names holding it): over AMQP its id is the `message_id` property, which a copy of the headers
    does not carry."""
    for _ in range(4):
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict" \
                and len(expr.args) == 1 and not expr.args[0].keyword:
            expr = expr.args[0].value
        elif isinstance(expr, cst.BooleanOperation):
            expr = expr.left
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "copy" \
                and not expr.args:
            expr = expr.func.value
        elif isinstance(expr, cst.Name) and ctx.func is not None and len(ctx.func.assigns.get(expr.value, ())) == 1:
            if not _adds_plain_keys(expr.value, ctx.func):
                return False  # `headers["x-message-id"] = ...`, or a key not in view: it may add an id
            expr = ctx.func.assigns[expr.value][0][0]
        else:
            break
    if not (isinstance(expr, cst.Attribute) and expr.attr.value == "headers" and isinstance(expr.value, cst.Name)):
        return False
    return expr.value.value in message


def _adds_plain_keys(name: str, func: FunctionInfo) -> bool:
    """Every key the function adds to the mapping `name` is in view and none is an id
    (`headers.update({"x-failure-reason": reason})`, `headers["x-retry"] = n`)."""
    if any(base == name for base, _ in func.subscript_names):
        return False
    if any(base == name and _id_like_key(key) for base, key in func.subscripts):
        return False
    for call in func.calls:
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) \
                and call.func.value.value == name and call.func.attr.value in ("update", "setdefault", "__setitem__"):
            keys = [_key_text(a.value) for a in call.args[:1]] if call.func.attr.value != "update" \
                else ([_key_text(el.key) if isinstance(el, cst.DictElement) else None
                       for el in call.args[0].value.elements]
                      if len(call.args) == 1 and not call.args[0].keyword and isinstance(call.args[0].value, cst.Dict)
                      else None)
            if keys is None and call.func.attr.value == "update":
                keys = [a.keyword.value for a in call.args if a.keyword is not None] \
                    if all(a.keyword is not None for a in call.args) else None
            if keys is None or any(k is None or _id_like_key(k) for k in keys):
                return False
    return True


# the words of a key or of the constant that names one which make it an id (`MESSAGE_ID_HEADER`)
ID_KEY_WORDS = frozenset({"id", "uuid", "guid", "msgid", "dedup", "idempotency", "key"})


def _id_like_key(key: str) -> bool:
    return is_id_field(key) or bool(set(re.split(r"[^a-z0-9]+", key.lower())) & ID_KEY_WORDS)


def _key_text(expr: cst.BaseExpression) -> Optional[str]:
    """A mapping key as text: a string, or the name of the constant that holds one
    (`settings.RETRY_HEADER`), which says what the key is for."""
    text = string_value(expr)
    if text is None and isinstance(expr, (cst.Name, cst.Attribute)):
        text = (dotted(expr) or "").split(".")[-1] or None
    return text


# Properties whose value is a mapping of headers, each of which may be an id slot of its own.
HEADER_SLOTS = {"headers", "application_properties", "properties", "attributes"}
# Set to the request's id by an RPC reply or a forwarded message: an id slot though not a unique id.
CORRELATION = {"correlation_id", "correlationid"}


def _slot(name: str) -> bool:
    return is_id_field(name) or normal(name) in CORRELATION


def id_values(expr: cst.BaseExpression, ctx: Ctx) -> List[cst.BaseExpression]:
    """The values a properties/headers/attributes expression puts in id slots.

    `BasicProperties(reply_to=props.reply_to, message_id=x)` -> `[x]`: `reply_to`, a copied
    tenant header or `app_id` are not ids, however much of the incoming message they mention.
    An expression that is neither a constructor with keywords nor a literal mapping is the value
    of an id slot itself (`message_id=msg.message_id` as the adapter hands it over).
    """
    expr = _resolve(expr, ctx)
    if isinstance(expr, cst.Call) and all(a.keyword is not None and not a.star for a in expr.args):
        out: List[cst.BaseExpression] = []
        for arg in expr.args:
            name = arg.keyword.value  # type: ignore[union-attr]
            if name in HEADER_SLOTS:
                out.extend(id_values(arg.value, ctx))
            elif _slot(name):
                out.append(arg.value)
        return out
    if isinstance(expr, cst.Dict):
        return [el.value for el in expr.elements
                if isinstance(el, cst.DictElement) and _slot(key_string(el.key, ctx) or "")]
    if isinstance(expr, (cst.List, cst.Tuple)):
        return [el.value.elements[1].value for el in expr.elements
                if isinstance(el.value, cst.Tuple) and len(el.value.elements) == 2
                and _slot(string_value(el.value.elements[0].value) or "")]
    return [expr]


def payload_id_values(expr: Optional[cst.BaseExpression], ctx: Ctx) -> List[cst.BaseExpression]:
    """The values a payload written out as a mapping (through serialising wrappers and a local bound
    once) puts under id fields, its keys strings or module constants bound to one: `{**fields,
    "_origin_id": str(entry_id)}` -> `[str(entry_id)]`; or the id keywords of the object or builder
    call it is made by, as `fields` reads them (`JobResult(job_id=job["job_id"], ...)`,
    `build_result_message(job_id=execution.job_id, ...)`)."""
    for _ in range(4):
        if expr is None:
            return []
        inner = unwrap(expr)
        resolved = _resolve_local(inner if inner is not None else expr, ctx.func)
        if resolved is expr or resolved is None:
            break
        expr = resolved
    if isinstance(expr, cst.Dict):
        return [el.value for el in expr.elements
                if isinstance(el, cst.DictElement) and _slot(key_string(el.key, ctx) or "")]
    if isinstance(expr, cst.Call):
        return [a.value for a in expr.args if a.keyword is not None and _slot(a.keyword.value)] \
            + _positional_id_values(expr, ctx)
    return []


def _positional_id_values(call: cst.Call, ctx: Ctx) -> List[cst.BaseExpression]:
    """What a call of a project class (or function of this module) passes by position for a parameter
    named like an id (`DLRContentForHttpapi(status, msgid, url, level)`, whose `__init__(self,
    message_status, msgid, ...)` puts `msgid` in the message's `message-id`)."""
    from . import callees  # it imports the adapters, which import this module's siblings

    if not any(a.keyword is None and not a.star for a in call.args):
        return []
    target: Optional[FunctionInfo] = None
    if isinstance(call.func, cst.Name) and call.func.value in ctx.index.module_functions:
        target = ctx.index.module_functions[call.func.value]
    elif (dotted(call.func) or "").rpartition(".")[2][:1].isupper():
        found = callees.class_named(call.func, ctx, ctx.index.path)
        target = next((cls.methods["__init__"] for cls in _lineage(found, ctx.index.project)
                       if "__init__" in cls.methods), None) if found is not None else None
    if target is None:
        return []
    given = {a.keyword.value for a in call.args if a.keyword is not None}
    values = [argument(call, target, p) for p in target.params if p not in given and _slot(p)]
    return [v for v in values if v is not None]


__all__ = ["fields", "carries_id", "is_constant", "id_values", "payload_id_values"]


# Where a person's input comes in: `input()`, the standard input, the command line.
OPERATOR_ORIGINS = ("sys.stdin", "sys.argv", "fileinput.input", "argparse.")
CLI_ROOTS = ("click", "typer")


def typed_by_operator(expr: Optional[cst.BaseExpression], ctx: Ctx) -> bool:
    """The payload is what a person typed: read with `input()` or from the standard input, taken
    from the command line (`sys.argv`, argparse's namespace), or a parameter of a click / typer
    command. A command-line tool that publishes it sends an operator's message, not one the
    application builds: giving it an id is the operator's business (`kafka-console-producer`,
    `celery amqp basic.publish`)."""
    return expr is not None and ctx.func is not None and _operator_value(expr, ctx, set(), 0)


def _operator_value(expr: cst.BaseExpression, ctx: Ctx, seen: set, depth: int) -> bool:
    if depth > 8:
        return False
    d = depth + 1
    if isinstance(expr, cst.Call):
        inner = unwrap(expr)
        if inner is None and isinstance(expr.func, cst.Attribute) and not expr.args or (
                isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("strip", "rstrip", "lstrip")):
            inner = expr.func.value  # `value.strip()`, `line.rstrip("\n")`
        if inner is None and len(expr.args) == 1 and expr.args[0].keyword is None and isinstance(expr.func, cst.Name) \
                and expr.func.value[:1].isupper():
            inner = expr.args[0].value  # `Message(msg)`: the library's envelope around it
        if inner is not None:
            return _operator_value(inner, ctx, seen, d)
        if isinstance(expr.func, cst.Name) and expr.func.value == "input" and ctx.origin(expr.func) in (None, "input"):
            return True
    origin = ctx.origin(expr) or ""
    if origin.startswith(OPERATOR_ORIGINS):
        return True
    if isinstance(expr, cst.Subscript):
        return _operator_value(expr.value, ctx, seen, d)  # `sys.argv[1]`, `args.lines[0]`
    if not isinstance(expr, cst.Name):
        return False
    func = ctx.func
    name = expr.value
    if name in seen:
        return _cli_parameter(name, func, ctx)  # `msg = Message(msg)`: the parameter it wraps
    seen = seen | {name}
    values = [value for value, idx, how in func.assigns.get(name, ()) if how == "="]
    loops = [loop for loop in func.fors if isinstance(loop.target, cst.Name) and loop.target.value == name]
    if values or loops:
        return all(_operator_value(v, ctx, seen, d) for v in values) and all(
            (ctx.origin(loop.iter) or "").startswith(OPERATOR_ORIGINS) for loop in loops)
    return _cli_parameter(name, func, ctx)


def _cli_parameter(name: str, func: FunctionInfo, ctx: Ctx) -> bool:
    """`name` is a parameter of a click or typer command (`@click.argument("msg")`, `@app.command()`)."""
    if name not in func.params:
        return False
    for decorator in func.decorators:
        expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        origin = ctx.origin(expr) or ""
        if origin.split(".")[0] in CLI_ROOTS or origin.split(".")[0] == "" and isinstance(expr, cst.Attribute) \
                and expr.attr.value == "command" and ctx.imports(*CLI_ROOTS):
            return True
    return False

