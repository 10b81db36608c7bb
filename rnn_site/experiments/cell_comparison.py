"""Chapter 5's comparison: tanh RNN, GRU, LSTM, minGRU and minLSTM, measured side by side.

Every cell gets the same parameter budget (its width is chosen so its parameter count is as
close as possible to the LSTM's), the same data, the same optimiser settings and the same seeds,
on two tasks:

- **Shakespeare characters**: embedding → recurrent layer(s) → linear, trained for a short fixed
  number of steps with the shared loop (`rnn_site.train.loop.train`) and char-lm's batching, then
  scored in bits per character on the same held-out plays as char-lm (the test split), beside
  the Kneser-Ney n-gram baseline from char-lm's card;
- **the adding problem** of chapter 3 (`rnn_site.experiments.long_range`: its task, its training
  run, its "solved" threshold), T = 50.

Run `python -m rnn_site.experiments.cell_comparison` to retrain everything (seeded, two runs at a
time, about ten minutes on two CPU cores) and rewrite `results/cell_comparison.json`, which the
chapter's table is generated from. The budgets are small to fit that time: the table compares
cells under one short training budget, not their best possible scores.

torch is imported only inside the training functions: the site build reads the cached results
with `load_results` and must not need torch.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rnn_site.experiments.long_range import (
    BASELINE_MSE,
    SOLVED_MSE,
    RunConfig,
    build_model,
    train_run,
)
from rnn_site.files import atomic_path

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "cell_comparison.json"
#: Written by `python -m rnn_site.bench.scan` (training step time against sequence length).
BENCHMARK_PATH = RESULTS_PATH.with_name("scan_benchmark.json")
CHAR_LM_CARD = Path(__file__).resolve().parents[2] / "models" / "char-lm" / "card.json"
SCHEMA = 1
#: The benchmark's JSON layout (`rnn_site.bench.scan` writes it; torch-free readers check it).
BENCHMARK_SCHEMA = 1
SEEDS = (0, 1)


@dataclass(frozen=True)
class Contender:
    """One row of the table: a cell and how many layers of it (min cells stack with residuals)."""

    label: str
    cell: str
    layers: int = 1


CONTENDERS: tuple[Contender, ...] = (
    Contender("tanh RNN", "rnn"),
    Contender("GRU", "gru"),
    Contender("LSTM", "lstm"),
    Contender("minGRU, 1 layer", "mingru"),
    Contender("minGRU, 2 layers", "mingru", 2),
    Contender("minLSTM, 2 layers", "minlstm", 2),
)


@dataclass(frozen=True)
class CharSettings:
    """The character task's shared settings (char-lm's batching, a much shorter run)."""

    budget_hidden_lstm: int = 128  # the LSTM's width; everyone else matches its parameter count
    embed_dim: int = 32  # classic cells; min cells embed at their own width (residual path)
    batch: int = 32
    seq_len: int = 64
    steps: int = 400
    lr: float = 3e-3
    warmup_steps: int = 50
    grad_clip: float = 1.0


@dataclass(frozen=True)
class AddingSettings:
    """The adding problem's settings: chapter 3's T = 50 runs, with clipping."""

    budget_hidden_lstm: int = 32
    time: int = 50
    steps: int = 600
    batch: int = 64
    lr: float = 1e-2


# ------------------------------------------------------------------ models (torch inside)


def char_model(contender: Contender, vocab_size: int, hidden: int, embed_dim: int) -> Any:
    """embedding → recurrent layer(s) → linear, with CharLSTM's (tokens, state) convention."""
    import torch
    from torch import nn

    from rnn_site.models.min_rnn import CharMinRNN, CharMinRNNConfig

    if contender.cell in ("mingru", "minlstm"):
        return CharMinRNN(
            CharMinRNNConfig(vocab_size, hidden, contender.layers, contender.cell, "doubling")  # type: ignore[arg-type]
        )
    core = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[contender.cell]

    class CharRecurrent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.rnn = core(embed_dim, hidden, contender.layers, batch_first=True)
            self.head = nn.Linear(hidden, vocab_size)

        def forward(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
            out, state = self.rnn(self.embed(tokens), state)
            return self.head(out), state

    return CharRecurrent()


def count(module: Any) -> int:
    """Trainable and frozen parameters alike: the budget every contender is matched to."""
    return sum(p.numel() for p in module.parameters())


def matched_width(size: Any, budget: int, low: int = 2, high: int = 1024) -> int:
    """The width h whose parameter count `size(h)` is closest to `budget` (size grows with h)."""
    while high - low > 1:  # bisection: size(low) < budget <= size(high), or the bounds
        mid = (low + high) // 2
        if size(mid) < budget:
            low = mid
        else:
            high = mid
    return min((low, high), key=lambda h: (abs(size(h) - budget), h))


# ------------------------------------------------------------------ one run of each task


def _char_run(contender: Contender, seed: int, settings: CharSettings) -> dict[str, Any]:
    """Train one contender on Shakespeare with the shared loop; score the test plays."""
    import torch

    from rnn_site.data.shakespeare import load_shakespeare
    from rnn_site.train.char_lm import EpochWindows, bits_per_char, lm_step
    from rnn_site.train.loop import CarriedState, TrainConfig, train

    torch.set_num_threads(1)
    corpus = load_shakespeare()
    ids = {
        s: torch.tensor(corpus.encode(getattr(corpus, s)), dtype=torch.long)
        for s in ("train", "val", "test")
    }
    V, E = corpus.vocab_size, settings.embed_dim
    budget = count(char_model(Contender("", "lstm"), V, settings.budget_hidden_lstm, E))
    hidden = matched_width(lambda h: count(char_model(contender, V, h, E)), budget)
    torch.manual_seed(seed)
    model = char_model(contender, V, hidden, E)
    config = TrainConfig(
        seed=seed,
        epochs=1,
        max_steps=settings.steps,
        lr=settings.lr,
        schedule="cosine",
        warmup_steps=settings.warmup_steps,
        grad_clip=settings.grad_clip,
        metric="val_bpc",
        threads=1,
        progress=False,
    )
    start = time.perf_counter()
    result = train(
        model,
        batches=lambda epoch: EpochWindows(ids["train"], settings.batch, settings.seq_len, seed),
        loss_fn=CarriedState(lm_step),
        # The loop's own check: the first 20,000 validation characters (cheap); the table
        # reports the full test split below.
        evaluate=lambda m: {"val_bpc": bits_per_char(m, ids["val"][:20_000])},
        config=config,
    )
    # Training time without the final evaluation, which the loop logs as it starts.
    train_s = result.history[-1]["elapsed_s"] if result.history else time.perf_counter() - start
    return {
        "task": "char",
        "label": contender.label,
        "cell": contender.cell,
        "layers": contender.layers,
        "hidden": hidden,
        "parameters": count(model),
        "seed": seed,
        "steps": result.steps,
        "train_s": round(train_s, 2),
        "ms_per_step": round(1000 * train_s / max(result.steps, 1), 2),
        "test_bpc": round(bits_per_char(model, ids["test"]), 4),
        "us_per_token": round(_step_latency_us(model, V), 1),
    }


def _step_latency_us(model: Any, vocab_size: int, tokens: int = 300) -> float:
    """Median µs to generate one character (batch 1, one thread, torch): the inference cost."""
    import torch

    model.eval()
    timings = []
    with torch.no_grad():
        token = torch.zeros(1, dtype=torch.long)
        state = None
        for _ in range(tokens):
            t0 = time.perf_counter()
            if hasattr(model, "step"):  # minGRU/minLSTM: the step mode generation uses
                state = state if state is not None else model.initial_state(1)
                logits, state = model.step(token, state)
            else:
                out, state = model(token[:, None], state)
                logits = out[:, -1]
            token = logits.argmax(-1)
            timings.append(time.perf_counter() - t0)
    return 1e6 * statistics.median(timings[20:])


def _adding_run(contender: Contender, seed: int, settings: AddingSettings) -> dict[str, Any]:
    """Chapter 3's adding-problem run (`long_range.train_run`) at the matched width."""
    import torch

    torch.set_num_threads(1)

    def config(h: int) -> RunConfig:
        return RunConfig(
            contender.label,
            contender.cell,  # type: ignore[arg-type]
            "default",
            1.0,
            time=settings.time,
            steps=settings.steps,
            hidden=h,
            batch=settings.batch,
            lr=settings.lr,
            seed=seed,
            layers=contender.layers,
        )

    def size(h: int) -> int:
        net, head = build_model(config(h))
        return count(net) + count(head)

    lstm = replace(config(settings.budget_hidden_lstm), cell="lstm", layers=1)
    budget = sum(count(m) for m in build_model(lstm))
    hidden = matched_width(size, budget)
    run = train_run(config(hidden))
    return {
        "task": "adding",
        "label": contender.label,
        "cell": contender.cell,
        "layers": contender.layers,
        "hidden": hidden,
        "parameters": size(hidden),
        "seed": seed,
        "steps": settings.steps,
        "train_s": round(run.seconds, 2),
        "ms_per_step": round(1000 * run.seconds / settings.steps, 2),
        "final_mse": None if run.diverged else round(run.final_mse, 5),
        "solved_at": run.solved_at,
        "diverged": run.diverged,
    }


def _job(args: tuple[str, Contender, int, Any]) -> dict[str, Any]:
    task, contender, seed, settings = args
    return (_char_run if task == "char" else _adding_run)(contender, seed, settings)


def run_all(
    contenders: tuple[Contender, ...] = CONTENDERS,
    seeds: tuple[int, ...] = SEEDS,
    char: CharSettings = CharSettings(),
    adding: AddingSettings = AddingSettings(),
    workers: int = 2,
) -> dict[str, Any]:
    """Every (task, contender, seed) run, `workers` at a time (one thread each) → results dict."""
    import torch

    jobs: list[tuple[str, Contender, int, Any]] = [
        ("char", c, s, char) for c in contenders for s in seeds
    ]
    jobs += [("adding", c, s, adding) for c in contenders for s in seeds]
    start = time.perf_counter()
    runs: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for record in pool.map(_job, jobs):
            runs.append(record)
            print(
                f"{record['task']:6} {record['label']:18} seed {record['seed']}: "
                + ", ".join(
                    f"{k} {record[k]}" for k in ("test_bpc", "final_mse", "train_s") if k in record
                ),
                flush=True,
            )
    return {
        "schema": SCHEMA,
        "seeds": list(seeds),
        "workers": workers,
        "wall_s": round(time.perf_counter() - start, 1),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "char_settings": asdict(char),
        "adding_settings": asdict(adding),
        "char_baseline": _char_baseline(),
        "adding_baseline_mse": round(BASELINE_MSE, 5),
        "adding_solved_mse": round(SOLVED_MSE, 5),
        "runs": runs,
    }


def _char_baseline() -> dict[str, Any]:
    """The n-gram baseline's and the char-lm LSTM's test bits per character, from char-lm's card."""
    card = json.loads(CHAR_LM_CARD.read_text("utf-8"))
    log = CHAR_LM_CARD.with_name("metrics.json")
    parameters = json.loads(log.read_text("utf-8")).get("parameters") if log.is_file() else None
    name, figures = next(iter(card["baselines"].items()))
    return {
        "ngram_name": name,
        "ngram_test_bpc": round(figures["test_bpc"], 4),
        "char_lm_test_bpc": round(card["metrics"]["char-lm"]["test_bpc"], 4),
        "char_lm_parameters": parameters,
    }


# ------------------------------------------------------------------ reading the cache


def load_results(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Read the cached results (no torch needed). Raises FileNotFoundError with the fix."""
    if not path.is_file():
        raise FileNotFoundError(
            f"no cached comparison at {path}; run `python -m rnn_site.experiments.cell_comparison`"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path} has schema {data.get('schema')!r}, expected {SCHEMA}")
    return data


def load_benchmark(path: Path = BENCHMARK_PATH) -> dict[str, Any]:
    """Read the cached scan benchmark of `rnn_site.bench.scan` (no torch needed)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"no cached benchmark at {path}; run `python -m rnn_site.bench.scan`"
        )
    data = json.loads(path.read_text("utf-8"))
    if data.get("schema") != BENCHMARK_SCHEMA:
        raise ValueError(f"{path} has schema {data.get('schema')!r}, expected {BENCHMARK_SCHEMA}")
    return data


#: How the plot names the benchmark's contenders (rnn_site.bench.scan).
BENCHMARK_LABELS = {
    "lstm": "LSTM, torch.nn.LSTM (oneDNN)",
    "lstm-no-mkldnn": "LSTM, torch.nn.LSTM (oneDNN off)",
    "mingru-log": "minGRU, log-space scan",
    "mingru-doubling": "minGRU, doubling scan",
    "mingru-sequential": "minGRU, one step at a time",
}


#: The benchmark figure's two layouts: (width, height) in inches and the text size in points.
#: Each is drawn for the width it is shown at (docs/next.md picks one with a media query), so
#: no text is drawn under 11 CSS px: "wide" when shown 461 CSS px wide or more (screens wider
#: than 32em give it about 480), "narrow" from 270 px (a 320 px phone gives it 288).
BENCHMARK_LAYOUTS = {"wide": ((6.4, 4.6), 11.0), "narrow": ((3.4, 4.9), 10.0)}


def benchmark_svg(data: dict[str, Any], layout: str = "wide") -> str:
    """The benchmark figure as SVG text, with its labels as SVG text (readable, measurable).

    No date in the metadata and a fixed salt for its element ids: the same JSON always draws
    the same file.
    """
    import io

    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"scan-benchmark-{layout}"}):
        fig = benchmark_figure(data, layout)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def benchmark_figure(data: dict[str, Any], layout: str = "wide") -> Any:
    """Training step time against sequence length, one line per contender (log-log axes).

    Drawn from the cached benchmark only; returns the matplotlib Figure (`benchmark_svg` saves
    it). Every label has the layout's one size, which a browser test measures on the page; ticks
    are plain numbers, since mathtext exponents would be drawn smaller than the labels.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

    size, points = BENCHMARK_LAYOUTS[layout]
    narrow = layout == "narrow"
    with plt.rc_context({"font.size": points}):
        fig, ax = plt.subplots(figsize=size)
        for name, row in data["ms"].items():
            style = "-o" if name.startswith("mingru") else "--s"
            ax.loglog(data["lengths"], row, style, label=BENCHMARK_LABELS.get(name, name), ms=4)
        ax.xaxis.set_major_locator(FixedLocator(data["lengths"]))
        values = [v for row in data["ms"].values() for v in row]
        decades = range(math.floor(math.log10(min(values))), math.ceil(math.log10(max(values))) + 1)
        ax.yaxis.set_major_locator(FixedLocator([m * 10**d for d in decades for m in (1, 3)]))
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(StrMethodFormatter("{x:g}"))
            axis.set_minor_formatter(NullFormatter())
        ax.set_ylim(min(values) / 1.5, max(values) * 1.5)
        ax.set_xlabel(
            "sequence length T" if narrow else "sequence length T (characters per window)"
        )
        ax.set_ylabel("ms per training step" if narrow else "ms per training step (fwd + bwd)")
        threads = f"{data['threads']} thread{'s' if data['threads'] != 1 else ''}"
        ax.set_title(f"batch {data['batch']}, width {data['size']}, {threads}", fontsize=points)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16 if narrow else -0.14),
            ncol=1 if narrow else 2,
            fontsize=points,
            frameon=False,
        )
        fig.tight_layout()
    return fig


def summary(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per contender, in table order: medians over seeds of each measured figure."""
    rows = []
    for label in dict.fromkeys(r["label"] for r in data["runs"]):
        char = [r for r in data["runs"] if r["label"] == label and r["task"] == "char"]
        add = [r for r in data["runs"] if r["label"] == label and r["task"] == "adding"]
        finals = [r["final_mse"] for r in add if r["final_mse"] is not None]
        rows.append(
            {
                "label": label,
                "seeds": len(char),
                "char_parameters": char[0]["parameters"] if char else None,
                "char_hidden": char[0]["hidden"] if char else None,
                "test_bpc": statistics.median(r["test_bpc"] for r in char) if char else None,
                # How far apart the seeds land: the yardstick for a gap between two rows.
                "test_bpc_spread": max(r["test_bpc"] for r in char)
                - min(r["test_bpc"] for r in char)
                if char
                else None,
                "char_ms_per_step": statistics.median(r["ms_per_step"] for r in char)
                if char
                else None,
                "us_per_token": statistics.median(r["us_per_token"] for r in char)
                if char
                else None,
                "adding_parameters": add[0]["parameters"] if add else None,
                "adding_mse": statistics.median(finals) if finals else None,
                "adding_solved": sum(r["solved_at"] is not None for r in add),
                "adding_runs": len(add),
                "adding_ms_per_step": statistics.median(r["ms_per_step"] for r in add)
                if add
                else None,
            }
        )
    return rows


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, fmt)


def markdown_table(data: dict[str, Any]) -> str:
    """The chapter's table as Markdown, from the cached results (medians over seeds)."""
    base = data["char_baseline"]
    lines = [
        "| Cell | Parameters (text / adding) | Test bits per char ↓ | Training ms per step "
        "(text / adding) | Inference µs per char | Adding problem: test MSE ↓ | Solved (seeds) |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in summary(data):
        lines.append(
            f"| {row['label']} | {row['char_parameters']:,} / {row['adding_parameters']:,} "
            f"| {_num(row['test_bpc'], '.3f')} "
            f"| {_num(row['char_ms_per_step'], '.1f')} / {_num(row['adding_ms_per_step'], '.1f')} "
            f"| {_num(row['us_per_token'], '.0f')} | {_num(row['adding_mse'], '.4f')} "
            f"| {row['adding_solved']}/{row['adding_runs']} |"
        )
    lines.append(
        f"| *{base['ngram_name']} (Kneser-Ney), for scale* | – | "
        f"{base['ngram_test_bpc']:.3f} | – | – | – | – |"
    )
    lines.append(
        f"| *char-lm LSTM as published when this ran (a 570 s budget), for scale* | "
        f"{base['char_lm_parameters'] or 0:,} | {base['char_lm_test_bpc']:.3f} | – | – | – | – |"
    )
    c, a = data["char_settings"], data["adding_settings"]
    spread = max((row["test_bpc_spread"] or 0.0) for row in summary(data))
    return (
        "\n".join(lines)
        + f"\n\nMedians over {len(data['seeds'])} seeds ({', '.join(map(str, data['seeds']))}). "
        f"Text: {c['steps']} steps of {c['batch']} × {c['seq_len']} characters, "
        f"test split of char-lm; one cell's seeds differ by up to {spread:.3f} bits per "
        f"character. Adding problem: T = {a['time']}, {a['steps']} steps of "
        f"{a['batch']} sequences; always answering 1 scores {data['adding_baseline_mse']:.3f}, "
        f"solved means below {data['adding_solved_mse']:.4f}. Times: one CPU thread per run, "
        f"torch {data['torch']}, two runs at a time; the whole experiment took "
        f"{data['wall_s'] / 60:.1f} minutes.\n"
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: rerun everything and rewrite the cached JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="results JSON path")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="how many seeds (0, 1, …)")
    parser.add_argument("--workers", type=int, default=2, help="runs at a time")
    parser.add_argument("--char-steps", type=int, default=CharSettings.steps)
    parser.add_argument("--adding-steps", type=int, default=AddingSettings.steps)
    args = parser.parse_args(argv)
    data = run_all(
        seeds=tuple(range(args.seeds)),
        char=CharSettings(steps=args.char_steps),
        adding=AddingSettings(steps=args.adding_steps),
        workers=args.workers,
    )
    with atomic_path(args.out) as tmp:  # an interrupted run keeps the old results whole
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(markdown_table(data))


if __name__ == "__main__":
    main()
