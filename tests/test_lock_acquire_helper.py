"""A lock taken on the message's key in a helper of another module (`util.acquire(self.task_id,
ttl)` in `TaskState.acquire`, a store looked up at run time) is no hand-off of the message: it
takes a lock, no work (`effects.inert`). Followed from the worker as a summary, the helper's `ttl`
parameter counts as message data, which made the call a hand-off and the duplicate's ack an
IDEM001 (guillotina_amqp's worker, round 33)."""

from __future__ import annotations

from harness import project_findings

STATE = '''
import logging

logger = logging.getLogger(__name__)
DEFAULT_LOCK_TTL_S = 300
_utilities = {}


class TaskAlreadyAcquired(Exception):
    pass


def get_state_manager():
    return _utilities["state"]


class TaskState:
    def __init__(self, task_id):
        self.task_id = task_id

    async def acquire(self, ttl=DEFAULT_LOCK_TTL_S):
        util = get_state_manager()
        try:
            await util.acquire(self.task_id, ttl)
        except TaskAlreadyAcquired:
            logger.warning("task %s is taken", self.task_id)
            return False
        return True
'''

WORKER = '''
import asyncio
import json

import aioamqp

from jobs.state import TaskState


class Worker:
    def __init__(self, run_job):
        self.run_job = run_job
        self.running = []

    async def start(self, host):
        transport, protocol = await aioamqp.connect(host)
        channel = await protocol.channel()
        await channel.basic_consume(self.handle_queued_job, queue_name="jobs")

    async def handle_queued_job(self, channel, body, envelope, properties):
        data = json.loads(body)
        state = TaskState(data["task_id"])
        if not await state.acquire():
            await channel.basic_client_ack(delivery_tag=envelope.delivery_tag)
            return
        task = asyncio.ensure_future(self.run_job(data, channel, envelope))
        self.running.append(task)
'''


def test_duplicate_acked_after_a_failed_lock_is_silent(tmp_path):
    files = {"jobs/__init__.py": "", "jobs/state.py": STATE, "jobs/worker.py": WORKER}
    assert project_findings(tmp_path, files) == []


def test_a_helper_that_runs_work_is_still_a_hand_off(tmp_path):
    """The same helper calling `util.run(self.task_id, ttl)` instead hands the message on."""
    files = {"jobs/__init__.py": "", "jobs/state.py": STATE.replace("util.acquire(", "util.run("),
             "jobs/worker.py": WORKER}
    assert project_findings(tmp_path, files) == [("worker.py", "IDEM001", "low")]
