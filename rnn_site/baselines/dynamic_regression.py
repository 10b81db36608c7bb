"""The statistician's electricity forecast: regression on Fourier terms and temperature with
ARIMA errors (a "dynamic regression", Hyndman & Athanasopoulos, FPP ch. 10 and 12.1).

Demand is regressed on what is known in advance about each half-hour: Fourier terms for the
daily (48) and weekly (336) seasons, the daily shape again for working days (weekends have their
own profile), temperature as a cubic (heating on cold days, cooling on hot ones), the
working-day flag, and the demand at the same half-hour one day and one week earlier (both
observed before any half-hour of the next day; the LSTM reads the same two values). What the
regression misses is autocorrelated (a cold spell lasts), so its residuals get an ARMA(2, 1)
model. Two stages: ordinary least squares, then statsmodels' SARIMAX on the residuals, both
fitted on the training part only; forecasts from every origin then come from one Kalman filter
pass with the parameters fixed, as for SARIMA in `rnn_site.baselines.forecast`.

Two seasonalities and a covariate are exactly what single-season models (seasonal ARIMA,
Holt-Winters) cannot hold, and what statsmodels offers no TBATS for; this is the standard
baseline in their place.
"""

from __future__ import annotations

import warnings

import numpy as np

from rnn_site.baselines.forecast import Z80, Forecasts, state_space_forecasts

DAY, WEEK = 48, 336
ARMA_ORDER = (2, 0, 1)


def fourier(index: np.ndarray, period: float, k: int) -> np.ndarray:
    """sin and cos of 2π·j·index/period for j = 1..k → (len(index), 2k)."""
    angle = 2 * np.pi * np.outer(index, np.arange(1, k + 1)) / period
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def design(demand: np.ndarray, temperature: np.ndarray, workday: np.ndarray) -> np.ndarray:
    """The regressors of each half-hour (n, 47); rows before one week have no lags (NaN).
    Index 0 is midnight of a Wednesday (1 January 2014), which only shifts the weekly phases."""
    index = np.arange(temperature.size)
    lags = np.full((demand.size, 2), np.nan)
    lags[DAY:, 0], lags[WEEK:, 1] = demand[:-DAY], demand[:-WEEK]
    t = (temperature - 20.0) / 10.0  # centred, so the cubic's columns are not collinear
    daily = fourier(index, DAY, 10)
    return np.column_stack(
        [
            np.ones_like(t),
            t,
            t**2,
            t**3,
            workday,
            daily,
            fourier(index, WEEK, 5),
            # The working-day shape: the first 5 sine/cosine pairs again, on working days only.
            workday[:, None] * np.concatenate([daily[:, :5], daily[:, 10:15]], axis=1),
            lags,
        ]
    )


def dynamic_regression(
    demand: np.ndarray,
    temperature: np.ndarray,
    workday: np.ndarray,
    train_end: int,
    origins: np.ndarray,
    horizon: int,
) -> Forecasts:
    """Forecasts of demand[t : t + horizon] from each origin t, knowing demand[:t] and the
    covariates of every half-hour (the temperatures of the forecast day included)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    if origins.min() < WEEK or origins.max() + horizon > demand.size or horizon > DAY:
        raise ValueError(f"origins need a week of history and horizons at most {DAY} steps")
    x = design(demand, temperature, workday)
    beta, *_ = np.linalg.lstsq(x[WEEK:train_end], demand[WEEK:train_end], rcond=None)
    regression = x[WEEK:] @ beta  # row k is half-hour WEEK + k
    residual = demand[WEEK:] - regression
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the scores speak for the fit
        fitted = SARIMAX(residual[: train_end - WEEK], order=ARMA_ORDER, trend="n").fit(
            disp=False, maxiter=200
        )
        full = fitted.apply(residual)
    means, sigmas = state_space_forecasts(full, origins - WEEK, horizon)
    steps = origins[:, None] + np.arange(horizon)[None, :] - WEEK
    median = regression[steps] + means
    return Forecasts(origins, median, median - Z80 * sigmas, median + Z80 * sigmas)
