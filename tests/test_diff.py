"""`--diff REV` / `--since REV`: only Python files changed against a git revision (real git)."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from cli_fakes import fake_engine  # noqa: F401  (fixture)
from idemlint.cli import main

FINDING = "def h(m):\n    charge(m)  # FAKE: IDEM001 high\n"


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    (tmp_path / "pkg").mkdir()
    for name in ("committed", "edited", "staged", "deleted"):
        (tmp_path / "pkg" / f"{name}.py").write_text(FINDING)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "old.py").write_text(FINDING)
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "tag", "base")
    # After the base revision: a commit, a staged change, an unstaged edit, a deletion,
    # an untracked file, an ignored file and a non-Python file.
    (tmp_path / "pkg" / "committed.py").write_text(FINDING + "# later\n")
    git(tmp_path, "commit", "-q", "-am", "later")
    (tmp_path / "pkg" / "staged.py").write_text(FINDING + "# staged\n")
    git(tmp_path, "add", "pkg/staged.py")
    (tmp_path / "pkg" / "edited.py").write_text(FINDING + "# edited\n")
    (tmp_path / "pkg" / "deleted.py").unlink()
    (tmp_path / "pkg" / "new.py").write_text(FINDING)
    (tmp_path / "pkg" / "ignored.py").write_text(FINDING)
    (tmp_path / "pkg" / "notes.txt").write_text("FAKE: IDEM001 high\n")
    return tmp_path


def checked(*args):
    result = CliRunner().invoke(main, ["check", "--format", "json", *args], catch_exceptions=False)
    return result, sorted({f["path"] for f in json.loads(result.stdout)["findings"]})


def test_diff_lints_changed_and_untracked_python_files(repo):
    result, paths = checked("--diff", "base")
    assert result.exit_code == 1
    assert paths == ["pkg/committed.py", "pkg/edited.py", "pkg/new.py", "pkg/staged.py"]


def test_since_is_an_alias_and_head_means_working_tree_only(repo):
    _, paths = checked("--since", "HEAD")
    assert paths == ["pkg/edited.py", "pkg/new.py", "pkg/staged.py"]


def test_diff_is_limited_to_the_given_paths_and_relative_to_the_cwd(repo, monkeypatch):
    _, paths = checked("--diff", "base", "other")
    assert paths == []
    monkeypatch.chdir(repo / "pkg")
    _, paths = checked("--diff", "base", "new.py")
    assert paths == ["new.py"]


def test_diff_applies_excludes(repo):
    _, paths = checked("--diff", "base", "--exclude", "new.py,staged.py")
    assert paths == ["pkg/committed.py", "pkg/edited.py"]


def test_no_changes_is_clean(repo):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "all")
    result = CliRunner().invoke(main, ["check", "--diff", "HEAD"])
    assert result.exit_code == 0 and "No findings in 0 files checked." in result.output


def test_unknown_revision_is_exit_2(repo):
    result = CliRunner().invoke(main, ["check", "--diff", "no-such-rev"])
    assert result.exit_code == 2
    assert "idemlint: error: --diff no-such-rev: unknown git revision 'no-such-rev'" in result.output


def test_outside_a_git_repository_is_exit_2(tmp_path, monkeypatch, fake_engine):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(FINDING)
    result = CliRunner().invoke(main, ["check", "--diff", "main"])
    assert result.exit_code == 2
    assert "--diff main: not inside a git repository" in result.output


def test_git_missing_is_exit_2(repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo / "no-bin-here"))
    result = CliRunner().invoke(main, ["check", "--diff", "base"])
    assert result.exit_code == 2 and "git is not installed" in result.output
