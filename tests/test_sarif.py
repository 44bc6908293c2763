"""`--format sarif`: valid SARIF 2.1.0 (official schema), GitHub-friendly locations and fingerprints."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint.api import lint_source
from idemlint.cli import main
from idemlint.config import Config
from idemlint.findings import Confidence, FileError, Finding, Related, RunResult, UnusedIgnore
from idemlint.fingerprint import SARIF_KEY, SnippetHasher, fingerprint
from idemlint.report import sarif
from idemlint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(doc):
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


def finding(path="app/worker.py", line=5, confidence=Confidence.HIGH, end_line=None, rule="IDEM001", **kw):
    return Finding(path=path, line=line, column=5, end_line=end_line or line, end_column=17, rule=rule,
                   name="ack-without-dedup", confidence=confidence, message="`charge()` runs before any dedup check",
                   hint="check the id first", symbol="handle", **kw)


def test_demo_sarif_validates_against_the_official_schema(monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["check", "--format", "sarif", "fixtures/demo"], catch_exceptions=False)
    doc = json.loads(result.stdout)
    validate(doc)
    (run,) = doc["runs"]
    assert run["results"], "the demo has findings"
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["artifactLocation"]["uri"].startswith("fixtures/demo/shop/")
        assert res["partialFingerprints"][SARIF_KEY]
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"


def test_schema_validation_can_fail():
    doc = sarif.to_document(RunResult(findings=[finding()]), "/")
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_driver_rules_come_from_registry_and_pages():
    doc = sarif.to_document(RunResult(), "/")
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "idemlint" and "informationUri" not in driver  # the tool has no web page yet
    assert [r["id"] for r in driver["rules"]] == [r.code for r in ALL_RULES]
    for descriptor, rule in zip(driver["rules"], ALL_RULES):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        page = (REPO / "rules" / f"{rule.name}.md").read_text(encoding="utf-8")
        assert descriptor["help"]["markdown"] == page and descriptor["help"]["text"] == page
        assert descriptor["fullDescription"]["text"].startswith(rule.summary)
        assert len(descriptor["fullDescription"]["text"]) > len(rule.summary)  # plus "Why is this bad?"
        assert descriptor["properties"]["precision"] in ("very-high", "high", "medium", "low")
        assert "helpUri" not in descriptor  # no `docs-url`: no link, the page is in `help`
    validate(doc)


def test_docs_url_gives_each_rule_a_help_uri():
    doc = sarif.to_document(RunResult(), "/", docs_url="https://example.com/idemlint/rules/")
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["helpUri"] for r in rules] == [f"https://example.com/idemlint/rules/{r.name}.md" for r in ALL_RULES]
    assert all(r["help"]["text"] for r in rules)
    doc = sarif.to_document(RunResult(), "/", docs_url="https://docs.example.com/rules/{code}.html")
    assert doc["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] == "https://docs.example.com/rules/IDEM001.html"
    validate(doc)


def test_skipped_test_and_example_files_are_run_properties():
    doc = sarif.to_document(RunResult(skipped={"test": 3}), "/")
    assert doc["runs"][0]["properties"] == {"skippedFiles": {"test": 3, "example": 0}}
    validate(doc)


@pytest.mark.parametrize("confidence, level", [(Confidence.HIGH, "error"), (Confidence.MEDIUM, "warning"), (Confidence.LOW, "note")])
def test_level_and_confidence(confidence, level):
    doc = sarif.to_document(RunResult(findings=[finding(confidence=confidence)]), "/")
    res = doc["runs"][0]["results"][0]
    assert res["level"] == level
    assert res["properties"]["confidence"] == confidence.label


def test_result_location_region_and_related(tmp_path):
    f = finding(path=str(tmp_path / "pkg" / "my worker.py"), line=5, end_line=7,
                related=(Related(9, 5, "acked here"), Related(3, 1, "consumer registered")), evidence=("`pika` imported",))
    doc = sarif.to_document(RunResult(findings=[f]), str(tmp_path))
    validate(doc)
    res = doc["runs"][0]["results"][0]
    physical = res["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "pkg/my%20worker.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 5, "startColumn": 5, "endLine": 7, "endColumn": 17}
    assert res["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "handle", "kind": "function"}]
    assert [(r["id"], r["physicalLocation"]["region"], r["message"]["text"]) for r in res["relatedLocations"]] == [
        (1, {"startLine": 9, "startColumn": 5}, "acked here"),
        (2, {"startLine": 3, "startColumn": 1}, "consumer registered"),
    ]
    assert res["message"]["text"] == "`charge()` runs before any dedup check\nHint: check the id first"
    assert res["properties"]["evidence"] == ["`pika` imported"]
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"


def test_file_outside_root_gets_an_absolute_uri(tmp_path):
    outside = tmp_path / "elsewhere.py"
    doc = sarif.to_document(RunResult(findings=[finding(path=str(outside))]), str(tmp_path / "project"))
    validate(doc)
    artifact = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.as_uri()}


def test_errors_become_notifications_and_unused_ignores_results():
    result = RunResult(errors=[FileError("broken.py", "invalid syntax", kind="syntax", line=3)],
                       unused_ignores=[UnusedIgnore("a.py", 4, 10, "# idemlint: ignore[IDEM001]", ("IDEM001",))])
    doc = sarif.to_document(result, "/nonexistent-root")
    validate(doc)
    run = doc["runs"][0]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"]["id"] == "file-error/syntax"
    assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    (res,) = run["results"]
    assert res["ruleId"] == "unused-ignore" and run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "unused-ignore"


def test_fingerprints_ignore_line_moves_comments_and_indentation():
    base = "def handle(ch, body):\n    charge(body)  # FAKE: IDEM001 high\n"
    moved = "import os\n\n\n" + base.replace("charge(body)", "charge( body )") + "\n# trailing\n"
    recommented = base.replace("# FAKE: IDEM001 high", "# FAKE: IDEM001 high  (a note)")
    changed = base.replace("charge(body)", "refund(body)")

    def fp(source, line):
        h = SnippetHasher(source.encode()).hash(line, line)
        return fingerprint(finding(path="w.py", line=line, snippet_hash=h), "/r")

    assert fp(base, 2) == fp(moved, 5) == fp(recommented, 2)
    assert fp(base, 2) != fp(changed, 2)
    # rule, path and symbol are part of the identity
    h = SnippetHasher(base.encode()).hash(2, 2)
    ids = {fingerprint(finding(path="w.py", line=2, snippet_hash=h), "/r"),
           fingerprint(finding(path="v.py", line=2, snippet_hash=h), "/r"),
           fingerprint(finding(path="w.py", line=2, snippet_hash=h, rule="IDEM003"), "/r")}
    assert len(ids) == 3


def test_identical_findings_get_distinct_occurrence_suffixes(fake_engine):  # noqa: F811
    source = b"def handle(ch, body):\n    charge(body)  # FAKE: IDEM001 high\n    charge(body)  # FAKE: IDEM001 high\n"
    result = lint_source(source, "w.py", Config())
    doc = sarif.to_document(RunResult(findings=list(result.findings)), "/r")
    fps = [r["partialFingerprints"][SARIF_KEY] for r in doc["runs"][0]["results"]]
    assert fps[0].rsplit(":", 1)[0] == fps[1].rsplit(":", 1)[0]
    assert [p.rsplit(":", 1)[1] for p in fps] == ["1", "2"]


def test_baseline_runs_mark_results_new(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text("def handle(ch, body):\n    charge(body)  # FAKE: IDEM001 high\n")
    (tmp_path / "empty.json").write_text('{"entries": [], "idemlint_baseline": 1}\n')
    out = CliRunner().invoke(main, ["check", "--format", "sarif", "--baseline", "empty.json"]).stdout
    doc = json.loads(out)
    validate(doc)
    assert [r["baselineState"] for r in doc["runs"][0]["results"]] == ["new"]


def test_render_writes_sorted_json():
    buffer = io.StringIO()
    sarif.render(RunResult(findings=[finding()]), sarif.SarifOptions("/"), buffer)
    text = buffer.getvalue()
    assert text.endswith("}\n") and json.loads(text)["version"] == "2.1.0"


def test_snippet_hashes_do_not_depend_on_how_far_the_file_is_tokenized():
    source = b'x = """a\nb"""; y = 1\ndef f(msg):\n    ch.basic_ack(\n        msg.tag)\n\nz = [\n  1,\n]\n'
    full = SnippetHasher(source)
    for line, end in [(1, 1), (1, 2), (2, 2), (4, 5), (5, 5), (7, 9)]:
        assert SnippetHasher(source, last_line=end).hash(line, end) == full.hash(line, end)
    with pytest.raises(ValueError):
        SnippetHasher(source, last_line=3).hash(4, 5)


@pytest.mark.parametrize("source, line, end, snippet", [
    (b'send(f"hello {x!r:>{y}} and {f\'{y}\'}", c=3)  # note\n', 1, 1,
     'send ( f"hello {x!r:>{y}} and {f\'{y}\'}" , c = 3 )'),
    (b'x = 1\r\nsend(b=f"""multi\r\nline {x}\r\nend""", c=3)\r\n', 2, 4, 'send ( b = f"""multi\r\nline {x}\r\nend""" , c = 3 )'),
    (b'\xef\xbb\xbfsend(f"caf\xc3\xa9 {x}")\n', 1, 1, 'send ( f"caf\u00e9 {x}" )'),
    (b'# -*- coding: latin-1 -*-\nsend(f"caf\xe9 {x}", rf"\\d{y}")\n', 2, 2, 'send ( f"caf\u00e9 {x}" , rf"\\d{y}" )'),
])
def test_an_f_string_is_one_token_on_every_python(source, line, end, snippet):
    # Python 3.12 tokenizes f-strings into parts (PEP 701); the snippet, and so the fingerprint and
    # every baseline entry, must stay what Python 3.10 and 3.11 give.
    assert SnippetHasher(source).snippet(line, end) == snippet
    assert SnippetHasher(source, last_line=end).snippet(line, end) == snippet
