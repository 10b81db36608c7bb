"""Build-time numbers of the training page's mixed-precision section (docs/training.md).

`python -m rnn_site.bench.precision` times one optimiser step of three published recipes'
networks in float32 and under bfloat16 autocast, side by side, and caches the figures in
``rnn_site/experiments/results/precision_benchmark.json``. The page's
``<!-- data:precision:table.benchmark -->`` becomes their table and
``<!-- data:precision:ratio:NETWORK -->`` one network's bf16/fp32 time ratio; on the emulated
CPUs without bfloat16 units, ``<!-- data:precision:emulated.ratio:ISA/NETWORK -->`` is the ratio
and ``<!-- data:precision:emulated.error:ISA/NETWORK -->`` the error that stopped a bf16 step.
No figure is typed by hand. Torch-free on purpose: the site build imports this module (and the
benchmark imports its path, schema and table from here, so both print the same table).

See the page: training.md#mixed-precision
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.bench.figures import read_figures
from rnn_site.sitebuild.page_data import PageDataError, cpu_name, generator

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
        f"{data['measured']} on {cpu_name(machine['cpu'])} ({machine['cpu_count']} cores, bfloat16 "
        f"units: {units}), {data['setup']}. One-minute load average {load[0]:.1f} before and "
        f"{load[3]:.1f} after"
    )
    note += f"; {data['note'].rstrip('.')}." if data.get("note") else "."
    return "\n".join(rows) + note + emulated_table(data)


#: The emulated CPUs in words (`rnn_site.bench.precision.EMULATED_ISAS`).
ISA_WORDS = {
    "AVX512_CORE": "AVX-512 without AVX512-BF16 and AMX",
    "AVX2": "AVX2, no AVX-512",
}


def first_sentence(error: str) -> str:
    """An error as a page quotes it: its first sentence (oneDNN's go on with advice)."""
    return error.split(". ", 1)[0].rstrip(".")


def _ms_or_error(net: dict[str, Any], precision: str) -> str:
    """A table cell: ms per step, or the error that stopped the step."""
    if f"{precision}_ms" in net:
        return f"{net[f'{precision}_ms']:.0f}"
    return f"fails: `{first_sentence(net[f'{precision}_error'])}`"


def emulated_table(data: dict[str, Any]) -> str:
    """The same networks on this CPU without its bfloat16 units (oneDNN and ATen capped at an
    older instruction set), a row per instruction set and network; "" for figures without."""
    emulated = data.get("emulated")
    if not emulated:
        return ""
    rows = [
        "\n\n| emulated CPU (instruction set) | network | float32 ms/step | bf16 ms/step "
        "| bf16 / float32 |",
        "|---|---|---:|---:|---:|",
    ]
    for isa, run in emulated.items():
        for name, net in run["networks"].items():
            cells = [_ms_or_error(net, p) for p in ("fp32", "bf16")]
            ratio = f"{net['ratio']:.2f}" if "ratio" in net else "—"
            where = f"{ISA_WORDS.get(isa, isa)} (`{isa}`)"
            rows.append(f"| {where} | {name} | {' | '.join(cells)} | {ratio} |")
    loads = ", ".join(f"{run['load_average'][0]:.1f}" for run in emulated.values())
    note = (
        "\n\nThe same CPU without its bfloat16 units, emulated: each row's networks ran in a "
        "process with `ONEDNN_MAX_CPU_ISA` (and ATen's `ATEN_CPU_CAPABILITY`) capped at the "
        f"instruction set named, with the same rounds and threads; one-minute load average "
        f"{loads} before each. The same cores with fewer instructions are not another CPU."
    )
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


def emulated_figures(spec: str) -> dict[str, Any] | str:
    """One network's figures on one emulated CPU, ``ISA/NETWORK``, or the inline warning
    where there are no figures (none measured yet, or run with ``--no-emulate``)."""
    isa, _, network = spec.partition("/")
    try:
        emulated = load_benchmark().get("emulated")
    except (FileNotFoundError, ValueError) as exc:
        return f"**({NO_BENCHMARK.lower()}: {exc})**"
    if not emulated:
        return (
            f"**({NO_BENCHMARK.lower()} of an emulated CPU in {RESULTS_PATH.name}: run "
            "`python -m rnn_site.bench.precision`)**"
        )
    if isa not in emulated or network not in emulated[isa]["networks"]:
        raise PageDataError(
            f"data:precision:emulated: no {spec!r} (ISA/NETWORK); the benchmark has "
            + ", ".join(f"{i}/{n}" for i, run in emulated.items() for n in run["networks"])
        )
    figures: dict[str, Any] = emulated[isa]["networks"][network]
    return figures


@generator("precision", "emulated.ratio", argument=True)
def emulated_ratio_on_page(models_dir: Path, spec: str) -> str:
    """bf16 / float32 step time of NETWORK on the emulated CPU ISA, one decimal
    (``<!-- data:precision:emulated.ratio:AVX512_CORE/char-lm -->``)."""
    figures = emulated_figures(spec)
    if isinstance(figures, str):
        return figures
    if "ratio" not in figures:
        raise PageDataError(
            f"data:precision:emulated.ratio:{spec}: a step failed there, no ratio "
            f"({figures.get('bf16_error') or figures.get('fp32_error')}); the page must say so"
        )
    return f"{figures['ratio']:.1f}"


@generator("precision", "emulated.error", argument=True)
def emulated_error_on_page(models_dir: Path, spec: str) -> str:
    """The error that stopped NETWORK's bf16 step on the emulated CPU ISA, as code, its first
    sentence (``<!-- data:precision:emulated.error:AVX2/char-lm -->``)."""
    figures = emulated_figures(spec)
    if isinstance(figures, str):
        return figures
    if "bf16_error" not in figures:
        raise PageDataError(
            f"data:precision:emulated.error:{spec}: the bf16 step ran there "
            f"({figures['bf16_ms']:.0f} ms); the page must not say it fails"
        )
    return f"`{first_sentence(figures['bf16_error'])}`"
