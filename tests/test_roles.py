"""Code roles: test and example code are found in discovery and left out of `check` unless asked for.

`fixtures/roles/` is a small project (see its README) whose `# expect:` markers say what a run that
includes every role reports; each test below says which roles it expects.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import expectations
from idemlint.api import lint_paths
from idemlint.cli import main
from idemlint.config import DEFAULT_EXAMPLE_PATHS, DEFAULT_TEST_PATHS, Config, with_overrides
from idemlint.discover import _Globs, discover
from test_diff import git

REPO = Path(__file__).resolve().parents[1]
ROLES = REPO / "fixtures" / "roles"
# The role of each fixture file with markers (the README's table).
ROLE_OF = {
    "loyalty/consumers.py": "production",
    "loyalty/fakes.py": "test",  # by its `import pytest`
    "tests/test_consumers.py": "test",
    "examples/quickstart.py": "example",
}


def expected(*roles):
    out = set()
    for rel, role in ROLE_OF.items():
        if role in roles:
            source = (ROLES / rel).read_text(encoding="utf-8")
            out |= {(f"fixtures/roles/{rel}", line, code, conf) for line, code, conf in expectations(source)}
    return out


def run(*args, cwd=REPO, monkeypatch=None):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, list(args), env={"NO_COLOR": "1", "COLUMNS": "100"}, catch_exceptions=False)


def check_json(monkeypatch, *args, path="fixtures/roles"):
    result = run("check", "--no-cache", "--format", "json", *args, path, monkeypatch=monkeypatch)
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    found = {(f["path"], f["line"], f["rule"], f["confidence"]) for f in doc["findings"]}
    return found, doc["summary"]


def test_every_fixture_file_with_markers_has_a_role():
    marked = {str(p.relative_to(ROLES)) for p in ROLES.rglob("*.py") if expectations(p.read_text(encoding="utf-8"))}
    assert marked == set(ROLE_OF)


def test_default_run_reports_production_code_only(monkeypatch):
    found, summary = check_json(monkeypatch)
    assert found == expected("production")
    # loyalty/testing/ (directory), loyalty/fakes.py (imports pytest), tests/ ; examples/
    assert summary["skipped"] == {"test": 4, "example": 1}
    assert summary["files"] == 3


def test_a_production_handler_is_followed_into_test_code(monkeypatch):
    # `on_points_expired` calls loyalty/testing/partner_sandbox.py, which is test code and not
    # checked itself: the effect there is still found (medium, on the handler's call).
    found, _ = check_json(monkeypatch)
    assert ("fixtures/roles/loyalty/consumers.py", 27, "IDEM001", "medium") in found


@pytest.mark.parametrize("flags, roles", [
    (["--include-tests"], ("production", "test")),
    (["--include-examples"], ("production", "example")),
    (["--include-tests", "--include-examples"], ("production", "test", "example")),
])
def test_each_flag_brings_its_role_in(monkeypatch, flags, roles):
    found, summary = check_json(monkeypatch, *flags)
    assert found == expected(*roles)
    assert summary["skipped"] == {"test": 0 if "test" in roles else 4, "example": 0 if "example" in roles else 1}


@pytest.fixture
def project(tmp_path):
    """A copy of fixtures/roles with a pyproject.toml of its own (the config root)."""
    dest = tmp_path / "roles"
    shutil.copytree(ROLES, dest)
    return dest


def configure(project, body):
    (project / "pyproject.toml").write_text(f"[tool.idemlint]\n{body}\n", encoding="utf-8")


def findings_by_role(monkeypatch, project, *args):
    result = run("check", "--no-cache", "--format", "json", *args, ".", cwd=project, monkeypatch=monkeypatch)
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        return result.stderr, None
    doc = json.loads(result.stdout)
    return {ROLE_OF[f["path"]] for f in doc["findings"]}, doc["summary"]["skipped"]


def test_config_keys_include_roles_and_flags_override_them(monkeypatch, project):
    configure(project, "include-tests = true\ninclude-examples = true")
    assert findings_by_role(monkeypatch, project) == ({"production", "test", "example"}, {"test": 0, "example": 0})
    assert findings_by_role(monkeypatch, project, "--no-include-tests")[0] == {"production", "example"}
    configure(project, "include-examples = true")
    assert findings_by_role(monkeypatch, project)[0] == {"production", "example"}
    assert findings_by_role(monkeypatch, project, "--include-tests")[0] == {"production", "test", "example"}


def test_test_paths_replace_the_defaults_and_the_import_rule(monkeypatch, project):
    # Only loyalty/testing/ is test code now: tests/ and the pytest-importing fakes are production.
    configure(project, 'test-paths = ["loyalty/testing/"]')
    roles, skipped = findings_by_role(monkeypatch, project)
    assert roles == {"production", "test"} and skipped == {"test": 2, "example": 1}


def test_extend_test_paths_keeps_the_defaults(monkeypatch, project):
    configure(project, 'extend-test-paths = ["loyalty/consumers.py"]\nexample-paths = []')
    roles, skipped = findings_by_role(monkeypatch, project)
    assert roles == {"example"} and skipped == {"test": 5, "example": 0}


@pytest.mark.parametrize("body, fragment", [
    ("include-tests = 'yes'", "include-tests: expected true or false"),
    ("test-paths = 'tests/'", "test-paths: expected a list of strings"),
    ("extend-example-paths = [1]", "extend-example-paths: expected a list of strings"),
    ("docs-url = 'rules/'", "docs-url: expected an http(s) URL"),
    ("docs-url = 'https://x.example/a b'", "docs-url: expected an http(s) URL"),
])
def test_bad_role_and_docs_settings_exit_2(monkeypatch, project, body, fragment):
    configure(project, body)
    message, _ = findings_by_role(monkeypatch, project)
    assert fragment in message


def test_summary_line_states_the_skipped_counts_and_how_to_include_them(monkeypatch):
    result = run("check", "--no-cache", "fixtures/roles", monkeypatch=monkeypatch)
    assert result.stdout.rstrip().splitlines()[-1] == (
        "Found 2 findings (1 high, 1 medium) in 3 files checked; skipped 4 test files and 1 example file "
        "(add --include-tests / --include-examples to check them).")
    result = run("check", "--no-cache", "--format", "markdown", "--include-tests", "fixtures/roles", monkeypatch=monkeypatch)
    assert result.stdout.startswith("### idemlint: Found 5 findings (3 high, 1 medium, 1 low) in 7 files checked; "
                                    "skipped 1 example file (add --include-examples to check it).")
    sarif = json.loads(run("check", "--no-cache", "--format", "sarif", "fixtures/roles", monkeypatch=monkeypatch).stdout)
    assert sarif["runs"][0]["properties"] == {"skippedFiles": {"test": 4, "example": 1}}


def test_a_clean_run_says_what_it_skipped(monkeypatch):
    result = run("check", "--no-cache", "fixtures/roles/examples", monkeypatch=monkeypatch)
    assert result.exit_code == 0
    assert result.stdout == "No findings in 0 files checked; skipped 1 example file (add --include-examples to check it).\n"


def test_named_files_are_checked_whatever_their_role_unless_force_exclude(monkeypatch):
    named = "fixtures/roles/tests/test_consumers.py"
    result = run("check", "--no-cache", "--format", "json", named, monkeypatch=monkeypatch)
    assert result.exit_code == 1 and len(json.loads(result.stdout)["findings"]) == 2
    # What the pre-commit hook runs: roles (and excludes) apply to the names it passes.
    result = run("check", "--no-cache", "--force-exclude", named, monkeypatch=monkeypatch)
    assert result.exit_code == 0
    assert result.stdout == "No findings in 0 files checked; skipped 1 test file (add --include-tests to check it).\n"
    result = run("check", "--no-cache", "--force-exclude", "--include-tests", named, monkeypatch=monkeypatch)
    assert result.exit_code == 1


def test_a_named_file_is_judged_by_its_imports_too(monkeypatch):
    result = run("check", "--no-cache", "--force-exclude", "fixtures/roles/loyalty/fakes.py", monkeypatch=monkeypatch)
    assert result.exit_code == 0 and "skipped 1 test file" in result.stdout


def test_diff_applies_roles_to_the_changed_files(monkeypatch, project):
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    for rel in ("tests/test_consumers.py", "loyalty/consumers.py"):
        with open(project / rel, "a", encoding="utf-8") as fh:
            fh.write("# edited\n")
    result = run("check", "--no-cache", "--format", "json", "--diff", "HEAD", cwd=project, monkeypatch=monkeypatch)
    doc = json.loads(result.stdout)
    assert {f["path"] for f in doc["findings"]} == {"loyalty/consumers.py"}
    assert doc["summary"]["skipped"] == {"test": 1, "example": 0}


def test_a_baseline_entry_in_skipped_test_code_is_not_fixed(monkeypatch, project):
    baseline = project / "baseline.json"
    result = run("check", "--no-cache", "--include-tests", "--write-baseline", str(baseline), ".", cwd=project,
                 monkeypatch=monkeypatch)
    assert result.exit_code == 0
    result = run("check", "--no-cache", "--format", "json", "--baseline", str(baseline), ".", cwd=project,
                 monkeypatch=monkeypatch)
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["findings"] == []
    assert doc["summary"]["baseline"]["fixed"] == 0  # test files were not checked: nothing about them is "fixed"


def test_the_cache_never_hides_or_leaks_a_role(monkeypatch, project, tmp_path):
    cache = str(tmp_path / "cache")

    def roles_reported(*args):
        result = run("check", "--cache-dir", cache, "--format", "json", *args, ".", cwd=project, monkeypatch=monkeypatch)
        return {ROLE_OF[f["path"]] for f in json.loads(result.stdout)["findings"]}

    assert roles_reported() == {"production"}
    assert roles_reported("--include-tests") == {"production", "test"}
    assert roles_reported() == {"production"}  # the test files' cached results are not reported
    assert roles_reported("--include-tests", "--include-examples") == {"production", "test", "example"}


def test_workers_that_read_the_files_judge_imports_the_same(tmp_path, monkeypatch):
    # A run without a cache over 64 files or more leaves reading to the workers (`_defer_prefilter`).
    monkeypatch.chdir(tmp_path)
    bad = (ROLES / "loyalty" / "fakes.py").read_text(encoding="utf-8")
    for i in range(70):
        text = bad if i % 2 else bad.replace("import pytest\n", "")
        (tmp_path / f"mod_{i:02}.py").write_text(text, encoding="utf-8")
    config = Config(root=str(tmp_path))
    serial, parallel = {}, {}
    one = lint_paths(["."], with_overrides(config, jobs=1), stats=serial)
    two = lint_paths(["."], with_overrides(config, jobs=2), stats=parallel)
    assert one.skipped == two.skipped == {"test": 35}
    assert [f.path for f in one.findings] == [f.path for f in two.findings] and len(one.findings) == 35
    assert serial["skipped_tests"] == parallel["skipped_tests"] == 35 and serial["files"] == 35


def test_consumers_lists_every_role(monkeypatch):
    result = run("consumers", "--format", "json", "fixtures/roles", monkeypatch=monkeypatch)
    doc = json.loads(result.stdout)
    roles = {(c["path"].removeprefix("fixtures/roles/"), c["symbol"]): c["role"] for c in doc["consumers"]}
    assert roles == {
        ("examples/quickstart.py", "main"): "example",
        ("loyalty/consumers.py", "on_order_paid"): "production",
        ("loyalty/consumers.py", "on_points_expired"): "production",
        ("loyalty/fakes.py", "replay_to_recorder"): "test",
        ("tests/test_consumers.py", "test_partner_is_told_about_points.on_message"): "test",
    }
    assert doc["summary"]["by_role"]["test"] == {"consumers": 2, "producers": 1}
    text = run("consumers", "fixtures/roles", monkeypatch=monkeypatch).stdout
    assert "fixtures/roles/tests/test_consumers.py (test code)" in text
    assert "fixtures/roles/loyalty/consumers.py\n" in text  # production: no note
    assert text.rstrip().endswith("in test code: 2 consumers, 1 producer; in example code: 1 consumer, 0 producers.")
    by_library = run("consumers", "--group-by", "library", "fixtures/roles", monkeypatch=monkeypatch).stdout
    assert "┃ Role" in by_library


PATHS = [
    "tests/a.py", "a/tests/b.py", "tests", "test/x.py", "src/testing/x.py", "test_a.py", "a/test_b.py", "a_test.py",
    "a/b_test.py", "tests.py", "a/tests.py", "conftest.py", "a/conftest.py", "contest.py", "atest/x.py",
    "latest.py", "testsuite/x.py", "docs/conf.py", "a/doc/x.py", "examples/x.py", "example/x.py",
    "samples/x.py", "sample/x.py", "tutorials/x.py", "tutorial/x.py", "a/tutorial_2/x.py", "snippets/x.py",
    "demo/x.py", "fixtures/demo/shop/x.py", "src/app/consumers.py", "docs.py", "examples.py", "a/test_b.pyc",
    "contrib/example-extension-package/x.py", "kafka/benchmarks/load_example.py", "a/example_run.py",
    "a/producer_example.py", "benchmark/x.py", "exampleco/x.py", "examples_util.py",
]


@pytest.mark.parametrize("globs", [DEFAULT_TEST_PATHS, DEFAULT_EXAMPLE_PATHS, ("t/", "*_spec.py", "/top.py", "a/**/x.py")])
def test_role_globs_match_as_gitignore_does(globs):
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(globs)
    ours = _Globs(globs)
    for path in PATHS + ["t/x.py", "a/t/x.py", "top.py", "a/top.py", "a/b/c/x.py", "a/x.py", "b_spec.py"]:
        assert ours.match(path) == bool(spec.match_file(path)), path


def test_demo_and_fixtures_are_production_code(monkeypatch):
    monkeypatch.chdir(REPO)
    files = discover(["fixtures/demo"], Config())
    assert files and {f.role for f in files} == {"production"}


@pytest.mark.parametrize("path,example", [
    ("contrib/example-extension-package/bots/collector.py", True),  # intelmq's extension template
    ("kafka/benchmarks/load_example.py", True),  # kafka-python's load generator
    ("benchmark/throughput.py", True), ("tools/producer_example.py", True), ("example_consumer.py", True),
    ("exampleco/consumers.py", False), ("app/examples_util.py", False), ("app/benchmarking.py", False),
])
def test_benchmarks_and_example_scripts_are_example_code(path, example):
    assert _Globs(DEFAULT_EXAMPLE_PATHS).match(path) is example
