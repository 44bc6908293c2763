"""A project helper named for the ack it ends in (`match_and_ack(message, wanted)`, in another
module) whose ack is on a message it was given untyped: a function that calls it acks through it at
the fallback's low strength (`facts.acks._acks_in`), and the module that only calls it is let into
the analysis (`gate`), as one calling `ack_message(...)` is. A helper of that name that only logs is
no ack."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import project_findings

HELPERS = '''
import logging

log = logging.getLogger(__name__)


async def match_and_ack(message, wanted: str) -> bool:
    if message.headers.get("kind") != wanted:
        await message.nack(requeue=True)
        return False
    {ack}
    return True
'''

TRIGGER = '''
import aio_pika

from pipeline.helpers import match_and_ack


class OrderTrigger:
    def __init__(self, url: str, queue_name: str):
        self.url = url
        self.queue_name = queue_name

    async def _handle(self, message, wanted: str):
        matched = await match_and_ack(message, wanted)
        if not matched:
            return None
        return {"body": message.body.decode("utf-8"), "routing_key": message.routing_key}

    async def run(self):
        connection = await aio_pika.connect_robust(self.url)
        channel = await connection.channel()
        queue = await channel.declare_queue(self.queue_name, durable=True)
        async with queue.iterator() as messages:
            async for message in messages:
                event = await self._handle(message, "order")
                if event is not None:
                    return event
'''


# the call in the `if` test itself: the test runs on every path, so the ack is on the main line
IN_TEST = TRIGGER.replace("""        matched = await match_and_ack(message, wanted)
        if not matched:""", """        if not await match_and_ack(message, wanted):""")


def _scan(tmp_path: Path, ack: str, trigger: str = TRIGGER):
    return project_findings(tmp_path, {"pipeline/__init__.py": "", "pipeline/helpers.py": HELPERS.format(ack=ack),
                                       "pipeline/trigger.py": trigger}, messages=True)


@pytest.mark.parametrize("trigger", [TRIGGER, IN_TEST], ids=["bound", "in-if-test"])
def test_ack_through_suffix_named_helper_then_return(tmp_path, trigger):
    assert IN_TEST != TRIGGER
    found = [f for f in _scan(tmp_path, "await message.ack()", trigger) if f[0] == "trigger.py"]
    assert [(f[1], f[2]) for f in found] == [("IDEM004", "low")], found
    assert "OrderTrigger._handle" in found[0][3] and "returns them to its caller" in found[0][3]


def test_suffix_named_helper_that_only_logs_is_no_ack(tmp_path):
    assert [f for f in _scan(tmp_path, 'log.info("matched %s", wanted)') if f[0] == "trigger.py"] == []
