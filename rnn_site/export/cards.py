"""Model cards: card.json for programs, README.md for people, the second generated from the first.

One source of truth: the card is plain data that the export and the benchmark fill in; the
README is rendered from it by `render_readme`, so the two never disagree. The benchmark
refreshes the card's "performance" with `update_card`.
"""

from __future__ import annotations

import copy
import json
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from rnn_site.applications import UnknownApplicationError, application
from rnn_site.card import Card, GraphContract, TrainingRecord
from rnn_site.files import StagedFolder, atomic_path, json_text

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
#: The training log's file name, beside a checkpoint and in every exported model folder.
LOG_FILE = "metrics.json"


def example_snippet(name: str, examples_dir: Path = EXAMPLES_DIR) -> str | None:
    """The lines between ``# --8<-- [start:use]`` and ``[end:use]`` of the application's
    runnable example (the registry's ``example`` module in ``rnn_site/examples``, which the
    tests run), or None for a model outside the registry.

    Cards, READMEs and the Models page all show this one snippet, so none of them can drift
    from code that runs.
    """
    try:
        module = application(name).example
    except UnknownApplicationError:
        return None
    path = examples_dir / f"{module.rsplit('.', 1)[-1]}.py"
    source = path.read_text("utf-8")
    return source.split("# --8<-- [start:use]\n")[1].split("# --8<-- [end:use]")[0].strip()


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def scores_table(card: Card) -> str:
    """Markdown table: the model and each baseline, one column per metric ("lower is better")."""
    rows = {**card.get("metrics", {}), **card.get("baselines", {})}
    if not rows:
        return "_No metrics recorded (the model was exported without a training log)._"
    better = card.get("better", {})
    keys = sorted({k for figures in rows.values() for k in figures})
    header = [f"{k} ({better[k]} is better)" if k in better else k for k in keys]
    lines = ["| model | " + " | ".join(header) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, figures in rows.items():
        cells = [_fmt(figures[k]) if k in figures else "–" for k in keys]
        label = f"**{name}**" if name in card.get("metrics", {}) else f"{name} (baseline)"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def baseline_warning(card: Card) -> str:
    """A Limits bullet for each metric where a baseline beats the model (else "")."""
    lines = []
    for figures in card.get("metrics", {}).values():
        for key, value in figures.items():
            lower = card.get("better", {}).get(key, "lower") == "lower"
            for name, base in card.get("baselines", {}).items():
                if key in base and (base[key] < value if lower else base[key] > value):
                    lines.append(
                        f"- **This export does not beat the {name} baseline on {key}** "
                        f"({value:.3f} vs {base[key]:.3f}).\n"
                    )
    return "".join(lines)


def dynamic_axes_text(io: Mapping[str, Any]) -> str:
    """'`batch` and `src` are dynamic axes.': the named dimensions of the declared graph shapes.

    Read from the card's contract rather than written per model, so a model whose time axis is
    called `src` or `samples` is not documented as having a `time` axis.
    """
    names: list[str] = []
    for graph in io.values():
        if not isinstance(graph, dict):
            continue
        sides: dict[str, Any] = dict(graph)  # tolerant: a hand-written contract may lack a side
        for side in ("inputs", "outputs"):
            for tensor in sides.get(side, {}).values():
                for dim in tensor.get("shape", []):
                    if isinstance(dim, str) and dim not in names:
                        names.append(dim)
    if not names:
        return "All shapes are fixed."
    quoted = [f"`{n}`" for n in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return f"{listed} {'is a dynamic axis' if len(names) == 1 else 'are dynamic axes'}."


def performance_table(card: Card) -> str:
    """Markdown table of the benchmark figures, or a note that the benchmark has not run."""
    perf = card.get("performance") or {}
    rows = perf.get("latency") or {}
    if not rows:
        return "_Not measured yet._"
    lines = [
        "| runtime (batch 1) | median µs / token | onnxruntime is … × faster |",
        "|---|---|---|",
    ]
    for name, figures in rows.items():
        ratio = perf.get("onnxruntime_speedup", {}).get(name)
        lines.append(
            f"| {name} | {figures['median_us']:.1f} | {'–' if ratio is None else f'{ratio:.2f}'} |"
        )
    throughput = perf.get("throughput")
    if throughput:
        lines.append("")
        lines.append(
            f"onnxruntime at batch {throughput['batch']}: "
            f"{throughput['tokens_per_s']:,.0f} tokens/s."
        )
    setup = perf.get("setup")
    if setup:
        lines.append("")
        lines.append(f"Measured on: {setup}.")
    return "\n".join(lines)


def io_table(io: GraphContract) -> str:
    """Markdown table of one graph's inputs and outputs: name, direction, dtype, shape."""
    lines = ["| name | direction | dtype | shape |", "|---|---|---|---|"]
    for direction in ("inputs", "outputs"):
        for name, spec in io[direction].items():
            shape = ", ".join(str(d) for d in spec["shape"])
            lines.append(f"| `{name}` | {direction[:-1]} | {spec['dtype']} | [{shape}] |")
    return "\n".join(lines)


class IncompleteRunError(ValueError):
    """The training log says the recipe did not run to its end (safety cap, Ctrl-C)."""


class ScoredTrimError(ValueError):
    """A speech training log's test scores were cut by another trim than the runtime's: the
    card would show figures a user of the runtime does not get. Defined here, beside
    `IncompleteRunError`, so that ``rnn-site export`` catches it without importing torch's
    speech exporter (`rnn_site.export.speech` raises it and re-exports it)."""


def recipe_command(command: str | None) -> str | None:
    """The recorded training command without ``--out-dir``: where a run wrote its files is not
    part of the recipe, and a scratch folder on the trainer's machine means nothing to a reader."""
    if command is None:
        return None
    words = shlex.split(command)
    kept = [
        w
        for i, w in enumerate(words)
        if not w.startswith("--out-dir") and (i == 0 or words[i - 1] != "--out-dir")
    ]
    return shlex.join(kept)


def training_recipe(log: dict[str, Any]) -> TrainingRecord:
    """The card's record of how the model was trained: command, budget, time, machine, commit.

    Logs written before step budgets (no ``complete`` entry) were cut by a wall-clock budget,
    so their run cannot be repeated exactly; the record says so instead of pretending.
    """
    recipe = log.get("recipe") or {}
    record: TrainingRecord = {
        "command": recipe_command(recipe.get("command")),
        "preset": recipe.get("preset"),
        "budget": {k: v for k, v in recipe.items() if k in ("max_steps", "max_epochs")},
        "steps": log.get("steps"),
        "stopped": log.get("stopped", log.get("status")),
        "complete": log.get("complete"),
        "wall_time_s": log.get("wall_time_s"),
        "machine": log.get("machine"),
        "threads": (log.get("train_config") or {}).get("threads"),
        "commit": (log.get("versions") or {}).get("git_commit"),
    }
    train_config = log.get("train_config") or {}
    if train_config.get("precision", "fp32") != "fp32":
        record["precision"] = train_config["precision"]
    if train_config.get("ema_decay") is not None:
        record["ema_decay"] = train_config["ema_decay"]
    if "complete" not in log:
        record["note"] = (
            "trained before step budgets: a wall-clock budget ended the run, so a rerun on "
            "another machine or load differs"
        )
    return record


def recipe_text(card: Card) -> str:
    """The "Training recipe" section of the README, from the card's ``training`` record."""
    rec = card.get("training")
    if not rec:
        return "_Not recorded._"
    machine = rec.get("machine") or {}
    budget = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in rec.get("budget", {}).items())
    lines = [
        f"- Command: `{rec['command']}`" if rec.get("command") else "- Command: not recorded",
        f"- Budget: {budget or 'not recorded'}; ran {rec.get('steps') or 0:,} optimiser steps, "
        f"ended by {rec.get('stopped')}",
    ]
    wall = rec.get("wall_time_s")
    if wall is not None:
        threads = rec.get("threads") or machine.get("torch_threads")
        where = str(machine.get("cpu", "a CPU not recorded")) + (
            f", {threads} thread{'s' if threads != 1 else ''}" if threads else ""
        )
        if rec.get("precision") == "bf16":
            where += ", bfloat16 autocast"
        if rec.get("ema_decay") is not None:
            where += f"; the weights are a moving average (decay {rec['ema_decay']})"
        lines.append(f"- Wall time: {wall / 60:.1f} min on {where}")
    lines.append(f"- Commit: `{rec.get('commit') or 'unknown'}`")
    if rec.get("note"):
        lines.append(f"- Note: {rec['note']}")
    return "\n".join(lines)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def render_readme(card: Card) -> str:
    """The human model card (Markdown), rendered from any model's card.json.

    Model-specific prose lives in the card as data (``intended_use``, ``file_notes``,
    ``preprocessing``, ``io_notes``, ``data`` with ``split_note``, ``metrics_note``, ``example``,
    ``limits``), so every model gets the same sections in the same order, as on a model hub.
    """
    data = card.get("data", {})
    example = card.get("example")
    notes = card.get("file_notes", {})
    files = [f"- `{name}`: {notes.get(role, role)}" for role, name in card["files"].items()]
    files.append("- `metrics.json`: the training log. `card.json`: this card as data.")
    graphs = [
        f"### {card['files'].get(role, role)}\n\n{io_table(io)}"
        for role, io in card["io"].items()
        if isinstance(io, dict) and "inputs" in io
    ]
    python = card["usage"]["python"] if "usage" in card else None
    sections = [
        f"# {card['title']}",
        f"`{card['name']}` v{card['version']} · task: {card['task']} · licence: {card['licence']}",
        "_This file is generated from card.json by `rnn_site.export.cards`; edit the code, "
        "not this file._",
        card["summary"],
        "## Intended use",
        card.get("intended_use", "Teaching: see the chapter of the site that uses this model."),
        "## Files",
        "\n".join(files),
        "## Preprocessing",
        card.get("preprocessing", "_Not documented._"),
        "## Input / output contract",
        f"ONNX opset {card['io'].get('opset', 17)}, float32, "
        f"{card['io'].get('nodes', 'native `LSTM` node')}; {dynamic_axes_text(card['io'])} "
        + card.get("io_notes", ""),
        *graphs,
        "## Training data",
        f"{data.get('name', 'unknown')}. Source: {data.get('source_package', 'unknown')}. "
        f"Licence: {data.get('licence', 'unknown')}.\n\n{data.get('split_note', '')}",
        "## Metrics",
        card.get("metrics_note", "On held-out data, against simple baselines:")
        + "\n\n"
        + scores_table(card),
        "## Training recipe",
        recipe_text(card),
        "## Performance",
        performance_table(card),
        *(
            ["## Example", f"{example['title']}\n\n```text\n{example['text']}\n```"]
            if example
            else []
        ),
        "## Use it",
        (
            f"Python (needs only `numpy` and `onnxruntime`):\n\n```python\n{python}\n```\n\n"
            if python
            else "Python: see `rnn_site/examples`.\n\n"
        )
        + (
            "JavaScript, in a plain HTML page with onnxruntime-web (it writes the greedy "
            f"example above):\n\n```html\n{card['usage']['html']}```"
            if card.get("usage", {}).get("html")
            else "JavaScript: the site's demos load these files with onnxruntime-web through "
            "the shared loader `docs/assets/demos/runtime.js`."
        ),
        "## Limits",
        baseline_warning(card) + _bullets(card.get("limits", [])),
        "## Licence",
        f"Model weights and code: {card['licence']}. Training data: {data.get('licence', '?')}.",
        f"Source commit: `{card.get('source_commit', 'unknown')}`.",
    ]
    return "\n\n".join(sections) + "\n"


def write_card_and_readme(model_dir: str | Path, card: Card) -> dict[str, Path]:
    """Write card.json and README.md into `model_dir` atomically → {"card", "readme"} paths."""
    model_dir = Path(model_dir)
    paths = {"card": model_dir / "card.json", "readme": model_dir / "README.md"}
    text = json.dumps(card, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_path(paths["card"]) as tmp:
        tmp.write_text(text, encoding="utf-8")
    with atomic_path(paths["readme"]) as tmp:
        tmp.write_text(render_readme(card), encoding="utf-8")
    return paths


def read_card(model_dir: str | Path) -> Card:
    """Load `model_dir`/card.json (trusted to have the `Card` shape: the tests validate every
    published card against card.schema.json)."""
    return cast(Card, json.loads((Path(model_dir) / "card.json").read_text("utf-8")))


def update_card(model_dir: str | Path, **changes: Any) -> dict[str, Path]:
    """Replace top-level card fields (e.g. performance=...) and regenerate README.md.

    The manifest lists card.json's hash: refresh it (`rnn_site.export.manifest`) afterwards.
    """
    card = cast(dict[str, Any], read_card(model_dir))
    card.update(changes)
    return write_card_and_readme(model_dir, cast(Card, card))


def complete_log(log: Mapping[str, Any] | None, source: str | Path = "the training log") -> None:
    """:class:`IncompleteRunError` if ``log`` (read from ``source``, named in the message)
    records a run stopped before its recipe's end; no log passes. The export checks the one
    log it reads, the metrics.json beside the checkpoint, before writing anything
    (`rnn_site.export.steps.start_export`), so a refused export leaves the folder as it was."""
    if log is not None and log.get("complete") is False:
        raise IncompleteRunError(
            f"{source} records an incomplete run (stopped by {log.get('stopped')!r} at "
            f"step {log.get('steps')}); rerun the recipe without --time-cap to publish it"
        )


def publish_card(
    staging: StagedFolder,
    card: Card,
    log: Mapping[str, Any] | None = None,
    log_bytes: bytes | None = None,
    checkpoint_bytes: bytes | None = None,
) -> dict[str, Path]:
    """Write a freshly exported model's card, README, training log and checkpoint
    (`stage_checkpoint`) into the export's staging folder, and the models manifest as it will
    be once the folder is committed.

    The card gets what no exporter writes itself: the ``training`` record from ``log``, the
    training log the export read its scores from (the metrics.json beside the checkpoint, not
    whatever log the model folder holds: one export, one log, which `stage_training_log` puts
    into the folder), the usage example from ``rnn_site/examples`` (`example_snippet`), and
    the benchmark's "performance" figures already in the folder's card, so re-exporting does
    not erase them. A run that did not finish its recipe is refused
    (:class:`IncompleteRunError`), since its numbers could not be reproduced; the export
    checks that before its first write (`complete_log`). Moving the files into place is the
    caller's (`StagedFolder.commit`). Returns {"card", "readme", "manifest"} (and "metrics"
    with a log, "torch" with a checkpoint) → the paths they will have.
    """
    from rnn_site.export.manifest import stage_manifest

    model_dir = staging.target
    card = copy.copy(card)  # the caller's card stays as it was
    complete_log(log)
    if log:
        card["training"] = training_recipe(dict(log))
    snippet = example_snippet(card["name"])
    if snippet is not None:
        card["usage"] = {**card.get("usage", {}), "python": snippet}
    if (model_dir / "card.json").exists():
        card["performance"] = read_card(model_dir).get("performance", {})
    paths = write_card_and_readme(staging.folder, card)
    paths.update(stage_training_log(staging, log, log_bytes))
    paths.update(stage_checkpoint(staging, card, checkpoint_bytes))
    paths["manifest"] = stage_manifest(staging)
    return {role: staging.final(path) for role, path in paths.items()}


def stage_training_log(
    staging: StagedFolder, log: Mapping[str, Any] | None, log_bytes: bytes | None = None
) -> dict[str, Path]:
    """Give the exported folder the training log its card was built from, as metrics.json,
    so card and log always agree (an export from ``--checkpoint runs/x/NAME.pt`` once kept
    the models folder's older log beside a card scored from runs/x's).

    ``log_bytes``: the bytes ``log`` was parsed from, read once when the export started
    (`read_log_file`), written as they were (not the file re-read minutes later, when a
    training may have rewritten it); without them ``log`` is written as JSON. A folder whose
    metrics.json already holds the log keeps its file.

    Without a log, the folder's metrics.json is kept and a warning goes to stderr. Why not
    remove it, or refuse: the site's pages read their numbers from models/NAME/metrics.json
    (``data:NAME:metrics.…`` placeholders), so removing it breaks the build; refusing would
    stop the exports that rightly have no log (random weights in tests, a first look at an
    untrained model) unless they passed a flag. Keeping it loses nothing the reader had; the
    warning says the card has no scores and that the kept log is an earlier run's.
    Returns {"metrics": path} with a log, else {}."""
    current = staging.target / LOG_FILE
    if not log:
        kept = (
            f"{current} is kept, an earlier run's log, not these weights'"
            if current.is_file()
            else "the folder gets no metrics.json"
        )
        print(
            f"warning: {staging.target.name} was exported without a training log (no "
            f"metrics.json beside the checkpoint): the card has no scores or training "
            f"record; {kept}",
            file=sys.stderr,
        )
        return {}
    path = staging.folder / LOG_FILE
    if log_bytes is not None:
        if not (current.is_file() and current.read_bytes() == log_bytes):
            path.write_bytes(log_bytes)
        return {"metrics": path}
    if not (current.is_file() and _read_json(current) == log):
        path.write_text(json_text(log), encoding="utf-8")
    return {"metrics": path}


def stage_checkpoint(
    staging: StagedFolder, card: Card, checkpoint_bytes: bytes | None
) -> dict[str, Path]:
    """Give the exported folder the checkpoint its graphs were exported from, under the name
    the card lists as its ``torch`` file, so graphs, card, log and checkpoint come from one
    run: ``rnn-site export NAME --checkpoint runs/x/NAME.pt`` once published runs/x's graphs
    beside models/NAME's older NAME.pt, which experiments reading models/NAME/NAME.pt then
    measured without a word.

    ``checkpoint_bytes``: the bytes the model was loaded from, read once when the export
    started (`rnn_site.export.steps.export_checkpoint`), written as they are. A folder whose
    file already holds them keeps it (the default export, of models/NAME/NAME.pt itself,
    copies nothing). None (a model exported from memory: tests, random weights): the folder
    keeps whatever checkpoint it has. Returns {"torch": path} with a checkpoint, else {}."""
    if checkpoint_bytes is None:
        return {}
    name = cast(dict[str, str], card.get("files", {})).get("torch")
    if name is None:
        raise ValueError(
            f"the card of {card['name']} lists no torch file in its files; the export has a "
            "checkpoint to publish and no name to give it"
        )
    current, path = staging.target / name, staging.folder / name
    if not (current.is_file() and current.read_bytes() == checkpoint_bytes):
        path.write_bytes(checkpoint_bytes)
    return {"torch": path}


def _read_json(path: Path) -> Any:
    """``path``'s JSON, or None if it holds none (a log that cannot be read is replaced)."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def read_training_log(checkpoint: str | Path) -> dict[str, Any] | None:
    """The metrics.json that training wrote next to `checkpoint`, or None without one."""
    return read_log_file(Path(checkpoint).with_name(LOG_FILE))[0]


def read_log_file(path: str | Path) -> tuple[dict[str, Any] | None, bytes | None]:
    """A training log and the very bytes it was parsed from, (None, None) without the file.

    An export reads its log once, at its start: the card is built from the parsed log and
    the folder gets the same bytes (`stage_training_log`), even if a training rewrites the
    file while the export runs."""
    path = Path(path)
    if not path.is_file():
        return None, None
    data = path.read_bytes()
    return json.loads(data.decode("utf-8")), data
