"""The one training loop every model of the site uses.

A model slice brings four things: the model, a function that yields training batches for an
epoch, a loss function and an evaluation function. The loop brings the rest, identically for
every model: seeding, Adam, gradient clipping by global norm, a warmup + decay learning-rate
schedule, a progress bar with an ETA, periodic validation with early stopping that keeps the
best weights, and a JSON log written atomically after every evaluation, so an interrupted run
(Ctrl-C) still leaves a valid log and the best weights so far.

A run is bounded by *steps* (``max_steps``) or *epochs*, never by the clock: the same command
on the same machine gives the same weights however loaded the machine is; only its wall time
changes. ``time_cap_s`` is a safety cap only: a run it stops is marked incomplete
(``"complete": false`` in its log) and :func:`rnn_site.export.cards.publish_card` refuses to
publish it.

Recurrent language models trained with *truncated backpropagation through time* need the
state at the end of one window to start the next. :class:`CarriedState` wraps such a loss and
carries the (detached) state between calls; the loop resets it at each epoch start. Models
without state simply pass a plain ``loss_fn(model, batch) -> loss``.
"""

from __future__ import annotations

import math
import os
import platform
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from rnn_site.provenance import git_commit
from rnn_site.train.artifacts import write_json

Batch = TypeVar("Batch")
State = TypeVar("State")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how training runs; logged verbatim to the metrics JSON.

    ``epochs`` and ``max_steps`` both bound the run (whichever comes first; ``max_steps=None``
    means only epochs). ``eval_every`` is in optimiser steps; ``None`` evaluates at the end of
    each epoch. ``patience`` counts evaluations without improvement of ``metric`` before
    stopping (``None``: never stop early). The schedule warms up linearly for
    ``warmup_steps`` then decays to ``lr * min_lr_ratio`` (cosine) or multiplies by
    ``step_gamma`` every ``step_every`` steps (step); it follows steps only, so it is the same
    on a busy machine. ``time_cap_s`` stops a runaway run and marks it incomplete.
    ``device`` is ``"cpu"`` (the published recipes) or ``"cuda"``/``"cuda:N"`` to retrain
    faster on a GPU.
    """

    seed: int = 0
    epochs: int = 1
    max_steps: int | None = None
    lr: float = 2e-3
    weight_decay: float = 0.0
    schedule: Literal["constant", "cosine", "step"] = "cosine"
    warmup_steps: int = 0
    min_lr_ratio: float = 0.05
    step_every: int = 1000
    step_gamma: float = 0.5
    grad_clip: float | None = 1.0
    eval_every: int | None = None
    patience: int | None = None
    metric: str = "val_loss"
    mode: Literal["min", "max"] = "min"
    time_cap_s: float | None = None
    threads: int | None = None
    progress: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1 or None, got {self.max_steps}")
        if self.schedule not in ("constant", "cosine", "step"):
            raise ValueError(
                f"schedule must be 'constant', 'cosine' or 'step', got {self.schedule!r}"
            )
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {self.mode!r}")
        if self.time_cap_s is not None and not self.time_cap_s > 0:
            raise ValueError(f"time_cap_s must be > 0 or None, got {self.time_cap_s}")
        if not re.fullmatch(r"cpu|cuda(:\d+)?", self.device):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")


@dataclass
class TrainResult:
    """What happened: the evaluation history, the best evaluation and why training stopped.

    ``stopped`` is one of ``"finished"`` (epochs or max_steps done), ``"early_stopping"``,
    ``"time_cap"`` (the safety cap cut the recipe short) or ``"interrupted"`` (Ctrl-C); only
    the first two are complete runs. The model holds the best weights.
    """

    history: list[dict[str, float]]
    best: dict[str, float]
    steps: int
    epochs_completed: int
    wall_time_s: float
    stopped: str
    log: dict[str, Any] = field(repr=False)

    @property
    def complete(self) -> bool:
        """Whether the recipe ran as written (not cut by the time cap or Ctrl-C)."""
        return self.stopped in COMPLETE


#: How a run may end and still be the recipe it names; anything else must not be published.
COMPLETE = ("finished", "early_stopping")


class CarriedState(Generic[Batch, State]):
    """Turn a stateful loss into a plain one by carrying the state from call to call.

    ``step(model, batch, state) -> (loss, new_state)`` receives ``None`` at the start of
    each epoch. The returned state is detached before the next call, so gradients flow
    through one window only (truncated BPTT) while the values still carry the context.
    """

    def __init__(
        self, step: Callable[[nn.Module, Batch, State | None], tuple[torch.Tensor, State]]
    ) -> None:
        self.step = step
        self.state: State | None = None

    def reset(self) -> None:
        self.state = None

    def __call__(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        loss, state = self.step(model, batch, self.state)
        self.state = detach(state)
        return loss


def detach(state: Any) -> Any:
    """Detach every tensor in a (nested tuple/list of) state."""
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, tuple | list):
        return type(state)(detach(s) for s in state)
    return state


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a rerun with the same seed repeats the same numbers."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def versions() -> dict[str, str]:
    """Library versions and git commit, logged so a result can be traced to its code."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "git_commit": git_commit(),
    }


def machine(device: str = "cpu") -> dict[str, Any]:
    """The machine a run trained on, logged because wall times mean nothing without it."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text(errors="replace").splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    info: dict[str, Any] = {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "system": f"{platform.system()} {platform.release()}",
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor of a (nested tuple/list/dict of) batch to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, tuple | list):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def lr_factor(config: TrainConfig, progress: float, step: int) -> float:
    """Multiplier of ``config.lr`` at ``step``; ``progress`` in [0, 1] is how far training is."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    if config.schedule == "step":
        return config.step_gamma ** ((step - config.warmup_steps) // config.step_every)
    floor = config.min_lr_ratio
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))


def train(
    model: nn.Module,
    batches: Callable[[int], Iterable[Batch]],
    loss_fn: Callable[[nn.Module, Batch], torch.Tensor],
    evaluate: Callable[[nn.Module], dict[str, float]],
    config: TrainConfig,
    out_dir: str | Path | None = None,
    *,
    info: dict[str, Any] | None = None,
    log_name: str = "metrics.json",
) -> TrainResult:
    """Train ``model`` in place and leave it holding the best weights seen by ``evaluate``.

    ``batches(epoch)`` returns the batches of one epoch (a fresh iterable each time; it
    may reshuffle using ``config.seed + epoch``; if it has ``len`` the progress bar and the
    cosine schedule use it). ``loss_fn(model, batch)`` returns a scalar loss to minimise;
    if it has a ``reset()`` method (like :class:`CarriedState`) the loop calls it at each
    epoch start. ``evaluate(model)`` runs under ``torch.no_grad()`` in eval mode, on the CPU
    (the slices build their evaluation tensors there), and returns a dict that contains
    ``config.metric``. ``info`` (model config, data description...) is
    copied into the log, which goes to ``out_dir / log_name`` after every evaluation.
    """
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    start = time.perf_counter()
    device = torch.device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {config.device!r} asked for, but torch sees no CUDA GPU")
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sign = 1.0 if config.mode == "min" else -1.0
    log: dict[str, Any] = {
        "status": "running",
        "train_config": asdict(config),
        **(info or {}),
        "history": [],
        "versions": versions(),
        "machine": machine(config.device),
    }
    log_path = Path(out_dir) / log_name if out_dir is not None else None
    best: dict[str, float] = {}
    best_state: dict[str, torch.Tensor] | None = None
    evals_without_improvement = 0
    step = 0
    epoch = 0
    epochs_completed = 0
    total_steps = config.max_steps
    stopped = "finished"
    running_loss, running_count = 0.0, 0

    def elapsed() -> float:
        return time.perf_counter() - start

    def run_evaluation() -> bool:
        """Evaluate, log, keep the best weights; returns True if training should stop."""
        nonlocal best, best_state, evals_without_improvement, running_loss, running_count
        model.eval()
        model.to("cpu")
        with torch.no_grad():
            metrics = {k: float(v) for k, v in evaluate(model).items()}
        model.to(device)
        model.train()
        if config.metric not in metrics:
            raise KeyError(
                f"evaluate() returned {sorted(metrics)} but config.metric is {config.metric!r}"
            )
        entry = {
            "step": step,
            "epoch": epoch,
            "elapsed_s": round(elapsed(), 3),
            "lr": optimiser.param_groups[0]["lr"],
            "train_loss": running_loss / max(running_count, 1),
            **metrics,
        }
        running_loss, running_count = 0.0, 0
        log["history"].append(entry)
        if not best or sign * metrics[config.metric] < sign * best[config.metric]:
            best = dict(entry)
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            evals_without_improvement = 0
        else:
            evals_without_improvement += 1
        write_log("running")
        return config.patience is not None and evals_without_improvement > config.patience

    def write_log(status: str) -> None:
        log.update(
            status=status,
            complete=status in COMPLETE,
            best=best,
            steps=step,
            epochs_completed=epochs_completed,
            wall_time_s=round(elapsed(), 3),
        )
        if log_path is not None:
            write_json(log_path, log)

    model.train()
    bar = tqdm(total=total_steps, disable=not config.progress, dynamic_ncols=True, leave=False)
    try:
        for epoch in range(config.epochs):
            reset = getattr(loss_fn, "reset", None)
            if callable(reset):
                reset()
            epoch_batches = batches(epoch)
            if total_steps is None and hasattr(epoch_batches, "__len__"):
                total_steps = config.epochs * len(epoch_batches)  # type: ignore[arg-type]
                bar.reset(total=total_steps)
            stop = False
            for batch in epoch_batches:
                progress = step / total_steps if total_steps else 0.0
                for group in optimiser.param_groups:
                    group["lr"] = config.lr * lr_factor(config, progress, step)
                loss = loss_fn(model, to_device(batch, device))
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"loss became {loss.item()} at step {step}; try a lower lr"
                    )
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimiser.step()
                step += 1
                running_loss += loss.item()
                running_count += 1
                bar.update(1)
                bar.set_postfix(
                    loss=f"{loss.item():.4f}", lr=f"{optimiser.param_groups[0]['lr']:.2e}"
                )
                if config.eval_every and step % config.eval_every == 0:
                    stop = run_evaluation()
                    if stop:
                        stopped = "early_stopping"
                if config.max_steps is not None and step >= config.max_steps:
                    stop = True
                if config.time_cap_s is not None and elapsed() >= config.time_cap_s:
                    stopped, stop = "time_cap", True
                if stop:
                    break
            else:
                epochs_completed = epoch + 1
                if not config.eval_every and run_evaluation():
                    stopped = "early_stopping"
                    break
                continue
            break
        if not log["history"] or log["history"][-1]["step"] != step:
            run_evaluation()
    except KeyboardInterrupt:
        stopped = "interrupted"
    except Exception as exc:
        # The log must not claim "running" for a run that is over; the best weights so far are
        # not restored, since the caller gets the exception rather than a result.
        log["error"] = f"{type(exc).__name__}: {exc}"
        write_log("error")
        raise
    finally:
        bar.close()
    model.to("cpu")
    if best_state is not None:
        model.load_state_dict(best_state)
    if stopped not in COMPLETE:
        log["incomplete"] = (
            f"stopped by {stopped!r} at step {step}: not the recipe; do not publish this run"
        )
    write_log(stopped)
    return TrainResult(
        history=log["history"],
        best=best,
        steps=step,
        epochs_completed=epochs_completed,
        wall_time_s=log["wall_time_s"],
        stopped=stopped,
        log=log,
    )


def run_info(name: str, seed: int, model: nn.Module, hparams: Any, **extra: Any) -> dict[str, Any]:
    """The head of every training log: which model, its seed, config, hyperparameters and size.

    ``model.config`` must have ``to_dict()`` and ``hparams`` must be a dataclass; ``extra``
    (data description, baselines...) follows. Pass the result as ``train(..., info=...)``.
    """
    return {
        "name": name,
        "seed": seed,
        "model_config": model.config.to_dict(),  # type: ignore[union-attr,operator]
        "hparams": asdict(hparams),
        "parameters": sum(p.numel() for p in model.parameters()),
        **extra,
    }


def time_left(time_cap_s: float | None, start: float) -> float | None:
    """What remains of a job's safety cap for the loop (``None``: no cap), at least 1 second.

    ``start`` is the job's ``time.perf_counter()``; data loading and baselines count against
    the cap too, so a runaway job stops near ``time_cap_s`` however its time was spent.
    """
    if time_cap_s is None:
        return None
    return max(1.0, time_cap_s - (time.perf_counter() - start))


def finish_training(
    result: TrainResult, out_dir: str | Path, start: float, **results: Any
) -> dict[str, Any]:
    """Write a job's final ``metrics.json`` and return it: the loop's log, how the run ended,
    then the slice's own ``results`` (scores, examples...).

    ``start`` is the job's ``time.perf_counter()`` at its beginning, so ``wall_time_s`` counts
    data, baselines and final scoring, while ``train_wall_time_s`` is the loop alone. A result
    named like one of the run's entries replaces it (char-lm reports ``epochs`` as a fraction).
    """
    metrics = {
        **result.log,
        "stopped": result.stopped,
        "complete": result.complete,
        "epochs": result.epochs_completed,
        "best_epoch": result.best.get("epoch"),
        "best_step": result.best.get("step"),
        "train_wall_time_s": result.wall_time_s,
        **results,
        "wall_time_s": round(time.perf_counter() - start, 3),
        "torch_version": torch.__version__,
    }
    write_json(Path(out_dir) / "metrics.json", metrics)
    name = metrics.get("name", Path(out_dir).name)
    print(f"{name}: {result.steps} steps ({result.stopped}); total {metrics['wall_time_s']:.0f} s")
    return metrics
