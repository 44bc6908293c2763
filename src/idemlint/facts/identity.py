"""What identifies a message: id-like names, and the per-delivery handles that only look like ids."""

from __future__ import annotations

from typing import Iterable, Optional, Set

import libcst as cst

from .. import patterns as user_patterns
from ..index import children, dotted, string_value
from ..lazyre import lazy_re

# Change on every delivery of the same message: never a dedup key (brokers.md, section 8).
PER_DELIVERY = {
    "delivery_tag", "deliverytag", "receipthandle", "receipt_handle", "ack_id", "ackid",
    "lock_token", "locktoken", "pop_receipt", "popreceipt", "reply", "consumer_tag",
}

# Grouping or routing keys: shared by many messages, so not an identifier either.
GROUPING = {
    "ordering_key", "orderingkey", "messagegroupid", "message_group_id", "partition_key",
    "partitionkey", "session_id", "sessionid", "routing_key", "correlation_id", "correlationid",
    "group_id", "groupid", "trace_id", "traceid", "span_id", "tenant_id", "user_id",
    "customer_id", "account_id", "content_type", "partition", "topic", "queue_url", "queueurl",
    # who a message is from or about: every message of a conversation or a chat carries the same one
    "sender_id", "senderid", "conversation_id", "conversationid", "chat_id", "chatid",
    # who made the change, and which rule or project it comes from: every event of that author,
    # alert rule (`trigger_id`: each firing) or project carries the same one (a `resource_id` is
    # left an id: one `*.created` event per resource is common enough)
    "author_id", "authorid", "owner_id", "ownerid", "creator_id", "creatorid", "actor_id", "actorid",
    "trigger_id", "triggerid", "project_id", "projectid", "organization_id", "org_id", "workspace_id",
    "team_id",
    # the entity an event is about (`{"event": "snippet.viewed", "entity_id": ...}`, Home Assistant's
    # state changes): every event of that entity carries the same one
    "entity_id", "entityid",
    # AMQP basic properties that name the sending application or cluster, not the message
    "app_id", "appid", "cluster_id", "clusterid",
    # the process, client or host that sends it: every message of that worker carries the same one
    "worker_id", "workerid", "client_id", "clientid", "producer_id", "producerid", "publisher_id",
    "publisherid", "consumer_id", "consumerid", "process_id", "processid", "pid",
}

# Stable identity of a message, as the brokers expose it.
ID_NAMES = {
    "id", "message_id", "messageid", "msg_id", "msgid", "event_id", "eventid", "uuid", "guid",
    "offset", "sequence_number", "sequencenumber", "sequence", "seq", "entry_id", "entryid",
    "idempotency_key", "idempotencykey", "dedup_id", "dedupid", "dedup_key", "dedupkey",
    "deduplication_id", "messagededuplicationid", "nats-msg-id", "message-id", "x-message-id",
    "idempotency-key", "x-idempotency-key", "x-request-id", "request_id", "requestid", "task_id",
    "job_id", "unique_id", "key", "stream_seq", "delivery_id", "transaction_id", "payment_id",
    "order_id", "invoice_id", "request.id",
    # GitHub's webhook delivery GUID ("A globally unique identifier (GUID) to identify the event")
    "x-github-delivery",
}

_ID_SUFFIX = lazy_re(r"(^|[_\-.])(id|uuid|ulid|ksuid|key)$|[a-z0-9](Id|ID|Uuid|Ulid|Key)$")
# a header in HTTP's spelling (`X-Event-Id`, `X-Gitlab-Event-UUID`, `X-Shopify-Webhook-Id`), read lowercased
# (not `-Key`: `X-Api-Key` is a credential)
_HEADER_ID = lazy_re(r"[_\-.](id|uuid|ulid|ksuid)$")


def normal(name: str) -> str:
    return name.strip().lower()


def _bare(name: str) -> str:
    """`X-Tenant-Id` -> `tenant_id`: a header name in the spelling of the tables above."""
    low = normal(name).replace("-", "_")
    return low[2:] if low.startswith("x_") else low


def is_id_name(name: str) -> bool:
    """True for names that identify one message: `message_id`, `eventId`, `Nats-Msg-Id`, `key`."""
    low = normal(name)
    if user_patterns.ACTIVE and user_patterns.ACTIVE.is_message_id(name):
        return True
    if low in PER_DELIVERY or low in GROUPING or _bare(name) in GROUPING:
        return False
    if low in ID_NAMES:
        return True
    if _ID_SUFFIX.search(name.strip()):
        return True
    # `X-Event-Id`, not `Pwbus-Correlation-Id` (a grouping key under a vendor's prefix)
    bare = _bare(name)
    return bool(_HEADER_ID.search(low)) and not any(bare.endswith("_" + g) for g in GROUPING)


def is_per_delivery(name: str) -> bool:
    return normal(name) in PER_DELIVERY


def names_in(expr: cst.CSTNode) -> Iterable[str]:
    """Every Name, attribute name and string subscript key mentioned in `expr`."""
    stack = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name):
            yield cur.value
        elif isinstance(cur, cst.Attribute):
            yield cur.attr.value
        elif isinstance(cur, cst.SubscriptElement):
            if isinstance(cur.slice, cst.Index):
                key = string_value(cur.slice.value)
                if key is not None:
                    yield key
        elif isinstance(cur, cst.Call):
            # `.get("messageId")` on a dict
            if isinstance(cur.func, cst.Attribute) and cur.func.attr.value == "get" and cur.args:
                key = string_value(cur.args[0].value)
                if key is not None:
                    yield key
        elif isinstance(cur, (cst.FormattedStringText,)):
            pass
        stack.extend(children(cur))


def identity_names(expr: cst.CSTNode, identity_vars: Set[str], opaque: Set[str] = frozenset()) -> Optional[str]:
    """The first id-like name in `expr` ("" if only per-delivery handles are used, None if none);
    names in `opaque` never count."""
    saw_per_delivery = False
    for name in names_in(expr):
        if name in opaque:
            continue
        if name in identity_vars:
            return name
        if is_per_delivery(name):
            saw_per_delivery = True
            continue
        if is_id_name(name):
            return name
    return "" if saw_per_delivery else None


# A helper's or a store's generic key names: id-like by name only, they hold whatever key the caller
# passes (`cache_set(key, value)`), so they identify a message only when bound to its identity.
GENERIC_KEYS = {"key", "k", "name", "cache_key"}

# In a payload, `key`, `seq` and `offset` name other things (an S3 object key, a page number).
NOT_ID_FIELDS = {"key", "seq", "sequence", "offset", "api_key", "s3_key", "object_key", "cache_key"}


# a field whose name has `uuid` (or `ulid`, `ksuid`) as a word anywhere holds one: those words name
# nothing else (`acknowledge_uuid_response`, `uuid_str`)
_UNIQUE_WORD = lazy_re(r"(?i)(^|[_\-.])(uuid|ulid|ksuid)([_\-.]|$)")


def is_id_field(name: str) -> bool:
    """An id-like field of a published payload or header."""
    return normal(name) not in NOT_ID_FIELDS and (is_id_name(name) or bool(_UNIQUE_WORD.search(name)))


def mentions(expr: cst.CSTNode, names: Set[str]) -> bool:
    """True if `expr` uses any of the plain names in `names`, or a dotted one (`self.request`) there."""
    if not names:
        return False
    paths = {n for n in names if "." in n}
    stack = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name) and cur.value in names:
            return True
        if paths and isinstance(cur, cst.Attribute) and dotted(cur) in paths:
            return True
        stack.extend(children(cur))
    return False
