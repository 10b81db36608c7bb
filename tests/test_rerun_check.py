"""A published recipe run twice: `rnn_site.experiments.rerun_check` and the page fragment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rnn_site.experiments.rerun_check import compare_runs, log_fingerprint, main
from rnn_site.sitebuild.page_data import PageDataError
from rnn_site.sitebuild.rerun_data import rerun_check

ROOT = Path(__file__).resolve().parents[1]
LOG = {
    "recipe": {"command": "rnn-site train tiny"},
    "machine": {"cpu": "Test CPU"},
    "versions": {"git_commit": "abc"},
    "history": [{"epoch": 0, "val": 0.5, "elapsed_s": 10.0}],
    "results": {"test": 0.25},
    "wall_time_s": 600.0,
}


def run(folder: Path, weight: float = 1.0, **changes: object) -> Path:
    folder.mkdir()
    torch.save({"config": {}, "state_dict": {"w": torch.full((3,), weight)}, "vocab": "ab"},
               folder / "m.pt")  # fmt: skip
    (folder / "metrics.json").write_text(json.dumps({**LOG, **changes}), "utf-8")
    return folder


def test_timing_and_the_dirty_mark_do_not_count_weights_and_figures_do(tmp_path):
    a = run(tmp_path / "a")
    b = run(tmp_path / "b", wall_time_s=660.0, versions={"git_commit": "abc-dirty"},
            history=[{"epoch": 0, "val": 0.5, "elapsed_s": 12.5}])  # fmt: skip
    same = compare_runs(a, b, "m.pt")
    assert same["identical"] and same["weights"]["tensors"] == 1 and same["weights"]["differ"] == []
    # identical ignores the mark, and the check says which run had it
    assert same["same_commit"] and same["dirty"] == [False, True]
    assert same["wall_time_s"] == [600.0, 660.0] and same["log_sha256"][0] == same["log_sha256"][1]
    other = compare_runs(a, run(tmp_path / "c", weight=1.5, results={"test": 0.3}), "m.pt")
    assert not other["identical"]
    assert other["weights"]["differ"] == ["w"] and other["log_fields_differ"] == ["results"]
    commit = compare_runs(a, run(tmp_path / "d", versions={"git_commit": "def"}), "m.pt")
    assert not commit["same_commit"] and not commit["identical"] and commit["dirty"] == [False] * 2


def test_a_missing_checkpoint_is_one_error_line_and_exit_2(tmp_path, capsys):
    a = run(tmp_path / "a")
    (tmp_path / "b").mkdir()
    assert main([str(a), str(tmp_path / "b"), "--checkpoint", "m.pt"]) == 2
    assert capsys.readouterr().err == f"error: no metrics.json in {tmp_path / 'b'}\n"


def test_the_page_fragment_is_about_the_shipped_log_only(tmp_path):
    models, results = tmp_path / "models", tmp_path / "results"
    (models / "tiny").mkdir(parents=True)
    (models / "tiny" / "metrics.json").write_text(json.dumps(LOG), "utf-8")
    results.mkdir()
    a, b = run(tmp_path / "a"), run(tmp_path / "b", wall_time_s=720.0)
    check = compare_runs(a, b, "m.pt")
    (results / "tiny_rerun_check.json").write_text(json.dumps(check), "utf-8")
    assert rerun_check(models, "tiny", results) == (
        "all 1 weight tensors and every logged figure but the timings were equal (total wall "
        "times of 10 and "
        "12 minutes, Test CPU)"
    )
    # the CPU as every page names it (`cpu_name`), not as the log spells it
    xeon = {**check, "machine": {"cpu": "Intel(R) Xeon(R) Processor"}}
    (results / "tiny_rerun_check.json").write_text(json.dumps(xeon), "utf-8")
    assert rerun_check(models, "tiny", results).endswith("12 minutes, Intel Xeon)")
    (models / "tiny" / "metrics.json").write_text(json.dumps({**LOG, "results": {"t": 1}}))
    with pytest.raises(PageDataError, match="not about the shipped training log"):
        rerun_check(models, "tiny", results)


def test_the_page_fragment_says_which_run_had_uncommitted_edits(tmp_path):
    """identical ignores the -dirty mark; the fragment does not hide it."""
    models, results = tmp_path / "models", tmp_path / "results"
    (models / "tiny").mkdir(parents=True)
    (models / "tiny" / "metrics.json").write_text(json.dumps(LOG), "utf-8")
    results.mkdir()
    dirty = {"versions": {"git_commit": "abc-dirty"}}
    folders = {
        "second": (run(tmp_path / "a"), run(tmp_path / "b", **dirty)),
        "first": (run(tmp_path / "c", **dirty), run(tmp_path / "d")),
        "both": (run(tmp_path / "e", **dirty), run(tmp_path / "f", **dirty)),
    }
    said = {
        "second": "the second run's working tree had uncommitted edits",
        "first": "the first run's working tree had uncommitted edits",
        "both": "both runs' working trees had uncommitted edits",
    }
    for which, (a, b) in folders.items():
        check = compare_runs(a, b, "m.pt")
        assert check["identical"]
        (results / "tiny_rerun_check.json").write_text(json.dumps(check), "utf-8")
        assert rerun_check(models, "tiny", results) == (
            "all 1 weight tensors and every logged figure but the timings were equal (total wall "
            "times of 10 "
            f"and 10 minutes, Test CPU; {said[which]})"
        )


def test_the_page_fragment_refuses_runs_that_differ(tmp_path):
    """A check whose runs gave different weights (or came from different commits) is about the
    shipped log but not a reproduction: the page may not claim one."""
    models, results = tmp_path / "models", tmp_path / "results"
    (models / "tiny").mkdir(parents=True)
    (models / "tiny" / "metrics.json").write_text(json.dumps(LOG), "utf-8")
    results.mkdir()
    for name, changes in (("w", {"weight": 1.5}), ("c", {"versions": {"git_commit": "def"}})):
        check = compare_runs(
            run(tmp_path / f"{name}1"), run(tmp_path / f"{name}2", **changes), "m.pt"
        )
        assert check["identical"] is False
        assert log_fingerprint(LOG) in check["log_sha256"]
        (results / "tiny_rerun_check.json").write_text(json.dumps(check), "utf-8")
        with pytest.raises(PageDataError, match="the two runs differ"):
            rerun_check(models, "tiny", results)


@pytest.mark.parametrize(
    ("model", "tensors"), [("speech", 23), ("char-lm", 7), ("char-mingru", 21), ("translator", 22)]
)
def test_the_published_recipe_gave_the_same_model_twice(model, tensors):
    """Issue 17/18: the published recipe, run twice at one commit on the card's machine, gave
    the shipped log and equal weights; the check is about the log in ``models/``."""
    check = json.loads(
        (ROOT / f"rnn_site/experiments/results/{model}_rerun_check.json").read_text("utf-8")
    )
    shipped = json.loads((ROOT / f"models/{model}/metrics.json").read_text("utf-8"))
    assert check["identical"] and check["weights"]["tensors"] == tensors
    assert check["machine"] == shipped["machine"]
    assert check["dirty"] == [c.endswith("-dirty") for c in check["commits"]]
    assert check["command"] == shipped["recipe"]["command"]
    assert log_fingerprint(shipped) == check["log_sha256"][0] == check["log_sha256"][1]
