"""`rnn_site.train.speech.rescore(folder, checkpoint=FILE)`: the weights scored are FILE, the
log rescored the metrics.json beside it. It once always read ``folder``/speech.pt, so
``speech_noise_floor --rescore --checkpoint`` linked the checkpoint into a temporary folder
under that name. A rescore takes about 20 s (the test sets are synthesised and scored), so
these tests stop at its refusal; the scoring itself is checked by `speech_noise_floor`'s
command tests up to the scoring and was run by hand."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
import torch
from folder_snapshot import snapshot

from rnn_site.models.speech import SpeechConfig, SpeechCTC
from rnn_site.train.speech import rescore, save_speech

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "speech"


def test_a_checkpoint_outside_the_folder_is_refused_before_anything_is_read(tmp_path):
    """The log rescored is the one beside the checkpoint: a checkpoint in another folder than
    the log's would score one run into another run's log. Nothing is written."""
    run, other = tmp_path / "run", tmp_path / "other"
    run.mkdir()
    other.mkdir()
    shutil.copy(MODEL_DIR / "metrics.json", run / "metrics.json")
    shutil.copy(MODEL_DIR / "speech.pt", other / "speech-80.pt")
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=r"speech-80.pt is not in .*run: the rescore rewrites"):
        rescore(run, "test", checkpoint=other / "speech-80.pt")
    assert snapshot(tmp_path) == before


def test_the_named_checkpoint_is_loaded_not_the_folders_speech_pt(tmp_path):
    """The folder's speech.pt is no checkpoint, speech-80.pt a real one, and the log stops
    the rescore right after the model is loaded (it has no ``synthesis``): named, the weights
    load and the log's missing entry ends it; by default, speech.pt fails to load."""
    torch.manual_seed(0)
    save_speech(tmp_path / "speech-80.pt", SpeechCTC(SpeechConfig(conv_channels=8, hidden_size=8)))
    (tmp_path / "speech.pt").write_bytes(b"not a checkpoint")
    (tmp_path / "metrics.json").write_text("{}", "utf-8")
    with pytest.raises(KeyError, match="synthesis"):
        rescore(tmp_path, "test", checkpoint=tmp_path / "speech-80.pt")
    with pytest.raises(pickle.UnpicklingError):
        rescore(tmp_path, "test")
    assert (tmp_path / "metrics.json").read_text("utf-8") == "{}"
