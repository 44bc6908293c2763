"""The service corpus (`fixtures/services/`, linted as one project): recall and precision per rule at
medium confidence must both be at least 0.9. Run `python tests/score_services.py` for the details."""

from __future__ import annotations

import pytest

from score_services import RULES, render, score

FLOOR = 0.9


@pytest.fixture(scope="module")
def result():
    return score("medium")


def test_corpus_is_checked_without_file_errors(result):
    assert not result["errors"], "\n".join(result["errors"])


@pytest.mark.parametrize("code", RULES)
def test_recall_and_precision_at_medium(result, code):
    r = result["rules"][code]
    assert r["expected"] > 0, f"the corpus has no medium-or-higher {code} marker"
    assert r["recall"] >= FLOOR and r["precision"] >= FLOOR, render(result)
