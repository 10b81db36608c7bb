"""Three real time series shipped inside Python packages, loaded offline, split by time.

- ``co2``: Mauna Loa atmospheric CO₂ (ppm), weekly 1958–2001 in statsmodels, averaged here to
  monthly (a rising trend plus a yearly season, period 12). Months with no weekly reading (5 of
  526) are interpolated linearly.
- ``sunspots``: yearly mean sunspot numbers 1700–2008 in statsmodels (a cycle of roughly 11
  years whose length and height vary: a "cycle", not a calendar season).
- ``seattle``: hourly temperatures (°F) in Seattle during 2010 from vega_datasets (a daily
  cycle, period 24, riding on the yearly one; only one year, so the model never sees a
  whole yearly cycle). The one missing hour (the daylight-saving jump) is interpolated.

Every split is chronological: train, then validation, then test, never shuffled, because a
forecaster that trained on the future would score well and be useless. Anything fitted to the
data (the scale below, baseline parameters, thresholds) is fitted on the training part only.

Only numpy here, plus pandas/statsmodels/vega_datasets imported inside the loaders (the ``train``
extra): the site build and the runtime never load the raw packages, they read the exported
``series.json`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

INSTALL_HINT = "pip install 'statsmodels==0.15.0' 'vega_datasets==0.9.0'"
NAMES = ("co2", "sunspots", "seattle")


@dataclass(frozen=True)
class Series:
    """One series and everything needed to split, scale and forecast it.

    values: (n,) float64. ``train_end``/``val_end`` are indices: train = values[:train_end],
    validation = values[train_end:val_end], test = values[val_end:]. ``period`` is the season
    (or cycle) length used by the seasonal baselines and the scale; ``lookback`` how many past
    values the LSTM reads; ``horizon`` the forecast length the metrics are reported at.
    ``start``/``freq`` label the time axis: value k is at ``start + k * freq``.
    """

    name: str
    title: str
    unit: str
    freq: str  # "month", "year" or "hour"
    start: str
    values: np.ndarray
    period: int
    lookback: int
    horizon: int
    train_end: int
    val_end: int
    source: str
    licence: str

    @property
    def train(self) -> np.ndarray:
        return self.values[: self.train_end]

    @property
    def val(self) -> np.ndarray:
        return self.values[self.train_end : self.val_end]

    @property
    def test(self) -> np.ndarray:
        return self.values[self.val_end :]

    @property
    def scale(self) -> float:
        """The series' unit of error (MASE's denominator): :func:`seasonal_scale` of the
        training part only."""
        return seasonal_scale(self.train, self.period)

    @property
    def norm_scale(self) -> float:
        """The unit the model reads values in: the standard deviation of the training part."""
        return norm_scale(self.train)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``series.json`` (values rounded to what the source records)."""
        return {
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "freq": self.freq,
            "start": self.start,
            "period": self.period,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "train_end": self.train_end,
            "val_end": self.val_end,
            "scale": self.scale,
            "norm_scale": self.norm_scale,
            "source": self.source,
            "licence": self.licence,
            "values": [round(float(v), 4) for v in self.values],
        }


def seasonal_scale(values: np.ndarray, period: int) -> float:
    """Mean absolute seasonal difference, mean |y_t − y_{t−period}| (falls back to lag 1).

    This is the denominator of MASE: a forecast with MASE 1 is as wrong, on average, as
    "same as one season ago" was on the training part. values: (n,).
    """
    values = np.asarray(values, dtype=np.float64)
    lag = period if values.size > period else 1
    if values.size <= lag:
        raise ValueError(f"need more than {lag} values to compute a scale, got {values.size}")
    scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
    return scale if scale > 0 else 1.0  # a constant history: any positive unit will do


def norm_scale(values: np.ndarray) -> float:
    """Standard deviation of ``values`` (1.0 for a constant history): the model's input unit.

    The model reads ``(value − last value) / norm_scale``: relative to the last value, so a
    trend that leaves the training range (CO₂ keeps rising) still looks familiar, and in a
    unit fitted on the training part only. A reader's own series uses its own history's
    standard deviation. values: (n,).
    """
    scale = float(np.std(np.asarray(values, dtype=np.float64)))
    return scale if scale > 0 else 1.0


#: What is fixed about each site series: title, unit, time step, season (period), how far the
#: LSTM looks back, the horizon its metrics are reported at, source and licence. The loaders
#: below add the values, the first date and the split.
ABOUT: dict[str, tuple[str, str, str, int, int, int, str, str]] = {
    "co2": ("Mauna Loa CO₂ (monthly)", "ppm", "month", 12, 48, 12,
            "statsmodels==0.15.0, statsmodels.datasets.co2 (weekly, averaged to monthly)",
            "public domain (NOAA/Scripps), as stated by statsmodels"),
    "sunspots": ("Sunspots (yearly)", "sunspot number", "year", 11, 40, 11,
                 "statsmodels==0.15.0, statsmodels.datasets.sunspots",
                 "public domain, as stated by statsmodels"),
    "seattle": ("Seattle temperature (hourly, 2010)", "°F", "hour", 24, 96, 24,
                "vega_datasets==0.9.0, data.seattle_temps (bundled, offline)",
                "public domain (NOAA), as stated by vega_datasets (package: MIT)"),
}  # fmt: skip


def site_series(name: str, start: str, values: np.ndarray, train_end: int, val_end: int) -> Series:
    """A site series from its loaded values and split, with what :data:`ABOUT` fixes."""
    title, unit, freq, period, lookback, horizon, source, licence = ABOUT[name]
    return Series(
        name, title, unit, freq, start, values, period, lookback, horizon, train_end, val_end,
        source, licence,
    )  # fmt: skip


def load_co2() -> Series:
    """Monthly mean CO₂ at Mauna Loa, March 1958 – December 2001 (526 months)."""
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate("linear")
    # 1958–1989 train, 1990–1994 validation, 1995–2001 test.
    train_end = int((monthly.index.year < 1990).sum())
    val_end = int((monthly.index.year < 1995).sum())
    start = monthly.index[0].strftime("%Y-%m")
    return site_series("co2", start, monthly.to_numpy(dtype=np.float64), train_end, val_end)


def load_sunspots() -> Series:
    """Yearly mean sunspot number, 1700–2008 (309 years)."""
    import statsmodels.api as sm

    frame = sm.datasets.sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy(dtype=int)
    # 1700–1929 train, 1930–1968 validation, 1969–2008 test (about four cycles).
    train_end = int((years < 1930).sum())
    val_end = int((years < 1969).sum())
    values = frame["SUNACTIVITY"].to_numpy(dtype=np.float64)
    return site_series("sunspots", str(years[0]), values, train_end, val_end)


def load_seattle() -> Series:
    """Hourly temperature in Seattle, 2010 (8760 hours)."""
    import pandas as pd
    from vega_datasets import data

    frame = data.seattle_temps()
    hourly = frame.set_index(pd.to_datetime(frame["date"]))["temp"]
    index = pd.date_range(hourly.index[0], hourly.index[-1], freq="h")
    hourly = hourly.reindex(index).interpolate("linear")
    # January–August train, September–October validation, November–December test.
    train_end = int((hourly.index.month < 9).sum())
    val_end = int((hourly.index.month < 11).sum())
    start = hourly.index[0].strftime("%Y-%m-%dT%H:00")
    return site_series("seattle", start, hourly.to_numpy(dtype=np.float64), train_end, val_end)


_LOADERS = {"co2": load_co2, "sunspots": load_sunspots, "seattle": load_seattle}


def load_series(name: str) -> Series:
    """Load one series by name; raises ValueError for unknown names, ImportError with the
    install command if the source package is missing."""
    if name not in _LOADERS:
        raise ValueError(f"unknown series {name!r}; known: {', '.join(NAMES)}")
    try:
        return _LOADERS[name]()
    except ImportError as exc:
        raise ImportError(f"{exc}; the time series need: {INSTALL_HINT}") from exc


def load_all() -> dict[str, Series]:
    """All three series, in the order of :data:`NAMES` (which is also their model id)."""
    return {name: load_series(name) for name in NAMES}
