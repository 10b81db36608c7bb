"""Training step time against sequence length: a sequential LSTM against a parallel minGRU.

One training step = forward over a batch of sequences, a scalar loss, backward to every weight.
The contenders, same batch, input width and hidden width:

- ``lstm`` — `torch.nn.LSTM`, default CPU path (oneDNN's fused kernel), T dependent steps;
- ``lstm-no-mkldnn`` — the same with ``torch.backends.mkldnn`` off (PyTorch's own kernel);
- ``mingru-log`` — `rnn_site.models.min_rnn.MinRNN` with the paper's log-space scan
  (`torch.cumsum` + `torch.logcumsumexp`);
- ``mingru-doubling`` — the same layer with the doubling scan (log2 T rounds);
- ``mingru-sequential`` — the same layer stepped one t at a time, for contrast.

Every round measures every (length, contender) pair once, in a rotating order, so drifts in
machine load hit all of them alike; figures are medians over rounds. Run
``python -m rnn_site.bench.scan``: it prints the table with ratios to the LSTM and writes
``rnn_site/experiments/results/scan_benchmark.json``, which chapter 5's plot is drawn from.
Timings belong here, never in tests.
"""

from __future__ import annotations

import os
import platform
import statistics
import warnings
from collections.abc import Callable
from typing import Any

import torch

from rnn_site.bench.figures import (
    conditions,
    cpu_name,
    figures_parser,
    interleaved_seconds,
    publish,
)
from rnn_site.experiments.cell_comparison import BENCHMARK_PATH, BENCHMARK_SCHEMA
from rnn_site.models.min_rnn import MinRNN

LENGTHS = (16, 64, 256, 1024)
CONTENDERS = ("lstm", "lstm-no-mkldnn", "mingru-log", "mingru-doubling", "mingru-sequential")
SCHEMA = BENCHMARK_SCHEMA


def make_step(name: str, batch: int, length: int, size: int) -> Callable[[], None]:
    """A function doing one forward + backward training step for contender `name`."""
    torch.manual_seed(0)
    x = torch.randn(batch, length, size)
    if name.startswith("lstm"):
        lstm = torch.nn.LSTM(size, size, batch_first=True)
        mkldnn = name == "lstm"

        def lstm_step() -> None:
            with torch.backends.mkldnn.flags(enabled=mkldnn):
                out, _ = lstm(x)
                out.square().mean().backward()

        return lstm_step
    scan = name.removeprefix("mingru-")
    layer = MinRNN("mingru", size, size, "log" if scan == "sequential" else scan)  # type: ignore[arg-type]
    run = layer.sequential if scan == "sequential" else layer

    def step() -> None:
        run(x).square().mean().backward()

    return step


def measure(
    lengths: tuple[int, ...] = LENGTHS,
    contenders: tuple[str, ...] = CONTENDERS,
    batch: int = 8,
    size: int = 128,
    rounds: int = 5,
    threads: int = 1,
) -> dict[str, Any]:
    """Median seconds per training step for every (contender, length), interleaved rounds."""
    torch.set_num_threads(threads)
    # Toggling oneDNN warns about Intel-GPU TF32 support, which is irrelevant on a CPU.
    warnings.filterwarnings("ignore", message="TF32 acceleration")
    steps = {(c, t): make_step(c, batch, t, size) for t in lengths for c in contenders}
    for step in steps.values():  # warm-up: first calls allocate and pick kernels
        step()
    load_before = os.getloadavg()
    times = interleaved_seconds(steps, rounds)
    return {
        "schema": SCHEMA,
        "batch": batch,
        "size": size,
        "rounds": rounds,
        "threads": threads,
        "lengths": list(lengths),
        "contenders": list(contenders),
        "ms": {
            c: [round(1000 * statistics.median(times[c, t]), 3) for t in lengths]
            for c in contenders
        },
        "setup": f"{cpu_name()}, {threads} thread(s), torch {torch.__version__}, "
        f"Python {platform.python_version()}",
        **conditions(load_before),
    }


def format_table(figures: dict[str, Any]) -> str:
    """Plain-text table: ms per step, and each contender's time relative to the LSTM's."""
    lengths, ms = figures["lengths"], figures["ms"]
    lines = ["contender".ljust(18) + "".join(f"T={t:>5} ms  ×LSTM  " for t in lengths)]
    for name, row in ms.items():
        cells = "".join(f"{v:>10.2f} {v / ms['lstm'][i]:>6.2f}  " for i, v in enumerate(row))
        lines.append(name.ljust(18) + cells)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: measure, print the ratios, and rewrite the cached JSON the plot reads."""
    parser = figures_parser(__doc__, BENCHMARK_PATH)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    args = parser.parse_args(argv)
    figures = measure(tuple(args.lengths), rounds=args.rounds, threads=args.threads)
    print(format_table(figures))
    publish(figures, args)


if __name__ == "__main__":
    main()
