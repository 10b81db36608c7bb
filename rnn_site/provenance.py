"""Where a result came from: the git commit of the code (standard library only).

Training logs and exported models both record it, so a number on a model card can be traced to
the code that produced it. Git runs in the repository this package lives in, not in whatever
directory the command was started from.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def git_commit(repo: str | Path = REPO_ROOT) -> str:
    """``git rev-parse HEAD`` run in `repo`; "unknown" without git, the folder or a repo."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git binary, no folder, git hangs
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else "unknown"
