"""End to end: the real `pre-commit` installs this checkout's hook and runs it on a git repo.

pre-commit clones the hook repository at a commit, so the test snapshots the current working
tree (committed or not) into a temporary git repository first. The hook's virtualenv is built
by pip from PyPI (hatchling, libcst, ...), so this needs PyPI access; it takes ~30 s.
Deselect with `-m "not slow"`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fixtures" / "demo" / "shop"
# What `pip install .` of the hook repository needs (see pyproject.toml).
HOOK_REPO_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src", "rules")

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str, env: dict) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


@pytest.fixture
def env(tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit is not installed: pip install -e '.[test]'")
    out = dict(os.environ)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PRE_COMMIT_COLOR"):
        out.pop(key, None)
    out.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "idemlint test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "idemlint test", "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_COLOR": "1",
    })
    return out


def snapshot_checkout(dest: Path, env: dict) -> str:
    """Copy what the hook needs from the working tree into a fresh git repo; return its HEAD sha."""
    dest.mkdir()
    for name in HOOK_REPO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(source, dest / name)
    git(dest, "init", "-q", env=env)
    git(dest, "add", ".", env=env)
    git(dest, "commit", "-q", "-m", "snapshot of the idemlint working tree", env=env)
    return git(dest, "rev-parse", "HEAD", env=env)


def pre_commit(project: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


def test_pre_commit_hook_fails_on_a_bad_consumer_and_passes_on_a_good_one(tmp_path, env):
    hook_repo = tmp_path / "idemlint-hook"
    sha = snapshot_checkout(hook_repo, env)

    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", env=env)
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hook_repo.as_posix()}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "      - id: idemlint\n"
    )
    (project / "payments.py").write_text((DEMO / "payments_consumer.py").read_text())
    (project / "invoices.py").write_text((DEMO / "invoices_consumer.py").read_text())
    (project / "tests").mkdir()
    (project / "tests" / "test_payments.py").write_text((DEMO / "payments_consumer.py").read_text())
    git(project, "add", ".", env=env)

    bad = pre_commit(project, env, "run", "--files", "payments.py")
    output = bad.stdout + bad.stderr
    assert bad.returncode == 1, output
    assert "idemlint" in output and "Failed" in output
    assert "payments.py:" in output and "IDEM001 ack-without-dedup" in output

    good = pre_commit(project, env, "run", "--files", "invoices.py")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    # A staged test file is test code: not reported by default (the hook passes --force-exclude).
    test_code = pre_commit(project, env, "run", "--verbose", "--files", "tests/test_payments.py")
    assert test_code.returncode == 0, test_code.stdout + test_code.stderr
    assert "Passed" in test_code.stdout and "IDEM001" not in test_code.stdout
    assert "skipped 1 test file (add --include-tests to check it)" in test_code.stdout
