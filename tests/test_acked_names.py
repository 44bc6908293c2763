"""`analysis._iterated_acked`: the names that hold the message the function's acks name.

A loop variable an ack names holds the message from the loop's start; so do the names one fetch
unpacks with the acked one (`method, properties, body = subscriber.get()` then
`subscriber.ack(method.delivery_tag)`), which a project wrapper of `basic_get` no adapter knows
leaves untainted otherwise (storyboard's notification worker, round 9).
"""

from __future__ import annotations

import libcst as cst

from idemlint.analysis import _iterated_acked, parse
from idemlint.index import ModuleIndex, call_name


def _acked(source: str, function: str):
    index = ModuleIndex(parse(source.encode()))
    func = next(f for f in index.functions if f.name == function)
    acks = [c for c in func.calls if call_name(c) == "ack"]
    return _iterated_acked(func, acks)


def test_names_one_fetch_unpacks_with_the_acked_delivery():
    assert _acked('''
def work(subscriber, manager):
    while True:
        (method, properties, body) = subscriber.get()
        manager.map(handle, body)
        subscriber.ack(method.delivery_tag)
''', "work") == {"method", "properties", "body"}


def test_an_awaited_fetch_unpacked_counts_too():
    assert _acked('''
async def work(inbox):
    entry_id, fields = await inbox.fetch()
    await forward(fields)
    await inbox.ack(entry_id)
''', "work") == {"entry_id", "fields"}


def test_a_loop_variable_named_through_an_attribute():
    assert _acked('''
def drain(queue):
    for message in queue.messages():
        handle(message)
        queue.ack(message.receipt_handle)
''', "drain") == {"message"}


def test_names_bound_by_other_calls_are_not_the_delivery():
    # `config` comes from another call than the acked delivery's: not message data
    assert _acked('''
def work(subscriber, load):
    config, defaults = load()
    method, body = subscriber.get()
    subscriber.ack(method.delivery_tag)
''', "work") == {"method", "body"}
