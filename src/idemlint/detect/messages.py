"""`message.ack()` and friends: one call shape shared by aio-pika, kombu, Pub/Sub, NATS, FastStream."""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..model import STRONG, UNSEEN, WEAK
from .base import MESSAGE_NAMES, AckSite, Adapter, Ctx, receiver, receiver_last

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
