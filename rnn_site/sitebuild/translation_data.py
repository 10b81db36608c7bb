"""The translation page's measured story: what each lever bought, the curve, the target.

Generators of the page-data hook (`rnn_site.sitebuild.page_data`), each reading one file, so the
page cannot drift from what was measured:

- ``<!-- data:translator:table.levers -->``: one short run per lever at the same step budget
  (rnn_site/experiments/results/translator_levers.json, `rnn_site.experiments.translator_levers`);
- ``<!-- data:translator:table.curve -->``: training and validation loss, validation BLEU and
  chrF against steps, from the published run's evaluation log (models/translator/metrics.json);
- ``<!-- data:translator:target -->``: the BLEU target (issue 17) against the card, met or not;
- ``<!-- data:translator:copy-run -->``: the test scores of the first (2,400-step) recipe with an
  output ``<unk>`` copied instead of looked up
  (rnn_site/experiments/results/translator_copy_unk.json);
- ``<!-- data:translator:copy-run-minutes -->``: that run's wall time, in minutes;
- ``<!-- data:translator:table.recipes -->``: the published, ``--quick`` and earlier recipes, with
  their commands, steps, wall times and test scores (`rnn_site.sitebuild.recipes`);
- ``<!-- data:translator:table.unk -->``: what each rule for an output ``<unk>`` scored on the
  validation sentences, the same outputs rewritten
  (rnn_site/experiments/results/translator_unk.json, `rnn_site.experiments.translator_unk`);
- ``<!-- data:translator:dictionary-size -->``: the size of the shipped dictionary.json;
- ``<!-- data:translator:earlier:KEY -->``: the replaced 2,400-step recipe, whose weights the copy
  run and the ``<unk>`` rules were measured on (``minutes``: its wall time; ``val``: its
  validation scores, greedy, with the shipped ``<unk>`` rule; ``steps``);
- ``<!-- data:translator:table.beam -->`` and ``<!-- data:translator:beam-decision -->``: beam
  search's length exponent and width on the validation sentences, the rule's choice and the test
  scores (rnn_site/experiments/results/translator_beam.json,
  `rnn_site.experiments.translator_beam`).
- ``<!-- data:translator:table.size -->`` and ``<!-- data:translator:size:KEY -->``: the
  published model against the same recipe with another decoder size, at the full budget
  (``rnn_site/experiments/results/recipes/translator-candidate-decoder-*.json``, each the
  ``metrics.json`` of ``rnn-site train translator --hidden N``); ``size:claim`` refuses to
  render when the page's reading of it stops holding (`size_value`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.sitebuild.page_data import (
    PageDataError,
    cpu_name,
    generator,
    model_file,
    read_json,
)
from rnn_site.sitebuild.recipes import QUICK_DIR, recipes_table

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results"
LEVERS = RESULTS / "translator_levers.json"
#: The published recipe's first run, identical but for an output <unk>: the English word copied.
COPY_RUN = RESULTS / "translator_copy_unk.json"
#: Every rule for an output <unk>, scored on the same validation outputs.
UNK_RULES = RESULTS / "translator_unk.json"
#: The recipe the published one replaced (2,400 steps): the copy run and the <unk> rules
#: comparison were measured on its weights.
EARLIER = RESULTS / "recipes" / "translator-earlier-2400-steps.json"
#: Beam search's length exponent and width on the validation sentences, and the test once.
BEAM_RANKING = RESULTS / "translator_beam.json"
#: The search published when the beam experiment ran (alpha 1: the average; width 5); the
#: experiment's ``TODAY`` (not imported: the build stays free of the trainer's imports).
SEARCH_THEN = (1.0, 5)
#: The target of issue 17: test BLEU (cased, beam search) at least this.
TARGET_BLEU = 10.0
#: Runs of the published recipe with another decoder size (``--hidden N``), kept as
#: measurements, not publication candidates (`size_runs`).
SIZE_RUNS = "translator-candidate-decoder-*.json"
#: The size table shows the validation scores every this many steps (the logs hold every
#: evaluation; the curve above shows the published run's).
SIZE_EVERY = 2000
#: Hyperparameters the published run's log predates, at the values it was trained with: a
#: size run that logs them must match these (float32, no weight averaging).
LOOP_DEFAULTS: dict[str, Any] = {"precision": "fp32", "ema_decay": None}


def _runs() -> list[dict[str, Any]]:
    return list(read_json(LEVERS)["runs"])


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, first column left-aligned and the figures right-aligned."""
    lines = ["| " + " | ".join(head) + " |", "|---|" + "--:|" * (len(head) - 1)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _change(delta: float) -> str:
    """A signed change with one decimal; one that rounds to zero is "0.0", not "-0.0"."""
    return "0.0" if abs(delta) < 0.05 else f"{delta:+.1f}"


@generator("translator", "table.levers")
def levers_table(models_dir: Path) -> str:
    """One row per lever and budget: validation BLEU and chrF, and the change against the run
    it modifies at the same budget."""
    runs = _runs()
    by_name = {(r["name"], r["steps"]): r for r in runs}
    rows = []
    for run in runs:
        base = by_name.get((run.get("compared_to") or "", run["steps"]))
        cells = [run["lever"], f"{run['steps']:,}"]
        for key in ("val_bleu", "val_chrf"):
            cells += [f"{run[key]:.1f}", "–" if base is None else _change(run[key] - base[key])]
        rows.append([*cells, f"{run['parameters']:,}"])
    head = ["run", "steps", "validation BLEU", "change", "validation chrF", "change", "parameters"]
    return _markdown(head, rows)


@generator("translator", "table.curve")
def curve_table(models_dir: Path) -> str:
    """Training and validation loss, validation BLEU and chrF (greedy, cased) at every
    evaluation of the published run: where validation stops following training is visible."""
    history = model_file("translator", "metrics", models_dir)["history"]
    if not all("val_bleu" in entry for entry in history):
        raise PageDataError("models/translator/metrics.json has no validation BLEU per step")
    rows = [
        [
            f"{e['step']:,}",
            f"{e['train_loss']:.3f}",
            f"{e['val_loss']:.3f}",
            f"{e['val_bleu']:.2f}",
            f"{e['val_chrf']:.2f}",
        ]
        for e in history
    ]
    head = ["step", "training loss (dropout on)", "validation loss", "BLEU", "chrF"]
    return _markdown(head, rows)


@generator("translator", "target")
def target_sentence(models_dir: Path) -> str:
    """Whether the card's test BLEU (beam search) meets the target, in one sentence."""
    card = model_file("translator", "card", models_dir)
    figures = card["results"][f"beam-{card['beam']}"]
    lookup = card["results"]["word-lookup"]
    bleu, chrf = figures["bleu"], figures["chrf"]
    met = bleu >= TARGET_BLEU
    beats = bleu > lookup["bleu"] and chrf > lookup["chrf"]
    return (
        f"The target was test BLEU ≥ {TARGET_BLEU:.0f} (cased, beam {card['beam']}) and a win "
        f"over the lookup on both scores: BLEU {bleu:.1f} {'meets' if met else '**misses**'} "
        f"it, and the model {'beats' if beats else '**does not beat**'} the lookup on both "
        f"(chrF {chrf:.1f} against {lookup['chrf']:.1f})."
    )


@generator("translator", "table.recipes")
def recipes(models_dir: Path) -> str:
    """The published, quick and earlier runs: command, steps, wall time, test BLEU / chrF
    (beam)."""

    def score(log: dict[str, Any]) -> str:
        figures = log["results"][f"beam-{log['beam']}"]
        return f"{figures['bleu']:.1f} / {figures['chrf']:.1f}"

    return recipes_table("translator", score, "test BLEU / chrF (beam)", models_dir)


def size_runs(models_dir: Path, kept: Path = QUICK_DIR) -> list[tuple[str, dict[str, Any]]]:
    """(label, training log) of the published run, then of every kept size run, fewest
    decoder units last.

    A size run must be the published recipe but for ``decoder_hidden``: same seed, steps and
    other hyperparameters, and finished; anything else would not measure size, so it is
    refused. Its label is the log's ``label``, else the file's ("decoder 96").
    """
    published = model_file("translator", "metrics", models_dir)
    runs = [("published", published)]
    for path in sorted(kept.glob(SIZE_RUNS)):
        log = read_json(path)
        mine, theirs = log["hparams"], published["hparams"]
        differs = sorted(
            key
            for key in (set(mine) | set(theirs)) - {"decoder_hidden"}
            if mine.get(key, LOOP_DEFAULTS.get(key)) != theirs.get(key, LOOP_DEFAULTS.get(key))
        )
        if differs or log["seed"] != published["seed"]:
            raise PageDataError(
                f"{path.name} is not the published recipe but for decoder_hidden: it differs "
                f"in {', '.join(differs or ['seed'])}"
            )
        if not log.get("complete") or log["steps"] != published["steps"]:
            raise PageDataError(
                f"{path.name}: {log['steps']:,} steps, complete={log.get('complete')}; a size "
                f"run must finish the published {published['steps']:,}"
            )
        label = path.stem.removeprefix("translator-candidate-").replace("-", " ")
        runs.append((log.get("label") or label, log))
    runs[1:] = sorted(runs[1:], key=lambda run: -run[1]["model_config"]["decoder_hidden"])
    return runs


def _validation(log: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """A log's evaluations by step."""
    return {entry["step"]: entry for entry in log["history"]}


def _test(log: dict[str, Any], search: str) -> str:
    figures = log["results"][search]
    return f"{figures['bleu']:.2f} / {figures['chrf']:.2f}"


@generator("translator", "table.size")
def size_table(models_dir: Path, kept: Path = QUICK_DIR) -> str:
    """One column per run (`size_runs`): units, parameters, validation BLEU / chrF (greedy)
    every ``SIZE_EVERY`` steps, the best validation BLEU and its step, test BLEU / chrF with
    beam search (each log's width) and greedy."""
    runs = size_runs(models_dir, kept)
    curves = [_validation(log) for _, log in runs]
    steps = sorted(set.intersection(*(set(c) for c in curves)))
    rows = [
        ["encoder / decoder units"]
        + [
            f"{log['model_config']['encoder_hidden']} / {log['model_config']['decoder_hidden']}"
            for _, log in runs
        ],
        ["parameters"] + [f"{log['parameters']:,}" for _, log in runs],
    ]
    for step in (s for s in steps if s % SIZE_EVERY == 0):
        rows.append(
            [f"validation BLEU / chrF, step {step:,}"]
            + [f"{c[step]['val_bleu']:.2f} / {c[step]['val_chrf']:.2f}" for c in curves]
        )
    rows.append(
        ["best validation BLEU (step)"]
        + [f"{log['best']['val_bleu']:.2f} ({log['best']['step']:,})" for _, log in runs]
    )
    beams = {log["beam"] for _, log in runs}
    same = len(beams) == 1  # else each cell names its log's width
    rows.append(
        [f"test BLEU / chrF, beam {beams.pop()}" if same else "test BLEU / chrF, beam search"]
        + [
            _test(log, f"beam-{log['beam']}") + ("" if same else f" (beam {log['beam']})")
            for _, log in runs
        ]
    )
    rows.append(["test BLEU / chrF, greedy"] + [_test(log, "greedy") for _, log in runs])
    head = ["same recipe, seed and data", *(label for label, _ in runs)]
    return _markdown(head, rows)


def wobble(log: dict[str, Any]) -> tuple[float, float, int]:
    """(lowest, highest, first step) of the run's validation BLEU over the second half of its
    steps: how far its evaluations scatter once the curve has flattened, with nothing changed
    but the step. A difference between two runs smaller than this range is one the page does
    not read as an effect."""
    half = [e for e in log["history"] if e["step"] >= log["steps"] / 2]
    bleu = [e["val_bleu"] for e in half]
    return min(bleu), max(bleu), half[0]["step"]


def _a(name: str) -> str:
    """A CPU's name (`cpu_name`) with its indefinite article ("an AMD EPYC")."""
    if name == cpu_name(None):
        return "one its log does not name"
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


@generator("translator", "size", argument=True)
def size_value(models_dir: Path, key: str, kept: Path = QUICK_DIR) -> str:
    """What the page says of the size table: the published run against the kept size run
    with the fewest decoder units (`size_runs`).

    - ``decoder``: both runs' decoder units and parameters;
    - ``machine``: the CPU the smaller run's log names, against the published run's;
    - ``evaluations``: how many evaluations both logs hold;
    - ``gap``: the smaller run's validation BLEU against the published one's at those
      evaluations, the lowest and the highest difference;
    - ``best``: both best validation BLEU, with their steps;
    - ``test``: both test BLEU (beam search, each log's width);
    - ``claim``: which run came out ahead on the two, and that the best validation BLEU and
      the test BLEU (same beam width) each differ by less than the published run's own
      `wobble`, with that range; PageDataError when either does not (the page reads the
      difference in size as no measurable effect, which the numbers would then no longer
      support).
    """
    runs = size_runs(models_dir, kept)
    if len(runs) < 2:
        raise PageDataError(f"data:translator:size:{key}: no {SIZE_RUNS} kept in {kept}")
    (_, big), (label, small) = runs[0], runs[-1]
    units = [log["model_config"]["decoder_hidden"] for log in (small, big)]
    if units[0] >= units[1]:
        raise PageDataError(f"data:translator:size:{key}: {label} is not smaller than published")
    mine, theirs = _validation(small), _validation(big)
    shared = sorted(set(mine) & set(theirs))
    gaps = [mine[step]["val_bleu"] - theirs[step]["val_bleu"] for step in shared]
    best = [log["best"] for log in (small, big)]
    beams = [log["beam"] for log in (small, big)]
    test = [log["results"][f"beam-{log['beam']}"]["bleu"] for log in (small, big)]
    if key == "decoder":
        return (
            f"{units[0]} units instead of {units[1]} ({small['parameters']:,} parameters "
            f"instead of {big['parameters']:,})"
        )
    if key == "machine":
        cpu_small, cpu_big = (
            cpu_name((log.get("machine") or {}).get("cpu")) for log in (small, big)
        )
        if cpu_small == cpu_big:
            return f"the published run's kind of CPU, {_a(cpu_small)}"
        return f"another CPU, {_a(cpu_small)} (the published run's: {_a(cpu_big)})"
    if key == "evaluations":
        return f"{len(shared)}"
    if key == "gap":
        lowest, highest = (
            f"{abs(g):.2f} {'below' if g < 0 else 'above'}" for g in (min(gaps), max(gaps))
        )
        return f"from {lowest} the published model's to {highest}"
    if key == "best":
        return (
            f"{best[0]['val_bleu']:.2f} at step {best[0]['step']:,} against "
            f"{best[1]['val_bleu']:.2f} at step {best[1]['step']:,}"
        )
    if key == "test":
        search = f"beam {beams[0]}" + ("" if beams[0] == beams[1] else f" against {beams[1]}")
        return f"{test[0]:.2f} against {test[1]:.2f} ({search})"
    if key == "claim":
        if beams[0] != beams[1]:
            raise PageDataError(
                f"data:translator:size:claim: {label} was scored with beam {beams[0]}, the "
                f"published run with beam {beams[1]}; the test BLEU cannot be compared"
            )
        low, high, start = wobble(big)
        spread = high - low
        best_bleu = [b["val_bleu"] for b in best]
        for what, (a, b) in (("best validation", best_bleu), ("test", test)):
            if abs(a - b) >= spread:
                raise PageDataError(
                    f"data:translator:size:claim: the {what} BLEU of {label} and of the "
                    f"published run differ by {abs(a - b):.2f}, not less than the published "
                    f"run's own range {spread:.2f} from step {start:,}: rewrite the page's "
                    f"reading of the size table"
                )
        ahead = [a > b for a, b in (best_bleu, test)]
        where = (
            "ahead on both"
            if all(ahead)
            else "behind on both"
            if not any(ahead)
            else "ahead on one and behind on the other"
        )
        return (
            f"The smaller decoder came out {where}, but both differences are smaller than the "
            f"published run's own scatter from one evaluation to the next: from step {start:,} "
            f"on, its validation BLEU moved between {low:.2f} and {high:.2f} (one seed per run)."
        )
    raise PageDataError(
        f"data:translator:size:{key}: expected decoder, machine, evaluations, gap, best, test "
        f"or claim"
    )


@generator("translator", "copy-run")
def copy_run(models_dir: Path) -> str:
    """The copy-only run's test scores, as the page quotes them."""
    log = read_json(COPY_RUN)
    beam, greedy = log["results"][f"beam-{log['beam']}"], log["results"]["greedy"]
    return (
        f"BLEU {beam['bleu']:.1f} and chrF {beam['chrf']:.1f} with beam {log['beam']} "
        f"(greedy {greedy['bleu']:.1f} and {greedy['chrf']:.1f})"
    )


@generator("translator", "copy-run-minutes")
def copy_run_minutes(models_dir: Path) -> str:
    """The copy-only run's wall time in whole minutes, as its training log recorded it."""
    return f"{read_json(COPY_RUN)['wall_time_s'] / 60:.0f}"


@generator("translator", "table.unk")
def unk_rules_table(models_dir: Path) -> str:
    """One row per rule: validation BLEU and chrF, greedy and beam, the chosen rule in bold."""
    found = read_json(UNK_RULES)
    rows = []
    for rule in found["rules"]:
        name = rule["description"]
        cells = [f"**{name}** (shipped)" if rule["rule"] == found["chosen"] else name]
        for key in ("greedy_bleu", "greedy_chrf", "beam-5_bleu", "beam-5_chrf"):
            cells.append(f"{rule[key]:.2f}")
        rows.append(cells)
    head = ["an output `<unk>` becomes (validation sentences)", "BLEU, greedy", "chrF, greedy",
            "BLEU, beam 5", "chrF, beam 5"]  # fmt: skip
    return _markdown(head, rows)


@generator("translator", "dictionary-size")
def dictionary_size(models_dir: Path) -> str:
    """The shipped dictionary.json's size in MB, one decimal ("1.9 MB")."""
    card = model_file("translator", "card", models_dir)
    name = card["files"].get("dictionary")
    if name is None:
        raise PageDataError("models/translator/card.json lists no dictionary file")
    return f"{(Path(models_dir) / 'translator' / name).stat().st_size / 1e6:.1f} MB"


@generator("translator", "earlier", argument=True)
def earlier_run(models_dir: Path, argument: str) -> str:
    """The replaced recipe: ``minutes`` (wall time), ``steps``, or ``val`` (validation BLEU and
    chrF, greedy, with the shipped ``<unk>`` rule, from the rules' comparison on its weights)."""
    log = read_json(EARLIER)
    if argument == "minutes":
        return f"{log['wall_time_s'] / 60:.0f}"
    if argument == "steps":
        return f"{log['steps']:,}"
    if argument == "val":
        found = read_json(UNK_RULES)
        rule = next(r for r in found["rules"] if r["rule"] == found["chosen"])
        return f"BLEU {rule['greedy_bleu']:.1f} and chrF {rule['greedy_chrf']:.1f}"
    raise PageDataError(f"data:translator:earlier:{argument}: expected minutes, steps or val")


def _setting(found: dict[str, Any], alpha: float, width: int, split: str) -> dict[str, Any]:
    """One (alpha, width) row of ``split`` ("validation" or "test") in translator_beam.json."""
    for row in found.get(split, {}).get("rows", []):
        if (row["alpha"], row["width"]) == (alpha, width):
            return dict(row)
    raise PageDataError(f"{BEAM_RANKING.name} has no {split} row for alpha {alpha}, width {width}")


@generator("translator", "table.beam")
def beam_table(models_dir: Path) -> str:
    """Validation BLEU / chrF for each length exponent (rows) and beam width (columns), the
    search published when the experiment ran (``SEARCH_THEN``) in bold."""
    found = read_json(BEAM_RANKING)
    rows = found["validation"]["rows"]
    alphas = sorted({r["alpha"] for r in rows})
    widths = sorted({r["width"] for r in rows})
    body = []
    for alpha in alphas:
        cells = [f"{alpha:g}" + (" (the average)" if alpha == 1 else "")]
        for width in widths:
            row = _setting(found, alpha, width, "validation")
            text = f"{row['bleu']:.2f} / {row['chrf']:.2f}"
            cells.append(f"**{text}**" if (alpha, width) == SEARCH_THEN else text)
        body.append(cells)
    head = ["length exponent alpha", *(f"beam {w}: BLEU / chrF" for w in widths)]
    return _markdown(head, body)


@generator("translator", "beam-decision")
def beam_decision(models_dir: Path) -> str:
    """What the rule fixed before scoring made of the validation table, the test scores (once,
    afterwards), and whether the card's search follows the choice."""
    found = read_json(BEAM_RANKING)
    decision = found["decision"]
    best, chosen = decision["best_bleu"], decision["chosen"]
    setting = f"beam {best['width']} with alpha {best['alpha']:g}"
    today = _setting(found, *SEARCH_THEN, "validation")
    top = _setting(found, best["alpha"], best["width"], "validation")
    test_today = _setting(found, *SEARCH_THEN, "test")
    test_top = _setting(found, best["alpha"], best["width"], "test")
    if (best["alpha"], best["width"]) == SEARCH_THEN:
        return "The published search already has the best validation BLEU, so it stays."
    verdict = "chose it" if decision["adopt"] else "kept the published search (chrF fell)"
    said = (
        f"The best validation BLEU came from {setting}: {top['bleu']:.2f}, chrF "
        f"{top['chrf']:.2f}, against {today['bleu']:.2f} and {today['chrf']:.2f} for beam 5 with "
        f"the average, the search published then; the rule {verdict}. On the test sentences, "
        f"scored once afterwards: BLEU {test_top['bleu']:.2f} and chrF {test_top['chrf']:.2f} "
        f"for {setting}, against {test_today['bleu']:.2f} and {test_today['chrf']:.2f} for beam 5."
    )
    shipped = model_file("translator", "card", models_dir)["beam"]
    follows = (shipped, 1.0) == (chosen["width"], chosen["alpha"])
    if decision["adopt"] and follows:
        lower = test_top["bleu"] < test_today["bleu"] and test_top["chrf"] < test_today["chrf"]
        said += (
            f" The card, the results below and the demo use beam {shipped}"
            + (", so the card's test scores went down a little: the rule, not the test set, "
               "decides." if lower else ".")
        )  # fmt: skip
    elif decision["adopt"]:
        said += (
            f" So the published search should move to {setting}; until it does, the card, the "
            f"results below and the demo keep beam {shipped}, against the rule."
        )
    return said
