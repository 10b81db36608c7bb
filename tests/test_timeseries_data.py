"""Time-series data, baselines, metrics and anomaly scoring, on real values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rnn_site.baselines.anomaly import (
    choose_threshold,
    event_recall,
    interval_score,
    precision_recall_f1,
    rolling_zscore,
)
from rnn_site.baselines.forecast import (
    SARIMA_ORDERS,
    coverage,
    holt_winters,
    holt_winters_fit,
    mase,
    naive,
    rolling_origins,
    sarima,
    seasonal_naive,
    smape,
)
from rnn_site.data.timeseries import Series, norm_scale, seasonal_scale

# ------------------------------------------------------------------ metrics (hand-computed values)


def test_mase_smape_and_coverage_match_hand_computed_values():
    y = np.array([10.0, 20.0, 0.0])
    f = np.array([12.0, 15.0, 0.0])
    assert mase(y, f, scale=2.0) == pytest.approx((2 + 5 + 0) / 3 / 2)
    # 200 · mean(2/22, 5/35, 0): the 0/0 pair counts as a perfect forecast.
    assert smape(y, f) == pytest.approx(200 * (2 / 22 + 5 / 35) / 3)
    assert coverage(y, np.array([9.0, 21.0, -1.0]), np.array([11.0, 22.0, 1.0])) == pytest.approx(
        2 / 3
    )


def test_seasonal_scale_is_the_mean_absolute_seasonal_difference():
    values = np.array([1.0, 5.0, 2.0, 7.0, 2.0, 4.0])
    assert seasonal_scale(values, 2) == pytest.approx(np.mean([1, 2, 0, 3]))
    assert seasonal_scale(np.ones(5), 2) == 1.0  # constant: any positive unit
    assert norm_scale(np.array([1.0, 3.0])) == 1.0 and norm_scale(np.ones(3)) == 1.0


def toy_series(values: np.ndarray, period: int = 4, name: str = "toy") -> Series:
    n = values.size
    return Series(
        name=name, title="toy", unit="u", freq="month", start="2000-01", values=values,
        period=period, lookback=8, horizon=4, train_end=n // 2, val_end=3 * n // 4,
        source="test", licence="none",
    )  # fmt: skip


def test_naive_and_seasonal_naive_forecasts_use_only_the_past():
    values = np.arange(40, dtype=float) % 4 * 10 + np.arange(40)
    s = toy_series(values)
    origins = rolling_origins(s, s.val_end, values.size, 6, 1)
    assert origins[0] == 30 and origins[-1] == 34
    nv = naive(s, origins, 6)
    np.testing.assert_array_equal(nv.median[0], np.full(6, values[29]))
    sn = seasonal_naive(s, origins, 6)
    # Step h repeats the value one period (4) before its own phase, from the last full season.
    np.testing.assert_array_equal(sn.median[0], values[[26, 27, 28, 29, 26, 27]])
    # Interval widths grow with the horizon: √h for naive, per season for seasonal naive.
    widths = nv.upper[0] - nv.lower[0]
    assert widths[3] == pytest.approx(2 * widths[0])
    sw = sn.upper[0] - sn.lower[0]
    assert sw[0] == pytest.approx(sw[3]) and sw[4] == pytest.approx(np.sqrt(2) * sw[0])


# ------------------------------------------------------------------ anomaly scoring


def test_rolling_zscore_matches_a_direct_computation():
    values = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    scores = rolling_zscore(values, 3)
    assert np.isnan(scores[:3]).all()
    window = values[1:4]
    assert scores[4] == pytest.approx(abs(10 - window.mean()) / window.std())


def test_interval_score_is_one_on_the_edges_and_grows_outside():
    lower, median, upper = np.zeros(4), np.ones(4), np.full(4, 3.0)
    y = np.array([3.0, 0.0, 5.0, 1.0])
    np.testing.assert_allclose(interval_score(y, lower, median, upper), [1, 1, 2, 0])


def test_precision_recall_f1_and_threshold_choice():
    labels = np.array([0, 0, 1, 1, 0, 1], bool)
    flags = np.array([0, 1, 1, 0, 0, 1], bool)
    assert precision_recall_f1(flags, labels) == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    )
    assert event_recall(flags, [("spike", 3, 4), ("drift", 5, 6)]) == 0.5
    scores = np.array([0.1, 0.2, 5.0, 4.0, 0.3, 6.0])
    assert choose_threshold(scores, labels, thresholds=(0.5, 1.0, 4.5)) == 1.0


# ------------------------------------------------------------------ real data (statsmodels)


# The `series` fixture (the real site series) lives in conftest.py.


def test_real_series_load_offline_with_chronological_splits(series):
    expected = {"co2": 526, "sunspots": 309, "seattle": 8760}
    for name, s in series.items():
        assert s.values.size == expected[name]
        assert np.isfinite(s.values).all()
        assert 0 < s.train_end < s.val_end < s.values.size
        assert s.train.size + s.val.size + s.test.size == s.values.size
    assert series["co2"].start == "1958-03" and series["co2"].train_end == 382  # up to 1989-12
    assert series["sunspots"].values[series["sunspots"].val_end - 1] == pytest.approx(105.9)
    assert series["seattle"].start == "2010-01-01T00:00"


def test_scales_are_fitted_on_the_training_part_only(series):
    s = series["co2"]
    changed = Series(
        **{**s.__dict__, "values": np.concatenate([s.train, s.values[s.train_end :] * 10])}
    )
    assert changed.scale == s.scale and changed.norm_scale == s.norm_scale


def test_fast_sarima_forecasts_equal_statsmodels_get_forecast(series):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    s = series["sunspots"]
    origins = np.array([s.val_end, s.val_end + 7])
    fast = sarima(s, origins, 5)
    order, seasonal, trend = SARIMA_ORDERS["sunspots"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = SARIMAX(s.train, order=order, seasonal_order=seasonal, trend=trend).fit(
            disp=False, maxiter=200
        )
        slow = fitted.apply(s.values[: origins[1]]).get_forecast(5)
    np.testing.assert_allclose(fast.median[1], slow.predicted_mean, rtol=1e-8)
    np.testing.assert_allclose(fast.lower[1], slow.conf_int(alpha=0.2)[:, 0], rtol=1e-8)


def test_holt_winters_from_any_origin_equals_statsmodels_with_the_same_parameters(series):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    s = series["co2"]
    fit = holt_winters_fit(s.train, s.period)
    origin = s.val_end + 5  # well past the end of training: the state ran on with fixed params
    fast = holt_winters(s, np.array([s.train_end, origin]), 14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ExponentialSmoothing(
            s.train, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
            initialization_method="estimated",
        ).fit()  # fmt: skip
        np.testing.assert_allclose(fast.median[0], fitted.forecast(14), rtol=1e-9)
        known = ExponentialSmoothing(
            s.values[:origin], trend="add", damped_trend=True, seasonal="add",
            seasonal_periods=12, initialization_method="known",
            initial_level=fit["level"], initial_trend=fit["trend"],
            initial_seasonal=fit["seasons"],
        ).fit(
            smoothing_level=fit["alpha"], smoothing_trend=fit["beta"],
            smoothing_seasonal=fit["gamma"], damping_trend=fit["phi"], optimized=False,
        )  # fmt: skip
    np.testing.assert_allclose(fast.median[1], known.forecast(14), rtol=1e-9)
