"""Waiting is not waiting for the work (issue 14 item 3): a put on an in-memory queue is a hand-off
however it is awaited; awaiting an executor, a thread or the coroutines that do the work is not."""

from __future__ import annotations

import pytest

from harness import actual

BATCH = '''
import asyncio
import json

from aiokafka import AIOKafkaConsumer

from shop.work import handle, handle_sync

queue = asyncio.Queue()


async def main():
    loop = asyncio.get_running_loop()
    consumer = AIOKafkaConsumer("orders", group_id="g", enable_auto_commit=False)
    await consumer.start()
    while True:
        batches = await consumer.getmany(timeout_ms=1000)
        orders = [json.loads(r.value) for rs in batches.values() for r in rs]
        {wait}
        await consumer.commit()
'''


def idem004(wait: str) -> list:
    return [conf for _, code, conf in actual(BATCH.format(wait=wait)) if code == "IDEM004"]


@pytest.mark.parametrize("wait", [
    "await asyncio.gather(*(queue.put(o) for o in orders))",
    "await asyncio.wait_for(asyncio.gather(*[queue.put(o) for o in orders]), 5)",
    "for o in orders:\n            await queue.put(o)",
])
def test_awaited_puts_are_still_hand_offs(wait):
    assert idem004(wait) == ["high"]


@pytest.mark.parametrize("wait", [
    "await asyncio.gather(*(handle(o) for o in orders))",
    "await asyncio.gather(*(asyncio.create_task(handle(o)) for o in orders))",
    "await asyncio.gather(*(loop.run_in_executor(None, handle_sync, o) for o in orders))",
    "for o in orders:\n            await asyncio.to_thread(handle_sync, o)",
    "for o in orders:\n            await queue.put(o)\n        await queue.join()",
])
def test_waiting_for_the_work_is_no_hand_off(wait):
    assert idem004(wait) == []
