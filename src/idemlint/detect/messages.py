"""`message.ack()` and friends: one call shape shared by aio-pika, kombu, Pub/Sub, NATS, FastStream."""

from __future__ import annotations

import re
from typing import Optional, Set

from ..lazyimport import cst  # not loaded before first use

from ..codewords import alternation
from ..index import kwarg
from ..model import STRONG, UNSEEN, WEAK
from ..origins import LIBRARY_ROOTS
from ..lazyre import lazy_re
from .base import MESSAGE_NAMES, AckSite, Adapter, Ctx, ModuleWords, ProduceSite, is_mock, receiver, receiver_last

ACK_METHODS = {"ack", "ack_sync", "ack_with_response", "ack_log_error"}
# (import root, library) in the order a module importing several is attributed
LIBRARIES = (
    ("aio_pika", "aio_pika"), ("kombu", "kombu"), ("google.cloud.pubsub", "pubsub"),
    ("google.cloud.pubsub_v1", "pubsub"), ("nats", "nats"), ("faststream", "faststream"),
    ("taskiq", "taskiq"), ("aiormq", "aiormq"),
)
# standard-library containers: what comes out of `asyncio.Queue[Any]` has no type we know
CONTAINERS = {"asyncio", "queue", "collections", "typing", "multiprocessing"}
NOT_MESSAGES = {"socket", "sock", "ws", "websocket", "sio", "client", "callback", "future", "request"}


class MessageAckAdapter(Adapter):
    library = "message"
    roots = tuple(root for root, _ in LIBRARIES)
    tokens = ("ack", "ack_sync", "ack_with_response")
    ack_names = frozenset(['ack', 'ack_log_error', 'ack_sync', 'ack_with_response'])
    produce_names = frozenset()

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ACK_METHODS):
            return None
        method = call.func.attr.value
        last = receiver_last(call)
        if last.lower() in NOT_MESSAGES:
            return None
        origin = ctx.origin(receiver(call))
        if origin is not None and origin.split(".")[0] in CONTAINERS:
            origin = None  # an element of an in-memory queue or collection: of no type we know
        for root, lib in LIBRARIES:
            if ctx.imports(root):
                if origin is not None and not origin.startswith(root):
                    return None  # resolved to something that is not this library's message
                return AckSite(lib, STRONG, f"`{last}.{method}()` on a {lib} message")
        if origin is None and last.lower() in MESSAGE_NAMES:
            return AckSite("unknown", WEAK, f"`{last}.{method}()` (no broker client imported here)")
        if origin is None and last in ctx.message_names:
            # a parameter not named like a message (`lease.ack()`): the design card's fallback
            return AckSite("unknown", UNSEEN, f"`{last}.{method}()` on an object the tool cannot resolve "
                                              "(taken for an ack)")
        return None


class TextbookAckAdapter(Adapter):
    """A bare `ack(msg)` / `acknowledge(msg)` helper: the textbook consumer shape."""

    library = "generic"
    tokens = ("ack", "acknowledge")
    ack_names = frozenset({"ack", "acknowledge"})
    produce_names = frozenset()

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not (isinstance(call.func, cst.Name) and call.func.value in ("ack", "acknowledge")):
            return None
        if not call.args:
            return None
        return AckSite("generic", WEAK, f"`{call.func.value}()` helper")


# `self._producer.publish(topic, messages)`, `kafka_publisher.send(record)`: a client named for
# producing, of a library idemlint does not know (or built where it cannot see)
PRODUCER_NAME = lazy_re(r"(?:^|_)(?:producer|publisher)$", re.I)
PUBLISH_METHODS = ("publish", "produce", "send", "send_message", "send_messages")
# such a call in a module's text (what the gate asks before any parse)
PRODUCER_CALL = lazy_re(rb"(?i)(?<![\w.])(?:\w+\.)*(?:\w*_)?(?:producer|publisher)\s*\.\s*"
                           + alternation(PUBLISH_METHODS).encode() + rb"\s*\(")
PAYLOAD_KEYWORDS = ("message", "messages", "value", "body", "payload", "data", "msg", "record", "records")
ID_KEYWORDS = ("key", "headers", "properties", "message_id", "attributes")


class NamedProducerAdapter(Adapter):
    """The design card's fallback for producers: a publish call on an object named like a producer
    that resolves to no library idemlint knows and to no class of the project (monasca-common's
    `client_factory.get_kafka_producer(...)` whose `publish(topic, messages)` sends to Kafka). Its
    findings are `low`: the client is taken for a message producer by its name."""

    library = "unknown"
    # no prefilter words of its own: a module with no broker word at all is not read for a client
    # named like a producer (the prefilter also decides which base classes may ack)
    tokens = ()
    produce_names = frozenset(PUBLISH_METHODS)

    def may_find(self, words: ModuleWords) -> bool:
        return (not words.found.isdisjoint(PUBLISH_METHODS)
                and (words.names_contain("producer") or words.names_contain("publisher"))
                and PRODUCER_CALL.search(words.source) is not None)

    def gate_vocabulary(self) -> Set[str]:
        return set(PUBLISH_METHODS)

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in PUBLISH_METHODS):
            return None
        last = receiver_last(call)
        if not isinstance(call.func.value, (cst.Name, cst.Attribute)) or not PRODUCER_NAME.search(last) \
                or is_mock(call, ctx):
            return None  # (`get_publisher().send(...)`: what a factory returns is the project's to say)
        origin = ctx.origin(receiver(call))
        if origin is not None and origin.lstrip(".").split(".")[0].split("(")[0] in LIBRARY_ROOTS:
            return None  # a library an adapter knows, which did not take this call
        if origin is not None and (origin.startswith(".") or _in_project(origin, ctx)):
            return None  # something of the project (a factory's return, a module of its own)
        from ..facts import callees  # facts import this module

        if callees.instance_class(call.func.value, ctx) is not None:
            return None  # an object of a class of the project: its method is followed, not guessed
        args = [a for a in call.args if a.keyword is None and not a.star]
        payload = next((kwarg(call, name) for name in PAYLOAD_KEYWORDS if kwarg(call, name) is not None), None)
        if payload is None and args:
            payload = args[1].value if len(args) >= 2 else args[0].value  # `publish(topic, messages)`
        if isinstance(payload, (cst.List, cst.Tuple)) and len(payload.elements) == 1:
            payload = payload.elements[0].value  # a batch of one message: `[json.dumps(envelope)]`
        if payload is None:
            return None
        name = call.func.attr.value
        site = ProduceSite("unknown", f"`{last}.{name}()`", payload, by_name=True,
                           evidence=f"`{last}.{name}()` on an object the tool cannot resolve, taken for a "
                                    "message producer by its name")
        site.id_exprs.extend(kwarg(call, k) for k in ID_KEYWORDS if kwarg(call, k) is not None)
        extra = [a for a in call.args if a.star == "**"]
        if extra:
            site.id_exprs.append(cst.Call(func=cst.Name("properties"), args=extra))
        return site


def _in_project(origin: str, ctx: Ctx) -> bool:
    """`origin` names something in a module of the scanned project."""
    project = ctx.index.project
    if project is None:
        return False
    try:
        return project.find(origin, ctx.index.path) is not None
    except Exception:  # noqa: BLE001 - an origin the project cannot place: not the project's
        return False
