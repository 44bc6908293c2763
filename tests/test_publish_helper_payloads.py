"""Payloads handed to a project publish helper are judged where they are built (project mode): a
helper whose properties carry only a priority gives the message no id, whatever priority a caller
passes; a payload bound to a dict display in each branch carries the keys every branch writes."""

from __future__ import annotations

from pathlib import Path

from harness import FIXTURES, project_findings


def _lines(tmp_path: Path, name: str) -> list:
    source = (FIXTURES / "pika" / name).read_text(encoding="utf-8")
    found = project_findings(tmp_path, {name: source}, lines=True)
    return sorted((line, rule, confidence) for _, rule, confidence, line in found)


def test_a_priority_property_is_no_id_and_the_caller_is_told(tmp_path: Path):
    found = _lines(tmp_path, "bad_publish_helper_priority_property_no_id.py")
    # the helper's own publish (built elsewhere) and `schedule()`, which builds an id-less request;
    # `schedule_with_id()` puts a request_id in the body
    assert found == [(24, "IDEM003", "low"), (38, "IDEM003", "high")]


def test_a_payload_built_in_branches_has_the_keys_of_every_branch(tmp_path: Path):
    found = _lines(tmp_path, "bad_publish_payload_dict_per_branch.py")
    # `enqueue()`: no branch writes an id; `enqueue_tracked()`: both do
    assert found == [(19, "IDEM003", "low"), (29, "IDEM003", "high")]
