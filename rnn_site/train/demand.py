"""Train the next-day electricity demand LSTM and judge it against two baselines.

Part of the ts-forecaster recipe (`rnn_site.train.ts_forecaster` calls :func:`train_demand`): its
scores go into the same ``metrics.json``. Forecasts run from every midnight of the test period
(November–December 2014) over the next 48 half-hours, against

- **seasonal naive**: the same half-hour one week earlier;
- **dynamic regression**: Fourier terms (day and week), temperature and working day with ARMA
  errors (`rnn_site.baselines.dynamic_regression`).

Both the LSTM and the regression read the recorded temperature of the forecast day, as if the
weather forecast were perfect; that is the usual setting for this data set (FPP ch. 12.1) and
it flatters both equally. Training windows start at every half-hour of January–August; the
validation period (September–October) picks the step and calibrates the intervals; each test
interval is then rescaled on the days before its midnight, as the runtime serves it
(:func:`history_calibrated`, ``INTERVAL_CALIBRATION``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnn_site.baselines.conformal import DEMAND_HISTORY_DAYS, pooled_factor, rescaled
from rnn_site.baselines.dynamic_regression import dynamic_regression
from rnn_site.baselines.forecast import Z80, Forecasts, coverage, mase, smape
from rnn_site.data.electricity import DAY, WEEK, Electricity, load_electricity
from rnn_site.models.demand import DemandConfig, DemandForecaster
from rnn_site.models.ts_forecaster import pinball_loss
from rnn_site.train.hparams import StepBudget, loop_fields, network_config
from rnn_site.train.loop import TrainConfig, train

LEVEL = 0.8


@dataclass(frozen=True)
class DemandTrainConfig(StepBudget):
    """Hyperparameters of the demand model (a part of the ts-forecaster recipe)."""

    hidden_size: int = 64
    history: int = 2 * DAY
    batch_size: int = 64
    # The budget (StepBudget's lr).
    warmup_steps: int = 50
    max_steps: int = 1500
    eval_every: int = 100
    patience: int = 5


@dataclass(frozen=True)
class Standardiser:
    """Training-part mean and standard deviation of demand and temperature."""

    demand_mean: float
    demand_std: float
    temperature_mean: float
    temperature_std: float

    @classmethod
    def fit(cls, data: Electricity) -> Standardiser:
        d, t = data.demand[: data.train_end], data.temperature[: data.train_end]
        return cls(float(d.mean()), float(d.std()), float(t.mean()), float(t.std()))


# --8<-- [start:features]
def features(
    data: Electricity,
    origins: np.ndarray,
    history: int,
    norm: Standardiser,
    temperature: np.ndarray | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(past (n, history, 5), future (n, 48, 6)) for forecasts from each origin.

    ``temperature`` replaces the recorded one (a what-if); the past only ever sees the past.
    """
    temp = data.temperature if temperature is None else temperature
    z = (data.demand - norm.demand_mean) / norm.demand_std
    tz = (temp - norm.temperature_mean) / norm.temperature_std
    phase = 2 * np.pi * (np.arange(data.size) % DAY) / DAY
    calendar = np.column_stack([data.workday, np.sin(phase), np.cos(phase)])
    past_rows = origins[:, None] + np.arange(-history, 0)[None, :]
    future_rows = origins[:, None] + np.arange(DAY)[None, :]
    past = np.concatenate(
        [z[past_rows][..., None], tz[past_rows][..., None], calendar[past_rows]], axis=-1
    )
    future = np.concatenate(
        [
            tz[future_rows][..., None],
            calendar[future_rows],
            z[future_rows - DAY][..., None],  # the same half-hour yesterday (already observed)
            z[future_rows - WEEK][..., None],  # and one week earlier
        ],
        axis=-1,
    )
    return torch.from_numpy(past).float(), torch.from_numpy(future).float()


# --8<-- [end:features]
def targets(data: Electricity, origins: np.ndarray, norm: Standardiser) -> torch.Tensor:
    rows = origins[:, None] + np.arange(DAY)[None, :]
    return torch.from_numpy((data.demand[rows] - norm.demand_mean) / norm.demand_std).float()


def midnights(start: int, end: int) -> np.ndarray:
    """Every midnight in [start, end) that leaves a whole day after it."""
    return np.arange(start, end - DAY + 1, DAY)


def scale(data: Electricity) -> float:
    """MASE's unit: the mean absolute error of 'same time last week' on the training part."""
    d = data.demand[: data.train_end]
    return float(np.mean(np.abs(d[WEEK:] - d[:-WEEK])))


class DemandBatches:
    """``steps`` batches of windows from random training origins (seeded)."""

    def __init__(
        self, data: Electricity, norm: Standardiser, hp: DemandTrainConfig, steps: int, seed: int
    ) -> None:
        self.data, self.norm, self.hp, self.steps = data, norm, hp, steps
        self.rng = np.random.default_rng(seed)
        self.origins = np.arange(WEEK, data.train_end - DAY + 1)

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        for _ in range(self.steps):
            origins = self.rng.choice(self.origins, self.hp.batch_size)
            past, future = features(self.data, origins, self.hp.history, self.norm)
            yield past, future, targets(self.data, origins, self.norm)


def demand_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    past, future, target = batch
    return pinball_loss(model(past, future), target)


def forecast(
    model: DemandForecaster,
    data: Electricity,
    origins: np.ndarray,
    hp: DemandTrainConfig,
    norm: Standardiser,
    temperature: np.ndarray | None = None,
) -> Forecasts:
    """The model's forecasts in GW from each origin."""
    past, future = features(data, origins, hp.history, norm, temperature)
    with torch.no_grad():
        q = model(past, future).numpy().astype(np.float64)
    q = norm.demand_mean + norm.demand_std * q
    return Forecasts(origins, q[..., 1], q[..., 0], q[..., 2])


def scores(data: Electricity, f: Forecasts, unit: float) -> dict[str, float]:
    """MASE (unit: last week's error on training), MAE in GW, sMAPE and 80% coverage."""
    y = data.demand[f.origins[:, None] + np.arange(DAY)[None, :]]
    return {
        "mase": mase(y, f.median, unit),
        "mae_gw": float(np.mean(np.abs(y - f.median))),
        "smape": smape(y, f.median),
        "coverage80": coverage(y, f.lower, f.upper),
    }


def weekly_naive(data: Electricity, origins: np.ndarray) -> Forecasts:
    """Same half-hour last week; Gaussian interval from the training part's weekly changes."""
    d = data.demand[: data.train_end]
    sigma = float(np.std(d[WEEK:] - d[:-WEEK]))
    median = data.demand[origins[:, None] + np.arange(DAY)[None, :] - WEEK]
    return Forecasts(origins, median, median - Z80 * sigma, median + Z80 * sigma)


def calibrate(
    model: DemandForecaster, data: Electricity, hp: DemandTrainConfig, norm: Standardiser
) -> list[float]:
    """Split-conformal widening per step from the validation midnights (see
    `rnn_site.train.ts_forecaster.calibrate_intervals`), in standardised units."""
    model.interval_adjust.zero_()  # type: ignore[operator]
    origins = midnights(data.train_end, data.val_end)
    past, future = features(data, origins, hp.history, norm)
    with torch.no_grad():
        q = model(past, future).numpy()
    y = targets(data, origins, norm).numpy()
    errors = np.maximum(q[..., 0] - y, y - q[..., 2])  # (days, 48)
    rank = min(len(origins), math.ceil((len(origins) + 1) * LEVEL))
    adjust = np.sort(errors, axis=0)[rank - 1]
    model.interval_adjust.copy_(torch.from_numpy(adjust).float())  # type: ignore[operator]
    return [float(a) for a in adjust]


def history_calibrated(
    model: DemandForecaster,
    data: Electricity,
    origins: np.ndarray,
    hp: DemandTrainConfig,
    norm: Standardiser,
) -> Forecasts:
    """`forecast` with each day's interval rescaled by how the model's forecasts of the
    `DEMAND_HISTORY_DAYS` days before its midnight fared, as the runtime serves it
    (`rnn_site.baselines.conformal.pooled_factor`); origins need that many days and a week."""
    before = origins[:, None] - DAY * np.arange(DEMAND_HISTORY_DAYS, 0, -1)[None, :]
    every = np.unique(np.concatenate([before.ravel(), origins]))
    f = forecast(model, data, every, hp, norm)
    q = np.stack([f.lower, f.median, f.upper], axis=-1)
    row = {int(t): k for k, t in enumerate(every)}
    y = data.demand[every[:, None] + np.arange(DAY)[None, :]]
    out = []
    for t, days in zip(origins, before, strict=True):
        rows = [row[int(d)] for d in days]
        out.append(rescaled(q[row[int(t)]], np.array(pooled_factor(y[rows], q[rows]))))
    calibrated = np.stack(out)
    return Forecasts(origins, calibrated[..., 1], calibrated[..., 0], calibrated[..., 2])


#: How the test interval is scored (and served): the log records it.
INTERVAL_CALIBRATION = {
    "method": "history",
    "days": DEMAND_HISTORY_DAYS,
    "rule": "rnn_site/experiments/results/ts_demand_interval_rule.md",
}


def baseline_scores(data: Electricity, origins: np.ndarray, unit: float) -> dict[str, Any]:
    """Seasonal naive (a week earlier) and the dynamic regression from every test midnight."""
    regression = dynamic_regression(
        data.demand, data.temperature, data.workday, data.train_end, origins, DAY
    )
    return {
        "seasonal-naive-week": scores(data, weekly_naive(data, origins), unit),
        "dynamic-regression": scores(data, regression, unit),
    }


def what_if_plus5(
    model: DemandForecaster, data: Electricity, origins: np.ndarray, hp: DemandTrainConfig,
    norm: Standardiser,
) -> dict[str, Any]:  # fmt: skip
    """What if every test day were 5 °C hotter? The mean change of the median forecast, split
    by how hot the day really was (air conditioning answers on hot days, heating on cold)."""
    hotter = forecast(model, data, origins, hp, norm, data.temperature + 5.0)
    base = forecast(model, data, origins, hp, norm)
    rows = origins[:, None] + np.arange(DAY)[None, :]
    day_max = data.temperature[rows].max(axis=1)
    change = (hotter.median - base.median).mean(axis=1)
    hot = day_max >= 25
    return {
        "mean_change_gw": float(change.mean()),
        "hot_days_change_gw": float(change[hot].mean()) if hot.any() else None,
        "mild_days_change_gw": float(change[~hot].mean()) if (~hot).any() else None,
        "hot_days": int(hot.sum()),
    }


def train_demand(
    out_dir: str | Path,
    *,
    hparams: DemandTrainConfig | None = None,
    seed: int = 0,
    threads: int = 1,
    progress: bool = True,
    device: str = "cpu",
    time_cap_s: float | None = None,
    data: Electricity | None = None,
) -> tuple[DemandForecaster, dict[str, Any]]:
    """Train, calibrate and score the demand model; returns (model, its metrics section).

    Keywords after ``out_dir``, as every ``train_<model>``: seven positional values were easy
    to shift by one.
    """
    hp = hparams or DemandTrainConfig()
    start = time.perf_counter()
    data = data or load_electricity()
    norm = Standardiser.fit(data)
    unit = scale(data)
    val_origins = midnights(data.train_end, data.val_end)
    test_origins = midnights(data.val_end, data.size)
    baselines = baseline_scores(data, test_origins, unit)
    baseline_s = time.perf_counter() - start
    config = network_config(DemandConfig, hp, horizon=DAY)
    torch.manual_seed(seed)
    model = DemandForecaster(config)

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        f = forecast(m, data, val_origins, hp, norm)  # type: ignore[arg-type]
        return {"val_mase": scores(data, f, unit)["mase"]}

    # time_cap_s is what is left of the ts-forecaster job's cap (its caller's time_left).
    train_config = TrainConfig(
        seed=seed, **loop_fields(hp), schedule="cosine", metric="val_mase",
        time_cap_s=time_cap_s, device=device, threads=threads, progress=progress,
    )  # fmt: skip
    result = train(
        model,
        batches=lambda epoch: DemandBatches(data, norm, hp, hp.max_steps, seed + 1000 + epoch),
        loss_fn=demand_loss,
        evaluate=evaluate,
        config=train_config,
        out_dir=out_dir,
        info={"name": "ts-forecaster electricity", "hparams": asdict(hp)},
        log_name="train-electricity.json",
    )
    model.eval()
    adjust = calibrate(model, data, hp, norm)
    lstm = scores(data, history_calibrated(model, data, test_origins, hp, norm), unit)
    graph = scores(data, forecast(model, data, test_origins, hp, norm), unit)
    section = {
        "config": config.to_dict(),
        "hparams": asdict(hp),
        "standardiser": asdict(norm),
        "scale_gw": unit,
        "interval_adjust": adjust,
        "interval_calibration": INTERVAL_CALIBRATION,
        # Both test coverages, so a fresh log says what calibration changed (a rescore of an
        # older log keeps the graph's under interval_rescored.before instead).
        "test_coverage80": {"graph": graph["coverage80"], "served": lstm["coverage80"]},
        "test_days": len(test_origins),
        "validation_days": len(val_origins),
        "lstm": lstm,
        "baselines": baselines,
        "best_step": result.best.get("step"),
        "steps": result.steps,
        "stopped": result.stopped,
        "complete": result.complete,
        "train_wall_time_s": result.wall_time_s,
        "baseline_wall_time_s": round(baseline_s, 3),
        "what_if_plus5": what_if_plus5(model, data, test_origins, hp, norm),
    }
    print(
        f"electricity: LSTM MASE {lstm['mase']:.3f} cov {lstm['coverage80']:.2f}; "
        + ", ".join(f"{k} {v['mase']:.3f}" for k, v in baselines.items())
    )
    return model, section
