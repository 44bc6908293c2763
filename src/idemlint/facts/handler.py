"""Walk one handler body in source order and record what happens: acks, effects, dedup, transactions."""

from __future__ import annotations

import builtins
from dataclasses import field, replace
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..records import dataclass
from ..detect import celery, kafka
from ..detect.base import DB_RECEIVERS, MESSAGE_NAMES, AckSite, Adapter, Ctx, ProduceSite, func_ref, is_mock, relayed_loop
from ..index import (FunctionInfo, ModuleIndex, argument, call_name, children, contains, dotted, kwarg, positional,
                     string_value, subscript_key, visit, walk)
from ..model import STRONG, UNSEEN, WEAK, Event
from ..project import camel_words
from .. import patterns as user_patterns
from . import acks, callees, dedup, deferred, effects, handoff, lookups, payload, received, transactions
from .identity import GENERIC_KEYS, identity_names, is_id_name, mentions, names_in
from ..lazyre import lazy_re

MAX_DEPTH = 3
NOT_MESSAGE_PARAMS = {"self", "cls", "context", "lambda_context"}
# Calls that never hand the message to code that could have side effects.
PURE_ROOTS = {
    "json", "orjson", "ujson", "simplejson", "msgpack", "pickle", "base64", "binascii", "struct", "zlib",
    "gzip", "logging", "time", "datetime", "uuid", "re", "math", "decimal", "typing", "dataclasses",
    "pydantic", "marshmallow", "attr", "attrs", "os", "sys", "functools", "itertools", "collections",
    "copy", "hashlib", "hmac", "secrets", "traceback", "warnings", "asyncio", "contextlib", "enum",
    "fastavro", "avro", "google.protobuf", "jsonschema", "dateutil", "pytz", "zoneinfo", "textwrap",
    "string", "operator", "ast", "shlex", "html", "csv", "io", "codecs", "statistics", "random",
    "prometheus_client", "statsd", "datadog", "opentelemetry", "sentry_sdk", "structlog",
    "unittest", "mock", "pytest", "threading", "queue", "concurrent", "multiprocessing", "inspect", "pprint",
}
# Calls that read, convert or check, or settle the message with the broker: never a hand-off.
PURE_CALL = lazy_re(
    r"^_*(safe_)?(\w+_)?(loads?|deserializer?|decoder?|parser?|serializer?|dumps?)$|"  # `json_loads`, `msgpack_decode`,
    # and the callable an object was given to decode with (`self._deserializer(body)`)
    r"^_*(deserialize|decode)_\w+$|"  # `deserialize_message(body)`, `decode_payload(raw)`
    r"^_*(safe_)?(repr|str|loads?|deserialize|decode|parse|format|validate|serialize|dumps?|convert|"
    r"to_\w+|from_\w+|get_\w+|is_\w+|has_\w+|check_\w+|extract\w*|read\w*|render\w*|build\w*|make\w*|"
    r"compute\w*|calculate\w*|find\w*|lookup\w*|fetch\w*|load\w*|resolve\w*|search\w*|count\w*|"
    # codecs of bytes (`lz4.block.decompress(data, ...)`, `unpackb`, a KMS `decrypt`): a new value, no work
    r"(de)?compress\w*|unpackb?|packb|decrypt\w*|encrypt\w*|"
    r"exists|copy|len|nack|nak|reject|basic_nack|basic_reject|basic_recover|requeue|term|abandon_message|dead_letter_message|"
    r"defer_message|modify_ack_deadline|modifyAckDeadline|change_message_visibility\w*|in_progress|renew_\w+|raises|"
    r"update_message|"  # Azure Storage Queue: extends the visibility timeout (a lease), may replace the content
    r"message_to_python|"  # kombu `Channel.message_to_python(raw)`: the raw delivery as a `Message`
    # pydantic v2 / v1 models and TypeAdapter: parse, validate, dump
    r"model_validate\w*|model_dump\w*|model_construct|model_copy|parse_obj|parse_raw|validate_python|validate_json|"
    # Kafka transactions: `commit_transaction(offsets, group_metadata)` commits the consumed offsets
    r"begin_transaction|send_offsets_to_transaction|commit_transaction|abort_transaction|"
    # workflows (zocalo): `transaction_begin(subscription_id=header["subscription"])` scopes the ack
    # and the sends of one broker transaction
    r"transaction_begin|transaction_commit|transaction_abort)$"
)
BUILTINS = set(dir(builtins))
# a dotted path of identifiers (`"consoleme.celery_tasks.celery_tasks.refresh_iam_role"`)
_DOTTED_NAME = lazy_re(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
# Libraries whose side effects the effect tables classify; a call into them is seen, not handed off.
KNOWN_LIBRARIES = {
    "requests", "httpx", "aiohttp", "urllib3", "urllib", "stripe", "braintree", "twilio", "smtplib",
    "sendgrid", "django", "sqlalchemy", "sqlmodel", "psycopg2", "psycopg", "asyncpg", "sqlite3", "aiosqlite",
    "peewee", "tortoise", "redis", "boto3", "botocore", "aiobotocore", "pika", "aio_pika", "aiormq", "kombu",
    "confluent_kafka", "kafka", "aiokafka", "google", "azure", "nats", "pulsar", "celery", "dramatiq",
    "faststream", "flask", "flask_sqlalchemy", "aws_lambda_powertools", "rq", "arq", "taskiq",
    *effects.SEARCH_ROOTS,
}
LOGGER_NAMES = {"logger", "log", "logging", "LOG", "LOGGER", "_log", "_logger", "structlog", "metrics",
                "statsd", "tracer", "span", "sentry_sdk", "stats", "counter", "histogram", "gauge"}
RECEIVER_ORIGINS = ("Consumer(", "get_queue_receiver(", "get_subscription_receiver(", ".iterator(",
                    "subscribe(", ".receive_messages(", "KafkaConsumer(", "AIOKafkaConsumer(")
RECEIVE_CALLS = {"poll", "consume", "getone", "getmany", "receive", "receive_messages", "receive_message",
                 "basic_get", "fetch", "next_msg", "xreadgroup", "pull", "batch_receive", "get_message", "get_messages",
                 "receive_deferred_messages", "__anext__", "__next__", "xread", "xautoclaim", "xclaim",
                 "drain_events",  # kombu: delivers the next messages to the consumer's callbacks
                 # redis lists: a pop takes the item, a move takes it into a processing list
                 "brpop", "blpop", "rpop", "lpop", "blmpop", "lmpop", "rpoplpush", "brpoplpush", "lmove", "blmove"}
# Service Bus `peek_messages()`: copies of messages, neither locked nor removed, that cannot be settled
# (brokers.md, Service Bus): no delivery, so no receive; but a function that peeks fetches for itself.
PEEK_CALLS = {"peek_messages"}
KAFKA_LIBRARIES = ("confluent_kafka", "kafka_python", "aiokafka", "kafka")
TASK_QUEUES = ("celery", "dramatiq", "rq", "arq", "taskiq", "huey")
SEEN_DB_CALLS = {"execute", "executemany", "fetch", "fetchrow", "fetchval", "merge", "get", "filter",
                 "update_or_create", "get_or_create", "scalar", "scalars", "query", "select"}
LOG_CALLS = {"crit", "critical", "error", "warn", "warning", "info", "debug", "exception", "log", "fatal",
             "print", "pprint", "echo", "secho", "trace"}
# Methods that put a value into a container: one kept on `self` holds message data afterwards.
COLLECTS = {"append", "appendleft", "extend", "extendleft", "insert", "add"}
CELERY_PUBLISH = {"delay", "apply_async", "send_task", "delay_on_commit", "apply_async_on_commit", "kiq",
                  "enqueue", "enqueue_job", "send_with_options"}


@dataclass(frozen=True)
class Summary:
    """The events of one function in another module, relative to its own start."""

    events: Tuple[Event, ...] = ()
    commits: Dict[Optional[str], int] = field(default_factory=dict)


EMPTY = Summary()


class _Walker(cst.CSTVisitor):
    def __init__(self, run: "HandlerRun", func: FunctionInfo, depth: int, chain: Tuple[str, ...],
                 call_node: Optional[cst.CSTNode], txns: List[str], bound: FrozenSet[str] = frozenset()) -> None:
        self.run = run
        self.func = func
        # the parameters of a followed function that its caller passes message data (`_follow`):
        # what it hands to an executor, a thread or an in-memory queue is the message
        self.bound = bound
        self.ctx = Ctx(run.index, func, run.tainted)
        self.depth = depth
        self.chain = chain
        self.call_node = call_node
        self.txns = txns
        self.gated_depth = 0
        self.branch_flags: List[Tuple[bool, Optional[cst.CSTNode]]] = []  # an `if` test's own branch, set aside
        self.right_flags: List[Optional[Tuple[bool, Optional[cst.CSTNode]]]] = []  # around a short-circuited operand
        self.unique_try = 0
        test_names = {n for t in func.tests for n in _names(t)}
        # calls whose result lands in a name a later `if` tests (`obj, created = get_or_create(...)`),
        # computed once per function instead of a scan of every assignment at every call
        self.tested_calls = {
            id(value.expression if isinstance(value, cst.Await) else value)
            for name, values in func.assigns.items() if name in test_names
            for value, _, _ in values
        }
        self.with_acks: List[Tuple[cst.With, AckSite]] = []
        self.claim_tests: Dict[int, Event] = {}  # `if` node -> the claim by insert its test answers
        # `if` node -> the search its test asks about, and whether its body is the found branch
        self.search_tests: Dict[int, Tuple[lookups.Search, bool]] = {}

    # -- scopes -------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.func.node

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_If(self, node: cst.If) -> None:
        exits = _ends_in_exit(node.body, self.run.tainted)
        final = deferred.ends_by_leaving(node.body) if exits else None
        if isinstance(final, cst.Return) and isinstance(final.value, (cst.Name, cst.Attribute, cst.Subscript)) \
                and not (isinstance(final.value, cst.Name) and final.value.value in ("None", "True", "False")):
            # `payload = message["Body"]` ... `return payload` in the branch itself: the names it binds
            # by reading the message are not tainted yet when the branch is entered
            exits = _ends_in_exit(node.body, _reads_of(self.func, self.run.tainted))
        self.run.exiting_ifs.append(exits)
        self.run.exiting_branches.append(node.body if exits else None)

    def leave_If(self, original_node: cst.If) -> None:
        self.run.exiting_ifs.pop()
        self.run.exiting_branches.pop()
        self._found_branch_leaves(original_node)
        claim = self.claim_tests.pop(id(original_node), None)
        orelse = original_node.orelse
        if claim is not None and not _ends_in_exit(original_node.body) and not (
                isinstance(orelse, cst.Else) and _ends_in_exit(orelse.body)) and self.run.events[-1] is claim:
            self.run.events.remove(claim)  # neither branch leaves nor does anything: the effect after runs anyway

    def visit_If_test(self, node: cst.If) -> None:
        self.gated_depth += 1
        # the test runs on every path, before the branch it picks: `if not await match_and_ack(m):
        # return None` acks on the main line, not in the branch that leaves
        self.branch_flags.append((self.run.exiting_ifs[-1], self.run.exiting_branches[-1]))
        self.run.exiting_ifs[-1], self.run.exiting_branches[-1] = False, None

    def visit_BooleanOperation_right(self, node: cst.BooleanOperation) -> None:
        # `if message.redelivered and await self._count_redelivery(message): return`: the right operand
        # runs only on some paths, and what it does there (an ack of a message given up on) belongs to
        # the branch the test picks, as the test's own unconditional calls do not
        if not self.branch_flags:
            self.right_flags.append(None)  # not in an `if` test
            return
        self.right_flags.append((self.run.exiting_ifs[-1], self.run.exiting_branches[-1]))
        self.run.exiting_ifs[-1], self.run.exiting_branches[-1] = self.branch_flags[-1]

    def leave_BooleanOperation_right(self, node: cst.BooleanOperation) -> None:
        saved = self.right_flags.pop()
        if saved is not None:
            self.run.exiting_ifs[-1], self.run.exiting_branches[-1] = saved

    def leave_If_test(self, node: cst.If) -> None:
        self.gated_depth -= 1
        self.run.exiting_ifs[-1], self.run.exiting_branches[-1] = self.branch_flags.pop()
        reason = dedup.state_guard(node, self.ctx.index.imports, self.func)
        if reason:
            ev = self.run.add(self, "lookup", node.test, WEAK, reason, detail="state")
            if self.depth and self.call_node is not None and not _raises(node.body):
                # a helper's `if response.status_code == 404: return None` leaves the helper only:
                # it guards what the helper does, not what its caller does after it
                ev.scope = self.call_node
        self._search_tested(node)
        taken = None if self.depth else lookups.registry_test(node, self.run.identity, self.run.tainted,
                                                               _ends_in_exit, self.func)
        if taken is not None:
            self.run.add(self, "lookup", node.test, WEAK, taken, detail="registry")
        seen = lookups.seen_test(node, self.run.identity, self.run.tainted, _ends_in_exit)
        if seen is not None:
            self.run.add(self, "lookup", node.test, WEAK, seen, detail="seen")
        for ins in self.run.claims.tested(id(self.func.node), node.test):
            db, db_key = _db_write(ins.call)
            claim = self.run.add(self, "lookup", ins.call, ins.fact.strength, f"claim {ins.fact.what}",
                                 claim=True, db=db, db_key=db_key)
            claim.db_epoch = ins.epoch
            self.claim_tests[id(node)] = claim

    def visit_While_test(self, node: cst.While) -> None:
        self.gated_depth += 1

    def leave_While_test(self, node: cst.While) -> None:
        self.gated_depth -= 1

    def visit_IfExp_test(self, node: cst.IfExp) -> None:
        self.gated_depth += 1

    def leave_IfExp_test(self, node: cst.IfExp) -> None:
        self.gated_depth -= 1

    def visit_Assert(self, node: cst.Assert) -> None:
        self.gated_depth += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.gated_depth -= 1

    # -- a search for the record before creating it (facts/lookups.py) -----------------------------
    def _search_tested(self, node: cst.If) -> None:
        """`if len(found) > 0:` / `if not found:` after `found = store.search(<message data>)`."""
        if self.depth:
            return  # the handler's own searches: a helper's test guards the helper's branch only
        for search in self.run.searches:
            found = lookups.found_test(node.test, lookups.holder(search))
            if found is not None:
                self.search_tests[id(node)] = (search, found)
                return

    def _search_guard(self, search: lookups.Search, branch: Optional[cst.CSTNode]) -> None:
        ev = self.run.add(self, "lookup", search.call, WEAK, f"search {search.what} before writing to "
                          f"`{search.store}`", detail="search")
        ev.scope = branch
        self.run.search_guards.append((ev, search))

    def visit_If_body(self, node: cst.If) -> None:
        if id(node) in self.search_tests and not self.search_tests[id(node)][1]:
            self._search_guard(self.search_tests[id(node)][0], node.body)  # `if not found:` the body runs for a new record only

    def visit_If_orelse(self, node: cst.If) -> None:
        if _guard_clause(node.body):
            # `if msg.error(): raise ... else: work(); commit()`: after a guard that only leaves, the
            # `else` is the main line (what runs on every path that goes on), not an early exit; not
            # after a branch that works and leaves (`if result: ack(); return ... else: retry`)
            self.run.exiting_ifs[-1], self.run.exiting_branches[-1] = False, None
        if id(node) in self.search_tests and self.search_tests[id(node)][1] and node.orelse is not None:
            self._search_guard(self.search_tests[id(node)][0], node.orelse)  # `if found: ... else:` the else runs for a new record only

    def _found_branch_leaves(self, node: cst.If) -> None:
        """A found branch that leaves (`if found: ack(); continue`) makes what follows the `if` run for
        new records only: the guard covers the rest of the handler."""
        entry = self.search_tests.pop(id(node), None)
        if entry is None:
            return
        search, body_found = entry
        found = node.body if body_found else node.orelse.body if isinstance(node.orelse, cst.Else) else None
        if found is None or not _ends_in_exit(found):
            return
        guard = next((ev for ev, s in self.run.search_guards if s is search and ev.scope is not None
                      and contains(node, ev.scope)), None)
        if guard is None:
            self._search_guard(search, None)
        else:
            guard.scope = None

    def visit_Try(self, node: cst.Try) -> None:
        # the handler's own registry (a helper's test of its own dict is no check of the message)
        entry = None if self.depth else lookups.registry_miss(node, self.run.identity, self.run.tainted,
                                                              _ends_in_exit, self.func)
        if entry is not None:
            self.run.add(self, "lookup", entry[0], WEAK, entry[1], detail="registry")
        caught = set()
        for handler in node.handlers:
            if handler.type is not None:
                for name in _names(handler.type):
                    caught.add(name.split(".")[-1])
        node_is_unique = bool(caught & dedup.UNIQUE_ERRORS)
        self.run.try_stack.append(node_is_unique)

    def leave_Try(self, original_node: cst.Try) -> None:
        self.run.try_stack.pop()

    def visit_Try_handlers(self, node: cst.Try) -> None:
        self.run.try_stack.append(False)

    def leave_Try_handlers(self, node: cst.Try) -> None:
        self.run.try_stack.pop()

    def visit_With(self, node: cst.With) -> None:
        opened = 0
        if any(_expects_error(item.item, self.ctx) for item in node.items):
            self.run.raises_depth += 1
        for item in node.items:
            what = transactions.with_transaction(item, self.ctx)
            if what:
                self.txns.append(f"{what}@{id(node)}")
                opened += 1
            for adapter in self.run.adapters:
                site = adapter.with_ack(item, self.ctx)
                if site is not None:
                    self.with_acks.append((node, site))
            if self.depth == 0:
                site = acks.context_manager_ack(item, self.ctx, self.run.ack_of)
                if site is not None:
                    self.with_acks.append((node, site))
                    # its body up to the `yield` receives, the rest acks when the block exits:
                    # not followed as a call that runs here
                    self.run.context_managers.add(id(item.item))
        self.run.opened[id(node)] = opened

    def leave_With(self, original_node: cst.With) -> None:
        if any(_expects_error(item.item, self.ctx) for item in original_node.items):
            self.run.raises_depth -= 1
        for _ in range(self.run.opened.pop(id(original_node), 0)):
            self.txns.pop()
        for node, site in list(self.with_acks):
            if node is original_node:
                self.with_acks.remove((node, site))
                self.run.add(self, "ack", node, site.strength, site.evidence, detail=site.library)

    def visit_For(self, node: cst.For) -> None:
        receive = _is_receive(node.iter) or self._receiver_iter(node.iter) or self._relayed_receive(node.iter)
        if receive and self.depth == 0:
            self.run.add(self, "receive", node.iter, STRONG, "receive loop")
        if receive or mentions(node.iter, self.run.tainted):
            self.run.taint_target(node.target, node.iter)

    def _comprehension(self, node: cst.CSTNode) -> None:
        """`labels.put(s) for s in records`: the element is visited before its `for`, so the targets of
        a comprehension over the message's data take its taint first."""
        comp = getattr(node, "for_in", None)
        while comp is not None:
            if mentions(comp.iter, self.run.tainted) or _is_receive(comp.iter):
                self.run.taint_target(comp.target, comp.iter)
            comp = comp.inner_for_in

    visit_GeneratorExp = visit_ListComp = visit_SetComp = visit_DictComp = _comprehension

    def _receiver_iter(self, expr: cst.BaseExpression) -> bool:
        """`for msg in receiver:` / `async for m in consumer:` over a broker receiver."""
        if not isinstance(expr, (cst.Name, cst.Attribute)) or mentions(expr, self.run.tainted):
            return False
        return _receiver(expr, self.ctx)

    def _relayed_receive(self, expr: cst.BaseExpression) -> bool:
        """`for document in self.records():` over a generator of this module that yields inside a
        receive loop of its own (`for record in consumer: yield json.loads(record.value)`): each
        element is a message it received."""
        if mentions(expr, self.run.tainted):
            return False
        return relayed_loop(expr, self.ctx, lambda loop, inner: _is_receive(loop.iter) or isinstance(
            loop.iter, (cst.Name, cst.Attribute)) and _receiver(loop.iter, inner)) is not None

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.run.except_depth += 1
        self.run.exiting_ifs.append(True)  # an ack on the error path is not the main-line ack
        self.run.exiting_branches.append(None)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.run.except_depth -= 1
        self.run.exiting_ifs.pop()
        self.run.exiting_branches.pop()

    def leave_Return(self, node: cst.Return) -> None:
        if self.depth and node.value is not None and self.run.claims.pending and self.run.calling:
            # `return cur.rowcount == 1` in a helper: the caller's test of the call answers the claim
            caller = self.run.calling[-1]
            for ins in self.run.claims.tested(id(self.func.node), node.value):
                self.run.claims.add(caller[0], caller[1], ins.fact, None, ins.epoch)

    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._assigned(node.asname.name, node.item)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if self.run.claims.pending:
            self.run.claims.assigned(id(self.func.node), _target_names(target), value)
        for search in self.run.searches:
            if contains(value, search.call):
                search.names.update(_target_names(target))
        if lookups.content_hash(value, self.run.tainted):  # `digest = message.hash()`: the message's identity
            self.run.identity.update(_target_names(target))
        if mentions(value, self.run.tainted) or _is_receive(value) or id(
                value.expression if isinstance(value, cst.Await) else value) in self.run.relays:
            self.run.taint_target(target, value)
        elif self.bound and mentions(value, self.bound):
            self.bound = self.bound | frozenset(_target_names(target))  # `data = json.loads(body)` in the helper
        # a local the function binds only to values read from no message is no id of it, whatever its
        # name (`for key in ("source.%s", ...)`, then `ip_key = key % "ip"`); `record.key` of a Kafka
        # record, a parameter named `order_id`, an `event["event_id"]` read still count by name
        unbound = {name for name in _variables(value) if name in self.func.assigns and name not in self.run.identity
                   and not any(mentions(v, self.run.tainted) for v, _, _ in self.func.assigns[name])}
        if identity_names(value, self.run.identity, unbound):
            for name in _target_names(target):
                self.run.identity.add(name)
        if isinstance(target, cst.Name) and isinstance(value, cst.Call) and dotted(value.func) and (
            (dotted(value.func) or "").split(".")[-1] == "cursor"
        ):
            self.run.cursor_of[target.value] = dotted(value.func.value) if isinstance(value.func, cst.Attribute) else None

    # -- calls --------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> Optional[bool]:
        return self.run.classify_call(self, node)  # False: a deferred call's arguments run later


class HandlerRun:
    """The state of one consumer's walk (shared by the helpers it descends into)."""

    def __init__(self, index: ModuleIndex, adapters: Sequence[Adapter],
                 ack_of: Callable[[cst.Call, Ctx], Optional[AckSite]],
                 produce_of: Callable[[cst.Call, Ctx], Optional[ProduceSite]],
                 project=None, path: Optional[str] = None, max_depth: int = MAX_DEPTH) -> None:
        self.index = index
        self.project = project  # the scanned project (None: only this module is visible)
        self.path = path  # the file of `index`
        self.max_depth = max_depth
        self.summary_depth = 0  # how many project modules away from the handler this run is
        self.adapters = adapters
        self.ack_of = ack_of
        self.context_managers: Set[int] = set()  # with items that ack when their block exits
        self.produce_of = produce_of
        self.events: List[Event] = []
        self.seq = 0
        self.tainted: Set[str] = set()
        self.identity: Set[str] = set()
        self.try_stack: List[bool] = []
        self.opened: dict = {}
        self.cursor_of: dict = {}
        self.db_epoch: dict = {}
        self.visiting: Set[int] = set()
        self.idempotent: Optional[str] = None
        self.opaque: Set[str] = set()  # a helper's parameters named like ids that hold any key (`key`)
        self.kafka_eos = False  # the handler commits offsets with `send_offsets_to_transaction`
        self.replying = 0  # inside a helper called with the request's `reply_to` and `correlation_id`
        self.except_depth = 0
        self.raises_depth = 0  # inside `with pytest.raises(...)` / `self.assertRaises(...)`
        self.relays: Set[int] = set()  # helper calls that receive for the handler (`HandlerSite.receives_at`)
        self.exiting_ifs: List[bool] = []
        self.exiting_branches: List[Optional[cst.CSTNode]] = []  # beside `exiting_ifs`: those branches
        self.claims = dedup.InsertClaims()  # inserts that skip a taken key, until their result is tested
        self.searches: List[lookups.Search] = []  # reads keyed by the message's data (`store.search(...)`)
        self.search_guards: List[Tuple[Event, lookups.Search]] = []  # their branches, to confirm at the end
        self.calling: List[Tuple[int, cst.Call]] = []  # (caller's function node id, call) of the helpers walked
        self.guessing = 0  # inside an implementation `callees.by_interface` picked
        self.natural = 0  # inside a creating helper a get-or-create guards (`lookups.create_helper_if_missing`)
        self.root: Optional[FunctionInfo] = None  # the handler (the function walked at depth 0)

    def add(self, walker: _Walker, kind: str, node: cst.CSTNode, strength: int, what: str,
            detail: str = "", db: bool = False, db_key: Optional[str] = None, claim: bool = False) -> Event:
        self.seq += 1
        if walker.depth > 0:
            strength = min(strength, WEAK)
        if self.guessing:
            strength = UNSEEN  # in an implementation picked by the receiver's name only
        if db_key is not None:
            db_key = self.cursor_of.get(db_key.split(".")[0], None) or db_key
        ev = Event(kind=kind, node=node, seq=self.seq, strength=strength, what=what,
                   txns=tuple(walker.txns), db_key=db_key, db_epoch=self.db_epoch.get(db_key, 0), db=db,
                   chain=walker.chain, call_node=walker.call_node, detail=detail, claim=claim,
                   in_except=self.except_depth > 0, natural=self.natural > 0)
        self.events.append(ev)
        return ev

    def taint_target(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        for name in _target_names(target):
            self.tainted.add(name)

    def walk(self, func: FunctionInfo, depth: int = 0, chain: Tuple[str, ...] = (),
             call_node: Optional[cst.CSTNode] = None, txns: Optional[List[str]] = None,
             bound: FrozenSet[str] = frozenset()) -> None:
        if id(func.node) in self.visiting or depth > self.max_depth:
            return
        self.visiting.add(id(func.node))
        txns = list(txns or [])
        ctx = Ctx(self.index, func, self.tainted)
        decorated = transactions.decorator_transaction(func, ctx)
        if decorated:
            txns.append(f"{decorated}@{id(func.node)}")
        if depth == 0 and any(call_name(c) == "send_offsets_to_transaction" for c in func.calls):
            self.kafka_eos = True
        idem = dedup.idempotent_decorator(func.decorators, ctx)
        if idem and depth == 0:
            self.idempotent = idem
        walker = _Walker(self, func, depth, chain, call_node, txns, bound)
        if depth == 0:
            self.root = func
        if idem and depth > 0:  # a helper wrapped in `@idempotent_function`: its effects are guarded
            self.add(walker, "lookup", func.node.name, WEAK, idem, detail="wrapper")
        visit(func.node.body, walker)
        self.visiting.discard(id(func.node))
        if depth == 0:
            self._confirm_searches()
            # where each acked message came from, when no adapter recognised its receive
            received.mark(func, self.events, deferred.module_names(self.index))
            self.seq = len(self.events)

    # -- the classification of one call, in priority order ----------------------------------
    def classify_call(self, w: _Walker, call: cst.Call) -> Optional[bool]:
        if id(call) in self.context_managers:
            return None  # a project context manager that acks when its block exits (`visit_With`)
        ctx = w.ctx
        name = call.func.attr.value if isinstance(call.func, cst.Attribute) else (
            call.func.value if isinstance(call.func, cst.Name) else "")
        if is_mock(call, ctx):
            return  # a test double records calls; it is neither an ack nor a side effect
        if name in COLLECTS and isinstance(call.func, cst.Attribute) and any(
                mentions(a.value, self.tainted) for a in call.args):
            held = dotted(call.func.value)
            if held and held.split(".")[0] in ("self", "cls"):
                self.tainted.add(held)  # `self.buffer.append(msg)`: the buffer now holds message data
        site = self.ack_of(call, ctx)
        if site is not None and self.raises_depth:
            return  # `with pytest.raises(ValueError): complete_message(peeked)`: a test that the ack fails
        if site is not None:
            before = len(self.events)
            if site.through:  # a project helper that acks: what else it does counts too
                self._follow(w, call)
            if not any(e.kind == "ack" for e in self.events[before:]):
                ev = self.add(w, "ack", call, site.strength, site.evidence, detail=site.library)
                ev.early = any(self.exiting_ifs)
                if ev.early and self.exiting_ifs[-1]:
                    ev.branch = self.exiting_branches[-1]  # the branch it leaves by (None: an `except`)
            return
        if id(call) in self.relays and w.depth == 0:
            # the helper takes the message off the queue and returns it: that is the receive, and
            # what it does before is not this message's handling (not followed)
            self.add(w, "receive", call, STRONG, f"`{dotted(call.func) or name}()`")
            return False
        runs = acks.run_by(call, ctx) if isinstance(call.func, cst.Name) else None
        receive = name in RECEIVE_CALLS and isinstance(call.func, cst.Attribute) and not mentions(
            call.func.value, self.tainted) and not _producer_side(call.func.value, ctx) or name in (
            "next", "anext") and kafka.iterated_consumer(call, ctx) is not None or (  # `m = next(self._consumer)`
            # `message = await async_poll(timeout)` after `async_poll = sync_to_async(consumer.poll)`
            runs is not None and isinstance(runs.func, cst.Attribute) and runs.func.attr.value in RECEIVE_CALLS
            and not _producer_side(runs.func.value, ctx))
        if receive and w.depth == 0:
            self.add(w, "receive", call, STRONG, f"`{dotted(call.func) or name}()`")
        # -- IDEM004: the message handed to an executor, task, thread or in-memory queue (deferred.py)
        later = deferred.classify(call, ctx, self.tainted | w.bound if w.bound else self.tainted) \
            if name in deferred.NAMES else deferred.started_thread(call, ctx, self.tainted | w.bound) \
            if name == "start" else deferred.buffered(call, ctx, self.tainted) \
            if name in deferred.BUFFER_ADDS and w.depth == 0 else None
        if later is not None and not (w.depth and _bookkeeping(w.chain)):
            self.add(w, "defer", call, later.strength, later.what, detail="api" if later.strength >= STRONG else "name")
            return False  # `create_task(handle(msg))`: `handle` runs later, not here, so it is not walked
        if later is not None:
            return False  # an event log's writer queue (`EventRecorder.record(event)`): a note about the message
        waited = deferred.waited_work(call, ctx, self.tainted | w.bound if w.bound else self.tainted) \
            if name in deferred.NAMES else None
        if waited is not None and self._follow(w, cst.Call(func=waited[0], args=waited[1]), anchor=call):
            return False  # a thread or job given the message and waited for: its function's work runs here
        if name == "commit" and isinstance(call.func, cst.Attribute):
            key = dotted(call.func.value)
            if key:
                key = self.cursor_of.get(key, key)
                self.db_epoch[key] = self.db_epoch.get(key, 0) + 1
            return
        produced = self.produce_of(call, ctx)
        if produced is not None and produced.conditional:
            return  # a compare-and-set publish: a repeat is rejected by the broker, so nothing happens twice
        if produced is not None:
            if self.kafka_eos and produced.library in KAFKA_LIBRARIES:
                return  # produced in the transaction that also commits the offsets: exactly once
            if produced.acked_with:
                return  # sent in the broker transaction that acks the message: exactly once with the ack
            if produced.library in transactions.AMQP_LIBRARIES and transactions.amqp_rolled_back(call, w.func, ctx):
                return  # an AMQP transaction rolls it back: never sent
            if self.replying or produced.rpc_reply and self._reply_correlated(call, ctx):
                return  # an RPC reply: the caller matches it by correlation id and drops an extra one
            # a copy carrying the incoming message's id is dropped downstream when repeated: no effect
            # to dedup, but still work that an ack before it loses (IDEM004's "forward")
            kind = "forward" if self._derived_id(produced, call, ctx, w.bound, w) or self._caller_ids(
                w, produced) else "effect"
            # a client taken for a producer by its name only is weaker evidence of a publish
            # (so is a core NATS publish, which a stream may or may not keep)
            strength = WEAK if produced.by_name or produced.core_subject else STRONG
            relay = False
            if kind == "effect" and not produced.has_id and not any(
                    payload.carries_id(expr, ctx) for expr in produced.id_exprs) and _raw_body(
                    produced.payload, self.tainted | w.bound if w.bound else self.tainted, w.func) and not (
                    produced.library in payload.PROPERTY_ID_LIBRARIES and produced.id_exprs):
                # the delivered bytes sent on as they came (`js.publish(subject, msg.data)`), with no id
                # of the copy's own: it carries whatever id its producer gave the original, which is
                # not in view here (over AMQP, not when the publish gives the copy headers or
                # properties of its own: a new envelope, without the original's `message_id`)
                strength, relay = min(strength, WEAK), True
            self.add(w, kind, call, strength, f"publish {produced.what}", detail="publish").relay = relay
            return
        if user_patterns.ACTIVE and self._declared(w, call):
            return
        if self.except_depth and self._release(call, ctx):
            return  # `except: r.delete(key); raise`: the claim is undone when the effect fails
        gated = w.gated_depth > 0 or id(call) in w.tested_calls
        unique_try = bool(self.try_stack and self.try_stack[-1])
        fact = dedup.classify(call, ctx, gated, unique_try, self.identity, self.tainted, far=self.summary_depth >= 2,
                              opaque=self.opaque)
        if fact is not None:
            db, db_key = _db_write(call)
            if fact.kind in ("lookup", "claim"):
                self.add(w, "lookup", call, fact.strength, fact.what, claim=fact.kind == "claim",
                         db=db and fact.kind == "claim", db_key=db_key, detail="lock" if fact.lock else "")
            elif fact.kind == "insert-claim":  # a claim from the test of its result on (`leave_If_test`)
                recv = call.func.value if isinstance(call.func, cst.Attribute) else None
                cursor = recv.value if isinstance(recv, cst.Name) and (
                    recv.value in self.cursor_of or "cur" in recv.value.lower()) else None
                key = (self.cursor_of.get(db_key.split(".")[0]) or db_key) if db_key else None
                self.claims.add(id(w.func.node), call, fact, cursor, self.db_epoch.get(key, 0))
                if fact.store:  # untested, it still records the message as processed
                    self.add(w, "marker", call, fact.strength, fact.what, db=db, db_key=db_key)
            elif fact.kind == "marker":
                if not db:  # `mark_processed(session, msg_id)`: the record goes through the session it is given
                    db_key = _session_argument(call)
                    db = db_key is not None
                self.add(w, "marker", call, fact.strength, fact.what, db=db, db_key=db_key)
            else:  # keyed by a per-delivery handle, or by nothing from the message at all
                self.add(w, "per-delivery", call, fact.strength, fact.what,
                         detail="unrelated" if fact.kind == "unkeyed" else "")
            return
        effect = effects.classify(call, ctx)
        if effect is not None:
            self.add(w, "effect", call, effect.strength, effect.what, detail=effect.category,
                     db=effect.db, db_key=effect.db_key)
            return
        if (name in CELERY_PUBLISH or name == "send" and _local_actor(call, ctx)) and isinstance(
                call.func, cst.Attribute) and not _has_derived_task_id(call, self) and not deferred.on_pool(call, ctx):
            work = self._task_work(call, ctx)
            if work == "none":
                return  # `cleanup_workspace.send(workspace_id)` of a project task whose own work repeats harmlessly
            # the task queue gives each enqueued message an id of its own: the second run is the harm,
            # sure only when the task's own walk finds a non-idempotent effect; a task out of view is
            # code the tool cannot see, as a hand-off is
            strength = (STRONG if ctx.imports(*TASK_QUEUES) else WEAK) if work == "effect" else UNSEEN
            self.add(w, "effect", call, strength, f"task enqueue `{dotted(call.func) or name}()`", detail="publish")
            return
        if receive:
            return  # `self.receive_message()`: what builds the message is no handling of it
        if w.depth == 0 and not _mentions_root(call.func, PURE_ROOTS, ctx):
            what = lookups.search(call, ctx, self.tainted, RECEIVE_CALLS)
            if what is not None:
                self.searches.append(lookups.Search(call, what, lookups.store_of(call) or ""))
        if self._keyed_helper(w, call, gated):
            return
        # created only when a lookup by the same message data found nothing: a repeat creates nothing
        # (its effects stay: losing the message before them is still a loss)
        natural = lookups.create_helper_if_missing(  # in a helper, its parameters are what its caller passes
            call, w.func, self.tainted | set(w.func.params) if w.depth else self.tainted)
        self.natural += natural
        try:
            self._unresolved_call(w, call, ctx, name)
        finally:
            self.natural -= natural

    def _unresolved_call(self, w: _Walker, call: cst.Call, ctx: Ctx, name: str) -> None:
        """A call no fact above names: a project function to follow, else an effect by name or an
        unseen hand-off of the message."""
        if self._follow(w, call):
            return  # else: out of reach, like a call the tool cannot resolve
        if self._recursive(call, w):
            return  # `avro_type_to_arrow_type(item)` in its own body: walked already, no hand-off
        out_of_reach = self._callees(call, w)
        if out_of_reach and all(_computes_only(callee) for callee in out_of_reach):
            return  # project functions out of reach that only compute: seen, not handed off
        if effects.inert(call, ctx):
            return  # a declaration, a signal, a key-value write, a SQL upsert: no effect, no hand-off
        named = effects.named_effect(call)
        if named and not self._resolved_library(call, ctx) and not _mentions_root(call.func, PURE_ROOTS, ctx) and (
                handoff.in_process(call, ctx) in (None, handoff.GIVEN)):  # `signal.send_event(...)`: no effect
            # `self.amqpBroker.publish(content=DLRContent(status, msgid, ...))` with `msgid` read from the
            # message: a copy a repeat is dropped for downstream, as a library publish would be
            kind = "forward" if named.lstrip("_").lower().startswith("publish") and any(
                self._from_message_id(value, ctx, self.tainted | w.bound)
                for arg in call.args for value in payload.payload_id_values(arg.value, ctx)) else "effect"
            self.add(w, kind, call, WEAK, f"`{dotted(call.func) or named}()`", detail="named")
            return
        if self.except_depth == 0 and hands_off(call, ctx, self.tainted):
            self.add(w, "handoff", call, UNSEEN, f"`{dotted(call.func) or name}()`")
        elif self.except_depth == 0 and not _bound_default(call, w.func) and hands_off(call, ctx, self.tainted,
                                                                                      given=True):
            # a callable the consumer was given (a plug-in, a handler picked from the table its users
            # fill): no hand-off to judge, its work is the plug-in's, but work an ack on delivery loses
            self.add(w, "given", call, UNSEEN, f"`{dotted(call.func) or name or lookups.code(call.func)[:60]}()`")

    def _follow(self, w: _Walker, call: cst.Call, anchor: Optional[cst.Call] = None) -> bool:
        """Walk the project functions `call` may run (or add their summaries): False if none is in
        reach. Several when the receiver is one of a module's classes picked at run time. `anchor`:
        the call in the code that runs them, when `call` is made up (a thread's `target(*args)`)."""
        followed = False
        anchor = anchor or call
        for callee in self._callees(call, w):
            if callee.func.yields and any(loop.iter is call for loop in w.func.fors):
                # `for record in self.records():` over a generator: its body runs a step per iteration,
                # around the loop's body, not here (`detect.kafka.Relay` for one that receives)
                followed = True
                continue
            replying = self._forwards_reply(call, w.ctx)
            self.guessing += callee.guessed
            if callee.path is None:
                self.replying += replying
                self.calling.append((id(w.func.node), anchor))
                given = [a for a in call.args if a.star == "" and mentions(a.value, self.tainted | w.bound)]
                bound = frozenset(lookups.bound(callee.func, call, given)) if given else frozenset()
                self.walk(callee.func, w.depth + 1, w.chain + (callee.func.symbol,), w.call_node or anchor, w.txns,
                          bound)
                self.calling.pop()
                self.replying -= replying
                followed = True
            else:
                summary = self._summary(callee) if w.depth < self.max_depth else None
                if summary is not None:
                    # a summary takes the helper's parameters for message data: what it hands to unseen
                    # code is the message only when the call gives it some (`get_callable(self.path)`
                    # importing a module by a setting's name hands nothing on)
                    given = any(mentions(a.value, self.tainted | w.bound) for a in call.args) or (
                        isinstance(call.func, cst.Attribute) and mentions(call.func.value, self.tainted | w.bound))
                    self._inline(w, anchor, summary, replying, handoffs=given)
                    followed = True
            self.guessing -= callee.guessed
        return followed

    def _confirm_searches(self) -> None:
        """A search guards its branch only if that branch writes to the store it searched (it creates
        the record the next delivery's search finds); else it was a read of something else."""
        for guard, search in self.search_guards:
            region = [e for e in self.events if e.seq > guard.seq and e.kind in ("effect", "handoff")
                      and (guard.scope is None or contains(guard.scope, e.call_node or e.node))]
            if not any(search.store in (lookups.store_of(e.node), lookups.store_of(e.call_node)) for e in region) \
                    and guard in self.events:
                self.events.remove(guard)

    def _keyed_helper(self, w: _Walker, call: cst.Call, gated: bool) -> bool:
        """`if not self.cache_exists(digest):` / `self.cache_set(digest, ...)`: a project helper that reads
        or writes a store under the key it is given, called with the message's identity (a helper's
        generic `key` is no identity of its own, so its summary cannot tell)."""
        opaque = GENERIC_KEYS - self.identity  # `cache_key`, `key`: an id by name only, unless bound to one
        args = [a for a in call.args if a.star == "" and identity_names(a.value, self.identity, opaque)]
        if not args:
            return False
        for callee in self._callees(call, w):
            params = lookups.bound(callee.func, call, args)
            if not params:
                continue
            cctx = Ctx(callee.index, callee.func, set(params))
            for inner in callee.func.calls:
                returned = _returned(inner, callee.func)
                # the helper's own generic `key` is an id only when the call binds the identity to it
                fact = dedup.classify(inner, cctx, gated and returned, False, set(params), set(params),
                                      opaque=GENERIC_KEYS - set(params))
                if fact is None or fact.kind not in ("lookup", "marker", "claim") \
                        or fact.kind != "marker" and not returned:
                    continue
                # `if await guard.check_and_set(event_id): return`, whose `SET NX` result the helper
                # returns: the caller's test makes it a claim, as a tested `SET NX` is
                self.add(w, "marker" if fact.kind == "marker" else "lookup", call, WEAK,
                         f"`{dotted(call.func) or call_name(call)}()` ({fact.what} in `{callee.qualname}`)",
                         claim=fact.kind == "claim", detail="lock" if fact.lock else "")
                return True
        return False

    def _derived_id(self, site: ProduceSite, call: cst.Call, ctx: Ctx, bound: FrozenSet[str] = frozenset(),
                    w: Optional[_Walker] = None) -> bool:
        """A publish whose id comes from the incoming message is a no-op on redelivery downstream.

        Only the id slots count (`message_id`, `correlation_id`, an id header, an id field of a
        payload written out as a mapping: `{**fields, "_origin_id": entry_id}`), and only when
        their value names an id read from the message: `reply_to=props.reply_to`, a copied tenant
        header or a fresh `uuid4()` make a new message on every redelivery. In a followed helper,
        its parameters the caller passes message data (`bound`) are that data
        (`MessageDeduplicationId=get_hash((object_id, status))`, called with `data["job_id"]`).
        """
        tainted = self.tainted | bound if bound else self.tainted
        if site.rpc_reply and self._reply_correlated(call, ctx):
            return True  # the caller matches replies by correlation id and drops the extra one
        # a `**params` dict the function builds itself (`params = dict(QueueUrl=..., MessageBody=body)`)
        # is no set of the message's own properties: the adapters read its keywords
        # (over AMQP the id is the `message_id` property: the delivered message's headers copied
        # onto a new one do not carry it; nor do an SQS message's attributes carry its `MessageId`,
        # which SQS makes anew for the copy)
        forwarded = [expr for expr in site.id_exprs if (site.library not in payload.PROPERTY_ID_LIBRARIES
                     or not payload.copied_headers(expr, ctx, tainted))
                     and not (site.library in ("sqs", "sns") and _copied_attributes(expr, tainted))] \
            + [a.value for a in call.args if a.star == "**" and not _built_dict(a.value, ctx)]
        if any(isinstance(expr, (cst.Name, cst.Attribute)) and mentions(expr, tainted)
               and not self._computed(expr, ctx, w, tainted) for expr in forwarded):
            return True  # `headers=message.headers`, `**message.properties`: forwarded with its own ids
        return any(self._from_message_id(value, ctx, tainted)
                   for value in [v for expr in site.id_exprs for v in payload.id_values(expr, ctx)]
                   + payload.payload_id_values(site.payload, ctx))

    def _computed(self, expr: cst.BaseExpression, ctx: Ctx, w: Optional[_Walker], tainted: Set[str]) -> bool:
        """`headers` bound only to what a call makes of the message (`content, headers =
        self.processor.process_message(message)`), here or, for a helper's parameter, in the handler
        that passes it: new properties, not the message's own forwarded (`dict(message.headers)`, a
        copy of what `tainted` holds, is the message's own)."""
        from .handover import _plain_names  # handover imports this module

        while isinstance(expr, cst.Attribute):
            expr = expr.value
        func = ctx.func
        if not isinstance(expr, cst.Name) or func is None:
            return False
        values = func.assigns.get(expr.value)
        if values:
            return all(how == "=" and isinstance(value.expression if isinstance(value, cst.Await) else value, cst.Call)
                       and not _plain_names(value, set()) & tainted for value, _, how in values)
        call = w.call_node if w is not None and w.depth == 1 and expr.value in w.bound else None
        if not isinstance(call, cst.Call) or self.root is None or not contains(self.root.node, call):
            return False
        given = argument(call, w.func, expr.value)  # type: ignore[union-attr]
        return given is not None and self._computed(given, Ctx(self.index, self.root, self.tainted), None, self.tainted)

    def _caller_ids(self, w: _Walker, site: ProduceSite) -> bool:
        """In a helper the handler calls (`publisher.xadd_json(dlq, {"original_id": entry.id, ...})`,
        which publishes `json.dumps(message)`), an id field of what the handler passes for a parameter
        the payload holds, read from the message (or the entry its ack settles), is the message's."""
        call = w.call_node
        if w.depth != 1 or not w.bound or not isinstance(call, cst.Call) or self.root is None \
                or site.payload is None or not contains(self.root.node, call):
            return False
        caller = Ctx(self.index, self.root, self.tainted)
        given = [argument(call, w.func, p) for p in w.bound if mentions(site.payload, {p})]
        return any(self._from_message_id(value, caller, self.tainted)
                   for arg in given if arg is not None for value in payload.payload_id_values(arg, caller))

    def _from_message_id(self, value: cst.BaseExpression, ctx: Ctx, tainted: Set[str]) -> bool:
        """`props.message_id`, `f"fwd-{task_id}"` after `task_id = self.request.id`; not `uuid4()`."""
        if not identity_names(value, self.identity) or _fresh(value):
            return False
        if mentions(value, tainted):
            return True
        assigns = ctx.func.assigns if ctx.func is not None else {}
        return any(assigns.get(name) and not all(_fresh(v) for v, _, _ in assigns[name])
                   for name in self.identity if mentions(value, {name}))

    def _forwards_reply(self, call: cst.Call, ctx: Ctx) -> bool:
        """A call of the project's own publish helper with an RPC reply's routing: the request's
        `reply_to` and its `correlation_id` (nameko's `publisher.publish(payload,
        routing_key=reply_to, correlation_id=correlation_id)`, forwarded as `**kwargs` to kombu).
        What the helper publishes is that reply, which the caller matches by correlation id."""
        exprs: List[cst.CSTNode] = [call]
        for arg in call.args:
            if isinstance(arg.value, cst.Name) and ctx.func is not None and arg.value.value in ctx.func.assigns:
                exprs.append(ctx.func.assigns[arg.value.value][0][0])
        if "reply_to" not in {n for e in exprs for n in names_in(e)}:
            return False
        return self._reply_correlated(call, ctx)

    def _reply_correlated(self, call: cst.Call, ctx: Ctx) -> bool:
        """The reply's `correlation_id` is the request's (not a fresh one for a request of our own)."""
        exprs: List[cst.CSTNode] = [call]
        for arg in call.args:
            if isinstance(arg.value, cst.Name) and ctx.func is not None and arg.value.value in ctx.func.assigns:
                exprs.append(ctx.func.assigns[arg.value.value][0][0])
        while exprs:
            cur = exprs.pop()
            if isinstance(cur, cst.Arg) and cur.keyword is not None and cur.keyword.value in payload.CORRELATION:
                if mentions(cur.value, self.tainted):
                    return True
            elif isinstance(cur, cst.DictElement) and (string_value(cur.key) or "") in payload.CORRELATION:
                if mentions(cur.value, self.tainted):
                    return True
            exprs.extend(children(cur))
        return False

    def _release(self, call: cst.Call, ctx: Ctx) -> bool:
        claims = [e for e in self.events if e.kind == "lookup" and e.claim and dedup.releases(call, e.node, ctx)]
        for claim in claims:
            claim.detail = claim.detail or "released"
        for record in self.events:  # the record the claiming insert leaves is undone with it
            if record.kind == "marker" and any(record.node is claim.node for claim in claims):
                record.detail = record.detail or "released"
        return bool(claims)

    def _declared(self, w: _Walker, call: cst.Call) -> bool:
        """A call the user declared a dedup lookup, a side effect or an idempotent wrapper."""
        names = (w.ctx.origin(call.func), dotted(call.func))
        for kind, event in (("dedup", "lookup"), ("idempotent", "lookup"), ("side-effect", "effect")):
            declared = user_patterns.ACTIVE.matches(kind, *names)
            if declared:
                what = f"declared {kind} `{declared}()`"
                self.add(w, event, call, STRONG, what, detail="declared")
                return True
        return False

    def _recursive(self, call: cst.Call, w: _Walker) -> bool:
        """`call` runs the function being walked itself (a recursion, which `_callees` leaves out)."""
        if not isinstance(call.func, cst.Name) or call.func.value != w.func.name:
            return False
        found = callees.resolve_all(call.func, w.ctx, self.project, self.path, overrides=False)
        return bool(found) and all(c.func.node is w.func.node for c in found)

    def _callees(self, call: cst.Call, w: _Walker) -> List[callees.Callee]:
        # an abstract method stays itself: its overrides are consumers of their own (template methods);
        # a `typing.Protocol`'s stub runs one of the classes that implement the protocol
        # (`self._webhook.post(...)` typed `WebhookClient(Protocol)`: `callees.protocol_methods`)
        found = callees.resolve_all(call.func, w.ctx, self.project, self.path, overrides=False)
        return [c for c in found if c.func.node is not w.func.node]

    def _inline(self, w: _Walker, call: cst.Call, summary: "Summary", replying: bool = False,
                handoffs: bool = True) -> None:
        """Add what a function in another project module does, from its summary (less its publishes
        when the call hands it an RPC reply's routing: those are the reply; less its hand-offs of
        its parameters when the call gives it no message data)."""
        for ev in summary.events:
            if replying and ev.kind in ("effect", "forward") and ev.detail == "publish" and ev.what.startswith("publish "):
                continue
            if not handoffs and ev.kind == "handoff":
                continue
            self.seq += 1
            key = ev.db_key
            self.events.append(replace(
                ev, seq=self.seq, strength=UNSEEN if self.guessing else min(ev.strength, WEAK), txns=tuple(w.txns) + ev.txns,
                db_epoch=self.db_epoch.get(key, 0) + ev.db_epoch if key is not None else ev.db_epoch,
                chain=w.chain + ev.chain, call_node=w.call_node or call,
                in_except=ev.in_except or self.except_depth > 0, early=ev.early or any(self.exiting_ifs),
                natural=ev.natural or self.natural > 0,
            ))
        for key, commits in summary.commits.items():
            self.db_epoch[key] = self.db_epoch.get(key, 0) + commits

    def _summary(self, callee: callees.Callee) -> Optional["Summary"]:
        """What `callee` does, walked once per process and depth with its parameters taken as message
        data (None when it is further from the handler than the configured depth). The depth is part
        of the key: a summary made deeper in a call chain follows fewer calls, and one made while an
        ancestor was still being walked saw it as empty; kept across files, either would make a
        result depend on which file a process analysed first."""
        memo = self.project.memo("summaries", callee.path)
        key = (callee.path, id(callee.func.node), self.summary_depth)
        if key in memo:
            return memo[key]
        if self.summary_depth >= self.max_depth:
            return None
        memo[key] = EMPTY  # a cycle back into this function adds nothing
        run = HandlerRun(callee.index, self.adapters, self.ack_of, self.produce_of, self.project, callee.path,
                         self.max_depth)
        run.summary_depth = self.summary_depth + 1
        params = [p for p in callee.func.params if p not in NOT_MESSAGE_PARAMS]
        run.tainted.update(params)
        # a helper's `key` parameter is whatever key its callers pass (`cache_set(key, value)`), not
        # the message's: only names that say which id they hold count
        run.opaque = {p for p in params if p.lower().strip("_") in GENERIC_KEYS}
        run.identity.update(p for p in params if is_id_name(p) and p not in run.opaque)
        run.walk(callee.func, 1, (callee.qualname,))
        summary = Summary(tuple(run.events), dict(run.db_epoch))
        memo[key] = summary
        return summary

    def _task_work(self, call: cst.Call, ctx: Ctx) -> str:
        """What the task an enqueue runs (`task.delay(...)`, `actor.send(...)`, `send_task(actor, ...)`)
        does, from its own walk (its summary): "none" when the project defines it and it finds no
        non-idempotent effect and hands nothing to unseen code (the second run a redelivery enqueues
        repeats nothing), "effect" when it finds one, "unknown" for a task the tool cannot find, one
        named by a string (`app.send_task("tasks.refresh")`), or one whose work is out of view."""
        if self.project is None or not isinstance(call.func, cst.Attribute):
            return "unknown"
        target = positional(call, 0) if call.func.attr.value == "send_task" else call.func.value
        task = _task_function(target, ctx, self.project, self.path) if target is not None else None
        summary = self._summary(task) if task is not None else None
        if summary is None or summary is EMPTY:
            return "unknown"
        kinds = {e.kind for e in summary.events}
        if "effect" in kinds:
            return "effect"
        return "unknown" if kinds & {"handoff", "defer", "per-delivery"} else "none"

    def _resolved_library(self, call: cst.Call, ctx: Ctx) -> bool:
        origin = ctx.origin(call.func) or ""
        root = origin.split(".")[0]
        return bool(root) and not origin.startswith(".") and root in self.index.import_roots and (
            root in PURE_ROOTS or root in ("django", "sqlalchemy", "flask", "fastapi")
        )


# the attributes that hold a delivered message's raw body in the brokers' message classes
RAW_BODIES = frozenset({"data", "body", "value", "Body", "raw_body"})


def _raw_body(payload: Optional[cst.BaseExpression], tainted: Set[str], func: Optional[FunctionInfo] = None) -> bool:
    """`msg.data`, `message.body`, `record.value`: the delivered message's own bytes, unchanged; or
    `body` as a pika callback or `frame, header, body = channel.basic_get(queue)` gives it."""
    if isinstance(payload, cst.Name) and payload.value in RAW_BODIES and payload.value in tainted and func is not None:
        bound = func.assigns.get(payload.value, ())
        return (payload.value in func.params and not bound) or bool(bound) and all(
            how == "=" and index is not None and isinstance(value, (cst.Call, cst.Await))
            for value, index, how in bound)
    if isinstance(payload, cst.Attribute) and payload.attr.value in RAW_BODIES:
        return isinstance(payload.value, cst.Name) and payload.value.value in tainted
    if isinstance(payload, cst.Subscript) and isinstance(payload.value, cst.Name) and payload.value.value in tainted:
        return subscript_key(payload) in RAW_BODIES  # `record["body"]` of a Lambda SQS record
    return False


# where a received SQS message keeps its attributes: the boto3 resource's `message.attributes` /
# `message.message_attributes`, the client's and Lambda's `["MessageAttributes"]` / `["messageAttributes"]`
_SQS_ATTRIBUTES = frozenset({"attributes", "message_attributes", "MessageAttributes", "messageAttributes",
                             "Attributes"})


def _copied_attributes(expr: cst.BaseExpression, tainted: Set[str]) -> bool:
    """`MessageAttributes=message.attributes` (or `record["messageAttributes"]`) of a received message:
    its attributes copied onto a new one, which SQS gives a `MessageId` of its own."""
    if isinstance(expr, cst.Attribute) and expr.attr.value in _SQS_ATTRIBUTES:
        return isinstance(expr.value, cst.Name) and expr.value.value in tainted
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        key = string_value(expr.slice[0].slice.value)
        return key in _SQS_ATTRIBUTES and isinstance(expr.value, cst.Name) and expr.value.value in tainted
    return False


def _task_function(target: cst.BaseExpression, ctx: Ctx, project, path: Optional[str]) -> Optional[callees.Callee]:
    """The function a task or actor `target` runs: a project function (a Celery task, a decorated
    actor), what an actor made by a call runs (`cleanup = dramatiq.actor(CleanupTask())`), or the
    project function a Celery task name written out names (`send_task("app.tasks.refresh_role")`:
    a task's default name is its module's dotted path and the function's name)."""
    name = string_value(target)
    if name is not None:
        return callees.by_dotted_name(name, project, path) if _DOTTED_NAME.match(name) else None
    found = callees.resolve(target, ctx, project, path)
    if found is not None or not isinstance(target, cst.Name):
        return found
    from ..detect.dramatiq import assigned_actor  # the adapters import the facts: not at module level

    func = assigned_actor(target.value, ctx.index)
    return callees.Callee(func, ctx.index, None) if func is not None else None


def _reads_of(func: FunctionInfo, names: Set[str]) -> Set[str]:
    """`names` and the locals the function binds by reading them, through subscripts, attributes and
    decoding (`payload_in = message["Body"]`), not through a call that makes something new of them
    (`meta = self._set_cache_by_message(task_id, latest)`)."""
    from .handover import _plain_names  # handover imports this module

    out = set(names)
    for _ in range(4):
        found = {name for name, values in func.assigns.items() if name not in out
                 and any(how == "=" and _plain_names(value, set()) & out for value, _, how in values)}
        if not found:
            break
        out |= found
    return out


def _variables(expr: cst.BaseExpression) -> Set[str]:
    """The variables `expr` reads (not the attributes or keys it names)."""
    nodes = list(walk(expr))
    attrs = {id(n.attr) for n in nodes if isinstance(n, cst.Attribute)}
    return {n.value for n in nodes if isinstance(n, cst.Name) and id(n) not in attrs}


def _returned(call: cst.Call, func: FunctionInfo) -> bool:
    """What `call` gives is what `func` returns: the call is in a `return`, or its result is bound to a
    local a `return` reads (`created = await r.set(key, 1, nx=True)`, then `return not created`)."""
    if any(contains(r, call) for r in func.returns):
        return True
    bound = deferred.bound_by(func, call)
    return bool(bound) and any(mentions(r, bound) for r in func.returns)


def hands_off(call: cst.Call, ctx: Ctx, tainted: Set[str], given: bool = False) -> bool:
    """`call` gives message data (`tainted`) to code the tool cannot see (see `facts.handoff`). With
    `given`, a callable the consumer was given counts too: what it does is unknown here, but it is
    the work on the message (IDEM004 asks whether the ack comes before it, not what it does)."""
    if not any(mentions(a.value, tainted) for a in call.args):
        return False
    func = call.func
    text = dotted(func) or ""
    if ".objects." in text or text.split(".")[-1].lstrip("_")[:1].isupper() or text.split(".")[-1] in SEEN_DB_CALLS:
        return False  # ORM managers, constructors (`_PropsShim(...)` too) and SQL calls are read, not handed off
    if text == "cls":
        return False  # `cls(...)` in a classmethod: a constructor, like `Deadline(...)`
    called = call_name(call) or ""
    if called.lower() in LOG_CALLS or PURE_CALL.match(called):
        return False
    if called in RECEIVE_CALLS and isinstance(func, cst.Attribute) and all(
            a.keyword is not None or a.star == "**" for a in call.args if mentions(a.value, tainted)):
        return False  # `queue.receive_messages(**options)`: fetches new messages; its keywords are options
    if isinstance(func, cst.Name):
        if func.value in BUILTINS:
            return False
    elif isinstance(func, cst.Subscript):
        # `self.handlers[topic](msg)`: a hand-off only as a callable the consumer was given
        return given and handoff.in_process(call, ctx) == handoff.GIVEN
    elif isinstance(func, cst.Attribute):
        base = func.value
        root = base
        while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
            root = root.value if not isinstance(root, cst.Call) else root.func
        if isinstance(root, cst.Name) and (root.value in tainted or root.value in LOGGER_NAMES):
            return False
        if isinstance(base, cst.Attribute) and base.attr.value in LOGGER_NAMES:
            return False  # `self.log.dev(msg)`: a method of the object's logger (faust), not a handler
        if isinstance(base, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            return False
        if func.attr.value in ("get", "items", "keys", "values", "append", "extend", "update", "pop",
                               "format", "join", "decode", "encode", "split", "strip", "setdefault",
                               "info", "debug", "warning", "error", "exception", "critical", "put",
                               "put_nowait", "add"):
            return False
    else:
        return False
    origin = ctx.origin(func) or ""
    root = origin.split(".")[0]
    if root in PURE_ROOTS or root in KNOWN_LIBRARIES or origin.split("(")[0] in PURE_ROOTS:
        return False  # a library whose effects the tables know: what it does is not unseen
    why = handoff.in_process(call, ctx)  # a signal, a registry, a logger, memory, a plug-in
    return why is None or given and why == handoff.GIVEN


def _guard_clause(body: cst.BaseSuite) -> bool:
    """A branch that only leaves: `raise`, `continue`, `break`, `return` (of nothing done here) or
    `pass`, after log lines at most (`if msg.error(): log.error(...); raise KafkaException(...)`)."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    small = [s for line in statements for s in (line.body if isinstance(line, (cst.SimpleStatementLine,
                                                                               cst.SimpleStatementSuite)) else [line])]
    if not small or not isinstance(small[-1], (cst.Raise, cst.Continue, cst.Break, cst.Return)):
        return False
    for stmt in small[:-1]:
        if isinstance(stmt, cst.Pass):
            continue
        if not (isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call)
                and (call_name(stmt.value) or "").lower() in LOG_CALLS):
            return False
    last = small[-1]
    return not isinstance(last, cst.Return) or last.value is None or isinstance(last.value, cst.Name) and \
        last.value.value in ("None", "True", "False")


def _ends_in_exit(body: cst.BaseSuite, message: Set[str] = frozenset()) -> bool:
    """`if dup: ack(); continue`: the branch's last statement leaves the handler or the iteration. A
    branch that yields first (`yield TriggerEvent(messages); return`), or that returns the message
    (`receiver.complete_message(msg); return msg`, `message` holding its names), hands the messages to
    its caller: the main path, not a skip."""
    final = deferred.ends_by_leaving(body)
    if final is None:
        return False
    if isinstance(body, cst.SimpleStatementSuite):
        return True
    if isinstance(final, cst.Return) and final.value is not None and mentions(final.value, message):
        return False
    return not _yields(body)


def _bound_default(call: cst.Call, func: FunctionInfo) -> bool:
    """`tzfields(body)` where `tzfields=_TZGETITEM` is a parameter's default: a module function bound
    at definition for speed, not a callable a caller gives."""
    if not isinstance(call.func, cst.Name) or call.func.value not in func.params:
        return False
    default = func.default_of(call.func.value)
    return default is not None and not (isinstance(default, cst.Name) and default.value == "None")


def _raises(body: cst.CSTNode) -> bool:
    """The branch raises (which leaves the caller too), as opposed to returning from the function."""
    return any(isinstance(n, cst.Raise) for n in walk(body, into_scopes=False))


def _yields(body: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Yield) for n in walk(body, into_scopes=False))


# Methods that read or reshape a value (strings, collections, dates): a function calling only these,
# builtins and pure libraries computes a result and changes nothing outside.
VALUE_METHODS = {"strip", "lstrip", "rstrip", "lower", "upper", "title", "split", "rsplit", "splitlines", "join",
                 "format", "replace", "startswith", "endswith", "encode", "decode", "get", "items", "keys",
                 "values", "copy", "append", "extend", "count", "isoformat", "astimezone", "total_seconds",
                 "quantize", "hexdigest", "setdefault", "sort", "reverse", "discard", "union", "intersection"}


# words of a class that keeps notes about the messages (an event log, an audit trail, metrics):
# what it queues for a writer thread is that note, not the message's work
BOOKKEEPING = frozenset({"log", "logger", "logging", "audit", "metric", "metrics", "stats", "telemetry", "trace",
                         "tracer", "tracing", "recorder", "journal", "eventlog", "monitor", "monitoring"})


def _bookkeeping(chain: Sequence[str]) -> bool:
    """The walk is in a method of such a class: the last link's class (`...EventRecorder.record`)."""
    if not chain:
        return False
    parts = chain[-1].split(".")
    return len(parts) >= 2 and parts[-2][:1].isupper() and bool(camel_words(parts[-2]) & BOOKKEEPING)


# pure roots whose calls act (a file, a task, a thread, a queue): not a computation
ACTING_ROOTS = frozenset({"os", "asyncio", "threading", "multiprocessing", "concurrent", "queue"})


def computes(call: cst.Call, ctx: Ctx) -> bool:
    """`call` is a builtin, a value method or a pure library's call: it computes a value."""
    func = call.func
    if isinstance(func, cst.Name) and func.value in BUILTINS:
        return True
    if isinstance(func, cst.Attribute) and func.attr.value in VALUE_METHODS:
        return True
    root = (ctx.origin(func) or "").split(".")[0]
    return root in PURE_ROOTS and root not in ACTING_ROOTS


def _computes_only(callee: callees.Callee) -> bool:
    """A resolved function whose own body calls only builtins, pure libraries and value methods (a
    score, a normalisation, a price computation): what it does is seen, though it is not walked."""
    ctx = Ctx(callee.index, callee.func)
    return all(computes(call, ctx) for call in callee.func.calls)


def _mentions_root(func: cst.BaseExpression, roots: Set[str], ctx: Ctx) -> bool:
    origin = ctx.origin(func) or dotted(func) or ""
    return origin.split(".")[0] in roots


# New on every call: an id made from one of these is new on every redelivery too.
FRESH_CALLS = {"uuid1", "uuid4", "uuid6", "uuid7", "token_hex", "token_urlsafe", "token_bytes", "ulid",
               "time", "time_ns", "monotonic", "now", "utcnow", "random", "randint", "getrandbits", "urandom"}


def _fresh(expr: cst.CSTNode) -> bool:
    """`str(uuid.uuid4())`, `f"{time.time()}"`: the value changes on every call."""
    stack = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Call) and (call_name(cur) or "") in FRESH_CALLS:
            return True
        stack.extend(children(cur))
    return False


def _producer_side(receiver: cst.BaseExpression, ctx: Ctx) -> bool:
    """`producer.poll(0)`: a Kafka producer serving its delivery callbacks, not a receive."""
    return "Producer(" in (ctx.origin(receiver) or "") or "producer" in (dotted(receiver) or "").split(".")[-1].lower()


def _expects_error(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """`pytest.raises(...)` or unittest's `self.assertRaises(...)`: the block is expected to raise."""
    if not isinstance(expr, cst.Call):
        return False
    name = call_name(expr) or ""
    if name in ("assertRaises", "assertRaisesRegex"):
        return True
    return name == "raises" and (ctx.origin(expr.func) or dotted(expr.func) or "") == "pytest.raises"


def _has_derived_task_id(call: cst.Call, run: HandlerRun) -> bool:
    for kw in ("task_id", "job_id", "_job_id"):
        value = kwarg(call, kw)
        if value is not None and (mentions(value, run.identity | run.tainted) or identity_names(value, run.identity)):
            return True
    return False


def _local_actor(call: cst.Call, ctx: Ctx) -> bool:
    """`actor.send(...)` on a dramatiq actor (or Celery task) defined in this module."""
    target = func_ref(call.func.value, ctx) if isinstance(call.func, cst.Attribute) else None
    return target is not None and bool(target.decorators)


def _session_argument(call: cst.Call) -> Optional[str]:
    """The database session or connection passed to a helper call, by its name."""
    for arg in call.args:
        if isinstance(arg.value, (cst.Name, cst.Attribute)):
            text = dotted(arg.value) or ""
            last = text.split(".")[-1].lower().lstrip("_")
            if last in DB_RECEIVERS or last.endswith(("session", "conn", "connection", "cursor", "uow")):
                return text
    return None


def _db_write(call: cst.Call) -> Tuple[bool, Optional[str]]:
    """Whether a dedup call writes to a SQL database, and through which session or connection."""
    if not isinstance(call.func, cst.Attribute):
        return False, None
    name, recv = call.func.attr.value, dotted(call.func.value)
    if name in effects.SQL_METHODS:
        return True, recv
    if ".objects" in (recv or "") or name in ("get_or_create", "aget_or_create"):
        return True, None  # Django: autocommit outside `atomic`
    if name in ("add", "add_all", "merge"):
        return True, recv
    return False, None


def _names(expr: cst.CSTNode) -> Iterable[str]:
    stack = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name):
            yield cur.value
        elif isinstance(cur, cst.Attribute):
            text = dotted(cur)
            if text:
                yield text
        stack.extend(children(cur))


def _target_names(target: cst.BaseExpression) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out: List[str] = []
        for el in target.elements:
            out.extend(_target_names(el.value))
        return out
    return []


def _receiver(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """`receiver` / `self.consumer`: a broker receiver, by its origin or its name."""
    origin = ctx.origin(expr) or ""
    if any(w in origin for w in RECEIVER_ORIGINS):
        return True
    last = (dotted(expr) or "").split(".")[-1].lower()
    return any(w in last for w in ("receiver", "consumer", "subscription", "iterator"))


def _is_receive(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "execute" \
            and isinstance(expr.func.value, cst.Call):
        expr = expr.func.value  # googleapiclient: `subscriptions().pull(...).execute()` sends what `pull` built
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        return expr.func.attr.value in RECEIVE_CALLS
    return False


def initial_taint(func: FunctionInfo, index=None) -> Set[str]:
    """The names that hold the message when the handler starts.

    A callback receives it as a parameter (a bound Celery task also as `self.request`); a function
    that receives messages itself (a poll or iteration loop) gets them from those calls, so its
    parameters are clients and settings. With the module's `index`, the parameters a
    `functools.partial` of the callback binds there are settings too (`partial(on_message,
    queue_name=q)`: the registrant chose them, the broker did not).
    """
    receives = any(isinstance(c.func, cst.Attribute) and c.func.attr.value in RECEIVE_CALLS | PEEK_CALLS
                   for c in func.calls)
    receives = receives or any(
        isinstance(loop.iter, (cst.Name, cst.Attribute))
        and any(w in (dotted(loop.iter) or "").split(".")[-1].lower() for w in ("receiver", "consumer", "subscription"))
        for loop in func.fors
    )
    names = set() if receives else {p for p in func.params if p not in NOT_MESSAGE_PARAMS} - _setting_params(func)
    names.update(n for n in func.assigns if n in MESSAGE_NAMES)
    request = celery.bound_request(func)
    if request is not None:
        names.add(request)  # a dotted entry: `mentions` matches `self.request...`, not all of `self`
    if index is not None and not receives:
        names -= bound_by_partial(func, index)
    outer = func.parent
    if outer is not None and not func.params:
        # `def retry_publish():` inside `_on_task_done(self, ch, method, properties, body, ...)`, handed to
        # `add_callback_threadsafe`: it reads the delivery its enclosing callback was given
        names |= {p for p in outer.params if p in CLOSED_OVER and p not in func.assigns}
    return names


# the enclosing callback's parameters a nested callback without parameters of its own reads as the
# message it settles
CLOSED_OVER = frozenset(MESSAGE_NAMES | RAW_BODIES | {"properties", "props", "header", "headers"})


def bound_by_partial(func: FunctionInfo, index) -> Set[str]:
    """The parameters of `func` that a `functools.partial(func, ...)` of its module binds: its
    keywords, and as many leading parameters as it passes positionally (`self` left out for
    `partial(self.method, ...)`)."""
    out: Set[str] = set()
    for target, call in _partials(index).get(func.name, ()):
        params = [p for p in func.params if not (isinstance(target, cst.Attribute) and p in ("self", "cls"))]
        positional = [a for a in call.args[1:] if a.keyword is None and not a.star]
        out.update(params[:len(positional)])
        out.update(a.keyword.value for a in call.args[1:] if a.keyword is not None)
    return out


def _partials(index) -> Dict[str, List[Tuple[cst.BaseExpression, cst.Call]]]:
    """{function name: (the `functools.partial` call's first argument, the call)} for the module's
    partials of a function by name or of `self.method` / `cls.method`, read once per module."""
    found = getattr(index, "_partials", None)
    if found is not None:
        return found
    found = {}
    for scope in [None, *index.functions]:
        for call in (scope.calls if scope is not None else index.module_calls):
            if not call.args or (dotted(call.func) or "").split(".")[-1] != "partial":
                continue
            if index.resolve(call.func, scope) != "functools.partial":
                continue
            target = call.args[0].value
            if isinstance(target, cst.Name):
                found.setdefault(target.value, []).append((target, call))
            elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                    and target.value.value in ("self", "cls"):
                found.setdefault(target.attr.value, []).append((target, call))
    index._partials = found
    return found


def _setting_params(func: FunctionInfo) -> Set[str]:
    """Parameters whose default is a number or a boolean (`revoking=False`, `wait_seconds=0`): a switch
    or a setting of the call, never the message (quixstreams' `Checkpoint.commit(*, revoking=False)`)."""
    params = getattr(func.node, "params", None)
    if not isinstance(params, cst.Parameters):
        return set()
    return {
        p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        if isinstance(p.default, (cst.Integer, cst.Float))
        or isinstance(p.default, cst.Name) and p.default.value in ("True", "False")
    }


def _built_dict(expr: cst.BaseExpression, ctx: Ctx) -> bool:
    """A local every assignment of which is a dict display or a `dict(...)` call of this function."""
    if not isinstance(expr, cst.Name) or ctx.func is None:
        return False
    values = ctx.func.values_of(expr.value)
    return bool(values) and all(isinstance(v, cst.Dict) or isinstance(v, cst.Call) and dotted(v.func) == "dict"
                                for v in values)
