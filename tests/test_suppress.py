"""Inline suppression comments and the configuration filters."""

from __future__ import annotations

import pytest

from idemlint.config import Config
from idemlint.findings import Confidence, Finding
from idemlint.suppress import ALL, apply, is_suppressed, parse_comment, suppressions


def finding(line, rule="IDEM001", confidence=Confidence.HIGH, scope_line=0, path="app/worker.py"):
    from idemlint.rules import find_rule

    return Finding(path, line, 5, line, 20, rule, find_rule(rule).name, confidence, "msg", "hint", "h", scope_line)


@pytest.mark.parametrize(
    "comment, expected",
    [
        ("# idemlint: ignore[IDEM001]", {"IDEM001"}),
        ("# idemlint: ignore[ack-without-dedup, IDEM003] reason text", {"IDEM001", "IDEM003"}),
        ("# idemlint:ignore[idem002]", {"IDEM002"}),
        ("# IDEMLINT: IGNORE[IDEM002]", {"IDEM002"}),
        ("# idemlint: ignore", {ALL}),
        ("# idemlint: ignore because we dedup downstream", {ALL}),
        ("# idemlint: ignore[]", {ALL}),
        ("# noqa: IDEM001", {"IDEM001"}),
        ("# noqa:IDEM001,IDEM003", {"IDEM001", "IDEM003"}),
        ("# noqa: E501, IDEM002", {"IDEM002"}),
        ("# type: ignore  # noqa: IDEM003", {"IDEM003"}),
        ("# noqa", set()),
        ("# noqa: E501", set()),
        ("# idemlint: ignore[IDEM999]", set()),
        ("# idemlint: ignored[IDEM001]", set()),
        ("# a normal comment", set()),
    ],
)
def test_parse_comment(comment, expected):
    assert parse_comment(comment) == frozenset(expected)


def test_only_real_comments_count():
    source = b'x = "# idemlint: ignore[IDEM001]"\ny = 1  # idemlint: ignore[IDEM002]\nz = """\n# noqa: IDEM003\n"""\n'
    assert suppressions(source) == {2: frozenset({"IDEM002"})}


def test_tokenize_errors_are_tolerated():
    source = b"a = 1  # idemlint: ignore[IDEM001]\nb = '''never closed\n# idemlint: ignore\n"
    assert suppressions(source) == {1: frozenset({"IDEM001"})}
    assert suppressions(b"def f(:\n  x = (\n") == {}
    assert suppressions(b"\xff\xfe garbage # noqa: IDEM001\n") == {}


def test_reported_line_or_scope_line():
    table = {3: frozenset({"IDEM001"}), 10: frozenset({ALL})}
    assert is_suppressed(finding(3), table)
    assert not is_suppressed(finding(3, rule="IDEM002"), table)
    assert is_suppressed(finding(7, scope_line=3), table)
    assert is_suppressed(finding(10, rule="IDEM003"), table)
    assert not is_suppressed(finding(7), table)
    assert not is_suppressed(finding(7, scope_line=0), {0: frozenset({ALL})})


def test_apply_counts_only_comment_suppressions():
    source = (
        b"def handler(msg):  # idemlint: ignore[IDEM002]\n"
        b"    a()  # idemlint: ignore[IDEM001]\n"
        b"    b()\n"
        b"    c()\n"
    )
    findings = [
        finding(2),
        finding(3, rule="IDEM002", scope_line=1),
        finding(3, confidence=Confidence.LOW),
        finding(4, rule="IDEM003"),
    ]
    kept, suppressed = apply(findings, source, "app/worker.py", Config())
    assert [(f.line, f.rule) for f in kept] == [(3, "IDEM001"), (4, "IDEM003")]
    assert suppressed == 2
    kept, suppressed = apply(findings, source, "app/worker.py", Config(min_confidence=Confidence.MEDIUM, ignore=("IDEM003",)))
    assert kept == [] and suppressed == 2
    kept, suppressed = apply(findings, source, "app/worker.py", Config(select=("IDEM003",)))
    assert [(f.line, f.rule) for f in kept] == [(4, "IDEM003")] and suppressed == 0


def test_per_file_ignores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = Config(per_file_ignores=(("tests/**", ("IDEM001",)), ("legacy.py", ("IDEM003",))), root=str(tmp_path))
    findings = [finding(1), finding(2, rule="IDEM003")]
    assert apply(findings, b"", "tests/unit/test_x.py", config)[0] == [findings[1]]
    assert apply(findings, b"", "pkg/legacy.py", config)[0] == [findings[0]]
    assert apply(findings, b"", "app/worker.py", config)[0] == findings
    assert apply(findings, b"", str(tmp_path / "tests" / "a.py"), config)[0] == [findings[1]]
