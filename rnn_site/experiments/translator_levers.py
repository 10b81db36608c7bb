"""What each lever bought the translator: one short run per change, at the same step budget.

Every run is ``train_translator`` with the published recipe's code and a few hyperparameters
changed, for the same number of optimiser steps from the same seed, scored on the *validation*
sentences (greedy BLEU and chrF, cased), so the test set chooses nothing. The runs, in the order
the levers were added:

- ``sentences``: the old model's size (64-dimensional embeddings, 64 + 128 LSTM units, 3,000
  English and 4,000 German words), the example sentences only;
- ``+ phrases``: the same, plus the dictionary's headwords and phrases (half as many as there
  are sentences in every epoch);
- ``+ larger``: the published recipe at this budget (80-dimensional embeddings, 128 + 192
  units, 5,000 and 6,000 words, dropout 0.3, batch 128): the ``--quick`` preset,
  ``rnn-site train translator --quick``, whose test scores the page also shows;
- ``- label smoothing``: the published recipe without it;
- ``German in BPE pieces``: the published recipe writing about 4,000 pieces instead of words.

The longer recipe is the last lever: the published run's own validation curve (its
metrics.json), on the page next to this table.

    python -m rnn_site.experiments.translator_levers OUT_DIR [--steps 400] [--json OUT.json]

trains every run into ``OUT_DIR/NAME`` (a run already finished there is reused) and collects
them. About 15 minutes a run on the loaded 2-core machine, 1 thread. A longer budget goes into
a second folder (``--steps 800 --only L0-sentences,L1-phrases``); ``--collect-only DIR DIR2``
collects both into one table. The published results hold the 400-step runs, with an output
``<unk>`` looked up in the first dictionary (the vocabulary's words only; the published model
now looks in the whole table, see ``translator_unk``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: (name, lever, the run it changes, hyperparameters changed from the published recipe).
OLD_SIZE = {"embed_dim": 64, "encoder_hidden": 64, "decoder_hidden": 128, "dropout": 0.2,
            "src_vocab": 3000, "tgt_vocab": 4000}  # fmt: skip
LEVERS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("L0-sentences", "sentences only, the old model's size", "", {**OLD_SIZE, "phrases": 0.0}),
    ("L1-phrases", "+ dictionary phrases", "L0-sentences", {**OLD_SIZE, "phrases": 0.5}),
    ("L2-larger", "+ larger model (the published recipe)", "L1-phrases", {}),
    ("L3-no-smoothing", "published recipe − label smoothing", "L2-larger",
     {"label_smoothing": 0.0}),
    ("L4-bpe", "published recipe, German in BPE pieces", "L2-larger", {"bpe_merges": 3950}),
)  # fmt: skip
STEPS = 400


def run_record(folder: Path, lever: str, compared_to: str) -> dict[str, Any]:
    """One finished run: what changed, its budget and its last validation scores."""
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    last = metrics["history"][-1]
    return {
        "name": folder.name,
        "lever": lever,
        "compared_to": compared_to,
        "hparams": metrics["hparams"],
        "steps": metrics["steps"],
        "batch": metrics["hparams"]["batch"],
        "parameters": metrics["parameters"],
        "phrase_pairs": metrics["data"].get("phrase_pairs", 0),
        "val_bleu": last["val_bleu"],
        "val_chrf": last["val_chrf"],
        "val_loss": round(last["val_loss"], 3),
        "train_wall_time_s": round(metrics["train_wall_time_s"]),
        "stopped": metrics["stopped"],
    }


def collect(out_dirs: Sequence[Path], machine: str) -> dict[str, Any]:
    """Every lever's run found finished in each of ``out_dirs`` (one folder per budget)."""
    runs = [
        run_record(out_dir / name, lever, compared_to)
        for out_dir in out_dirs
        for name, lever, compared_to, _ in LEVERS
        if (out_dir / name / "metrics.json").exists()
        and json.loads((out_dir / name / "metrics.json").read_text("utf-8")).get("stopped")
        == "finished"
    ]
    return {
        "schema": 1,
        "task": "English→German translator, one lever at a time",
        "machine": machine,
        "metric": "validation sentences, greedy search, cased tokens: sacrebleu BLEU and chrF",
        "runs": runs,
    }


def train_levers(out_dir: Path, steps: int = STEPS, only: Sequence[str] = ()) -> None:
    """Train every lever's run (or those named in ``only``) that is not finished in ``out_dir``
    yet (1 thread, seed 0)."""
    from rnn_site.train.translator import TranslatorTrainConfig, train_translator

    for name, _, _, changes in LEVERS:
        if only and name not in only:
            continue
        folder = out_dir / name
        if (folder / "metrics.json").exists():
            log = json.loads((folder / "metrics.json").read_text("utf-8"))
            if log.get("stopped") == "finished":
                continue
        hparams = TranslatorTrainConfig(**{"max_steps": steps, "eval_every": steps // 2,
                                           **changes})  # fmt: skip
        train_translator(folder, threads=1, progress=False, hparams=hparams, evaluate_test=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="where to train (and collect) the runs")
    parser.add_argument("more", type=Path, nargs="*", help="more folders to collect")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--only", default="", help="comma-separated run names to train")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--collect-only", action="store_true")
    parser.add_argument("--machine", default="2-core CPU machine, no GPU, shared (1 thread)")
    args = parser.parse_args(argv)
    if not args.collect_only:
        train_levers(args.out_dir, args.steps, [n for n in args.only.split(",") if n])
    text = json.dumps(collect([args.out_dir, *args.more], args.machine), indent=1) + "\n"
    # The results file for the page, or the terminal.
    (args.json.write_text(text, encoding="utf-8") if args.json else sys.stdout.write(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
