"""A recorded commit claims the code that ran: uncommitted changes under ``rnn_site/`` mark it
``-dirty``. It once recorded HEAD whatever the tree held, so a rescore on changed code claimed
a commit it did not run. Each test builds its own repository, so none depends on this checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rnn_site.provenance import git_commit, short_commit

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit: rnn_site/model.py, docs/page.md and an ignored cache."""
    (tmp_path / "rnn_site").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "rnn_site" / "model.py").write_text("x = 1\n")
    (tmp_path / "docs" / "page.md").write_text("# page\n")
    (tmp_path / ".gitignore").write_text("__pycache__/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "one")
    return tmp_path


def test_a_clean_tree_records_head(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert git_commit(repo) == head and len(head) == 40


def test_changes_outside_the_code_leave_the_commit_clean(repo: Path) -> None:
    (repo / "docs" / "page.md").write_text("# another page\n")
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "rnn_site" / "__pycache__").mkdir()
    (repo / "rnn_site" / "__pycache__" / "model.pyc").write_bytes(b"ignored")
    assert git_commit(repo) == git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("change", ["edited", "staged", "deleted", "untracked"])
def test_uncommitted_code_marks_the_commit_dirty(repo: Path, change: str) -> None:
    head = git(repo, "rev-parse", "HEAD")
    model = repo / "rnn_site" / "model.py"
    if change in ("edited", "staged"):
        model.write_text("x = 2\n")
        if change == "staged":
            git(repo, "add", "rnn_site/model.py")
    elif change == "deleted":
        model.unlink()
    else:
        (repo / "rnn_site" / "new.py").write_text("y = 1\n")
    assert git_commit(repo) == f"{head}-dirty"
    assert short_commit(git_commit(repo)) == f"{head[:7]}-dirty"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    assert git_commit(repo) == git(repo, "rev-parse", "HEAD")  # committed: clean again


def test_short_commit_keeps_the_mark_and_unknown() -> None:
    assert short_commit("0123456789abcdef0123456789abcdef01234567") == "0123456"
    assert short_commit("unknown") == "unknown"


def test_the_speech_cards_rescore_sentence_keeps_the_dirty_mark() -> None:
    """The card names a rescore's commit in short: a rescore on changed code says so."""
    from rnn_site.export.card_text import card_text
    from rnn_site.export.speech import rescored_sentence

    root = Path(__file__).resolve().parents[1]
    # the model published before the en-gb fix was rescored; today's was scored once
    earlier = root / "rnn_site/experiments/results/recipes/speech-earlier-en-gb-split.json"
    log = json.loads(earlier.read_text("utf-8"))
    sha = log["rescored"]["commit"]
    assert "-dirty" not in sha
    log["rescored"]["commit"] = f"{sha}-dirty"
    sentence = rescored_sentence(card_text("speech"), log)
    assert f"`{log['rescored']['command']}`, commit {sha[:7]}-dirty" in sentence
