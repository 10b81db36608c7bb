"""The adding problem: a long-range task where a tanh RNN fails and an LSTM succeeds, measured.

Each input is a sequence of T pairs (value, marker): values are uniform in [0, 1], and exactly
two markers are 1, one in each half of the sequence. The target, read from the last step's
hidden state, is the sum of the two marked values (Hochreiter & Schmidhuber, 1997). Always
answering 1.0 scores an MSE of Var(U + U) = 1/6 ≈ 0.167, so a model "solves" the task only
when it goes well below that: it has to carry a value across up to T steps.

Run `python -m rnn_site.experiments.long_range` to retrain every configuration (seeded, a few
minutes on two CPU cores) and rewrite the cached results the training page and notebook show:
`rnn_site/experiments/results/long_range.json` and the Markdown table beside it.

torch is imported only inside the training functions: the site build reads the cached results
with `load_results` and must not need torch.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rnn_site.scratch import forget_gate_bias, identity, recurrent_orthogonal

if TYPE_CHECKING:
    import torch

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS_PATH = RESULTS_DIR / "long_range.json"
TABLE_PATH = RESULTS_DIR / "long_range.md"
#: MSE of always predicting the mean sum, 1.0: Var(U1 + U2) = 2/12.
BASELINE_MSE = 1.0 / 6.0
#: "Solved" means the test MSE is below a tenth of the baseline's.
SOLVED_MSE = BASELINE_MSE / 10
SCHEMA = 1

Cell = Literal["rnn", "rnn-relu", "lstm", "gru", "mingru", "minlstm"]
Init = Literal["default", "orthogonal", "identity", "orthogonal+forget-bias-1"]


def adding_problem(
    n: int, time: int, seed: int | np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """n sequences of the adding problem: x: (n, time, 2) float32, y: (n,) float32.

    Channel 0 holds the values, channel 1 the two markers (one in [0, T/2), one in [T/2, T)).

    See the page: training.md#long-range
    """
    if time < 2:
        raise ValueError(f"time must be at least 2 (one marker per half), got {time}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, time))
    markers = np.zeros((n, time))
    rows = np.arange(n)
    markers[rows, rng.integers(0, time // 2, size=n)] = 1.0
    markers[rows, rng.integers(time // 2, time, size=n)] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values * markers).sum(axis=1).astype(np.float32)
    return x, y


@dataclass(frozen=True)
class RunConfig:
    """One training run: which cell, how it starts, whether gradients are clipped.

    `clip` is the global-norm bound (None: no clipping). Every run uses Adam with `lr`, batches
    of `batch` fresh sequences per step and a readout from the final hidden state.

    See the page: training.md#long-range
    """

    name: str
    cell: Cell
    init: Init
    clip: float | None
    time: int = 50
    steps: int = 1000
    hidden: int = 64
    batch: int = 64
    lr: float = 1e-2
    seed: int = 0
    #: Stacked layers; chapter 5's minGRU/minLSTM use residual stacks (the runs above use 1).
    layers: int = 1


#: Seeds for the comparison table: one lucky or unlucky start should not decide a row.
SEEDS = (0, 1)
#: The comparison table (seed 0 shown; each row runs for every seed in SEEDS).
TABLE_CONFIGS: tuple[RunConfig, ...] = (
    RunConfig("tanh RNN, default init, no clipping", "rnn", "default", None),
    RunConfig("tanh RNN, default init, clipping", "rnn", "default", 1.0),
    RunConfig("tanh RNN, orthogonal init, clipping", "rnn", "orthogonal", 1.0),
    RunConfig("IRNN (ReLU, identity init), clipping", "rnn-relu", "identity", 1.0),
    RunConfig("GRU, default init, clipping", "gru", "default", 1.0),
    RunConfig("LSTM, default init (forget bias 0), clipping", "lstm", "default", 1.0),
    RunConfig(
        "LSTM, orthogonal + forget bias 1, no clipping", "lstm", "orthogonal+forget-bias-1", None
    ),
    RunConfig(
        "LSTM, orthogonal + forget bias 1, clipping", "lstm", "orthogonal+forget-bias-1", 1.0
    ),
)
_SWEEP_MODELS: tuple[tuple[str, Cell, Init], ...] = (
    ("tanh RNN, orthogonal init", "rnn", "orthogonal"),
    ("LSTM, orthogonal + forget bias 1", "lstm", "orthogonal+forget-bias-1"),
)
#: The length sweep: the same two models on longer and longer sequences.
LENGTH_CONFIGS: tuple[RunConfig, ...] = tuple(
    RunConfig(f"{label}, T={t}", cell, init, 1.0, time=t)
    for t in (10, 25, 100)
    for label, cell, init in _SWEEP_MODELS
)


@dataclass
class RunResult:
    """What one run measured: test MSE every `eval_every` steps and where it ended.

    `curve` holds (step, test MSE) pairs on 1,000 held-out sequences; `solved_at` is the first
    evaluated step whose MSE is below SOLVED_MSE (None: never). A run whose loss became NaN is
    `diverged` and its final MSE is NaN.

    See the page: training.md#long-range
    """

    config: RunConfig
    final_mse: float
    best_mse: float
    solved_at: int | None
    diverged: bool
    seconds: float
    curve: list[tuple[int, float]] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return self.solved_at is not None


def build_model(config: RunConfig) -> tuple[torch.nn.Module, torch.nn.Linear]:
    """The recurrent layer (batch-first, input 2) and its linear readout, initialised per config.

    The initialisers are the package's own (`rnn_site.scratch.init`), transposed into
    PyTorch's (gates*H, H) layout: orthogonal blocks per gate, identity (IRNN), forget bias 1.

    See the page: training.md#initialisation
    """
    import torch

    torch.manual_seed(config.seed)
    H = config.hidden
    if config.cell in ("mingru", "minlstm"):
        # Chapter 5's parallel-trainable cells: default init only, a residual stack.
        from rnn_site.models.min_rnn import MinRNNStack

        if config.init != "default":
            raise ValueError(f"{config.cell} supports only init 'default', got {config.init!r}")
        stack = MinRNNStack(config.cell, H, config.layers, input_size=2)
        return stack.float(), torch.nn.Linear(H, 1)
    kinds: dict[str, Any] = {
        "rnn": lambda: torch.nn.RNN(2, H, config.layers, batch_first=True, nonlinearity="tanh"),
        "rnn-relu": lambda: torch.nn.RNN(
            2, H, config.layers, batch_first=True, nonlinearity="relu"
        ),
        "lstm": lambda: torch.nn.LSTM(2, H, config.layers, batch_first=True),
        "gru": lambda: torch.nn.GRU(2, H, config.layers, batch_first=True),
    }
    if config.cell not in kinds:
        raise ValueError(f"unknown cell {config.cell!r}; choose one of {', '.join(kinds)}")
    net = kinds[config.cell]()
    gates = {"rnn": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}[config.cell]
    with torch.no_grad():
        if config.init == "orthogonal" or config.init == "orthogonal+forget-bias-1":
            w = recurrent_orthogonal(H, gates, seed=config.seed)  # (H, gates*H), row-vector layout
            net.weight_hh_l0.copy_(torch.from_numpy(w.T.copy()))
        elif config.init == "identity":
            if gates != 1:
                raise ValueError("identity init is the IRNN scheme: use it with cell 'rnn-relu'")
            net.weight_hh_l0.copy_(torch.from_numpy(identity(H)))
        elif config.init != "default":
            raise ValueError(
                f"unknown init {config.init!r}; choose 'default', 'orthogonal', 'identity' "
                "or 'orthogonal+forget-bias-1'"
            )
        if config.init == "identity" or config.init.startswith("orthogonal"):
            net.bias_ih_l0.zero_()
            net.bias_hh_l0.zero_()
        if config.init.endswith("forget-bias-1"):
            if config.cell != "lstm":
                raise ValueError("a forget-gate bias only exists in an LSTM")
            net.bias_ih_l0.copy_(torch.from_numpy(forget_gate_bias(H, 1.0)))
    head = torch.nn.Linear(H, 1)
    return net.float(), head


# --8<-- [start:train_run]
def train_run(config: RunConfig, eval_every: int = 50, progress: Any = None) -> RunResult:
    """Train one configuration on fresh batches; evaluate on a fixed held-out set.

    Seeded end to end (weights, training batches, test set), single-threaded, so reruns give
    the same numbers on the same machine. `progress` (a tqdm bar) is advanced once per step.

    See the page: training.md#long-range
    """
    import torch

    net, head = build_model(config)
    params = [*net.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=config.lr)
    rng = np.random.default_rng(config.seed + 1)
    x_test, y_test = (torch.from_numpy(a) for a in adding_problem(1000, config.time, seed=12345))

    def predict(x: torch.Tensor) -> torch.Tensor:
        out, _ = net(x)  # (B, T, H): only the last step's state is read out
        return head(out[:, -1]).squeeze(-1)

    curve: list[tuple[int, float]] = []
    solved_at, diverged, start = None, False, time.perf_counter()
    for step in range(config.steps + 1):
        if step % eval_every == 0 or step == config.steps:
            with torch.no_grad():
                mse = float(torch.mean((predict(x_test) - y_test) ** 2))
            curve.append((step, mse))
            if solved_at is None and mse < SOLVED_MSE:
                solved_at = step
            if not math.isfinite(mse):
                diverged = True
                break
        if step == config.steps:
            break
        x, y = (torch.from_numpy(a) for a in adding_problem(config.batch, config.time, rng))
        loss = torch.mean((predict(x) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        if config.clip is not None:
            # The same global-norm rule as rnn_site.scratch.clip_by_global_norm.
            torch.nn.utils.clip_grad_norm_(params, config.clip)
        opt.step()
        if progress is not None:
            progress.update(1)
    finite = [m for _, m in curve if math.isfinite(m)]
    return RunResult(
        config=config,
        final_mse=curve[-1][1] if not diverged else float("nan"),
        best_mse=min(finite) if finite else float("nan"),
        solved_at=solved_at,
        diverged=diverged,
        seconds=time.perf_counter() - start,
        curve=curve,
    )


# --8<-- [end:train_run]


def all_configs(seeds: tuple[int, ...] = SEEDS) -> tuple[RunConfig, ...]:
    """Every run the cached results hold: each table row once per seed, then the length sweep.

    See the page: training.md#long-range
    """
    table = tuple(replace(c, seed=s) for c in TABLE_CONFIGS for s in seeds)
    return table + LENGTH_CONFIGS


def run_all(
    configs: tuple[RunConfig, ...] | None = None, show_progress: bool = True
) -> list[RunResult]:
    """Train every configuration in turn with one progress bar over all steps.

    See the page: training.md#long-range
    """
    import torch
    from tqdm import tqdm

    torch.set_num_threads(1)
    configs = all_configs() if configs is None else configs
    results = []
    with tqdm(total=sum(c.steps for c in configs), disable=not show_progress, unit="step") as bar:
        for config in configs:
            bar.set_description(config.name[:40])
            results.append(train_run(config, progress=bar))
    return results


def results_to_json(results: list[RunResult]) -> dict[str, Any]:
    """The cached file's content: settings, environment and one record per run.

    See the page: training.md#long-range
    """
    import torch

    def number(v: float) -> float | None:
        return None if not math.isfinite(v) else float(f"{v:.4g}")

    return {
        "schema": SCHEMA,
        "task": "adding problem",
        "baseline_mse": number(BASELINE_MSE),
        "solved_mse": number(SOLVED_MSE),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "runs": [
            {
                "config": asdict(r.config),
                "final_mse": number(r.final_mse),
                "best_mse": number(r.best_mse),
                "solved_at": r.solved_at,
                "diverged": r.diverged,
                "seconds": round(r.seconds, 1),
                "curve": [[s, number(m)] for s, m in r.curve],
            }
            for r in results
        ],
    }


def load_results(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Read the cached results (no torch needed). Raises FileNotFoundError with the fix.

    See the page: training.md#long-range
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"no cached long-range results at {path}; "
            "run `python -m rnn_site.experiments.long_range`"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path} has schema {data.get('schema')!r}, expected {SCHEMA}")
    return data


def _table_runs(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Runs of the comparison table grouped by row name, in table order."""
    sweep = {c.name for c in LENGTH_CONFIGS}
    rows: dict[str, list[dict[str, Any]]] = {}
    for run in data["runs"]:
        if run["config"]["name"] not in sweep:
            rows.setdefault(run["config"]["name"], []).append(run)
    return rows


def markdown_table(data: dict[str, Any]) -> str:
    """The comparison table as Markdown, from the cached results: one row per configuration.

    Final MSE is the median over seeds; "solved" counts seeds that got below SOLVED_MSE.

    See the page: training.md#long-range
    """
    lines = [
        "| Model and initialisation | Clipping | Test MSE after training (median) "
        "| Solved (seeds) | Solved at step (median) |",
        "|---|---|--:|--:|--:|",
    ]
    for name, runs in _table_runs(data).items():
        c = runs[0]["config"]
        label = name.replace(", no clipping", "").replace(", clipping", "")
        clip = "off" if c["clip"] is None else f"global norm ≤ {c['clip']:g}"
        finals = [r["final_mse"] for r in runs if not r["diverged"]]
        diverged = sum(r["diverged"] for r in runs)
        final = f"{np.median(finals):.4f}" if finals else "–"
        if diverged:
            final += f" ({diverged} diverged)"
        solved = [r["solved_at"] for r in runs if r["solved_at"] is not None]
        when = f"{np.median(solved):.0f}" if solved else "never"
        lines.append(f"| {label} | {clip} | {final} | {len(solved)}/{len(runs)} | {when} |")
    return "\n".join(lines) + "\n"


def length_table(data: dict[str, Any]) -> str:
    """Markdown table of the length sweep: test MSE after training per model and length T.

    The T = 50 column comes from the comparison table's seed-0 runs of the same models.

    See the page: training.md#long-range
    """
    labels = {"rnn": "tanh RNN (orthogonal init)", "lstm": "LSTM (orthogonal, forget bias 1)"}
    wanted = {c.name.rsplit(", T=", 1)[0] for c in LENGTH_CONFIGS}
    by_model: dict[str, dict[int, str]] = {}
    for run in data["runs"]:
        c = run["config"]
        base = c["name"].rsplit(", T=", 1)[0].replace(", clipping", "")
        if base not in wanted or c["clip"] is None or c["seed"] != 0:
            continue
        mse = "diverged" if run["diverged"] else f"{run['final_mse']:.4f}"
        by_model.setdefault(labels[c["cell"]], {})[c["time"]] = mse
    times = sorted({t for row in by_model.values() for t in row})
    lines = ["| Model | " + " | ".join(f"T = {t}" for t in times) + " |"]
    lines.append("|---|" + "--:|" * len(times))
    for label, row in by_model.items():
        lines.append(f"| {label} | " + " | ".join(row.get(t, "–") for t in times) + " |")
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for everyone to read
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    """Command line: retrain everything and rewrite the cached JSON and Markdown tables.

    See the page: training.md#long-range
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="results JSON path")
    parser.add_argument("--steps", type=int, default=None, help="override steps (quick check)")
    args = parser.parse_args(argv)
    configs = all_configs()
    if args.steps is not None:
        configs = tuple(replace(c, steps=args.steps) for c in configs)
    data = results_to_json(run_all(configs))
    _atomic_write(args.out, json.dumps(data, indent=1) + "\n")
    tables = markdown_table(data) + "\n" + length_table(data)
    _atomic_write(args.out.with_suffix(".md"), tables)
    print(tables)


if __name__ == "__main__":
    main()
