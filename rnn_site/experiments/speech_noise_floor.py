"""A trim that finds the noise floor: does it cut hiss without costing clean or padded clips?

The runtime's trim (:func:`rnn_site.data.speech_trim.speech_span`) keeps every 10 ms frame
within 40 dB of the loudest one. Hiss 45 dB under the peak sample lies about 37 dB under the
loudest frame, so with hiss under a second of silence each side nothing is cut, and the
validation CER with hiss stays where it was untrimmed (``speech_silence.json``). The candidate
(:data:`NOISE_FLOOR`) also raises the level to 6 dB over the clip's noise floor (the 10th
percentile of its frame powers), at most to 30 dB under the loudest frame.

**Settings** were fixed before any clip was scored, from frame levels of 400 *training*
clips (seeded draw), no CER: with -45 dB hiss the quietest tenth of the frames lies about 33
to 42 dB under the loudest (median 37.6) and no whole frame of the hiss-only padding rises
more than 2.5 dB over that quantile, so 6 dB over it is clear of the hiss and -30 dB stays
above it; of the clean training clips, 25 of 400 change (25 ms less kept on average), none of
the padded ones. :func:`design_check` records these numbers in the results (``design_check``;
the hiss levels were added to it after the decision, from the same draw).

**The rule, fixed in writing before scoring** (:data:`RULE`, :func:`decide`): the published
checkpoint, greedy CER on the synthetic validation voices only, each clip trimmed by the
current trim (:data:`FIXED`) and by :data:`NOISE_FLOOR`. The noise-floor trim is adopted as the
runtime's trim only if its CER is no worse on the clean and on the padded clips, and lower on
the padded-with-hiss clips. KLettres stays test only: the test figures (synthetic words and
digits, KLettres en and en_GB, KLettres with 1 s of silence each side, with hiss too, and as
the files ship) are scored after the decision, for the record, and change nothing in it.
Eval only, 1 thread, a few minutes on 2 cores::

    python -m rnn_site.experiments.speech_noise_floor \\
        --json rnn_site/experiments/results/speech_noise_floor.json

The rule adopted it, so the runtime's trim (``TRIM``) has the noise floor, and the published
model's test scores were measured again with it, the weights untouched (``--rescore``:
`rnn_site.train.speech.rescore`, then `rnn_site.export.speech.refresh_card`)::

    python -m rnn_site.experiments.speech_noise_floor --rescore models/speech

Any training run's folder is rescored the same way (its card is refreshed only if it has one);
a checkpoint not called speech.pt is named as ``rnn-site export speech`` names it, and the
log rescored is the metrics.json beside it, the one that export reads
(``--rescore --checkpoint runs/x/speech-80.pt``).

The models the publishing decisions judged (speech_publish*.json, made with the fixed trims)
were scored again on validation with the noise floor afterwards, for the record only; the
decisions stand (``--candidates``, :func:`candidates`)::

    python -m rnn_site.experiments.speech_noise_floor --candidates \
        --json rnn_site/experiments/results/speech_publish_noise_floor.json

Later the session-7 publishing rule (`rnn_site.experiments.speech_silence.decide`, unchanged)
was applied again with the trim the site serves, to those recorded figures (:func:`republish`;
its caveats: :data:`REPUBLISH_CAVEATS`); the 80-epoch run passed and was published::

    python -m rnn_site.experiments.speech_noise_floor --republish \
        --json rnn_site/experiments/results/speech_publish_80_noise_floor.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.data.speech import Utterance, load_real_letters
from rnn_site.data.speech_trim import TrimSettings, frame_power, speech_span
from rnn_site.experiments.speech_silence import (
    HISS_DB,
    PAD_S,
    VALIDATION_SETS,
    Scorer,
    emit,
    mean_seconds,
    padded,
    shipped_letters,
    trimmed,
)

#: The trim the card shipped with before this experiment (-40 dB, 80 ms), spelled out so the
#: comparison stays the same whatever the runtime's trim becomes.
FIXED = TrimSettings(threshold_db=-40.0, margin_s=0.08)
#: The candidate: the same, plus the noise floor (settings from training clips' levels only).
NOISE_FLOOR = TrimSettings(
    threshold_db=-40.0, margin_s=0.08, floor_quantile=0.1, floor_margin_db=6.0, ceiling_db=-30.0
)
TRIMS = {"fixed": FIXED, "noise_floor": NOISE_FLOOR}
RULE = (
    "fixed before scoring: the published checkpoint, greedy CER on the synthetic validation "
    "voices only, each clip trimmed by the fixed trim and by the noise-floor trim; the "
    "noise-floor trim is adopted only if its CER is no worse on the clean and on the padded "
    "clips and lower on the padded-with-hiss clips. Test clips (synthetic and KLettres) are "
    "scored after the decision and do not enter it"
)
#: Training clips drawn for the level check behind the settings (no CER).
DESIGN_CLIPS = 400


def validation(scorer: Scorer) -> dict[str, dict[str, float]]:
    """Greedy validation CER per trim (clean, padded, padded with hiss) and untrimmed."""
    val = scorer.data.val
    sets = dict(zip(VALIDATION_SETS, (val, padded(val), padded(val, HISS_DB)), strict=True))
    out = {"untrimmed": {k: scorer.cer(v) for k, v in sets.items()}}
    for name, settings in TRIMS.items():
        out[name] = {k: scorer.cer(trimmed(v, settings)) for k, v in sets.items()}
    return out


def decide(val: dict[str, dict[str, float]]) -> dict[str, Any]:
    """:data:`RULE` on :func:`validation`'s CERs: per set, and whether to adopt."""
    old, new = val["fixed"], val["noise_floor"]
    checks = {
        "val": new["val"] <= old["val"],
        "val_padded": new["val_padded"] <= old["val_padded"],
        "val_padded_hiss": new["val_padded_hiss"] < old["val_padded_hiss"],
    }
    return {
        "checks": {
            k: {"fixed": old[k], "noise_floor": new[k], "passes": ok} for k, ok in checks.items()
        },
        "adopt": all(checks.values()),
    }


def design_check(train: Sequence[Utterance]) -> dict[str, Any]:
    """How :data:`NOISE_FLOOR` cuts training clips, against :data:`FIXED` (no CER): clean clips
    changed, padded ones changed, and seconds kept with hiss against padded without."""
    rng = np.random.default_rng(0)
    clips = [train[i] for i in rng.choice(len(train), DESIGN_CLIPS, replace=False)]
    lost = []
    for u in clips:
        (a, b), (c, d) = speech_span(u.audio, FIXED), speech_span(u.audio, NOISE_FLOOR)
        if (a, b) != (c, d):
            lost.append((b - a) - (d - c))
    pads, hiss = padded(clips), padded(clips, HISS_DB)
    # Where the floor lands with hiss: the quantile under the loudest frame, and how far the
    # pure-hiss frames (the padding, clear of the speech) rise over the quantile.
    under, over = [], []
    frame, pad, q = NOISE_FLOOR.frame, round(PAD_S * 16_000), NOISE_FLOOR.floor_quantile or 0.0
    for u, clip in zip(hiss, clips, strict=True):
        power = 10 * np.log10(frame_power(u.audio, frame))
        floor = np.sort(power)[int(q * (len(power) - 1))]
        under.append(float(power.max() - floor))
        # whole frames inside the padding: before the speech, and after it but for a last,
        # shorter frame (whose few samples make its power noisier than the rule's frames)
        after = -(-(pad + len(clip.audio)) // frame)
        hiss_only = np.concatenate([power[: pad // frame], power[after : len(u.audio) // frame]])
        over.append(float(hiss_only.max() - floor))
    return {
        "clips": len(clips),
        "clean_changed": len(lost),
        "clean_mean_s_less": round(float(np.mean(lost)) / 16_000, 3) if lost else 0.0,
        "padded_changed": sum(
            speech_span(u.audio, FIXED) != speech_span(u.audio, NOISE_FLOOR) for u in pads
        ),
        "seconds_padded_fixed": mean_seconds(trimmed(pads, FIXED)),
        "seconds_hiss_fixed": mean_seconds(trimmed(hiss, FIXED)),
        "seconds_hiss_noise_floor": mean_seconds(trimmed(hiss, NOISE_FLOOR)),
        "hiss_floor_db_under_loudest": {
            "min": round(min(under), 1),
            "median": round(float(np.median(under)), 1),
            "max": round(max(under), 1),
        },
        "hiss_frames_db_over_floor_max": round(max(over), 1),
    }


def figures_on_test(scorer: Scorer) -> dict[str, Any]:
    """Greedy CER per test set with each trim (scored only after :func:`decide`)."""
    from rnn_site.train.speech import groups

    sets = groups(scorer.data.test, load_real_letters(), trim=False)
    real = sets["real_en"] + sets["real_en_GB"]
    sets |= {
        "real_padded": padded(real),
        "real_padded_hiss": padded(real, HISS_DB),
        "real_shipped": shipped_letters(),
    }
    out = {}
    for name, utterances in sets.items():
        row: dict[str, Any] = {"n": len(utterances), "untrimmed": scorer.cer(utterances)}
        for trim, settings in TRIMS.items():
            cut = trimmed(utterances, settings)
            row[trim] = scorer.cer(cut)
            row[f"seconds_{trim}"] = mean_seconds(cut)
        out[name] = row
    return out


def measure(checkpoint: Path) -> dict[str, Any]:
    """The decision on validation, then the test figures."""
    scorer = Scorer(checkpoint)
    val = validation(scorer)
    decision = decide(val)
    return {
        "schema": 1,
        "task": "speech recognition: a trim that estimates the noise floor, against the fixed one",
        "machine": "2-core CPU machine, no GPU, shared (1 thread)",
        "model": f"{checkpoint} (eval only)",
        "metric": "character error rate, greedy decoding",
        "pad_s": PAD_S,
        "hiss_db": HISS_DB,
        "trims": {name: s.to_dict() for name, s in TRIMS.items()},
        "rule": RULE,
        "design_check": design_check(scorer.data.train),
        "validation": val,
        "decision": decision,
        "test": figures_on_test(scorer),
    }


#: The publishing decisions made with the fixed trims, before the noise floor: the candidate's
#: name (as the page's data:speech:publish… keys) → its decision file.
DECISIONS = {
    "publish": "speech_publish.json",
    "publish-hiss": "speech_publish_hiss.json",
    "publish-hiss40": "speech_publish_hiss40.json",
}
CANDIDATES_NOTE = (
    "for the record only: each decision was made by its rule with the fixed trim chosen for "
    "each model on validation (chosen_on), before the noise floor, and stands; no decision is "
    "made again from these figures. Each model's validation clips are scored again with its "
    "chosen trim (which must give the decision's figures) and with the runtime's trim (TRIM, "
    "the noise floor), as the card would cut them"
)


def candidates(results_dir: Path) -> dict[str, Any]:
    """Validation CER (clean, padded, padded with hiss) of the published model and of each
    candidate the decisions judged, with the fixed trim chosen for it and with the runtime's
    noise-floor trim: :data:`CANDIDATES_NOTE`. Raises if a chosen trim no longer gives the
    decision's figures (the checkpoint or data changed)."""
    from rnn_site.data.speech_trim import TRIM

    models: dict[str, dict[str, Any]] = {}
    for run, name in DECISIONS.items():
        decision = json.loads((results_dir / name).read_text("utf-8"))
        for who in ("published", "candidate"):
            key = "published" if who == "published" else run
            if key in models:
                continue
            checkpoint = Path(decision["checkpoints"][who])
            chosen = TrimSettings(**decision[who]["chosen"])
            scorer = Scorer(checkpoint)
            val = scorer.data.val
            sets = dict(zip(VALIDATION_SETS, (val, padded(val), padded(val, HISS_DB)), strict=True))
            row = {
                "checkpoint": str(checkpoint),
                "decision": name,
                "epochs": decision["runs"][who]["epochs"],
                "chosen_trim": chosen.to_dict(),
                "chosen": {k: scorer.cer(trimmed(v, chosen)) for k, v in sets.items()},
                "noise_floor": {k: scorer.cer(trimmed(v, TRIM)) for k, v in sets.items()},
            }
            if row["chosen"] != decision[who]["with_chosen"]:
                raise RuntimeError(
                    f"{checkpoint}: the chosen trim gives {row['chosen']}, the decision "
                    f"{name} recorded {decision[who]['with_chosen']}"
                )
            models[key] = row
    return {
        "schema": 1,
        "task": "speech recognition: the publishing decisions' models, scored again with the "
        "noise-floor trim",
        "machine": "2-core CPU machine, no GPU, shared (1 thread)",
        "metric": "character error rate, greedy decoding, validation voices (synthetic)",
        "pad_s": PAD_S,
        "hiss_db": HISS_DB,
        "runtime_trim": TRIM.to_dict(),
        "note": CANDIDATES_NOTE,
        "models": models,
    }


#: The session-7 publishing rule (speech_silence.decide), applied again with the runtime's trim.
REPUBLISH_CAVEATS = (
    "the rule is session 7's, unchanged (speech_silence.PUBLISH_RULE); only its trim input "
    "changed, to the trim the site now serves (the noise floor, adopted under its own rule on "
    "the published model). The figures it is applied to were seen before this re-application "
    "(speech_publish_noise_floor.json, scored for the record). Several candidates have gone "
    "through the rule (the 80-epoch run, the hiss run, its 40-epoch rerun): a mild multiple "
    "comparison. The candidate's test figures, KLettres included (scored by its training run "
    "with the fixed trim), were in its log and the session notes before; the rule reads none "
    "of them"
)


def republish(rescored: dict[str, Any], candidate: str = "publish") -> dict[str, Any]:
    """The session-7 rule (`speech_silence.decide`: no worse on each of the clean, padded and
    padded-with-hiss validation clips) on ``rescored`` (:func:`candidates`' output): the
    published model against ``candidate``, each cut by the runtime's trim instead of the fixed
    trim chosen for it. Scores nothing: the inputs are the recorded figures."""
    from rnn_site.experiments.speech_silence import PUBLISH_RULE
    from rnn_site.experiments.speech_silence import decide as publish_decision

    models = rescored["models"]
    inputs = {
        who: models[key] for who, key in (("published", "published"), ("candidate", candidate))
    }
    decision = publish_decision(
        *({"with_chosen": inputs[who]["noise_floor"]} for who in ("published", "candidate"))
    )
    return {
        "schema": 1,
        "task": "speech recognition: does a candidate replace the published model, judged with "
        "the runtime's trim?",
        "machine": rescored["machine"],
        "metric": rescored["metric"],
        "rule": PUBLISH_RULE,
        "trim": "the runtime's trim for both models (runtime_trim), in place of the fixed trim "
        "chosen for each on validation",
        "runtime_trim": rescored["runtime_trim"],
        "inputs": "rnn_site/experiments/results/speech_publish_noise_floor.json",
        "runs": {
            who: {"checkpoint": m["checkpoint"], "epochs": m["epochs"], "decision": m["decision"]}
            for who, m in inputs.items()
        },
        "published_until": "the published model is the one models/speech held when the rule "
        "was applied; a passing candidate's checkpoint and log are copied there and exported",
        "caveats": REPUBLISH_CAVEATS,
        "decision": decision,
    }


#: The checkpoint the experiment and a bare ``--rescore`` read (as ``rnn-site export speech``).
PUBLISHED = Path("models/speech/speech.pt")


class RescoreInputError(ValueError):
    """A rescore's folder, checkpoint or log is missing: `main` prints one ``error:`` line."""


def rescore_checkpoint(folder: Path | None, checkpoint: Path | None) -> Path:
    """The checkpoint ``--rescore [DIR] [--checkpoint FILE]`` names: FILE as
    ``rnn-site export speech --checkpoint`` takes it, else DIR/speech.pt (what training
    writes). Its log is the metrics.json beside it, the one the export reads, so FILE must lie
    in DIR when both are given. Checked before anything is scored or written."""
    if folder is not None and not folder.is_dir():
        raise RescoreInputError(f"no folder {folder}: --rescore takes a training run's folder")
    if checkpoint is None:
        checkpoint = folder / "speech.pt" if folder is not None else PUBLISHED
    elif folder is not None and checkpoint.resolve().parent != folder.resolve():
        raise RescoreInputError(
            f"--checkpoint {checkpoint} is not in --rescore {folder}: the rescore rewrites the "
            "metrics.json beside the checkpoint (the log `rnn-site export speech` reads); "
            "give the checkpoint alone"
        )
    if not checkpoint.is_file():
        raise RescoreInputError(
            f"no checkpoint at {checkpoint}; name the file `rnn-site train speech` wrote with "
            "--checkpoint"
        )
    if not checkpoint.with_name("metrics.json").is_file():
        raise RescoreInputError(
            f"no training log at {checkpoint.with_name('metrics.json')}: the rescore measures "
            "a training run's test scores again and needs the log its run wrote"
        )
    return checkpoint


def rescore_run(checkpoint: Path, command: str) -> str:
    """Score ``checkpoint``'s test sets again with the runtime's trim into the metrics.json
    beside it (`rnn_site.train.speech.rescore`), then refresh the card there if there is one
    (a training run's folder has none) → what was written, for the output."""
    from rnn_site.train.speech import rescore

    rescore(checkpoint.parent, command, checkpoint=checkpoint)
    return f"rescored: {checkpoint.with_name('metrics.json')}\n" + refresh_card_if_any(checkpoint)


def refresh_card_if_any(checkpoint: Path) -> str:
    """Refresh the card beside ``checkpoint`` from its rescored log, if it has one → the line
    that says which: a training run's folder has no card until the export writes one."""
    from rnn_site.export.speech import refresh_card

    folder = checkpoint.parent
    if not (folder / "card.json").is_file():
        return (
            f"no card.json in {folder}, so no card to refresh; publish the rescored run with "
            f"`rnn-site export speech --checkpoint {checkpoint}`\n"
        )
    paths = refresh_card(folder)
    return "".join(f"{kind:>9}: {path}\n" for kind, path in paths.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        help=f"the checkpoint to measure, or to rescore (default: {PUBLISHED}; with --rescore "
        "DIR: DIR/speech.pt)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--rescore",
        type=Path,
        nargs="?",
        const=True,  # a bare --rescore: the run of --checkpoint (default: the published one)
        metavar="MODEL_DIR",
        help="score the test sets of MODEL_DIR/speech.pt (or of --checkpoint) again with the "
        "runtime's trim, into the metrics.json beside it; refresh the card there if it has one",
    )
    parser.add_argument(
        "--candidates",
        action="store_true",
        help="score the publishing decisions' models on validation with the noise floor "
        "(for the record; the decisions stand)",
    )
    parser.add_argument(
        "--republish",
        action="store_true",
        help="apply the publishing rule to the recorded noise-floor figures of the published "
        "model and the 80-epoch run (scores nothing)",
    )
    args = parser.parse_args(argv)
    if args.republish:
        results = Path(__file__).with_name("results")
        rescored = json.loads((results / "speech_publish_noise_floor.json").read_text("utf-8"))
        emit(republish(rescored), args.json)
        return 0
    import torch

    torch.set_num_threads(1)
    if args.rescore:
        folder = args.rescore if isinstance(args.rescore, Path) else None
        try:
            checkpoint = rescore_checkpoint(folder, args.checkpoint)
        except RescoreInputError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        named = f" --checkpoint {checkpoint}" if args.checkpoint else ""
        command = f"python -m rnn_site.experiments.speech_noise_floor --rescore {folder or ''}"
        sys.stdout.write(rescore_run(checkpoint, command.rstrip() + named))
        return 0
    if args.candidates:
        emit(candidates(Path(__file__).with_name("results")), args.json)
        return 0
    emit(measure(args.checkpoint or PUBLISHED), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
