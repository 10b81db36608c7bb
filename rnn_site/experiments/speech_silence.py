"""Silence around speech: how much it costs the published recogniser, and what trimming buys.

The recogniser's test clips are trimmed when they are made (``rnn_site.data.speech``); a
microphone recording or a file is not. This scores the published checkpoint (greedy CER, the
card's decoding) on clips with and without the runtime's trim
(:func:`rnn_site.data.speech_trim.trim_silence`):

- the card's test clips as they were made (the cut must leave their scores alone);
- KLettres' files as shipped (about 2 s each, most of it silence);
- clips with 1 s of digital silence added each side, and with hiss under that silence.

The trim's settings are chosen on the validation voices (synthetic, padded the same ways);
KLettres stays test only. Eval only, a few minutes on 2 cores::

    python -m rnn_site.experiments.speech_silence \
        --json rnn_site/experiments/results/speech_silence.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
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
from rnn_site.data.speech_trim import TRIM, TrimSettings, speech_span

#: Silence added each side for the padded sets, and the hiss under it (dB below the peak).
PAD_S = 1.0
HISS_DB = -45.0
#: How the published settings were chosen (the grid's numbers are in the results).
CHOICE = (
    "on the validation voices (synthetic), padded with silence and with hiss: a margin of "
    "0.08 s is best at every threshold, and -40 dB best on silence. -30 dB copes better with "
    "hiss on validation, but of the three thresholds only -40 dB leaves every figure on the "
    "card as it is (trimming is kept only where it does not hurt). KLettres is test only"
)
#: The settings tried on the validation voices.
GRID = [
    TrimSettings(threshold_db=t, margin_s=m)
    for t in (-30.0, -35.0, -40.0)
    for m in (0.08, 0.15, 0.25)
]


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


def measure(checkpoint: Path) -> dict[str, Any]:
    """Greedy CER per set, untrimmed and trimmed, and the validation grid."""
    from rnn_site.decoding.ctc import error_rates
    from rnn_site.train.speech import groups, load_speech_model, transcribe_all

    metrics = json.loads((checkpoint.parent / "metrics.json").read_text(encoding="utf-8"))
    data = load_speech(SynthesisConfig(**metrics["synthesis"]), progress=False)
    model, _ = load_speech_model(checkpoint)

    def cer(utterances: Sequence[Utterance]) -> float:
        heard = transcribe_all(model, utterances)
        return round(error_rates([u.label for u in utterances], heard)["cer"], 4)

    validation = {
        "val": data.val,
        "val_padded": padded(data.val),
        "val_padded_hiss": padded(data.val, HISS_DB),
    }
    grid = [{**s.to_dict(), **{k: cer(trimmed(v, s)) for k, v in validation.items()}} for s in GRID]
    untrimmed_val = {k: cer(v) for k, v in validation.items()}
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
        cut = trimmed(utterances, TRIM)
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
        "model": "models/speech (published checkpoint, eval only)",
        "metric": "character error rate, greedy decoding",
        "pad_s": PAD_S,
        "hiss_db": HISS_DB,
        "settings": TRIM.to_dict(),
        "chosen_on": CHOICE,
        "validation_untrimmed": untrimmed_val,
        "validation_grid": grid,
        "sets": results,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("models/speech/speech.pt"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    text = json.dumps(measure(args.checkpoint), indent=1) + "\n"
    sys.stdout.write(text)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
