"""Forecaster export and runtime: torch ↔ onnxruntime parity, the card, typed errors, no torch.

A random-weight model is exported with synthetic series, so these tests need neither the
trained model nor statsmodels.
"""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from shipped import run_without

from rnn_site.baselines.anomaly import robust_unit
from rnn_site.export.manifest import verify
from rnn_site.export.onnx_lstm import declared_io
from rnn_site.export.ts_forecaster import export_forecaster_model, forecaster_io, refresh_card
from rnn_site.models.ts_forecaster import ForecasterConfig, LSTMForecaster
from rnn_site.runtime import (
    Forecaster,
    HistoryTooShortError,
    InvalidArgumentError,
    InvalidHorizonError,
    InvalidSeriesError,
    ModelIntegrityError,
    NonFiniteValueError,
    UnknownSeriesError,
)

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)

SETTINGS = {
    "co2": {"id": 0, "period": 12, "lookback": 48, "horizon": 12, "scale": 1.2, "norm_scale": 10.0},
    "sunspots": {"id": 1, "period": 11, "lookback": 40, "horizon": 11, "scale": 20.0,
                 "norm_scale": 35.0},
    "seattle": {"id": 2, "period": 24, "lookback": 96, "horizon": 24, "scale": 0.2,
                "norm_scale": 8.0},
}  # fmt: skip


def synthetic_series() -> dict[str, Any]:
    """A series.json payload with seasonal synthetic data in place of the real series."""
    series = {}
    for name, s in SETTINGS.items():
        n = 200 if name != "seattle" else 400
        t = np.arange(n)
        values = 300 + 0.1 * t + 3 * np.sin(2 * np.pi * t / s["period"])
        series[name] = {
            "name": name, "title": name, "unit": "u", "freq": "month", "start": "1958-03",
            "period": s["period"], "lookback": s["lookback"], "horizon": s["horizon"],
            "train_end": n - 80, "val_end": n - 40, "scale": s["scale"],
            "norm_scale": s["norm_scale"], "values": [round(float(v), 4) for v in values],
        }  # fmt: skip
    return {"schema": 1, "series": series}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[LSTMForecaster, Path]:
    models_dir = tmp_path_factory.mktemp("models")
    torch.manual_seed(3)
    # Two members, as an ensemble has: the graph must average them as torch does.
    model = LSTMForecaster(ForecasterConfig(members=2)).eval()
    for member in model.networks:
        # The head starts at zero (= seasonal naive); random values make every input matter.
        torch.nn.init.normal_(member.head.weight, std=0.3)
        torch.nn.init.normal_(member.head.bias, std=0.3)
    checkpoint = {
        "min_history": 12,
        "series": {name: {**s, "anomaly_threshold": 2.0} for name, s in SETTINGS.items()},
    }
    # The log's benchmark chose another CO₂ threshold than the checkpoint holds (a rescore).
    log = {"anomaly": {"co2": {"lstm": {"threshold": 3.0}}}}
    export_forecaster_model(
        model, checkpoint, models_dir / "ts-forecaster", series_json=synthetic_series(), log=log
    )
    return model, models_dir


@pytest.fixture(scope="module")
def forecaster(exported) -> Forecaster:
    return Forecaster.load(exported[1] / "ts-forecaster")


def torch_quantiles(model: LSTMForecaster, history: np.ndarray, name: str) -> np.ndarray:
    s = SETTINGS[name]
    with torch.no_grad():
        q = model(
            torch.tensor(history[None], dtype=torch.float32),
            torch.tensor([s["norm_scale"]]),
            torch.tensor([s["id"]]),
        )
    return q[0].numpy()


# ------------------------------------------------------------------ export and parity


def test_graph_declares_the_contract_and_stays_small(exported):
    path = exported[1] / "ts-forecaster" / "forecaster.onnx"
    model = onnx.load(str(path))
    contract = forecaster_io(ForecasterConfig())
    assert declared_io(model) == {**contract.inputs, **contract.outputs}
    assert [n.op_type for n in model.graph.node].count("LSTM") == 2  # one per member
    assert path.stat().st_size < 2_000_000
    assert verify(exported[1]) == []


@pytest.mark.parametrize("batch,time", [(1, 12), (3, 48), (2, 96)])
def test_onnxruntime_matches_torch_for_any_batch_and_length(exported, forecaster, batch, time):
    model = exported[0]
    rng = np.random.default_rng(batch * 100 + time)
    values = (300 + rng.normal(0, 5, (batch, time))).astype(np.float32)
    scale = rng.uniform(1, 20, batch).astype(np.float32)
    ids = rng.integers(0, 3, batch)
    q_onnx = forecaster.run(values, scale, ids)
    with torch.no_grad():
        q_torch = model(torch.from_numpy(values), torch.from_numpy(scale), torch.from_numpy(ids))
    assert q_onnx.shape == (batch, 24, 3)
    np.testing.assert_allclose(q_onnx, q_torch.numpy(), rtol=1e-5, atol=1e-4)


def test_forecast_reads_the_last_lookback_values_and_orders_its_quantiles(exported, forecaster):
    history = 300 + np.sin(np.arange(100) / 2.0)
    result = forecaster.forecast(history, horizon=12, series="co2", calibration="graph")
    expected = torch_quantiles(exported[0], history[-48:], "co2")[:12]
    np.testing.assert_allclose(result.median, expected[:, 1], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(result.lower, expected[:, 0], rtol=1e-5, atol=1e-4)
    assert result.median.shape == (12,)
    assert np.all(result.lower <= result.median) and np.all(result.median <= result.upper)
    # Values older than the lookback do not matter.
    changed = history.copy()
    changed[:52] += 50
    np.testing.assert_array_equal(forecaster.forecast(changed, 12, "co2").median, result.median)


def test_history_calibration_rescales_each_step_by_how_its_own_past_fared(exported, forecaster):
    # The served interval is the graph's, each half-width times the 80% split-conformal
    # quantile (the 11th smallest of 12) of |y − median| / half-width over the graph's
    # forecasts from the 12 most recent origins where that step's actual is known.
    rng = np.random.default_rng(7)
    history = 300 + 3 * np.sin(np.arange(100) / 2.0) + rng.normal(0, 1.0, 100)
    served = forecaster.forecast(history, 3, "co2")
    graph = forecaster.forecast(history, 3, "co2", calibration="graph")
    np.testing.assert_array_equal(served.median, graph.median)
    for step in range(3):
        scores = []
        for t in range(100 - step - 12, 100 - step):
            low, mid, high = torch_quantiles(exported[0], history[t - 48 : t], "co2")[step]
            y = history[t + step]
            scores.append(max((mid - y) / (mid - low), (y - mid) / (high - mid)))
        factor = sorted(scores)[10]
        for side in (graph.lower, graph.upper):
            expected = graph.median[step] + factor * (side[step] - graph.median[step])
            got = served.lower if side is graph.lower else served.upper
            np.testing.assert_allclose(got[step], expected, rtol=1e-5, atol=1e-4)
    assert not np.allclose(served.upper, graph.upper)  # the factors are not all 1
    with pytest.raises(InvalidArgumentError, match="calibration must be one of"):
        forecaster.forecast(history, 3, "co2", calibration="conformal")
    # not a str: an array once reached `in` and raised numpy's untyped ValueError
    for odd in (np.array([0.0, 0.0]), ["history"], None, 1):
        with pytest.raises(InvalidArgumentError, match="calibration must be one of"):
            forecaster.forecast(history, 3, "co2", calibration=odd)
    # Too short a history to score 12 earlier forecasts of a step: the graph's interval as it is.
    short = forecaster.forecast(history[:15], 3, "co2")
    np.testing.assert_array_equal(
        short.upper, forecaster.forecast(history[:15], 3, "co2", calibration="graph").upper
    )


def test_forecasts_follow_the_units_of_the_history_and_scale_only_rescues_a_flat_one(forecaster):
    # Each window is normalised by itself, so a series in other units (a·y + b) gets the same
    # forecast in those units, whatever scale is passed: that is what serves a reader's series.
    history = 50 + 10 * np.sin(2 * np.pi * np.arange(40) / 11) + np.arange(40.0)
    base = forecaster.forecast(history, 5, "sunspots")
    moved = forecaster.forecast(1000 + 7 * history, 5, "sunspots", scale="history")
    np.testing.assert_allclose(moved.median, 1000 + 7 * base.median, rtol=1e-5)
    np.testing.assert_allclose(moved.upper - moved.lower, 7 * (base.upper - base.lower), rtol=1e-4)
    # A constant window has no unit of its own: the scale sets its interval width.
    flat = np.full(30, 5.0)
    narrow = forecaster.forecast(flat, 5, "sunspots", scale=0.1)
    wide = forecaster.forecast(flat, 5, "sunspots", scale=10.0)
    widths = {k: f.upper - f.lower for k, f in (("narrow", narrow), ("wide", wide))}
    np.testing.assert_allclose(widths["wide"], 100 * widths["narrow"], rtol=1e-4)


def test_anomaly_scores_flag_a_large_spike(forecaster):
    values = 300 + 3 * np.sin(2 * np.pi * np.arange(120) / 12)
    scores = forecaster.anomaly_scores(values, "co2")
    spiked = values.copy()
    spiked[100] += 1000
    flags = forecaster.detect_anomalies(spiked, "co2")
    assert scores.shape == (72,)
    assert flags[100 - 48]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "history,error,message",
    [
        ([1.0] * 20 + [float("nan")], NonFiniteValueError, "position 20"),
        ([1.0] * 20 + [float("inf")], NonFiniteValueError, "non-finite"),
        ([1.0] * 11, HistoryTooShortError, "at least 12"),
        (np.ones((2, 30)), InvalidSeriesError, "one-dimensional"),
        (["1", "two"] * 10, InvalidSeriesError, "numbers"),
        ("1, 2, 3", InvalidSeriesError, "string"),
    ],
)
def test_bad_histories_raise_typed_errors_that_say_what_is_accepted(
    forecaster, history, error, message
):
    with pytest.raises(error, match=message):
        forecaster.forecast(history, 5, "co2")


@pytest.mark.parametrize("horizon", [0, 25, 2.5, True, "3"])
def test_bad_horizons_are_rejected(forecaster, horizon):
    with pytest.raises(InvalidHorizonError, match="horizon"):
        forecaster.forecast(np.ones(20), horizon, "co2")


def test_unknown_series_and_bad_scale_are_rejected(forecaster):
    with pytest.raises(UnknownSeriesError, match="co2, sunspots, seattle"):
        forecaster.forecast(np.ones(20), 5, "temperature")
    with pytest.raises(InvalidArgumentError, match="scale"):
        forecaster.forecast(np.ones(20), 5, "co2", scale=-1)
    assert issubclass(NonFiniteValueError, ValueError)


def test_a_corrupted_graph_fails_the_hash_check(exported, tmp_path):
    target = tmp_path / "models"
    shutil.copytree(exported[1], target)
    graph = target / "ts-forecaster" / "forecaster.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        Forecaster.load(target / "ts-forecaster")


# ------------------------------------------------------------------ card, example, no torch


def test_the_graph_metadata_says_what_the_card_says(exported):
    """The series settings in forecaster.onnx's metadata are the card's: the log's anomaly
    threshold (not the checkpoint's) and the benchmark's size unit (they were the checkpoint's
    settings, so a rescored threshold reached the card but not the graph)."""
    model_dir = exported[1] / "ts-forecaster"
    card = json.loads((model_dir / "card.json").read_text())
    graph = onnx.load(str(model_dir / "forecaster.onnx"))
    metadata = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(metadata["series"]) == card["series"]
    assert card["series"]["co2"]["anomaly_threshold"] == 3.0
    assert card["series"]["sunspots"]["anomaly_threshold"] == 2.0
    data = synthetic_series()["series"]["co2"]
    unit = robust_unit(np.array(data["values"][: data["train_end"]]))
    assert card["series"]["co2"]["anomaly_unit"] == pytest.approx(unit)


def test_a_refreshed_card_restamps_only_the_graphs_series_metadata(exported, tmp_path):
    """A rescore moves a threshold: refresh_card carries it into forecaster.onnx's metadata and
    changes not one other byte of the graph, so its forecasts cannot change."""
    model_dir = tmp_path / "ts-forecaster"
    shutil.copytree(exported[1] / "ts-forecaster", model_dir)
    before = (model_dir / "forecaster.onnx").read_bytes()
    log = {"anomaly": {"sunspots": {"lstm": {"threshold": 4.5}}}}
    (model_dir / "metrics.json").write_text(json.dumps(log), "utf-8")
    stale = json.loads((model_dir / "card.json").read_text())
    stale["example"] = {"title": "an older runtime's", "text": "month median\n1995-01 0.00"}
    (model_dir / "card.json").write_text(json.dumps(stale), "utf-8")
    refresh_card(model_dir)
    card = json.loads((model_dir / "card.json").read_text())
    assert card["series"]["sunspots"]["anomaly_threshold"] == 4.5
    assert card["example"]["text"] == served_example(Forecaster.load(model_dir))  # rebuilt
    graph = onnx.load(str(model_dir / "forecaster.onnx"))
    (series,) = [p for p in graph.metadata_props if p.key == "series"]
    assert json.loads(series.value) == card["series"]
    old = {p.key: p.value for p in onnx.load_from_string(before).metadata_props}
    series.value = old["series"]  # put the old value back: the rest is the old file
    assert graph.SerializeToString() == before
    assert verify(tmp_path) == []  # the manifest hashes the restamped graph
    history = np.linspace(0, 50, 60)
    np.testing.assert_array_equal(
        Forecaster.load(model_dir).forecast(history, 6, "sunspots").median,
        Forecaster.load(exported[1] / "ts-forecaster").forecast(history, 6, "sunspots").median,
    )


def served_example(model: Forecaster) -> str:
    """The card example's table as `Forecaster.forecast` serves it (history calibration on
    the CO₂ values before the first test month)."""
    co2 = model.load_series("co2")
    origin = co2["val_end"]
    f = model.forecast(co2["values"][:origin], 12, "co2")
    rows = ["month     median   80% interval      actual"]
    for h in range(12):
        rows.append(f"1995-{h + 1:02d}  {f.median[h]:7.2f}  [{f.lower[h]:7.2f}, {f.upper[h]:7.2f}]"
                    f"  {co2['values'][origin + h]:7.2f}")  # fmt: skip
    return "\n".join(rows)


def test_card_and_readme_describe_the_files_and_the_example_runs(exported, monkeypatch, capsys):
    model_dir = exported[1] / "ts-forecaster"
    card = json.loads((model_dir / "card.json").read_text())
    # The example is what the runtime serves (its interval history-calibrated), and its title
    # says how many values that reads: lookback + max_horizon + K − 1.
    assert card["example"]["text"] == served_example(Forecaster.load(model_dir))
    assert "(83 months read in all)" in card["example"]["title"]
    assert card["files"]["forecaster"] == "forecaster.onnx"
    assert set(card["series"]) == {"co2", "sunspots", "seattle"}
    readme = (model_dir / "README.md").read_text()
    snippet = card["usage"]["python"]
    assert snippet in readme and len(snippet.splitlines()) == 3
    monkeypatch.setenv("RNN_SITE_MODELS", str(exported[1]))
    runpy.run_path(str(ROOT / "rnn_site/examples/use_ts_forecaster.py"), run_name="__main__")
    assert capsys.readouterr().out.startswith("[")


NO_TORCH = """
from rnn_site.runtime import Forecaster
model = Forecaster.load(sys.argv[1])
print(model.forecast(list(range(30)), 6, "sunspots").median.tolist())
"""


def test_runtime_works_without_torch(exported):
    out = run_without(
        ("torch", "onnx", "statsmodels"), NO_TORCH, str(exported[1] / "ts-forecaster")
    )
    assert len(json.loads(out)) == 6
