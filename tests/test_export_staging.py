"""Exports are atomic: every exporter builds its graphs, card, README, training log and
manifest entry in a staging folder beside the model folder and moves them in only once all
exist. The card step once ran after the graphs were written into models/NAME, so a log the
card could not read left new graphs beside the old card and manifest.

And the folder's metrics.json is the log its card was built from: `rnn-site export NAME
--checkpoint runs/x/NAME.pt` once kept models/NAME's older log beside a card scored from
runs/x's."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from export_cases import CHECKPOINTS, melody_model, sentiment_model, translator_model
from folder_snapshot import snapshot
from test_timeseries_runtime import SETTINGS, synthetic_series

from rnn_site.cli import main
from rnn_site.export.manifest import RECOVER, Verification, check, stage_manifest, verify
from rnn_site.export.manifest import main as manifest_main
from rnn_site.export.melody import export_melody_model
from rnn_site.export.sentiment import export_sentiment_model
from rnn_site.export.steps import CheckpointChangedError, export_checkpoint
from rnn_site.export.translator import export_translator_model
from rnn_site.export.ts_forecaster import export_forecaster_model
from rnn_site.files import StagedFolder, staged_folder
from rnn_site.models.ts_forecaster import ForecasterConfig, LSTMForecaster
from rnn_site.train.sentiment import load_sentiment

#: A log every exporter can build a card from.
GOOD_LOG = {"steps": 5, "complete": True}


def export_translator(out: Path, seed: int, log: dict[str, Any]) -> None:
    export_translator_model(*translator_model(seed), out, log=log)


def export_sentiment(out: Path, seed: int, log: dict[str, Any]) -> None:
    export_sentiment_model(*sentiment_model(seed), out, log=log)


def export_melody(out: Path, seed: int, log: dict[str, Any]) -> None:
    export_melody_model(*melody_model(seed), out, log=log)


def export_forecaster(out: Path, seed: int, log: dict[str, Any]) -> None:
    import torch

    torch.manual_seed(seed)
    model = LSTMForecaster(ForecasterConfig(hidden_size=8)).eval()
    checkpoint = {"min_history": 12, "series": {k: dict(s) for k, s in SETTINGS.items()}}
    export_forecaster_model(model, checkpoint, out, series_json=synthetic_series(), log=log)


#: name → (export a tiny random model, a log whose card step fails after the graphs were
#: written, the error it raises). Each log misses (or garbles) a field the card needs.
CASES: dict[str, tuple[Callable[[Path, int, dict[str, Any]], None], dict[str, Any], type]] = {
    # The validation note names the rescore's command, which this record lacks.
    "translator": (export_translator, {**GOOD_LOG, "rescored": {"unk_rule": True}}, KeyError),
    # The per-domain table shows accuracy / macro-F1; this result has no macro-F1.
    "sentiment": (
        export_sentiment,
        {**GOOD_LOG, "results": {"lstm": {"test": {"all": {"accuracy": 0.8}}}}},
        KeyError,
    ),
    # The statistics table formats the share of in-key notes as a percentage.
    "melody": (export_melody, {**GOOD_LOG, "generated": {"lstm": {"in_key": "most"}}}, ValueError),
    # The card's scores need each series' sMAPE beside its MASE.
    "ts-forecaster": (
        export_forecaster,
        {**GOOD_LOG, "forecaster": {"co2": {"mase": 1.0}}},
        KeyError,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_an_export_whose_card_step_fails_leaves_the_models_folder_byte_identical(
    name: str, tmp_path: Path
) -> None:
    """A first export publishes the model; a second, of other weights with a log the card
    cannot read, fails after writing its graphs: not one byte under models/ changes (graphs,
    card, README, metrics.json, manifest) and no staging folder is left behind."""
    export, bad_log, error = CASES[name]
    models = tmp_path / "models"
    export(models / name, 0, GOOD_LOG)
    assert verify(models) == []
    before = snapshot(models)
    with pytest.raises(error):
        export(models / name, 1, bad_log)
    assert snapshot(models) == before


def test_a_failed_first_export_creates_no_folder(tmp_path: Path) -> None:
    """Without an earlier export, a failing one leaves nothing: no model folder, and none of
    the parent folders it had to create."""
    export, bad_log, error = CASES["sentiment"]
    with pytest.raises(error):
        export(tmp_path / "new" / "models" / "sentiment", 0, bad_log)
    assert list(tmp_path.iterdir()) == []


def test_a_successful_export_replaces_its_files_and_keeps_the_others(tmp_path: Path) -> None:
    """Re-exporting other weights from a checkpoint replaces graphs, card, README, log,
    checkpoint and manifest entry (which then verifies), and keeps what the export does not
    write (a file of the reader's). The checkpoint was once kept too: the folder then listed
    `torch: translator.pt` beside graphs of other weights."""
    models = tmp_path / "models"
    folder = models / "translator"
    export_translator(folder, 0, GOOD_LOG)
    (folder / "translator.pt").write_bytes(b"an older checkpoint")
    (folder / "notes.txt").write_text("not the export's", "utf-8")
    first = snapshot(models)
    run = tmp_path / "run"
    run.mkdir()
    CHECKPOINTS["translator"](run / "translator.pt", 1)
    log = {**GOOD_LOG, "steps": 7}
    (run / "metrics.json").write_text(json.dumps(log), "utf-8")
    checkpoint = str(run / "translator.pt")
    assert (
        main(["--models-dir", str(models), "export", "translator", "--checkpoint", checkpoint]) == 0
    )
    second = snapshot(models)
    assert sorted(second) == sorted(first)  # the same files, no staging folder left
    changed = {path for path in first if first[path] != second[path]}
    assert changed == {
        "manifest.json",
        "translator/card.json",
        "translator/README.md",
        "translator/decoder.onnx",
        "translator/encoder.onnx",
        "translator/metrics.json",
        "translator/translator.pt",
    }
    assert (folder / "translator.pt").read_bytes() == (run / "translator.pt").read_bytes()
    assert json.loads((folder / "card.json").read_text("utf-8"))["training"]["steps"] == 7
    assert verify(models) == []


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_an_export_from_another_folder_brings_its_log_and_checkpoint(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rnn-site export NAME --checkpoint run/NAME.pt`: models/NAME/metrics.json becomes the
    run's log byte for byte (the log the card's training record and scores come from),
    models/NAME/NAME.pt the run's checkpoint (the weights the graphs hold), and the manifest
    lists their hashes."""
    models = tmp_path / "models"
    folder = models / name
    folder.mkdir(parents=True)
    CHECKPOINTS[name](folder / f"{name}.pt", 0)
    (folder / "metrics.json").write_text(json.dumps({**GOOD_LOG, "steps": 3}), "utf-8")
    own = (folder / f"{name}.pt").stat()
    assert main(["--models-dir", str(models), "export", name]) == 0
    # The default export, of the folder's own checkpoint, copies nothing: the same file.
    assert (folder / f"{name}.pt").stat().st_ino == own.st_ino
    run = tmp_path / "run"
    run.mkdir()
    CHECKPOINTS[name](run / f"{name}.pt", 1)
    (run / "metrics.json").write_text(json.dumps({**GOOD_LOG, "steps": 300}, indent=1), "utf-8")
    argv = ["--models-dir", str(models), "export", name, "--checkpoint", str(run / f"{name}.pt")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"metrics: {folder / 'metrics.json'}" in out
    assert f"torch: {folder / f'{name}.pt'}" in out
    assert (folder / "metrics.json").read_bytes() == (run / "metrics.json").read_bytes()
    assert (folder / f"{name}.pt").read_bytes() == (run / f"{name}.pt").read_bytes()
    card = json.loads((folder / "card.json").read_text("utf-8"))
    assert card["files"]["torch"] == f"{name}.pt"
    assert json.loads((folder / "card.json").read_text("utf-8"))["training"]["steps"] == 300
    assert verify(models) == []


def test_an_export_without_a_log_keeps_the_folders_log_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export without a log once deleted the folder's metrics.json, which the site's
    pages read their numbers from. It now keeps it (still in the manifest) and warns on
    stderr that the card was built without a training log."""
    models = tmp_path / "models"
    folder = models / "sentiment"
    export_sentiment(folder, 0, GOOD_LOG)
    log = (folder / "metrics.json").read_bytes()
    capsys.readouterr()
    export_sentiment_model(*sentiment_model(1), folder)
    assert (folder / "metrics.json").read_bytes() == log
    assert "training" not in json.loads((folder / "card.json").read_text("utf-8"))
    manifest = json.loads((models / "manifest.json").read_text("utf-8"))
    assert "sentiment/metrics.json" in {f["path"] for f in manifest["models"][0]["files"]}
    assert verify(models) == []
    err = capsys.readouterr().err
    assert err.startswith("warning: sentiment was exported without a training log")
    assert f"{folder / 'metrics.json'} is kept, an earlier run's log" in err


def test_the_log_is_read_once_at_the_start(tmp_path: Path) -> None:
    """The folder gets the log's bytes as they were when the export parsed them: a training
    that rewrites metrics.json beside the checkpoint while the export runs (here, while the
    checkpoint loads) changes neither the card nor the copied log."""
    run = tmp_path / "run"
    run.mkdir()
    CHECKPOINTS["sentiment"](run / "sentiment.pt", 0)
    first = json.dumps({**GOOD_LOG, "steps": 300}, indent=1).encode()
    (run / "metrics.json").write_bytes(first)

    def load_while_training_writes(path: Path) -> tuple[Any, list[str]]:
        (run / "metrics.json").write_text(json.dumps({**GOOD_LOG, "steps": 400}), "utf-8")
        model, vocab = load_sentiment(path)
        return model, vocab.words

    folder = tmp_path / "models" / "sentiment"
    export_checkpoint(
        load_while_training_writes, export_sentiment_model, run / "sentiment.pt", folder
    )
    assert (folder / "metrics.json").read_bytes() == first
    assert json.loads((folder / "card.json").read_text("utf-8"))["training"]["steps"] == 300


def test_a_checkpoint_rewritten_while_it_loads_is_refused(tmp_path: Path) -> None:
    """The folder gets the checkpoint's bytes as read before loading; a training that
    replaces the file while it loads would pair those bytes with graphs of other weights, so
    the export refuses, naming the file, and the folder stays as it was."""
    run = tmp_path / "run"
    run.mkdir()
    CHECKPOINTS["sentiment"](run / "sentiment.pt", 0)
    (run / "metrics.json").write_text(json.dumps(GOOD_LOG), "utf-8")

    def load_while_training_writes(path: Path) -> tuple[Any, list[str]]:
        model, vocab = load_sentiment(path)
        CHECKPOINTS["sentiment"](run / "sentiment.pt", 1)
        return model, vocab.words

    folder = tmp_path / "models" / "sentiment"
    export_sentiment(folder, 0, GOOD_LOG)
    before = snapshot(tmp_path / "models")
    with pytest.raises(CheckpointChangedError, match=r"sentiment\.pt changed while the export"):
        export_checkpoint(
            load_while_training_writes, export_sentiment_model, run / "sentiment.pt", folder
        )
    assert snapshot(tmp_path / "models") == before


def test_a_commit_that_fails_midway_puts_everything_back(tmp_path: Path) -> None:
    """The commit moves the staged files in, then the files staged beside the folder (the
    manifest); when that last rename fails (its staged file is gone), the files already moved
    are put back: the folder and the manifest keep their bytes, the staging is removed."""
    folder = tmp_path / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "card.json").write_text("old card", "utf-8")
    (folder / "weights.onnx").write_text("old weights", "utf-8")
    (folder / "samples").mkdir()
    (folder / "samples" / "a.wav").write_text("old clip", "utf-8")
    (tmp_path / "models" / "manifest.json").write_text("old manifest", "utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(FileNotFoundError), staged_folder(folder) as staged:
        (staged.folder / "card.json").write_text("new card", "utf-8")
        (staged.folder / "samples").mkdir()
        (staged.folder / "samples" / "b.wav").write_text("new clip", "utf-8")
        staged.drop("weights.onnx")
        staged.also(tmp_path / "models" / "manifest.json").unlink()
        staged.commit()
    assert snapshot(tmp_path) == before


def stage_model(staged: StagedFolder, card: str) -> None:
    """A tiny model (a card the manifest reads) and the manifest as its commit will leave it."""
    (staged.folder / "card.json").write_text(json.dumps({"name": card, "task": "t"}), "utf-8")
    stage_manifest(staged)


@pytest.mark.parametrize("second", ["b", "a"])
def test_two_exports_at_once_run_one_after_the_other(second: str, tmp_path: Path) -> None:
    """An export stages the whole models manifest before it commits, and removes staging
    folders left beside its own: a second export running meanwhile once dropped the first's
    manifest entry (another model), or deleted its staging folder (the same model). It now
    waits for the first export's lock and builds on what the first committed."""
    models = tmp_path / "models"
    # Set once the second export waits for the lock, or has finished (without a lock).
    blocked_or_done, waited, failed = threading.Event(), [], []

    def wait(folder: Path) -> None:
        waited.append(folder)
        blocked_or_done.set()

    def export_second() -> None:
        try:
            with staged_folder(models / second, on_wait=wait) as staged:
                stage_model(staged, f"{second}, second")
                staged.commit()
        except BaseException as exc:  # reported by the test below
            failed.append(exc)
        finally:
            blocked_or_done.set()

    with staged_folder(models / "a") as staged:
        stage_model(staged, "a, first")  # its manifest is built before the second export runs
        thread = threading.Thread(target=export_second)
        thread.start()
        assert blocked_or_done.wait(timeout=60)
        staged.commit()
    thread.join(timeout=60)
    assert not thread.is_alive() and failed == []
    manifest = json.loads((models / "manifest.json").read_text("utf-8"))
    names = [model["name"] for model in manifest["models"]]
    assert names == (["a, first", "b, second"] if second == "b" else ["a, second"])
    assert verify(models) == []
    assert sorted(p.name for p in models.iterdir()) == sorted({"a", second, "manifest.json"})
    assert waited == [models]  # and it said so


def test_check_names_the_command_that_recovers_a_crash_between_the_renames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash between the commit's two renames leaves no models/a, only .a.<random>.old,
    whose checkpoint the next `rnn-site export a` cannot find: the check says so and names
    the command that puts the folder back; a leftover staging folder is only a note."""
    models = tmp_path / "models"
    for name in ("a", "b"):
        with staged_folder(models / name) as staged:
            stage_model(staged, name)
            staged.commit()
    old = models / ".a.0123abcd.old"
    (models / "a").rename(old)  # the state the crash leaves
    (models / ".b.4567cdef.partial").mkdir()  # an interrupted export's staging
    found = check(models)
    command = RECOVER.format(models_dir=models)
    assert [p for p in found.problems if p.startswith("a: missing")] == [
        f"a: missing; its folder is {old}, where an export that crashed between its two "
        f"renames left it; put it back with `{command}`"
    ]
    assert [n for n in found.notes if ".b.4567cdef.partial" in n] == [
        f"{models / '.b.4567cdef.partial'}: left by an export of b that was interrupted (or "
        f"is running now); the next export of b removes it, or `{command}`"
    ]
    assert manifest_main(["--recover", str(models)]) == 0
    assert capsys.readouterr().out == "recovered: a, b\n"
    assert check(models) == Verification([], [])
    assert sorted(p.name for p in models.iterdir()) == ["a", "b", "manifest.json"]
