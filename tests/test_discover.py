"""File discovery: walking, .gitignore, excludes, explicit files, display paths, odd file systems."""

from __future__ import annotations

import os

import pytest

from idemlint.config import Config
from idemlint.discover import SKIP_DIR_NAMES, PathNotFound, discover


def touch(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def shown(paths, config=None, **kw):
    return [f.display_path for f in discover(paths, config or Config(**kw))]


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_walks_python_files_sorted_with_relative_display_paths(cwd):
    touch(cwd, "b.py", "a.py", "pkg/z.py", "pkg/sub/y.py", "notes.txt", "pkg/c.pyi")
    assert shown(["."]) == ["a.py", "b.py", "pkg/sub/y.py", "pkg/z.py"]
    assert shown(["pkg"]) == ["pkg/sub/y.py", "pkg/z.py"]
    assert shown(["./pkg/"]) == ["pkg/sub/y.py", "pkg/z.py"]


def test_absolute_paths_inside_cwd_are_shown_relative(cwd):
    touch(cwd, "pkg/a.py")
    assert shown([str(cwd / "pkg")]) == ["pkg/a.py"]


def test_path_opened_is_usable(cwd):
    touch(cwd, "pkg/a.py")
    (found,) = discover(["pkg"], Config())
    assert os.path.isfile(found.path)


@pytest.mark.parametrize("name", sorted(SKIP_DIR_NAMES) + ["foo.egg-info"])
def test_builtin_skip_directories(cwd, name):
    touch(cwd, f"{name}/inside.py", "keep.py")
    assert shown(["."]) == ["keep.py"]


def test_any_virtualenv_is_skipped_but_a_plain_env_package_is_not(cwd):
    touch(cwd, "env/lib/x.py", "myenv/lib/y.py", "src/env/z.py")
    (cwd / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (cwd / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert shown(["."]) == ["src/env/z.py"]


def test_gitignore_nested_and_negated(cwd):
    (cwd / ".git").mkdir()
    touch(cwd, "gen/a.py", "app/ok.py", "app/skip_me.py", "app/deep/keep_me.py", "app/deep/other.py", "top.py")
    (cwd / ".gitignore").write_text("gen/\nskip_*.py\n")
    (cwd / "app" / "deep" / ".gitignore").write_text("*.py\n!keep_me.py\n")
    assert shown(["."]) == ["app/deep/keep_me.py", "app/ok.py", "top.py"]
    # A parent's .gitignore (up to the repository root) applies when walking a subdirectory.
    assert shown(["app"]) == ["app/deep/keep_me.py", "app/ok.py"]


def test_respect_gitignore_false(cwd):
    touch(cwd, "gen/a.py")
    (cwd / ".gitignore").write_text("gen/\n")
    assert shown(["."]) == []
    assert shown(["."], respect_gitignore=False) == ["gen/a.py"]


def test_configured_excludes_relative_to_root(cwd):
    touch(cwd, "migrations/0001.py", "app/models.py", "app/old_thing.py", "app/migrations/2.py")
    config = Config(exclude=("/migrations/",), extend_exclude=("old_*.py",), root=str(cwd))
    assert shown(["."], config) == ["app/migrations/2.py", "app/models.py"]
    config = Config(exclude=("migrations/",), root=str(cwd))
    assert shown(["."], config) == ["app/models.py", "app/old_thing.py"]


def test_explicit_files_are_always_checked_unless_force_exclude(cwd):
    touch(cwd, "build/gen.py", "migrations/1.py", "script")
    (cwd / ".gitignore").write_text("ignored.py\n")
    touch(cwd, "ignored.py")
    config = Config(exclude=("migrations/",), root=str(cwd))
    names = ["build/gen.py", "migrations/1.py", "ignored.py", "script"]
    assert shown(names, config) == ["build/gen.py", "ignored.py", "migrations/1.py", "script"]
    forced = Config(exclude=("migrations/",), root=str(cwd), force_exclude=True)
    assert shown(names, forced) == ["script"]


def test_no_duplicates(cwd):
    touch(cwd, "pkg/a.py")
    assert shown([".", "pkg", "pkg/a.py", "./pkg/a.py"]) == ["pkg/a.py"]


def test_nonexistent_path_is_an_error(cwd):
    with pytest.raises(PathNotFound):
        discover(["nope.py"], Config())


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_broken_symlinks_and_loops_do_not_crash(cwd):
    touch(cwd, "pkg/real.py")
    os.symlink(cwd / "missing.py", cwd / "pkg" / "dangling.py")
    os.symlink(cwd / "pkg", cwd / "pkg" / "loop")
    os.symlink(cwd / "pkg" / "self.py", cwd / "pkg" / "self.py")
    os.symlink(cwd / "pkg" / "real.py", cwd / "pkg" / "alias.py")
    assert shown(["."]) == ["pkg/real.py"]  # alias.py is the same file: checked once, by its own name
    # Named explicitly, a dangling link is kept (the read fails later with an error).
    assert shown(["pkg/dangling.py"]) == ["pkg/dangling.py"]


def test_directory_named_like_a_module(cwd):
    touch(cwd, "weird.py/inner.py")
    assert shown(["."]) == ["weird.py/inner.py"]
    assert shown(["weird.py"]) == ["weird.py/inner.py"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_directory_is_skipped(cwd):
    touch(cwd, "locked/a.py", "ok.py")
    os.chmod(cwd / "locked", 0)
    try:
        assert shown(["."]) == ["ok.py"]
    finally:
        os.chmod(cwd / "locked", 0o755)
