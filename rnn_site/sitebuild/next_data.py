"""Build-time content of chapter 5 (`next.md`): the comparison tables and the benchmark figure.

All come from cached JSON: `rnn_site/experiments/results/`, written by
`python -m rnn_site.experiments.cell_comparison` and `python -m rnn_site.bench.scan`, and the
training logs (`models/<name>/metrics.json`) of the two full-size models the demo runs. The
build only reads and draws them (no torch). The page holds ``<!-- data:next:table.cells -->``
and ``<!-- data:next:table.full-size -->`` for the tables (generators of the one page-data
hook) and an <img> for the figure, which `write_next_figure` draws into the built site.

See the page: next.md#measured-side-by-side
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnn_site.experiments import cell_comparison
from rnn_site.sitebuild.data_tables import data_table
from rnn_site.sitebuild.page_data import PageDataError, cpu_name, generator, model_file, read_json
from rnn_site.sitebuild.recipes import QUICK_DIR, quick_log_path, run_minutes
from rnn_site.sitebuild.text_generation_data import recipe_of
from rnn_site.weight_storage import WeightStorage, weight_storage

#: Where the table goes in docs/next.md.
TABLE_PLACEHOLDER = "<!-- data:next:table.cells -->"
#: Where the full-size models' table (the demo's two models) goes in docs/next.md.
FULL_SIZE_PLACEHOLDER = "<!-- data:next:table.full-size -->"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
#: The demo's models, in table order, with how the table names them.
FULL_SIZE_MODELS = {"char-lm": "LSTM (char-lm)", "char-mingru": "minGRU (char-mingru)"}
#: The figure's place in the built site (docs/next.md links to it).
FIGURE_PATH = Path("assets/figures/scan-benchmark.svg")
#: The same figure laid out for phones (docs/next.md shows it below 32em).
NARROW_FIGURE_PATH = Path("assets/figures/scan-benchmark-narrow.svg")


def full_size_table(models_dir: Path = MODELS_DIR, quick_dir: Path = QUICK_DIR) -> str:
    """The demo's two models side by side, from their training logs (metrics.json), then
    each one's ``--quick`` run where its log is kept (`rnn_site.sitebuild.recipes`). The
    Training cell is the run's steps, how long the whole command took (`run_minutes`, as the
    recipe tables print it), its threads and the CPU its log names (`cpu_name`).

    Both were trained by `rnn_site.train.char_lm.train_char_lm` on the same split and scored
    against the same n-gram, so their logs have the same keys; the page reads the comparison
    from here rather than from typed numbers. Raises PageDataError when a log is missing.
    """
    logs = {name: model_file(name, "metrics", models_dir) for name in FULL_SIZE_MODELS}
    lines = [
        "| Model | Parameters | Training | Test bits per char ↓ |",
        "|---|--:|--:|--:|",
    ]
    rows = [(FULL_SIZE_MODELS[name], log) for name, log in logs.items()]
    rows += [
        (f"{FULL_SIZE_MODELS[name]}, `--quick`", read_json(quick_log_path(name, quick_dir)))
        for name in FULL_SIZE_MODELS
        if quick_log_path(name, quick_dir).is_file()
    ]
    for label, log in rows:
        threads = log["train_config"]["threads"]
        lines.append(
            f"| {label} | {log['parameters']:,} "
            f"| {log['steps']:,} steps in {run_minutes(log)} min "
            f"({threads} thread{'s' if threads > 1 else ''}, {cpu_name(log['machine']['cpu'])}) "
            f"| {log['char_lm']['test_bpc']:.3f} |"
        )
    baseline = next(iter(logs.values()))["baseline"]
    lines.append(f"| *{baseline['name']} (Kneser-Ney)* | – | – | {baseline['test_bpc']:.3f} |")
    return "\n".join(lines) + "\n"


@generator("next", "table.cells")
def cells_on_page(models_dir: Path) -> str:
    """The small cells' comparison, or a warning saying how to run it."""
    try:
        return cell_comparison.markdown_table(cell_comparison.load_results())
    except FileNotFoundError as exc:
        return f'!!! warning "No cached results"\n    {exc}\n'


@generator("next", "table.full-size")
def full_size_on_page(models_dir: Path) -> str:
    """The two full-size models' table, or a warning naming the missing training log."""
    try:
        return full_size_table(models_dir)
    except PageDataError as exc:
        return f'!!! warning "No training log"\n    {exc}\n'


#: What ``data:next:ratio:KEY`` compares (LSTM over minGRU), read from each training log.
RATIOS: dict[str, Callable[[dict[str, Any]], float]] = {
    "parameters": lambda log: log["parameters"],
    "steps": lambda log: log["steps"],
    "cpu-time": lambda log: log["train_config"]["threads"] * log["wall_time_s"],
}
#: How the page names each way the LSTM's graphs store the weights (from its recipe's rounding).
STORAGE_WORDS: dict[WeightStorage, str] = {
    "int8": "int8 (one scale per row)",
    "float16": "float16",
    "float32": "float32",
}


@generator("next", "ratio", argument=True)
def ratio_on_page(models_dir: Path, key: str) -> str:
    """How many times the LSTM's ``parameters``, ``steps`` or ``cpu-time`` (threads x the
    seconds the table's Training cell shows) the minGRU's are, to one decimal: the prose's
    "not a race at equal terms"."""
    if key not in RATIOS:
        raise PageDataError(f"data:next:ratio:{key}: not one of {', '.join(RATIOS)}")
    lstm, mingru = (model_file(name, "metrics", models_dir) for name in FULL_SIZE_MODELS)
    return f"{RATIOS[key](lstm) / RATIOS[key](mingru):.1f}"


#: A margin over the n-gram below this many bits per character is called narrow.
NARROW_BITS = 0.05


@generator("next", "baseline-verdict")
def baseline_verdict(models_dir: Path) -> str:
    """Whether each full-size model beats the n-gram on the test plays, as the prose's
    sentence: the minGRU's margin is small enough that a retrain can flip it, so the page
    never types who wins."""
    lstm, mingru = (model_file(name, "metrics", models_dir) for name in FULL_SIZE_MODELS)
    ngram = lstm["baseline"]["test_bpc"]
    ours = mingru["char_lm"]["test_bpc"]
    figures = f"{ours:.3f} bits per character against the *n*-gram's {ngram:.3f}"
    if lstm["char_lm"]["test_bpc"] >= ngram:
        raise PageDataError("data:next:baseline-verdict: char-lm no longer beats the n-gram")
    if ours < ngram:
        how = "narrowly" if ngram - ours < NARROW_BITS else "clearly"
        return f"Both beat the *n*-gram baseline on the held-out plays, the minGRU {how} " + (
            f"({figures})"
        )
    return (
        "The LSTM beats the *n*-gram baseline on the held-out plays; the minGRU does not "
        f"({figures})"
    )


#: The log each full-size model's card was first published from, on a CPU this project no
#: longer has (`rnn_site/experiments/results/language_republish_rule.md`).
FIRST_PUBLISHED = "{name}-earlier-xeon.json"


@generator("next", "republished")
def republished(models_dir: Path, quick_dir: Path = QUICK_DIR) -> str:
    """How each full-size model's test score moved when its unchanged recipe was trained
    again on the machine that now holds its card: "char-lm's from 2.012 to 2.025 bits per
    character on an AMD EPYC (an Intel Xeon before), ...". PageDataError when a first log is
    missing or ran another recipe."""
    parts = []
    for name in FULL_SIZE_MODELS:
        path = quick_dir / FIRST_PUBLISHED.format(name=name)
        if not path.is_file():
            raise PageDataError(f"data:next:republished: no {path.name} in {quick_dir}")
        first, now = read_json(path), model_file(name, "metrics", models_dir)
        if recipe_of(first) != recipe_of(now) or first["seed"] != now["seed"]:
            raise PageDataError(f"data:next:republished: {path.name} ran another recipe")
        parts.append(
            f"{name}'s from {first['char_lm']['test_bpc']:.3f} "
            f"({cpu_name(first['machine']['cpu'])}) to {now['char_lm']['test_bpc']:.3f} "
            f"({cpu_name(now['machine']['cpu'])})"
        )
    return " and ".join(parts)


@generator("next", "lstm-storage")
def lstm_storage(models_dir: Path) -> str:
    """How char-lm's files store its weights (its recipe rounds them before scoring)."""
    return STORAGE_WORDS[weight_storage(model_file("char-lm", "metrics", models_dir))]


@generator("next", "table.scan")
def scan_table(models_dir: Path) -> str:
    """The benchmark figure's numbers under a disclosure (its text alternative), or a warning."""
    try:
        data = cell_comparison.load_benchmark()
    except FileNotFoundError as exc:
        return f'!!! warning "No cached benchmark"\n    {exc}\n'
    names = list(data["ms"])
    rows = [
        [f"{length:,}", *(f"{data['ms'][name][k]:.1f}" for name in names)]
        for k, length in enumerate(data["lengths"])
    ]
    headers = ["T", *(cell_comparison.BENCHMARK_LABELS.get(n, n) for n in names)]
    return data_table("The plotted times, ms per training step", headers, rows) + "\n"


def write_next_figure(site_dir: Path) -> Path | None:
    """Draw the benchmark figure as SVG into the site, in its wide and its phone layout.

    Returns the wide one's path; None (no file) without a cached run. The page picks the layout
    for the screen with a <picture> media query, so its text is never drawn under 11 CSS px.
    """
    if not cell_comparison.BENCHMARK_PATH.is_file():
        return None
    data = cell_comparison.load_benchmark()
    for layout, path in (("wide", FIGURE_PATH), ("narrow", NARROW_FIGURE_PATH)):
        target = Path(site_dir) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(cell_comparison.benchmark_svg(data, layout), encoding="utf-8")
    return Path(site_dir) / FIGURE_PATH
