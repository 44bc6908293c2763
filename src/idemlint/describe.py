"""What a detected consumer or producer looks like to a person: how it acks, how it deduplicates,
what its transaction covers, what it does, and the trace behind each of its findings.

Everything is derived from the facts (`model.Consumer.events`, `model.Producer`) generically: an
event kind this module does not know is listed as a side effect of that kind rather than dropped,
so new kinds of the analysis show up without a change here. Pure functions over libcst nodes; the
positions of the returned nodes are resolved by the caller (`analysis`, `inventory`).
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import libcst as cst

from .records import dataclass
from .detect.base import Ctx, dict_keys
from .facts.effects import IDEMPOTENCY_HEADER, SQL_METHODS, sql_kind
from .facts.identity import is_id_name, names_in
from .facts.payload import fields
from .index import ModuleIndex, call_name, dotted, kwarg, positional, string_value
from .model import Consumer, Event, Producer, RawFinding

Unit = Union[Consumer, Producer]

# Event kinds that keep the books of a delivery; every other kind is something the handler does.
BOOKKEEPING = {"ack", "lookup", "marker", "receive", "per-delivery"}
# How each ack mode reads in the inventory (`ack-first` is derived from the events, not detected).
ACK_LABELS = {
    "explicit": "explicit call",
    "framework": "framework, after return",
    "auto": "auto-ack / auto-commit",
    "auto-commit": "auto-commit, later",
    "ack-first": "ack first",
}
DEDUP_LABELS = {"none": "none", "lookup": "lookup by message ID", "natural": "natural idempotency",
                "wrapper": "idempotent wrapper"}
TRANSACTION_LABELS = {"none": "none", "effects": "around the effects",
                      "effects-and-marker": "around effects and marker"}
# Upserts and idempotency keys: a redelivery repeats the call but not its effect.
UPSERT_CALLS = {"update_or_create", "aupdate_or_create", "merge", "on_conflict_do_nothing",
                "on_conflict_do_update", "on_duplicate_key_update", "upsert"}
CONDITIONAL_WRITES = {"put_item", "update_item", "transact_write_items"}
# Where a producer sends: keyword arguments naming the destination, by library convention.
DESTINATION_KEYWORDS = ("exchange", "routing_key", "topic", "QueueUrl", "TopicArn", "TargetArn", "subject",
                        "queue", "queue_name", "topic_name", "stream", "destination", "channel")
# Libraries whose publish call takes the destination as its first positional argument.
POSITIONAL_DESTINATION = {"confluent_kafka", "kafka", "kafka_python", "aiokafka", "nats", "redis_streams", "redis_lists",
                          "pubsub", "pika"}
MAX_TEXT = 48


@dataclass(frozen=True)
class Found:
    """One column of the inventory: a `kind` from a fixed vocabulary, what was seen, and the node."""

    kind: str
    detail: str = ""
    node: Optional[cst.CSTNode] = None


def unique(items: Iterable[str]) -> List[str]:
    out: List[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def main_acks(consumer: Consumer) -> List[Event]:
    """Explicit acks on the main line: not in an early-exit branch, not on the error path."""
    return [e for e in consumer.of("ack") if e.detail != "framework" and not e.early and not e.in_except]


def actions(consumer: Consumer) -> List[Event]:
    """What the handler does that a redelivery would repeat or lose (effects, hand-offs, new kinds)."""
    return [e for e in consumer.events if e.kind not in BOOKKEEPING and not e.in_except]


def ack_first(consumer: Consumer) -> Optional[Event]:
    """A main-line explicit ack that comes before everything the handler does with that message.

    The message is the one received last before the ack (a callback holds one from the start);
    its handling ends at the next receive.
    """
    receives = [e.seq for e in consumer.of("receive")]
    done = actions(consumer)
    for ack in main_acks(consumer):
        start = max((s for s in receives if s < ack.seq), default=0)
        end = min((s for s in receives if s > ack.seq), default=float("inf"))
        handled = [e for e in done if start < e.seq < end]
        if handled and all(e.seq > ack.seq for e in handled):
            return ack
    return None


def ack_aspect(consumer: Consumer) -> Found:
    if consumer.ack_mode == "explicit":
        first = ack_first(consumer)
        if first is not None:
            return Found("ack-first", first.what, first.node)
        acks = main_acks(consumer) or consumer.of("ack")
        if acks:
            return Found("explicit", acks[-1].what, acks[-1].node)
        return Found("explicit", "; ".join(unique(consumer.evidence)), consumer.function.node.name)
    framework = [e for e in consumer.of("ack") if e.detail == "framework"]
    detail = consumer.framework_ack or "; ".join(unique(consumer.evidence))
    node = framework[0].node if framework else consumer.function.node.name
    # Kafka auto-commit commits what earlier polls handed out: later, not when the handler returns
    return Found("auto-commit" if consumer.auto_commit else consumer.ack_mode, detail, node)


def dedup_aspect(consumer: Consumer, index: ModuleIndex) -> Found:
    lookups = consumer.of("lookup")
    wrapper = next((e for e in lookups if e.detail == "wrapper"), None)
    if wrapper is not None:
        return Found("wrapper", wrapper.what, _decorator(consumer, wrapper) or wrapper.node)
    if lookups:
        first = min(lookups, key=lambda e: e.seq)
        detail = first.what
        if first.detail == "state":
            detail = f"state check: {detail}"
        elif first.claim:
            detail = f"claim {detail}"
        return Found("lookup", detail + _via(first), first.node)
    natural = idempotent_calls(consumer, index)
    if natural:
        return Found("natural", natural[0][1], natural[0][0])
    keyed = consumer.of("per-delivery")
    if keyed:
        return Found("none", f"{keyed[0].what} is keyed by a per-delivery handle", keyed[0].node)
    return Found("none")


def _decorator(consumer: Consumer, event: Event) -> Optional[cst.CSTNode]:
    name = event.what.strip("`@")
    for dec in consumer.function.node.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if (dotted(expr) or "").split(".")[-1] == name:
            return dec
    return None


def _via(event: Event) -> str:
    return f" (in `{event.chain[-1]}`)" if event.chain else ""


def idempotent_calls(consumer: Consumer, index: ModuleIndex) -> List[Tuple[cst.Call, str]]:
    """Calls in the handler's own body that are idempotent by construction: an idempotency key or
    header, an upsert, a conditional write. (The analysis drops them as non-effects; this names them.)"""
    ctx = Ctx(index, consumer.function)
    out = []
    for call in consumer.function.calls:
        text = f"`{dotted(call.func) or call_name(call) or 'call'}()`"
        name = call_name(call) or ""
        if kwarg(call, "idempotency_key") is not None or "idempotency_key" in (dict_keys(kwarg(call, "options")) or []):
            out.append((call, f"{text} with `idempotency_key=`"))
            continue
        header = next((k for k in dict_keys(kwarg(call, "headers")) or [] if IDEMPOTENCY_HEADER.search(k)), None)
        if header:
            out.append((call, f"{text} with an `{header}` header"))
        elif name in UPSERT_CALLS or (name in ("bulk_create", "abulk_create") and (
                kwarg(call, "ignore_conflicts") is not None or kwarg(call, "update_conflicts") is not None)):
            out.append((call, f"upsert {text}"))
        elif name in SQL_METHODS and call.args and sql_kind(call.args[0].value, ctx) == "upsert":
            out.append((call, f"upsert via {text}"))
        elif name in CONDITIONAL_WRITES and kwarg(call, "ConditionExpression") is not None:
            out.append((call, f"conditional write {text}"))
    return out


def _markers(consumer: Consumer) -> List[Event]:
    """What records the message as processed: markers, and claims that do not expire."""
    return consumer.of("marker") + [e for e in consumer.of("lookup") if e.claim and e.detail != "lock"]


def _shared(effect: Event, marker: Event) -> bool:
    if effect.txns or marker.txns:
        return bool(set(effect.txns) & set(marker.txns))
    return bool(effect.db and marker.db and effect.db_key and effect.db_key == marker.db_key
                and effect.db_epoch == marker.db_epoch)


def transaction_aspect(consumer: Consumer, scopes: "ScopeFinder") -> Found:
    effects = [e for e in actions(consumer) if e.kind == "effect"]
    if not effects:
        return Found("none")
    markers = _markers(consumer)
    if markers and all(any(_shared(e, m) for m in markers) for e in effects):
        kind = "effects-and-marker"
    elif any(e.txns for e in effects):
        kind = "effects"
    else:
        return Found("none")
    scoped = next((e for e in effects if e.txns), None)
    if scoped is None:  # one session or connection committed once
        return Found(kind, f"one commit of `{effects[0].db_key}`")
    text, node = scopes.find(scoped.txns[0])
    return Found(kind, text, node)


class ScopeFinder:
    """Transaction scopes are recorded as `"<description>@<id of the with/def node>"`; find the node."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.nodes: Optional[dict] = None

    def find(self, scope: str) -> Tuple[str, Optional[cst.CSTNode]]:
        text, _, ident = scope.rpartition("@")
        if not text:
            return scope, None
        if self.nodes is None:
            from .index import walk

            self.nodes = {id(n): n for n in walk(self.module) if isinstance(n, (cst.With, cst.FunctionDef))}
        node = self.nodes.get(int(ident)) if ident.isdigit() else None
        if isinstance(node, cst.FunctionDef):
            node = node.name
        return text, node


def effect_kind(event: Event) -> str:
    """The kind an action is listed under: the effect category (`payment`, `email`, ...), else its event kind."""
    if event.kind == "effect":
        return event.detail or "effect"
    return event.kind


ACK_PHRASES = {
    "explicit": "acks with an explicit call",
    "framework": "acked by the framework after it returns",
    "auto": "acked on receipt",
    "auto-commit": "committed later by Kafka auto-commit",
    "ack-first": "acks before its work",
}


def why_consumer(consumer: Consumer) -> str:
    mode = ack_aspect(consumer).kind
    return (f"`{consumer.symbol}` is a consumer ({consumer.library}; {ACK_PHRASES.get(mode, mode)}): "
            + "; ".join(unique(consumer.evidence)))


def trace(unit: Unit, finding: RawFinding) -> List[Tuple[str, Optional[cst.CSTNode], str]]:
    """The steps behind `finding` of `unit`: (kind, node, message), for `check --show-evidence`.

    A consumer's trace says why it is one, then each event the finding points at (its node and
    related nodes) in source order, with the call chain before an event found in a helper; the ack
    the handler relies on is added when the finding does not point at one.
    """
    if isinstance(unit, Producer):
        return [("producer", unit.call, f"{unit.library} producer: " + "; ".join(unique(unit.evidence)))]
    steps: List[Tuple[str, Optional[cst.CSTNode], str]] = [
        ("consumer", unit.function.node.name, why_consumer(unit))]
    picked: List[Event] = []
    for node in [finding.node] + [n for n, _ in finding.related]:
        event = _event_at(unit, node)
        if event is not None and event not in picked:
            picked.append(event)
    if not any(e.kind == "ack" for e in picked):
        acks = main_acks(unit) or unit.of("ack")
        if acks:
            picked.append(acks[-1])
    for event in sorted(picked, key=lambda e: e.seq):
        if event.chain and event.call_node is not None:
            chain = " -> ".join(f"`{s}`" for s in (unit.symbol, *event.chain))
            steps.append(("call", event.call_node, chain))
        steps.append((event.kind, event.node, event.what))
    return steps


def _event_at(consumer: Consumer, node: cst.CSTNode) -> Optional[Event]:
    """The event recorded at `node`, or the first one reached through the handler-level call `node`."""
    for event in consumer.events:
        if event.node is node:
            return event
    for event in consumer.events:
        if event.call_node is node and event.kind not in BOOKKEEPING:
            return event
    return None


# -- producers -------------------------------------------------------------------------------------


def destination(producer: Producer) -> str:
    """Where a producer sends, as written: `shop / order.placed`, `"orders-paid"`, `NEWSLETTER_QUEUE_URL`."""
    call = producer.call
    parts = [_short(kwarg(call, k)) for k in DESTINATION_KEYWORDS if kwarg(call, k) is not None]
    if not parts and producer.library in POSITIONAL_DESTINATION:
        count = 2 if producer.library == "pika" else 1
        parts = [_short(positional(call, i)) for i in range(count) if positional(call, i) is not None]
    return " / ".join(p for p in parts if p)


def _short(expr: Optional[cst.BaseExpression]) -> str:
    if expr is None:
        return ""
    value = string_value(expr)
    text = value if value is not None else (dotted(expr) or cst.Module([]).code_for_node(expr))
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def identification(producer: Producer, index: ModuleIndex) -> str:
    """How consumers can recognise a repeat of the message, or why they cannot."""
    if not producer.has_id:
        if producer.constant_payload:
            return "none (a constant payload: copies are alike and harmless)"
        if producer.payload_visible:
            return "none: no id in properties, headers or payload"
        if producer.payload_built_here:
            return "none visible (the payload is filled in here from values built elsewhere)"
        if producer.judged_by_callers:
            return "built by each caller, judged at its call"
        return "none visible (the payload is built elsewhere)"
    ctx = Ctx(index, producer.function)
    found = _id_argument(producer.call.args, ctx, outer="")
    if found:
        return found
    if producer.rpc_reply:
        return "an RPC reply, matched by the request's `correlation_id`"
    names = set(names_in(producer.call))
    if "reply_to" in names and "correlation_id" in names:
        return "an RPC request, named by its `correlation_id`"
    if any("properties not visible" in e for e in producer.evidence):
        return "properties built elsewhere (assumed to carry an id)"
    return "; ".join(unique(producer.evidence))


def _id_argument(args: Sequence[cst.Arg], ctx: Ctx, outer: str) -> str:
    inside = f" in `{outer}(...)`" if outer else ""
    for arg in args:
        if arg.keyword is not None and is_id_name(arg.keyword.value):
            return f"`{arg.keyword.value}=`{inside}"
    for arg in args:
        keys = dict_keys(arg.value) or []
        key = next((k for k in keys if is_id_name(k)), None)
        where = f"`{arg.keyword.value}`" if arg.keyword is not None else "the payload"
        if key:
            return f"`{key}` in {where}{inside}"
        if isinstance(arg.value, cst.Call):
            nested = _id_argument(arg.value.args, ctx, dotted(arg.value.func) or "")
            if nested:
                return nested
            _, names = fields(arg.value, ctx)
            key = next((k for k in names if is_id_name(k)), None)
            if key:
                return f"payload field `{key}`"
        elif isinstance(arg.value, cst.Name):
            _, names = fields(arg.value, ctx)
            key = next((k for k in names if is_id_name(k)), None)
            if key:
                return f"payload field `{key}`"
    return ""
