"""The few git questions idemlint asks, through the `git` command (never a library)."""

from __future__ import annotations

import os
from typing import List, Optional, Sequence


class GitError(Exception):
    """git is missing, the directory is not in a work tree, or a git command failed."""


def _git(args: Sequence[str], cwd: str) -> str:
    import subprocess  # only when git is asked something: a text report never does

    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8",
            errors="surrogateescape", timeout=120,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    except (OSError, subprocess.SubprocessError) as e:
        raise GitError(f"cannot run git: {e}") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        raise GitError(detail[-1] if detail else f"git {' '.join(args)} exited {proc.returncode}")
    return proc.stdout


def toplevel(cwd: Optional[str] = None) -> str:
    """Return the root of the git work tree holding `cwd`; raise `GitError` outside one."""
    cwd = cwd or os.getcwd()
    try:
        out = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    except GitError as e:
        if "not a git repository" in str(e):
            raise GitError(f"not inside a git repository: {cwd}") from None
        raise
    if not out:
        raise GitError("not inside a git work tree")
    return os.path.realpath(out)


def project_root(cwd: Optional[str] = None) -> str:
    """The root that SARIF, GitHub annotations and fingerprints use: git top level, else cwd."""
    cwd = os.path.abspath(cwd or os.getcwd())
    try:
        top = toplevel(cwd)
    except GitError:
        return cwd
    # Keep the spelling of the cwd (a symlinked /tmp, say) so relative paths stay short.
    real_cwd = os.path.realpath(cwd)
    if real_cwd == top:
        return cwd
    if real_cwd.startswith(top.rstrip(os.sep) + os.sep):
        depth = len(os.path.relpath(real_cwd, top).split(os.sep))
        return os.path.normpath(os.path.join(cwd, *([os.pardir] * depth)))
    return top


def changed_files(rev: str, cwd: Optional[str] = None) -> List[str]:
    """Absolute paths of files changed against `rev` in the work tree, plus untracked ones.

    `git diff --name-only REV` covers committed-since-REV, staged and unstaged changes;
    deleted files are left out; untracked files honour `.gitignore`.
    """
    cwd = cwd or os.getcwd()
    top = toplevel(cwd)
    if rev.startswith("-"):
        raise GitError(f"invalid revision {rev!r}")
    # Fail early and clearly on an unknown revision (git diff would guess it is a path).
    try:
        _git(["rev-parse", "--verify", f"{rev}^{{commit}}"], top)
    except GitError:
        raise GitError(f"unknown git revision {rev!r}") from None
    diff = _git(["-c", "core.quotepath=off", "diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", rev, "--"], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    names = sorted({n for n in (diff + untracked).split("\0") if n})
    return [os.path.join(top, *name.split("/")) for name in names]
