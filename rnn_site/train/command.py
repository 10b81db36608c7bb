"""The command line every training entry point shares (`rnn-site train NAME ...`).

Each model adds only its own hyperparameter flags; the run's frame (where to write, seed,
time budget, threads, progress bar) is the same for all, so it is declared once here.
"""

from __future__ import annotations

import argparse
from typing import Any


def training_parser(
    description: str, out_dir: str, time_budget_s: float
) -> argparse.ArgumentParser:
    """A parser with the flags every trainer takes; add model-specific flags to it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out-dir", default=out_dir)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-budget", type=float, default=time_budget_s, help="seconds for the whole job"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-progress", action="store_true")
    return parser


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The shared flags as keyword arguments of a ``train_<model>`` function."""
    return {
        "out_dir": args.out_dir,
        "seed": args.seed,
        "time_budget_s": args.time_budget,
        "threads": args.threads,
        "progress": not args.no_progress,
    }
