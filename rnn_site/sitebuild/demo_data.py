"""Precompute the text-generation demo's example at build time, with the Python runtime.

The page shows this example the moment it opens — before onnxruntime-web and the model have
loaded, and even if they never do — and the hidden-state view works on it straight away.
It is computed with `rnn_site.runtime` (numpy + onnxruntime), so it is also a promise the
browser keeps: greedy decoding in the page gives the same text (a browser test checks).

The LSTM cell explorer of chapter 2 gets its example here too (`lstm_explorer_example`): the
gates and states of a short text, drawn before the model has loaded.

The lead's MkDocs hook calls `write_demo_data(site_dir, models_dir)` after the build.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.runtime.char_lm import CharLanguageModel

SCHEMA = 1
MODEL = "char-lm"
#: Where the demo looks for it (docs/assets/demos/text-generation.js, EXAMPLE_URL).
EXAMPLE_PATH = Path("assets/demos/data/char-lm-example.json")
#: Two speakers, so "inside a speaker name" has something to find in the example.
EXAMPLE_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"
EXAMPLE_LENGTH = 240
#: Cap on the int8 states (bytes before base64): keeps the JSON small for bigger models.
STATES_BUDGET = 256 * 1024
TOP = 5


def quantise_per_unit(values: np.ndarray) -> tuple[str, list[float]]:
    """float32 array → (base64 of int8 values, one scale per unit), q = round(v / scale[u] * 127).

    The unit is the last axis; its scale is its largest |value|. ~1% of each unit's range is
    ample for colours, bars and correlations, at an eighth of the size of float32 in JSON.
    Cell states differ by orders of magnitude between units, so one scale for the whole array
    would round the quiet units to zero. Scales are stored to 6 significant digits (≈ float32).
    The pages decode it with `dequantise` in docs/assets/demos/quantised.js.
    """
    flat = values.reshape(-1, values.shape[-1])
    scale = np.abs(flat).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float64)
    scale = np.array([float(f"{v:.6g}") for v in scale])
    q = np.clip(np.round(values / scale * 127), -127, 127).astype(np.int8)
    return base64.b64encode(q.tobytes()).decode("ascii"), scale.tolist()


def top_probabilities(logits: np.ndarray, vocab: str, k: int = TOP) -> list[list[Any]]:
    """The k most likely next characters as [[char, probability], ...], most likely first."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")[:k]
    return [[vocab[i], round(float(p[i]), 6)] for i in order]


def char_lm_example(
    model_dir: Path, prompt: str = EXAMPLE_PROMPT, length: int = EXAMPLE_LENGTH
) -> dict[str, Any]:
    """Greedy continuation of `prompt` with its per-character hidden and cell states.

    Characters of `prompt` the model does not know are dropped (the vocabulary comes from the
    training text). `top` is the distribution the last character was chosen from, as the page
    shows it after a run.
    """
    model = CharLanguageModel.load(model_dir)
    prompt = "".join(ch for ch in prompt if ch in model.vocab) or model.vocab[0]
    layers, hidden = model.config["num_layers"], model.config["hidden_size"]
    fits = STATES_BUDGET // (2 * layers * hidden) - len(prompt)
    length = max(1, min(length, fits))
    text = model.generate(prompt, length, temperature=0)
    states = model.hidden_states(prompt + text)
    h, h_scale = quantise_per_unit(states["h_seq"])
    c, c_scale = quantise_per_unit(states["c_seq"])
    steps = int(states["h_seq"].shape[0])
    return {
        "schema": SCHEMA,
        "model": model.card["name"],
        "model_version": model.card["version"],
        "prompt": prompt,
        "length": length,
        "temperature": 0,
        "text": text,
        "top": top_probabilities(states["logits"][steps - 2], model.vocab),
        "states": {
            "steps": steps,
            "layers": layers,
            "units": hidden,
            "scale": {"h": h_scale, "c": c_scale},
            "h": h,
            "c": c,
        },
    }


#: Where the LSTM cell explorer (docs/assets/demos/lstm-explorer.js) looks for its example.
EXPLORER_PATH = Path("assets/demos/data/char-lm-lstm-explorer.json")
EXPLORER_TEXT = "ROMEO:\nBut soft, what light through yonder window breaks?\n"
EXPLORER_UNITS = 4
#: The sequence graph's per-step outputs the explorer draws, by the short names the page uses.
EXPLORER_SERIES = {
    "i": "i_gate",
    "f": "f_gate",
    "g": "g_gate",
    "o": "o_gate",
    "c": "c_seq",
    "h": "h_seq",
}


def lstm_explorer_example(model_dir: Path, text: str = EXPLORER_TEXT) -> dict[str, Any]:
    """Gates i, f, g, o and states c, h of every unit after each character of `text`.

    The suggested units are the ones whose cell state moves most over the text (largest
    standard deviation of c), so the first thing the reader sees is something happening.
    Values are int8 like the text-generation example, one scale per unit and series
    (`quantise_per_unit`): ~1% of each unit's range, plenty for bars and curves.

    See the page: architecture.md#lstm-explorer
    """
    model = CharLanguageModel.load(model_dir)
    states = model.hidden_states(text)
    steps, layers, units = states["h_seq"].shape
    series = {}
    scale = {}
    for short, name in EXPLORER_SERIES.items():
        series[short], scale[short] = quantise_per_unit(states[name])
    movement = states["c_seq"][:, 0].std(axis=0)  # first layer: (units,)
    suggested = sorted(int(u) for u in np.argsort(-movement, kind="stable")[:EXPLORER_UNITS])
    return {
        "schema": SCHEMA,
        "model": model.card["name"],
        "model_version": model.card["version"],
        "vocab": model.vocab,
        "text": states["text"],
        "suggested_units": suggested,
        "states": {
            "steps": int(steps),
            "layers": int(layers),
            "units": int(units),
            "scale": scale,
            **series,
        },
    }


def _write_json(site_dir: Path, path: Path, data: dict[str, Any]) -> None:
    target = Path(site_dir) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")
    os.replace(tmp, target)


def write_demo_data(site_dir: Path, models_dir: Path) -> None:
    """Write every demo's precomputed example into the built site.

    `models_dir` holds manifest.json and one folder per model; the model files are verified
    against the manifest before use. A missing model is an error that says how to make it.
    """
    model_dir = Path(models_dir) / MODEL
    if not (model_dir / "card.json").is_file():
        raise FileNotFoundError(
            f"{model_dir / 'card.json'} is missing, so the text-generation demo has no model; "
            "train and export it first (`nox -s train -- char-lm`, see README.md)."
        )
    _write_json(site_dir, EXAMPLE_PATH, char_lm_example(model_dir))
    _write_json(site_dir, EXPLORER_PATH, lstm_explorer_example(model_dir))
