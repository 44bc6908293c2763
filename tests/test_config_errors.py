"""Every configuration mistake: one line on stderr naming the file and the key, exit 2, no traceback."""

from __future__ import annotations

import builtins

import pytest
from click.testing import CliRunner

from idemlint.cli import main

KNOWN = "known rules: IDEM001 (ack-without-dedup)"
CASES = {
    "malformed TOML": ("[tool.idemlint\nselect = 1\n", "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 15)"),
    "unknown key": ("[tool.idemlint]\nselectt = []\n", "unknown key 'selectt' (known: cache-dir, call-depth, docs-url, example-paths, exclude, "),
    "list expected": ("[tool.idemlint]\nselect = \"IDEM001\"\n", "select: expected a list of rule codes or names"),
    "unknown rule": ("[tool.idemlint]\nselect = [\"IDEM999\"]\n", f"select: unknown rule 'IDEM999'; {KNOWN}"),
    "unknown rule name": ("[tool.idemlint]\nignore = [\"ack-without-dedupe\"]\n", "ignore: unknown rule 'ack-without-dedupe'"),
    "unknown rule in per-file-ignores": ("[tool.idemlint.per-file-ignores]\n\"tests/**\" = [\"IDEM9\"]\n",
                                         "per-file-ignores.'tests/**': unknown rule 'IDEM9'"),
    "per-file-ignores not a table": ("[tool.idemlint]\nper-file-ignores = 3\n", "per-file-ignores: expected a table of glob = [codes]"),
    "confidence": ("[tool.idemlint]\nmin-confidence = \"sure\"\n", "min-confidence: unknown confidence 'sure' (expected low, medium or high)"),
    "confidence type": ("[tool.idemlint]\nmin-confidence = 3\n", "min-confidence: expected one of low, medium, high"),
    "size as text": ("[tool.idemlint]\nmax-file-size = \"10MB\"\n", "max-file-size: expected a positive integer (bytes)"),
    "size zero": ("[tool.idemlint]\nmax-file-size = 0\n", "max-file-size: expected a positive integer (bytes)"),
    "size bool": ("[tool.idemlint]\nmax-file-size = true\n", "max-file-size: expected a positive integer (bytes)"),
    "bool as text": ("[tool.idemlint]\nrespect-gitignore = \"yes\"\n", "respect-gitignore: expected true or false"),
    "globs not strings": ("[tool.idemlint]\nexclude = [1]\n", "exclude: expected a list of strings"),
    "table not a table": ("[tool]\nidemlint = 3\n", "tool.idemlint: expected a table"),
    "escape in a key": ("[tool.idemlint]\n\"sel\\u001b[2Ject\" = 1\n", "unknown key 'sel\\x1b[2Ject'"),
}


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    return tmp_path


def run(*args):
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def assert_one_line_error(result, *parts):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("idemlint: error: ")
    for part in parts:
        assert part in lines[0]
    assert "\x1b" not in lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_mistake(here, case):
    text, message = CASES[case]
    (here / "pyproject.toml").write_text(text)
    assert_one_line_error(run("a.py"), f"{here / 'pyproject.toml'}: ", message)


@pytest.mark.parametrize("case", ["unknown key", "unknown rule", "confidence"])
def test_config_mistake_in_an_explicit_file(here, case):
    text, message = CASES[case]
    (here / "ci.toml").write_text(text)
    assert_one_line_error(run("--config", "ci.toml", "a.py"), "ci.toml: ", message)


def test_top_level_keys_in_idemlint_toml(here):
    (here / "idemlint.toml").write_text("select = [\"nope\"]\n")
    assert_one_line_error(run("a.py"), f"{here / 'idemlint.toml'}: select: unknown rule 'nope'")
    (here / "idemlint.toml").write_text("selectt = []\n")  # no [tool.idemlint] here: the message does not claim one
    assert_one_line_error(run("a.py"), f"{here / 'idemlint.toml'}: unknown key 'selectt' (known: ")


def test_not_utf8(here):
    (here / "pyproject.toml").write_bytes(b"[tool.idemlint]\nselect = ['\xff']\n")
    assert_one_line_error(run("a.py"), "pyproject.toml: invalid TOML: not UTF-8 (invalid start byte)")


def test_missing_explicit_config_file(here):
    assert_one_line_error(run("--config", "nope.toml", "a.py"), "nope.toml: cannot read config file: No such file or directory")


def test_explicit_pyproject_without_table(here):
    (here / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert run("a.py").exit_code == 0  # found by search: passed over
    assert_one_line_error(run("--config", "pyproject.toml", "a.py"), "pyproject.toml: no [tool.idemlint] table")


def test_unreadable_config_file(here, monkeypatch):
    (here / "pyproject.toml").write_text("[tool.idemlint]\n")
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith("pyproject.toml"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)  # tests run as root, who reads anything
    assert_one_line_error(run("--config", "pyproject.toml", "a.py"), "pyproject.toml: cannot read config file: Permission denied")


def test_command_line_mistakes(here):
    assert_one_line_error(run("--select", "IDEM999", "a.py"), "command line: --select: unknown rule 'IDEM999'")
    assert_one_line_error(run("--ignore", "IDEM001,bogus", "a.py"), "command line: --ignore: unknown rule 'bogus'")


def test_escape_sequences_in_a_config_path_are_shown_not_obeyed(here):
    name = "evil\x1b[2J.toml"
    (here / name).write_text("[tool.idemlint]\nselectt = 1\n")
    assert_one_line_error(run("--config", name, "a.py"), "evil\\x1b[2J.toml: unknown key 'selectt'")
