"""The speech recogniser's augmentation ablation: one training run per augmentation, side by side.

Each run is the published command with ``--augment KINDS`` and a smaller epoch budget
(``rnn-site train speech --max-epochs 8 --augment noise``); its ``metrics.json`` holds the
validation and test scores. This module only *collects* finished runs into one JSON file (for
the page) and a Markdown table::

    python -m rnn_site.experiments.speech_ablation RUN_DIR... --json OUT.json --md OUT.md

Augmentations are chosen on the validation voices (synthetic: the espeak m2 variant of every
training accent); the KLettres real recordings are test only and are reported, never used to
choose.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_site.export.cards import recipe_command

#: (key in metrics.json results, column title) of the test sets, in table order.
SETS = (
    ("tts_isolated", "held-out voices, words"),
    ("tts_connected", "held-out voices, digit strings"),
    ("real_en", "real en (KLettres)"),
    ("real_en_GB", "real en_GB (KLettres)"),
)


def is_finished(folder: Path) -> bool:
    """Whether the run in ``folder`` completed its recipe and was scored."""
    path = folder / "metrics.json"
    if not path.exists():
        return False
    metrics = json.loads(path.read_text(encoding="utf-8"))
    return "results" in metrics and metrics.get("stopped") in ("finished", "early_stopping")


def run_record(folder: Path, padded: bool = False) -> dict[str, Any]:
    """One finished run: its recipe (``augment``, ``voices``, ``seed``, the command), the CPU
    it trained on, its epoch budget and how much of it ran, best validation CER, its validation
    CER after every epoch, greedy/beam test CERs (and the padded scores if computed before or
    ``padded``)."""
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    if "results" not in metrics:
        raise ValueError(f"{folder}: the run has not finished (no results in metrics.json)")
    return log_record(metrics, folder.name) | {
        f"padded_{PAD_S}s_cer": (
            padded_scores(folder) if padded or (folder / "padded.json").exists() else {}
        ),
    }


def log_record(metrics: dict[str, Any], name: str) -> dict[str, Any]:
    """`run_record`'s fields that a finished run's training log holds (all but the padded
    scores), for a log kept without its run folder (the page's earlier published logs)."""
    hparams = metrics["hparams"]
    lstm = metrics["results"]["lstm"]
    return {
        "name": name,
        "augment": hparams.get("augment", "legacy"),
        # logs from before the --voices flag trained on today's voices
        "voices": hparams.get("voices", "base"),
        # logs without a seed come from runs without --seed: the default, 0
        "seed": metrics.get("seed", 0),
        "cpu": metrics.get("machine", {}).get("cpu"),
        "command": recipe_command(metrics["recipe"]["command"]),
        "epochs": hparams["max_epochs"],
        # the publishing rules ask whether a run went its whole budget; None in older logs
        "epochs_completed": metrics.get("epochs_completed"),
        "steps": metrics["steps"],
        "best_epoch": metrics["best_epoch"],
        "stopped": metrics["stopped"],
        "val_cer": round(metrics["best"]["val_cer"], 4),
        # the validation curve, one (epoch counted from 0, greedy CER) per epoch; records
        # collected before it was kept have no such key, and logs without a history give []
        "val_history": [
            {"epoch": e["epoch"], "val_cer": round(e["val_cer"], 4)}
            for e in metrics.get("history", [])
        ],
        "test_cer": {k: round(lstm[k]["greedy"]["cer"], 4) for k, _ in SETS if k in lstm},
        "test_cer_beam": {k: round(lstm[k]["beam"]["cer"], 4) for k, _ in SETS if k in lstm},
        "train_wall_time_s": round(metrics["train_wall_time_s"]),
        "process_cpu_s": metrics.get("process_cpu_s"),
    }


#: Silence added before and after each clip for the "padded" scores (a microphone recording
#: has pauses around the word; the test sets are trimmed to 0.08 s).
PAD_S = 0.25


def padded_scores(folder: Path, pad_s: float = PAD_S) -> dict[str, float]:
    """Greedy CER of the run's checkpoint on clips with ``pad_s`` of silence added each side:
    the validation voices (may be used to choose) and KLettres (test only).

    Cached in ``padded.json`` in the run's folder.
    """
    cache = folder / "padded.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    import numpy as np

    from rnn_site.data.speech import SynthesisConfig, Utterance, load_real_letters, load_speech
    from rnn_site.decoding.ctc import error_rates
    from rnn_site.train.speech import load_speech_model, transcribe_all

    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    data = load_speech(SynthesisConfig(**metrics["synthesis"]), progress=False)
    model, _ = load_speech_model(folder / "speech.pt")
    silence = np.zeros(round(pad_s * 16_000), np.float32)

    def cer(utterances: Sequence[Utterance]) -> float:
        padded = [
            Utterance(np.concatenate([silence, u.audio, silence]), u.label, u.voice, u.kind)
            for u in utterances
        ]
        refs = [u.label for u in utterances]
        return round(error_rates(refs, transcribe_all(model, padded))["cer"], 4)

    out = {"val": cer(data.val), "real": cer(load_real_letters())}
    cache.write_text(json.dumps(out) + "\n", encoding="utf-8")
    return out


def dtw_record(folder: Path) -> dict[str, float]:
    """The DTW template baseline's greedy CERs (the same in every run: same templates)."""
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    dtw = metrics["results"]["dtw"]
    return {k: round(dtw[k]["greedy"]["cer"], 4) for k, _ in SETS if k in dtw}


def collect(folders: Sequence[Path], machine: str, padded: bool = False) -> dict[str, Any]:
    """Every finished run in ``folders`` (unfinished ones are skipped) and the DTW baseline."""
    finished = [f for f in folders if is_finished(f)]
    runs = [run_record(f, padded) for f in finished]
    return {
        "schema": 1,
        "task": "speech recognition, augmentation ablation",
        "machine": machine,
        "chosen_on": "validation voices (synthetic espeak m2 variant); KLettres is test only",
        "metric": "character error rate, greedy decoding (beam: prefix beam, width 8)",
        "dtw": dtw_record(finished[0]) if finished else {},
        "runs": runs,
    }


def percent(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def table(results: dict[str, Any]) -> str:
    """The ablation as a Markdown table: one row per run, then DTW."""
    padded = ("val", "real")
    head = (
        "| run | --augment | epochs | val CER | "
        + " | ".join(t for _, t in SETS)
        + f" | padded {PAD_S} s: val | real (en + en_GB) |"
    )
    rows = [head, "|---|---|--:|--:|" + "--:|" * (len(SETS) + len(padded))]
    for r in results["runs"]:
        cells = [percent(r["test_cer"].get(k)) for k, _ in SETS]
        cells += [percent(r[f"padded_{PAD_S}s_cer"].get(k)) for k in padded]
        rows.append(
            f"| {r['name']} | `{r['augment']}` | {r['epochs']} | {percent(r['val_cer'])} | "
            + " | ".join(cells)
            + " |"
        )
    dtw = results.get("dtw") or {}
    if dtw:
        cells = [percent(dtw.get(k)) for k, _ in SETS] + ["–"] * len(padded)
        rows.append("| DTW templates | – | – | – | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    parser.add_argument("--padded", action="store_true", help="score silence-padded clips")
    parser.add_argument("--machine", default="2-core CPU machine, no GPU, shared (1 thread)")
    args = parser.parse_args(argv)
    results = collect(args.runs, args.machine, args.padded)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    text = table(results)
    if args.md:
        args.md.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
