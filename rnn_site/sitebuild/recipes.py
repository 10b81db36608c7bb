"""The "published and quick recipe" table of a model, from the two runs' training logs.

The published log is the model folder's ``metrics.json``; the ``--quick`` run's log is kept
in ``rnn_site/experiments/results/recipes/<name>-quick.json`` (copy its ``metrics.json`` there
after ``rnn-site train NAME --quick --no-progress``). Pages show both, so a reader who tries
the quick preset knows what to expect of it, and no figure is typed by hand. A recipe that a
newer one replaced keeps its log beside them as ``<name>-earlier-<label>.json`` (its row reads
"earlier, <label>", each "-" of the file's label read as a space, unless the log holds a
``label`` of its own, as "en-gb split" must), so a page can show the metric against model size
and steps; a candidate that was measured and not published keeps its log as
``<name>-candidate-<label>.json``. ``<!-- data:recipes:earlier-label:MODEL.FILE_LABEL -->`` is
that row's label (``speech.en-gb-split`` for ``speech-earlier-en-gb-split.json``), for a page
that names the row.

What ``--quick`` changes is read from the trainer's own ``QUICK`` preset:
``<!-- data:recipes:quick:MODEL.KEY -->`` is the preset's ``KEY``
(``<!-- data:recipes:quick:speech.max_epochs -->`` is 3), so a page that says how long the
quick run is follows the code; ``<!-- data:recipes:minutes:MODEL -->`` is the published
run's wall time in minutes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnn_site.applications import UnknownApplicationError, application
from rnn_site.sitebuild.page_data import (
    PageDataError,
    cpu_name,
    generator,
    model_file,
    read_json,
)

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
QUICK_DIR = Path(__file__).resolve().parents[1] / "experiments" / "results" / "recipes"


def quick_log_path(name: str, quick_dir: Path = QUICK_DIR) -> Path:
    """Where the ``--quick`` run's training log of model ``name`` is kept."""
    return quick_dir / f"{name}-quick.json"


def earlier_label(name: str, path: Path, log: dict[str, Any]) -> str:
    """The label of a replaced recipe's row: the log's own ``label``, else the file's
    (``<name>-earlier-288-units.json``: "288 units")."""
    return log.get("label") or path.stem.removeprefix(f"{name}-earlier-").replace("-", " ")


def earlier_logs(name: str, quick_dir: Path = QUICK_DIR) -> list[tuple[str, dict[str, Any]]]:
    """(label, training log) of every replaced recipe of ``name`` kept in ``quick_dir``."""
    logs = [
        (path, json.loads(path.read_text("utf-8")))
        for path in sorted(quick_dir.glob(f"{name}-earlier-*.json"))
    ]
    return [(earlier_label(name, path, log), log) for path, log in logs]


def shown_command(command: str) -> str:
    """The recorded command without ``--out-dir DIR``: where a run wrote is the recorder's
    folder, not part of the recipe a reader would run."""
    return re.sub(r"\s--out-dir(?:=|\s+)\S+", "", command)


def run_minutes(log: dict[str, Any]) -> str:
    """How long a run took, as every page prints it: the log's ``wall_time_s`` (the whole
    command, data and scoring included, not only training) in minutes, one decimal under ten
    minutes ("3.1"), whole minutes from ten ("71")."""
    minutes = log["wall_time_s"] / 60
    return f"{minutes:.1f}" if minutes < 10 else f"{minutes:,.0f}"


def _row(label: str, log: dict[str, Any], score: Callable[[dict[str, Any]], str]) -> str:
    recipe = log.get("recipe") or {}
    command = shown_command(recipe.get("command") or "") or (
        "not recorded (trained before step budgets)"
    )
    cpu = (log.get("machine") or {}).get("cpu")
    threads = (log.get("train_config") or {}).get("threads")
    where = cpu_name(cpu) if cpu else "CPU not recorded"
    if threads:
        where += f", {threads} thread{'s' if threads > 1 else ''}"
    return (
        f"| {label} | `{command}` | {log['steps']:,} | {log['parameters']:,} "
        f"| {run_minutes(log)} min ({where}) | {score(log)} |"
    )


def recipes_table(
    name: str,
    score: Callable[[dict[str, Any]], str],
    score_header: str,
    models_dir: Path = MODELS_DIR,
    quick_dir: Path = QUICK_DIR,
) -> str:
    """Markdown table of the published run and, if one is kept, the ``--quick`` run.

    ``score(log)`` formats the model's headline metric from a training log.
    """
    published = json.loads((models_dir / name / "metrics.json").read_text("utf-8"))
    lines = [
        f"| recipe | command | steps | parameters | wall time | {score_header} |",
        "|---|---|--:|--:|--:|--:|",
        _row("published", published, score),
    ]
    quick = quick_log_path(name, quick_dir)
    if quick.is_file():
        lines.append(_row("quick", json.loads(quick.read_text("utf-8")), score))
    for label, log in earlier_logs(name, quick_dir):
        lines.append(_row(f"earlier, {label}", log, score))
    return "\n".join(lines) + "\n"


def quick_preset(name: str) -> dict[str, Any]:
    """Model ``name``'s ``--quick`` preset: the ``QUICK`` dict of its trainer module.

    Read from the module's source rather than imported: the site build must not import torch,
    and every trainer does. The preset is a literal dict, so ``ast.literal_eval`` gives exactly
    what ``rnn-site train NAME --quick`` uses (a test compares it with the imported value).
    """
    try:
        module = application(name).trainer.partition(":")[0]
    except UnknownApplicationError as error:
        raise PageDataError(str(error)) from None
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PageDataError(f"no source for {name}'s trainer module {module}")
    tree = ast.parse(Path(spec.origin).read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "QUICK" for t in targets):
                return dict(ast.literal_eval(node.value))
    raise PageDataError(f"{module} has no QUICK preset: rnn-site train {name} has no --quick")


@generator("recipes", "quick", argument=True)
def quick_value(models_dir: Path, argument: str) -> str:
    """``<!-- data:recipes:quick:MODEL.KEY -->``: ``KEY`` of ``MODEL``'s ``--quick`` preset."""
    name, _, key = argument.partition(".")
    preset = quick_preset(name)
    if key not in preset:
        raise PageDataError(
            f"data:recipes:quick:{argument}: {name}'s preset sets {', '.join(sorted(preset))}"
        )
    value = preset[key]
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


@generator("recipes", "minutes", argument=True)
def published_minutes(models_dir: Path, name: str) -> str:
    """``<!-- data:recipes:minutes:MODEL -->``: the published run's wall time in whole minutes,
    as its training log recorded it (the card's ``training.wall_time_s``)."""
    seconds = model_file(name, "metrics", models_dir).get("wall_time_s")
    if seconds is None:
        raise PageDataError(f"models/{name}/metrics.json records no wall_time_s")
    return f"{seconds / 60:,.0f}"


@generator("recipes", "quick-minutes", argument=True)
def quick_minutes(models_dir: Path, name: str, quick_dir: Path = QUICK_DIR) -> str:
    """``<!-- data:recipes:quick-minutes:MODEL -->``: the kept ``--quick`` run's wall time in
    minutes (`run_minutes`, as the recipe tables print it) and the CPU its log names
    (`cpu_name`), e.g. "3.1 minutes on an AMD EPYC"."""
    path = quick_log_path(name, quick_dir)
    if not path.is_file():
        raise PageDataError(f"no {path}: keep the metrics.json of rnn-site train {name} --quick")
    log = read_json(path)
    return f"{run_minutes(log)} minutes on an {cpu_name(log['machine']['cpu'])}"


@generator("recipes", "earlier-label", argument=True)
def earlier_label_value(models_dir: Path, argument: str, quick_dir: Path = QUICK_DIR) -> str:
    """``<!-- data:recipes:earlier-label:MODEL.FILE_LABEL -->``: the recipes table's label of
    ``MODEL-earlier-FILE_LABEL.json`` (`earlier_label`)."""
    name, _, file_label = argument.partition(".")
    path = quick_dir / f"{name}-earlier-{file_label}.json"
    if not path.is_file():
        kept = sorted(p.stem for p in quick_dir.glob(f"{name}-earlier-*.json"))
        raise PageDataError(
            f"data:recipes:earlier-label:{argument}: no {path.name}; "
            f"kept: {', '.join(kept) or 'none'}"
        )
    return earlier_label(name, path, json.loads(path.read_text("utf-8")))
