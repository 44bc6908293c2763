"""The fallback's ack on an object the tool can place but not follow says what the object is: one of
the project's own classes whose method comes from a base the tool cannot read is no "library the
tool does not know" (`facts.acks._fallback`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

BUS = '''
from vendorbus import BaseBus


class Bus(BaseBus):
    """The in-house wrapper: every method comes from the vendor base class."""

    def __init__(self, url):
        super().__init__(url)
        self.url = url
'''

WORKER = '''
import requests

{imports}


def run(url):
    bus = {make}
    for message in bus.receive():
        requests.post("https://billing.example.com/charges", json={{"amount": message.body["amount"]}})
        bus.ack(message)
'''


def _evidence(tmp_path: Path, imports: str, make: str) -> list:
    from idemlint import api
    from idemlint.config import load_config
    from idemlint.findings import Confidence

    files = {"svc/__init__.py": "", "svc/bus.py": BUS, "svc/worker.py": WORKER.format(imports=imports, make=make)}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    config = dataclasses.replace(load_config([str(tmp_path)]), jobs=1, cache_dir=None, min_confidence=Confidence.LOW)
    found = api.lint_paths([str(tmp_path)], config).findings
    assert [(f.rule, f.confidence.name) for f in found] == [("IDEM001", "LOW")], found
    return list(found[0].evidence)


def test_project_object_ack_is_named_as_the_projects(tmp_path):
    evidence = _evidence(tmp_path, "from svc.bus import Bus", "Bus(url)")
    ack = next(e for e in evidence if "taken for an ack" in e)
    assert "`svc.bus.Bus()` object of the project" in ack and "library" not in ack, ack


def test_unknown_library_object_ack_says_so(tmp_path):
    evidence = _evidence(tmp_path, "import vendorbus", "vendorbus.Bus(url)")
    ack = next(e for e in evidence if "taken for an ack" in e)
    assert "of a library the tool does not know" in ack, ack
