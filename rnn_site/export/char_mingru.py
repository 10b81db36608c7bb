"""Export the character minGRU: one step graph of matrix products and elementwise operations.

``step.onnx``: (token, h) → (logits, h_out), h: [layers, batch, hidden]. A minGRU has no
native ONNX node and needs none: a step is a Gather (the embedding), LayerNorms, one MatMul per
layer and a few sigmoids, products and sums. Training used the parallel scan; generation
runs this step, so each new character costs the same whatever came before (like the LSTM).

The card, the greedy example, the provenance and the manifest come from the char-lm export
(`rnn_site.export.char_lm`), which this model shares its data, vocabulary and decoding with.
The card also shows char-lm's scores as a baseline, read from char-lm's card when the card is
written: after char-lm is published again, `refresh_card` brings them up to date without
touching this model's graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Unpack

import onnx
import torch
from torch import nn

from rnn_site.card import Contract, GreedyText, TextGenerationCard
from rnn_site.export import steps
from rnn_site.export.card_text import CardProse, card_text
from rnn_site.export.cards import read_card
from rnn_site.export.char_lm import (
    CHAR_IO_NOTES,
    GREEDY_LENGTH,
    GREEDY_PROMPT,
    Scores,
    char_card,
    data_info,
    greedy_record,
    onnx_metadata,
    scores_from_log,
    vocab_values,
)
from rnn_site.export.onnx_lstm import GraphIO, TensorSpec, export_graph
from rnn_site.models.min_rnn import CharMinRNN, CharMinRNNConfig
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


def char_mingru_prose(vocab: str, config: Mapping[str, Any]) -> CardProse:
    """The card's prose, from ``prose/char-mingru.md``."""
    return card_text(NAME).prose(**vocab_values(vocab, config))


def mingru_scores(run: steps.ExportRun) -> Scores:
    """This model's and the 7-gram's scores from the run's log, and the char-lm LSTM's from
    char-lm's card beside this folder as it is now."""
    scores = scores_from_log(run.log, NAME)
    return Scores(scores.metrics, {**scores.baselines, **lstm_scores(run.out_dir.parent)})


def mingru_card(
    run: steps.ExportRun,
    vocab: str,
    config: dict[str, Any],
    io: Contract,
    greedy: GreedyText,
    parameters: int,
) -> TextGenerationCard:
    """The card of the export ``run``: char-lm's layout (`char_card`), this model's prose."""
    card = char_card(
        run,
        char_mingru_prose(vocab, config),
        vocab,
        config,
        {"step": "step.onnx", "torch": f"{NAME}.pt"},
        io,
        data_info(run.log),
        mingru_scores(run),
        greedy,
    )
    card["parameters"] = parameters
    return card


def export_char_mingru_model(
    model: CharMinRNN,
    vocab: str,
    out_dir: str | Path,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Export `model` into `out_dir` (step.onnx, card, README) and refresh ../manifest.json.

    Without `log` (metrics.json) the card has no metrics; tests export random weights this way.
    Returns {"step", "card", "readme", "manifest"} → paths.
    """
    with steps.start_export(NAME, out_dir, **options, version=VERSION) as run:
        model = model.eval()
        card_data = data_info(run.log)
        scores = mingru_scores(run)
        metadata = onnx_metadata(vocab, card_data, scores, run.commit, name=NAME, version=VERSION)
        paths = {"step": run.work_dir / "step.onnx"}
        export_step(model, paths["step"], metadata)
        c = model.config
        io: Contract = {
            "step": step_io(c).to_json(),
            "opset": 17,
            "nodes": "MatMul, LayerNormalization and elementwise nodes only (no recurrent node)",
            **CHAR_IO_NOTES,
        }
        greedy = greedy_record(paths["step"], vocab, GREEDY_PROMPT, GREEDY_LENGTH)
        parameters = sum(p.numel() for p in model.parameters())
        card = mingru_card(run, vocab, c.to_dict(), io, greedy, parameters)
        return run.publish(paths, card)


def refresh_card(out_dir: str | Path = f"models/{NAME}") -> dict[str, Path]:
    """Write the card, README and manifest again from metrics.json, the prose file and
    char-lm's card as they are now, step.onnx and the checkpoint untouched: for a char-lm
    published after this model (its scores are this card's LSTM baseline) or edited prose.

    The card keeps the commit, contract, vocabulary and parameter count its graph was exported
    with; the greedy example is run again on the graph. step.onnx's own metadata keeps the
    scores of its export (rewriting them would change the published file).
    """
    folder = Path(out_dir)
    with steps.start_refresh(NAME, folder) as (run, old):
        vocab = old["vocab"]
        prompt, n = old["example_greedy"]["prompt"], old["example_greedy"]["n"]
        greedy = greedy_record(folder / old["files"]["step"], vocab, prompt, n)
        card = mingru_card(run, vocab, old["config"], old["io"], greedy, old["parameters"])
        return run.publish({}, card)


def export_char_mingru(
    checkpoint: str | Path = f"models/{NAME}/{NAME}.pt", out_dir: str | Path = f"models/{NAME}"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and metrics.json that training wrote."""
    return steps.export_checkpoint(load_char_mingru, export_char_mingru_model, checkpoint, out_dir)


__all__ = [
    "CharMinRNNConfig",
    "export_char_mingru",
    "export_char_mingru_model",
    "refresh_card",
    "step_io",
]
