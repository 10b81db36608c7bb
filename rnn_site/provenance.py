"""Where a result came from: the git commit of the code (standard library only).

Training logs and exported models both record it, so a number on a model card can be traced to
the code that produced it. Git runs in the repository this package lives in, not in whatever
directory the command was started from. A commit is only the code that ran if the package's
files match it, so uncommitted changes under ``rnn_site/`` mark it ``<sha>-dirty``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The folder whose uncommitted changes make a run's commit "-dirty": the code that ran.
CODE_PATH = "rnn_site"
DIRTY = "-dirty"


def _git(repo: str | Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """``git args`` in ``repo``; None without a git binary or the folder, or if git hangs."""
    try:
        return subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_commit(repo: str | Path = REPO_ROOT, code: str = CODE_PATH) -> str:
    """``git rev-parse HEAD`` run in `repo`, with ``-dirty`` appended when files under
    ``code`` differ from it (changed, staged, deleted or untracked, as ``git status
    --porcelain`` lists them; a status git cannot give counts as dirty too, since nothing
    vouches for the tree); "unknown" without git, the folder or a repo."""
    head = _git(repo, "rev-parse", "HEAD")
    commit = head.stdout.strip() if head is not None and head.returncode == 0 else ""
    if not commit:
        return "unknown"
    status = _git(repo, "status", "--porcelain", "--", code)
    clean = status is not None and status.returncode == 0 and not status.stdout.strip()
    return commit if clean else commit + DIRTY


def short_commit(commit: str) -> str:
    """The first 7 characters of a recorded commit, keeping its ``-dirty`` mark (a rescore on
    changed code must not read as a clean commit on a card)."""
    sha, dirty, _ = commit.partition(DIRTY)
    return sha[:7] + dirty
