"""The forecaster model and its training pieces, and the trained model this repository ships."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rnn_site.baselines.forecast import Forecasts, rolling_origins, score
from rnn_site.data.timeseries import NAMES, Series
from rnn_site.models.forecaster import ForecasterConfig, LSTMForecaster, pinball_loss
from rnn_site.train.forecaster import Batches, ForecasterTrainConfig, batch_loss, windows
from rnn_site.train.loop import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "ts-forecaster"
torch.set_num_threads(1)


def test_pinball_loss_is_minimised_by_the_quantile():
    target = torch.arange(101, dtype=torch.float32)[None, :].repeat(1, 1)  # values 0..100
    losses = {
        guess: pinball_loss(torch.full((1, 101, 3), float(guess)), target).item()
        for guess in (0, 10, 50, 90, 100)
    }
    # The mean over the three quantiles (10%, 50%, 90%) is smallest at the median.
    assert min(losses, key=losses.get) == 50


def test_untrained_model_forecasts_the_seasonal_naive_with_ordered_quantiles():
    torch.manual_seed(0)
    model = LSTMForecaster(ForecasterConfig(periods=(4, 3, 5)))
    values = torch.arange(20, dtype=torch.float32)[None, :] ** 1.5
    q = model(values, torch.tensor([2.0]), torch.tensor([0]))
    last_season = values[0, -4:]
    np.testing.assert_allclose(q[0, :8, 1].detach(), torch.cat([last_season, last_season]))
    assert torch.all(q[..., 0] < q[..., 1]) and torch.all(q[..., 1] < q[..., 2])


def synthetic(name: str, n: int, period: int) -> Series:
    t = np.arange(n)
    values = 10 + 0.05 * t + np.sin(2 * np.pi * t / period) * (1 + t / n)
    return Series(
        name=name, title=name, unit="u", freq="month", start="2000-01", values=values,
        period=period, lookback=24, horizon=6, train_end=int(n * 0.7), val_end=int(n * 0.85),
        source="test", licence="none",
    )  # fmt: skip


def test_windows_batches_and_a_short_training_run_improve_on_the_seasonal_naive():
    series = {name: synthetic(name, 400, p) for name, p in zip(NAMES, (12, 11, 24), strict=True)}
    config = ForecasterConfig(hidden_size=16, periods=(12, 11, 24))
    origins = np.arange(24, series["co2"].train_end - 24 + 1)
    block = windows(series["co2"].values, origins, 24, 24)
    assert block.shape == (len(origins), 48)
    np.testing.assert_array_equal(block[0], series["co2"].values[:48])
    data = {name: windows(s.values, origins, 24, 24) for name, s in series.items()}
    hp = ForecasterTrainConfig(per_series=16, short_history_share=0.5)
    batch = next(iter(Batches(data, series, hp, 24, steps=1, seed=0)))
    assert [sid for sid, _, _ in batch] == [0, 1, 2]
    assert all(x.shape[1] <= 24 and y.shape == (16, 24) for _, x, y in batch)

    norm = {sid: series[name].norm_scale for sid, name in enumerate(NAMES)}
    weights = dict.fromkeys(range(3), 1.0)
    torch.manual_seed(0)
    model = LSTMForecaster(config)

    def val_mase(m: torch.nn.Module) -> dict[str, float]:
        s = series["co2"]
        o = rolling_origins(s, s.train_end, s.val_end, 6, 1)
        x = torch.tensor(np.stack([s.values[t - 24 : t] for t in o]), dtype=torch.float32)
        with torch.no_grad():
            q = m(x, torch.full((len(o),), norm[0]), torch.zeros(len(o), dtype=torch.int64))
        f = Forecasts(o, q[:, :6, 1].numpy(), q[:, :6, 0].numpy(), q[:, :6, 2].numpy())
        return {"val_mase": score(s, f, 6)["mase"]}

    before = val_mase(model.eval())["val_mase"]
    result = train(
        model,
        batches=lambda epoch: Batches(data, series, hp, 24, steps=150, seed=epoch),
        loss_fn=lambda m, b: batch_loss(m, b, norm, weights),
        evaluate=val_mase,
        config=TrainConfig(
            lr=5e-3, max_steps=150, eval_every=50, metric="val_mase", progress=False, threads=1
        ),
    )
    # The seasonal naive misses the trend and the growing amplitude; the LSTM learns them.
    assert result.best["val_mase"] < 0.8 * before


# ------------------------------------------------------------------ the shipped model

shipped = pytest.mark.skipif(
    not (SHIPPED / "forecaster.onnx").exists(), reason="the trained model is not exported yet"
)


@shipped
def test_shipped_model_is_small_and_its_card_reports_every_series():
    card = json.loads((SHIPPED / "card.json").read_text())
    assert sum(p.stat().st_size for p in SHIPPED.glob("*.onnx")) < 2_000_000
    metrics = card["metrics"]["ts-forecaster"]
    for name in NAMES:
        for key in ("mase", "smape", "anomaly_f1"):
            assert f"{key}_{name}" in metrics
    # Honesty: every metric where a baseline wins is called out in the README's limits.
    readme = (SHIPPED / "README.md").read_text()
    for key, value in metrics.items():
        higher = card["better"][key] == "higher"
        for base, figures in card["baselines"].items():
            if key in figures and (figures[key] > value if higher else figures[key] < value):
                assert f"does not beat the {base} baseline on {key}" in readme


@shipped
def test_shipped_model_beats_the_naive_forecast_on_every_series():
    card = json.loads((SHIPPED / "card.json").read_text())
    metrics = card["metrics"]["ts-forecaster"]
    for name in NAMES:
        assert metrics[f"mase_{name}"] < card["baselines"]["naive"][f"mase_{name}"]


@shipped
def test_shipped_onnx_reproduces_the_test_scores_measured_with_torch():
    """The card's CO₂ test MASE (measured in PyTorch) again, from onnxruntime via the runtime."""
    from rnn_site.runtime import Forecaster

    model = Forecaster.load(SHIPPED)
    data = model.load_series("co2")
    fields = {k: data[k] for k in ("name", "title", "unit", "freq", "start", "period")}
    s = Series(
        **fields, values=np.array(data["values"]), lookback=data["lookback"],
        horizon=data["horizon"], train_end=data["train_end"], val_end=data["val_end"],
        source="", licence="",
    )  # fmt: skip
    origins = rolling_origins(s, s.val_end, s.values.size, s.horizon, 1)
    lookback = model.series["co2"]["lookback"]
    q = model.run(
        np.stack([s.values[t - lookback : t] for t in origins]),
        np.full(len(origins), model.series["co2"]["norm_scale"]),
        np.zeros(len(origins), dtype=np.int64),
    ).astype(np.float64)[:, : s.horizon]
    measured = score(s, Forecasts(origins, q[..., 1], q[..., 0], q[..., 2]), s.horizon)
    card = model.card["metrics"]["ts-forecaster"]
    assert measured["mase"] == pytest.approx(card["mase_co2"], rel=1e-3)
    assert measured["smape"] == pytest.approx(card["smape_co2"], rel=1e-3)
