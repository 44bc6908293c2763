"""A local that holds its own earlier value (`data = json.dumps(data)`, `msg = {"msg": msg}`) is read
without recursing for ever: mayan-edms' SSE backend (`data = json.dumps(obj=data)`, round 10) was
skipped as "too deeply nested". What the payload holds is still read where it is in view."""

from __future__ import annotations

import pytest

from idemlint.api import Config, lint_source
from idemlint.findings import Confidence

HEADER = '''
import json
import uuid

import redis

client = redis.Redis()
'''


def _findings(body: str):
    result = lint_source((HEADER + body).encode(), "feed.py", Config(min_confidence=Confidence.LOW))
    assert result.errors == (), result.errors
    return [(f.rule, str(f.confidence)) for f in result.findings]


@pytest.mark.parametrize("rebinding", [
    "data = json.dumps(data)",
    "data = json.dumps(obj=data).encode('utf-8')",
    "data = {'data': data}",
    "data = {'data': json.dumps(data)}",
])
def test_a_local_that_holds_itself_is_analysed(rebinding):
    found = _findings(f'''
def record(user_id, data):
    {rebinding}
    client.xadd(f"feed:{{user_id}}", {{"data": data}})
''')
    assert [rule for rule, _ in found] == ["IDEM003"]


def test_a_wrapper_around_the_parameter_still_shows_its_id():
    # the rebinding wraps the parameter in a mapping that carries an id: no finding
    assert _findings('''
def record(user_id, event):
    event = {"event_id": str(uuid.uuid4()), "payload": event}
    client.xadd(f"feed:{user_id}", {"data": json.dumps(event)})
''') == []
