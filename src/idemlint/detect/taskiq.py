"""taskiq: `@broker.task` functions, acknowledged when the broker can ack.

The receiver acks a message after the task has run and its result is saved (`WHEN_SAVED`, the
default; `WHEN_EXECUTED` right after it returns), but only on brokers whose `listen()` yields an
`AckableMessage`: taskiq-aio-pika's `AioPikaBroker`, taskiq-redis's stream brokers
(`RedisStreamBroker` and its cluster and sentinel forms), taskiq-nats's JetStream brokers. There a
task is an at-least-once consumer acked after it returns. A task labelled `ack_type="when_received"`
is acked before it runs, and the list and pub/sub brokers (`ListQueueBroker`, `PubSubBroker`, ...)
never ack: a message is gone once received, so a crash loses it (an auto-ack consumer).
`ack_type="manual"` tasks ack themselves (`await context.ack()`) and are left alone here
(taskiq 0.11 `receiver/receiver.py`, `acks.py`; taskiq-redis 1.x `redis_broker.py`).
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, string_value
from ..model import STRONG, WEAK
from ..lazyre import lazy_re
from .base import Adapter, HandlerSite, decorators, root_words

ROOTS = ("taskiq", "taskiq_redis", "taskiq_aio_pika", "taskiq_nats")
ACKING = {"AioPikaBroker", "RedisStreamBroker", "RedisStreamClusterBroker", "RedisStreamSentinelBroker",
          "PullBasedJetStreamBroker", "PushBasedJetStreamBroker"}
NOT_ACKING = {"ListQueueBroker", "ListQueueClusterBroker", "ListQueueSentinelBroker", "PubSubBroker",
              "PubSubSentinelBroker", "NatsBroker"}
_BROKER = lazy_re(r"^(taskiq\w*)\..*?(\w+Broker)\(")


class TaskiqAdapter(Adapter):
    library = "taskiq"
    roots = ROOTS
    tokens = ROOTS
    site_words = ("task",)  # `@broker.task`
    gate_needs = {"task": root_words(ROOTS)}
    ack_names = frozenset()
    produce_names = frozenset()

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        for func in index.functions:
            for view in decorators(func, index):
                origin = view.origin() or ""
                found = _BROKER.match(origin)
                if found is None or not origin.endswith(".task"):
                    continue
                broker = found.group(2)
                ack_type = _ack_type(view.keyword("ack_type"))
                if ack_type == "manual":
                    break
                how = f"`@{dotted(view.callee) or 'broker.task'}` on a taskiq `{broker}`{view.suffix()}"
                if broker in NOT_ACKING:
                    yield HandlerSite("taskiq", func, "auto", WEAK, f"{how}, which never acks: a received task is gone",
                                      option_node=view.callee)
                elif broker in ACKING and ack_type == "when_received":
                    yield HandlerSite("taskiq", func, "auto", STRONG, f"{how} with `ack_type=\"when_received\"`",
                                      option_node=view.keyword("ack_type"))
                elif broker in ACKING:
                    yield HandlerSite("taskiq", func, "framework", WEAK, how,
                                      "taskiq acks after the task returns and its result is saved")
                break


def _ack_type(expr: Optional[cst.BaseExpression]) -> str:
    """`"when_received"`, `AcknowledgeType.WHEN_RECEIVED`, ... as the enum's value ("" if not given)."""
    if expr is None:
        return ""
    text = string_value(expr)
    if text is None:
        text = (dotted(expr) or "").rpartition(".")[2]
    return text.lower()
