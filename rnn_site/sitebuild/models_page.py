"""Generate the Models page from models/manifest.json and the model cards.

The page is data-driven so it cannot drift from what is published: every model in the manifest
gets its summary, its metrics against the baselines, its files (size, short sha256, download
link) and a Python example. The page's ``<!-- data:models:cards -->`` placeholder becomes
`render_models_page`'s Markdown and ``<!-- data:models:table.first-visit -->`` the first-visit
benchmark's tables (generators of the one page-data hook, `rnn_site.sitebuild.page_data`).

Download links are relative (``../models/<path>``) and written as raw HTML, because MkDocs
only validates links to its own pages. The site serves ``models/`` at ``<site>/models/`` and
the page itself sits one folder deep.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from rnn_site.applications import UnknownApplicationError, application
from rnn_site.card import Card
from rnn_site.export.cards import scores_table
from rnn_site.sitebuild.page_data import PageDataError, generator

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1000 or unit == "MB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _python_example(card: Card) -> str:
    """A snippet include of the registry's runnable example for this model (a test runs it),
    else the card's own usage text (a model exported outside the registry)."""
    with contextlib.suppress(UnknownApplicationError):
        path = application(card["name"]).example.replace(".", "/") + ".py"
        if (EXAMPLES_DIR.parents[1] / path).is_file():
            return f'```python\n--8<-- "{path}:use"\n```'
    usage = card.get("usage", {}).get("python")
    return f"```python\n{usage}\n```" if usage else "_No Python example yet._"


def render_model(entry: dict[str, Any], card: Card, link_prefix: str) -> str:
    """The Markdown section of one model."""
    files = [
        "| file | size | sha256 | get it |",
        "|---|---|---|---|",
        *(
            f"| `{Path(f['path']).name}` | {_size(f['bytes'])} | `{f['sha256'][:12]}…` "
            f'| <a href="{link_prefix}{f["path"]}" download>download</a> |'
            for f in entry["files"]
        ),
    ]
    return "\n\n".join(
        [
            f"## {card.get('title', entry['name'])} {{#{entry['name']}}}",
            f"`{entry['name']}` v{card.get('version', '?')} · task: {entry['task']} · "
            f"licence: {card.get('licence', '?')} · "
            f'<a href="{link_prefix}{Path(entry["card"]).parent.as_posix()}/README.md">'
            "model card</a>",
            card.get("summary", ""),
            "### Metrics\n\n" + scores_table(card),
            "### Files\n\n" + "\n".join(files),
            "### Use it from Python\n\nNeeds only `numpy` and `onnxruntime`; the files' hashes "
            "are checked against the manifest when the model loads.\n\n" + _python_example(card),
        ]
    )


def render_models_page(models_dir: str | Path, link_prefix: str = "../models/") -> str:
    """Markdown for every model in `models_dir`/manifest.json, in manifest order."""
    models_dir = Path(models_dir)
    manifest_path = models_dir / "manifest.json"
    if not manifest_path.is_file():
        return "_No models have been exported yet (`rnn-site export char-lm`)._\n"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    sections = []
    for entry in manifest["models"]:
        card: Card = json.loads((models_dir / entry["card"]).read_text("utf-8"))
        sections.append(render_model(entry, card, link_prefix))
    return "\n\n".join(sections) + "\n"


FIRST_VISIT = Path(__file__).resolve().parents[1] / "experiments" / "results" / "first_visit.json"
FIRST_VISIT_PLACEHOLDER = "<!-- data:models:table.first-visit -->"


def _seconds(value: float, goal: float | None = None) -> str:
    shown = f"{value:.2f} s"
    if goal is None:
        return shown
    return f"{shown} ✓" if value < goal else f"{shown} ✗"


def render_first_visit(path: Path = FIRST_VISIT) -> str:
    """Markdown tables of the first-visit benchmark (rnn_site.bench.first_visit), goals beside.

    The figures are read from the committed JSON, never typed: rerun the benchmark to update.
    """
    if not path.is_file():
        return "_Not measured yet: run `python -m rnn_site.bench.first_visit`._\n"
    data = json.loads(path.read_text("utf-8"))
    goals = data["goals_s"]
    timing = [
        "| demo | page | cold | warm | cold, 9 Mbit/s | warm, 9 Mbit/s |",
        "|---|---|--:|--:|--:|--:|",
        f"| **goal** | | < {goals['cold_fast']} s | < {goals['warm_fast']} s "
        f"| < {goals['cold_9mbps']} s | |",
        *(
            f"| {demo} | `/{row['page']}` | {_seconds(row['cold_fast_s'], goals['cold_fast'])} "
            f"| {_seconds(row['warm_fast_s'], goals['warm_fast'])} "
            f"| {_seconds(row['cold_9mbps_s'], goals['cold_9mbps'])} "
            f"| {_seconds(row['warm_9mbps_s'])} |"
            for demo, row in data["demos"].items()
            if "error" not in row
        ),
        *(
            f"| {demo} | `/{row['page']}` | not measured: {row['error']} | | | |"
            for demo, row in data["demos"].items()
            if "error" in row
        ),
    ]
    size = [
        "| page | requests | MB (files) | MB on the wire (gzip) |",
        "|---|--:|--:|--:|",
        *(
            f"| `{page}` | {row['requests']} | {row['bytes'] / 1e6:.1f} "
            f"| {row['gzip_bytes'] / 1e6:.1f} |"
            for page, row in data["pages"].items()
        ),
    ]
    note = (
        f"Measured {data['date']} on {data['machine']} (1-minute load average "
        f"{data['load_average_1min']} during the run: a shared machine, so the times are upper "
        f"bounds); headless Chromium, site served {data['server']}; slow link: "
        f"{data['slow_link']}; {data['repeats']} visit(s) per figure."
    )
    return (
        "\n\n".join(
            [
                "Seconds from navigation to the demo's first result (✓ goal met, ✗ not):",
                "\n".join(timing),
                "Bytes a first visit downloads, demos' background downloads included:",
                "\n".join(size),
                note,
            ]
        )
        + "\n"
    )


@generator("models", "cards")
def cards_on_page(models_dir: Path) -> str:
    """Every published model's section, in the manifest's order."""
    return render_models_page(models_dir)


@generator("models", "table.first-visit")
def first_visit_on_page(models_dir: Path) -> str:
    """The first-visit benchmark's tables (from its committed JSON, not the models folder)."""
    return render_first_visit()


@generator("models", "graphs-size", argument=True)
def graphs_size(models_dir: Path, name: str) -> str:
    """``<!-- data:models:graphs-size:MODEL -->``: the size of MODEL's ONNX graphs together
    ("3.1 MB"), what its demo downloads besides the runtime; from the files the card lists."""
    card_path = Path(models_dir) / name / "card.json"
    if not card_path.is_file():
        raise PageDataError(f"data:models:graphs-size:{name}: no {card_path}")
    files = json.loads(card_path.read_text("utf-8"))["files"].values()
    graphs = [Path(models_dir) / name / f for f in files if f.endswith(".onnx")]
    if not graphs:
        raise PageDataError(f"data:models:graphs-size:{name}: the card lists no .onnx file")
    return _size(sum(p.stat().st_size for p in graphs))
