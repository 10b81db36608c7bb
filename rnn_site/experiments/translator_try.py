"""What the translation page's "What to try" list quotes: the published model's outputs.

The list (docs/applications/translation.md, under the demo) types the English sentences, which
are inputs, and quotes the German the model writes for them. Those outputs change with every
retraining, so they are measured here and reach the page through the build
(``<!-- data:translator:try:KEY.greedy -->`` and ``…:KEY.beam``,
`rnn_site.sitebuild.translator_try_data`), never typed.

Each sentence is translated by the Python runtime (`rnn_site.runtime.Translator`, the search the
browser repeats line for line) greedily and with the card's beam width. For every German word
the results keep where it came from (``model``: the model wrote it; ``dictionary``: an output
``<unk>`` looked up in the dictionary; ``copied``: an output ``<unk>`` copied from the English as
typed, which the demo highlights) and the English word it attends to most, so tests can pin what
the page's prose says about them (tests/test_translator_try.py).

Run it after every retraining (under a second; numpy and onnxruntime only, no torch):

    python -m rnn_site.experiments.translator_try

It rewrites rnn_site/experiments/results/translator_try.json with the sha256 of the model files
it read; the build refuses the placeholders when models/translator/ holds other files.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rnn_site.files import atomic_path, sha256_file

if TYPE_CHECKING:  # the build imports this module for its constants; it never translates
    from rnn_site.runtime.translator import Translator

MODULE = "rnn_site.experiments.translator_try"
RESULTS = Path(__file__).resolve().parent / "results" / "translator_try.json"
SCHEMA = 1
MODEL = "translator"
#: The card's file roles the runtime reads to translate (the PyTorch checkpoint it does not).
ROLES = ("encoder", "decoder", "dictionary")

#: Every English sentence the "What to try" list types, by the key its placeholders use.
SENTENCES = {
    "party": "He did not come to the party because he was ill.",
    "proposal": "I have a problem with this proposal.",
    "train": "The train was late.",
    "light": "The light went on.",
    "cold": "I have a cold.",
    "father": "My father is a doctor.",
    "weather": "The weather is nice today.",
    "book": "Give me the book!",
    "station": "Where is the Zzqxv station?",
    "berlin": "Tom lives in Berlin.",
    "long": (
        "When I was a child, I always wanted to become a doctor, but my parents told me that it "
        "would take too long."
    ),
}
#: The searches measured: greedy, and the card's beam width (its ``beam``).
SEARCHES = ("greedy", "beam")


def model_sha256(model_dir: str | os.PathLike[str]) -> dict[str, str]:
    """file name → sha256 of card.json and of every file the card names for `ROLES`: what a
    translation depends on (the card holds the vocabularies and the beam width)."""
    folder = Path(model_dir)
    card = json.loads((folder / "card.json").read_text("utf-8"))
    names = ["card.json", *(card["files"][role] for role in ROLES if role in card["files"])]
    return {name: sha256_file(folder / name) for name in names}


def translate_one(model: Translator, english: str, beam_width: int) -> dict[str, Any]:
    """One translation as the demo shows it, with where each German piece came from.

    text: the German sentence (`TranslationResult.text`: an output ``<unk>`` already replaced
    as the demo replaces it); words: its words; pieces: one entry per piece the search wrote
    (a word, for a word model) with ``piece``, ``from`` (model, dictionary or copied),
    ``attends`` (the English token its attention weight is largest on, as `replace_unknown`
    picks it) and that ``weight``; score: the summed log-probability; average: per word,
    ``</s>`` included, which is how beam search ranks finished sentences; finished: whether the
    search wrote ``</s>``.
    """
    result = model.translate(english, beam_width=beam_width)
    pieces = []
    for piece, replaced, row in zip(result.pieces, result.replaced, result.attention, strict=False):
        j = int(np.argmax(row[: len(result.source)]))
        attends = result.source[j]
        origin = "model"
        if replaced:
            origin = "dictionary" if attends in model.dictionary else "copied"
        pieces.append(
            {"piece": piece, "from": origin, "attends": attends, "weight": round(float(row[j]), 3)}
        )
    return {
        "beam_width": beam_width,
        "text": result.text,
        "words": list(result.words),
        "pieces": pieces,
        "score": round(float(result.score), 4),
        "average": round(float(result.score) / max(len(result.attention), 1), 4),
        "finished": bool(result.finished),
    }


def run(models_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Translate every sentence of `SENTENCES` greedily and with the card's beam width."""
    from rnn_site.runtime.translator import Translator

    model = Translator.load(MODEL, models_dir=models_dir)
    beam = int(model.card["beam"])
    sentences = {}
    for key, english in SENTENCES.items():
        widths = {"greedy": 1, "beam": beam}
        outputs = {search: translate_one(model, english, widths[search]) for search in SEARCHES}
        source = model.tokenize(english)
        sentences[key] = {
            "english": english,
            "source": source,
            "source_unknown": [t not in model.src_index for t in source],
            **outputs,
        }
    return {
        "schema": SCHEMA,
        "command": f"python -m {MODULE}",
        "model": model.card["name"],
        "model_version": model.card["version"],
        "model_sha256": model_sha256(model.location.model_dir),
        "beam": beam,
        "sentences": sentences,
    }


def write_results(results: dict[str, Any], path: Path = RESULTS) -> Path:
    """Write atomically: an interrupted run leaves the old file intact."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rnn_site.experiments.translator_try [--models-dir DIR] [--json PATH]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models-dir", default=None, help="default: the published models/")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    args = parser.parse_args(argv)
    results = run(args.models_dir)
    for key, found in results["sentences"].items():
        print(f"{key:>9} greedy: {found['greedy']['text']}")
        print(f"{'':>9} beam {results['beam']}: {found['beam']['text']}")
    print(f"wrote {write_results(results, args.json)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
