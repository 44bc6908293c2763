"""confluent-kafka, kafka-python and aiokafka: offset commits, auto-commit loops, produce/send."""

from __future__ import annotations

from typing import Iterable, List, Optional, Set, Tuple

from ..lazyimport import cst  # not loaded before first use

from ..index import ModuleIndex, dotted, is_false, is_true, kwarg, positional, string_value
from ..model import STRONG, WEAK
from .base import (
    AckSite, Adapter, Ctx, HandlerSite, ProduceSite, is_db_receiver, keywords,
    ModuleWords, origin_starts, receiver, receiver_last, root_words,
)

CONSUMERS = (
    "confluent_kafka.Consumer(", "confluent_kafka.DeserializingConsumer(",
    "confluent_kafka.aio.AIOConsumer(", "confluent_kafka.aio.AsyncDeserializingConsumer(",
    "confluent_kafka.ShareConsumer(", "confluent_kafka.cimpl.Consumer(",
    "kafka.KafkaConsumer(", "kafka.consumer.KafkaConsumer(", "aiokafka.AIOKafkaConsumer(",
    "aiokafka.consumer.AIOKafkaConsumer(",
)
PRODUCERS = (
    "confluent_kafka.Producer(", "confluent_kafka.SerializingProducer(",
    "confluent_kafka.aio.AIOProducer(", "confluent_kafka.aio.AsyncSerializingProducer(",
    "kafka.KafkaProducer(", "kafka.producer.KafkaProducer(", "aiokafka.AIOKafkaProducer(",
    "aiokafka.producer.AIOKafkaProducer(",
)
ROOTS = ("confluent_kafka", "kafka", "aiokafka")
# the class names a consumer or producer origin ends with (`kafka.KafkaConsumer(` -> `KafkaConsumer`)
CONSUMER_CLASSES = tuple(sorted({c.rstrip("(").rsplit(".", 1)[-1] for c in CONSUMERS}))
PRODUCER_CLASSES = tuple(sorted({c.rstrip("(").rsplit(".", 1)[-1] for c in PRODUCERS}))
KAFKA_COMMIT_KWARGS = {"message", "asynchronous", "offsets"}
RECEIVE_METHODS = {"poll", "consume", "getone", "getmany"}


def _library(origin: Optional[str], ctx: Ctx) -> str:
    for root in ROOTS:
        if origin and origin.startswith(root + "."):
            return "kafka_python" if root == "kafka" else root
    for root in ROOTS:
        if ctx.imports(root):
            return "kafka_python" if root == "kafka" else root
    return "kafka"


class KafkaAdapter(Adapter):
    library = "kafka"
    roots = ROOTS
    tokens = ("kafka", "confluent_kafka", "aiokafka", "store_offsets")
    # a receive loop needs a consumer made from one of these classes (`CONSUMERS`)
    site_words = CONSUMER_CLASSES
    ack_names = frozenset(['commit', 'commit_async', 'store_offsets', 'send_offsets_to_transaction'])
    produce_names = frozenset(['produce', 'send', 'send_and_wait'])

    def gate_vocabulary(self) -> Set[str]:
        return {*super().gate_vocabulary(), *root_words(ROOTS), *PRODUCER_CLASSES, *KAFKA_COMMIT_KWARGS}

    def may_find(self, words: ModuleWords) -> bool:
        found = words.found
        if found.isdisjoint(root_words(ROOTS)):
            return False  # every origin trusted below starts with a Kafka import, every fallback needs one
        if not found.isdisjoint(CONSUMER_CLASSES) or not found.isdisjoint(("send_offsets_to_transaction", "store_offsets")):
            return True  # a consumer (a receive loop, a commit on it), or an offsets call
        if not found.isdisjoint(("commit", "commit_async")) and (
                words.names_contain("consumer") or not found.isdisjoint(KAFKA_COMMIT_KWARGS)):
            return True  # `consumer.commit()`, `commit(message=...)` beside a Kafka import
        # a producer made here, or a receiver named like one beside a Kafka import
        return not found.isdisjoint(self.produce_names) and (
            not found.isdisjoint(PRODUCER_CLASSES) or words.names_contain("producer"))

    def ack(self, call: cst.Call, ctx: Ctx) -> Optional[AckSite]:
        name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if name == "send_offsets_to_transaction" and ctx.imports(*ROOTS):
            # consume-transform-produce: the offsets commit with the producer's transaction
            return AckSite(_library(ctx.origin(receiver(call)), ctx), STRONG,
                           "`send_offsets_to_transaction()`: offsets committed in the producer transaction")
        if name not in ("commit", "commit_async", "store_offsets"):
            return None
        origin = ctx.origin(receiver(call))
        if origin_starts(origin, CONSUMERS):
            return AckSite(_library(origin, ctx), STRONG, f"`{name}()` on a Kafka consumer ({origin})")
        if origin is not None or is_db_receiver(call) or not ctx.imports(*ROOTS):
            # a resolved non-Kafka receiver, a DB session, or no Kafka client in the module
            return None
        last = receiver_last(call).lower()
        if name == "store_offsets" or "consumer" in last or keywords(call) & KAFKA_COMMIT_KWARGS:
            return AckSite(_library(None, ctx), STRONG,
                           f"`{last}.{name}()` in a module that imports a Kafka client")
        return None

    def produce(self, call: cst.Call, ctx: Ctx) -> Optional[ProduceSite]:
        name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if name not in ("produce", "send", "send_and_wait"):
            return None
        origin = ctx.origin(receiver(call))
        if origin_starts(origin, PRODUCERS):
            lib = _library(origin, ctx)
        elif origin is None and ctx.imports(*ROOTS) and "producer" in receiver_last(call).lower():
            lib = _library(None, ctx)
        else:
            return None
        if name == "produce" and lib != "confluent_kafka" and not origin_starts(origin, PRODUCERS):
            lib = "confluent_kafka"
        payload = kwarg(call, "value") or positional(call, 1)
        key = kwarg(call, "key") or positional(call, 2)
        ids = [key] if key is not None and not (isinstance(key, cst.Name) and key.value == "None") else []
        headers = kwarg(call, "headers")
        site = ProduceSite(lib, f"`{receiver_last(call)}.{name}()`", payload, id_exprs=ids,
                           evidence=f"Kafka producer `{name}()`")
        if ids:
            site.has_id = True
            site.evidence += " with a `key`"
        if headers is not None:
            site.id_exprs.append(headers)
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """Loops over a Kafka consumer that never commit: auto-commit acks on receipt."""
        for func in index.functions:
            ctx = Ctx(index, func)
            receives, commits, origin_ctor = False, False, None
            for call in func.calls:
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
                if name in RECEIVE_METHODS:
                    origin = ctx.origin(receiver(call))
                    if origin_starts(origin, CONSUMERS):
                        receives, origin_ctor = True, origin
                elif name in ("commit", "commit_async", "store_offsets"):
                    commits = True
            for loop in func.fors:
                origin = ctx.origin(loop.iter)
                if origin_starts(origin, CONSUMERS):
                    receives, origin_ctor = True, origin
            if not receives or commits:
                continue
            on, strength, option = _auto_commit(index, func)
            if on:
                how = "turned on" if strength == STRONG else "left on (the client default)"
                yield HandlerSite(_library(origin_ctor, ctx), func, "auto", strength,
                                  f"Kafka receive loop with auto-commit {how}", option_node=option)


def _auto_commit(index: ModuleIndex, func) -> Tuple[bool, int, Optional[cst.CSTNode]]:
    """(on, how sure, the option or constructor): off when a constructor visibly turns auto-commit
    off; STRONG when one spells `True` out; WEAK for the default or a value we cannot read."""
    found: Tuple[bool, int, Optional[cst.CSTNode]] = (True, WEAK, None)
    for call in [c for f in index.functions for c in f.calls] + index.module_calls:
        text = dotted(call.func) or ""
        if not text.split(".")[-1].endswith(("Consumer", "AIOKafkaConsumer")):
            continue
        if found[2] is None:
            found = (True, WEAK, call)
        flag = kwarg(call, "enable_auto_commit")
        values: List[cst.BaseExpression] = [flag] if flag is not None else []
        conf = positional(call, 0)
        if isinstance(conf, cst.Name):
            assigned = index.module_assigns.get(conf.value) or func.assigns.get(conf.value) or []
            conf = assigned[0][0] if assigned else conf
        if isinstance(conf, cst.Dict):
            values += [el.value for el in conf.elements
                       if isinstance(el, cst.DictElement) and string_value(el.key) == "enable.auto.commit"]
        for value in values:
            if is_false(value) or string_value(value) in ("false", "False"):
                return False, WEAK, None
            if is_true(value) or string_value(value) in ("true", "True"):
                found = (True, STRONG, value)
    return found
