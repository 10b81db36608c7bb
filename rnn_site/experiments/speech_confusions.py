"""Which words the published recogniser hears wrong: every confusion on the held-out test words.

The card keeps the first 40 errors of each test set, which is every KLettres error but not the
held-out synthetic words' (about 180 of 1,152 clips are wrong). This scores the published
checkpoint on those words as the card does (greedy decoding, each clip cut by the runtime's
trim, ``rnn_site.train.speech.groups``) and counts each (said, heard) pair, so the page can
say which letters and digits are confused from measured counts. Eval only, 1 thread, about a
minute on 2 cores::

    python -m rnn_site.experiments.speech_confusions \\
        --json rnn_site/experiments/results/speech_confusions.json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_site.experiments.speech_silence import emit

#: The card's set whose errors this counts in full.
SET = "tts_isolated"


def confusions(said: Sequence[str], heard: Sequence[str]) -> dict[str, Any]:
    """Counts of each wrong (said, heard) pair, most frequent first (ties by said, heard), and
    how many errors involve a digit (said or heard one)."""
    wrong = [(s, h) for s, h in zip(said, heard, strict=True) if s != h]
    counts = Counter(wrong)
    pairs = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "n": len(said),
        "wrong": len(wrong),
        "with_a_digit": sum(any(c.isdigit() for c in s + h) for s, h in wrong),
        "pairs": [{"said": s, "heard": h, "count": c} for (s, h), c in pairs],
    }


def measure(model_dir: Path) -> dict[str, Any]:
    """:func:`confusions` of the published model on :data:`SET`; raises if its greedy CER is
    not the one the model's log records (the checkpoint, data or trim changed)."""
    import torch

    from rnn_site.data.speech import SynthesisConfig, load_real_letters, load_speech
    from rnn_site.data.speech_trim import TRIM
    from rnn_site.decoding.ctc import error_rates
    from rnn_site.train.speech import groups, load_speech_model, transcribe_all

    torch.set_num_threads(1)
    log = json.loads((model_dir / "metrics.json").read_text("utf-8"))
    data = load_speech(SynthesisConfig(**log["synthesis"]), progress=False)
    model, _ = load_speech_model(model_dir / "speech.pt")
    clips = groups(data.test, load_real_letters())[SET]
    said = [u.label for u in clips]
    heard = transcribe_all(model, clips)
    cer = error_rates(said, heard)["cer"]
    if cer != log["results"]["lstm"][SET]["greedy"]["cer"]:
        raise RuntimeError(f"{SET}: greedy CER {cer}, the log records a different one")
    return {
        "schema": 1,
        "task": "speech recognition: every confusion of the published model on the held-out "
        "test words",
        "machine": "2-core CPU machine, no GPU, shared (1 thread)",
        "model": f"{model_dir / 'speech.pt'} (eval only)",
        "set": SET,
        "decoding": "greedy",
        "trim": TRIM.to_dict(),
        "greedy_cer": cer,
        **confusions(said, heard),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("models/speech"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    emit(measure(args.model_dir), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
