"""The speech ablation collector reads finished runs' metrics.json into the page's JSON/table."""

from __future__ import annotations

import json
from pathlib import Path

from rnn_site.experiments.speech_ablation import collect, run_record, table

ROOT = Path(__file__).resolve().parents[1]


def fake_run(
    folder: Path,
    augment: str,
    cer: float,
    stopped: str = "finished",
    seed: int | None = None,
    history: list[dict] | None = None,
) -> Path:
    """A finished run's metrics.json; ``seed`` None: a log from before runs logged theirs;
    ``history`` the log's evaluations (none written when None)."""
    sets = ("tts_isolated", "tts_connected", "real_en", "real_en_GB")
    scores = {k: {"greedy": {"cer": cer}, "beam": {"cer": cer / 2}} for k in sets}
    folder.mkdir()
    metrics = {
        "hparams": {"augment": augment, "max_epochs": 8},
        "recipe": {"command": f"rnn-site train speech --out-dir {folder} --augment {augment}"},
        "steps": 10, "best_epoch": 7, "stopped": stopped, "best": {"val_cer": cer / 4},
        "train_wall_time_s": 12.3, "process_cpu_s": 20.0,
        "results": {"lstm": scores, "dtw": {k: {"greedy": {"cer": 0.5}} for k in sets[::2]}},
    }  # fmt: skip
    if seed is not None:  # logs that record their seed also count their epochs
        metrics |= {
            "seed": seed,
            "machine": {"cpu": "AMD EPYC", "cpu_count": 2},
            "epochs_completed": 6 if stopped == "early_stopping" else 8,
        }
    if history is not None:
        metrics["history"] = history
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_collects_finished_runs_without_their_scratch_folder(tmp_path):
    runs = [
        fake_run(tmp_path / "none", "none", 0.4),
        fake_run(tmp_path / "noise", "noise", 0.2),
        fake_run(tmp_path / "cut", "speed", 0.1, stopped="time_cap"),
    ]
    results = collect([*runs, tmp_path / "missing"], "test machine")
    assert [r["name"] for r in results["runs"]] == ["none", "noise"]
    noise = results["runs"][1]
    assert noise["command"] == "rnn-site train speech --augment noise"
    assert noise["val_cer"] == 0.05 and noise["test_cer"]["real_en_GB"] == 0.2
    assert results["dtw"] == {"tts_isolated": 0.5, "real_en": 0.5}
    text = table(results)
    assert "| noise | `noise` | 8 | 5.0% | 20.0% | 20.0% | 20.0% | 20.0% | – | – |" in text
    assert "| DTW templates | – | – | – | 50.0% | – | 50.0% | – | – | – |" in text


def test_committed_ablation_lists_the_published_recipe():
    results = json.loads((ROOT / "rnn_site/experiments/results/speech_ablation.json").read_text())
    card = json.loads((ROOT / "models/speech/card.json").read_text())
    commands = {r["command"] for r in results["runs"]}
    assert card["training"]["command"] in commands
    names = {r["augment"] for r in results["runs"]}
    assert {"none", "speed", "pitch", "reverb", "noise", "gain", "silence", "mask"} <= names


def test_records_the_seed_and_cpu_and_reads_seed_0_for_old_logs(tmp_path):
    """Seed reruns of one command are told apart by their seed; logs without one ran with the
    default, 0, on a CPU they did not record."""
    old = run_record(fake_run(tmp_path / "old", "noise", 0.2))
    assert (old["seed"], old["cpu"]) == (0, None)
    new = run_record(fake_run(tmp_path / "s2", "noise", 0.2, seed=2))
    assert (new["seed"], new["cpu"]) == (2, "AMD EPYC")


def test_records_how_much_of_its_epoch_budget_a_run_went(tmp_path):
    """A publishing rule asks for runs that went their whole budget; logs from before runs
    counted their epochs say nothing."""
    whole = run_record(fake_run(tmp_path / "whole", "noise", 0.2, seed=1))
    assert (whole["epochs"], whole["epochs_completed"]) == (8, 8)
    cut = run_record(fake_run(tmp_path / "cut", "noise", 0.2, "early_stopping", seed=1))
    assert (cut["epochs"], cut["epochs_completed"], cut["stopped"]) == (8, 6, "early_stopping")
    assert run_record(fake_run(tmp_path / "old", "noise", 0.2))["epochs_completed"] is None


def test_committed_seed_reruns_record_their_seeds():
    results = json.loads(
        (ROOT / "rnn_site/experiments/results/speech_ablation_seeds.json").read_text()
    )
    runs = results["runs"]
    assert sorted(r["seed"] for r in runs) == [0, 1, 2]
    assert {r["command"].replace(f"--seed {r['seed']}", "--seed S") for r in runs} == {
        "rnn-site train speech --no-progress --max-epochs 8 --seed S --augment pitch,noise,silence"
    }


def test_records_the_validation_curve_rounded_like_the_best(tmp_path):
    """Each epoch's validation CER (the rule reports the curves); the log's other fields stay
    out, and a log without a history gives an empty curve."""
    history = [
        {"epoch": e, "step": 10 * (e + 1), "train_loss": 1.0, "val_cer": cer, "lr": 0.1}
        for e, cer in enumerate([0.912345, 0.40004, 0.20006])
    ]
    record = run_record(fake_run(tmp_path / "curve", "noise", 0.8, seed=0, history=history))
    assert record["val_history"] == [
        {"epoch": 0, "val_cer": 0.9123},
        {"epoch": 1, "val_cer": 0.4},
        {"epoch": 2, "val_cer": 0.2001},
    ]
    assert run_record(fake_run(tmp_path / "old", "noise", 0.2))["val_history"] == []


def test_committed_voices_runs_keep_their_whole_curves_and_old_files_none():
    """speech_voices.json was collected with curves; the ablation files from before were not,
    and still load (their readers never ask for one)."""
    results = ROOT / "rnn_site/experiments/results"
    voices = json.loads((results / "speech_voices.json").read_text())["runs"]
    for run in voices:
        curve = run["val_history"]
        assert [e["epoch"] for e in curve] == list(range(run["epochs"]))
        assert min(e["val_cer"] for e in curve) == run["val_cer"]
    for name in ("speech_ablation.json", "speech_ablation_seeds.json"):
        runs = json.loads((results / name).read_text())["runs"]
        assert all("val_history" not in r for r in runs)
