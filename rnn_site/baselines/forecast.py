"""Classical forecasting baselines and the metrics every forecaster is judged by.

A forecast from origin t (the index of the first value to predict, knowing values[:t]) is three
arrays of ``horizon`` values: the point forecast (median) and the lower/upper bounds of an 80%
prediction interval. Evaluation repeats that from many origins in the test period (a *rolling
origin*), each forecaster seeing exactly the past of each origin, never the future.

- naive: tomorrow = today. Interval: Gaussian, σ_h = σ₁·√h (a random walk).
- seasonal naive: the value one season ago. σ_h = σ_m·√(⌊(h−1)/m⌋+1).
- SARIMA (statsmodels): orders fixed per series (below), parameters fitted on the training part
  once, then applied unchanged to each origin's past; its own Gaussian intervals.

σ₁ and σ_m are the standard deviations of the baselines' one-season-ahead residuals on the
training part, so nothing here looks at validation or test values before forecasting them.

Metrics (lower is better, except that coverage should be close to its nominal 0.8):
MASE = mean |y − ŷ| / (in-sample MAE of the seasonal naive on the training part);
sMAPE = 200 · mean |y − ŷ| / (|y| + |ŷ|) in percent (0/0 counts as 0);
coverage = fraction of actual values inside the interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_site.data.timeseries import Series, seasonal_scale

LEVEL = 0.8
Z80 = 1.2815515655446004  # standard normal quantile at 0.9: the 80% central interval

#: SARIMA (p, d, q)(P, D, Q, s) orders per series: the textbook "airline" model for CO₂, an
#: AR(9) for sunspots (the classical choice for their ~11-year cycle), and a daily seasonal
#: model for hourly temperatures.
SARIMA_ORDERS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int, int], str]] = {
    "co2": ((1, 1, 1), (0, 1, 1, 12), "n"),
    "sunspots": ((9, 0, 0), (0, 0, 0, 0), "c"),
    "seattle": ((2, 0, 1), (0, 1, 1, 24), "n"),
}


@dataclass(frozen=True)
class Forecasts:
    """Forecasts from several origins: median, lower, upper each (origins, horizon)."""

    origins: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def rolling_origins(series: Series, start: int, end: int, horizon: int, stride: int) -> np.ndarray:
    """Origins t in [start, end − horizon] every ``stride`` steps: each forecast ends before end."""
    last = end - horizon
    if last < start:
        raise ValueError(f"no origin fits: [{start}, {end}) is shorter than horizon {horizon}")
    return np.arange(start, last + 1, stride)


def actuals(values: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The true values each forecast is compared with: (origins, horizon)."""
    return np.stack([values[t : t + horizon] for t in origins])


# --------------------------------------------------------------------------- metrics


# --8<-- [start:metrics]
def mase(y: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute error divided by ``scale`` (the training seasonal-naive MAE)."""
    return float(np.mean(np.abs(y - forecast)) / scale)


def smape(y: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent, 0..200; a pair of zeros counts as a perfect forecast."""
    denominator = np.abs(y) + np.abs(forecast)
    ratio = np.divide(
        np.abs(y - forecast), denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return float(200.0 * np.mean(ratio))


# --8<-- [end:metrics]


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Fraction of values inside [lower, upper]."""
    return float(np.mean((y >= lower) & (y <= upper)))


def score(series: Series, forecasts: Forecasts, horizon: int) -> dict[str, float]:
    """MASE, sMAPE and 80% coverage of ``forecasts`` against the series' actual values."""
    y = actuals(series.values, forecasts.origins, horizon)
    return {
        "mase": mase(y, forecasts.median, series.scale),
        "smape": smape(y, forecasts.median),
        "coverage80": coverage(y, forecasts.lower, forecasts.upper),
    }


# --------------------------------------------------------------------------- baselines


def _gaussian(median: np.ndarray, sigma: np.ndarray, origins: np.ndarray) -> Forecasts:
    return Forecasts(origins, median, median - Z80 * sigma, median + Z80 * sigma)


def naive(series: Series, origins: np.ndarray, horizon: int) -> Forecasts:
    """Repeat the last known value; σ from one-step differences of the training part."""
    sigma1 = float(np.std(np.diff(series.train)))
    median = np.stack([np.full(horizon, series.values[t - 1]) for t in origins])
    sigma = sigma1 * np.sqrt(np.arange(1, horizon + 1))
    return _gaussian(median, np.broadcast_to(sigma, median.shape), origins)


def seasonal_naive(series: Series, origins: np.ndarray, horizon: int) -> Forecasts:
    """Repeat the last full season; σ from seasonal differences of the training part."""
    m = series.period
    train = series.train
    sigma_m = float(np.std(train[m:] - train[:-m]))
    steps = np.arange(horizon)
    # Value for origin t, step h (0-based): the same phase in the last season before t.
    median = np.stack([series.values[t - m + steps % m] for t in origins])
    sigma = sigma_m * np.sqrt(steps // m + 1)
    return _gaussian(median, np.broadcast_to(sigma, median.shape), origins)


def _matrix(array: np.ndarray, ndim: int) -> np.ndarray:
    """A state-space matrix (ndim 2) or vector (ndim 1) of a time-invariant model, without the
    trailing time axis statsmodels may add."""
    array = np.asarray(array)
    return array[..., 0] if array.ndim > ndim else array


def sarima(series: Series, origins: np.ndarray, horizon: int) -> Forecasts:
    """SARIMA fitted on the training part, then forecasting from each origin's past.

    The fitted parameters are applied unchanged (no refit) to the whole series in one Kalman
    filter pass. Its predicted state at t, (a_t, P_t), uses values[:t] only, so forecasting from
    origin t is the usual propagation a ← T a + c, P ← T P Tᵀ + R Q Rᵀ with
    ŷ = Z a + d, var = Z P Zᵀ + H: what ``get_forecast`` computes, for all origins from one
    filter pass instead of one pass per origin (a test checks the two agree).
    """
    import warnings

    from statsmodels.tsa.statespace.sarimax import SARIMAX

    order, seasonal, trend = SARIMA_ORDERS[series.name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the scores speak for the fit
        fitted = SARIMAX(series.train, order=order, seasonal_order=seasonal, trend=trend).fit(
            disp=False, maxiter=200
        )
        full = fitted.apply(series.values)
    medians, sigmas = state_space_forecasts(full, origins, horizon)
    return _gaussian(medians, sigmas, origins)


def state_space_forecasts(
    full: Any, origins: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """(means, standard deviations), each (origins, horizon), of a time-invariant statsmodels
    state-space model already filtered over the series (``full``: a results object), forecast
    from each origin t with what values[:t] told the filter."""
    ssm = full.model.ssm
    design, obs_intercept = _matrix(ssm["design"], 2), _matrix(ssm["obs_intercept"], 1)
    obs_cov, transition = _matrix(ssm["obs_cov"], 2), _matrix(ssm["transition"], 2)
    state_intercept = _matrix(ssm["state_intercept"], 1)
    selection = _matrix(ssm["selection"], 2)
    state_noise = selection @ _matrix(ssm["state_cov"], 2) @ selection.T
    states = full.filter_results.predicted_state  # (k, n + 1): a_t given values[:t]
    covs = full.filter_results.predicted_state_cov  # (k, k, n + 1)
    medians = np.empty((len(origins), horizon))
    sigmas = np.empty((len(origins), horizon))
    for row, t in enumerate(origins):
        a, p = states[:, t].copy(), covs[:, :, t].copy()
        for h in range(horizon):
            medians[row, h] = (design @ a + obs_intercept)[0]
            sigmas[row, h] = np.sqrt(max((design @ p @ design.T + obs_cov)[0, 0], 0.0))
            a = transition @ a + state_intercept
            p = transition @ p @ transition.T + state_noise
    return medians, sigmas


def holt_winters_fit(train: np.ndarray, period: int) -> dict[str, float | np.ndarray]:
    """Additive Holt-Winters with a damped trend (statsmodels), fitted on ``train``:
    α, β, γ, φ, the initial level, trend and seasons, and σ of its one-step residuals."""
    import warnings

    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the scores speak for the fit
        fitted = ExponentialSmoothing(
            train,
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=period,
            initialization_method="estimated",
        ).fit()
    p = fitted.params
    return {
        "alpha": float(p["smoothing_level"]),
        "beta": float(p["smoothing_trend"]),
        "gamma": float(p["smoothing_seasonal"]),
        "phi": float(p["damping_trend"]),
        "level": float(p["initial_level"]),
        "trend": float(p["initial_trend"]),
        "seasons": np.asarray(p["initial_seasons"], dtype=np.float64),
        "sigma": float(np.std(train - fitted.fittedvalues)),
    }


def holt_winters_states(
    values: np.ndarray, fit: dict[str, float | np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the fitted recursion over ``values`` with its parameters fixed: (level (n+1,),
    trend (n+1,), seasons (n+m,)). level[t] and trend[t] are the state knowing values[:t] only;
    seasons[t + k] (0 ≤ k < m) is the seasonal term a forecast from origin t uses for value
    t + k (and, repeated every m steps, beyond)."""
    alpha, beta, gamma, phi = (float(fit[k]) for k in ("alpha", "beta", "gamma", "phi"))
    initial = np.asarray(fit["seasons"])
    m, n = initial.size, values.size
    level, trend = np.empty(n + 1), np.empty(n + 1)
    seasons = np.concatenate([initial, np.empty(n)])
    level[0], trend[0] = float(fit["level"]), float(fit["trend"])
    for t in range(n):
        damped = level[t] + phi * trend[t]
        level[t + 1] = alpha * (values[t] - seasons[t]) + (1 - alpha) * damped
        trend[t + 1] = beta * (level[t + 1] - level[t]) + (1 - beta) * phi * trend[t]
        seasons[t + m] = gamma * (values[t] - damped) + (1 - gamma) * seasons[t]
    return level, trend, seasons


def holt_winters(series: Series, origins: np.ndarray, horizon: int) -> Forecasts:
    """Holt-Winters (additive, damped trend) fitted on the training part once, then run over
    the whole series with fixed parameters and forecast from each origin's state, as
    :func:`sarima` does; σ_h = σ₁·√h from its training residuals (a test checks the
    forecasts equal statsmodels' own at the end of training)."""
    fit = holt_winters_fit(series.train, series.period)
    level, trend, seasons = holt_winters_states(series.values, fit)
    m, phi = series.period, float(fit["phi"])
    steps = np.arange(1, horizon + 1)
    damping = np.cumsum(phi**steps)
    median = np.stack(
        [level[t] + damping * trend[t] + seasons[t + (steps - 1) % m] for t in origins]
    )
    sigma = float(fit["sigma"]) * np.sqrt(steps)
    return _gaussian(median, np.broadcast_to(sigma, median.shape), origins)


BASELINES: dict[str, Callable[[Series, np.ndarray, int], Forecasts]] = {
    "naive": naive,
    "seasonal-naive": seasonal_naive,
    "sarima": sarima,
    "holt-winters": holt_winters,
}


def evaluate_baselines(
    series: Series, origins: np.ndarray, horizon: int, names: Sequence[str] = tuple(BASELINES)
) -> dict[str, dict[str, float]]:
    """{baseline: {"mase", "smape", "coverage80"}} on the given origins."""
    return {
        name: score(series, BASELINES[name](series, origins, horizon), horizon) for name in names
    }


__all__ = [
    "BASELINES",
    "LEVEL",
    "Forecasts",
    "actuals",
    "coverage",
    "evaluate_baselines",
    "holt_winters",
    "mase",
    "naive",
    "rolling_origins",
    "sarima",
    "score",
    "seasonal_naive",
    "seasonal_scale",
    "smape",
]
