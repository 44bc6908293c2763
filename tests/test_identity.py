"""A dedup lookup counts only when it is keyed by the message; otherwise the finding says why (issue 6, item 5)."""

from __future__ import annotations

from harness import FIXTURES
from idemlint.analysis import analyze

HANDLER = '''
import json
import pika
import redis
import requests

r = redis.Redis()


def on_message(ch, method, properties, body):
    event = json.loads(body)
    if r.sismember("processed_events", {key}):
        ch.basic_ack(delivery_tag=method.delivery_tag)
        return
    requests.post("https://hooks.example.com/events", json=event)
    ch.basic_ack(delivery_tag=method.delivery_tag)
'''


def messages(key: str):
    return [f.message for f in analyze(HANDLER.format(key=key).encode(), "h.py") if f.rule == "IDEM001"]


def test_a_lookup_keyed_by_the_message_id_is_dedup():
    assert messages('event["event_id"]') == []
    assert messages("properties.message_id") == []


def test_a_lookup_keyed_by_a_per_delivery_handle_is_not_and_the_finding_says_so():
    (message,) = messages("method.delivery_tag")
    assert "keyed by a per-delivery handle, not the message ID" in message


def test_a_lookup_keyed_by_a_constant_is_not_and_the_finding_says_so():
    (message,) = messages('"latest"')
    assert "not keyed by anything that identifies the message" in message
    (message,) = messages("settings.RELAY_KEY")
    assert "not keyed by anything that identifies the message" in message


def test_fixture_message_names_the_reason():
    source = (FIXTURES / "pika" / "bad_dedup_keyed_by_constant.py").read_bytes()
    (finding,) = analyze(source, "f.py")
    assert "`r.sismember()` is not keyed by anything that identifies the message" in finding.message


def test_who_made_a_change_and_what_it_is_about_do_not_identify_a_message():
    # every event of an author, an alert rule or a project carries the same one (storyboard's
    # `author_id`, an alert rule's `trigger_id`, the `entity_id` every event about an entity names); the
    # message's own ids still count, and so does a
    # `resource_id` (one `*.created` event per resource)
    from idemlint.facts.identity import is_id_name

    for name in ("author_id", "trigger_id", "project_id", "ownerId", "org_id", "entity_id", "entityId"):
        assert not is_id_name(name), name
    for name in ("event_id", "message_id", "order_id", "alert_id", "notificationId", "resource_id"):
        assert is_id_name(name), name


def test_sortable_unique_id_fields_are_ids():
    """ULIDs and KSUIDs are unique per message like UUIDs: a payload field named for one is an id."""
    from idemlint.facts.identity import is_id_field

    assert all(is_id_field(name) for name in ("ulid", "event_ulid", "eventUlid", "ksuid", "message_ksuid"))
    assert not any(is_id_field(name) for name in ("valid", "fluid", "build"))


def test_headers_in_http_spelling_are_read_lowercased():
    """`X-Event-Id`, GitLab's `X-Gitlab-Event-UUID`, Shopify's `X-Shopify-Webhook-Id` and GitHub's
    delivery GUID `X-GitHub-Delivery` name the message; grouping headers (also under a vendor's prefix),
    and a credential, do not."""
    from idemlint.facts.identity import is_id_field

    for name in ("X-Event-Id", "X-Gitlab-Event-UUID", "X-Shopify-Webhook-Id", "X-GitHub-Delivery", "Message-ID"):
        assert is_id_field(name), name
    for name in ("X-Api-Key", "X-Correlation-Id", "X-Tenant-Id", "Pwbus-Correlation-Id", "X-GitHub-Event",
                 "X-Hub-Signature", "Paid"):
        assert not is_id_field(name), name
