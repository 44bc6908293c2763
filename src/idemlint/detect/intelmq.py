"""IntelMQ (CERT event-processing bots): a bot's `process()` acks and forwards through its base class.

A bot is a subclass of `intelmq.lib.bot.Bot` (or `ParserBot`, `CollectorBot`, `ExpertBot`,
`OutputBot`); the framework calls its `process()` once per message (intelmq 3.x `lib/bot.py`):
- `self.receive_message()` takes the next message from the source pipeline (Redis `BLMOVE` /
  `BRPOPLPUSH` into the bot's internal queue, or an AMQP `basic_get`);
- `self.send_message(*messages, path="_default")` pushes each message to the destination queues
  (Redis `LPUSH`; AMQP `basic_publish` with `BasicProperties(delivery_mode=2)`, no `message_id`).
  An IntelMQ event or report has no message id (its harmonisation has no such field; the
  project's own dedup is the deduplicator bot's content hash);
- `self.acknowledge_message()` acks the message taken last (Redis pops the internal queue, AMQP
  `basic_ack`s it). A bot killed between its work and this call gets the message again when it
  restarts.
Inside IntelMQ's own sources the base class is project code, which the engine follows instead.
"""

from __future__ import annotations

from typing import Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import positional
from ..model import STRONG
from .base import AckSite, Adapter, Ctx, ProduceSite, root_words

ROOTS = ("intelmq",)
BASES = tuple(f"intelmq.lib.bot.{name}" for name in ("Bot", "ParserBot", "CollectorBot", "ExpertBot", "OutputBot",
                                                      "SQLBot"))
ACK = "acknowledge_message"
SEND = "send_message"


def _bot_method(call: cst.Call, name: str, ctx: Ctx) -> bool:
    """`self.<name>(...)` in a method of a class whose base, here or through the project's own base
    classes, is IntelMQ's `Bot` family from the installed library (not the project's own copy)."""
    from ..facts import callees  # the facts import the adapters

    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == name and isinstance(func.value, cst.Name)
            and func.value.value == "self" and ctx.func is not None):
        return False
    index = ctx.index
    cls = index.class_of(ctx.func)
    if cls is None:
        return False
    project = index.project
    lineage = [(cls, index, index.path), *callees.base_classes(cls, index, project, index.path)]
    for klass, where, path in lineage:
        for base in klass.bases:
            origin = where.resolve(base, None) or ""
            if origin in BASES:
                return project is None or not project.is_project_origin(origin, path)
    return False


class IntelMQAdapter(Adapter):
    library = "intelmq"
    roots = ROOTS
    tokens = ROOTS
    gate_needs = dict.fromkeys((ACK, SEND), root_words(ROOTS))
    ack_names = frozenset([ACK])
    produce_names = frozenset([SEND])

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        if not _bot_method(call, ACK, ctx):
            return None
        return AckSite("intelmq", STRONG, "IntelMQ `self.acknowledge_message()` (acks the message the bot took last)")

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        if not _bot_method(call, SEND, ctx):
            return None
        # `send_message(*messages, path=...)`: an IntelMQ message has no id field, and the pipeline
        # (Redis `LPUSH`, AMQP `basic_publish`) adds none
        return ProduceSite("intelmq", "IntelMQ `send_message()`", positional(call, 0), idless_messages=True,
                           evidence="IntelMQ `self.send_message()` (a Redis `LPUSH` or AMQP `basic_publish` "
                                    "of the serialised event, with no message id)")


__all__ = ["IntelMQAdapter"]
