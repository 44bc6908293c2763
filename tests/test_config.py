"""Configuration: file discovery, validation of every key, CLI overrides."""

from __future__ import annotations

import dataclasses
import os

import pytest

from idemlint.config import (
    DEFAULT_MAX_FILE_SIZE,
    KEYS,
    Config,
    ConfigError,
    find_config_file,
    load_config,
    resolve_rule,
    split_list,
)
from idemlint.findings import Confidence
from idemlint.rules import ALL_RULES


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path):
    config = load_config([str(tmp_path)])
    assert config.config_path is None
    assert config.select == () and config.ignore == ()
    assert config.min_confidence is Confidence.LOW
    assert config.max_file_size == DEFAULT_MAX_FILE_SIZE == 10 * 1024 * 1024
    assert config.respect_gitignore is True
    assert config.enabled_codes() == tuple(r.code for r in ALL_RULES)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().select = ("IDEM001",)  # type: ignore[misc]


def test_every_key_is_read_from_pyproject(tmp_path):
    write(
        tmp_path / "pyproject.toml",
        """
[project]
name = "x"

[tool.idemlint]
select = ["IDEM001", "message-without-id"]
ignore = ["side-effect-outside-transaction"]
exclude = ["gen/"]
extend-exclude = ["old_*.py"]
min-confidence = "Medium"
max-file-size = 1234
respect-gitignore = false

[tool.idemlint.per-file-ignores]
"tests/**" = ["IDEM001", "message-without-id"]
""",
    )
    config = load_config([str(tmp_path / "src" / "a.py")])
    assert config.config_path == str(tmp_path / "pyproject.toml")
    assert config.root == str(tmp_path)
    assert config.select == ("IDEM001", "IDEM003")
    assert config.ignore == ("IDEM002",)
    assert config.exclude == ("gen/",) and config.extend_exclude == ("old_*.py",)
    assert config.excludes() == ("gen/", "old_*.py")
    assert config.min_confidence is Confidence.MEDIUM
    assert config.max_file_size == 1234
    assert config.respect_gitignore is False
    assert config.per_file_ignores == (("tests/**", ("IDEM001", "IDEM003")),)


def test_declaration_covers_every_settable_field():
    fields = {f.name for f in dataclasses.fields(Config)}
    declared = {field_name for field_name, _ in KEYS.values()}
    assert declared == fields - {"force_exclude", "verbose", "config_path", "root"}


def test_search_goes_upward_and_skips_pyproject_without_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.idemlint]\nmin-confidence = 'high'\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'inner'\n")
    (tmp_path / "pkg" / "sub").mkdir()
    assert find_config_file(str(tmp_path / "pkg" / "sub")) == str(tmp_path / "pyproject.toml")
    assert load_config([str(tmp_path / "pkg" / "sub")]).min_confidence is Confidence.HIGH


def test_idemlint_toml_is_found_with_top_level_keys(tmp_path):
    write(tmp_path / "idemlint.toml", "select = ['IDEM003']\n")
    assert load_config([str(tmp_path)]).select == ("IDEM003",)


def test_explicit_config_standalone_top_level_and_tool_table(tmp_path):
    top = write(tmp_path / "a.toml", "ignore = ['IDEM001']\n")
    nested = write(tmp_path / "b.toml", "[tool.idemlint]\nignore = ['IDEM002']\n")
    assert load_config([str(tmp_path)], str(top)).ignore == ("IDEM001",)
    assert load_config([str(tmp_path)], str(nested)).ignore == ("IDEM002",)


def test_explicit_pyproject_without_table_is_an_error(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: no \[tool.idemlint\] table"):
        load_config([str(tmp_path)], str(path))


@pytest.mark.parametrize(
    "body, key, fragment",
    [
        ("selekt = ['IDEM001']", "selekt", "unknown key"),
        ("select = 'IDEM001'", "select", "expected a list"),
        ("select = ['IDEM999']", "select", "unknown rule 'IDEM999'"),
        ("ignore = ['no-such-rule']", "ignore", "unknown rule 'no-such-rule'"),
        ("exclude = 'build'", "exclude", "expected a list of strings"),
        ("extend-exclude = [1]", "extend-exclude", "expected a list of strings"),
        ("min-confidence = 'certain'", "min-confidence", "unknown confidence"),
        ("min-confidence = 3", "min-confidence", "expected one of"),
        ("max-file-size = '10MB'", "max-file-size", "positive integer"),
        ("max-file-size = true", "max-file-size", "positive integer"),
        ("max-file-size = 0", "max-file-size", "positive integer"),
        ("respect-gitignore = 'yes'", "respect-gitignore", "true or false"),
        ("per-file-ignores = ['x']", "per-file-ignores", "table"),
        ("[tool.idemlint.per-file-ignores]\n'a.py' = ['IDEM777']", "per-file-ignores", "unknown rule"),
    ],
)
def test_bad_values_are_one_line_errors_naming_file_and_key(tmp_path, body, key, fragment):
    if not body.startswith("["):
        body = "[tool.idemlint]\n" + body
    path = write(tmp_path / "pyproject.toml", body + "\n")
    with pytest.raises(ConfigError) as info:
        load_config([str(tmp_path)])
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and key in message and fragment in message


def test_malformed_toml_names_the_file(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[tool.idemlint\nselect = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as info:
        load_config([str(tmp_path)])
    assert str(path) in str(info.value)


def test_unreadable_or_missing_explicit_config(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config([str(tmp_path)], str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config([str(tmp_path)], str(tmp_path))  # a directory


def test_cli_overrides_replace_only_what_was_passed(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.idemlint]\nignore = ['IDEM002']\nmin-confidence = 'high'\n")
    config = load_config([str(tmp_path)], overrides={"select": ("ack-without-dedup",), "force_exclude": True})
    assert config.select == ("IDEM001",)
    assert config.ignore == ("IDEM002",)  # not passed: kept from the file
    assert config.min_confidence is Confidence.HIGH
    assert config.force_exclude is True
    config = load_config([str(tmp_path)], overrides={"min-confidence": "low", "ignore": ()})
    assert config.min_confidence is Confidence.LOW and config.ignore == ()


def test_cli_override_errors_name_the_option(tmp_path):
    with pytest.raises(ConfigError, match="command line: --select: unknown rule 'IDEM0'"):
        load_config([str(tmp_path)], overrides={"select": ("IDEM0",)})


def test_enabled_codes_select_then_ignore():
    assert Config(select=("IDEM001", "IDEM002"), ignore=("IDEM002",)).enabled_codes() == ("IDEM001",)
    assert Config(ignore=("IDEM001",)).enabled_codes() == tuple(r.code for r in ALL_RULES if r.code != "IDEM001")


def test_resolve_rule_accepts_codes_and_names_case_insensitively():
    for rule in ALL_RULES:
        assert resolve_rule(rule.code.lower()) == rule.code
        assert resolve_rule(rule.name.upper()) == rule.code


def test_split_list():
    assert split_list(" IDEM001, ack-without-dedup ,,") == ("IDEM001", "ack-without-dedup")


def test_root_defaults_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config(["."]).root == os.getcwd()
