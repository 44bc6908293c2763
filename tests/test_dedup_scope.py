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
