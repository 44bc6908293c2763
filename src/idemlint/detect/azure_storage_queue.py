"""azure-storage-queue (sync and `azure.storage.queue.aio`): `QueueClient.delete_message(msg)` is the ack,
`send_message(content)` the producer. The 2.x API (`QueueService`, still in real services) names the
queue in every call: `put_message(queue_name, content)` is its producer and `delete_message(queue_name,
message_id, pop_receipt)` its ack.

A received message stays in the queue, invisible for its visibility timeout, and comes back
when that lapses without a `delete_message`: at-least-once. `update_message` extends the
timeout (a lease, not an effect); `peek_messages` takes nothing. The service assigns the
message `id`, which is stable across deliveries; the `pop_receipt` changes on each one.
"""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import call_name, children, kwarg, positional
from ..model import STRONG, WEAK
from .base import AckSite, Adapter, Ctx, ProduceSite, keywords, receiver

ROOTS = ("azure.storage.queue",)
CLIENTS = ("QueueClient", "QueueServiceClient", "QueueService")
# keywords of the same method names elsewhere: SQS (`QueueUrl=`), Telegram (`chat_id=`), smtplib
OTHER_KEYWORDS = {"QueueUrl", "ReceiptHandle", "MessageBody", "chat_id", "text", "from_addr", "to_addrs"}


def _strength(call: cst.Call, ctx: Ctx) -> Optional[int]:
    """STRONG if the receiver resolves to the library or the module imports it (and the call has no
    other library's keywords), WEAK for an unresolved receiver given a `pop_receipt`, else None."""
    if keywords(call) & OTHER_KEYWORDS:
        return None
    origin = ctx.origin(receiver(call))
    if origin is not None and not origin.startswith("."):
        return STRONG if origin.startswith(ROOTS) else None
    if ctx.imports(*ROOTS):
        return STRONG
    return WEAK if _mentions_pop_receipt(call) else None


def _mentions_pop_receipt(call: cst.Call) -> bool:
    """`delete_message(msg.id, msg.pop_receipt)` / `delete_message(msg, pop_receipt=...)`."""
    stack: list = list(call.args)
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Arg) and cur.keyword is not None and cur.keyword.value == "pop_receipt":
            return True
        if isinstance(cur, cst.Attribute) and cur.attr.value == "pop_receipt":
            return True
        stack.extend(children(cur))
    return False


class AzureStorageQueueAdapter(Adapter):
    library = "azure_storage_queue"
    roots = ROOTS
    tokens = (*CLIENTS, "pop_receipt")
    gate_needs = dict.fromkeys(("delete_message", "send_message", "put_message"), (*CLIENTS, "pop_receipt", "storage"))
    ack_names = frozenset(["delete_message"])
    produce_names = frozenset(["send_message", "put_message"])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if call_name(call) != "delete_message" or not isinstance(call.func, cst.Attribute) or not call.args:
            return None
        strength = _strength(call, ctx)
        if strength is None:
            return None
        return AckSite("azure_storage_queue", strength, "Azure Storage Queue `delete_message()`")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        name = call_name(call)
        if name not in self.produce_names or not isinstance(call.func, cst.Attribute):
            return None
        if _strength(call, ctx) != STRONG:
            return None  # an unresolved `send_message(x)` may be smtplib's or a chat bot's
        if name == "put_message":  # 2.x `QueueService.put_message(queue_name, content)`
            return ProduceSite("azure_storage_queue", "Azure Storage Queue `put_message()`",
                               positional(call, 1) or kwarg(call, "content"),
                               evidence="Azure Storage Queue 2.x `QueueService.put_message()`")
        return ProduceSite("azure_storage_queue", "Azure Storage Queue `send_message()`",
                           positional(call, 0) or kwarg(call, "content"),
                           evidence="Azure Storage Queue `QueueClient.send_message()`")
