"""Build-time numbers of chapter 3's training lab (docs/training.md): its speed, measured.

`python -m rnn_site.bench.lab` times one training step of the lab's JavaScript in Chromium and of
the NumPy package, and caches the result in ``rnn_site/experiments/results/lab_benchmark.json``;
the page's ``<!-- data:lab:table.benchmark -->`` placeholder becomes a table of those numbers
(`benchmark_on_page`, through the one page-data hook), so none is typed by hand.

See the page: training.md#lab
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.bench.figures import read_figures
from rnn_site.bench.lab import RESULTS_PATH, SCHEMA
from rnn_site.sitebuild.page_data import cpu_name, generator


def load_benchmark(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """The cached benchmark; raises FileNotFoundError or ValueError (wrong schema) with a hint."""
    return read_figures(path, SCHEMA, "python -m rnn_site.bench.lab")


def benchmark_table(data: dict[str, Any]) -> str:
    """Markdown: steps per second and ms per step on each side, and the setup it ran on."""
    rates = data["steps_per_second"]
    cfg = data["config"]
    rows = [
        "| Implementation | Steps per second | ms per step |",
        "|---|---:|---:|",
        f"| JavaScript port, Chromium Web Worker | {rates['chromium']:.0f} | "
        f"{1000 / rates['chromium']:.1f} |",
        f"| NumPy (`rnn_site.scratch.lab`) | {rates['numpy']:.0f} | {1000 / rates['numpy']:.1f} |",
    ]
    load = data["load_average"]
    # the setup starts with the CPU as the system names it ("Intel(R) Xeon(R) Processor, 2
    # cores; Chromium ..."): the page names it as every page does
    cpu, _, rest = data["setup"].partition(", ")
    note = (
        f"\n\n{cfg['cell'].upper()}, H = {cfg['hidden']}, T = {cfg['length']}, batch "
        f"{cfg['batch']}, {cfg['optimizer'].capitalize()}, full BPTT; medians of "
        f"{data['rounds']} rounds of {data['steps_per_round']} steps, measured "
        f"{data['measured']} on {cpu_name(cpu)}, {rest}; one-minute load average "
        f"{load[0]:.1f} before and {load[3]:.1f} after (the machine was shared)."
    )
    return "\n".join(rows) + note


@generator("lab", "table.benchmark")
def benchmark_on_page(models_dir: Path) -> str:
    """The benchmark table, or a warning saying how to measure it (never a silent gap)."""
    try:
        return benchmark_table(load_benchmark())
    except (FileNotFoundError, ValueError) as exc:
        return f'!!! warning "No benchmark yet"\n    {exc}\n'
