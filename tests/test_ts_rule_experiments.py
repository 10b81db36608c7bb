"""The decision-rule experiments on the published forecaster (ts_anomaly, ts_demand_calibration)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from shipped import MODELS

from rnn_site.experiments.ts_anomaly import choose_rule, step_scores
from rnn_site.experiments.ts_demand_calibration import conformal, rule
from rnn_site.train.ts_forecaster import anomaly_scores, forecast_origins, load_forecaster

CHECKPOINT = MODELS / "ts-forecaster" / "ts-forecaster.pt"
torch.set_num_threads(1)


def test_the_rule_with_the_best_worst_margin_over_the_zscore_is_chosen():
    val = {
        "a": {"x": {"f1": 0.9}, "y": {"f1": 0.6}, "rolling z-score": {"f1": 0.5}},
        "b": {"x": {"f1": 0.3}, "y": {"f1": 0.55}, "rolling z-score": {"f1": 0.5}},
    }
    # x has the higher mean but loses on b; y wins on both, so y is chosen.
    assert choose_rule(val) == "y"


def test_pooled_and_per_step_conformal_widenings_on_known_errors():
    errors = np.tile(np.arange(1.0, 11.0)[:, None], (1, 4))  # 10 days, errors 1..10 per step
    errors[:, 0] *= 2  # step 0 errs twice as much
    assert conformal(errors[:, 1]) == 9.0  # ⌈11·0.8⌉ = 9th smallest of 1..10
    np.testing.assert_array_equal(rule(0)(errors), [18.0, 9.0, 9.0, 9.0])
    pooled = rule(None)(errors)
    assert np.all(pooled == pooled[0]) and 9.0 <= pooled[0] <= 18.0
    np.testing.assert_array_equal(rule(1)(errors)[2:], [9.0, 9.0])  # away from step 0


@pytest.mark.skipif(not CHECKPOINT.exists(), reason="the trained model is not in this checkout")
def test_step_scores_read_the_forecast_made_k_steps_before_each_point():
    pytest.importorskip("statsmodels")
    pytest.importorskip("vega_datasets")
    from rnn_site.data.timeseries import load_all

    model, _ = load_forecaster(CHECKPOINT)
    s = load_all()["co2"]
    a, b = s.train_end, s.train_end + 10
    got = step_scores(model, s, s.values, a, b, 3)
    # Column 0 is the recipe's one-step score.
    np.testing.assert_allclose(got[:, 0], anomaly_scores(model, s, 0, s.values, a, b))
    # Column 2 of point a + 4 comes from the forecast made at origin a + 2, its third step.
    f = forecast_origins(model, s, 0, s.values, np.array([a + 2]), 3)
    half = f.upper[0, 2] - f.median[0, 2] if s.values[a + 4] >= f.median[0, 2] else None
    if half is not None:
        assert got[4, 2] == pytest.approx((s.values[a + 4] - f.median[0, 2]) / half)
    else:
        low = f.median[0, 2] - f.lower[0, 2]
        assert got[4, 2] == pytest.approx((f.median[0, 2] - s.values[a + 4]) / low)
