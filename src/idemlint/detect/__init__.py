"""Adapters, one per client-library family, and the prefilter derived from their trigger tokens."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from ..codewords import alternation
from .aio_pika import AioPikaAdapter
from .arq import ArqAdapter
from .aws_lambda import LambdaAdapter
from .azure_functions import AzureFunctionsAdapter
from .azure_storage_queue import AzureStorageQueueAdapter
from .base import Adapter, ModuleWords
from .boto2 import Boto2Adapter
from .celery import CeleryAdapter
from .dramatiq import DramatiqAdapter
from .faststream import FastStreamAdapter
from .fedora_messaging import FedoraMessagingAdapter
from .googleapiclient import GoogleApiPubSubAdapter
from .intelmq import IntelMQAdapter
from .kafka import RECEIVE_METHODS as KAFKA_RECEIVES, KafkaAdapter
from .kombu import KombuAdapter
from .messages import MessageAckAdapter, NamedProducerAdapter, TextbookAckAdapter
from .nats import NatsAdapter
from .oslo import OsloMessagingAdapter
from .pika import PikaAdapter
from .pubsub import PubSubAdapter
from .pulsar import PulsarAdapter
from .redis_lists import RedisListsAdapter
from .redis_streams import RedisStreamsAdapter
from .servicebus import ServiceBusAdapter
from .sqs import SqsAdapter
from .stomp import StompAdapter
from .taskiq import TaskiqAdapter
from .workflows import WorkflowsAdapter

ADAPTERS: Tuple[Adapter, ...] = (
    KafkaAdapter(), PikaAdapter(), AioPikaAdapter(), KombuAdapter(), SqsAdapter(), Boto2Adapter(),
    AzureStorageQueueAdapter(),
    LambdaAdapter(), PubSubAdapter(), GoogleApiPubSubAdapter(), ServiceBusAdapter(), NatsAdapter(),
    RedisStreamsAdapter(), RedisListsAdapter(), PulsarAdapter(), CeleryAdapter(), DramatiqAdapter(),
    FastStreamAdapter(), StompAdapter(), OsloMessagingAdapter(), ArqAdapter(), TaskiqAdapter(),
    FedoraMessagingAdapter(), AzureFunctionsAdapter(), WorkflowsAdapter(), IntelMQAdapter(), MessageAckAdapter(),
    TextbookAckAdapter(),
    NamedProducerAdapter(),
)


def _by_name(kind: str) -> Dict[str, Tuple[Adapter, ...]]:
    table: Dict[str, List[Adapter]] = {}
    for adapter in ADAPTERS:
        for name in getattr(adapter, kind):
            table.setdefault(name, []).append(adapter)
    return {name: tuple(adapters) for name, adapters in table.items()}


# Dispatch by the called name, so a call to `assertEqual` is not shown to sixteen adapters.
ACK_ADAPTERS = _by_name("ack_names")
PRODUCE_ADAPTERS = _by_name("produce_names")
WITH_ACK_NAMES = frozenset(name for adapter in ADAPTERS for name in adapter.with_names)


def called_name(call) -> str:
    func = call.func
    name = getattr(getattr(func, "attr", func), "value", "") if not isinstance(func, str) else ""
    return name if isinstance(name, str) else ""  # `handlers[0]()`: a subscript's value is no name


def _tokens() -> Tuple[str, ...]:
    words = set()
    for adapter in ADAPTERS:
        words.update(adapter.tokens)
    return tuple(sorted(words))


# Project helpers through which a handler acks (`ack_message(ch, tag)`: what `gate.ACK_HELPER`
# accepts), so a module that only calls such a helper is analysed too.
ACK_HELPER_WORDS = tuple(f"{verb}_{what}" for verb in ("ack", "acknowledge", "complete")
                         for what in ("message", "messages", "delivery"))
PREFILTER_TOKENS = tuple(sorted(set(_tokens()) | set(ACK_HELPER_WORDS) | {"settle"}))  # `settle`: `facts.acks`' fallback
# A subclass of an in-house consumer base class may name no broker API at all: its hook is
# acked by the base (`analysis._hook_handlers`), so a class deriving from a base named like a
# consumer passes too.
CONSUMER_BASE_WORDS = ("Consumer", "Listener", "Worker", "Processor", "Subscriber", "MessageHandler", "EventHandler")
# Whole words only: `ack` must not admit every file that says `track` or `package`. Two searches:
# each alone lets `re` skip ahead fast (the words factored by prefix, the class branch from its
# literal `class`), together in one alternation they are twice as slow.
# Receives and commits on objects named nowhere near a broker (a consumer passed in as a parameter):
# the fallback of `facts.acks` takes such a `commit()` for an offset commit. Both must appear, in
# either order: anchored lookahead with greedy scans (a pattern starting with `\.` would be tried at
# every dot of every file, 15x slower).
RECEIVE_WORDS = tuple(sorted(KAFKA_RECEIVES))  # a Kafka consumer's receives
_RECEIVE = rb"\.(?:" + "|".join(RECEIVE_WORDS).encode() + rb")\("
PREFILTER = (
    re.compile(rb"\b" + alternation(PREFILTER_TOKENS).encode() + rb"\b"),
    re.compile(rb"class[ \t]+\w+[ \t]*\([^)]*(?:" + "|".join(CONSUMER_BASE_WORDS).encode() + rb")\b"),
    # or a loop over a consumer (`for alarm in self._consumer:`) from a wrapper library nobody here knows
    re.compile(rb"\A(?=(?s:.*)\.commit\()(?s:.*)(?:" + _RECEIVE + rb"|\bfor[ \t]+\w+[ \t]+in[ \t]+[\w.]*[Cc]onsumer[ \t]*:)"),
)


def passes_prefilter(source: bytes) -> bool:
    """True if `source` mentions any adapter's trigger token (files without one are never parsed)."""
    return any(pattern.search(source) is not None for pattern in PREFILTER)


def _gate_vocabulary() -> frozenset:
    words: set = set()
    for adapter in ADAPTERS:
        words.update(adapter.gate_vocabulary())
    return frozenset(words)


# Every word the adapters' `may_find` look at: what the engine's first pass
# (`gate.may_hold_units`) picks out of the names a module's code uses.
GATE_VOCABULARY = _gate_vocabulary()


def may_find(words: ModuleWords) -> bool:
    """True if any adapter may find a consumer or a producer in a module whose code uses `words`."""
    return any(adapter.may_find(words) for adapter in ADAPTERS)
