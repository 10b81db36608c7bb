"""A refused speech export writes nothing: every check that can refuse it (the log's test trim,
an incomplete run) runs before the graph and the demo clips are written. It once wrote
speech.onnx and samples/ first, so a refused `rnn-site export speech` left the folder with a
new graph and new clips beside the old card and manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from folder_snapshot import snapshot

from rnn_site.cli import main
from rnn_site.export.cards import IncompleteRunError
from rnn_site.export.speech import ScoredTrimError, export_speech_model
from rnn_site.models.speech import SpeechConfig, SpeechCTC

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "models" / "speech"
#: The trim the card shipped with before the noise floor: a log scored by it is refused.
FIXED = {"frame": 160, "threshold_db": -40.0, "margin_s": 0.08}


def filled_models_dir(root: Path, log: dict) -> Path:
    """``root``/speech holding an earlier export (sentinel graph, clips, card, README) and the
    training log ``log``; ``root``/manifest.json a sentinel too. Returns the speech folder."""
    folder = root / "speech"
    (folder / "samples").mkdir(parents=True)
    for name in ("speech.onnx", "card.json", "README.md", "samples/samples.json"):
        (folder / name).write_bytes(f"earlier {name}\n".encode())
    (folder / "samples" / "old-clip.wav").write_bytes(b"RIFF earlier clip")
    (root / "manifest.json").write_bytes(b'{"earlier": "manifest"}\n')
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    return folder


def published_log() -> dict:
    return json.loads((PUBLISHED / "metrics.json").read_text("utf-8"))


def test_export_of_a_log_scored_with_another_trim_leaves_the_folder_byte_identical(
    tmp_path, capsys
):
    """`rnn-site export speech` of the published checkpoint, its log's test_trim set back to
    the fixed trim: exit 2, and not one byte of the models folder changed."""
    models = tmp_path / "models"
    folder = filled_models_dir(models, {**published_log(), "test_trim": FIXED})
    shutil.copy(PUBLISHED / "speech.pt", folder / "speech.pt")
    before = snapshot(models)
    assert main(["--models-dir", str(models), "export", "speech"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot export {folder / 'speech.pt'}: the test scores in ")
    assert snapshot(models) == before


def test_export_of_an_incomplete_run_leaves_the_folder_byte_identical(tmp_path):
    """A log scored with the runtime's trim, but its run stopped by the time cap: refused
    before the graph and the clips are written (publish_card refused it only afterwards)."""
    log = {**published_log(), "complete": False, "stopped": "time_cap", "steps": 12}
    folder = filled_models_dir(tmp_path / "models", log)
    before = snapshot(tmp_path)
    torch.manual_seed(0)
    net = SpeechCTC(SpeechConfig(conv_channels=8, hidden_size=8)).eval()
    with pytest.raises(IncompleteRunError, match=r"stopped by 'time_cap' at step 12"):
        export_speech_model(net, folder, log=log)
    assert snapshot(tmp_path) == before


def test_a_refused_export_creates_no_folder(tmp_path):
    """The trim is checked before the output folder is made."""
    net = SpeechCTC(SpeechConfig(conv_channels=8, hidden_size=8)).eval()
    log = {**published_log(), "test_trim": FIXED}
    with pytest.raises(ScoredTrimError, match="test_trim"):
        export_speech_model(net, tmp_path / "new" / "speech", log=log)
    assert list(tmp_path.iterdir()) == []
