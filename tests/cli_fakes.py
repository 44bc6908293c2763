"""A stand-in analysis engine so CLI, API and reporter tests do not depend on the real rules.

A source line containing `FAKE: IDEM001 high` yields one IDEM001 finding at `high` on that
line, starting at its first non-blank character; `scope_line` is the nearest `def` above.
`FAKE-SYNTAX` makes the file a parse failure; `FAKE-CRASH` makes the engine raise.
Files without the word `FAKE` fail the prefilter.
"""

from __future__ import annotations

import re
from typing import List

import pytest

from idemlint import analysis, detect
from idemlint.findings import Confidence, Finding, Related
from idemlint.rules import find_rule

_MARK = re.compile(r"FAKE: (IDEM\d{3}) (high|medium|low)")


def fake_analyze(source: bytes, path: str, project=None, file_path=None, patterns=()) -> List[Finding]:
    text = source.decode("utf-8", errors="replace")
    if "FAKE-SYNTAX" in text:
        raise analysis.ParseFailure("invalid syntax (fake)", line=2, kind="syntax")
    if "FAKE-CRASH" in text:
        raise KeyError("boom")
    if "FAKE-DEEP" in text:
        raise RecursionError("maximum recursion depth exceeded")
    findings = []
    scope = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("def ", "async def ")):
            scope = number
        for match in _MARK.finditer(line):
            code, conf = match.groups()
            rule = find_rule(code)
            column = len(line) - len(line.lstrip()) + 1
            end = line.find("#")
            end_column = (end if end > 0 else len(line)) + 1
            findings.append(
                Finding(
                    path=path,
                    line=number,
                    column=column,
                    end_line=number,
                    end_column=len(line[: end_column - 1].rstrip()) + 1,
                    rule=code,
                    name=rule.name,
                    confidence=Confidence.parse(conf),
                    message=f"`effect()` runs before any dedup check in `handler` ({code})",
                    hint="look the message id up in a processed table first",
                    symbol="handler",
                    scope_line=scope,
                    related=(Related(number, column, "acknowledged here"),),
                    evidence=("fake engine",),
                )
            )
    return sorted(findings, key=lambda f: f.sort_key())


def fake_prefilter(source: bytes) -> bool:
    return b"FAKE" in source


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(analysis, "analyze", fake_analyze)
    monkeypatch.setattr(detect, "passes_prefilter", fake_prefilter)
    return fake_analyze
