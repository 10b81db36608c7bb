"""Precompute the text-generation demo's example at build time, with the Python runtime.

The page shows this example the moment it opens — before onnxruntime-web and the model have
loaded, and even if they never do — and the hidden-state view works on it straight away.
It is computed with `rnn_site.runtime` (numpy + onnxruntime), so it is also a promise the
browser keeps: greedy decoding in the page gives the same text (a browser test checks).

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


def quantise(values: np.ndarray) -> tuple[str, float]:
    """float32 array → (base64 of int8 values, scale) with q = round(v / scale * 127).

    One scale per array (its largest |value|): ~1% precision, ample for colours and
    correlations, at an eighth of the size of float32 in JSON.
    """
    scale = float(np.abs(values).max()) or 1.0
    q = np.clip(np.round(values / scale * 127), -127, 127).astype(np.int8)
    return base64.b64encode(q.tobytes()).decode("ascii"), scale


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
    h, h_scale = quantise(states["h_seq"])
    c, c_scale = quantise(states["c_seq"])
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
    example = char_lm_example(model_dir)
    target = Path(site_dir) / EXAMPLE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(example, ensure_ascii=False, separators=(",", ":")), "utf-8")
    os.replace(tmp, target)
