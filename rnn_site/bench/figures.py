"""What the benchmarks whose figures the pages read (`lab`, `scan`, `precision`) share: their
command line's common flags, the interleaved rounds they time in, the conditions every
measurement records, and printing, writing and reading back the figures (torch-free: the site
build reads them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from rnn_site.files import atomic_path

K = TypeVar("K", bound=Hashable)


def figures_parser(doc: str | None, out: Path) -> argparse.ArgumentParser:
    """``--rounds``, ``--out`` (default ``out``, the file the page reads) and ``--no-write``;
    the benchmark adds its own flags."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser


def cpu_name() -> str:
    """The processor's model name, for the setup line of a benchmark's figures."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def interleaved_seconds(steps: dict[K, Callable[[], None]], rounds: int) -> dict[K, list[float]]:
    """Seconds of every step in each of ``rounds`` rounds; each round runs every step once, in
    an order rotated by one from the round before, so drifts in machine load hit all alike."""
    times: dict[K, list[float]] = {key: [] for key in steps}
    keys = list(steps)
    for r in range(rounds):
        shift = r % len(keys)
        for key in keys[shift:] + keys[:shift]:
            start = time.perf_counter()
            steps[key]()
            times[key].append(time.perf_counter() - start)
    return times


def conditions(load_before: tuple[float, ...]) -> dict[str, Any]:
    """The machine's load before and after, and the date: timings mean little without them."""
    return {
        "load_average": [round(v, 2) for v in (*load_before, *os.getloadavg())],
        "measured": time.strftime("%Y-%m-%d"),
    }


def publish(figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the setup line and, unless ``--no-write``, replace ``--out`` atomically."""
    print(f"{figures['setup']}; load average before/after {figures['load_average']}")
    if not args.no_write:
        with atomic_path(args.out) as tmp:
            tmp.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


def read_figures(path: Path, schema: int, command: str) -> dict[str, Any]:
    """A benchmark's cached figures; FileNotFoundError or ValueError (another schema) say to
    rerun ``command``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is missing: run `{command}`")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != schema:
        raise ValueError(
            f"{path.name} has schema {data.get('schema')}, expected {schema}: run `{command}`"
        )
    return data
