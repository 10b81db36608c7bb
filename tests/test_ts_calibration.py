"""The per-series calibrations of rnn_site/experiments/ts_calibration.py on known errors."""

from __future__ import annotations

import numpy as np

from rnn_site.experiments.ts_calibration import (
    coverage,
    fit_ratio,
    fit_shift,
    scaled_bounds,
    shifted,
)


def test_a_ratio_fitted_on_errors_twice_the_interval_covers_80_percent_of_the_same_errors():
    rng = np.random.default_rng(0)
    n, h = 999, 3
    q = np.zeros((n, h, 3))
    q[..., 0], q[..., 2] = -1.0, 1.0  # an interval of ±1 around a zero median
    y = rng.normal(0, 2, (n, h))  # errors twice as wide as the interval admits for 68%
    assert coverage(scaled_bounds(q, np.ones(h)), y) < 0.5
    ratio = fit_ratio(q, y)
    np.testing.assert_allclose(ratio, 2 * 1.2816, rtol=0.1)  # the normal's 90% point, doubled
    assert 0.79 <= coverage(scaled_bounds(q, ratio), y) <= 0.81
    shift = fit_shift(q, y)
    np.testing.assert_allclose(shift, ratio - 1, rtol=1e-9)  # the same bound for a ±1 interval
    assert coverage(shifted(q, shift), y) == coverage(scaled_bounds(q, ratio), y)


def test_a_negative_shift_never_moves_a_bound_across_the_median():
    q = np.array([[[-1.0, 0.0, 3.0]]])
    low, high = shifted(q, np.array([-2.0]))
    assert low[0, 0] == 0.0 and high[0, 0] == 1.0
