"""Export the character minGRU: one step graph of matrix products and elementwise operations.

``step.onnx``: (token, h) → (logits, h_out), h: [layers, batch, hidden]. A minGRU has no
native ONNX node and needs none: a step is a Gather (the embedding), LayerNorms, one MatMul per
layer and a few sigmoids, products and sums. Training used the parallel scan; generation
runs this step, so each new character costs the same whatever came before (like the LSTM).

The card, the greedy example, the provenance and the manifest come from the char-lm export
(`rnn_site.export.char_lm`), which this model shares its data, vocabulary and decoding with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import onnx
import torch
from torch import nn

from rnn_site.export.cards import publish_card, read_card, read_training_log
from rnn_site.export.char_lm import (
    GREEDY_LENGTH,
    GREEDY_PROMPT,
    Scores,
    data_info,
    greedy_card_example,
    greedy_example,
    onnx_metadata,
    scored_card_fields,
    scores_from_log,
)
from rnn_site.export.onnx_lstm import GraphIO, TensorSpec, export_graph
from rnn_site.models.min_rnn import CharMinRNN, CharMinRNNConfig
from rnn_site.provenance import git_commit
from rnn_site.train.char_mingru import NAME, load_char_mingru

VERSION = "1.0.0"


def step_io(config: CharMinRNNConfig) -> GraphIO:
    """The step graph's contract: token int64 [batch]; h float32 [layers, batch, hidden]."""
    state = TensorSpec("float32", (config.num_layers, "batch", config.hidden_size))
    return GraphIO(
        inputs={"token": TensorSpec("int64", ("batch",)), "h": state},
        outputs={"logits": TensorSpec("float32", ("batch", config.vocab_size)), "h_out": state},
    )


class CharMinRNNStepGraph(nn.Module):
    """What step.onnx computes: `CharMinRNN.step`, token (batch,), h → logits (batch, V), h."""

    def __init__(self, model: CharMinRNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, token: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.step(token, h)


def export_step(model: CharMinRNN, path: str | Path, metadata: dict[str, str]) -> onnx.ModelProto:
    """Write step.onnx for `model` and return it."""
    c = model.config
    # Batch 2: a size of 1 could be baked in by the tracer as a constant.
    example = (torch.zeros(2, dtype=torch.int64), torch.zeros(c.num_layers, 2, c.hidden_size))
    return export_graph(
        CharMinRNNStepGraph(model),
        example,
        path,
        step_io(c),
        {**metadata, "graph": "step"},
        doc="Character minGRU, one step: (token, h) -> (logits, h_out).",
    )


def lstm_scores(models_dir: Path) -> dict[str, dict[str, float]]:
    """The char-lm LSTM's bits per character from its card, to show beside this model's."""
    try:
        card = read_card(models_dir / "char-lm")
    except FileNotFoundError:
        return {}
    figures = card.get("metrics", {}).get("char-lm", {})
    return {"char-lm (LSTM)": figures} if figures else {}


def export_char_mingru_model(
    model: CharMinRNN,
    vocab: str,
    out_dir: str | Path,
    *,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Path]:
    """Export `model` into `out_dir` (step.onnx, card, README) and refresh ../manifest.json.

    Without `log` (metrics.json) the card has no metrics; tests export random weights this way.
    Returns {"step", "card", "readme", "manifest"} → paths.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    log = log or {}
    commit = commit or git_commit()
    card_data = data_info(log)
    scores = scores_from_log(log, NAME)
    scores = Scores(scores.metrics, {**scores.baselines, **lstm_scores(out_dir.parent)})
    metadata = onnx_metadata(vocab, card_data, scores, commit, name=NAME, version=VERSION)
    paths = {"step": out_dir / "step.onnx"}
    export_step(model, paths["step"], metadata)

    prompt = "".join(ch for ch in GREEDY_PROMPT if ch in vocab) or vocab[0]
    greedy = greedy_example(paths["step"], vocab, prompt, GREEDY_LENGTH)
    c = model.config
    card = {
        "name": NAME,
        "version": VERSION,
        "task": "text-generation",
        "title": "Character-level minGRU language model (Shakespeare)",
        "summary": (
            f"A stack of {c.num_layers} minGRU layers (Feng et al. 2024), trained in parallel "
            "over time with a scan and run here one character at a time; same data, split, "
            "vocabulary and decoding as the char-lm LSTM, so the two compare directly."
        ),
        "vocab": vocab,
        "config": c.to_dict(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "files": {"step": "step.onnx", "torch": f"{NAME}.pt"},
        "io": {
            "step": step_io(c).to_json(),
            "opset": 17,
            "nodes": "MatMul, LayerNormalization and elementwise nodes only (no recurrent node)",
            "encoding": "token id = index of the character in vocab",
            "state": "zeros of shape [layers, batch, hidden] start a text",
        },
        **scored_card_fields(card_data, scores, commit, prompt, GREEDY_LENGTH, greedy),
        "intended_use": (
            "Teaching: compare a modern parallel-trainable recurrence with the LSTM on the same "
            "task (chapter 5 and its 'compare the cells' demo). Not a general language model."
        ),
        "file_notes": {
            "step": "one step, for generation (constant cost per character).",
            "torch": "the PyTorch checkpoint (rnn_site.models.min_rnn.CharMinRNN).",
        },
        "preprocessing": (
            f"The same {len(vocab)}-character vocabulary as char-lm; a character's token id is "
            "its position in the vocabulary string (`vocab` in card.json and in the ONNX "
            f"metadata):\n\n```\n{json.dumps(vocab)}\n```"
        ),
        "io_notes": (
            f"layers = {c.num_layers}, hidden = {c.hidden_size}, vocab = {c.vocab_size}. Start "
            "a text with a zero `h`; pass `h_out` back in to continue it. There is no cell "
            "state: a minGRU's whole memory is h."
        ),
        "metrics_note": "Bits per character on the held-out plays (lower is better), against "
        "the n-gram baseline and the char-lm LSTM trained on the same split:",
        "limits": [
            "Unknown characters (anything outside the vocabulary) cannot be encoded.",
            "Trained for under 10 minutes on 2 CPU cores, where the LSTM's fused kernel makes "
            "more updates in the same time than the scan does (see chapter 5's benchmark).",
            "There is no sequence graph: scoring a text or drawing its states needs a step "
            "per character (`CharLanguageModel.score` and `hidden_states` are for char-lm).",
            "Trained on early modern English plays only; it reflects their language and views.",
        ],
        "example": greedy_card_example(prompt, GREEDY_LENGTH, greedy),
    }
    paths.update(publish_card(out_dir, card))
    return paths


def export_char_mingru(
    checkpoint: str | Path = f"models/{NAME}/{NAME}.pt", out_dir: str | Path = f"models/{NAME}"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and metrics.json that training wrote."""
    model, vocab = load_char_mingru(checkpoint)
    return export_char_mingru_model(model, vocab, out_dir, log=read_training_log(checkpoint))


__all__ = ["CharMinRNNConfig", "export_char_mingru", "export_char_mingru_model", "step_io"]
