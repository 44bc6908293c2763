"""An attribute a class inherits from a project base in another package (`self.backend`, set in
`karton.core.base` from `from .backend import KartonBackend`) has the origin the base's module gives
it, made absolute from that module's name: read from `karton/system/system.py`, `.backend.X()` named
`karton/system/backend.py`, which does not exist, and the call through it resolved to nothing
(`Origins.inherited_attribute`). The pop wrapper it calls returns `blpop()`'s item itself
(`redis_lists._popping_helper`): the caller is an auto-acked consumer (karton-core, round 33)."""

from __future__ import annotations

from harness import project_findings

BACKEND = '''
from redis import StrictRedis

TASKS_QUEUE = "router.tasks"


class Backend:
    def __init__(self, host):
        self.redis = StrictRedis(host=host, decode_responses=True)

    def consume_queues(self, queues, timeout=0):
        return self.redis.blpop(queues, timeout=timeout)
'''

BASE = '''
from .backend import Backend


class ServiceBase:
    def __init__(self, host):
        self.backend = Backend(host)
'''

SYSTEM = '''
import logging

import requests

from router.core.backend import TASKS_QUEUE
from router.core.base import ServiceBase

log = logging.getLogger(__name__)


class SystemService(ServiceBase):
    def process_routing(self):
        data = self.backend.consume_queues([TASKS_QUEUE], timeout=5)
        if data:
            queue, body = data
            {work}
'''


def _scan(tmp_path, work):
    return project_findings(tmp_path, {
        "router/__init__.py": "", "router/core/__init__.py": "", "router/core/backend.py": BACKEND,
        "router/core/base.py": BASE, "router/system/__init__.py": "",
        "router/system/system.py": SYSTEM.replace("{work}", work)})


def test_work_on_an_item_popped_through_an_inherited_backend_is_lost_on_a_crash(tmp_path):
    work = 'requests.post("http://router.local/route", data=body, timeout=5)'
    assert _scan(tmp_path, work) == [("system.py", "IDEM005", "high")]


def test_an_item_only_logged_is_silent(tmp_path):
    assert _scan(tmp_path, 'log.info("task %s from %s", body, queue)') == []
