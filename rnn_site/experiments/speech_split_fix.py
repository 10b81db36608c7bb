"""The speech split fix (issue 18) in one file: the model published before it, the same weights
on the corrected test sets, and the recipe retrained on the corrected data.

Until commit 6d12582 the British espeak accent was spelled ``en-gb``, whose variants espeak-ng
1.51 ignores, so two "held-out" test voices and the validation voice of that accent were the
training voice (`rnn_site/experiments/results/speech_split_fix_rule.md`). This reads three
training logs and trains and scores nothing:

- the log of the model published before the fix (``recipes/speech-earlier-en-gb-split.json``);
- the same weights' log rescored on the corrected test sets
  (``speech-old-weights-corrected-split.json``, from ``python -m
  rnn_site.experiments.speech_noise_floor --rescore``; its validation is still the run's);
- the published model's log (``models/speech/metrics.json``).

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
    validation voices of the split its test sets were)."""
    lstm = log["results"]["lstm"]
    return {
        "test_voices": spelling(log),
        "test_cer": {k: lstm[k]["greedy"]["cer"] for k in SETS},
        "test_n": {k: lstm[k]["greedy"]["n"] for k in SETS},
        "val_cer": log["best"]["val_cer"] if validation else None,
        "best_epoch": log["best_epoch"] if validation else None,
        "epochs": log["epochs"],
    }


def collect(
    before: dict[str, Any], old_weights: dict[str, Any], published: dict[str, Any]
) -> dict[str, Any]:
    """The three rows (``before_fix``, ``old_weights_corrected``, ``published``); raises if the
    rescored log is not the earlier model's weights scored on the corrected test sets."""
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
            "published": "models/speech/metrics.json",
        },
        "note": "old_weights_corrected is before_fix's weights with the test sets scored again "
        "on the corrected voices; it was not scored on the corrected validation voices, so it "
        "has no validation figure (its epoch was chosen on the old ones)",
        "rows": {
            "before_fix": row(before),
            "old_weights_corrected": row(old_weights, validation=False),
            "published": row(published),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = parser.parse_args(argv)
    from rnn_site.experiments.speech_silence import emit  # numpy and the data: not at import

    logs = [json.loads(p.read_text("utf-8")) for p in (BEFORE_FIX, OLD_WEIGHTS, PUBLISHED)]
    emit(collect(*logs), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
