"""Split-conformal calibration of a forecast's interval on the series' own recent past.

A global model serves series it never trained on (the held-out collection, a reader's own), so
one calibration fitted on validation per family cannot fit them all: a smooth series gets far
too wide an interval, a volatile one too narrow. But a series' own past is honest calibration
data for such a model: run it at the most recent origins *inside* the history, where the
actuals are known, score how far they fell from the median in half-widths of the interval
(the "ratio" score), and rescale the new interval by the split-conformal quantile of those
scores. Scale-free, so it reads the graph's output in the series' units; the browser demo does
the same in ``docs/assets/demos/forecast-calibration.js``. The constants were chosen on
validation by a rule committed first (rnn_site/experiments/results/
ts_history_calibration_rule.md; measured by `rnn_site.experiments.ts_history_calibration`).

Numpy only: the runtime (`rnn_site.runtime.ts_forecaster`) and the recipe's scoring
(`rnn_site.train.ts_forecaster`) both use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

#: Origins scored per step (K): the most recent 12 forecasts inside the history.
HISTORY_ORIGINS = 12
#: True: every score of origins with the whole horizon known pooled into one factor; False: a
#: factor per step from the origins where that step is known.
HISTORY_POOLED = False
#: Fewer scores than this (for a step) keep the graph's interval unchanged. Equal to K, so a
#: factor is always the same rank of the same number of scores: with 4 the 80% rank was the
#: largest, and one more value of history swung an interval several-fold. Every validation
#: origin had all K scores, so no validated figure depends on it.
MIN_SCORES = HISTORY_ORIGINS
LEVEL = 0.8
#: The coverage a series should reach (the card's target), inclusive.
TARGET = (0.75, 0.85)


def in_target(coverage: float) -> bool:
    """Whether a coverage is within `TARGET`, judged on its value to 3 decimals, as every
    table prints it: a series shown as 0.850 counts as inside, one shown as 0.851 outside."""
    return TARGET[0] <= round(coverage, 3) <= TARGET[1]


#: Electricity (the demand model, 48 half-hours from a midnight): one factor per forecast from
#: the ratio scores of the forecasts from the K whole days before it, pooled over the 48 steps
#: (chosen on October with a fit on September: rnn_site/experiments/results/
#: ts_demand_interval_rule.md, measured by `rnn_site.experiments.ts_demand_interval`).
DEMAND_HISTORY_DAYS = 7


# --8<-- [start:history]
def calibration_origins(
    n: int, horizon: int, min_history: int, k: int = HISTORY_ORIGINS, pooled: bool = HISTORY_POOLED
) -> np.ndarray:
    """Origins t inside a history of n values whose forecasts calibrate one from its end: the
    k most recent with all ``horizon`` steps known (pooled), or, per step, the k most recent
    where that step is known (t ≤ n − 1 − step); never before ``min_history``. The runtime
    passes the model's max horizon, not the requested one, so the origins (and the width of
    their windows) and thus a step's interval do not depend on how many steps were asked for."""
    last = n - horizon if pooled else n - 1
    return np.arange(max(min_history, n - horizon - k + 1), last + 1)


def ratio_scores(
    actual: np.ndarray, lower: np.ndarray, median: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """|actual − median| as a multiple of the interval's half-width on its side: 1 is the
    edge. Scale-free, so it is the same in the series' units as in the graph's."""
    low = np.maximum(median - lower, 1e-30)
    high = np.maximum(upper - median, 1e-30)
    return np.maximum((median - actual) / low, (actual - median) / high)


def conformal_factor(scores: np.ndarray) -> float:
    """The ⌈(n + 1)·0.8⌉-th smallest of n scores (capped at n), or 1 (no change) for fewer
    than `MIN_SCORES`: split conformal's quantile."""
    flat = np.sort(np.ravel(scores))
    if flat.size < MIN_SCORES:
        return 1.0
    return float(flat[min(flat.size, math.ceil((flat.size + 1) * LEVEL)) - 1])


def history_factors(
    values: np.ndarray,
    origins: np.ndarray,
    quantiles: np.ndarray,
    horizon: int,
    k: int = HISTORY_ORIGINS,
    pooled: bool = HISTORY_POOLED,
) -> np.ndarray:
    """Per-step factors (horizon,) on the half-widths of a forecast from the end of
    ``values``, from the graph's forecasts ``quantiles`` (len(origins), ≥ horizon, 3) made at
    ``origins`` (`calibration_origins`), scored where the actual is known."""
    n = values.size
    steps = np.asarray(origins)[:, None] + np.arange(horizon)[None, :]
    known = steps < n
    q = np.asarray(quantiles, dtype=np.float64)[:, :horizon]
    actual = values[np.minimum(steps, n - 1)]
    scores = ratio_scores(actual, q[..., 0], q[..., 1], q[..., 2])
    if pooled:
        return np.full(horizon, conformal_factor(scores[known]))
    return np.array([conformal_factor(scores[known[:, j], j][-k:]) for j in range(horizon)])


#: The raw graph: windows (batch, time), scale (batch,), ids (batch,) → (batch, steps, 3).
Graph = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def served_factors(
    run: Graph,
    values: np.ndarray,
    series: tuple[int, int],
    unit: float,
    limits: tuple[int, int],
) -> np.ndarray:
    """The factors (max_horizon,) the runtime puts on the half-widths of a forecast from the
    end of ``values`` by the graph ``run`` (``series`` = (lookback, id), ``limits`` =
    (min_history, max_horizon)): the graph runs at the `calibration_origins` inside them in
    one batch of windows of one width (the lookback, or the first origin when fewer values
    come before it), in the forecast's ``unit``. Origins and width follow the max horizon,
    not a requested one, so a step's interval is the same however many steps were asked for.
    `Forecaster.forecast` and the card's example both use it."""
    (lookback, series_id), (min_history, max_horizon) = series, limits
    origins = calibration_origins(values.size, max_horizon, min_history)
    if not origins.size:
        return np.ones(max_horizon)
    width = min(lookback, int(origins[0]))
    windows = np.lib.stride_tricks.sliding_window_view(values, width)[origins - width]
    n = len(origins)
    q = np.asarray(run(windows, np.full(n, unit), np.full(n, series_id)), dtype=np.float64)
    return history_factors(values, origins, q, max_horizon)


def pooled_factor(actual: np.ndarray, quantiles: np.ndarray) -> float:
    """One factor from every known value ``actual`` (…) and the graph's forecast of it,
    ``quantiles`` (…, 3): the electricity model's "history" factor over its previous days."""
    q = np.asarray(quantiles, dtype=np.float64)
    return conformal_factor(ratio_scores(np.asarray(actual), q[..., 0], q[..., 1], q[..., 2]))


def rescaled(quantiles: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(…, horizon, 3) quantiles with each half-width multiplied by its step's factor."""
    median = quantiles[..., 1]
    lower = median - factors * (median - quantiles[..., 0])
    upper = median + factors * (quantiles[..., 2] - median)
    return np.stack([lower, median, upper], axis=-1)


# --8<-- [end:history]
