"""confluent-kafka, kafka-python and aiokafka: offset commits, auto-commit loops, produce/send."""

from __future__ import annotations

from typing import Iterable, List, Optional, Set, Tuple

from ..records import dataclass
from ..lazyimport import cst  # not loaded before first use

from ..facts import settings
from ..index import FunctionInfo, ModuleIndex, call_name, dotted, kwarg, positional, string_value
from ..model import STRONG, WEAK
from .base import (
    AckSite, Adapter, Ctx, HandlerSite, ProduceSite, configured, is_db_receiver, keywords, literal,
    ModuleWords, origin_starts, receiver, receiver_last, relayed_loop, root_words,
)

CONSUMERS = (
    "confluent_kafka.Consumer(", "confluent_kafka.DeserializingConsumer(",
    "confluent_kafka.aio.AIOConsumer(", "confluent_kafka.aio.AsyncDeserializingConsumer(",
    "confluent_kafka.ShareConsumer(", "confluent_kafka.cimpl.Consumer(",
    "confluent_kafka.avro.AvroConsumer(",  # deprecated since 2.0.2, still shipped: a Consumer subclass
    "kafka.KafkaConsumer(", "kafka.consumer.KafkaConsumer(", "aiokafka.AIOKafkaConsumer(",
    "aiokafka.consumer.AIOKafkaConsumer(",
    *(f"{m}.{c}(" for m in ("kafka", "kafka.consumer") for c in ("SimpleConsumer", "MultiProcessConsumer")),
)
# kafka-python's pre-1.0 API (deprecated in 1.x, gone in 2.0; still in OpenStack-era services):
# `SimpleConsumer(client, group, topic, auto_commit=True, ...)` commits on a timer and every 100
# messages by default, `get_messages(count)` / `get_message()` receive, `commit()` commits;
# `SimpleProducer(client).send_messages(topic, *msgs)`, `KeyedProducer(client).send_messages(topic,
# key, *msgs)` (and its deprecated `send(topic, key, msg)`) publish (kafka-python 1.4.7)
LEGACY_CONSUMERS = ("SimpleConsumer", "MultiProcessConsumer")
LEGACY_RECEIVES = {"get_messages", "get_message"}
LEGACY_PRODUCERS = tuple(f"{m}.{c}(" for m in ("kafka", "kafka.producer") for c in ("SimpleProducer", "KeyedProducer"))
PRODUCERS = (
    "confluent_kafka.Producer(", "confluent_kafka.SerializingProducer(",
    "confluent_kafka.avro.AvroProducer(",  # deprecated since 2.0.2: a Producer subclass, produce(**kwargs)
    "confluent_kafka.aio.AIOProducer(", "confluent_kafka.aio.AsyncSerializingProducer(",
    "kafka.KafkaProducer(", "kafka.producer.KafkaProducer(", "aiokafka.AIOKafkaProducer(",
    "aiokafka.producer.AIOKafkaProducer(",
    *LEGACY_PRODUCERS,
)
ROOTS = ("confluent_kafka", "kafka", "aiokafka")
# the class names a consumer or producer origin ends with (`kafka.KafkaConsumer(` -> `KafkaConsumer`)
CONSUMER_CLASSES = tuple(sorted({c.rstrip("(").rsplit(".", 1)[-1] for c in CONSUMERS}))
PRODUCER_CLASSES = tuple(sorted({c.rstrip("(").rsplit(".", 1)[-1] for c in PRODUCERS}))
KAFKA_COMMIT_KWARGS = {"message", "asynchronous", "offsets"}
# confluent-kafka takes dotted keys in its config dict, or the same with underscores as keywords
AUTO_COMMIT_KEYS = ("enable.auto.commit", "enable_auto_commit", "auto_commit")
AUTO_STORE_KEYS = ("enable.auto.offset.store", "enable_auto_offset_store")
RECEIVE_METHODS = {"poll", "consume", "getone", "getmany"}


def _library(origin: Optional[str], ctx: Ctx) -> str:
    for root in ROOTS:
        if origin and origin.startswith(root + "."):
            return "kafka_python" if root == "kafka" else root
    for root in ROOTS:
        if ctx.imports(root):
            return "kafka_python" if root == "kafka" else root
    return "kafka"


# who or what a key names when it is a bare noun (`key=self._user`): every message of that user,
# account or instrument carries the same one
KEY_OWNERS = frozenset({"user", "username", "sender", "author", "owner", "customer", "tenant", "account",
                        "client", "device", "host", "hostname", "symbol", "ticker", "channel", "room"})


def _grouping(key: cst.BaseExpression, ctx: Optional[Ctx] = None, call: Optional[cst.Call] = None) -> bool:
    """A key that groups messages rather than naming one (`partition_key`, `sender_id`, `user_id`,
    `self._user`): every message of a conversation shares it, so it is no id to dedup on
    (`identity.GROUPING`). So does a key the producing object was configured with
    (`self.producer.produce(topic, key=self.key, ...)`, `self.key` set only in `__init__`): an
    object that holds its producer lives for many messages, and every one it sends has that key."""
    from ..facts.identity import GROUPING, names_in, normal  # the engine's: libcst is loaded by now

    if literal(key):
        return True  # `key="BTCUSDT"`: every message sent with it has the same key
    names = [normal(n.split(".")[-1]).lstrip("_") for n in names_in(key)]
    if bool(names) and (names[-1] in GROUPING or names[-1] in KEY_OWNERS):
        return True
    return ctx is not None and call is not None and (dotted(receiver(call)) or "").startswith("self.") \
        and configured(key, ctx)


class KafkaAdapter(Adapter):
    library = "kafka"
    roots = ROOTS
    tokens = ("kafka", "confluent_kafka", "aiokafka", "store_offsets")
    # a receive loop needs a consumer made from one of these classes (`CONSUMERS`)
    site_words = CONSUMER_CLASSES
    ack_names = frozenset(['commit', 'commit_async', 'store_offsets', 'send_offsets_to_transaction'])
    produce_names = frozenset(['produce', 'send', 'send_and_wait', 'send_messages'])

    def gate_vocabulary(self) -> Set[str]:
        return {*super().gate_vocabulary(), *root_words(ROOTS), *PRODUCER_CLASSES, *KAFKA_COMMIT_KWARGS, *RECEIVE_METHODS}

    def may_find(self, words: ModuleWords) -> bool:
        found = words.found
        if found.isdisjoint(root_words(ROOTS)):
            return False  # every origin trusted below starts with a Kafka import, every fallback needs one
        if not found.isdisjoint(CONSUMER_CLASSES) or not found.isdisjoint(("send_offsets_to_transaction", "store_offsets")):
            return True  # a consumer (a receive loop, a commit on it), or an offsets call
        if not found.isdisjoint(RECEIVE_METHODS):
            return True  # a receive loop over a consumer a project factory builds (auto-commit)
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
        if name not in ("produce", "send", "send_and_wait", "send_messages"):
            return None
        origin = ctx.origin(receiver(call))
        if origin_starts(origin, LEGACY_PRODUCERS):
            return _legacy_produce(call, name, origin, ctx)
        if name == "send_messages":
            return None
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
        site = _keyed_site(lib, call, name, payload, key, ctx, f"Kafka producer `{name}()`")
        headers = kwarg(call, "headers")
        if headers is not None:
            site.id_exprs.append(headers)
        return site

    def handlers(self, index: ModuleIndex) -> Iterable[HandlerSite]:
        """Receive loops over a Kafka consumer that never commit themselves: auto-commit commits for them."""
        for func in index.functions:
            ctx = Ctx(index, func)
            receivers: List[Tuple[cst.BaseExpression, str]] = []
            commits = False
            wrapped: Optional[Tuple[HandlerSite, str]] = None
            for call in func.calls:
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
                if name in RECEIVE_METHODS or name in LEGACY_RECEIVES:
                    origin = ctx.origin(receiver(call))
                    if name in LEGACY_RECEIVES and not any(f".{c}(" in (origin or "") for c in LEGACY_CONSUMERS):
                        continue
                    if origin_starts(origin, CONSUMERS):
                        receivers.append((receiver(call), origin))  # type: ignore[arg-type]
                    elif wrapped is None and origin is not None:
                        wrapped = _wrapped_receive(call, ctx)
                elif iterated_consumer(call, ctx) is not None:  # `m = next(self._consumer)`
                    receivers.append((call.args[0].value, ctx.origin(call.args[0].value) or ""))
                elif name in ("commit", "commit_async", "store_offsets") and self.ack(call, ctx) is not None:
                    commits = True  # a commit of the consumer's own, not `conn.commit()` of a database
            relayed = None
            for loop in func.fors:
                origin = ctx.origin(loop.iter)
                if origin_starts(origin, CONSUMERS):
                    receivers.append((loop.iter, origin))  # type: ignore[arg-type]
                elif relayed is None:
                    relayed = _relayed(loop, ctx)
            if commits:
                continue
            if receivers:
                expr, origin = receivers[0]
                lib = _library(origin, ctx)
                auto = auto_commit(expr, func, index, origin)
                if auto is not None:
                    yield auto.site(lib, func)
            elif wrapped is not None:
                site, via = wrapped
                site.function = func
                site.option_node = None  # the setting is in the wrapper's module, not in this one
                site.evidence += f", through `{via}()`, which returns what it polls"
                yield site
            elif relayed is not None:
                site = relayed.site(func, ctx)
                if site is not None:
                    yield site


def _wrapped_receive(call: cst.Call, ctx: Ctx) -> Optional[Tuple[HandlerSite, str]]:
    """`topic, alert, key = consumer.poll(timeout)` on an object of a project class whose `poll`
    (`consume`, `getone`, `getmany`) polls a Kafka consumer of its own and returns what it got
    (`msg = self._consumer.poll(timeout)`, then `return self.process_message(msg)`): a receive
    through the project's wrapper, acked by that consumer's auto-commit (the site, and the method)."""
    from ..facts import callees  # it imports the adapters

    project = ctx.index.project
    if project is None:
        return None
    callee = callees.resolve(call.func, ctx, project, ctx.index.path)
    if callee is None or callee.func.yields or not callee.func.returns \
            or callee.func.node is getattr(ctx.func, "node", None):
        return None
    inner_ctx = Ctx(callee.index, callee.func)
    for inner in callee.func.calls:
        name = inner.func.attr.value if isinstance(inner.func, cst.Attribute) else None
        if name not in RECEIVE_METHODS:
            continue
        origin = inner_ctx.origin(receiver(inner))
        if not origin_starts(origin, CONSUMERS):
            continue
        auto = auto_commit(receiver(inner), callee.func, callee.index, origin)  # type: ignore[arg-type]
        if auto is None:
            return None
        return auto.site(_library(origin, inner_ctx), callee.func), callee.qualname
    return None


def iterated_consumer(call: cst.Call, ctx: Ctx) -> Optional[str]:
    """`next(consumer)` (`anext(consumer)`) of a Kafka consumer: a receive through the iterator
    protocol, kafka-python's `KafkaConsumer.__next__` (aiokafka's `__anext__`); the consumer's origin."""
    if not (isinstance(call.func, cst.Name) and call.func.value in ("next", "anext") and call.args
            and call.args[0].keyword is None and not call.args[0].star):
        return None
    origin = ctx.origin(call.args[0].value)
    return origin if origin_starts(origin, CONSUMERS) else None


@dataclass
class Relay:
    """A loop over a generator of this module that yields the records of a Kafka receive loop of its
    own (`for event in self.input(): ...` over `def input(self): for msg in consumer: yield msg.value`):
    the loop's body runs between two records of the generator's loop, so it is the handler, and the
    consumer's auto-commit lands after it. (A generator that commits itself is judged with its caller
    by `facts.generators`.)"""

    generator: FunctionInfo
    loop: object  # the generator's `for` over the consumer (`cst.For`)
    origin: str

    def site(self, func: FunctionInfo, ctx: Ctx) -> Optional[HandlerSite]:
        lib = _library(self.origin, ctx)
        auto = auto_commit(self.loop.iter, self.generator, ctx.index, self.origin)  # type: ignore[attr-defined]
        name = f"`{self.generator.name}()`"
        if auto is not None:
            site = auto.site(lib, func)
            site.evidence += f", in {name}, a generator of the records this loop handles"
            return site
        return None


def _relayed(loop, ctx: Ctx) -> Optional[Relay]:
    """`for event in self.input(...)` / `for event in records(consumer)`: a generator of this module
    whose body yields inside a loop over a Kafka consumer; None for anything else."""
    found = relayed_loop(loop.iter, ctx, lambda own, inner: origin_starts(inner.origin(own.iter), CONSUMERS))
    if found is None:
        return None
    generator, own = found
    return Relay(generator, own, Ctx(ctx.index, generator).origin(own.iter))  # type: ignore[arg-type]


@dataclass
class AutoCommit:
    """A consumer's auto-commit, read from its constructor (see `brokers.md`, section 7)."""

    strength: int  # STRONG: read (spelled out, or left out of settings read whole); WEAK: taken as the default
    option: Optional[cst.CSTNode]  # the value spelled out, else the constructor (None: not visible)
    how: str  # how the setting was read, for the evidence
    store: str = settings.ABSENT  # confluent-kafka `enable.auto.offset.store`
    share: bool = False  # a share-group consumer: its next `poll()` accepts the previous batch
    legacy: bool = False  # kafka-python's pre-1.0 `SimpleConsumer`: a timer thread commits too

    def site(self, lib: str, func) -> HandlerSite:
        """kafka-python commits inside a later `poll()` / iteration, after the loop body's work;
        librdkafka's background thread commits the offsets `poll()` stored on hand-over, and aiokafka's
        background task the positions handed out, whenever the handler awaits: mid-work."""
        if self.share:
            when, text = "poll", "the next `poll()` accepts it (implicit acknowledgement)"
        elif self.legacy:
            when, text = "thread", "auto-commit commits its offset on a timer and every 100 messages"
        elif lib == "kafka_python":
            when, text = "poll", "auto-commit commits its offset at a later `poll()`"
        elif lib == "aiokafka":
            when, text = "await", "auto-commit commits its offset in the background"
        elif self.store == settings.OFF:
            when, text = "poll", "nothing stores its offset (`enable.auto.offset.store` off): a restart redelivers it"
        else:
            when, text = "thread", "auto-commit commits its offset in the background"
        return HandlerSite(lib, func, "framework", self.strength, f"Kafka receive loop with auto-commit {self.how}",
                           framework_ack=text, option_node=self.option, auto_commit=when)


def auto_commit(expr: cst.BaseExpression, func, index: ModuleIndex, origin: str) -> Optional[AutoCommit]:
    """How a consumer auto-commits (None: turned off), from the constructor that builds it."""
    confluent = origin.startswith("confluent_kafka")
    built = settings.constructor(expr, func, index, _is_consumer_ctor)
    if built is None:
        # a consumer handed in (a parameter): one of those the module builds, if it builds that kind
        kind = origin.split("(")[0]
        ctors = [settings.Built(call, index, f) for f in [None, *index.functions]
                 for call in (index.module_calls if f is None else f.calls)
                 if call_name(call) in CONSUMER_CLASSES and (index.resolve(call.func, f) or "") == kind]
        if any(settings.setting(b, AUTO_COMMIT_KEYS, confluent).state == settings.OFF or _no_group(b, confluent)
               for b in ctors):
            return None  # which one it is cannot be told: precision first
        if len(ctors) != 1:
            return AutoCommit(WEAK, None, "left on (the client default; the consumer is built out of view)")
        built = ctors[0]
    if "ShareConsumer" in origin:  # KIP-932 share groups: `share.acknowledgement.mode`, implicit by default
        mode = settings.setting(built, ("share.acknowledgement.mode", "share_acknowledgement_mode"))
        text = string_value(mode.node) if isinstance(mode.node, cst.BaseExpression) else None
        if text == "explicit":
            return None  # `acknowledge(msg, ...)` settles each record
        sure = mode.state == settings.ABSENT or text == "implicit"
        return AutoCommit(STRONG if sure else WEAK, mode.node or built.call, "(implicit acknowledgement)", share=True)
    found = settings.setting(built, AUTO_COMMIT_KEYS, confluent)
    store = settings.setting(built, AUTO_STORE_KEYS, confluent).state
    legacy = call_name(built.call) in LEGACY_CONSUMERS
    if found.state == settings.OFF or _no_group(built, confluent):
        return None
    if found.state == settings.ON:
        return AutoCommit(STRONG, found.node, "turned on", store, legacy=legacy)
    if found.state == settings.ABSENT:
        return AutoCommit(STRONG, built.call, "left on (the client default)", store, legacy=legacy)
    return AutoCommit(WEAK, found.node or built.call, "taken as on (the client default; its setting is not readable)",
                      store, legacy=legacy)


def _keyed_site(lib: str, call: cst.Call, name: str, payload: Optional[cst.BaseExpression],
                key: Optional[cst.BaseExpression], ctx: Ctx, evidence: str) -> ProduceSite:
    """A produce whose record key is its id, unless it is `None` or a partition key a
    conversation's messages share (`_grouping`: no id, and nothing to look into)."""
    ids = [key] if key is not None and not (isinstance(key, cst.Name) and key.value == "None") \
        and not _grouping(key, ctx, call) else []
    site = ProduceSite(lib, f"`{receiver_last(call)}.{name}()`", payload, id_exprs=ids, evidence=evidence)
    if ids:
        site.has_id = True
        site.evidence += " with a `key`"
    return site


def _legacy_produce(call: cst.Call, name: str, origin: str, ctx: Ctx) -> Optional[ProduceSite]:
    """`SimpleProducer.send_messages(topic, *msgs)`; `KeyedProducer.send_messages(topic, key, *msgs)`
    and `KeyedProducer.send(topic, key, msg)`: the key second (an id when it names one)."""
    if name not in ("send_messages", "send"):
        return None
    keyed = "KeyedProducer" in origin
    if name == "send" and not keyed:
        return None
    payload = positional(call, 2 if keyed else 1)
    key = positional(call, 1) if keyed else None
    legacy = origin.split("(")[0].rsplit(".", 1)[-1]
    return _keyed_site("kafka_python", call, name, payload, key, ctx,
                       f"Kafka producer `{name}()` (kafka-python's legacy {legacy})")


def _no_group(built: settings.Built, confluent: bool) -> bool:
    """A kafka-python or aiokafka consumer built without a `group_id` (left out, or `None`: both
    clients' default) commits no offset at all: "If None, auto-partition assignment (via group
    coordinator) and offset commits are disabled" (kafka-python 2.0.2 `KafkaConsumer`, aiokafka 0.14
    `AIOKafkaConsumer`; the coordinator turns `enable_auto_commit` off). Nothing is acknowledged, so
    nothing is redelivered for a commit that did not happen. (confluent-kafka needs `group.id` to
    subscribe: not judged here.)"""
    if call_name(built.call) in LEGACY_CONSUMERS:  # `SimpleConsumer(client, group, topic)`
        group = kwarg(built.call, "group") or positional(built.call, 1)
        return group is None or isinstance(group, cst.Name) and group.value == "None"
    return not confluent and settings.setting(built, ("group_id",), False).state in (settings.ABSENT, settings.OFF)


def _is_consumer_ctor(call: cst.Call, index: ModuleIndex, func) -> bool:
    return origin_starts((index.resolve(call.func, func) or "") + "(", CONSUMERS)
