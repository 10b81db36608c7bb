"""The speech split fix (issue 18) in one file: the model published before it, the same weights
on the corrected test sets, its recipe rerun on the old split, and the recipe retrained on the
corrected data.

Until commit 6d12582 the British espeak accent was spelled ``en-gb``, whose variants espeak-ng
1.51 ignores, so two "held-out" test voices and the validation voice of that accent were the
training voice (`rnn_site/experiments/results/speech_split_fix_rule.md`). This reads three
training logs and one collected run, and trains and scores nothing:

- the log of the model published before the fix (``recipes/speech-earlier-en-gb-split.json``);
- the same weights' log rescored on the corrected test sets
  (``speech-old-weights-corrected-split.json``, from ``python -m
  rnn_site.experiments.speech_noise_floor --rescore``; its validation is still the run's);
- run A of ``speech_voices.json``: that recipe rerun before the fix (old split, seed 0) on the
  CPU that trained the published model (AMD EPYC), so the closest baseline for it: it differs
  from it in the data and the commit, not in the CPU (its figures are that file's, four
  decimals);
- the published model's log (``models/speech/metrics.json``).

Each row names the CPU that trained its weights (``cpu``): the rows differ in that and in the
commit, not only in the data.

::

    python -m rnn_site.experiments.speech_split_fix

writes ``rnn_site/experiments/results/speech_split_fix.json`` (``--json PATH`` elsewhere).
Run it again whenever models/speech changes: the page refuses a file whose last row is not
the published log.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
BEFORE_FIX = RESULTS / "recipes" / "speech-earlier-en-gb-split.json"
OLD_WEIGHTS = RESULTS / "speech-old-weights-corrected-split.json"
VOICES = RESULTS / "speech_voices.json"
PUBLISHED = Path(__file__).resolve().parents[2] / "models" / "speech" / "metrics.json"
OUT = RESULTS / "speech_split_fix.json"

#: The card's test sets, in the page's order.
SETS = ("tts_isolated", "tts_connected", "real_en", "real_en_GB")
#: A test voice of the British accent in each spelling: the one a log's per-voice accuracies
#: name says which split it was scored on.
SPELLINGS = {"espeak:en-gb+f4": "en-gb", "espeak:en+f4": "en"}


def spelling(log: dict[str, Any]) -> str:
    """How the British accent was spelled in the test set a log was scored on: ``en-gb``
    (before the fix) or ``en``."""
    found = {SPELLINGS[v] for v in log.get("per_voice", {}) if v in SPELLINGS}
    if len(found) != 1:
        raise ValueError(f"the log's per_voice names {sorted(found) or 'no'} British test voice")
    (accent,) = found
    return accent


def row(log: dict[str, Any], validation: bool = True) -> dict[str, Any]:
    """One model's greedy test CERs and its best validation CER with its epoch (counted from 0,
    as the logs count; None where ``validation`` is False: the weights were not scored on the
    validation voices of the split its test sets were), and the CPU that trained it."""
    lstm = log["results"]["lstm"]
    return {
        "test_voices": spelling(log),
        "cpu": log.get("machine", {}).get("cpu"),
        "test_cer": {k: lstm[k]["greedy"]["cer"] for k in SETS},
        "test_n": {k: lstm[k]["greedy"]["n"] for k in SETS},
        "val_cer": log["best"]["val_cer"] if validation else None,
        "best_epoch": log["best_epoch"] if validation else None,
        "epochs": log["epochs"],
    }


def rerun_row(voices: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Run A of speech_voices.json (``voices``) as a row: the recipe of ``before`` (the log of
    the model published before the fix) rerun with its voices and seed 0. Those runs were
    trained and scored before the fix, so its test voices are the old split's; raises unless
    exactly one run is that recipe (its command, augmentation, budget and optimiser steps).

    The record keeps four decimals and no clip counts (``test_n`` None)."""
    found = [r for r in voices["runs"] if (r["voices"], r["seed"]) == ("base", 0)]
    if len(found) != 1:
        raise ValueError(f"speech_voices.json has {len(found)} runs with voices base, seed 0")
    (a,) = found
    same = {
        "command": before["recipe"]["command"],
        "augment": before["hparams"]["augment"],
        "epochs": before["epochs"],
        "steps": before["steps"],
    }
    differ = [k for k, v in same.items() if a[k] != v]
    if differ:
        raise ValueError(
            f"run {a['name']} is not the earlier recipe: its {', '.join(differ)} differ"
        )
    return {
        "test_voices": spelling(before),
        "cpu": a["cpu"],
        "test_cer": {k: a["test_cer"][k] for k in SETS},
        "test_n": None,
        "val_cer": a["val_cer"],
        "best_epoch": a["best_epoch"],
        "epochs": a["epochs"],
    }


def collect(
    before: dict[str, Any],
    old_weights: dict[str, Any],
    voices: dict[str, Any],
    published: dict[str, Any],
) -> dict[str, Any]:
    """The four rows (``before_fix``, ``old_weights_corrected``, ``rerun_old_split``,
    ``published``); raises if the rescored log is not the earlier model's weights scored on
    the corrected test sets, or ``voices`` (speech_voices.json) holds no rerun of its recipe
    (`rerun_row`)."""
    same_run = ("history", "best", "best_epoch", "steps", "seed", "hparams", "synthesis")
    differ = [k for k in same_run if old_weights.get(k) != before.get(k)]
    if differ:
        raise ValueError(f"the rescored log is not the earlier run: its {', '.join(differ)} differ")
    if (spelling(before), spelling(old_weights)) != ("en-gb", "en"):
        raise ValueError(
            f"expected the earlier log scored with en-gb test voices and the rescored one with "
            f"en, got {spelling(before)} and {spelling(old_weights)}"
        )
    return {
        "schema": 1,
        "task": "speech recognition: the British espeak accent respelled en (issue 18)",
        "rule": "rnn_site/experiments/results/speech_split_fix_rule.md",
        "decoding": "greedy; each log's test clips cut by the runtime's trim",
        "sources": {
            "before_fix": str(BEFORE_FIX.relative_to(RESULTS.parents[2])),
            "old_weights_corrected": str(OLD_WEIGHTS.relative_to(RESULTS.parents[2])),
            "rerun_old_split": str(VOICES.relative_to(RESULTS.parents[2])) + " (run A)",
            "published": "models/speech/metrics.json",
        },
        "note": "old_weights_corrected is before_fix's weights with the test sets scored again "
        "on the corrected voices; it was not scored on the corrected validation voices, so it "
        "has no validation figure (its epoch was chosen on the old ones). rerun_old_split is "
        "the same recipe rerun on the old split with seed 0 on the published model's CPU, as "
        "speech_voices.json records it (four decimals, no clip counts). cpu is the CPU that "
        "trained each row's weights; the rows were trained at different commits too",
        "rows": {
            "before_fix": row(before),
            "old_weights_corrected": row(old_weights, validation=False),
            "rerun_old_split": rerun_row(voices, before),
            "published": row(published),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = parser.parse_args(argv)
    from rnn_site.experiments.speech_silence import emit  # numpy and the data: not at import

    paths = (BEFORE_FIX, OLD_WEIGHTS, VOICES, PUBLISHED)
    logs = [json.loads(p.read_text("utf-8")) for p in paths]
    emit(collect(*logs), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
