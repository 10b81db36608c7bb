"""Build-time content of the text-generation chapter (`applications/text-generation.md`).

Nothing on that page is typed by hand that the package can compute:

- the sampling figure (docs/assets/interactive/sampling.js) draws next-character distributions
  of real contexts; their logits come from the exported model through `rnn_site.runtime`, and
  the figure reshapes them with the same rule as `rnn_site.runtime.char_lm.next_distribution`
  (a browser test compares the two);
- the bits-per-character table is read from the model card;
- the hidden-unit table, its numbers and the coloured excerpts come from the cached experiment
  `rnn_site.experiments.char_lm_units` (its JSON is committed; the build needs no corpus).
- the candidate recipes are compared with the model published when their rules ran
  (`PUBLISHED_THEN`, the published recipe as first trained on an Intel Xeon), and that run
  with today's published one, the same recipe on another CPU (`cross_machine_values`).

The page's plain numbers are ``<!-- data:char-lm:card.PATH -->`` and ``metrics.PATH``
placeholders; what needs computing (tables, differences, the units' numbers) is a generator of
the one page-data hook, registered here as ``<!-- data:char-lm:KEY -->``.
`rnn_site.sitebuild.hooks` calls `write_sampling_data(site_dir, models_dir)` after the build.

See the page: applications/text-generation.md
"""

from __future__ import annotations

import html
import itertools
import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnn_site.experiments import char_lm_units
from rnn_site.files import atomic_path
from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.runtime.registry import read_manifest
from rnn_site.sitebuild.data_tables import data_table
from rnn_site.sitebuild.page_data import (
    PageDataError,
    cpu_name,
    generator,
    model_file,
    read_json,
)
from rnn_site.sitebuild.recipes import QUICK_DIR, earlier_logs, recipes_table

SCHEMA = 1
MODEL = "char-lm"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
#: Where the sampling figure looks for its data (docs/assets/interactive/common.js, loadData).
SAMPLING_PATH = Path("assets/interactive/data/char-lm-sampling.json")

#: Real contexts, each showing a different kind of uncertainty; the figure opens on the first.
CONTEXTS = [
    ("Start of a word", "HAMLET:\nTo be, or not to be, that is the "),
    ("Middle of a word", "ROMEO:\nBut soft, what light through yonder window br"),
    ("A speaker's name", "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJ"),
    ("After a word", "JULIET:\nO Romeo, Romeo! wherefore art thou"),
    ("Almost certain", "HAMLET:\nTo be, or not to be, that is the q"),
]

# ------------------------------------------------------------------ the sampling figure


def sampling_data(model_dir: Path) -> dict[str, Any]:
    """Each context's logits for the next character (float32 values, written exactly).

    The figure applies temperature and top-k itself, so the reader's slider needs no model.
    """
    model = CharLanguageModel.load(model_dir)
    contexts = []
    for label, text in CONTEXTS:
        logits = model.hidden_states(text)["logits"][-1]
        contexts.append(
            {"label": label, "text": text, "logits": [float(v) for v in logits.tolist()]}
        )
    return {
        "schema": SCHEMA,
        "model": model.card["name"],
        "model_version": model.card["version"],
        "vocab": model.vocab,
        "contexts": contexts,
    }


def write_sampling_data(site_dir: Path, models_dir: Path = MODELS_DIR) -> None:
    """Write the sampling figure's data into the built site (atomically)."""
    data = sampling_data(Path(models_dir) / MODEL)
    with atomic_path(Path(site_dir) / SAMPLING_PATH) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")


# ------------------------------------------------------------------ numbers from the card


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def greedy_example(card: dict[str, Any]) -> str:
    """The card's greedy continuation as a fenced block (prompt included)."""
    example = card["example_greedy"]
    return f"```text\n{example['prompt']}{example['output']}\n```"


def learning_curve(log: dict[str, Any]) -> str:
    """The published run's evaluations: validation bits/char against steps, from its log.

    Training loss is logged in nats per character with dropout on, so it is shown converted to
    bits but is not comparable to validation at face value.
    """
    lines = [
        "| step | learning rate | training loss (bits/char, dropout on) | validation bits/char |",
        "|--:|--:|--:|--:|",
    ]
    for entry in log["history"]:
        lines.append(
            f"| {entry['step']:,} | {entry['lr']:.1e} | {entry['train_loss'] / math.log(2):.3f} "
            f"| {entry['val_bpc']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def _recipe_words(log: dict[str, Any]) -> str:
    """A run's size and budget in words: units, parameters, steps and, if not float32, the
    training precision (two recipes of one width differ in their budget)."""
    precision = (log.get("train_config") or {}).get("precision", "fp32")
    return (
        f"{log['hparams']['hidden_size']} units, {log['parameters']:,} parameters, "
        f"{log['steps']:,} steps" + (", bfloat16" if precision == "bf16" else "")
    )


def curves_table(log: dict[str, Any], earlier: list[tuple[str, dict[str, Any]]]) -> str:
    """Validation bits/char for the published recipe and every recipe it replaced (pass
    :func:`replaced_recipes`): the metric against steps and model size, side by side."""
    runs = [("published", log), *(("earlier", old) for _, old in earlier)]
    curves = [{entry["step"]: entry["val_bpc"] for entry in run["history"]} for _, run in runs]
    header = " | ".join(f"{label}: {_recipe_words(run)}" for label, run in runs)
    lines = [f"| step | {header} |", "|--:|" + "--:|" * len(runs)]
    for step in sorted(set().union(*curves)):
        cells = " | ".join(f"{c[step]:.3f}" if step in c else "–" for c in curves)
        lines.append(f"| {step:,} | {cells} |")
    return "\n".join(lines) + "\n"


#: What a log from before these hyperparameters existed trained with.
# float16/int8: weights stored rounded, options later than the first recipes (False then)
_UNLOGGED_DEFAULTS = {"precision": "fp32", "ema_decay": None, "float16": False, "int8": False}


def recipe_of(log: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """A run's hyperparameters, with the defaults of those an older log does not name, less
    the keys in ``ignore``: two logs with equal recipes ran the same recipe."""
    hparams = {**_UNLOGGED_DEFAULTS, **log["hparams"]}
    return {k: v for k, v in hparams.items() if k not in ignore}


def replaced_recipes(
    log: dict[str, Any], earlier: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    """The earlier logs that ran another recipe than ``log``: a kept log of the published
    recipe itself (the Intel Xeon run it was first published from) replaced no recipe, so the
    curves table leaves it out and the cross-machine prose compares it."""
    return [(label, old) for label, old in earlier if recipe_of(old) != recipe_of(log)]


#: The float32 recipe rerun in bfloat16 for its first evaluations (a check, not a recipe).
BF16_CHECK = (
    Path(__file__).resolve().parents[1] / "experiments" / "results" / "char_lm_bf16_check.json"
)


def bf16_check_table(runs: list[dict[str, Any]], check: dict[str, Any]) -> str:
    """Validation bits/char of the float32 run of the checked recipe on the check's own CPU
    and of the same recipe in bfloat16 at each evaluation the check ran: bfloat16 autocast
    rounds a recipe, it does not change it, and only a run on the same CPU isolates that."""
    float32 = [
        run
        for run in runs
        if recipe_of(run, ignore=("precision",)) == recipe_of(check, ignore=("precision",))
        and recipe_of(run)["precision"] == "fp32"
        and (run.get("machine") or {}).get("cpu") == (check.get("machine") or {}).get("cpu")
    ]
    if not float32:
        raise PageDataError(
            f"data:{MODEL}:table.bf16-check: no float32 log of the checked recipe on its CPU"
        )
    curve = {entry["step"]: entry["val_bpc"] for entry in float32[0]["history"]}
    cpu = _cpu_name(check)
    lines = [
        f"| step | float32 ({cpu}) | bfloat16 ({cpu}) | bfloat16 − float32 |",
        "|--:|--:|--:|--:|",
    ]
    for entry in check["history"]:
        step, bf16 = entry["step"], entry["val_bpc"]
        if step not in curve:
            raise PageDataError(f"data:{MODEL}:table.bf16-check: float32 log has no step {step}")
        lines.append(f"| {step:,} | {curve[step]:.3f} | {bf16:.3f} | {bf16 - curve[step]:+.3f} |")
    return "\n".join(lines) + "\n"


def median_pace(log: dict[str, Any]) -> float:
    """Seconds per step at the run's median pace between evaluations (evaluations included):
    a run that shared the machine for a while is slow in some intervals, not in most."""
    history = log["history"]
    seconds = [
        (b["elapsed_s"] - a["elapsed_s"]) / (b["step"] - a["step"])
        for a, b in itertools.pairwise(history)
    ]
    return float(statistics.median(seconds))


def final_train_val_gap(log: dict[str, Any]) -> float:
    """Validation minus training loss (in bits, dropout on) at the run's last evaluation."""
    final = log["history"][-1]
    return float(final["val_bpc"] - final["train_loss"] / math.log(2))


#: A stretch between evaluations this many times slower per step than the run's median pace
#: was slowed by something besides the recipe (another job on the cores).
SLOW = 1.5


def slow_stretches(log: dict[str, Any]) -> list[tuple[int, int, float]]:
    """(first step, last step, seconds) of each stretch between evaluations, the one from the
    start included, that ran more than `SLOW` times the run's median pace (`median_pace`)."""
    pace = median_pace(log)
    marks = [{"step": 0, "elapsed_s": 0.0}, *log["history"]]
    return [
        (a["step"], b["step"], b["elapsed_s"] - a["elapsed_s"])
        for a, b in itertools.pairwise(marks)
        if b["elapsed_s"] - a["elapsed_s"] > SLOW * pace * (b["step"] - a["step"])
    ]


def slow_stretches_sentence(log: dict[str, Any]) -> str:
    """Why the run's average pace is below its median, in words, from `slow_stretches`: each
    slow stretch's minutes against what the median pace gives it, or that there was none."""
    stretches = slow_stretches(log)
    if not stretches:
        return "It kept about that pace throughout, with the machine to itself."
    pace = median_pace(log)
    parts = [
        f"{f'its first {end:,} steps' if start == 0 else f'steps {start:,} to {end:,}'} took "
        f"{seconds / 60:.1f} minutes instead of about {(end - start) * pace / 60:.1f}"
        for start, end, seconds in stretches
    ]
    sentence = _and(parts)
    where = "that stretch" if len(stretches) == 1 else "those stretches"
    return (
        f"The difference is {'one slow stretch' if len(stretches) == 1 else 'its slow stretches'}"
        f": {sentence}, because other work shared the two cores during {where}."
    )


def speed_values(log: dict[str, Any], models_dir: Path) -> dict[str, str]:
    """Steps per second of the published and quick runs, from their logs, and what the
    published run's median pace gives the whole recipe (``median-pace-minutes``) and twice its
    steps (``double-steps-minutes``)."""
    from rnn_site.sitebuild.recipes import QUICK_DIR, quick_log_path

    published = log["steps"] / log["train_wall_time_s"]
    pace = median_pace(log)
    values = {
        "published-steps-per-s": f"{published:.1f}",
        "median-steps-per-s": f"{1 / pace:.1f}",
        "median-pace-minutes": f"{round(log['steps'] * pace / 60)}",
        "double-steps-minutes": f"{round(2 * log['steps'] * pace / 60)}",
        "slow-stretches": slow_stretches_sentence(log),
    }
    quick_path = quick_log_path(MODEL, QUICK_DIR)
    if quick_path.is_file():
        quick = json.loads(quick_path.read_text("utf-8"))
        values["quick-steps-per-s"] = f"{quick['steps'] / quick['train_wall_time_s']:.1f}"
    return values


def bpc_table(card: dict[str, Any]) -> str:
    """Markdown: the LSTM against the n-gram baseline on validation and test, from the card."""
    ((ngram_name, ngram),) = card["baselines"].items()
    lstm = card["metrics"][card["name"]]
    rows = [
        "| Model | Validation bits/char | Test bits/char | Per-character perplexity (test) |",
        "|---|---:|---:|---:|",
    ]
    for name, scores in ((f"LSTM (`{card['name']}`)", lstm), (ngram_name, ngram)):
        rows.append(
            f"| {name} | {scores['val_bpc']:.3f} | {scores['test_bpc']:.3f} "
            f"| {2 ** scores['test_bpc']:.2f} |"
        )
    gain = ngram["test_bpc"] - lstm["test_bpc"]
    return (
        "\n".join(rows)
        + f"\n\nOn the test plays the LSTM needs {gain:.3f} bits fewer per character "
        f"({gain / ngram['test_bpc']:.1%} less) than the best n-gram model. Read from "
        f"`models/{card['name']}/card.json` (v{card['version']}) when this page was built.\n"
    )


# ------------------------------------------------------------------ the hidden units


def _colour(value: float, scale: float) -> str:
    """Orange for positive, blue for negative, white at zero (the demos' palette)."""
    t = max(-1.0, min(1.0, value / scale)) if scale > 0 else 0.0
    r, g, b = (230, 97, 1) if t >= 0 else (33, 102, 172)
    mix = [round(255 + (c - 255) * abs(t)) for c in (r, g, b)]
    return f"rgb({mix[0]}, {mix[1]}, {mix[2]})"


def unit_strip(text: str, values: list[float]) -> str:
    """The excerpt as HTML, each character's background coloured by the unit's activation."""
    scale = max((abs(v) for v in values), default=0.0)
    spans = []
    for ch, v in zip(text, values, strict=True):
        shown = "↵\n" if ch == "\n" else html.escape(ch)
        spans.append(
            f'<span style="background:{_colour(v, scale)}" title="{v:+.3f}">{shown}</span>'
        )
    return f'<pre class="tg-strip">{"".join(spans)}</pre>'


#: How the strips' data tables write a character (as the demos' visibleChar does).
_VISIBLE = {"\n": "↵", " ": "␣", "\t": "⇥"}


def strip_table(name: str, text: str, values: list[float]) -> str:
    """The strip's numbers: each character with the unit's activation after reading it."""
    rows = [
        [str(t + 1), _VISIBLE.get(ch, ch), f"{v:+.3f}"]
        for t, (ch, v) in enumerate(zip(text, values, strict=True))
    ]
    return data_table(
        f"Values of {name}, character by character", ["Step", "Character", name], rows
    )


def units_table(results: dict[str, Any]) -> str:
    """Markdown: per feature, the unit chosen on one play and its correlation on the other."""
    select, check = results["select"]["play"], results["check"]["play"]
    rows = [
        f"| Feature | Unit | r on {_title(select)} (chosen) | r on {_title(check)} (held out) |",
        "|---|---|---:|---:|",
    ]
    for feature in results["features"]:
        best = feature["units"][0]
        rows.append(
            f"| {feature['label']} | `{best['kind']}[{best['unit']}]` "
            f"| {best['r_select']:+.2f} | {best['r_check']:+.2f} |"
        )
    return "\n".join(rows) + "\n"


def units_strips(results: dict[str, Any]) -> str:
    """HTML: the held-out excerpt coloured by the best unit of each feature (each unit once)."""
    parts, seen = [], set()
    for feature in results["features"]:
        best = feature["units"][0]
        if (best["kind"], best["unit"]) in seen:
            continue
        seen.add((best["kind"], best["unit"]))
        name = f"{best['kind']}[{best['unit']}]"
        parts.append(
            f'<figure class="tg-unit" data-feature="{feature["name"]}">'
            f"<figcaption><code>{name}</code>, the unit that best follows "
            f"<em>{html.escape(feature['label'])}</em> (r = {best['r_check']:+.2f} on "
            "this play)</figcaption>"
            f"{unit_strip(results['excerpt'], best['excerpt'])}"
            f"{strip_table(name, results['excerpt'], best['excerpt'])}</figure>"
        )
    return "\n".join(parts) + "\n"


def _title(slug: str) -> str:
    """ "the-merchant-of-venice" → "The Merchant of Venice"."""
    words = slug.split("-")
    return " ".join(w if i and w in ("of", "the") else w.capitalize() for i, w in enumerate(words))


def unit_values(results: dict[str, Any]) -> dict[str, str]:
    """Inline numbers for the prose: how many units follow a feature, and the thresholds.

    Keys: ``characters``, ``strong-threshold``, ``weak-threshold``, ``select-play``,
    ``check-play``, ``KIND-units|strong|weak|none`` (KIND ``h`` or ``c``), ``best.FEATURE``
    (the unit), ``r.FEATURE`` (its correlation on the held-out play) and ``shared``.
    """
    values = {
        "characters": f"{results['select']['characters']:,}",
        "strong-threshold": f"{results['thresholds']['strong']:.1f}",
        "weak-threshold": f"{results['thresholds']['weak']:.1f}",
        "select-play": _title(results["select"]["play"]),
        "check-play": _title(results["check"]["play"]),
    }
    for kind, summary in results["summary"].items():
        for key in ("units", "strong", "weak", "none"):
            values[f"{kind}-{key}"] = str(summary[key])
    for feature in results["features"]:
        best = feature["units"][0]
        values[f"best.{feature['name']}"] = f"`{best['kind']}[{best['unit']}]`"
        values[f"r.{feature['name']}"] = f"{best['r_check']:+.2f}"
    values["shared"] = shared_units(results)
    return values


def shared_units(results: dict[str, Any]) -> str:
    """A sentence naming units that are among the top few for more than one feature."""
    features: dict[str, list[str]] = {}
    for feature in results["features"]:
        for unit in feature["units"]:
            name = f"`{unit['kind']}[{unit['unit']}]`"
            features.setdefault(name, []).append(f"*{feature['label']}*")
    shared = {name: labels for name, labels in features.items() if len(labels) > 1}
    if not shared:
        return "No unit is among the best few for more than one feature."
    return " ".join(
        f"{name} is among the best {len(results['features'][0]['units'])} for "
        f"{', '.join(labels[:-1])} and {labels[-1]}."
        for name, labels in shared.items()
    )


def stale_note(results: dict[str, Any], models_dir: Path = MODELS_DIR) -> str:
    """An admonition if the cached units were measured on another model than the one served."""
    try:
        manifest = read_manifest(models_dir)
        card = json.loads((models_dir / MODEL / "card.json").read_text("utf-8"))
        current = char_lm_units.model_sha256(manifest, MODEL, card)
    except (OSError, KeyError, ValueError) as exc:
        return f'!!! warning "No model to compare with"\n    {exc}\n'
    if current == results["model_sha256"]:
        return ""
    return (
        '!!! warning "Measured on an older model"\n'
        "    The numbers in this section were measured on a previous export of the model. "
        "Rerun `python -m rnn_site.experiments.char_lm_units` to refresh them.\n"
    )


# ------------------------------------------------------------------ the page's generators


def _card(models_dir: Path) -> dict[str, Any]:
    card: dict[str, Any] = model_file(MODEL, "card", models_dir)
    return card


def _log(models_dir: Path) -> dict[str, Any]:
    log: dict[str, Any] = model_file(MODEL, "metrics", models_dir)  # the training log
    return log


def _units_results() -> dict[str, Any]:
    char_lm_units.load_results()  # FileNotFoundError that says how to make them
    results: dict[str, Any] = read_json(char_lm_units.RESULTS_PATH)
    return results


def _scores(models_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """(LSTM, n-gram) validation and test bits/char from the card."""
    card = _card(models_dir)
    ((_, ngram),) = card["baselines"].items()
    return card["metrics"][card["name"]], ngram


def rounding_effect(log: dict[str, Any]) -> str:
    """What rounding to int8 did to the last validation figure of the curves (the float
    weights' best) against the score (the shipped int8 weights), as both print to 3 decimals."""
    shipped, trained = log["char_lm"]["val_bpc"], log["best"]["val_bpc"]
    if f"{shipped:.3f}" == f"{trained:.3f}":
        return "too little to show in the three decimals of the curves below"
    way = "lower" if trained < shipped else "higher"
    return (
        "which is why the last validation figure in the curves reads a little "
        f"{way} than the score above"
    )


#: Derived numbers of the prose: key → how it is computed from the models folder.
VALUES: dict[str, Callable[[Path], str]] = {
    "train-characters": lambda d: f"{_log(d)['data']['characters']['train'] / 1e6:.1f} million",
    "train-plays": lambda d: str(len(_log(d)["data"]["train_plays"])),
    "test-plays": lambda d: _and([f"*{_title(p)}*" for p in _log(d)["data"]["test_plays"]]),
    "train-minutes": lambda d: str(round(_log(d)["wall_time_s"] / 60)),
    "train-threads": lambda d: str(_log(d)["train_config"]["threads"]),
    "train-val-gap": lambda d: f"{final_train_val_gap(_log(d)):.2f}",
    "rounding-cost": lambda d: f"{_log(d)['char_lm']['val_bpc'] - _log(d)['best']['val_bpc']:.4f}",
    "ngram-context": lambda d: str(_log(d)["baseline"]["order"] - 1),
    "bpc-gain": lambda d: f"{_scores(d)[1]['test_bpc'] - _scores(d)[0]['test_bpc']:.2f}",
    "lstm-val-test-gap": lambda d: f"{_scores(d)[0]['test_bpc'] - _scores(d)[0]['val_bpc']:.2f}",
    "ngram-val-test-gap": lambda d: f"{_scores(d)[1]['test_bpc'] - _scores(d)[1]['val_bpc']:.2f}",
    "ngram-test-bpc": lambda d: f"{_scores(d)[1]['test_bpc']:.2f}",
    "uniform-bpc": lambda d: f"{math.log2(_card(d)['config']['vocab_size']):.2f}",
    "table.bpc": lambda d: bpc_table(_card(d)),
    "table.learning-curve": lambda d: learning_curve(_log(d)),
    "rounding-effect": lambda d: rounding_effect(_log(d)),
    "table.curves": lambda d: curves_table(_log(d), replaced_recipes(_log(d), earlier_logs(MODEL))),
    "table.bf16-check": lambda d: bf16_check_table(
        [_log(d), *(log for _, log in earlier_logs(MODEL))], read_json(BF16_CHECK)
    ),
    "table.recipes": lambda d: recipes_table(
        MODEL, lambda run: f"{run['char_lm']['test_bpc']:.3f}", "test bits/char", d
    ),
    "example.greedy": lambda d: greedy_example(_card(d)),
    "table.units": lambda d: units_table(_units_results()),
    "figure.unit-strips": lambda d: units_strips(_units_results()),
    "note.units-stale": lambda d: stale_note(_units_results(), d),
}


for _key, _compute in VALUES.items():
    generator(MODEL, _key)(_compute)


@generator(MODEL, "speed", argument=True)
def speed_on_page(models_dir: Path, which: str) -> str:
    """One of :func:`speed_values`: ``published-steps-per-s`` or ``quick-steps-per-s`` (which
    needs the kept quick log)."""
    values = speed_values(_log(models_dir), models_dir)
    if which not in values:
        raise PageDataError(f"data:{MODEL}:speed:{which}: not one of {', '.join(values)}")
    return values[which]


@generator(MODEL, "parameters-over", argument=True)
def parameters_over(models_dir: Path, label: str) -> str:
    """How many times the parameters of the earlier recipe ``label`` (``448-units``) the
    published model has: roughly its arithmetic per step, one multiply-add per weight."""
    earlier = dict(earlier_logs(MODEL))
    name = label.replace("-", " ")
    if name not in earlier:
        raise PageDataError(f"data:{MODEL}:parameters-over:{label}: no earlier recipe {name!r}")
    return f"{_log(models_dir)['parameters'] / earlier[name]['parameters']:.1f}"


def candidate_log(label: str) -> dict[str, Any]:
    """The log of a candidate recipe that was measured and not published
    (``recipes/char-lm-candidate-<label>.json``)."""
    path = QUICK_DIR / f"{MODEL}-candidate-{label}.json"
    if not path.is_file():
        raise PageDataError(f"data:{MODEL}:candidate: no candidate log {path.name}")
    return dict(read_json(path))


#: The model published when every candidate below was judged: the published recipe as first
#: trained and published, on an Intel Xeon. The recipe was retrained unchanged on another
#: machine and republished (rnn_site/experiments/results/language_republish_rule.md), so
#: each candidate's rule compared it with this log, not with today's ``metrics.json``.
PUBLISHED_THEN = QUICK_DIR / f"{MODEL}-earlier-xeon.json"


def published_then_log() -> dict[str, Any]:
    """The training log of the model published when the candidates were judged."""
    if not PUBLISHED_THEN.is_file():
        raise PageDataError(f"data:{MODEL}: no {PUBLISHED_THEN.name}, the model published then")
    return dict(read_json(PUBLISHED_THEN))


def _run_log(models_dir: Path, which: str) -> dict[str, Any]:
    """``published`` (today's log), ``published-then`` or a candidate's label."""
    if which == "published":
        return _log(models_dir)
    if which == "published-then":
        return published_then_log()
    return candidate_log(which)


@generator(MODEL, "cpu", argument=True)
def cpu_on_page(models_dir: Path, which: str) -> str:
    """The CPU a run trained on (`_cpu_name`): ``published``, ``published-then`` or a
    candidate's label."""
    return _cpu_name(_run_log(models_dir, which))


@generator(MODEL, "published-then", argument=True)
def published_then_value(models_dir: Path, which: str) -> str:
    """The model published then: ``val`` or ``test`` bits/char, or ``miss:TARGET``, by how
    much its test score missed ``TARGET`` (refused if it met it)."""
    del models_dir
    scores = published_then_log()["char_lm"]
    if which in ("val", "test"):
        return f"{scores[f'{which}_bpc']:.3f}"
    if which.startswith("miss:"):
        miss = scores["test_bpc"] - float(which.removeprefix("miss:"))
        if miss <= 0:
            raise PageDataError(f"data:{MODEL}:published-then:{which}: that model met the target")
        return f"{miss:.3f}"
    raise PageDataError(f"data:{MODEL}:published-then:{which}: not one of val, test, miss:TARGET")


@generator(MODEL, "candidate-curve", argument=True)
def candidate_curve(models_dir: Path, label: str) -> str:
    """A candidate's evaluations, as :func:`learning_curve` shows the published run's."""
    del models_dir
    return learning_curve(candidate_log(label))


@generator(MODEL, "candidate-scores", argument=True)
def candidate_scores(models_dir: Path, label: str) -> str:
    """A candidate's validation and test bits/char against the model published when its rule
    ran (`published_then_log`), in words."""
    del models_dir
    ours, theirs = published_then_log()["char_lm"], candidate_log(label)["char_lm"]
    return (
        f"validation {theirs['val_bpc']:.3f} against {ours['val_bpc']:.3f} for the model "
        f"published then, test {theirs['test_bpc']:.3f} against {ours['test_bpc']:.3f}"
    )


@generator(MODEL, "candidate-vs-today", argument=True)
def candidate_vs_today(models_dir: Path, label: str) -> str:
    """A candidate's validation bits/char against today's published model's, in a sentence
    that says whether the two trained on one CPU; across CPUs it gives the shift of the
    published recipe itself between them (`cross_machine_values`), since the two scores are
    then not comparable."""
    today, candidate = _log(models_dir), candidate_log(label)
    ours, theirs = today["char_lm"]["val_bpc"], candidate["char_lm"]["val_bpc"]
    shown = round(theirs, 3), round(ours, 3)  # as the sentence prints them
    side = "level with" if shown[0] == shown[1] else "below" if shown[0] < shown[1] else "above"
    if _cpu_name(today) == _cpu_name(candidate):
        return (
            f"Against the {ours:.3f} of the model published now, which trained on the same CPU "
            f"({_cpu_name(today)}), its validation score of {theirs:.3f} is {side} it"
        )
    then = published_then_log()
    if _cpu_name(then) != _cpu_name(candidate):
        raise PageDataError(
            f"data:{MODEL}:candidate-vs-today:{label}: the candidate trained on neither CPU "
            "of the cross-machine comparison"
        )
    shift = cross_machine_values(today, then)["val-difference"]
    return (
        f"Its validation score is {side} the {ours:.3f} of the model published now, but that "
        f"model trained on an {_cpu_name(today)} and this candidate on an "
        f"{_cpu_name(candidate)}, so the two scores are not comparable: the published recipe "
        f"itself moved by {shift} between those two CPUs (see *The same command on another "
        "CPU* below)"
    )


@generator(MODEL, "candidate-hparam", argument=True)
def candidate_hparam(models_dir: Path, spec: str) -> str:
    """One hyperparameter of a candidate's recipe: ``LABEL:KEY``, for example
    ``dropout-bf16-40000-steps:dropout``."""
    del models_dir
    label, _, key = spec.rpartition(":")
    hparams = candidate_log(label)["hparams"]
    if key not in hparams:
        raise PageDataError(f"data:{MODEL}:candidate-hparam:{spec}: no hyperparameter {key!r}")
    value = hparams[key]
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


@generator(MODEL, "candidates-dropout", argument=True)
def candidates_dropout(models_dir: Path, labels: str) -> str:
    """Candidates (``LABEL,LABEL``) that differ in dropout, side by side at each evaluation:
    validation bits/char and training loss (bits, dropout on), so a reader sees what more
    dropout did to each."""
    del models_dir
    runs = [candidate_log(label) for label in labels.split(",")]
    curves = [{e["step"]: e for e in run["history"]} for run in runs]
    names = [f"dropout {run['hparams']['dropout']}" for run in runs]
    header = " | ".join(f"validation, {n}" for n in names)
    header += " | " + " | ".join(f"training loss, {n}" for n in names)
    lines = [f"| step | {header} |", "|--:|" + "--:|" * (2 * len(runs))]
    for step in sorted(set().union(*curves)):
        val = [f"{c[step]['val_bpc']:.3f}" if step in c else "–" for c in curves]
        train = [f"{c[step]['train_loss'] / math.log(2):.3f}" if step in c else "–" for c in curves]
        lines.append(f"| {step:,} | {' | '.join(val + train)} |")
    return "\n".join(lines) + "\n"


def _raw_curve(label: str, key: str) -> dict[int, dict[str, Any]]:
    """A candidate's evaluations by step, refused unless each logs the weights as trained
    (``raw_val_bpc``), which the loop logs only for a run with ``ema_decay``."""
    curve = {e["step"]: e for e in candidate_log(label)["history"]}
    missing = [step for step, e in curve.items() if "raw_val_bpc" not in e]
    if missing:
        raise PageDataError(
            f"data:{MODEL}:{key}:{label}: the evaluation at step {missing[0]:,} has no "
            "raw_val_bpc; only a run with ema_decay logs the weights as trained beside the average"
        )
    return curve


@generator(MODEL, "candidate-averaging", argument=True)
def candidate_averaging(models_dir: Path, label: str) -> str:
    """A weight-averaging candidate at each evaluation: the validation bits/char of the model
    published when its rule ran (`published_then_log`), the candidate's weights as trained
    (the published recipe again, so a reproduction) and its moving average, and what the
    average changed."""
    del models_dir
    then = published_then_log()
    published = {e["step"]: e["val_bpc"] for e in then["history"]}
    curve = _raw_curve(label, "candidate-averaging")
    cpu = _cpu_name(candidate_log(label))
    lines = [
        f"| step | published then ({_cpu_name(then)}) | candidate, weights as trained ({cpu}) "
        "| candidate, averaged weights | averaged − as trained |",
        "|--:|--:|--:|--:|--:|",
    ]
    for step, e in sorted(curve.items()):
        ours = f"{published[step]:.3f}" if step in published else "–"
        raw, averaged = e["raw_val_bpc"], e["val_bpc"]
        lines.append(f"| {step:,} | {ours} | {raw:.3f} | {averaged:.3f} | {averaged - raw:+.3f} |")
    return "\n".join(lines) + "\n"


@generator(MODEL, "weights-as-trained", argument=True)
def weights_as_trained(models_dir: Path, label: str) -> str:
    """How a weight-averaging candidate's weights as trained (the published recipe, same
    command, seed and threads) compare with today's published run, evaluation by evaluation:
    validation bits/char and training loss. Refused unless the two trained on one CPU, since
    the page offers this as a rerun on the same machine."""
    today, candidate = _log(models_dir), candidate_log(label)
    if _cpu_name(today) != _cpu_name(candidate):
        raise PageDataError(
            f"data:{MODEL}:weights-as-trained:{label}: the candidate trained on an "
            f"{_cpu_name(candidate)}, the published model on an {_cpu_name(today)}"
        )
    curve = _raw_curve(label, "weights-as-trained")
    ours = {e["step"]: e for e in today["history"]}
    if set(curve) != set(ours):
        raise PageDataError(
            f"data:{MODEL}:weights-as-trained:{label}: the two runs evaluated at other steps"
        )
    differ = [
        abs(e["raw_val_bpc"] - ours[step]["val_bpc"])
        for step, e in curve.items()
        if e["raw_val_bpc"] != ours[step]["val_bpc"] or e["train_loss"] != ours[step]["train_loss"]
    ]
    if not differ:
        return (
            f"its validation scores and training losses equal the published run's at all "
            f"{len(curve)} evaluations, to every digit the logs keep"
        )
    return (
        f"its validation scores or training losses differ from the published run's at "
        f"{len(differ)} of {len(curve)} evaluations, validation by up to {max(differ):.4f} bits"
    )


@generator(MODEL, "averaging-span", argument=True)
def averaging_span(models_dir: Path, label: str) -> str:
    """About how many of the last steps a candidate's moving average spans: 1 / (1 − decay)."""
    del models_dir
    decay = candidate_log(label)["hparams"].get("ema_decay")
    if not decay:
        raise PageDataError(f"data:{MODEL}:averaging-span:{label}: the candidate has no ema_decay")
    return f"{round(1 / (1 - decay)):,}"


def _cpu_name(log: dict[str, Any]) -> str:
    """The CPU a run trained on, as a page names it (`cpu_name`: "Intel Xeon"); PageDataError
    when its log names none, since these pages compare two machines."""
    cpu = (log.get("machine") or {}).get("cpu")
    if not cpu:
        raise PageDataError(f"data:{MODEL}: a log names no CPU (machine.cpu)")
    return cpu_name(cpu)


def cross_machine_values(published: dict[str, Any], earlier: dict[str, Any]) -> dict[str, str]:
    """The published recipe on two CPUs: today's published log and the kept log of the model
    published before it (``earlier``), compared at the last evaluation both logged (``step``,
    ``val-difference``) and at the first (``first-step``, ``first-val-difference``: the
    training loss logged there is a mean over every step before it, so the two can agree while
    validation already differs).
    ``published-ahead-steps`` lists the evaluations at which today's run scored lower.
    Refused unless the two ran one recipe on different CPUs."""
    if recipe_of(published) != recipe_of(earlier):
        raise PageDataError(f"data:{MODEL}:cross-machine: the two logs ran different recipes")
    if _cpu_name(published) == _cpu_name(earlier):
        raise PageDataError(f"data:{MODEL}:cross-machine: both logs name one CPU")
    ours = {e["step"]: e["val_bpc"] for e in published["history"]}
    theirs = {e["step"]: e["val_bpc"] for e in earlier["history"]}
    steps = sorted(set(ours) & set(theirs))
    if not steps:
        raise PageDataError(f"data:{MODEL}:cross-machine: no evaluation step in common")
    first, last = steps[0], steps[-1]
    ahead = [f"{s:,}" for s in steps if ours[s] < theirs[s]]
    return {
        "earlier-cpu": _cpu_name(earlier),
        "published-cpu": _cpu_name(published),
        "step": f"{last:,}",
        "earlier-val": f"{theirs[last]:.3f}",
        "published-val": f"{ours[last]:.3f}",
        "val-difference": f"{abs(ours[last] - theirs[last]):.3f}",
        "first-step": f"{first:,}",
        "first-val-difference": f"{abs(ours[first] - theirs[first]):.3f}",
        "published-ahead-steps": _and(ahead) if ahead else "none",
    }


@generator(MODEL, "cross-machine", argument=True)
def cross_machine(models_dir: Path, which: str) -> str:
    """One of :func:`cross_machine_values` for today's published log and the model published
    then (`published_then_log`), for example ``val-difference``."""
    values = cross_machine_values(_log(models_dir), published_then_log())
    if which not in values:
        raise PageDataError(f"data:{MODEL}:cross-machine:{which}: not one of {', '.join(values)}")
    return values[which]


@generator(MODEL, "target-miss-vs-shift", argument=True)
def target_miss_vs_shift(models_dir: Path, target: str) -> str:
    """How the published model's miss of the test ``target`` compares with the published
    recipe's validation shift between two CPUs (`cross_machine_values`), in words, so the
    sentence stays true whichever is larger (compared as both print, to 3 decimals)."""
    miss = target_miss(models_dir, target)
    shift = cross_machine_values(_log(models_dir), published_then_log())["val-difference"]
    if miss == shift:
        side = "as much as"
    else:
        side = "more than" if float(miss) > float(shift) else "less than"
    return (
        f"{side} the {shift} by which the same recipe's validation score moved between the two CPUs"
    )


@generator(MODEL, "target-miss", argument=True)
def target_miss(models_dir: Path, target: str) -> str:
    """By how many bits/char the published test score misses ``target``; refused when it
    meets it, since the prose around it would then be untrue."""
    lstm, _ = _scores(models_dir)
    miss = lstm["test_bpc"] - float(target)
    if miss <= 0:
        raise PageDataError(f"data:{MODEL}:target-miss:{target}: the published model meets it")
    return f"{miss:.3f}"


@generator(MODEL, "candidate-verdict", argument=True)
def candidate_verdict(models_dir: Path, label: str) -> str:
    """What the candidate's rule decided, in words: each rule published a candidate only if
    its validation bits/char (as shipped) beat those of the model published then
    (`published_then_log`)."""
    del models_dir
    ours, theirs = published_then_log()["char_lm"], candidate_log(label)["char_lm"]
    if theirs["val_bpc"] < ours["val_bpc"]:
        return "It did"
    return "It did not, so it was not published"


@generator(MODEL, "candidate-pace", argument=True)
def candidate_pace(models_dir: Path, label: str) -> str:
    """A candidate's seconds per step over the float32 published recipe's on the same CPU (the
    model published then), each at its median pace between evaluations (evaluations
    included): the speed-up its recipe bought, measured on the runs themselves rather than on
    a benchmark. Refused across CPUs, where the ratio would measure the machines."""
    del models_dir
    candidate, then = candidate_log(label), published_then_log()
    if _cpu_name(candidate) != _cpu_name(then):
        raise PageDataError(
            f"data:{MODEL}:candidate-pace:{label}: the candidate trained on an "
            f"{_cpu_name(candidate)}, the model published then on an {_cpu_name(then)}"
        )
    return f"{median_pace(candidate) / median_pace(then):.2f}"


@generator(MODEL, "target-verdict", argument=True)
def target_verdict(models_dir: Path, target: str) -> str:
    """Whether the published test bits/char meets ``target`` (at most it), in words."""
    lstm, _ = _scores(models_dir)
    margin = float(target) - lstm["test_bpc"]
    if margin >= 0:
        return f"That meets the target, with {margin:.3f} bits to spare"
    return f"That misses the target by {-margin:.3f} bits"


@generator(MODEL, "validation-for-test", argument=True)
def validation_for_test(models_dir: Path, target: str) -> str:
    """The validation bits/char that a test ``target`` needs, given the LSTM's test-val gap."""
    lstm, _ = _scores(models_dir)
    return f"{float(target) - (lstm['test_bpc'] - lstm['val_bpc']):.2f}"


@generator(MODEL, "units", argument=True)
def units_on_page(models_dir: Path, which: str) -> str:
    """One of the hidden-unit experiment's numbers for the prose (see :func:`unit_values`)."""
    values = unit_values(_units_results())
    if which not in values:
        raise PageDataError(f"data:{MODEL}:units:{which}: not one of {', '.join(values)}")
    return values[which]
