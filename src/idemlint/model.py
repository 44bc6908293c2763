"""Node-based records the detection and fact stages hand to the rules (internal to one file)."""

from __future__ import annotations

from dataclasses import field
from typing import Callable, List, Optional, Tuple

from .records import dataclass
from .lazyimport import cst  # not loaded before first use

from .findings import Confidence
from .index import FunctionInfo, ModuleIndex, contains

# Evidence strengths used by the confidence mapping of every rule.
STRONG = 2  # a recognised library call or an unmistakable shape (SQL literal, `.objects.create`)
WEAK = 1  # a framework that acks for you, a name, or something found in a local helper
UNSEEN = 0  # the message goes to code the tool cannot see


@dataclass
class Event:
    """Something that happens in a handler, in source order (`seq`)."""

    kind: str  # ack | effect | forward | lookup | marker | handoff | given | defer | receive | per-delivery
    node: cst.CSTNode
    seq: int
    strength: int
    what: str  # short text for messages: "`stripe.Charge.create()`"
    txns: Tuple[str, ...] = ()  # transaction scopes enclosing it
    db_key: Optional[str] = None  # for DB writes: the session/connection it goes through
    db_epoch: int = 0  # increments at each commit on that key
    db: bool = False  # the write goes to a transactional SQL database
    chain: Tuple[str, ...] = ()  # helper functions it was found in, outermost first
    call_node: Optional[cst.CSTNode] = None  # the handler-level call that led here (helpers)
    detail: str = ""  # effect category, lookup reason, ...
    claim: bool = False  # a lookup that also records the message (SET NX, get_or_create, ...)
    in_except: bool = False  # inside an `except` block: the error path, not the handling
    early: bool = False  # an ack in a branch that then leaves the handler or the loop iteration
    # a lookup that guards only the code inside this node (the branch a search found nothing in);
    # None: everything after it
    scope: Optional[cst.CSTNode] = None
    # an effect that runs only when a lookup by the same message data found nothing (a get-or-create
    # split into project helpers): a repeat creates nothing, so no dedup lookup is missing
    natural: bool = False
    # an early ack (`early`): the branch it is in, which then leaves the handler or the iteration
    branch: Optional[cst.CSTNode] = None
    # a publish of the delivered bytes as they came, with no id of the copy's own: it carries the id
    # its producer gave the original, if any, which is not in view (`handler._raw_body`)
    relay: bool = False


@dataclass
class Consumer:
    library: str
    function: FunctionInfo
    ack_mode: str  # explicit | framework | auto
    ack_strength: int
    evidence: List[str] = field(default_factory=list)
    framework_ack: str = ""  # description of the framework ack, when ack_mode == framework
    events: List[Event] = field(default_factory=list)
    # ack_mode == auto: the option or constructor that makes the broker ack on receipt (None: not
    # visible); `ack_strength` then says how sure that is (STRONG spelled out, WEAK library default)
    option_node: Optional[cst.CSTNode] = None
    auto_commit: str = ""  # Kafka auto-commit: "poll", "thread" or "await" (see `detect.base.HandlerSite`)
    receives_at: Optional[cst.CSTNode] = None  # a project helper's call that receives for it (`HandlerSite`)
    # a handler another module defines and this one registers (`detect.base.Elsewhere`): its findings
    # are shown at `elsewhere.anchor`, the registration's name for it
    elsewhere: Optional[object] = None

    @property
    def symbol(self) -> str:
        return self.function.symbol

    def of(self, kind: str) -> List[Event]:
        return [e for e in self.events if e.kind == kind]

    def in_hand(self, event: Event, elsewhere: Optional[Callable[[Event], bool]] = None) -> bool:
        """True if a message is being handled at `event`: after its receive, before its ack.

        A callback consumer holds its message from the start; a loop consumer from each receive
        until the next ack (an ack in an early-exit branch, `if dup: ack(); continue`, does not
        end it, nor does one for which `elsewhere` says it is not on `event`'s way). A receive is a
        recognised receive call or loop, or the binding of an acked message that no adapter
        recognised (`m = await queue.get()`, see `facts/received.py`).
        """
        last = None
        for e in self.events:
            if e.seq >= event.seq:
                break
            if e.kind == "receive" or (e.kind == "ack" and not e.early and e.detail != "framework"
                                       and not (elsewhere is not None and elsewhere(e))):
                last = e
        if last is None:
            return not any(e.kind == "receive" for e in self.events)
        return last.kind == "receive"

    def guarded(self, event: Event) -> bool:
        """A dedup lookup comes before `event` and covers it (everything after it, or the branch it
        guards)."""
        if event.natural:
            return True
        site = event.call_node or event.node
        return any(lookup.seq < event.seq and (lookup.scope is None or contains(lookup.scope, site))
                   for lookup in self.of("lookup"))

    def first(self, kind: str) -> int:
        """The sequence number of the first event of `kind`, or 0 if there is none."""
        return min((e.seq for e in self.events if e.kind == kind), default=0)


@dataclass
class Producer:
    library: str
    call: cst.Call
    function: Optional[FunctionInfo]
    what: str
    has_id: bool
    payload_visible: bool
    constant_payload: bool = False
    # not all in view, but built here: a dict the function fills in from elsewhere (`payload.built_here`)
    payload_built_here: bool = False
    evidence: List[str] = field(default_factory=list)
    rpc_reply: bool = False  # a reply to the request's `reply_to`, with the request's `correlation_id`
    # a message only if the destination is a queue, which nothing visible confirms (a Redis list
    # named like a queue that no code in the module pops)
    unconfirmed_queue: bool = False
    # the payload is what a person typed (`input()`, stdin, a CLI command's argument): `payload.typed_by_operator`
    operator_input: bool = False
    payload: Optional[cst.BaseExpression] = None  # the payload expression, when the call has one
    by_name: bool = False  # the client is a message producer by its name only (`ProduceSite.by_name`)
    core_subject: bool = False  # a core NATS publish: kept only if a stream captures it (`ProduceSite.core_subject`)
    idless_messages: bool = False  # the library's messages have no id at all (`ProduceSite.idless_messages`)
    envelope_set: bool = False  # the publish gives the message properties or headers of its own
    guessed: bool = False  # through a project method the receiver's class is guessed to have (`ProduceSite.guessed`)
    device_push: bool = False  # to a device (an SNS mobile push, an SMS): `ProduceSite.device_push`
    # the callers give the message its id: one project call at least passes a payload with an id, every
    # other one builds its payload and is judged at that call (`publishers.callers_give_ids`), so the
    # helper's own finding would repeat theirs
    judged_by_callers: bool = False

    @property
    def symbol(self) -> str:
        return self.function.symbol if self.function else "<module>"


@dataclass
class RawFinding:
    node: cst.CSTNode
    message: str
    hint: str
    confidence: Confidence
    symbol: str
    scope_node: Optional[cst.CSTNode] = None
    related: List[Tuple[cst.CSTNode, str]] = field(default_factory=list)
    evidence: List[str] = field(default_factory=list)


@dataclass
class ModuleFacts:
    index: ModuleIndex
    consumers: List[Consumer]
    producers: List[Producer]
