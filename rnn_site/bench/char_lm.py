"""How fast is one generated character? torch, onnxruntime and NumPy side by side.

Batch 1, one token per call, as in the generation loop: this measures per-call overhead as much
as arithmetic (a 256-unit LSTM step is ~0.3 MFLOP). The contenders:

- ``torch`` — eager PyTorch under ``torch.inference_mode()``, default CPU path;
- ``torch-no-mkldnn`` — the same with ``torch.backends.mkldnn.enabled = False``: PyTorch's
  oneDNN LSTM kernel has a large fixed cost per call that the plain kernel does not;
- ``onnxruntime`` — the exported step graph, one intra-op thread;
- ``numpy-scratch`` — `rnn_site.scratch.lstm.lstm_step` with the same weights.

Every round runs every contender over the same tokens, in a rotating order, so drifts in machine
load hit all of them alike; the figures are medians over all per-token timings. One thread
everywhere: the comparison is between runtimes, not between thread pools. Timings belong here,
never in tests.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch

from rnn_site.bench.figures import cpu_name
from rnn_site.export.cards import update_card
from rnn_site.export.manifest import write_manifest
from rnn_site.models.char_lm import CharLSTM
from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.scratch.lstm import LSTMParams, lstm_step
from rnn_site.train.char_lm import load_char_lm

#: A stepper feeds one token id and returns nothing; it keeps its own state between calls.
Stepper = Callable[[int], None]
ORT = "onnxruntime"


def torch_stepper(model: CharLSTM, *, mkldnn: bool) -> Callable[[], Stepper]:
    """Factory of fresh torch steppers (zero state); `mkldnn` picks the CPU LSTM kernel."""

    def fresh() -> Stepper:
        state = model.initial_state(1)
        token = torch.zeros(1, 1, dtype=torch.int64)

        def step(token_id: int) -> None:
            nonlocal state
            token[0, 0] = token_id
            # Set per call (it is a global switch); both torch contenders pay the same for it.
            before = torch.backends.mkldnn.enabled
            setattr(torch.backends.mkldnn, "enabled", mkldnn)  # noqa: B010 (typed as a descriptor)
            try:
                with torch.inference_mode():
                    _, state = model(token, state)
            finally:
                setattr(torch.backends.mkldnn, "enabled", before)  # noqa: B010

        return step

    return fresh


def ort_stepper(runtime: CharLanguageModel, batch: int = 1) -> Callable[[], Stepper]:
    """Factory of fresh onnxruntime steppers running the step graph at `batch`."""

    def fresh() -> Stepper:
        h, c = runtime.initial_state(batch)
        token = np.zeros(batch, dtype=np.int64)

        def step(token_id: int) -> None:
            nonlocal h, c
            token[:] = token_id
            _, h, c = runtime.step(token, h, c)

        return step

    return fresh


def numpy_stepper(model: CharLSTM) -> Callable[[], Stepper]:
    """Factory of fresh steppers built on the from-scratch NumPy LSTM (float32 weights)."""
    weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    layers = [
        LSTMParams.from_torch(
            weights[f"lstm.weight_ih_l{k}"],
            weights[f"lstm.weight_hh_l{k}"],
            weights.get(f"lstm.bias_ih_l{k}"),
            weights.get(f"lstm.bias_hh_l{k}"),
        )
        for k in range(model.config.num_layers)
    ]
    embed, head_w, head_b = (
        weights["embed.weight"],
        weights["head.weight"].T.copy(),
        weights["head.bias"],
    )
    hidden = model.config.hidden_size

    def fresh() -> Stepper:
        states = [(np.zeros((1, hidden), np.float32),) * 2 for _ in layers]

        def step(token_id: int) -> None:
            x = embed[token_id : token_id + 1]
            for k, params in enumerate(layers):
                h, c, _ = lstm_step(params, x, *states[k])
                states[k] = (h, c)
                x = h
            _ = x @ head_w + head_b  # the logits: part of every generated character's cost

        return step

    return fresh


def _time_run(fresh: Callable[[], Stepper], tokens: np.ndarray) -> np.ndarray:
    """Per-token seconds for one pass over `tokens` from zero state."""
    step = fresh()
    times = np.empty(len(tokens))
    for t, token in enumerate(tokens.tolist()):
        start = time.perf_counter()
        step(token)
        times[t] = time.perf_counter() - start
    return times


def measure(
    model: CharLSTM,
    runtime: CharLanguageModel,
    *,
    tokens: int = 500,
    repeats: int = 7,
    throughput_batch: int = 32,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the benchmark; return the figures in the card's "performance" layout."""
    torch.set_num_threads(1)
    model = model.eval()
    ids = np.random.default_rng(seed).integers(0, model.config.vocab_size, size=tokens)
    contenders = {
        "torch": torch_stepper(model, mkldnn=True),
        "torch-no-mkldnn": torch_stepper(model, mkldnn=False),
        ORT: ort_stepper(runtime),
        "numpy-scratch": numpy_stepper(model),
    }
    names = list(contenders)
    for fresh in contenders.values():  # warm-up: first calls allocate and pick kernels
        _time_run(fresh, ids[: min(20, tokens)])
    samples: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            samples[name].append(_time_run(contenders[name], ids))
    latency = {}
    for name in names:
        us = np.concatenate(samples[name]) * 1e6
        latency[name] = {
            "median_us": round(float(np.median(us)), 2),
            "p90_us": round(float(np.percentile(us, 90)), 2),
        }
    speedup = {
        name: round(latency[name]["median_us"] / latency[ORT]["median_us"], 2)
        for name in names
        if name != ORT
    }
    batch_fresh = ort_stepper(runtime, throughput_batch)
    run_s = [float(_time_run(batch_fresh, ids).sum()) for _ in range(max(1, repeats // 2))]
    return {
        "latency": latency,
        "onnxruntime_speedup": speedup,
        "throughput": {
            "batch": throughput_batch,
            "tokens_per_s": round(throughput_batch * tokens / float(np.median(run_s)), 1),
            "runtime": ORT,
        },
        "tokens": tokens,
        "repeats": repeats,
        "threads": 1,
        "setup": (
            f"{cpu_name()}, 1 thread, torch {torch.__version__}, "
            f"onnxruntime {ort.__version__}, numpy {np.__version__}, "
            f"Python {platform.python_version()}"
        ),
        "measured": time.strftime("%Y-%m-%d"),
    }


def format_table(figures: dict[str, Any]) -> str:
    """The figures as a plain-text table for the terminal."""
    lines = [
        f"per-token latency, batch 1, {figures['tokens']} tokens x {figures['repeats']} rounds",
        f"{'runtime':<18}{'median µs':>11}{'p90 µs':>10}{'onnxruntime is':>18}",
    ]
    for name, row in figures["latency"].items():
        ratio = figures["onnxruntime_speedup"].get(name)
        ratio_text = "—" if ratio is None else f"{ratio:.2f}x faster"
        lines.append(f"{name:<18}{row['median_us']:>11.1f}{row['p90_us']:>10.1f}{ratio_text:>18}")
    tp = figures["throughput"]
    lines.append(f"onnxruntime batch {tp['batch']}: {tp['tokens_per_s']:,.0f} tokens/s")
    lines.append(figures["setup"])
    return "\n".join(lines)


def run_benchmark(
    model_dir: str | Path = "models/char-lm",
    *,
    tokens: int = 500,
    repeats: int = 7,
    write: bool = True,
) -> dict[str, Any]:
    """Benchmark the exported model in `model_dir`; print the table; store it in the card.

    With `write`, card.json's "performance" is replaced, README.md regenerated and
    ../manifest.json rebuilt (the card's hash changed).
    """
    model_dir = Path(model_dir)
    card = json.loads((model_dir / "card.json").read_text("utf-8"))
    model, _ = load_char_lm(model_dir / card["files"]["torch"])
    runtime = CharLanguageModel.load(model_dir)
    figures = measure(model, runtime, tokens=tokens, repeats=repeats)
    print(format_table(figures))
    if write:
        update_card(model_dir, performance=figures)
        write_manifest(model_dir.parent)
    return figures
