"""The few git operations releases need, through the `git` command (no library)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aideals.errors import AidealsError


class GitError(AidealsError):
    """A git command failed, or the directory is not in a git repository."""


class GitMissing(GitError):
    """The `git` command is not installed."""


def run(root: Path, *args: str, check: bool = True, input_bytes: bytes | None = None) -> bytes:
    """Run `git -C root args...` and return its standard output; GitError with git's message on failure."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitMissing("git is not installed (it is needed to read revisions and tag releases)") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args)}: {message[-1] if message else f'exit {proc.returncode}'}")
    return proc.stdout


def toplevel(root: Path) -> Path | None:
    """The top directory of the git work tree holding `root`, or None when it is not in one."""
    try:
        out = run(root, "rev-parse", "--show-toplevel")
    except GitMissing:
        raise
    except GitError:
        return None
    return Path(out.decode().strip())


def dirty_paths(root: Path) -> list[str]:
    """Paths (relative to `root`, the work tree's top) with uncommitted changes, untracked files
    included (ignored files are not), as they are named: not quoted or escaped."""
    out = run(root, "status", "--porcelain=v1", "-z", "--untracked-files=all").decode("utf-8", "surrogateescape")
    paths = []
    entries = iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if "R" in entry[:2] or "C" in entry[:2]:  # a rename or copy (staged or not): the next entry is its source
            next(entries, None)
    return paths


def tags(root: Path) -> list[str]:
    """All tag names of the repository."""
    return run(root, "tag", "--list").decode().split()


def resolve_commit(root: Path, rev: str) -> str | None:
    """The full commit id `rev` names, or None when it names no commit."""
    if rev.startswith("-"):
        return None
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def head_commit(root: Path) -> str:
    """The full id of the commit checked out."""
    return run(root, "rev-parse", "HEAD").decode().strip()


def show(root: Path, rev: str, path: str) -> bytes | None:
    """The bytes of `path` (relative to the repository top) at revision `rev`, or None if it has no such file."""
    proc = subprocess.run(
        ["git", "-C", str(root), "show", f"{rev}:{path}"],
        capture_output=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None
