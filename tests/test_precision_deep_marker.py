"""IDEM002: a cache write two calls or more from the handler, whose key or value comes from an
id-like name, is not the consumer's processed record unless it is named like one (pretix's
`get_event_domain`, caching a domain looked up from `domain_id`, was taken for one)."""

from __future__ import annotations

import pytest

from test_project import findings, write

TASK = '''
import requests
from shop.celery import app
from shop.mail import render


@app.task(acks_late=True)
def send_receipt(event, order_id):
    body = render(event, order_id)
    requests.post("https://mail.example.com/send", json={"body": body})
'''

# the same task with a dedup check first: only then is a processed record after it checked (IDEM002)
CHECKED_TASK = '''
import redis
import requests
from shop.celery import app
from shop.mail import render

r = redis.Redis()


@app.task(bind=True, acks_late=True)
def send_receipt(self, event, order_id):
    if r.exists(f"processed:{self.request.id}"):
        return
    body = render(event, order_id)
    requests.post("https://mail.example.com/send", json={"body": body})
'''

MAIL = '''
from shop.urls import absolute_url


def render(event, order_id):
    return f"Your order {order_id}: {absolute_url(event)}"
'''

URLS_CACHE = '''
def absolute_url(event, fallback=False):
    suffix = "_fallback" if fallback else ""
    domain = getattr(event, "_cached_domain" + suffix, None) or event.cache.get("domain" + suffix)
    if domain is None:
        if hasattr(event, "alternative_domain"):
            domain = event.alternative_domain.domain_id
        else:
            domain = event.organizer.domain
        event.cache.set("domain" + suffix, domain or "none")
        setattr(event, "_cached_domain" + suffix, domain or "none")
    return f"https://{domain}/"
'''

URLS_MARKER = '''
import redis

r = redis.Redis()


def absolute_url(event):
    r.set(f"processed:{event.message_id}", 1)
    return "https://shop.example.com/"
'''


def _tree(tmp_path, urls: str, task: str = TASK):
    write(tmp_path, {"shop/__init__.py": "", "shop/celery.py": "from celery import Celery\napp = Celery('shop')\n",
                     "shop/tasks.py": task, "shop/mail.py": MAIL, "shop/urls.py": urls})
    return {(rule, confidence) for _, _, rule, confidence, _ in findings(tmp_path, "shop/tasks.py")}


def test_a_cache_of_something_else_leaves_the_unchecked_post_to_idem001(tmp_path):
    got = _tree(tmp_path, URLS_CACHE)
    assert got == {("IDEM001", "medium")}, got  # the POST still has no dedup in front of it


# IDEM002 fires only after a dedup check (CHECKED_TASK): there, and only there, does taking the cache
# for a processed record change the result
@pytest.mark.parametrize("urls, is_record", [(URLS_MARKER, True), (URLS_CACHE, False)],
                         ids=["record-named-like-one", "cache-of-something-else"])
def test_two_calls_away_only_a_record_named_like_one_counts_after_a_check(tmp_path, urls, is_record):
    got = _tree(tmp_path, urls, CHECKED_TASK)
    assert {(rule, confidence) for rule, confidence in got if rule == "IDEM002"} == \
           ({("IDEM002", "medium")} if is_record else set()), got


def test_a_record_that_no_check_reads_leaves_the_post_to_idem001(tmp_path):
    # without a dedup check, the record skips no redelivery: the POST is IDEM001's, not also IDEM002's
    got = _tree(tmp_path, URLS_MARKER)
    assert got == {("IDEM001", "medium")}, got
