"""Every fixture module, run with all rules, must produce exactly its `# expect:` markers."""

from __future__ import annotations

import pytest

from harness import FIXTURES, compare, expectations, fixture_files
from idemlint.analysis import passes_prefilter

FILES = fixture_files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fixture_matches_markers(path):
    source = path.read_text(encoding="utf-8")
    missed, unexpected = compare(source)
    assert not missed and not unexpected, f"missed: {missed}\nunexpected: {unexpected}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_flagged_fixtures_pass_prefilter(path):
    source = path.read_bytes()
    if expectations(source.decode("utf-8")):
        assert passes_prefilter(source), "a file with expected findings would be skipped by the prefilter"


def test_there_are_fixtures_for_every_library():
    libraries = {p.relative_to(FIXTURES).parts[0] for p in FILES}
    assert {"pika", "confluent_kafka", "sqs", "aws_lambda", "celery", "generic", "demo"} <= libraries
