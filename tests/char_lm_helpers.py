"""Shared by the char-LM export/runtime/CLI/manifest tests: a random model exported to a tmp dir.

Random weights keep these tests independent of the committed model (which has its own tests).
"""

from __future__ import annotations

from pathlib import Path

import torch

from rnn_site.models.char_lm import CharLMConfig, CharLSTM

# 62 characters: newline, space, punctuation, letters (shaped like the real vocabulary).
VOCAB = "\n !',-.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# A tiny training log in the layout rnn_site.train.char_lm writes.
LOG = {
    "char_lm": {"val_bpc": 2.0, "test_bpc": 2.1},
    "baseline": {"name": "char-7gram", "val_bpc": 2.4, "test_bpc": 2.5},
    "data": {"name": "shakespeare-plays", "licence": "MIT", "val_plays": ["twelfth-night"]},
}


def random_model(seed: int = 0, **config: int) -> CharLSTM:
    """A CharLSTM with random weights (embed 64, hidden 256, 1 layer unless overridden)."""
    torch.manual_seed(seed)
    settings = {"embed_dim": 64, "hidden_size": 256, "num_layers": 1, **config}
    return CharLSTM(CharLMConfig(vocab_size=len(VOCAB), **settings)).eval()


def export_random(
    models_dir: Path, seed: int = 0, weights: str = "float32", **config: int
) -> tuple[CharLSTM, Path]:
    """Export a random model as models_dir/char-lm (with checkpoint, log and manifest);
    ``weights`` ("float16", "int8"): rounded and shipped so, as a recipe asking for it does."""
    from rnn_site.export.char_lm import export_char_lm
    from rnn_site.train.artifacts import round_to_float16, round_to_int8

    torch.set_num_threads(1)
    model = random_model(seed, **config)
    if weights == "float16":
        round_to_float16(model)
    elif weights == "int8":
        round_to_int8(model)
    model_dir = models_dir / "char-lm"
    model_dir.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"config": model.config.to_dict(), "state_dict": model.state_dict(), "vocab": VOCAB},
        model_dir / "char-lm.pt",
    )
    import json

    log = {**LOG, "hparams": {weights: True}} if weights != "float32" else LOG
    (model_dir / "metrics.json").write_text(json.dumps(log))
    export_char_lm(model_dir / "char-lm.pt", model_dir)
    return model, model_dir
