"""``python -m rnn_site.experiments.speech_noise_floor --rescore``: which checkpoint it reads,
its refusals, and the card it refreshes only where there is one.

It once read DIR/speech.pt whatever the checkpoint was called, and on a training run's folder
(no card.json yet) rewrote metrics.json and then ended in a FileNotFoundError traceback. A
rescore of the published model takes about 25 s, so these tests stop short of the scoring:
the arguments, the refusals (before anything is written) and the card step after it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from folder_snapshot import snapshot

from rnn_site.experiments.speech_noise_floor import (
    PUBLISHED,
    main,
    refresh_card_if_any,
    rescore_checkpoint,
)

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "speech"


def training_run(folder: Path, checkpoint: str | None = "speech.pt", log: bool = True) -> Path:
    """A training run's folder as `rnn-site train speech` leaves it: the checkpoint (the
    published one, under the name ``checkpoint``) and its log, no card."""
    folder.mkdir(parents=True)
    if checkpoint:
        shutil.copy(MODEL_DIR / "speech.pt", folder / checkpoint)
    if log:
        shutil.copy(MODEL_DIR / "metrics.json", folder / "metrics.json")
    return folder


def test_the_checkpoint_is_named_as_the_export_names_it(tmp_path):
    run = training_run(tmp_path / "run", "speech-80.pt")
    (run / "speech.pt").write_bytes((run / "speech-80.pt").read_bytes())
    assert rescore_checkpoint(run, None) == run / "speech.pt"  # --rescore DIR, as before
    assert rescore_checkpoint(None, run / "speech-80.pt") == run / "speech-80.pt"
    assert rescore_checkpoint(run, run / "speech-80.pt") == run / "speech-80.pt"
    assert Path("models/speech/speech.pt") == PUBLISHED  # a bare --rescore, as the export


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rescore", "{tmp}/nowhere"], "no folder {tmp}/nowhere: --rescore takes a training"),
        (["--rescore", "{tmp}/empty"], "no checkpoint at {tmp}/empty/speech.pt; name the file"),
        (["--rescore", "{tmp}/run"], "no checkpoint at {tmp}/run/speech.pt; name the file"),
        (
            ["--rescore", "--checkpoint", "{tmp}/run/speech-8.pt"],
            "no checkpoint at {tmp}/run/speech-8.pt; name the file",
        ),
        (
            ["--rescore", "{tmp}/empty", "--checkpoint", "{tmp}/run/speech-80.pt"],
            "--checkpoint {tmp}/run/speech-80.pt is not in --rescore {tmp}/empty: the rescore",
        ),
        (
            ["--rescore", "--checkpoint", "{tmp}/nolog/speech.pt"],
            "no training log at {tmp}/nolog/metrics.json: the rescore measures",
        ),
    ],
    ids=["no folder", "no checkpoint", "another name", "no such file", "elsewhere", "no log"],
)
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path, capsys, args, message):
    training_run(tmp_path / "run", "speech-80.pt")
    training_run(tmp_path / "nolog", log=False)
    (tmp_path / "empty").mkdir()
    before = snapshot(tmp_path)
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: " + message.format(tmp=tmp_path))
    assert captured.err.count("\n") == 1 and captured.out == ""
    assert snapshot(tmp_path) == before


def test_a_training_runs_folder_has_no_card_to_refresh(tmp_path):
    """After the rescore of a run that was never exported: one line says so and names the
    export, and the folder is left as the rescore left it (it raised FileNotFoundError)."""
    run = training_run(tmp_path / "run", "speech-80.pt")
    before = snapshot(tmp_path)
    line = refresh_card_if_any(run / "speech-80.pt")
    assert line == (
        f"no card.json in {run}, so no card to refresh; publish the rescored run with "
        f"`rnn-site export speech --checkpoint {run / 'speech-80.pt'}`\n"
    )
    assert snapshot(tmp_path) == before


def test_an_exported_folders_card_is_refreshed_from_its_log(tmp_path):
    """The published card and log in a models folder: the card is written again from the log
    (its scores are the log's), with its README and the folder's manifest; the log it was
    built from is listed too (`rnn_site.export.cards.publish_card` lists every file the folder
    will hold from this export, kept byte for byte here)."""
    folder = tmp_path / "models" / "speech"
    folder.mkdir(parents=True)
    for name in ("card.json", "metrics.json"):
        shutil.copy(MODEL_DIR / name, folder / name)
    (folder / "card.json").write_text(
        json.dumps({**json.loads((folder / "card.json").read_text("utf-8")), "results": {}}),
        "utf-8",
    )
    lines = refresh_card_if_any(folder / "speech.pt").splitlines()
    assert lines == [
        f"     card: {folder / 'card.json'}",
        f"   readme: {folder / 'README.md'}",
        f"  metrics: {folder / 'metrics.json'}",
        f" manifest: {tmp_path / 'models' / 'manifest.json'}",
    ]
    assert (folder / "metrics.json").read_bytes() == (MODEL_DIR / "metrics.json").read_bytes()
    card = json.loads((folder / "card.json").read_text("utf-8"))
    log = json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))
    assert card["results"] == log["results"] and card["audio"]["trim"] == log["test_trim"]
    assert card["metrics"] == json.loads((MODEL_DIR / "card.json").read_text("utf-8"))["metrics"]
