"""Fuzzing: generated programs and mutated fixtures never crash the analysis.

Properties, for every input:
- `analysis.analyze` returns findings or raises `ParseFailure` (RecursionError is tolerated:
  the per-file boundary reports it as a skipped file); nothing else escapes;
- findings point inside the file and name registered rules;
- the JSON and SARIF reports built from the result are valid (SARIF against the official
  schema) and the text report contains no raw control characters;
- a run gives the same result serially and with a worker pool (`--jobs`), or twice serially
  where the CLI has no `--jobs`.

Profiles (environment variable IDEMLINT_FUZZ):
- `fast` (default, runs in `.ci/run`): 300 hypothesmith modules + 200 hypothesmith handler
  bodies (500 generated programs), 300 line-level and 200 byte-level fixture mutations,
  4 serial-vs-parallel runs of 12-30 mutated files each; about a minute.
- `long` (release checks): 25x as many; ~25 min on two cores.
  `IDEMLINT_FUZZ=long python -m pytest tests/test_fuzz.py`
- a number N: N times the fast profile (`IDEMLINT_FUZZ=5`).
"""

from __future__ import annotations

import io
import json
import os
import re
import textwrap
import unicodedata
from pathlib import Path
from typing import List

import jsonschema
import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from click.testing import CliRunner  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from harness import fixture_files  # noqa: E402
from idemlint import analysis  # noqa: E402
from idemlint.cli import check as check_command  # noqa: E402
from idemlint.cli import main  # noqa: E402
from idemlint.findings import Confidence, FileError, RunResult  # noqa: E402
from idemlint.report import json as json_report  # noqa: E402
from idemlint.report import sarif  # noqa: E402
from idemlint.report import text as text_report  # noqa: E402
from idemlint.rules import ALL_RULES  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SARIF_VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
CODES = {rule.code for rule in ALL_RULES}
# hypothesmith compiles what it generates (CPython warns about `1()`); literal evaluation warns about odd escapes.
pytestmark = [pytest.mark.filterwarnings("ignore::SyntaxWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

LINE_BREAK = re.compile(rb"\r\n|\r|\n")
PROFILE = os.environ.get("IDEMLINT_FUZZ", "fast")
SCALE = {"fast": 1, "long": 25}.get(PROFILE) or int(PROFILE)
SETTINGS = dict(
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout; failures print their blob
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)

PRELUDE = "import pika\nimport json\nfrom kafka import KafkaConsumer\n\n\n"
HANDLER_HEAD = "def on_message(ch, method, properties, body):\n    order = json.loads(body)\n"
HANDLER_TAIL = "    ch.basic_ack(delivery_tag=method.delivery_tag)\n"


def check_result(source: bytes, path: str = "fuzz.py") -> None:
    """Analyse `source` and check every property above except determinism."""
    try:
        findings = analysis.analyze(source, path)
    except analysis.ParseFailure as e:
        result = RunResult(files=1, errors=[FileError(path, e.message, kind=e.kind, line=e.line)])
    except RecursionError:
        result = RunResult(files=1, errors=[FileError(path, "too deeply nested to analyse", kind="skipped")])
    else:
        lines = len(LINE_BREAK.split(source))  # as Python counts them: a lone CR ends a line too
        for f in findings:
            assert f.rule in CODES and f.path == path and isinstance(f.confidence, Confidence)
            assert 1 <= f.line <= f.end_line <= lines, f
            assert f.column >= 1 and f.end_column >= 1
        result = RunResult(files=1, parsed=1, findings=list(findings))
    out = io.StringIO()
    json_report.render(result, json_report.JsonOptions(str(REPO)), out)
    json.loads(out.getvalue())
    out = io.StringIO()
    sarif.render(result, sarif.SarifOptions(str(REPO)), out)
    SARIF_VALIDATOR.validate(json.loads(out.getvalue()))
    out = io.StringIO()
    text = source.decode("utf-8", errors="replace")
    text_report.render(result, text_report.TextOptions(color=False, width=100), out, sources={path: text})
    for ch in out.getvalue():
        assert ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"), repr(ch)


# --- generated programs (hypothesmith) -----------------------------------------------------------


@settings(max_examples=300 * SCALE, **SETTINGS)
@given(hypothesmith.from_grammar())
def test_generated_modules(code):
    check_result((PRELUDE + code).encode("utf-8", errors="surrogatepass"))


@settings(max_examples=200 * SCALE, **SETTINGS)
@given(hypothesmith.from_grammar(start="file_input"))
def test_generated_handler_bodies(code):
    body = textwrap.indent(code, "    ") if code.strip() else "    pass\n"
    if not body.endswith("\n"):
        body += "\n"
    check_result((PRELUDE + HANDLER_HEAD + body + HANDLER_TAIL).encode("utf-8", errors="surrogatepass"))


# --- mutations of the fixtures -------------------------------------------------------------------

FIXTURES = [p for p in fixture_files() if "demo" not in p.parts] + sorted((REPO / "fixtures" / "demo").rglob("*.py"))
INJECTIONS = [
    "ch.basic_ack(delivery_tag=method.delivery_tag)",
    "channel.basic_nack(method.delivery_tag, requeue=True)",
    "consumer.commit()",
    "consumer.commit(asynchronous=False)",
    "await message.ack()",
    "message.ack()",
    "msg.nack()",
    "session.commit()",
    "db.session.commit()",
    "conn.commit()",
    "sqs.delete_message(QueueUrl=url, ReceiptHandle=receipt)",
    "await msg.in_progress()",
    "requests.post(url, json=body)",
    "stripe.Charge.create(amount=1)",
    "producer.send('topic', value=body)",
    "redis.xack(stream, group, message_id)",
    "with transaction.atomic():",
    "return",
    "raise",
    "yield",
    "async with conn.transaction():",
]


@st.composite
def mutated_fixture(draw):
    path = draw(st.sampled_from(FIXTURES))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) or ["\n"]
    for _ in range(draw(st.integers(0, 4))):  # 0: the fixture as it is (the parallel run needs parsed files)
        if not lines:
            lines = ["\n"]
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "swap", "duplicate", "inject", "dedent", "truncate"]))
        if kind == "delete":
            del lines[i]
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "inject":
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))].rstrip("\n")
            lines.insert(i, indent + draw(st.sampled_from(INJECTIONS)) + "\n")
        elif kind == "dedent":
            lines[i] = lines[i][4:] if lines[i].startswith("    ") else lines[i]
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return path.name, "".join(lines)


@settings(max_examples=300 * SCALE, **SETTINGS)
@given(mutated_fixture())
def test_mutated_fixtures(case):
    name, source = case
    check_result(source.encode("utf-8"), name)


ODD_BYTES = [b"\x00", b"\r", b"\x0c", b"\xef\xbb\xbf", b"\xff", b"\xed\xa0\x80", b"\x1b[2J", "\u202e".encode(),
             b"\\", b"'''", b'"', b"(", b")", b"\t", b"# coding: latin-1\n", b"# coding: klingon\n"]


@settings(max_examples=200 * SCALE, **SETTINGS)
@given(st.sampled_from(FIXTURES), st.data())
def test_byte_mutated_fixtures(path, data):
    """NUL, invalid UTF-8, encoded surrogates, CR, BOMs, escapes, cookies and random bytes at random offsets."""
    source = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(source)))
        source[at:at] = data.draw(st.one_of(st.sampled_from(ODD_BYTES), st.binary(min_size=1, max_size=8)))
    check_result(bytes(source), path.name)


# --- serial and parallel give the same report ----------------------------------------------------


def _has_jobs_option() -> bool:
    return any("--jobs" in p.opts for p in check_command.params)


def _run_json(directory: Path, *args: str) -> dict:
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        result = runner.invoke(main, ["check", "--format", "json", *args, "."], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    doc.pop("timing", None)
    return doc


@settings(max_examples=4 * SCALE, **SETTINGS)
@given(st.lists(mutated_fixture(), min_size=12, max_size=30))
def test_serial_and_parallel_agree(tmp_path_factory, cases):
    directory = tmp_path_factory.mktemp("fuzz")
    for i, (name, source) in enumerate(cases):
        (directory / f"m{i:02d}_{name}").write_text(source, encoding="utf-8")
    extra: List[str] = ["--no-cache"] if any("--no-cache" in p.opts for p in check_command.params) else []
    if _has_jobs_option():
        serial, parallel = _run_json(directory, "--jobs", "1", *extra), _run_json(directory, "--jobs", "2", *extra)
    else:
        serial, parallel = _run_json(directory, *extra), _run_json(directory, *extra)
    assert serial == parallel
    assert not [e for e in serial["errors"] if e["kind"] == "internal"]
