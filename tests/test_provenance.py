"""The git commit that training logs and model cards record."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rnn_site.provenance import REPO_ROOT, git_commit
from rnn_site.train.loop import versions


@pytest.mark.skipif(
    shutil.which("git") is None or not (REPO_ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_training_logs_the_repos_commit_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a repository: a cwd-relative `git` would fail here
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", git_commit())  # the tree's state varies
    assert versions()["git_commit"] == git_commit()


def test_a_folder_without_a_repository_or_git_gives_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_commit(tmp_path) == "unknown"
    assert git_commit(tmp_path / "missing") == "unknown"
    monkeypatch.setenv("PATH", str(tmp_path))  # no git binary on the path
    assert git_commit() == "unknown"
