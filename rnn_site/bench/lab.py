"""Training steps per second of chapter 3's lab: its JavaScript in Chromium against NumPy.

The lab (docs/assets/lab) trains in a Web Worker with a line-for-line JavaScript port of
`rnn_site.scratch`. This times the same run both ways: an LSTM with H = 32 on the adding problem
at T = 50, batch 16, Adam, full BPTT (one step = forward, backward, optimiser update):

- ``chromium`` — the lab's own modules in a module Worker in headless Chromium, as on the page;
- ``numpy`` — `rnn_site.scratch.lab.LabRun`, the Python reference the parity tests compare with.

Each round times a block of steps on each side in turn, so drifts in machine load hit both;
figures are medians over rounds. Run ``python -m rnn_site.bench.lab``: it prints the table and
writes ``rnn_site/experiments/results/lab_benchmark.json``, which the training page shows
(rnn_site/sitebuild/lab_data.py). Timings belong here, never in tests.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.bench.browser import CHROMIUM_ARGS, SiteServer, chromium_path
from rnn_site.bench.figures import conditions, cpu_name, figures_parser, publish
from rnn_site.scratch.lab import DATA_SEED_OFFSET, LabConfig, LabRun, make_batch
from rnn_site.scratch.rng import LabRandom

ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = ROOT / "rnn_site" / "experiments" / "results" / "lab_benchmark.json"
SCHEMA = 1
CONFIG = LabConfig(task="adding", cell="lstm", hidden=32, length=50, batch=16, lr=0.01)

# A module worker made from a Blob imports the lab from the served docs/ folder, makes the run,
# and for each message times `steps` training steps, answering with the seconds taken.
_WORKER = """
let ready = null;
async function setUp(data) {
  const { LabRun, dataStream, taskFor } = await import(data.url);
  const task = taskFor(data.config.task);
  const run = new LabRun(data.config, task);
  const stream = dataStream(data.config.seed);
  return () => run.step(task.batch(stream, data.config));
}
self.onmessage = async ({ data }) => {
  ready ??= setUp(data);
  const step = await ready;
  const start = performance.now();
  for (let i = 0; i < data.steps; i++) step();
  self.postMessage((performance.now() - start) / 1000);
};
"""

_TIME_IN_WORKER = """async (data) => {
  if (!window.labWorker) {
    const blob = new Blob([data.source], { type: "text/javascript" });
    window.labWorker = new Worker(URL.createObjectURL(blob), { type: "module" });
  }
  const worker = window.labWorker;
  return await new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => resolve(data);
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(data);
  });
}"""


class ChromiumLab:
    """The lab's training run in a Web Worker of headless Chromium, serving docs/ as the site."""

    def __enter__(self) -> ChromiumLab:
        from playwright.sync_api import sync_playwright

        self.server = SiteServer(ROOT / "docs")
        url = self.server.__enter__()
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        self.page = self.browser.new_page()
        self.page.goto(url + "assets/lab/passage.txt")
        self.data = {
            "source": _WORKER,
            "url": url + "assets/lab/train.js",
            "config": CONFIG.to_js(),
        }
        return self

    def seconds(self, steps: int) -> float:
        """Seconds for the next `steps` training steps."""
        return float(self.page.evaluate(_TIME_IN_WORKER, {**self.data, "steps": steps}))

    def __exit__(self, *exc: object) -> None:
        self.browser.close()
        self.playwright.stop()
        self.server.__exit__(*exc)


class NumpyLab:
    """The same run with the NumPy reference (`rnn_site.scratch.lab`)."""

    def __init__(self) -> None:
        self.run = LabRun(CONFIG)
        self.data = LabRandom((CONFIG.seed + DATA_SEED_OFFSET) & 0xFFFFFFFF)

    def seconds(self, steps: int) -> float:
        """Seconds for the next `steps` training steps."""
        start = time.perf_counter()
        for _ in range(steps):
            self.run.step(make_batch(CONFIG, self.data))
        return time.perf_counter() - start


def measure(rounds: int = 5, steps: int = 50, warmup: int = 30) -> dict[str, Any]:
    """Median steps per second on each side, with the setup and load they ran under."""
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {"chromium": [], "numpy": []}
    with ChromiumLab() as chromium:
        numpy_lab = NumpyLab()
        chromium.seconds(warmup)  # let V8 optimise the hot loops first
        numpy_lab.seconds(warmup // 3)
        for _ in range(rounds):  # alternate, so load drifts hit both sides alike
            times["chromium"].append(chromium.seconds(steps))
            times["numpy"].append(numpy_lab.seconds(steps))
    return {
        "schema": SCHEMA,
        "config": {"cell": "lstm", "hidden": 32, "length": 50, "batch": 16, "optimizer": "adam"},
        "steps_per_second": {k: round(steps / statistics.median(v), 1) for k, v in times.items()},
        "rounds": rounds,
        "steps_per_round": steps,
        "setup": f"{cpu_name()}, {os.cpu_count()} cores; Chromium {_chromium_version()}; "
        f"Python {platform.python_version()}, NumPy {np.__version__}",
        **conditions(load_before),
    }


def _chromium_version() -> str:
    import subprocess

    out = subprocess.run([chromium_path(), "--version"], capture_output=True, text=True)
    return out.stdout.split()[1] if out.returncode == 0 and out.stdout else "unknown"


def main(argv: list[str] | None = None) -> None:
    """Command line: measure, print, and rewrite the cached JSON the training page reads."""
    parser = figures_parser(__doc__, RESULTS_PATH)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args(argv)
    figures = measure(args.rounds, args.steps)
    rates = figures["steps_per_second"]
    print(f"steps/s  chromium {rates['chromium']:.1f}  numpy {rates['numpy']:.1f}  ")
    print(f"ratio chromium/numpy {rates['chromium'] / rates['numpy']:.2f}")
    publish(figures, args)


if __name__ == "__main__":
    main()
