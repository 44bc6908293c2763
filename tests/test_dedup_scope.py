"""A record of processed messages must outlive the delivery: a collection the function makes for
itself (`seen = set()`, `node, seen = term, set()`) is gone when it returns, so adding to it marks
nothing and checking it dedups nothing across redeliveries (`facts.dedup.classify`)."""

from __future__ import annotations

import textwrap

import pytest

from idemlint.analysis import parse
from idemlint.detect.base import Ctx
from idemlint.facts import dedup
from idemlint.index import ModuleIndex, dotted


def _facts(body: str) -> dict:
    source = textwrap.dedent(body).encode()
    index = ModuleIndex(parse(source), None, None)
    func = index.functions[0]
    ctx = Ctx(index, func)
    return {dotted(call.func): dedup.classify(call, ctx, False, False, set(), {"bundle", "node"})
            for call in func.calls if dotted(call.func).endswith(".add")}


@pytest.mark.parametrize("binding", ["seen = set()", "node, seen = bundle, set()", "seen = {}", "seen = []"])
def test_a_collection_the_function_makes_itself_is_no_processed_record(binding):
    facts = _facts(f'''
        def walk(bundle):
            node = bundle
            {binding}
            seen.add(node.run_id)
    ''')
    assert facts == {"seen.add": None}


def test_a_collection_it_is_given_or_keeps_on_self_still_is():
    facts = _facts('''
        def walk(bundle, seen_runs):
            node = bundle
            seen_runs.add(node.run_id)
    ''')
    assert facts["seen_runs.add"] is not None and facts["seen_runs.add"].kind == "marker"


CHECKS = '''
def {name}(calls):
    seen, repeated = set(), []
    for call in calls:
        key = (call["tool"], str(call["args"]))
        if key in seen:
            repeated.append({{"signal": "repeated_side_effect", "tool": call["tool"]}})
        seen.add(key)
    return repeated
'''

TIER = '''
import requests

from worker.checks import {name}


class Processor:
    def process(self, trace):
        signals = {name}(trace["tool_calls"])
        requests.post("https://results.internal/scores", json={{"trace_id": trace["trace_id"], "signals": signals}},
                      timeout=10)
'''

RUN = '''
import json

import redis

from worker.tier import Processor

r = redis.Redis()


def run(processor: Processor) -> None:
    while True:
        for _, entries in r.xreadgroup("scoring", "scorer-1", {"traces": ">"}, count=10, block=5000) or []:
            for entry_id, fields in entries:
                processor.process(json.loads(fields[b"trace"]))
                r.xack("traces", "scoring", entry_id)
'''


@pytest.mark.parametrize("name", ["duplicate_side_effect_signals", "duplicate_item"])
def test_a_function_named_duplicate_something_of_the_message_is_no_lookup(tmp_path, name):
    # `duplicate` leading a name is the verb "copy" or an adjective of what follows (a scoring check
    # that finds tool calls an agent repeated): the POST after it is not guarded
    from harness import project_findings

    files = {"worker/__init__.py": "", "worker/checks.py": CHECKS.format(name=name),
             "worker/tier.py": TIER.format(name=name), "worker/run.py": RUN}
    assert project_findings(tmp_path, files) == [("run.py", "IDEM001", "medium")]


@pytest.mark.parametrize("name", ["is_duplicate", "duplicate_exists", "already_processed", "has_seen"])
def test_names_that_ask_whether_a_message_was_seen_match_the_lookup_helper_words(name):
    assert dedup.LOOKUP_HELPER.search(name)
