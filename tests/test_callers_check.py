"""IDEM003 "built elsewhere": a publish helper is not reported when every production call of it in its
package passes a payload with an id; a test that calls it with anything does not count, and one
production caller without an id keeps the finding (and is reported itself)."""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

HELPER = '''
import json

import pika


class Publisher:
    def __init__(self, url):
        self.channel = pika.BlockingConnection(pika.URLParameters(url)).channel()

    def send(self, body):
        self.channel.basic_publish(exchange="", routing_key="jobs", body=json.dumps(body))


def get_publisher():
    return Publisher("amqp://localhost")
'''

CALLER = '''
from .queue import get_publisher


def queue_job(job_id, source):
    get_publisher().send({"job_id": job_id, "source": source})
'''


def _findings(tmp_path: Path, files: dict):
    return project_findings(tmp_path, files)


def test_every_production_caller_passes_an_id(tmp_path):
    assert _findings(tmp_path, {
        "jobs/__init__.py": "",
        "jobs/queue.py": HELPER,
        "jobs/api.py": CALLER,
        # a test sends what it likes: not a caller that counts
        "jobs/tests/test_queue.py": "from jobs.queue import get_publisher\n\n"
                                    "def test_send():\n    get_publisher().send({'x': 1})\n",
    }) == []


def test_one_caller_without_an_id_is_told_at_its_call(tmp_path):
    # `queue_job` gives the message its id; `announce` builds one without: told at its call, and the
    # helper's own finding is left to its callers (`tests/test_callers_judged.py`)
    assert _findings(tmp_path, {
        "jobs/__init__.py": "",
        "jobs/queue.py": HELPER,
        "jobs/api.py": CALLER + "\n\ndef announce(text):\n    get_publisher().send({'text': text, 'level': 'info'})\n",
    }) == [("api.py", "IDEM003", "high")]
