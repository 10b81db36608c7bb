"""The speech page's measured story: the augmentation ablation, silence, letter confusions, targets.

Generators of the page-data hook (`rnn_site.sitebuild.page_data`), each reading one committed
file, so the page cannot drift from what was measured. Two kinds: those about the model
published now read models/speech (the card, its training log); those about the model published
before the split fix (issue 18: its British test and validation voices were the training
voice) read that model's log, kept as `BEFORE_FIX`, through `before_fix_log`, so they stay
true when models/speech changes:

- ``<!-- data:speech:table.ablation -->``: what each augmentation bought on the real voices
  (rnn_site/experiments/results/speech_ablation.json); ``<!-- data:speech:ablation:RUN.SET -->``
  one of its CERs (SET: ``real`` for both KLettres speakers, or a test set of the card, or
  ``val``), as a percentage, or its epoch budget (SET ``epochs``);
  ``<!-- data:speech:ablation-letters:RUN.SPEAKER -->`` how many letters a run heard wrong
  fewer (or more) than no augmentation at its budget, for one KLettres speaker;
- ``<!-- data:speech:table.ablation-seeds -->``: one ablation command's row and its reruns with
  other seeds on another CPU (rnn_site/experiments/results/speech_ablation_seeds.json), with
  the spread across seeds and between the CPUs; ``<!-- data:speech:ablation-seeds:KEY -->``
  those spreads beside the gaps that chose the recipe, the reruns' CPU, and the most letters
  the seed moved a KLettres speaker (`ablation_seeds_value`);
- ``<!-- data:speech:table.voices -->``: the model published before the split fix, its recipe
  rerun on one machine (A) and the same with ``--voices more`` (B), with any seed reruns of A
  (rnn_site/experiments/results/speech_voices.json), and their differences in points;
  ``<!-- data:speech:voices:KEY -->`` the verdict of speech_voices_rule.md as a sentence, one
  run's figure, a difference in words, or a count (`voices_value`);
  ``<!-- data:speech:table.voices-curves -->`` their validation CER every 10 epochs;
- ``<!-- data:speech:unvaried:KEY -->``: the held-out words CER of the model published before
  the split fix without the test voices that espeak-ng made the same as a training voice
  (`UNVARIED_ACCENTS`), from its training log's per-voice accuracy, and how many clips of
  each split those voices said (`unvaried_value`);
- ``<!-- data:speech:table.split-fix -->``: that model, its weights on the corrected test sets,
  its recipe rerun on the old split (run A of speech_voices.json) and the recipe retrained on
  the corrected data, with the CPU that trained each
  (rnn_site/experiments/results/speech_split_fix.json, checked against the logs and the record
  it was collected from); ``<!-- data:speech:split-fix:fix -->`` a sentence on whether each
  change from A to the last row (the closest baseline: same machine, only the split and the
  commit differ) is within what seed 1 changed on the old recipe, and
  ``<!-- data:speech:split-fix:machine -->`` the same for the first row to A
  (`split_fix_changes`); ``<!-- data:speech:table.published-curve -->`` the published
  model's validation curve, as the voices curves show theirs;
- ``<!-- data:speech:real-clips:WHO -->``: how many KLettres clips the real-voice CERs are
  over (WHO ``speaker`` or ``both``), and ``<!-- data:speech:clip-points:WHO -->`` what one
  clip is worth in percentage points of that CER;
- ``<!-- data:speech:table.silence -->`` and ``<!-- data:speech:silence:SET.KEY -->``: CER with
  and without the silence trim (rnn_site/experiments/results/speech_silence.json);
- ``<!-- data:speech:publish:WHO.KEY -->``: the validation-only decision on replacing the
  published model by the 80-epoch run (rnn_site/experiments/results/speech_publish.json): WHO
  ``published`` or ``candidate``; KEY a validation set's CER with that model's chosen trim
  (``val``, ``val_padded``, ``val_padded_hiss``), or its run's ``epochs``;
  ``<!-- data:speech:publish-hiss:WHO.KEY -->`` the same for the run trained with hiss under
  its silence (speech_publish_hiss.json), and ``publish-hiss40`` for its rerun without early
  stopping (speech_publish_hiss40.json);
- ``<!-- data:speech:publish-80:WHO.KEY -->``: the same rule applied again with the runtime's
  trim (the noise floor) to the 80-epoch run, which passed and was published
  (rnn_site/experiments/results/speech_publish_80_noise_floor.json);
- ``<!-- data:speech:earlier:SET -->``: a greedy test CER of the 40-epoch model published
  before it (its log, rnn_site/experiments/results/recipes/speech-earlier-40-epochs.json):
  SET a card test set, or ``real`` (both KLettres speakers), or ``epochs`` its epoch count (as
  in "the <!-- data:speech:earlier:epochs -->-epoch model"); ``<!-- data:speech:before-fix:SET
  -->`` the same for the 80-epoch model published before the split fix (`before_fix_log`);
  ``<!-- data:speech:best-epoch -->`` the published model's best epoch, counting from 1;
- ``<!-- data:speech:table.recipes -->``: the published recipe and the earlier one
  (`rnn_site.sitebuild.recipes.recipes_table`);
- ``<!-- data:speech:table.noise-floor -->``: CER with the fixed trim and with the noise floor,
  the validation sets that decided and the test sets read after
  (rnn_site/experiments/results/speech_noise_floor.json); ``<!-- data:speech:noise-floor:KEY
  -->`` one value: ``val.TRIM.SET`` or ``test.TRIM.SET`` (TRIM ``fixed`` or ``noise_floor``) a
  CER, ``settings.percentile`` / ``settings.margin`` / ``settings.ceiling`` the noise floor's
  quantile (percent), dB over it, and dB under the loudest frame it stops at;
- ``<!-- data:speech:table.publish-noise-floor -->``: the publishing decisions' models on the
  validation voices with the fixed trim each was judged with and with the noise floor, scored
  after the decisions for the record (rnn_site/experiments/results/speech_publish_noise_floor.json);
  ``<!-- data:speech:publish-noise-floor:MODEL.TRIM.SET -->`` one of its CERs (MODEL
  ``published``, ``publish``, ``publish-hiss`` or ``publish-hiss40``; TRIM ``chosen`` or
  ``noise_floor``; SET ``val``, ``val_padded`` or ``val_padded_hiss``);
- ``<!-- data:speech:table.confusion -->``: what the model heard for each letter said by the two
  KLettres speakers, from the card's test transcripts; ``<!-- data:speech:confusion:GROUP -->``
  how many of a group's letters it heard right (GROUP ``e-set`` or ``others``);
  ``<!-- data:speech:e-set:WHICH -->`` the E-set letters it heard wrong from either speaker
  (WHICH ``wrong``) or right from both (``right``), as "B, D, G";
  ``<!-- data:speech:as-digits:WHICH -->`` the letters it heard as digits, as "J, Q, U"
  (WHICH ``letters``), or by speaker and by what was heard, as 'the British speaker's J as "5"
  and U as "0"' (``by-speaker``); ``<!-- data:speech:both-speakers:WHICH -->`` the letters it
  heard wrong from both speakers (``wrong``; ``wrong-others`` those outside the E-set) or
  right from both (``right``);
- ``<!-- data:speech:word-errors:KEY -->``: the published model's errors on the held-out test
  words, all of them (rnn_site/experiments/results/speech_confusions.json, checked against the
  card's CER): KEY ``wrong``, ``n``, ``with-a-digit`` (errors where a digit is said or heard),
  or ``top-K`` the K commonest confusions ("2 as 4 (12), ...");
- ``<!-- data:speech:table.targets -->``: the targets of the published model against the card;
  ``<!-- data:speech:targets:sentence -->`` / ``targets:limit`` how many it meets, in words.
- ``<!-- data:speech:train-minutes -->``: the published run's training time in whole minutes
  (its training log).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_site.data.speech import E_SET
from rnn_site.sitebuild.page_data import (
    PageDataError,
    cpu_name,
    generator,
    model_file,
    read_json,
    results_file,
)

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results"
ABLATION = RESULTS / "speech_ablation.json"
SILENCE = RESULTS / "speech_silence.json"
PUBLISH = RESULTS / "speech_publish.json"
PUBLISH_HISS = RESULTS / "speech_publish_hiss.json"
PUBLISH_HISS40 = RESULTS / "speech_publish_hiss40.json"
NOISE_FLOOR = RESULTS / "speech_noise_floor.json"
PUBLISH_NOISE_FLOOR = RESULTS / "speech_publish_noise_floor.json"
PUBLISH_80 = RESULTS / "speech_publish_80_noise_floor.json"
EARLIER = RESULTS / "recipes" / "speech-earlier-40-epochs.json"
#: The training log of the model published before the split fix (issue 18), the 80-epoch run
#: whose British espeak test and validation voices were the training voice
#: (`UNVARIED_ACCENTS`). What the page says about "the model published before the fix" reads
#: it (`before_fix_log`), whatever models/speech holds now.
BEFORE_FIX = RESULTS / "recipes" / "speech-earlier-en-gb-split.json"
SPLIT_FIX = RESULTS / "speech_split_fix.json"
CONFUSIONS = RESULTS / "speech_confusions.json"
SEEDS = RESULTS / "speech_ablation_seeds.json"
VOICES = RESULTS / "speech_voices.json"
VOICES_RULE = RESULTS / "speech_voices_rule.md"

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SPEAKERS = (("real_en", "American speaker"), ("real_en_GB", "British speaker"))
#: The test sets of an ablation row, in the ablation table's order: (key, column title).
ABLATION_SETS = (
    ("tts_isolated", "held-out words"),
    ("tts_connected", "digit strings"),
    ("real_en", "real en"),
    ("real_en_GB", "real en_GB"),
)
#: The same sets as the split-fix table titles them.
SPLIT_FIX_SETS = (
    ("tts_isolated", "held-out words"),
    ("tts_connected", "digit strings"),
    ("real_en", "American speaker"),
    ("real_en_GB", "British speaker"),
)

#: The targets set for the published model (issue 18): (card metric, at most, label).
TARGETS = (
    ("tts_isolated", 0.15, "held-out voices, words (and below DTW)"),
    ("tts_connected", 0.08, "held-out voices, digit strings"),
    ("real_en", 0.20, "real speaker, American English"),
    ("real_en_GB", 0.35, "real speaker, British English"),
)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def real_cer(run: dict[str, Any]) -> float:
    """CER over both KLettres speakers (26 letters each, so the mean of the two)."""
    cer = run["test_cer"]
    return (cer["real_en"] + cer["real_en_GB"]) / 2


def before_fix_log() -> dict[str, Any]:
    """The training log of the model published before the split fix (`BEFORE_FIX`): every
    figure the page gives for that model comes through here. PageDataError unless its test
    set is the old split's (its per-voice accuracies name the ``en-gb`` British test voices)."""
    from rnn_site.experiments.speech_split_fix import spelling

    log = read_json(BEFORE_FIX)
    try:
        accent = spelling(log)
    except ValueError as error:
        raise PageDataError(f"{BEFORE_FIX.name}: {error}") from None
    if accent != "en-gb":
        raise PageDataError(
            f"{BEFORE_FIX.name} was scored with the {accent!r} British test voices; it must be "
            "the log of the model published before the split fix (en-gb)"
        )
    return log


def _runs() -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in read_json(ABLATION)["runs"]}


@generator("speech", "table.ablation")
def ablation_table(models_dir: Path) -> str:
    """One row per training run: real-voice CER, its change against no augmentation at the
    same budget, and the synthetic sets."""
    runs = _runs()
    # The control of a run: no augmentation, the same number of epochs (if there is one).
    controls = {r["epochs"]: r for r in runs.values() if r["augment"] == "none"}
    lines = [
        "| augmentation (`--augment`) | epochs | real voices: CER | vs none (points) | real en | "
        "real en_GB | held-out words | digit strings | validation |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs.values():
        control = controls.get(run["epochs"])
        change = (
            "–"
            if control is None or control is run
            else f"{100 * (real_cer(run) - real_cer(control)):+.1f}"
        )
        cer = run["test_cer"]
        lines.append(
            f"| `{run['augment']}` | {run['epochs']} | {pct(real_cer(run))} | "
            f"{change} | {pct(cer['real_en'])} | "
            f"{pct(cer['real_en_GB'])} | {pct(cer['tts_isolated'])} | "
            f"{pct(cer['tts_connected'])} | {pct(run['val_cer'])} |"
        )
    return "\n".join(lines)


@generator("speech", "ablation", argument=True)
def ablation_value(models_dir: Path, spec: str) -> str:
    """``RUN.SET``: one CER of one run, as a percentage (``real``: both KLettres speakers)."""
    name, _, which = spec.rpartition(".")
    run = _runs().get(name)
    if run is None:
        raise PageDataError(f"data:speech:ablation:{spec}: no run {name!r} in {ABLATION.name}")
    if which == "real":
        return pct(real_cer(run))
    if which == "epochs":
        return str(run["epochs"])
    if which == "val":
        return pct(run["val_cer"])
    if which not in run["test_cer"]:
        raise PageDataError(f"data:speech:ablation:{spec}: no test set {which!r}")
    return pct(run["test_cer"][which])


def letters_gained(models_dir: Path, run: dict[str, Any], speaker: str) -> int:
    """How many letters ``run`` heard wrong fewer than the no-augmentation run of its budget,
    for one KLettres speaker (negative: more); one clip per letter."""
    controls = {r["epochs"]: r for r in _runs().values() if r["augment"] == "none"}
    control = controls.get(run["epochs"])
    if control is None:
        raise PageDataError(f"{ABLATION.name}: no run without augmentation over {run['epochs']}")
    n = real_clips(models_dir, "speaker")
    return round((control["test_cer"][speaker] - run["test_cer"][speaker]) * n)


@generator("speech", "ablation-letters", argument=True)
def ablation_letters(models_dir: Path, spec: str) -> str:
    """``RUN.SPEAKER`` (``real_en`` or ``real_en_GB``): how many letters the run heard wrong
    fewer than no augmentation at the same budget (refused where it heard more: the page's
    sentences read it as a gain)."""
    name, _, speaker = spec.rpartition(".")
    run = _runs().get(name)
    if run is None or speaker not in dict(SPEAKERS):
        raise PageDataError(
            f"data:speech:ablation-letters:{spec}: expected RUN.SPEAKER with RUN a row of "
            f"{ABLATION.name} and SPEAKER one of {', '.join(dict(SPEAKERS))}"
        )
    gained = letters_gained(models_dir, run, speaker)
    if gained < 0:
        raise PageDataError(f"data:speech:ablation-letters:{spec}: {-gained} letters more wrong")
    return str(gained)


# ----------------------------------------------------------- the ablation's noise, by seed


def seed_runs() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The reruns of one ablation command with other seeds (speech_ablation_seeds.json), in
    seed order, and that command's row of the ablation: the row with their ``--augment``,
    voices and epochs."""
    runs = sorted(read_json(SEEDS)["runs"], key=lambda r: r["seed"])
    recipes = {(r["augment"], r["voices"], r["epochs"]) for r in runs}
    if len(recipes) != 1 or len({r["seed"] for r in runs}) != len(runs) or len(runs) < 2:
        raise PageDataError(
            f"{SEEDS.name}: expected one recipe run with two or more distinct seeds, got "
            f"{sorted(recipes)} with seeds {[r['seed'] for r in runs]}"
        )
    ((augment, voices, epochs),) = recipes
    rows = [
        r
        for r in read_json(ABLATION)["runs"]
        if (r["augment"], r.get("voices", "base"), r["epochs"]) == (augment, voices, epochs)
    ]
    if len(rows) != 1:
        raise PageDataError(
            f"{ABLATION.name}: {len(rows)} rows of --augment {augment} over {epochs} epochs; "
            "the seed reruns need exactly one to compare with"
        )
    return runs, rows[0]


def spread(values: Sequence[float]) -> float:
    return max(values) - min(values)


def seed_noise(runs: Sequence[dict[str, Any]], row: dict[str, Any]) -> dict[str, Any]:
    """How far validation CER moves with the seed, and with the machine (the reruns' run with
    the ablation row's seed against the row), next to the gaps that chose the recipe.

    The choice was made among the single-change rows of the reruns' budget (and ``none``):
    the recipe's parts are its ``--augment`` list. ``gap`` is how far the worst of them was
    ahead of the best change left out; ``close`` counts the pairs of those rows whose
    validation CERs are nearer than the seed spread."""
    seeds = spread([r["val_cer"] for r in runs])
    same_seed = [r for r in runs if r["seed"] == row.get("seed", 0)]
    if len(same_seed) != 1:
        raise PageDataError(f"{SEEDS.name}: no rerun with the ablation row's seed")
    machines = abs(same_seed[0]["val_cer"] - row["val_cer"])
    parts = row["augment"].split(",")
    single = [
        r
        for r in read_json(ABLATION)["runs"]
        if r["epochs"] == row["epochs"] and "," not in r["augment"]
        and r["augment"] not in ("legacy", "all")
    ]  # fmt: skip
    kept = [r for r in single if r["augment"] in parts]
    left_out = [r for r in single if r["augment"] not in parts and r["augment"] != "none"]
    if len(kept) != len(parts) or not left_out:
        raise PageDataError(
            f"{ABLATION.name}: the {row['epochs']}-epoch single-change rows lack a part of "
            f"{row['augment']} or a change left out"
        )
    worst = max(kept, key=lambda r: r["val_cer"])
    best = min(left_out, key=lambda r: r["val_cer"])
    pairs = [(a, b) for i, a in enumerate(single) for b in single[i + 1 :]]
    close = sum(abs(a["val_cer"] - b["val_cer"]) < seeds for a, b in pairs)
    return {
        "seeds": seeds,
        "machines": machines,
        "kept_worst": worst,
        "left_out_best": best,
        "gap": best["val_cer"] - worst["val_cer"],
        "close": close,
        "pairs": len(pairs),
    }


def points(x: float) -> str:
    """A difference of CERs in percentage points, one decimal."""
    return f"{100 * x:.1f}"


@generator("speech", "table.ablation-seeds")
def ablation_seeds_table(models_dir: Path) -> str:
    """The ablation row of one command and its reruns with other seeds on another machine;
    then the spread (max − min) across the seeds, and the validation difference between the
    two machines at the same seed."""
    runs, row = seed_runs()
    head = "| run | CPU | seed | validation | " + " | ".join(t for _, t in ABLATION_SETS) + " |"
    lines = [head, "|---|---|--:|--:|" + "--:|" * len(ABLATION_SETS)]

    def line(label: str, run: dict[str, Any]) -> str:
        cells = [pct(run["val_cer"])] + [pct(run["test_cer"][k]) for k, _ in ABLATION_SETS]
        cpu = cpu_name(run["cpu"]) if run.get("cpu") else "the ablation's"
        return f"| {label} | {cpu} | {run.get('seed', 0)} | " + " | ".join(cells) + " |"

    lines.append(line(f"ablation row, `{row['augment']}`", row))
    lines += [line("rerun", run) for run in runs]
    spreads = [spread([r["val_cer"] for r in runs])]
    spreads += [spread([r["test_cer"][k] for r in runs]) for k, _ in ABLATION_SETS]
    seeds = ", ".join(str(r["seed"]) for r in runs)
    lines.append(
        f"| spread across seeds (points) | {cpu_name(runs[0]['cpu'])} | {seeds} | "
        + " | ".join(points(s) for s in spreads)
        + " |"
    )
    machines = seed_noise(runs, row)["machines"]
    lines.append(
        f"| difference between the CPUs (points) | both | {row.get('seed', 0)} | "
        f"{points(machines)} | " + " | ".join("–" for _ in ABLATION_SETS) + " |"
    )
    return "\n".join(lines)


@generator("speech", "ablation-seeds", argument=True)
def ablation_seeds_value(models_dir: Path, key: str) -> str:
    """``spread-seeds`` / ``spread-machines`` / ``gap`` (points), ``kept-worst`` /
    ``left-out-best`` ("`silence` (12.6%)"), ``close-pairs`` ("21 of 28"), ``seeds``
    ("0, 1 and 2"), ``cpu`` (the reruns' CPU, "AMD EPYC") or ``speaker-letters`` (the most
    letters the seed moved one KLettres speaker: the spread across seeds, in letters)."""
    runs, row = seed_runs()
    noise = seed_noise(runs, row)
    cpus = {cpu_name(r.get("cpu")) for r in runs}
    n = real_clips(models_dir, "speaker")

    def named(run: dict[str, Any]) -> str:
        return f"`{run['augment']}` ({pct(run['val_cer'])})"

    values = {
        "spread-seeds": lambda: points(noise["seeds"]),
        "spread-machines": lambda: points(noise["machines"]),
        "gap": lambda: points(noise["gap"]),
        "kept-worst": lambda: named(noise["kept_worst"]),
        "left-out-best": lambda: named(noise["left_out_best"]),
        "close-pairs": lambda: f"{noise['close']} of {noise['pairs']}",
        "seeds": lambda: " and ".join(
            [", ".join(str(r["seed"]) for r in runs[:-1]), str(runs[-1]["seed"])]
        ),
        "cpu": lambda: one_cpu(cpus),
        "speaker-letters": lambda: str(
            max(round(spread([r["test_cer"][k] for r in runs]) * n) for k, _ in SPEAKERS)
        ),
    }
    if key not in values:
        raise PageDataError(
            f"data:speech:ablation-seeds:{key}: expected one of {', '.join(values)}"
        )
    return values[key]()


def one_cpu(cpus: set[str]) -> str:
    if len(cpus) != 1:
        raise PageDataError(f"{SEEDS.name}: the seed reruns ran on {sorted(cpus)}, not one CPU")
    (cpu,) = cpus
    return cpu


# ------------------------------------------- more voices, and the published recipe rerun


def pct2(x: float) -> str:
    """A validation CER, two decimals: the 80-epoch runs differ by tenths of a point there."""
    return f"{100 * x:.2f}%"


#: The role of the model published before the split fix among the voices runs: the rule of
#: speech_voices_rule.md compared with it, and A reran its recipe.
BEFORE = "before-fix"


def voices_runs(models_dir: Path) -> dict[str, dict[str, Any]]:
    """The runs of speech_voices.json by role, and the log of the model published then (before
    the split fix, `before_fix_log`) as a row of the same shape (the collector's own
    `log_record`, so all rows are read and rounded alike). All of them were trained and scored
    on the old split.

    Roles: ``before-fix`` (`BEFORE`); ``A``, its recipe rerun (its voices, seed 0); ``B``, the
    same with ``--voices more``; ``A-seed1`` and the like, A or B with another seed. Every run
    must be that recipe's augmentation and epoch budget."""
    from rnn_site.experiments.speech_ablation import log_record

    published = log_record(before_fix_log(), BEFORE_FIX.stem)
    runs: dict[str, dict[str, Any]] = {BEFORE: published}
    for run in read_json(VOICES)["runs"]:
        if (run["augment"], run["epochs"]) != (published["augment"], published["epochs"]):
            raise PageDataError(
                f"{VOICES.name}: {run['name']} is --augment {run['augment']} over "
                f"{run['epochs']} epochs; the recipe published then is --augment "
                f"{published['augment']} over {published['epochs']}"
            )
        if run["voices"] not in (published["voices"], "more"):
            raise PageDataError(f"{VOICES.name}: {run['name']} has voices {run['voices']!r}")
        role = "A" if run["voices"] == published["voices"] else "B"
        role += f"-seed{run['seed']}" if run["seed"] else ""
        if role in runs:
            raise PageDataError(f"{VOICES.name}: two runs are {role}")
        runs[role] = run
    if not {"A", "B"} <= runs.keys():
        raise PageDataError(f"{VOICES.name}: the rule needs runs A and B, got {sorted(runs)}")
    return runs


def rule_threshold() -> float:
    """The validation CER of the model published then (before the split fix), as
    speech_voices_rule.md states it ("the published model's 0.018540")."""
    found = re.search(r"the published model's\s+(\d+\.\d+)", VOICES_RULE.read_text("utf-8"))
    if found is None:
        raise PageDataError(f"{VOICES_RULE.name} names no published model's validation CER")
    return float(found[1])


def voices_verdict(models_dir: Path) -> dict[str, Any]:
    """The rule of speech_voices_rule.md applied to the recorded runs: B is published if and
    only if A and B both went all their epochs and B's best validation CER is strictly below
    A's and the published model's (the rule's figure, which must be the log of the model
    published then, `before_fix_log`: the rule compared with that model, not with whatever is
    published now).

    The records keep four decimals. The validation voices say 863 symbols, so two CERs that
    differ by one error differ by more than 0.001 and rounding keeps their order (and ties)."""
    runs = voices_runs(models_dir)
    published = round(rule_threshold(), 4)
    if published != runs[BEFORE]["val_cer"]:
        raise PageDataError(
            f"{VOICES_RULE.name} compares with a published validation CER of "
            f"{rule_threshold()}, the log of the model published then ({BEFORE_FIX.name}) has "
            f"{runs[BEFORE]['val_cer']}"
        )
    b = runs["B"]
    cut = [
        role
        for role in ("A", "B")
        if runs[role]["stopped"] != "finished"
        or runs[role]["epochs_completed"] != runs[role]["epochs"]
    ]
    below = {"A": b["val_cer"] < runs["A"]["val_cer"], BEFORE: b["val_cer"] < published}
    return {"cut": cut, "below": below, "publish": not cut and all(below.values())}


#: Labels of the voices table's rows, by role (a seed rerun adds ", seed N").
VOICES_LABELS = {
    BEFORE: "published before the fix",
    "A": "A, that recipe",
    "B": "B, `--voices more`",
}

#: The differences the voices page reads: name → (from, to, what it measures).
VOICES_CHANGES = {
    "voices": ("A", "B", "the extra voices"),
    "machine": (BEFORE, "A", "the machine"),
}


def voices_changes(runs: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    """`VOICES_CHANGES`, and ``seedN`` (A to A with seed N) for each seed rerun of A."""
    seeds = {
        f"seed{run['seed']}": ("A", role, "the seed")
        for role, run in runs.items()
        if role.startswith("A-seed")
    }
    return VOICES_CHANGES | seeds


def short(role: str) -> str:
    """A role as the table's difference rows name it: "A", "published before the fix",
    "A seed 1"."""
    if role == BEFORE:
        return "published before the fix"
    name, _, seed = role.partition("-seed")
    return f"{name} seed {seed}" if seed else name


def cer_of(run: dict[str, Any], key: str) -> float:
    return run["val_cer"] if key == "val" else run["test_cer"][key]


def difference(models_dir: Path, start: float, end: float, key: str) -> float:
    """``end - start``; on a KLettres speaker, a whole number of letters (the records keep
    four decimals, so 0.3462 - 0.3077 would read 3.9 points where one letter is 3.8)."""
    if key not in dict(SPEAKERS):
        return end - start
    n = real_clips(models_dir, "speaker")
    return round((end - start) * n) / n


@generator("speech", "table.voices")
def voices_table(models_dir: Path) -> str:
    """The model published before the split fix, A, B (and seed reruns) with their validation
    and greedy test CERs, then each difference of `voices_changes` in points."""
    runs = voices_runs(models_dir)
    keys = ["val"] + [k for k, _ in ABLATION_SETS]
    head = (
        "| run | CPU | seed | voices | validation | "
        + " | ".join(t for _, t in ABLATION_SETS)
        + " |"
    )
    lines = [head, "|---|---|--:|---|--:|" + "--:|" * len(ABLATION_SETS)]
    for role, run in runs.items():
        label = VOICES_LABELS.get(role) or short(role).replace(" seed", ", seed")
        cells = [pct2(run["val_cer"])] + [pct(run["test_cer"][k]) for k in keys[1:]]
        lines.append(
            f"| {label} | {cpu_name(run['cpu'])} | {run['seed']} | `{run['voices']}` | "
            + " | ".join(cells)
            + " |"
        )
    for start, end, what in voices_changes(runs).values():
        diffs = [
            difference(models_dir, cer_of(runs[start], k), cer_of(runs[end], k), k) for k in keys
        ]
        cells = [f"{100 * diffs[0]:+.2f}"] + [f"{100 * d:+.1f}" for d in diffs[1:]]
        label = f"{short(end)} − {short(start)} (points): {what}"
        lines.append(f"| {label} | | | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def change(models_dir: Path, start: float, end: float, key: str) -> str:
    """``end`` against ``start`` in words: "19.2 points lower (5 letters)"; letters only for
    the KLettres speakers (one clip per letter)."""
    diff = difference(models_dir, start, end, key)
    size = f"{100 * abs(diff):.2f}" if key == "val" else points(abs(diff))
    if float(size) == 0:
        return "the same"
    text = f"{size} points {'higher' if diff > 0 else 'lower'}"
    if key in dict(SPEAKERS):
        letters = round(abs(diff) * real_clips(models_dir, "speaker"))
        text += f" ({letters} letter{'s' * (letters != 1)})"
    return text


@generator("speech", "voices", argument=True)
def voices_value(models_dir: Path, spec: str) -> str:
    """One figure of the more-voices runs (speech_voices.json, `voices_runs`):

    - ``verdict``: the rule's verdict as a sentence (`voices_verdict`);
    - ``ROLE.SET``: a run's CER (``before-fix``, ``A``, ``B``, ``A-seed1``; SET ``val`` or a
      test set), or ``ROLE.best-epoch`` its best epoch counting from 1, ``ROLE.epochs`` its
      budget, ``ROLE.steps`` its optimiser steps ("25,360"), ``ROLE.seed``, ``ROLE.cpu``
      ("Intel Xeon");
    - ``change.NAME.SET``: a difference of `voices_changes` ("19.2 points lower (5
      letters)"), or ``change.epochs.SET`` the 40-epoch model published before against the
      80-epoch one published before the split fix;
    - ``worse``: on how many test sets B is behind A ("3 of 4"), ``worse.ROLE`` behind that
      run; ``better-than-before-fix``: on how many A is ahead of the model published then;
    - ``extra``, ``extra-variants``, ``extra-accents``: how many voices ``more`` adds, as how
      many variants on how many training accents;
    - ``seed``: a sentence on the seed reruns of A, or that there is none;
      ``seed-letters`` the most letters a seed rerun of A moved one KLettres speaker."""
    runs = voices_runs(models_dir)
    sets = [k for k, _ in ABLATION_SETS]
    kind, _, rest = spec.partition(".")
    if spec == "verdict":
        return verdict_sentence(runs, voices_verdict(models_dir))
    if kind == "worse":  # B behind A, or behind the run ``rest`` names
        if (rest or "A") not in runs:
            raise PageDataError(f"data:speech:voices:{spec}: no run {rest!r}")
        than, b = runs[rest or "A"]["test_cer"], runs["B"]["test_cer"]
        return f"{sum(b[k] > than[k] for k in sets)} of {len(sets)}"
    if spec == "better-than-before-fix":  # A ahead of the model published then
        a, then = runs["A"]["test_cer"], runs[BEFORE]["test_cer"]
        return f"{sum(a[k] < then[k] for k in sets)} of {len(sets)}"
    if spec in ("extra", "extra-variants", "extra-accents"):
        from rnn_site.data.speech import extra_voices

        voices = extra_voices()
        counts = {
            "extra": len(voices),
            "extra-variants": len({v.name.split("+")[1] for v in voices}),
            "extra-accents": len({v.name.split("+")[0] for v in voices}),
        }
        return str(counts[spec])
    if spec == "seed":
        return seed_sentence(models_dir, runs)
    if spec == "seed-letters":
        return str(seed_letters(models_dir, runs))
    if kind == "change":
        name, _, key = rest.partition(".")
        if key not in ["val", *sets]:
            raise PageDataError(f"data:speech:voices:{spec}: no set {key!r}")
        if name == "epochs":  # the 40-epoch model, against the 80-epoch one that replaced it
            if key == "val":
                raise PageDataError(f"data:speech:voices:{spec}: test sets only")
            earlier = read_json(EARLIER)["results"]["lstm"][key]["greedy"]["cer"]
            return change(models_dir, earlier, runs[BEFORE]["test_cer"][key], key)
        changes = voices_changes(runs)
        if name not in changes:
            raise PageDataError(
                f"data:speech:voices:{spec}: expected a change of {', '.join(changes)}, epochs"
            )
        start, end, _ = changes[name]
        return change(models_dir, cer_of(runs[start], key), cer_of(runs[end], key), key)
    if kind in runs:
        run = runs[kind]
        if rest == "best-epoch":
            return str(run["best_epoch"] + 1)  # the logs count epochs from 0
        if rest == "epochs":
            return str(run["epochs"])
        if rest == "steps":
            return f"{run['steps']:,}"
        if rest == "seed":
            return str(run["seed"])
        if rest == "cpu":
            return cpu_name(run["cpu"])
        if rest == "val":
            return pct2(run["val_cer"])
        if rest in run["test_cer"]:
            return pct(run["test_cer"][rest])
    raise PageDataError(
        f"data:speech:voices:{spec}: expected verdict, worse, better-than-before-fix, extra, seed, "
        f"seed-letters, change.NAME.SET or ROLE.SET with ROLE one of {', '.join(runs)}"
    )


def verdict_sentence(runs: dict[str, dict[str, Any]], verdict: dict[str, Any]) -> str:
    """The rule's outcome in words, with the figures it compared (in the past tense: the rule
    compared B with the model published then, before the split fix)."""
    if verdict["cut"]:
        return (
            f"{' and '.join(verdict['cut'])} did not go all {runs['A']['epochs']} epochs, so "
            "by the rule the model published then stayed."
        )
    b = runs["B"]
    compared = " and ".join(
        f"{'' if verdict['below'][role] else 'not '}below {whose} ({pct2(runs[role]['val_cer'])})"
        for role, whose in (("A", "A's"), (BEFORE, "that of the model published then"))
    )
    outcome = (
        "so by the rule B replaced the model published then"
        if verdict["publish"]
        else "so B was not published and the model published then stayed"
    )
    return (
        f"A and B both went all {b['epochs']} epochs. B's best validation CER, "
        f"{pct2(b['val_cer'])}, was {compared}, {outcome}."
    )


def seed_sentence(models_dir: Path, runs: dict[str, dict[str, Any]]) -> str:
    """What each seed rerun of A changed against A (seed 0, same machine), or that the seed
    was not measured."""
    changes = {n: c for n, c in voices_changes(runs).items() if n.startswith("seed")}
    if not changes:
        return "How far these figures move with the seed at 80 epochs was not measured."
    sentences = []
    for start, end, _ in changes.values():
        moved = [
            f"{change(models_dir, cer_of(runs[start], k), cer_of(runs[end], k), k)} for the {who}"
            for k, who in (("val", "validation voices"), *SPEAKERS)
        ]
        sentences.append(
            f"Run again with seed {runs[end]['seed']} on the same machine, A's CER is "
            f"{', '.join(moved[:-1])} and {moved[-1]}."
        )
    return " ".join(sentences)


def seed_letters(models_dir: Path, runs: dict[str, dict[str, Any]]) -> int:
    """The most letters any seed rerun of A heard wrong more or fewer than A, on one KLettres
    speaker."""
    pairs = [c for n, c in voices_changes(runs).items() if n.startswith("seed")]
    if not pairs:
        raise PageDataError(f"{VOICES.name}: no seed rerun of A, so no seed spread to quote")
    n = real_clips(models_dir, "speaker")
    return max(
        round(abs(difference(models_dir, cer_of(runs[a], k), cer_of(runs[b], k), k)) * n)
        for a, b, _ in pairs
        for k, _ in SPEAKERS
    )


#: The voices curves table shows validation CER after every this many epochs.
CURVE_EVERY = 10


def curves_table(columns: dict[str, dict[str, Any]]) -> str:
    """Validation CER after every `CURVE_EVERY` epochs, one column per run (title → a record
    of `voices_runs`'s shape: ``val_history``, each epoch counted from 0, ``val_cer``,
    ``best_epoch``, ``epochs``), then each run's best and the epoch it came at, counting from
    1; "–" where a record keeps no curve (records collected before curves were kept)."""
    curves = [
        {e["epoch"] + 1: e["val_cer"] for e in r.get("val_history", [])} for r in columns.values()
    ]
    epochs = max(r["epochs"] for r in columns.values())
    lines = ["| epoch | " + " | ".join(columns) + " |", "|--:|" + "--:|" * len(columns)]
    for epoch in range(CURVE_EVERY, epochs + 1, CURVE_EVERY):
        cells = [pct2(c[epoch]) if epoch in c else "–" for c in curves]
        lines.append(f"| {epoch} | " + " | ".join(cells) + " |")
    best = [f"{pct2(r['val_cer'])} (epoch {r['best_epoch'] + 1})" for r in columns.values()]
    lines.append("| best | " + " | ".join(best) + " |")
    return "\n".join(lines)


@generator("speech", "table.voices-curves")
def voices_curves(models_dir: Path) -> str:
    """Validation CER (greedy, the clips as made) of each run of `voices_runs`
    (`curves_table`)."""
    runs = voices_runs(models_dir)
    return curves_table({f"{short(r)} ({cpu_name(run['cpu'])})": run for r, run in runs.items()})


@generator("speech", "table.published-curve")
def published_curve(models_dir: Path) -> str:
    """Validation CER of the published model (its training log's ``history``), as
    `curves_table` shows the voices runs'. Its validation voices are the corrected split's
    (``en+m2`` is not a training voice; the old split's ``en-gb+m2`` was)."""
    log = model_file("speech", "metrics", models_dir)
    run = {
        "val_history": [{"epoch": e["epoch"], "val_cer": e["val_cer"]} for e in log["history"]],
        "val_cer": log["best"]["val_cer"],
        "best_epoch": log["best_epoch"],
        "epochs": log["epochs"],
    }
    title = f"retrained on the corrected data ({cpu_name(log.get('machine', {}).get('cpu'))})"
    return curves_table({title: run})


def real_clips(models_dir: Path, who: str) -> int:
    """Clips per KLettres speaker (``speaker``) or of both (``both``): the card's test sets,
    which the ablation's runs were scored on too (one clip per letter and speaker)."""
    if who not in ("speaker", "both"):
        raise PageDataError(f"data:speech:real-clips:{who}: expected speaker or both")
    lstm = model_file("speech", "card", models_dir)["results"]["lstm"]
    counts = {lstm[key]["greedy"]["n"] for key, _ in SPEAKERS}
    if len(counts) != 1:  # real_cer is the mean of the two: equal weights need equal counts
        raise PageDataError(f"speech card: the KLettres speakers have {sorted(counts)} clips")
    (n,) = counts
    return n if who == "speaker" else n * len(SPEAKERS)


@generator("speech", "real-clips", argument=True)
def real_clips_value(models_dir: Path, who: str) -> str:
    return str(real_clips(models_dir, who))


@generator("speech", "clip-points", argument=True)
def clip_points(models_dir: Path, who: str) -> str:
    """Percentage points of CER that one clip (one letter) is worth, one decimal."""
    return f"{100 / real_clips(models_dir, who):.1f}"


@generator("speech", "train-minutes")
def train_minutes(models_dir: Path) -> str:
    return f"{model_file('speech', 'metrics', models_dir)['train_wall_time_s'] / 60:.0f}"


SILENCE_SETS = {
    "tts_isolated": "held-out voices, words (its card's test clips)",
    "tts_connected": "held-out voices, digit strings (its card's test clips)",
    "real_en": "real speaker, American (its card's test clips)",
    "real_en_GB": "real speaker, British (its card's test clips)",
    "real_shipped": "real speakers, the KLettres files as shipped",
    "tts_isolated_padded": "held-out voices, words, 1 s of silence each side",
    "real_padded": "real speakers, 1 s of silence each side",
    "real_padded_hiss": "real speakers, 1 s each side with hiss 45 dB under the peak",
}


@generator("speech", "table.silence")
def silence_table(models_dir: Path) -> str:
    sets = read_json(SILENCE)["sets"]
    lines = [
        "| clips | n | mean length | untrimmed: CER | trimmed: CER | length kept |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for key, label in SILENCE_SETS.items():
        s = sets[key]
        lines.append(
            f"| {label} | {s['n']} | {s['seconds']:.2f} s | {pct(s['untrimmed'])} | "
            f"{pct(s['trimmed'])} | {s['seconds_trimmed']:.2f} s |"
        )
    return "\n".join(lines)


@generator("speech", "silence", argument=True)
def silence_value(models_dir: Path, spec: str) -> str:
    """``SET.KEY``: ``untrimmed`` or ``trimmed`` CER of a set, or ``threshold`` (dB) /
    ``margin`` (ms) of the published settings (SET ``settings``)."""
    results = read_json(SILENCE)
    name, _, key = spec.partition(".")
    if name == "settings" and key in ("threshold", "margin"):
        settings = results["settings"]
        return (
            f"{settings['threshold_db']:.0f}"
            if key == "threshold"
            else f"{1000 * settings['margin_s']:.0f}"
        )
    if name not in results["sets"] or key not in ("untrimmed", "trimmed"):
        raise PageDataError(f"data:speech:silence:{spec}: expected SET.untrimmed|trimmed")
    return pct(results["sets"][name][key])


def decision_value(path: Path, name: str, spec: str) -> str:
    """``WHO.KEY`` of one publishing decision: a validation CER (with the trim chosen for that
    model) or the epochs of the published model or of the candidate that the rule judged."""
    results = read_json(path)
    who, _, key = spec.partition(".")
    if who not in ("published", "candidate"):
        raise PageDataError(f"data:speech:{name}:{spec}: expected published|candidate.KEY")
    if key == "epochs":
        return str(results["runs"][who]["epochs"])
    if key not in results["decision"]["sets"]:
        raise PageDataError(
            f"data:speech:{name}:{spec}: expected val, val_padded, val_padded_hiss or epochs"
        )
    return pct(results["decision"]["sets"][key][who])


def _decision_generator(key: str, path: Path) -> None:
    """Register ``<!-- data:speech:KEY:WHO.SET -->`` for the decision file ``path``."""

    def value(models_dir: Path, spec: str) -> str:
        return decision_value(path, key, spec)

    generator("speech", key, argument=True)(value)


#: One placeholder per publishing decision (session 7's three candidates, the 80-epoch run).
for _key, _path in {
    "publish": PUBLISH,
    "publish-hiss": PUBLISH_HISS,
    "publish-hiss40": PUBLISH_HISS40,
    "publish-80": PUBLISH_80,
}.items():
    _decision_generator(_key, _path)


def both_speakers(lstm: dict[str, Any]) -> float:
    """Greedy CER over both KLettres speakers of a log's or card's ``results.lstm``."""
    return real_cer({"test_cer": {k: lstm[k]["greedy"]["cer"] for k, _ in SPEAKERS}})


def log_value(log: dict[str, Any], key: str, name: str) -> str:
    """``SET``: a training log's greedy test CER (``real``: both KLettres speakers), or
    ``epochs``: how many epochs it trained; ``key`` names the placeholder in errors."""
    if name == "epochs":
        return str(log["epochs"])
    lstm = log["results"]["lstm"]
    if name == "real":
        return pct(both_speakers(lstm))
    if name not in lstm:
        raise PageDataError(
            f"data:speech:{key}:{name}: expected epochs, real or one of {sorted(lstm)}"
        )
    return pct(lstm[name]["greedy"]["cer"])


@generator("speech", "earlier", argument=True)
def earlier_value(models_dir: Path, name: str) -> str:
    """`log_value` of the 40-epoch model published first (`EARLIER`)."""
    return log_value(read_json(EARLIER), "earlier", name)


@generator("speech", "before-fix", argument=True)
def before_fix_value(models_dir: Path, name: str) -> str:
    """`log_value` of the 80-epoch model published before the split fix (`before_fix_log`),
    scored on the old split."""
    return log_value(before_fix_log(), "before-fix", name)


@generator("speech", "best-epoch")
def best_epoch(models_dir: Path) -> str:
    """The published model's best epoch, counting from 1 (its log counts from 0)."""
    return str(model_file("speech", "metrics", models_dir)["best_epoch"] + 1)


@generator("speech", "table.recipes")
def recipes(models_dir: Path) -> str:
    """The published recipe and the 40-epoch one it replaced, with their greedy test CERs."""
    from rnn_site.sitebuild.recipes import recipes_table

    def score(log: dict[str, Any]) -> str:
        lstm = log["results"]["lstm"]
        return " / ".join(pct(lstm[k]["greedy"]["cer"]) for k, _, _ in TARGETS)

    header = "test CER: words / digits / en / en_GB"
    return recipes_table("speech", score, header, models_dir).rstrip("\n")


#: The noise-floor table's rows: (section, set, label); validation decided, test came after.
NOISE_FLOOR_ROWS = (
    ("validation", "val", "validation voices: the clips as made"),
    ("validation", "val_padded", "validation voices: 1 s of silence each side"),
    (
        "validation",
        "val_padded_hiss",
        "validation voices: 1 s each side, hiss 45 dB under the peak",
    ),
    ("test", "tts_isolated", "test: held-out voices, words"),
    ("test", "tts_connected", "test: held-out voices, digit strings"),
    ("test", "real_en", "test: real speaker, American"),
    ("test", "real_en_GB", "test: real speaker, British"),
    ("test", "real_padded", "test: real speakers, 1 s of silence each side"),
    ("test", "real_padded_hiss", "test: real speakers, 1 s each side with hiss"),
    ("test", "real_shipped", "test: real speakers, the KLettres files as shipped"),
)
TRIMS = ("fixed", "noise_floor")


def noise_floor_cer(results: dict[str, Any], section: str, trim: str, name: str) -> float:
    """One CER of speech_noise_floor.json: validation is ``[trim][set]``, test ``[set][trim]``."""
    if section == "validation":
        return float(results["validation"][trim][name])
    return float(results["test"][name][trim])


@generator("speech", "table.noise-floor")
def noise_floor_table(models_dir: Path) -> str:
    results = read_json(NOISE_FLOOR)
    lines = [
        "| clips | n | fixed -40 dB: CER | with the noise floor: CER |",
        "|---|--:|--:|--:|",
    ]
    for section, name, label in NOISE_FLOOR_ROWS:
        n = results["test"][name]["n"] if section == "test" else "–"
        cers = [pct(noise_floor_cer(results, section, trim, name)) for trim in TRIMS]
        lines.append(f"| {label} | {n} | {cers[0]} | {cers[1]} |")
    return "\n".join(lines)


@generator("speech", "noise-floor", argument=True)
def noise_floor_value(models_dir: Path, spec: str) -> str:
    """``val.TRIM.SET`` / ``test.TRIM.SET`` (a CER) or ``settings.percentile|margin|ceiling``."""
    results = read_json(NOISE_FLOOR)
    section, _, rest = spec.partition(".")
    floor = results["trims"]["noise_floor"]
    settings = {
        "percentile": 100 * floor["floor_quantile"],
        "margin": floor["floor_margin_db"],
        "ceiling": -floor["ceiling_db"],
    }
    if section == "settings" and rest in settings:
        return f"{settings[rest]:.0f}"
    trim, _, name = rest.partition(".")
    sections = {"val": "validation", "test": "test"}
    if section in sections and trim in TRIMS:
        try:
            return pct(noise_floor_cer(results, sections[section], trim, name))
        except KeyError:
            pass
    raise PageDataError(
        f"data:speech:noise-floor:{spec}: expected val|test.fixed|noise_floor.SET or "
        "settings.percentile|margin|ceiling"
    )


#: The rescored decisions' models, as the table names them.
CANDIDATE_LABELS = {
    "published": "model published then (40 epochs)",
    "publish": "longer run (published next, until the split fix)",
    "publish-hiss": "hiss in training, stopped early",
    "publish-hiss40": "hiss in training, all epochs",
}
VALIDATION_SETS = ("val", "val_padded", "val_padded_hiss")
#: The two trims each model was scored with: the fixed one it was judged with, the noise floor.
TRIM_KEYS = ("chosen", "noise_floor")


@generator("speech", "table.publish-noise-floor")
def publish_noise_floor_table(models_dir: Path) -> str:
    """Per model: epochs, validation CER with its chosen fixed trim (as judged) and with the
    noise floor (scored after the decisions)."""
    models = read_json(PUBLISH_NOISE_FLOOR)["models"]
    lines = [
        "| model | epochs | fixed trim, as judged: clean / silence / hiss | "
        "noise floor, after: clean / silence / hiss |",
        "|---|--:|--:|--:|",
    ]
    for key, label in CANDIDATE_LABELS.items():
        m = models[key]
        cells = [" / ".join(pct(m[trim][k]) for k in VALIDATION_SETS) for trim in TRIM_KEYS]
        lines.append(f"| {label} | {m['epochs']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


@generator("speech", "publish-noise-floor", argument=True)
def publish_noise_floor_value(models_dir: Path, spec: str) -> str:
    """``MODEL.TRIM.SET``: one validation CER of speech_publish_noise_floor.json."""
    model, _, rest = spec.partition(".")
    trim, _, name = rest.partition(".")
    models = read_json(PUBLISH_NOISE_FLOOR)["models"]
    if model not in models or trim not in TRIM_KEYS or name not in VALIDATION_SETS:
        raise PageDataError(
            f"data:speech:publish-noise-floor:{spec}: expected MODEL.chosen|noise_floor.SET with "
            f"MODEL one of {', '.join(models)} and SET one of {', '.join(VALIDATION_SETS)}"
        )
    return pct(models[model][trim][name])


def heard_letters(card: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Speaker → letter said → what the model heard (greedy), from the card's test errors
    (a letter not among the errors was heard right)."""
    out = {}
    for key, _ in SPEAKERS:
        result = card["results"]["lstm"][key]
        errors = {e["said"]: e["heard"] for e in result["errors"]}
        if result["greedy"]["n"] != len(LETTERS) or len(result["errors"]) >= 40:
            raise PageDataError(f"speech card: {key} is not one clip per letter with every error")
        out[key] = {letter: errors.get(letter, letter) for letter in LETTERS}
    return out


@generator("speech", "table.confusion")
def confusion_table(models_dir: Path) -> str:
    heard = heard_letters(model_file("speech", "card", models_dir))
    lines = [
        "| letter said | " + " | ".join(f"heard from the {label}" for _, label in SPEAKERS) + " |",
        "|---|---|---|",
    ]
    for letter in LETTERS:
        name = f"{letter} (E-set)" if letter in E_SET else letter
        cells = []
        for key, _ in SPEAKERS:
            got = heard[key][letter]
            cells.append("right" if got == letter else f"**{got or '(nothing)'}**")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@generator("speech", "confusion", argument=True)
def confusion_count(models_dir: Path, group: str) -> str:
    """``e-set`` or ``others``: "R of N" recordings of the group's letters heard right."""
    if group not in ("e-set", "others"):
        raise PageDataError(f"data:speech:confusion:{group}: expected e-set or others")
    heard = heard_letters(model_file("speech", "card", models_dir))
    letters = [c for c in LETTERS if (c in E_SET) == (group == "e-set")]
    right = sum(heard[key][c] == c for key, _ in SPEAKERS for c in letters)
    return f"{right} of {len(letters) * len(SPEAKERS)}"


def word_errors(models_dir: Path) -> dict[str, Any]:
    """speech_confusions.json, after checking it counts the card's clips and errors (it was
    scored from the published weights, so a new model needs it measured again)."""
    results = read_json(CONFUSIONS)
    greedy = model_file("speech", "card", models_dir)["results"]["lstm"][results["set"]]["greedy"]
    if results["n"] != greedy["n"] or results["wrong"] != round(greedy["cer"] * greedy["n"]):
        raise PageDataError(
            f"{CONFUSIONS.name}: {results['wrong']} of {results['n']} wrong, the card's "
            f"{results['set']} CER is {greedy['cer']:.4f} of {greedy['n']}: run "
            "python -m rnn_site.experiments.speech_confusions again"
        )
    return results


def e_set_letters(card: dict[str, Any], wrong: bool) -> list[str]:
    """The E-set letters heard wrong from at least one KLettres speaker (``wrong``), or right
    from both."""
    heard = heard_letters(card)
    return [c for c in E_SET if any(heard[k][c] != c for k, _ in SPEAKERS) == wrong]


@generator("speech", "e-set", argument=True)
def e_set_value(models_dir: Path, which: str) -> str:
    if which not in ("wrong", "right"):
        raise PageDataError(f"data:speech:e-set:{which}: expected wrong or right")
    card = model_file("speech", "card", models_dir)
    return ", ".join(e_set_letters(card, which == "wrong"))


def from_both(card: dict[str, Any], wrong: bool) -> list[str]:
    """The letters heard wrong from both KLettres speakers (``wrong``), or right from both."""
    heard = heard_letters(card)
    return [c for c in LETTERS if all((heard[k][c] != c) == wrong for k, _ in SPEAKERS)]


@generator("speech", "both-speakers", argument=True)
def from_both_value(models_dir: Path, which: str) -> str:
    """Letters by what the model heard from both KLettres speakers, as "A, O, S": ``wrong``
    (heard wrong from both), ``wrong-others`` (those outside the E-set, which the page lists
    apart) or ``right`` (heard right from both). An empty list refuses: the page's sentence
    names at least one."""
    if which not in ("wrong", "wrong-others", "right"):
        raise PageDataError(
            f"data:speech:both-speakers:{which}: expected wrong, wrong-others or right"
        )
    letters = from_both(model_file("speech", "card", models_dir), which != "right")
    if which == "wrong-others":
        letters = [c for c in letters if c not in E_SET]
    if not letters:
        raise PageDataError(
            f"data:speech:both-speakers:{which}: no such letter on the card; the page's "
            "sentence names some, so it needs rewriting"
        )
    return ", ".join(letters)


def as_digits(card: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Speaker → what was heard → the letters heard as that, for every letter of a KLettres
    speaker heard as something that starts with a digit ("90" included)."""
    heard = heard_letters(card)
    out: dict[str, dict[str, list[str]]] = {}
    for key, _ in SPEAKERS:
        for letter in LETTERS:
            if heard[key][letter][:1].isdigit():
                out.setdefault(key, {}).setdefault(heard[key][letter], []).append(letter)
    return out


def _and(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@generator("speech", "as-digits", argument=True)
def as_digits_value(models_dir: Path, which: str) -> str:
    """``letters``: every letter heard as a digit from either speaker ("J, Q, U"); ``by-speaker``:
    the same by speaker and by what was heard ('the British speaker's J as "5", Q and U as "0",
    and Z as "7"'). A card with none refuses: the page's sentences about them would be false."""
    if which not in ("letters", "by-speaker"):
        raise PageDataError(f"data:speech:as-digits:{which}: expected letters or by-speaker")
    found = as_digits(model_file("speech", "card", models_dir))
    if not found:
        raise PageDataError(
            "data:speech:as-digits: the card's model heard no letter as a digit; the page "
            "says it did, so its sentences need rewriting"
        )
    if which == "letters":
        return ", ".join(
            c for c in LETTERS if any(c in ls for h in found.values() for ls in h.values())
        )
    parts = []
    for key, label in SPEAKERS:
        if key in found:
            groups = sorted(found[key].items(), key=lambda item: item[1][0])
            said = [f'{_and(letters)} as "{digits}"' for digits, letters in groups]
            listed = ", ".join(said[:-1]) + ", and " + said[-1] if len(said) > 2 else _and(said)
            parts.append(f"the {label}'s {listed}")
    return "; ".join(parts)


@generator("speech", "word-errors", argument=True)
def word_errors_value(models_dir: Path, key: str) -> str:
    """``wrong``, ``n``, ``with-a-digit`` (counts) or ``top-K`` (the K commonest confusions)."""
    results = word_errors(models_dir)
    counts = {"wrong": results["wrong"], "n": results["n"], "with-a-digit": results["with_a_digit"]}
    if key in counts:
        return f"{counts[key]:,}"
    name, _, k = key.partition("-")
    if name == "top" and k.isdigit():
        return ", ".join(
            f"{p['said']} as {p['heard'] or '(nothing)'} ({p['count']})"
            for p in results["pairs"][: int(k)]
        )
    raise PageDataError(f"data:speech:word-errors:{key}: expected wrong, n, with-a-digit or top-K")


def targets_met(results: dict[str, Any]) -> list[bool]:
    """Whether the card's ``results`` meet each of `TARGETS` (the words' also asks for a lower
    CER than DTW's)."""
    met = []
    for key, limit, _ in TARGETS:
        cer = results["lstm"][key]["greedy"]["cer"]
        ok = cer <= limit
        if key == "tts_isolated":
            ok = ok and cer < results["dtw"][key]["greedy"]["cer"]
        met.append(ok)
    return met


@generator("speech", "table.targets")
def targets_table(models_dir: Path) -> str:
    """Target against the card's greedy CER, and whether it is met."""
    results = model_file("speech", "card", models_dir)["results"]
    lines = ["| test set | target CER | published model | met? |", "|---|--:|--:|---|"]
    for (key, limit, label), met in zip(TARGETS, targets_met(results), strict=True):
        cer = results["lstm"][key]["greedy"]["cer"]
        lines.append(f"| {label} | ≤ {pct(limit)} | {pct(cer)} | {'yes' if met else 'no'} |")
    return "\n".join(lines)


#: How many of the targets, in words.
COUNT_WORDS = ("none", "one", "two", "three", "four")


@generator("speech", "targets", argument=True)
def targets_value(models_dir: Path, which: str) -> str:
    """How many targets the card meets, as words that stay true whatever it scores:
    ``sentence`` ("It misses all four", "It meets one of them and misses three") or ``limit``
    ("It misses all four of its targets", "It misses three of its four targets")."""
    met = sum(targets_met(model_file("speech", "card", models_dir)["results"]))
    missed = len(TARGETS) - met
    if which == "sentence":
        if met in (0, len(TARGETS)):
            return f"It {'meets' if met else 'misses'} all {COUNT_WORDS[len(TARGETS)]}"
        return f"It meets {COUNT_WORDS[met]} of them and misses {COUNT_WORDS[missed]}"
    if which == "limit":
        if met in (0, len(TARGETS)):
            verb = "meets" if met else "misses"
            return f"It {verb} all {COUNT_WORDS[len(TARGETS)]} of its targets"
        return f"It misses {COUNT_WORDS[missed]} of its {COUNT_WORDS[len(TARGETS)]} targets"
    raise PageDataError(f"data:speech:targets:{which}: expected sentence or limit")


# ---------------------------------------------------------------- the split fix, in a table

#: The rows of speech_split_fix.json, as the table names them.
SPLIT_FIX_ROWS = {
    "before_fix": "published before the fix (old split)",
    "old_weights_corrected": "same weights, corrected test sets",
    "rerun_old_split": "its recipe rerun, seed 0 (A, old split)",
    "published": "retrained on the corrected data (published now)",
}


def split_fix(models_dir: Path) -> dict[str, dict[str, Any]]:
    """The rows of speech_split_fix.json, after checking that those read from a log or a
    collected run are still that log's or run's (the last is models/speech's: a new model
    needs the collector run again)."""
    from rnn_site.experiments.speech_split_fix import rerun_row, row

    module = "rnn_site.experiments.speech_split_fix"
    rows = results_file(SPLIT_FIX, module)["rows"]
    if list(rows) != list(SPLIT_FIX_ROWS):
        raise PageDataError(f"{SPLIT_FIX.name}: rows {list(rows)}, expected {list(SPLIT_FIX_ROWS)}")
    sources = {
        "before_fix": lambda: row(before_fix_log()),
        "rerun_old_split": lambda: rerun_row(read_json(VOICES), before_fix_log()),
        "published": lambda: row(model_file("speech", "metrics", models_dir)),
    }
    for key, source in sources.items():
        try:
            now = source()
        except ValueError as error:
            raise PageDataError(f"{key}: {error}") from None
        if rows[key] != now:
            raise PageDataError(
                f"{SPLIT_FIX.name}: its {key} row is not that model's training log any more: "
                f"run python -m {module} again"
            )
    return rows


@generator("speech", "table.split-fix")
def split_fix_table(models_dir: Path) -> str:
    """Greedy test CER of the model published before the fix, of its weights on the corrected
    test sets, of its recipe rerun (old split) on the CPU that trained the published model,
    and of the recipe retrained on the corrected data; the CPU that trained each row's
    weights; best validation CER with its epoch (counted from 1), where the row has one."""
    rows = split_fix(models_dir)
    lines = [
        "| model | trained on | British test voices | "
        + " | ".join(title for _, title in SPLIT_FIX_SETS)
        + " | best validation CER (epoch) |",
        "|---|---|---|" + "--:|" * len(SPLIT_FIX_SETS) + "--:|",
    ]
    for key, label in SPLIT_FIX_ROWS.items():
        r = rows[key]
        voices = ", ".join(f"`{r['test_voices']}+{v}`" for v in ("f4", "m6"))
        cers = [pct(r["test_cer"][k]) for k, _ in SPLIT_FIX_SETS]
        val = (
            "– (not scored)"
            if r["val_cer"] is None
            else f"{pct2(r['val_cer'])} ({r['best_epoch'] + 1} of {r['epochs']})"
        )
        lines.append(
            f"| {label} | {cpu_name(r['cpu'])} | {voices} | " + " | ".join(cers) + f" | {val} |"
        )
    return "\n".join(lines)


def exact_cer(cer: float, n: int, what: str) -> float:
    """A CER over ``n`` one-symbol clips that a record keeps to four decimals, as the count of
    wrong clips over ``n`` that it rounds (PageDataError if it rounds none: ``n`` is not its
    count)."""
    wrong = round(cer * n)
    if abs(cer * n - wrong) > 5e-5 * n + 1e-9:
        raise PageDataError(f"{what}: CER {cer} is no count of {n} clips")
    return wrong / n


#: How far apart two CERs kept to four decimals can be from what they round.
RECORD_ROUNDING = 1e-4

#: The changes `split_fix_changes` weighs, by name: the rows of the split-fix table they go
#: from and to, and how the sentence names them. ``fix``: A (the recipe rerun on the old split,
#: on the machine that trained the published model) to the retrained model, so only the split
#: and the commit differ, the closest baseline; ``machine``: the model published before the fix
#: to A, the same split and recipe on another CPU and at another commit.
SPLIT_FIX_CHANGES = {
    "fix": ("rerun_old_split", "published", "the change from A to the retrained model"),
    "machine": ("before_fix", "rerun_old_split", "the change from the first row to A"),
}


def split_fix_changes(models_dir: Path, name: str = "fix") -> dict[str, dict[str, Any]]:
    """Per test set of the split-fix table: ``change``, the change of greedy test CER over the
    rows of `SPLIT_FIX_CHANGES` ``name`` (A to the retrained model by default); ``seed``, what
    seed 1 changed on the old recipe on one machine (speech_voices.json, A to A with seed 1:
    another draw of the synthesised clips as well as of the weights); ``clips`` and
    ``seed_clips``, the same as numbers of wrong clips on the sets of one-symbol clips
    (held-out words, the KLettres speakers; else None), where the CERs are read as the exact
    counts they round; and ``within``: whether the first is no larger than the second.
    PageDataError where the records' rounding could decide it."""
    start, end, _ = SPLIT_FIX_CHANGES[name]
    rows = split_fix(models_dir)
    runs = voices_runs(models_dir)
    if "A-seed1" not in runs:
        raise PageDataError(f"{VOICES.name}: no run of A with seed 1")
    counts = {"tts_isolated": rows["published"]["test_n"]["tts_isolated"]}
    counts |= {k: real_clips(models_dir, "speaker") for k, _ in SPEAKERS}
    out = {}
    for key, _ in SPLIT_FIX_SETS:
        cers = {
            "start": rows[start]["test_cer"][key],
            "end": rows[end]["test_cer"][key],
            "a": runs["A"]["test_cer"][key],
            "a1": runs["A-seed1"]["test_cer"][key],
        }
        n = counts.get(key)
        if n:
            cers = {k: exact_cer(c, n, f"{SPLIT_FIX.name} {key}") for k, c in cers.items()}
            slack = 0.0
        else:  # the seed's two records are rounded, and either end of the change may be
            rounded = sum(rows[r]["test_n"] is None for r in (start, end))
            slack = RECORD_ROUNDING * (1 + rounded / 2)
        change, seed = cers["end"] - cers["start"], cers["a1"] - cers["a"]
        if slack and abs(abs(change) - abs(seed)) <= slack:
            raise PageDataError(
                f"{key}: the change {change:+.4f} and the seed's {seed:+.4f} are too close to "
                f"order from records kept to four decimals"
            )
        out[key] = {
            "change": change,
            "seed": seed,
            "clips": round(change * n) if n else None,
            "seed_clips": round(seed * n) if n else None,
            "within": abs(change) <= abs(seed) + 1e-12,
        }
    return out


def signed(x: float) -> str:
    """A CER difference in points, one decimal, with its sign ("+0.6", "-11.5"); "0.0"."""
    text = f"{100 * x:+.1f}"
    return "0.0" if float(text) == 0 else text


#: What one clip is on a set of one-symbol clips.
CLIP_WORDS = {"tts_isolated": "word"} | {k: "letter" for k, _ in SPEAKERS}


@generator("speech", "split-fix", argument=True)
def split_fix_value(models_dir: Path, which: str) -> str:
    """A sentence on whether each change of `SPLIT_FIX_CHANGES` ``which`` (``fix``: A to the
    retrained model; ``machine``: the first row to A) is within the change seed 1 made on the
    old recipe (no larger; `split_fix_changes`), with both in points, and in words or letters
    where every clip is one ("held-out words +1.9 points, 22 words (seed -0.6, 7 words)")."""
    if which not in SPLIT_FIX_CHANGES:
        raise PageDataError(
            f"data:speech:split-fix:{which}: expected {' or '.join(SPLIT_FIX_CHANGES)}"
        )
    changes = split_fix_changes(models_dir, which)

    def said(key: str, title: str) -> str:
        c = changes[key]
        if c["clips"] is None:
            return f"{title} {signed(c['change'])} points (seed {signed(c['seed'])})"
        unit = CLIP_WORDS[key]

        def clips(n: int) -> str:
            return f"{abs(n)} {unit}{'s' * (abs(n) != 1)}"

        return (
            f"{title} {signed(c['change'])} points, {clips(c['clips'])} "
            f"(seed {signed(c['seed'])}, {clips(c['seed_clips'])})"
        )

    within = [said(k, t) for k, t in SPLIT_FIX_SETS if changes[k]["within"]]
    beyond = [said(k, t) for k, t in SPLIT_FIX_SETS if not changes[k]["within"]]
    start = SPLIT_FIX_CHANGES[which][2]
    if not beyond:
        return f"On every test set {start} is within the change seed 1 made: {_and(within)}"
    if not within:
        return f"On every test set {start} is beyond the change seed 1 made: {_and(beyond)}"
    return (
        f"{start[0].upper()}{start[1:]} is within the change seed 1 made on {_and(within)}, "
        f"and beyond it on {_and(beyond)}"
    )


# --------------------------------- test voices that were training voices, before the split fix

#: espeak-ng 1.51 ignores the variant after these accents: "en-gb+f4" and "en-gb+m6" say,
#: sample for sample, what "en-gb" says (tests/test_speech_page_data.py synthesises it), so
#: until the split fix (commit 6d12582) the split's held-out variants of them were the
#: training voice with other pitch/speed jitter.
UNVARIED_ACCENTS = ("en-gb",)
#: How the split spelled an espeak accent before the fix: today's "en" was "en-gb", in the
#: same place of `rnn_site.data.speech.ESPEAK_ACCENTS`, so today's `plan` with that name is
#: the old split's plan, draw for draw.
OLD_SPELLING = {"en": "en-gb"}


def unvaried(voice_id: str) -> bool:
    """Whether ``voice_id`` ("espeak:en-gb+f4") is an espeak voice whose variant is ignored."""
    engine, _, name = voice_id.partition(":")
    return engine == "espeak" and name.split("+")[0] in UNVARIED_ACCENTS


def old_voice_id(voice_id: str) -> str:
    """A voice id of today's split as the split before the fix spelled it ("espeak:en+f4" as
    "espeak:en-gb+f4"; every other voice as it is)."""
    engine, _, name = voice_id.partition(":")
    accent, plus, variant = name.partition("+")
    if engine == "espeak":
        accent = OLD_SPELLING.get(accent, accent)
    return f"{engine}:{accent}{plus}{variant}"


def words_cer_without(
    per_voice: dict[str, float], counts: dict[str, int], cer: float, dropped: Sequence[str]
) -> dict[str, Any]:
    """The held-out words CER without the voices ``dropped``, from each voice's string
    accuracy (``per_voice``) and number of test words (``counts``), and the whole set's CER.

    Every test word is one symbol, so a wrong transcript costs at least one edit, and exactly
    one when it is one symbol or none. When ``cer`` times the number of words equals the wrong
    words the accuracies count, every error cost one edit, so a voice's edits are its wrong
    words and the CER splits by voice exactly; otherwise it cannot be split from these figures
    (PageDataError)."""
    if set(per_voice) != set(counts):
        raise PageDataError(
            f"per_voice names {len(per_voice)} voices, the test words {len(counts)}: "
            f"{sorted(set(per_voice) ^ set(counts))}"
        )
    wrong = {}
    for voice, accuracy in per_voice.items():
        exact = (1 - accuracy) * counts[voice]
        wrong[voice] = round(exact)
        if abs(exact - wrong[voice]) > 0.05:  # accuracies are logged to 4 decimals
            raise PageDataError(f"{voice}: accuracy {accuracy} is no count of {counts[voice]}")
    n = sum(counts.values())
    edits = cer * n
    if abs(edits - sum(wrong.values())) > 0.05:
        raise PageDataError(
            f"CER {cer:.4f} of {n} words is {edits:.1f} edits, but {sum(wrong.values())} words "
            "are wrong: some error cost more than one edit, so per-voice accuracy does not "
            "split the CER by voice; score each voice's edits instead"
        )
    kept = [v for v in counts if v not in dropped]
    kept_n = sum(counts[v] for v in kept)
    return {
        "n": n,
        "cer": cer,
        "dropped_n": n - kept_n,
        "dropped_wrong": sum(wrong.values()) - sum(wrong[v] for v in kept),
        "cer_without": sum(wrong[v] for v in kept) / kept_n,
    }


def unvaried_voices(log: dict[str, Any]) -> dict[str, Any]:
    """The held-out words CER of a training log scored on the split before the fix, with and
    without the test voices that were training voices (`unvaried`), and how many clips those
    voices said in each split (``clips``: ``SPLIT.KIND`` → (theirs, all)), counted from the
    log's synthesis plan spelled the old way (`old_voice_id`)."""
    from rnn_site.data.speech import SynthesisConfig, plan

    if not log.get("per_voice"):
        raise PageDataError(
            "the speech training log has no per_voice accuracies: the held-out words CER "
            "cannot be split by voice"
        )
    # (kind, voice id as the old split spelled it) of every clip, per split
    clips = {
        split: [(r.kind, old_voice_id(r.voice.id)) for r in requests]
        for split, requests in plan(SynthesisConfig(**log["synthesis"])).items()
    }
    counts: dict[str, int] = {}
    for kind, voice in clips["test"]:
        if kind == "word":
            counts[voice] = counts.get(voice, 0) + 1
    greedy = log["results"]["lstm"]["tts_isolated"]["greedy"]
    if greedy["n"] != sum(counts.values()):
        raise PageDataError(
            f"the log scored {greedy['n']} test words, its synthesis plan has "
            f"{sum(counts.values())}"
        )
    dropped = sorted(v for v in counts if unvaried(v))
    out = words_cer_without(log["per_voice"], counts, greedy["cer"], dropped)
    out["voices"] = dropped
    out["clips"] = {
        f"{split}.{kind}": (
            sum(k == kind and unvaried(voice) for k, voice in clips[split]),
            sum(k == kind for k, _ in clips[split]),
        )
        for split in ("test", "val")
        for kind in ("word", "digits")
    }
    return out


@generator("speech", "unvaried", argument=True)
def unvaried_value(models_dir: Path, key: str) -> str:
    """The model published before the split fix (`before_fix_log`): ``cer`` (its held-out
    words CER without the test voices that were training voices), ``all`` (with them, as its
    card said), ``points`` (the difference), ``wrong`` (their wrong words), or ``SPLIT.KIND``
    ("72 of 1,152": their clips, SPLIT ``test`` or ``val``, KIND ``word`` or ``digits``)."""
    result = unvaried_voices(before_fix_log())
    values = {
        "cer": pct(result["cer_without"]),
        "all": pct(result["cer"]),
        "points": points(result["cer_without"] - result["cer"]),
        "wrong": str(result["dropped_wrong"]),
    }
    values |= {k: f"{a:,} of {b:,}" for k, (a, b) in result["clips"].items()}
    if key not in values:
        raise PageDataError(f"data:speech:unvaried:{key}: expected one of {', '.join(values)}")
    return values[key]
