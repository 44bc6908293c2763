"""Two rules on one statement only when neither explains the other (issue 15 item 3).

The fixtures pin what each line gets. The one pair they keep is IDEM001 + IDEM003 on a consumer's
publish without an id (plus IDEM005 + IDEM003 on an auto-acked consumer's publish): two hazards
with two fixes. IDEM001's hint names the one fix that answers both, an id derived from the incoming
message's id; IDEM003 keeps its library's hint.
"""

from __future__ import annotations

from harness import FIXTURES
from idemlint.analysis import analyze
from idemlint.rules.message_without_id import HINTS


def test_a_forward_without_id_names_the_derived_id_in_idem001_and_keeps_the_library_hint_in_idem003():
    path = FIXTURES / "pika" / "bad_publish_followup_then_ack.py"
    found = {f.rule: f for f in analyze(path.read_bytes(), str(path))}
    assert found["IDEM001"].line == found["IDEM003"].line
    assert "derived from the incoming message" in found["IDEM001"].hint
    assert found["IDEM003"].hint == HINTS["pika"]


def test_any_other_effect_keeps_the_dedup_hint():
    path = FIXTURES / "pika" / "bad_processed_key_written_never_checked.py"
    (finding,) = analyze(path.read_bytes(), str(path))
    assert finding.rule == "IDEM001" and finding.hint.startswith("Look up the message ID")
