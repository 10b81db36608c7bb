"""Build-time numbers of the training page's mixed-precision section (docs/training.md).

`python -m rnn_site.bench.precision` times one optimiser step of three published recipes'
networks in float32 and under bfloat16 autocast, side by side, and caches the figures in
``rnn_site/experiments/results/precision_benchmark.json``. The page's
``<!-- data:precision:table.benchmark -->`` becomes their table and
``<!-- data:precision:ratio:NETWORK -->`` one network's bf16/fp32 time ratio, so no figure is
typed by hand. Torch-free on purpose: the site build imports this module (and the benchmark
imports its path, schema and table from here, so both print the same table).

See the page: training.md#mixed-precision
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.bench.figures import read_figures
from rnn_site.sitebuild.page_data import PageDataError, generator

ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = ROOT / "rnn_site" / "experiments" / "results" / "precision_benchmark.json"
SCHEMA = 1


def load_benchmark(path: Path | None = None) -> dict[str, Any]:
    """The cached figures (``RESULTS_PATH`` unless ``path``); raises FileNotFoundError or
    ValueError (wrong schema) with a hint."""
    return read_figures(path or RESULTS_PATH, SCHEMA, "python -m rnn_site.bench.precision")


def precision_table(data: dict[str, Any]) -> str:
    """Markdown: ms per step in float32 and bf16, their ratio, and one step's loss both ways;
    then the machine, its bfloat16 units and the load it ran under."""
    rows = [
        "| network (recipe sizes) | batch | float32 ms/step | bf16 ms/step | bf16 / float32 "
        "| loss float32 | loss bf16 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, net in data["networks"].items():
        loss = net["loss"]
        rows.append(
            f"| {name} | {net['batch']} | {net['fp32_ms']:.0f} | {net['bf16_ms']:.0f} | "
            f"{net['ratio']:.2f} | {loss['fp32']:.4f} | {loss['bf16']:.4f} |"
        )
    machine = data["machine"]
    units = ", ".join(machine["bf16_units"]) or "none"
    load = data["load_average"]
    threads = f"{data['threads']} thread" + ("s" if data["threads"] != 1 else "")
    note = (
        f"\n\nOne optimiser step (forward, loss, backward, clipping, Adam) through the training "
        f"loop's own code, medians of {data['rounds']} interleaved rounds after "
        f"{data['warmup']} discarded warm-up steps, {threads}; measured "
        f"{data['measured']} on {machine['cpu']} ({machine['cpu_count']} cores, bfloat16 "
        f"units: {units}), {data['setup']}. One-minute load average {load[0]:.1f} before and "
        f"{load[3]:.1f} after"
    )
    note += f"; {data['note'].rstrip('.')}." if data.get("note") else "."
    return "\n".join(rows) + note


#: What a page shows, in a block or in a sentence, where the figures are missing or stale.
NO_BENCHMARK = "No benchmark yet"


@generator("precision", "table.benchmark")
def table_on_page(models_dir: Path) -> str:
    """The benchmark table, or a warning saying how to measure it (never a silent gap)."""
    try:
        return precision_table(load_benchmark())
    except (FileNotFoundError, ValueError) as exc:
        return f'!!! warning "{NO_BENCHMARK}"\n    {exc}\n'


@generator("precision", "ratio", argument=True)
def ratio_on_page(models_dir: Path, network: str) -> str:
    """One network's bf16 / float32 step-time ratio, two decimals
    (``<!-- data:precision:ratio:char-lm -->``); without figures, the table's warning inline
    (it stands in a sentence), so a missing or stale file never stops the build."""
    try:
        networks = load_benchmark()["networks"]
    except (FileNotFoundError, ValueError) as exc:
        return f"**({NO_BENCHMARK.lower()}: {exc})**"
    if network not in networks:
        raise PageDataError(
            f"data:precision:ratio: no network {network!r}; the benchmark has {', '.join(networks)}"
        )
    return f"{networks[network]['ratio']:.2f}"
