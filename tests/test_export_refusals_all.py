"""Every exporter refuses before its first write: the refusals live once, in
`rnn_site.export.steps.start_export`. The exporters once wrote their graphs first and let
`publish_card` refuse an incomplete run afterwards, so a refused `rnn-site export` left new
graphs beside the old card and manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from char_lm_helpers import VOCAB, random_model
from folder_snapshot import snapshot

from rnn_site.cli import main
from rnn_site.data.chorales import MelodyVocab, load_chorales
from rnn_site.data.vader import Vocab
from rnn_site.models.melody import MelodyConfig, MelodyLSTM
from rnn_site.models.sentiment import SentimentConfig, SentimentLSTM
from rnn_site.train.char_lm import save_char_lm
from rnn_site.train.melody import save_melody
from rnn_site.train.sentiment import save_sentiment

#: The log of a run the safety cap stopped: every export of it is refused.
INCOMPLETE = {"complete": False, "stopped": "time_cap", "steps": 12}


def filled_folder(models: Path, name: str, files: list[str], log: dict) -> Path:
    """``models``/``name`` holding an earlier export (a sentinel for each of ``files``, card,
    README) and the training log ``log``; ``models``/manifest.json a sentinel too."""
    folder = models / name
    folder.mkdir(parents=True)
    for file in [*files, "card.json", "README.md"]:
        (folder / file).write_bytes(f"earlier {file}\n".encode())
    (models / "manifest.json").write_bytes(b'{"earlier": "manifest"}\n')
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    return folder


def char_lm_checkpoint(path: Path) -> None:
    save_char_lm(path, random_model(hidden_size=8, embed_dim=4), VOCAB)


def sentiment_checkpoint(path: Path) -> None:
    torch.manual_seed(0)
    words = ["<pad>", "<unk>", "good", "bad", "film"]
    model = SentimentLSTM(SentimentConfig(len(words), embed_dim=4, hidden_size=8)).eval()
    save_sentiment(path, model, Vocab(words))


def melody_checkpoint(path: Path) -> None:
    torch.manual_seed(0)
    vocab = MelodyVocab.from_chorales(load_chorales())
    save_melody(path, MelodyLSTM(MelodyConfig(len(vocab), embed_dim=4, hidden_size=8)), vocab)


CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "char-lm": (char_lm_checkpoint, ["step.onnx", "sequence.onnx"]),
    "sentiment": (sentiment_checkpoint, ["sequence.onnx"]),
    "melody": (melody_checkpoint, ["step.onnx", "seeds.json"]),
}


@pytest.mark.parametrize("name", CASES)
def test_cli_export_of_an_incomplete_run_leaves_the_models_folder_byte_identical(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rnn-site export NAME` of a run the time cap stopped: exit 2 with the reason, and not
    one byte of the models folder changed (graphs, card, README, manifest)."""
    write_checkpoint, files = CASES[name]
    models = tmp_path / "models"
    folder = filled_folder(models, name, files, INCOMPLETE)
    write_checkpoint(folder / f"{name}.pt")
    before = snapshot(models)
    assert main(["--models-dir", str(models), "export", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "incomplete run (stopped by 'time_cap' at step 12)" in err
    assert snapshot(models) == before
