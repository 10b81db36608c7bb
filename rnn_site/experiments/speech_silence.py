"""Silence around speech: how much it costs the published recogniser, and what trimming buys.

The recogniser's test clips are trimmed when they are made (``rnn_site.data.speech``); a
microphone recording or a file is not. This scores the published checkpoint (greedy CER, the
card's decoding) on clips with and without the runtime's trim
(:func:`rnn_site.data.speech_trim.trim_silence`):

- the card's test clips as they were made (the cut must leave their scores alone);
- KLettres' files as shipped (about 2 s each, most of it silence);
- clips with 1 s of digital silence added each side, and with hiss under that silence.

The trim's settings are chosen on the validation voices (synthetic, padded the same ways) by
:func:`choose`; KLettres stays test only. The grid (:data:`GRID`) holds the fixed levels and,
where it can act, each of them with the runtime's noise floor (10th percentile + 6 dB, at most
-30 dB under the loudest frame; rnn_site/experiments/speech_noise_floor.py adopted it), so
today's runtime trim (``TRIM``) is measured beside its alternatives (``with_runtime``) and can
be chosen. speech_silence.json and the publishing decisions (speech_publish*.json) were
measured before the noise floor, on the fixed levels only; their files record the grid they
used. Eval only, a few minutes on 2 cores::

    python -m rnn_site.experiments.speech_silence \
        --json rnn_site/experiments/results/speech_silence.json

**Replacing the published model** (``--candidate``) is decided on validation only, by a rule
fixed before the candidate was scored (:func:`decide`): each checkpoint gets its trim from
:func:`choose`, and the candidate replaces the published model only if its validation CER
with that trim is no worse on each of the clean, padded and padded-with-hiss clips. No test
clip is scored in this mode::

    python -m rnn_site.experiments.speech_silence --candidate RUN/speech.pt \
        --json rnn_site/experiments/results/speech_publish.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.data.audio import SAMPLE_RATE, decode_ogg, resample
from rnn_site.data.speech import (
    SynthesisConfig,
    Utterance,
    klettres_files,
    load_real_letters,
    load_speech,
)
from rnn_site.data.speech_trim import FLOOR_FIELDS, TRIM, TrimSettings, speech_span

#: Silence added each side for the padded sets, and the hiss under it (dB below the peak).
PAD_S = 1.0
HISS_DB = -45.0
#: How the settings are chosen (:func:`choose`; the grid's numbers are in the results).
CHOICE = (
    "on the validation voices (synthetic) only: of the grid's settings that leave the clean "
    "validation CER no worse than untrimmed, the lowest CER on the validation clips padded with "
    "1 s of silence each side; ties go to the lower CER with hiss under the silence, then on "
    "the clean clips, then to the grid's order. KLettres is test only"
)
#: When a candidate checkpoint replaces the published one (:func:`decide`).
PUBLISH_RULE = (
    "validation only, each checkpoint with the trim chosen for it (chosen_on): the candidate "
    "replaces the published model if its greedy CER is no worse on each of the clean, padded "
    "and padded-with-hiss validation clips; no test clip (synthetic or KLettres) is scored"
)
VALIDATION_SETS = ("val", "val_padded", "val_padded_hiss")
#: The fixed levels tried on the validation voices (the whole grid before the noise floor).
FIXED_GRID = [
    TrimSettings(threshold_db=t, margin_s=m)
    for t in (-30.0, -35.0, -40.0)
    for m in (0.08, 0.15, 0.25)
]


def trim_grid(runtime: TrimSettings = TRIM) -> list[TrimSettings]:
    """Every setting tried: the fixed levels first (in their old order, which breaks ties),
    then each with ``runtime``'s noise floor where the floor can act, then ``runtime`` itself
    if it is none of those, so the runtime's trim is always measured and can be chosen. At a
    level at or above the floor's ceiling the floor never raises it: that row would repeat
    the fixed one."""
    grid = list(FIXED_GRID)
    if runtime.floor_quantile is not None:
        floor = {f: getattr(runtime, f) for f in FLOOR_FIELDS}
        grid += [replace(s, **floor) for s in FIXED_GRID if s.threshold_db < runtime.ceiling_db]
    return grid if runtime in grid else [*grid, runtime]


#: The settings tried on the validation voices (:func:`trim_grid` of today's ``TRIM``).
GRID = trim_grid()


def padded(utterances: Sequence[Utterance], hiss_db: float | None = None) -> list[Utterance]:
    """Each clip with PAD_S of silence before and after (hiss at ``hiss_db`` under its peak,
    seeded, if given)."""
    rng = np.random.default_rng(0)
    silence = np.zeros(round(PAD_S * SAMPLE_RATE), np.float32)
    out = []
    for u in utterances:
        audio = np.concatenate([silence, u.audio, silence])
        if hiss_db is not None:
            hiss = rng.normal(size=len(audio)) * np.abs(u.audio).max() * 10 ** (hiss_db / 20)
            audio = (audio + hiss).astype(np.float32)
        out.append(Utterance(audio, u.label, u.voice, u.kind))
    return out


def shipped_letters() -> list[Utterance]:
    """KLettres' recordings as the files hold them (resampled to 16 kHz, not trimmed)."""
    out = []
    for name, letter, path in klettres_files():
        samples, rate = decode_ogg(path)
        out.append(Utterance(resample(samples, rate), letter, f"klettres:{name}", "real"))
    return out


def trimmed(utterances: Sequence[Utterance], settings: TrimSettings) -> list[Utterance]:
    out = []
    for u in utterances:
        start, stop = speech_span(u.audio, settings)
        out.append(Utterance(u.audio[start:stop], u.label, u.voice, u.kind))
    return out


def mean_seconds(utterances: Sequence[Utterance]) -> float:
    return round(sum(len(u.audio) for u in utterances) / SAMPLE_RATE / len(utterances), 2)


def settings_of(row: dict[str, Any]) -> TrimSettings:
    """The trim of a grid row (its settings' fields; a row without the noise floor's has none)."""
    return TrimSettings(**{f.name: row[f.name] for f in fields(TrimSettings) if f.name in row})


def choose(grid: Sequence[dict[str, Any]], untrimmed: dict[str, float]) -> TrimSettings:
    """The trim for a checkpoint, from its validation grid (CHOICE says the rule in words).

    Silence is what the trim is for, so the padded clips decide; the clean clips must not pay
    for it. Chosen this way, the model published before this rule gets the settings it shipped with.
    """
    allowed = [row for row in grid if row["val"] <= untrimmed["val"]]
    best = min(allowed, key=lambda r: (r["val_padded"], r["val_padded_hiss"], r["val"]))
    return settings_of(best)


class Scorer:
    """One checkpoint, its data, and greedy CER on any clips (eval only)."""

    def __init__(self, checkpoint: Path) -> None:
        from rnn_site.train.speech import load_speech_model

        metrics = json.loads((checkpoint.parent / "metrics.json").read_text(encoding="utf-8"))
        self.data = load_speech(SynthesisConfig(**metrics["synthesis"]), progress=False)
        self.model, _ = load_speech_model(checkpoint)

    def cer(self, utterances: Sequence[Utterance]) -> float:
        from rnn_site.decoding.ctc import error_rates
        from rnn_site.train.speech import transcribe_all

        heard = transcribe_all(self.model, utterances)
        return round(error_rates([u.label for u in utterances], heard)["cer"], 4)


def validation(scorer: Scorer) -> dict[str, Any]:
    """Validation CER untrimmed and over the grid, the chosen trim and CER with it, and CER
    with the runtime's trim (``TRIM``, a row of the grid)."""
    val = scorer.data.val
    sets = dict(zip(VALIDATION_SETS, (val, padded(val), padded(val, HISS_DB)), strict=True))
    grid = [
        {**s.to_dict(), **{k: scorer.cer(trimmed(v, s)) for k, v in sets.items()}} for s in GRID
    ]
    untrimmed = {k: scorer.cer(v) for k, v in sets.items()}
    chosen = choose(grid, untrimmed)
    row, runtime = (next(r for r in grid if settings_of(r) == s) for s in (chosen, TRIM))
    return {
        "untrimmed": untrimmed,
        "grid": grid,
        "chosen": chosen.to_dict(),
        "with_chosen": {k: row[k] for k in VALIDATION_SETS},
        "runtime": TRIM.to_dict(),
        "with_runtime": {k: runtime[k] for k in VALIDATION_SETS},
    }


def decide(published: dict[str, Any], candidate: dict[str, Any]) -> dict[str, Any]:
    """PUBLISH_RULE on two :func:`validation` results: per set, and the verdict."""
    sets = {
        k: {
            "published": published["with_chosen"][k],
            "candidate": candidate["with_chosen"][k],
            "no_worse": candidate["with_chosen"][k] <= published["with_chosen"][k],
        }
        for k in VALIDATION_SETS
    }
    return {"sets": sets, "publish": all(s["no_worse"] for s in sets.values())}


def run_summary(checkpoint: Path) -> dict[str, Any]:
    """What the run beside ``checkpoint`` was: its command, budget (epochs run, and whether
    early stopping ended it) and best validation CER."""
    metrics = json.loads((checkpoint.parent / "metrics.json").read_text(encoding="utf-8"))
    return {
        "command": metrics["recipe"]["command"],
        "epochs": metrics["epochs"],
        "max_epochs": metrics["hparams"]["max_epochs"],
        "patience": metrics["hparams"]["patience"],
        "stopped": metrics["stopped"],
        "best_epoch": metrics["best_epoch"],
        "best_val_cer": round(metrics["best"]["val_cer"], 4),
    }


def compare(published: Path, candidate: Path) -> dict[str, Any]:
    """The publishing decision (validation only, no test clip scored)."""
    paths = {"published": published, "candidate": candidate}
    results = {name: validation(Scorer(path)) for name, path in paths.items()}
    return {
        "schema": 1,
        "task": "speech recognition: does a candidate checkpoint replace the published one?",
        "machine": "2-core CPU machine, no GPU, shared (1 thread)",
        "checkpoints": {name: str(path) for name, path in paths.items()},
        "runs": {name: run_summary(path) for name, path in paths.items()},
        "metric": "character error rate, greedy decoding, validation voices (synthetic)",
        "pad_s": PAD_S,
        "hiss_db": HISS_DB,
        "chosen_on": CHOICE,
        "rule": PUBLISH_RULE,
        "decision": decide(results["published"], results["candidate"]),
        **results,
    }


def measure(checkpoint: Path) -> dict[str, Any]:
    """Greedy CER per set, untrimmed and trimmed (with the settings :func:`choose` picks on
    validation), and the validation grid."""
    from rnn_site.train.speech import groups

    scorer = Scorer(checkpoint)
    cer, data = scorer.cer, scorer.data
    val = validation(scorer)
    settings = TrimSettings(**val["chosen"])
    sets = groups(data.test, load_real_letters(), trim=False)
    shipped = shipped_letters()
    sets |= {
        "real_shipped": shipped,
        "tts_isolated_padded": padded(sets["tts_isolated"]),
        "real_padded": padded(sets["real_en"] + sets["real_en_GB"]),
        "real_padded_hiss": padded(sets["real_en"] + sets["real_en_GB"], HISS_DB),
    }
    results = {}
    for name, utterances in sets.items():
        cut = trimmed(utterances, settings)
        results[name] = {
            "n": len(utterances),
            "untrimmed": cer(utterances),
            "trimmed": cer(cut),
            "clips_changed": sum(
                len(a.audio) != len(b.audio) for a, b in zip(utterances, cut, strict=True)
            ),
            "seconds": mean_seconds(utterances),
            "seconds_trimmed": mean_seconds(cut),
        }
    return {
        "schema": 1,
        "task": "speech recognition: silence before and after the speech",
        "machine": "2-core CPU machine, no GPU, shared (1 thread)",
        "model": f"{checkpoint} (eval only)",
        "metric": "character error rate, greedy decoding",
        "pad_s": PAD_S,
        "hiss_db": HISS_DB,
        "settings": val["chosen"],
        "runtime_settings": TRIM.to_dict(),
        "chosen_on": CHOICE,
        "validation_untrimmed": val["untrimmed"],
        "validation_grid": val["grid"],
        "sets": results,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("models/speech/speech.pt"))
    parser.add_argument(
        "--candidate",
        type=Path,
        help="decide whether this checkpoint replaces --checkpoint (validation only)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.candidate:
        result = compare(args.checkpoint, args.candidate)
    else:
        result = measure(args.checkpoint)
    emit(result, args.json)
    return 0


def emit(result: dict[str, Any], path: Path | None) -> None:
    """Print ``result`` as JSON, and write the same text to ``path`` if given."""
    text = json.dumps(result, indent=1) + "\n"
    sys.stdout.write(text)
    if path:
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
