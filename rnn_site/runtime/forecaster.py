"""Forecast a time series with the exported LSTM, numpy and onnxruntime only.

    from rnn_site.runtime import Forecaster
    model = Forecaster.load("ts-forecaster")
    result = model.forecast(history, horizon=12, series="co2")   # .median, .lower, .upper

The model reads at most the series' ``lookback`` most recent values (older ones are ignored) and
at least ``min_history`` of them, and forecasts up to ``max_horizon`` (24) steps at once with an
80% interval. ``series`` picks the behaviour it learned ("co2", "sunspots", "seattle"); for a
series of your own pass ``scale="history"`` so values are read in the unit of your history.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from rnn_site.baselines.anomaly import interval_score
from rnn_site.runtime.errors import (
    HistoryTooShortError,
    InvalidArgumentError,
    InvalidHorizonError,
    InvalidSeriesError,
    NonFiniteValueError,
    UnknownSeriesError,
)
from rnn_site.runtime.registry import ModelLocation, locate_verified
from rnn_site.runtime.session import open_graph

#: Most values one call reads (long histories are cut to the lookback anyway; this guards memory).
MAX_VALUES = 1_000_000


@dataclass(frozen=True)
class Forecast:
    """Point forecast and 80% interval, each (horizon,) float64, in the series' units."""

    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float = 0.8

    def to_dict(self) -> dict[str, Any]:
        return {
            "median": self.median.tolist(),
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
            "level": self.level,
        }


def as_series(values: Any, name: str = "history") -> np.ndarray:
    """Check and convert to a 1-D float64 array of finite numbers.

    Raises InvalidSeriesError for non-numbers or a wrong shape, NonFiniteValueError naming the
    first NaN/inf position.
    """
    if isinstance(values, str | bytes):
        raise InvalidSeriesError(f"{name} must be a sequence of numbers, got a string")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSeriesError(
            f"{name} must be a sequence of numbers; could not read {values!r:.60} as numbers"
        ) from None
    if array.ndim != 1:
        raise InvalidSeriesError(
            f"{name} must be one-dimensional (time,), got shape {array.shape}; "
            "forecast one series per call"
        )
    if array.size > MAX_VALUES:
        raise InvalidSeriesError(f"{name} has {array.size:,} values; at most {MAX_VALUES:,}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise NonFiniteValueError(
            f"{name} holds a non-finite value ({array[bad[0]]}) at position {bad[0]} "
            f"({bad.size} in all); fill or drop gaps before forecasting"
        )
    return array


class Forecaster:
    """The exported forecaster behind a small, checked API. Build it with `load`."""

    def __init__(self, location: ModelLocation, session: ort.InferenceSession) -> None:
        self.location = location
        self.card = location.card
        self.series: dict[str, dict[str, Any]] = self.card["series"]
        self.min_history: int = int(self.card["min_history"])
        self.max_horizon: int = int(self.card["max_horizon"])
        self._session = session

    @classmethod
    def load(
        cls,
        name_or_path: str | os.PathLike[str] = "ts-forecaster",
        *,
        models_dir: str | os.PathLike[str] | None = None,
        verify: bool = True,
        intra_op_threads: int = 1,
    ) -> Forecaster:
        """Load by name (models/ts-forecaster) or directory; with `verify`, card.json and the
        graph must match models/manifest.json and the graph must match the card's contract."""
        location = locate_verified(name_or_path, models_dir, ["forecaster"], verify=verify)
        return cls(location, open_graph(location, "forecaster", intra_op_threads=intra_op_threads))

    # ------------------------------------------------------------------ checks

    def _settings(self, series: str) -> dict[str, Any]:
        if series not in self.series:
            raise UnknownSeriesError(
                f"unknown series {series!r}; this model knows {', '.join(self.series)}"
            )
        return self.series[series]

    def _horizon(self, horizon: Any) -> int:
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer):
            raise InvalidHorizonError(f"horizon must be an integer, got {horizon!r}")
        if not 1 <= horizon <= self.max_horizon:
            raise InvalidHorizonError(
                f"horizon must be between 1 and {self.max_horizon}, got {horizon}"
            )
        return int(horizon)

    def _scale(self, scale: Any, settings: dict[str, Any], history: np.ndarray) -> float:
        if scale == "series":
            return float(settings["norm_scale"])
        if scale == "history":
            std = float(np.std(history))
            return std if std > 0 else 1.0
        try:
            value = float(scale)
        except (TypeError, ValueError):
            value = float("nan")
        if not np.isfinite(value) or value <= 0:
            raise InvalidArgumentError(
                f"scale must be 'series', 'history' or a finite number > 0, got {scale!r}"
            )
        return value

    # ------------------------------------------------------------------ forecasting

    def run(self, windows: np.ndarray, scale: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The raw graph: windows (batch, time) float32, scale (batch,), ids (batch,) int64
        → quantiles (batch, max_horizon, 3) float32."""
        (quantiles,) = self._session.run(
            None,
            {
                "values": np.ascontiguousarray(windows, dtype=np.float32),
                "scale": np.asarray(scale, dtype=np.float32),
                "series": np.asarray(ids, dtype=np.int64),
            },
        )
        return quantiles

    def forecast(
        self, history: Any, horizon: int, series: str = "co2", *, scale: Any = "series"
    ) -> Forecast:
        """Forecast the `horizon` values after `history` (oldest first).

        Only the last `lookback` values of the series (48 for co2, 40 sunspots, 96 seattle) are
        read. `scale`: "series" (the training series' unit, for its own data), "history" (the
        standard deviation of `history`, for a series of your own) or a positive number.
        """
        settings = self._settings(series)
        horizon = self._horizon(horizon)
        values = as_series(history)
        if values.size < self.min_history:
            raise HistoryTooShortError(
                f"history has {values.size} values; the model needs at least "
                f"{self.min_history} (and reads up to {settings['lookback']})"
            )
        window = values[-settings["lookback"] :]
        unit = self._scale(scale, settings, window)
        q = self.run(window[None], np.array([unit]), np.array([settings["id"]]))
        q = q[0, :horizon].astype(np.float64)
        return Forecast(median=q[:, 1], lower=q[:, 0], upper=q[:, 2])

    def anomaly_scores(
        self, values: Any, series: str = "co2", start: int | None = None
    ) -> np.ndarray:
        """One-step interval scores of values[start:] (see `rnn_site.baselines.anomaly`).

        Each point is compared with the forecast made from the `lookback` values before it;
        1 = the edge of the 80% interval. `start` defaults to the series' lookback and must
        leave at least `min_history` values before it. Returns (len(values) − start,).
        """
        settings = self._settings(series)
        array = as_series(values, "values")
        lookback = settings["lookback"]
        start = lookback if start is None else int(start)
        if not self.min_history <= start < array.size:
            raise HistoryTooShortError(
                f"start must leave at least {self.min_history} values before it and one after, "
                f"got start={start} for {array.size} values"
            )
        width = min(lookback, start)
        origins = np.arange(start, array.size)
        windows = np.stack([array[t - width : t] for t in origins])
        n = len(origins)
        q = self.run(
            windows, np.full(n, settings["norm_scale"]), np.full(n, settings["id"])
        ).astype(np.float64)
        return interval_score(array[start:], q[:, 0, 0], q[:, 0, 1], q[:, 0, 2])

    def detect_anomalies(
        self, values: Any, series: str = "co2", start: int | None = None
    ) -> np.ndarray:
        """Boolean flags for values[start:]: score above the threshold chosen on validation."""
        threshold = float(self._settings(series)["anomaly_threshold"])
        return self.anomaly_scores(values, series, start) > threshold

    def load_series(self, series: str) -> dict[str, Any]:
        """The exported series (values and splits) from series.json, e.g. to try the model."""
        self._settings(series)
        data = json.loads(self.location.path(self.card["files"]["series"]).read_text("utf-8"))
        return data["series"][series]
