"""nats-py JetStream: `js.subscribe(subject, cb=fn)` acks after `fn`, `js.publish(..., headers={"Nats-Msg-Id": ...})`."""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, kwarg, positional, string_value
from ..model import WEAK
from .base import Adapter, Ctx, HandlerSite, ProduceSite, handler_ref, kw_true, receiver_last, root_words

ROOTS = ("nats",)


def _is_jetstream(call: cst.Call, ctx: Ctx) -> bool:
    origin = ctx.origin(call.func.value) if isinstance(call.func, cst.Attribute) else None
    if origin is not None:
        return ".jetstream()" in origin
    last = receiver_last(call).lower()
    return ctx.imports(*ROOTS) and (last in ("js", "jetstream") or last.endswith("_js") or "jetstream" in last)


def _core_client(call: cst.Call, ctx: Ctx) -> bool:
    """`nc.publish(...)` on a core NATS client (`await nats.connect(...)`, `nats.aio.client.Client()`):
    a JetStream stream that captures the subject stores it (with no publish ack), and a publisher
    that retries sends it twice. The client must resolve: a `publish` on anything else is not one."""
    origin = ctx.origin(call.func.value) if isinstance(call.func, cst.Attribute) else None
    return bool(origin) and origin in CORE_CLIENTS


CORE_CLIENTS = frozenset({"nats.connect()", "nats.aio.client.Client()", "nats.NATS()", "nats.aio.client.NATS()"})


def reply_subject(subject: Optional[cst.BaseExpression]) -> bool:
    """`msg.reply`: a request's reply inbox (`facts.publishers` follows it through helpers)."""
    return isinstance(subject, cst.Attribute) and subject.attr.value == "reply"


# JetStream rejects a publish whose expected last sequence (of the stream or the subject) or last
# message id no longer matches: a replayed publish fails instead of adding a second message
# (nats-py `nats.js.api.Header`).
COMPARE_AND_SET = {"Nats-Expected-Last-Sequence", "Nats-Expected-Last-Subject-Sequence", "Nats-Expected-Last-Msg-Id"}
CAS_CONSTANTS = {"EXPECTED_LAST_SEQUENCE", "EXPECTED_LAST_SUBJECT_SEQUENCE", "EXPECTED_LAST_MSG_ID"}


def _compare_and_set(headers: cst.BaseExpression, ctx: Ctx) -> bool:
    if isinstance(headers, cst.Name) and ctx.func is not None and len(ctx.func.assigns.get(headers.value, ())) == 1:
        headers = ctx.func.assigns[headers.value][0][0]
    if not isinstance(headers, cst.Dict):
        return False
    for el in headers.elements:
        if isinstance(el, cst.DictElement):
            key = string_value(el.key)
            if key in COMPARE_AND_SET or (dotted(el.key) or "").split(".")[-1] in CAS_CONSTANTS:
                return True
    return False


class NatsAdapter(Adapter):
    library = "nats"
    roots = ROOTS
    tokens = ("nats", "jetstream")
    site_words = ("subscribe",)  # JetStream `subscribe(cb=...)`
    gate_needs = dict.fromkeys(("publish", "publish_async", "subscribe"), root_words(ROOTS))
    ack_names = frozenset()
    produce_names = frozenset(['publish', 'publish_async'])

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("publish", "publish_async")):
            return None
        core = not _is_jetstream(call, ctx)
        if core and not _core_client(call, ctx):
            return None
        site = ProduceSite("nats", "core NATS `publish()`" if core else "JetStream `publish()`",
                           kwarg(call, "payload") or positional(call, 1),
                           evidence="core NATS `nc.publish()`" if core else "JetStream `js.publish()`",
                           core_subject=core)
        if core and reply_subject(kwarg(call, "subject") or positional(call, 0)):
            site.has_id = True  # `nc.publish(msg.reply, ...)`: a reply the requester matches by its inbox
            site.evidence += " to a request's reply subject"
        headers = kwarg(call, "headers")
        if headers is not None:
            site.id_exprs.append(headers)
            if _compare_and_set(headers, ctx):
                site.conditional = site.has_id = True
                site.evidence += " with a compare-and-set header (a repeat is rejected)"
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            ctx = Ctx(index, func)
            for call in func.calls:
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "subscribe"):
                    continue
                if not _is_jetstream(call, ctx):
                    continue
                target = handler_ref(kwarg(call, "cb"), ctx)
                if target is None:
                    continue
                if kw_true(call, "manual_ack"):
                    continue  # the callback acks itself (msg.ack() is found in its body)
                yield HandlerSite("nats", target, "framework", WEAK,
                                  "JetStream `subscribe(cb=...)` without `manual_ack=True`",
                                  "nats-py acks after the callback returns")
