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
from typing import Any, Generic, Literal, TypedDict, TypeVar

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from rnn_site.errors import RnnSiteError
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
    faster on a GPU. ``precision="bf16"`` runs the forward pass and loss under bfloat16
    autocast (weights, gradients and Adam stay float32): on a CPU with native bfloat16
    matrix units (AMX, AVX512-BF16) a step of the wide char-lm LSTM takes well under half the
    time, smaller networks gain less (`rnn_site.bench.precision` measures it). Evaluation
    always runs in float32, so the metric that picks the best weights is that of the weights
    as stored. ``ema_decay`` keeps an exponential moving average of the weights (torch's
    ``AveragedModel``; buffers are copied, not averaged): evaluation,
    the best checkpoint and the final model use the average, which smooths the step-to-step
    noise of the last updates; each evaluation also logs the raw weights' scores as
    ``raw_<name>``, so one run measures what the averaging bought.
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
    precision: Literal["fp32", "bf16"] = "fp32"
    ema_decay: float | None = None

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
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {self.ema_decay}")


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


#: CPU flags of bfloat16 matrix units: oneDNN runs a bfloat16 LSTM fast only with one of them.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


class PrecisionUnavailableError(RnnSiteError, RuntimeError):
    """A recipe asks for bfloat16 on a CPU without bfloat16 units, where a bf16 LSTM step is
    about three times slower than float32 (AVX-512) or fails inside oneDNN (AVX2)."""


def _cpuinfo(field: str) -> list[str]:
    """The values of ``field`` ("model name", "flags") in /proc/cpuinfo, one per CPU."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return []
    return [
        line.split(":", 1)[1].strip()
        for line in cpuinfo.read_text(errors="replace").splitlines()
        if line.startswith(field)
    ]


def bf16_units() -> list[str]:
    """The bfloat16 units this CPU has (``[]`` where /proc/cpuinfo does not say)."""
    flags = {flag for line in _cpuinfo("flags") for flag in line.split()}
    return sorted(flags & BF16_FLAGS)


def machine(device: str = "cpu") -> dict[str, Any]:
    """The machine a run trained on, logged because wall times mean nothing without it."""
    names = _cpuinfo("model name")
    info: dict[str, Any] = {
        "cpu": names[0] if names else platform.processor() or platform.machine(),
        # Native bfloat16 units decide how fast a precision="bf16" recipe runs.
        "bf16_units": bf16_units(),
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
    run = Run(model, loss_fn, evaluate, config, out_dir, info, log_name)
    run.fit(batches)
    return run.finish()


class Run:
    """One training run, in the named steps of :func:`train` (as d2l splits ``Trainer.fit``):
    setup (``__init__``), :meth:`fit` over epochs, :meth:`run_epoch`, :meth:`optimise` one
    batch, :meth:`evaluate` and :meth:`keep_best` (the checkpoint), :meth:`finish`.

    The order of every random draw and every floating-point operation is that of the one
    loop it replaced, so a recipe gives the same weights as before the split.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[[nn.Module, Any], torch.Tensor],
        evaluate: Callable[[nn.Module], dict[str, float]],
        config: TrainConfig,
        out_dir: str | Path | None,
        info: dict[str, Any] | None,
        log_name: str,
    ) -> None:
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        seed_everything(config.seed)
        self.start = time.perf_counter()
        self.device = torch.device(config.device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {config.device!r} asked for, but torch sees no CUDA GPU")
        if config.precision == "bf16" and self.device.type == "cpu" and not bf16_units():
            raise PrecisionUnavailableError(
                "this recipe trains in bfloat16 (precision bf16), but /proc/cpuinfo names no "
                "bfloat16 units (AMX or AVX512-BF16) on this machine; without them a bf16 "
                "LSTM step is about 3 times slower than float32 or fails; train in float32 "
                "with --precision fp32 (other weights than the published ones)"
            )
        self.model, self.loss_fn, self.evaluate_fn, self.config = model, loss_fn, evaluate, config
        model.to(self.device)
        self.ema = (
            AveragedModel(
                model, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay), use_buffers=False
            )
            if config.ema_decay is not None
            else None
        )
        self.optimiser = torch.optim.Adam(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.sign = 1.0 if config.mode == "min" else -1.0
        self.log: dict[str, Any] = {
            "status": "running",
            "train_config": asdict(config),
            **(info or {}),
            "history": [],
            "versions": versions(),
            "machine": machine(config.device),
        }
        self.log_path = Path(out_dir) / log_name if out_dir is not None else None
        self.best: dict[str, float] = {}
        self.best_state: dict[str, torch.Tensor] | None = None
        self.evals_without_improvement = 0
        self.step = self.epoch = self.epochs_completed = 0
        self.total_steps = config.max_steps
        self.stopped = "finished"
        self.running_loss, self.running_count = 0.0, 0
        self.bar: Any = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def fit(self, batches: Callable[[int], Iterable[Any]]) -> None:
        """Run epochs until the recipe, early stopping, the time cap or Ctrl-C ends training."""
        self.model.train()
        self.bar = tqdm(
            total=self.total_steps,
            disable=not self.config.progress,
            dynamic_ncols=True,
            leave=False,
        )
        try:
            for epoch in range(self.config.epochs):
                self.epoch = epoch
                if self.run_epoch(batches(epoch)):
                    break
            if not self.log["history"] or self.log["history"][-1]["step"] != self.step:
                self.evaluate()
        except KeyboardInterrupt:
            self.stopped = "interrupted"
        except Exception as exc:
            # The log must not claim "running" for a run that is over; the best weights so far
            # are not restored, since the caller gets the exception rather than a result.
            self.log["error"] = f"{type(exc).__name__}: {exc}"
            self.write_log("error")
            raise
        finally:
            self.bar.close()

    def run_epoch(self, epoch_batches: Iterable[Any]) -> bool:
        """One pass over ``epoch_batches``; returns True if training should stop."""
        config = self.config
        reset = getattr(self.loss_fn, "reset", None)
        if callable(reset):
            reset()
        if self.total_steps is None and hasattr(epoch_batches, "__len__"):
            self.total_steps = config.epochs * len(epoch_batches)  # type: ignore[arg-type]
            self.bar.reset(total=self.total_steps)
        for batch in epoch_batches:
            self.optimise(batch)
            stop = False
            if config.eval_every and self.step % config.eval_every == 0:
                stop = self.evaluate()
                if stop:
                    self.stopped = "early_stopping"
            if config.max_steps is not None and self.step >= config.max_steps:
                stop = True
            if config.time_cap_s is not None and self.elapsed() >= config.time_cap_s:
                self.stopped, stop = "time_cap", True
            if stop:
                return True
        self.epochs_completed = self.epoch + 1
        if not config.eval_every and self.evaluate():
            self.stopped = "early_stopping"
            return True
        return False

    def optimise(self, batch: Any) -> None:
        """One optimiser step on ``batch`` at the schedule's learning rate."""
        config, optimiser = self.config, self.optimiser
        progress = self.step / self.total_steps if self.total_steps else 0.0
        for group in optimiser.param_groups:
            group["lr"] = config.lr * lr_factor(config, progress, self.step)
        # --8<-- [start:autocast]
        with torch.autocast(
            self.device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16"
        ):
            loss = self.loss_fn(self.model, to_device(batch, self.device)).float()
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"loss became {loss.item()} at step {self.step}; try a lower lr"
            )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
        optimiser.step()
        # --8<-- [end:autocast]
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.step += 1
        self.running_loss += loss.item()
        self.running_count += 1
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{loss.item():.4f}", lr=f"{optimiser.param_groups[0]['lr']:.2e}")

    def evaluate(self) -> bool:
        """Evaluate, log, keep the best weights; returns True if training should stop."""
        config = self.config
        metrics = self.score(self.scored())
        if self.ema is not None:
            metrics |= {f"raw_{k}": v for k, v in self.score(self.model).items()}
        if config.metric not in metrics:
            raise KeyError(
                f"evaluate() returned {sorted(metrics)} but config.metric is {config.metric!r}"
            )
        entry = {
            "step": self.step,
            "epoch": self.epoch,
            "elapsed_s": round(self.elapsed(), 3),
            "lr": self.optimiser.param_groups[0]["lr"],
            "train_loss": self.running_loss / max(self.running_count, 1),
            **metrics,
        }
        self.running_loss, self.running_count = 0.0, 0
        self.log["history"].append(entry)
        self.keep_best(entry)
        self.write_log("running")
        return config.patience is not None and self.evals_without_improvement > config.patience

    def scored(self) -> nn.Module:
        """The weights that are evaluated and kept: the moving average, if there is one."""
        return self.ema.module if self.ema is not None else self.model

    def score(self, model: nn.Module) -> dict[str, float]:
        """``evaluate(model)`` in eval mode on the CPU, without gradients."""
        model.eval()
        model.to("cpu")
        with torch.no_grad():
            metrics = {k: float(v) for k, v in self.evaluate_fn(model).items()}
        model.to(self.device)
        model.train()
        return metrics

    def keep_best(self, entry: dict[str, float]) -> None:
        """Copy the weights aside if ``entry`` beats the best evaluation so far."""
        metric = self.config.metric
        if not self.best or self.sign * entry[metric] < self.sign * self.best[metric]:
            self.best = dict(entry)
            self.best_state = {
                k: v.detach().to("cpu", copy=True) for k, v in self.scored().state_dict().items()
            }
            self.evals_without_improvement = 0
        else:
            self.evals_without_improvement += 1

    def write_log(self, status: str) -> None:
        """The log as it stands, written atomically (an interrupted run leaves a valid file)."""
        self.log.update(
            status=status,
            complete=status in COMPLETE,
            best=self.best,
            steps=self.step,
            epochs_completed=self.epochs_completed,
            wall_time_s=round(self.elapsed(), 3),
        )
        if self.log_path is not None:
            write_json(self.log_path, self.log)

    def finish(self) -> TrainResult:
        """Restore the best weights on the CPU, write the final log, say how the run ended."""
        self.model.to("cpu")
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        if self.stopped not in COMPLETE:
            self.log["incomplete"] = (
                f"stopped by {self.stopped!r} at step {self.step}: not the recipe; "
                "do not publish this run"
            )
        self.write_log(self.stopped)
        return TrainResult(
            history=self.log["history"],
            best=self.best,
            steps=self.step,
            epochs_completed=self.epochs_completed,
            wall_time_s=self.log["wall_time_s"],
            stopped=self.stopped,
            log=self.log,
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


class RunOptions(TypedDict, total=False):
    """The frame of a run, which every ``train_<model>`` takes as keywords beside its
    hyperparameters and hands to :meth:`Job.begin` (the command line fills it with
    :func:`rnn_site.train.command.run_options`)."""

    seed: int
    time_cap_s: float | None
    threads: int | None
    progress: bool
    device: str
    recipe: dict[str, Any] | None


@dataclass
class Job:
    """The frame of one ``train_<model>`` job, shared by every trainer: where it writes, its
    seed, device, threads, safety cap and recipe line, and the clock its wall time counts from.

    A trainer begins with :meth:`begin`, builds its loop config with :meth:`train_config`
    (only the model's own schedule fields), heads its log with :meth:`info` and ends with
    :meth:`finish`; these are :func:`time_left`, :func:`run_info` and :func:`finish_training`
    with the job's own values filled in.
    """

    out: Path
    seed: int = 0
    time_cap_s: float | None = None
    threads: int | None = None
    progress: bool = True
    device: str = "cpu"
    recipe: dict[str, Any] | None = None
    start: float = field(default_factory=time.perf_counter)

    @classmethod
    def begin(
        cls,
        out_dir: str | Path,
        seed: int = 0,
        time_cap_s: float | None = None,
        threads: int | None = None,
        progress: bool = True,
        device: str = "cpu",
        recipe: dict[str, Any] | None = None,
    ) -> Job:
        """Start the clock, create ``out_dir`` and set torch's thread count (if given).

        The arguments are those every ``train_<model>`` takes, in the order of :class:`Job`.
        """
        job = cls(Path(out_dir), seed, time_cap_s, threads, progress, device, recipe)
        job.out.mkdir(parents=True, exist_ok=True)
        if job.threads is not None:
            torch.set_num_threads(job.threads)
        return job

    @classmethod
    def of(cls, out_dir: str | Path, run: RunOptions, threads: int | None = None) -> Job:
        """:meth:`begin` with a trainer's ``**run`` keywords; ``threads`` is the trainer's
        own default thread count, used when ``run`` names none."""
        options = RunOptions(threads=threads)
        options.update(run)
        return cls.begin(out_dir, **options)

    def train_config(self, **loop: Any) -> TrainConfig:
        """The loop's config: the model's schedule ``loop`` fields plus the job's seed, device,
        threads, progress and what is left of its safety cap."""
        return TrainConfig(
            seed=self.seed,
            time_cap_s=time_left(self.time_cap_s, self.start),
            device=self.device,
            threads=self.threads,
            progress=self.progress,
            **loop,
        )

    def info(self, name: str, model: nn.Module, hparams: Any, **extra: Any) -> dict[str, Any]:
        """:func:`run_info` with the job's seed and recipe (the command plus its step budget)."""
        from rnn_site.train.command import recipe_fields

        recipe = {**(self.recipe or {}), **recipe_fields(hparams)}
        return run_info(name, self.seed, model, hparams, recipe=recipe, **extra)

    def finish(self, result: TrainResult, **results: Any) -> dict[str, Any]:
        """:func:`finish_training` into the job's folder, timed from the job's start."""
        return finish_training(result, self.out, self.start, **results)
