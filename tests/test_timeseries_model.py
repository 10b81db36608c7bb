"""The forecaster model and its training pieces, and the trained model this repository ships."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from shipped import MODELS

from rnn_site.baselines.forecast import Forecasts, actuals, rolling_origins, score
from rnn_site.data.timeseries import NAMES, Series
from rnn_site.models.ts_forecaster import ForecasterConfig, LSTMForecaster, pinball_loss
from rnn_site.sitebuild.page_data import render_data
from rnn_site.train.loop import TrainConfig, train
from rnn_site.train.ts_forecaster import (
    Batches,
    ForecasterTrainConfig,
    batch_loss,
    choose_calibration,
    forecast_origins,
    history_calibrated,
    late_coverage,
    load_forecaster,
    train_forecaster,
    training_groups,
    validation_mase,
    validation_origins,
    validation_windows,
    windows,
)

SHIPPED = MODELS / "ts-forecaster"
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


def synthetic(name: str, n: int, period: int, level: float = 10.0, seed: int = 0) -> Series:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.05, n)
    values = level + 0.05 * t + np.sin(2 * np.pi * t / period) * (1 + t / n) + noise
    return Series(
        name=name, title=name, unit="u", freq="month", start="2000-01", values=values,
        period=period, lookback=24, horizon=6, train_end=int(n * 0.7), val_end=int(n * 0.85),
        source="test", licence="none",
    )  # fmt: skip


def tiny_data() -> tuple[dict[str, Series], dict[str, Series], dict[str, Series]]:
    site = {name: synthetic(name, 400, p) for name, p in zip(NAMES, (12, 11, 24), strict=True)}
    collection = {f"c{k}": synthetic(f"c{k}", 300, 12, 100.0 * k, k) for k in range(1, 4)}
    held = {f"h{k}": synthetic(f"h{k}", 300, 12, 1000.0 * k, 10 + k) for k in range(1, 3)}
    return site, collection, held


def test_windows_batches_and_a_short_training_run_improve_on_the_seasonal_naive():
    site, collection, _ = tiny_data()
    origins = np.arange(24, site["co2"].train_end - 24 + 1)
    block = windows(site["co2"].values, origins, 24, 24)
    assert block.shape == (len(origins), 48)
    np.testing.assert_array_equal(block[0], site["co2"].values[:48])
    groups = training_groups(site, collection)
    assert list(groups) == [*NAMES, "employment"]
    assert [g.family for g in groups.values()] == [0, 1, 2, 0]
    hp = ForecasterTrainConfig(per_series=16, short_history_share=0.5)
    batch = next(iter(Batches(groups, hp, steps=1, seed=0)))
    assert [family for family, _, _ in batch] == [0, 1, 2, 0]
    assert all(x.shape[1] <= 24 and y.shape == (16, 24) for _, x, y in batch)

    torch.manual_seed(0)
    model = LSTMForecaster(ForecasterConfig(hidden_size=16, periods=(12, 11, 24)))

    def val_mase(m: torch.nn.Module) -> dict[str, float]:
        return validation_mase(m, site, collection)  # type: ignore[arg-type]

    before = val_mase(model.eval())["val_mase"]
    result = train(
        model,
        batches=lambda epoch: Batches(groups, hp, steps=150, seed=epoch),
        loss_fn=batch_loss,
        evaluate=val_mase,
        config=TrainConfig(
            lr=5e-3, max_steps=150, eval_every=50, metric="val_mase", progress=False, threads=1
        ),
    )
    # The seasonal naive misses the trend and the growing amplitude; the LSTM learns them.
    assert result.best["val_mase"] < 0.8 * before


@pytest.mark.parametrize("method", ["shift", "ratio"])
def test_conformal_calibration_covers_eighty_percent_of_validation_windows(method):
    site, collection, _ = tiny_data()
    torch.manual_seed(1)
    model = LSTMForecaster(ForecasterConfig(hidden_size=8, periods=(12, 11, 24))).eval()
    torch.nn.init.normal_(model.networks[0].head.weight, std=0.1)  # some too wide, some narrow
    result = choose_calibration(model, site, collection, methods=(method,))
    assert result["chosen"] == method
    assert set(result["fitted"]) == {"0", "1", "2"}
    assert all(len(a) == 24 for a in result["fitted"].values())
    for family in (1, 2):  # one series per family: its validation coverage per step is ≥ 80%
        s = site[NAMES[family]]
        f = forecast_origins(model, s, family, s.values, validation_origins(s, 1), s.horizon)
        y = actuals(s.values, f.origins, s.horizon)
        inside = ((y >= f.lower) & (y <= f.upper)).mean(axis=0)
        assert np.all(inside >= 0.8) and np.all(inside <= 0.8 + 2 / len(f.origins))


def test_the_calibration_rule_scores_the_later_half_of_validation_and_keeps_the_best():
    site, collection, _ = tiny_data()
    torch.manual_seed(1)
    model = LSTMForecaster(ForecasterConfig(hidden_size=8, periods=(12, 11, 24))).eval()
    torch.nn.init.normal_(model.networks[0].head.weight, std=0.1)
    result = choose_calibration(model, site, collection)
    errors = result["rule_error"]
    assert set(errors) == {"none", "shift", "ratio"}
    assert result["chosen"] == min(errors, key=errors.get)
    # The rule's error is the mean over the three site series and the collection's mean error.
    late = late_coverage(validation_windows(model, site, collection), "ratio", 24)
    rest = [abs(late[name] - 0.8) for name in collection]
    expected = np.mean([abs(late[name] - 0.8) for name in NAMES] + [np.mean(rest)])
    assert errors["ratio"] == pytest.approx(expected)
    # "none" leaves the raw quantiles: the buffers stay neutral when it is chosen.
    choose_calibration(model, site, collection, methods=("none",))
    assert torch.all(model.interval_adjust == 0) and torch.all(model.interval_scale == 1)


def test_the_recipe_end_to_end_on_tiny_series(tmp_path):
    hp = ForecasterTrainConfig(
        hidden_size=8, per_series=8, max_steps=40, eval_every=20, electricity_steps=0, members=2
    )
    metrics = train_forecaster(
        tmp_path, hparams=hp, progress=False, data=tiny_data(),
        site_baselines=("naive", "seasonal-naive", "holt-winters"),
    )  # fmt: skip
    runs = metrics["normalisations"]
    assert set(runs) == {"seasonal-diff", "level"}
    best = min(runs, key=lambda n: runs[n]["val"]["val_mase"])
    assert metrics["normalisation"] == best and metrics["model_config"]["normalisation"] == best
    assert metrics["complete"] and metrics["steps"] == runs[best]["steps"]
    # The chosen normalisation's network is the ensemble's first member; a second seed joins it.
    ensemble = metrics["ensemble"]
    assert ensemble["members"][0]["val"] == runs[best]["val"]
    assert len(ensemble["members"]) == 2 and metrics["model_config"]["members"] == 2
    assert metrics["forecaster"] == ensemble["test"]
    assert list(ensemble["sizes"]) == ["1", "2"]
    assert ensemble["sizes"]["2"] == pytest.approx(ensemble["val"])
    assert ensemble["sizes"]["1"]["val_mase"] == pytest.approx(runs[best]["val"]["val_mase"])
    calibration = ensemble["calibration"]
    assert calibration["chosen"] == min(
        calibration["rule_error"], key=calibration["rule_error"].get
    )
    assert set(metrics["held_out"]) == {"h1", "h2"}
    summary = metrics["held_out_summary"]
    assert summary["series"] == 2 and 0 <= summary["beats_holt-winters"] <= 2
    assert summary["mean_mase_lstm"] == pytest.approx(
        np.mean([h["lstm"]["mase"] for h in metrics["held_out"].values()])
    )
    # The anomaly figures the page reads are all in a fresh log (the seed check was only in
    # a rescore's additions, so a retrain broke the site build): render them from it.
    assert set(metrics["anomaly_validation"]) == set(metrics["anomaly"])
    assert sorted(metrics["anomaly_seed_check"]) == ["303-404", "505-606"]
    page = (MODELS.parent / "docs" / "applications" / "time-series.md").read_text("utf-8")
    anomaly = re.findall(
        r"<!-- data:ts-forecaster:(?:metrics\.anomaly|anomaly|table\.anomaly)[^>]*-->", page
    )
    assert len(anomaly) > 20
    (tmp_path / "models" / "ts-forecaster").mkdir(parents=True)
    (tmp_path / "models" / "ts-forecaster" / "metrics.json").write_text(json.dumps(metrics))
    rendered = render_data("\n".join(anomaly), tmp_path / "models")
    assert "seeds 505 / 606" in rendered and "<!--" not in rendered
    model, checkpoint = load_forecaster(tmp_path / "ts-forecaster.pt")
    assert checkpoint["series"]["co2"]["id"] == 0 and model.config.normalisation == best
    assert model.config.members == 2
    # The checkpoint carries the calibrated intervals: the test scores come back from it, the
    # intervals history-calibrated as the runtime serves them (the graph's own differ).
    s = tiny_data()[0]["co2"]
    origins = rolling_origins(s, s.val_end, s.values.size, s.horizon, 1)
    graph_f = forecast_origins(model, s, 0, s.values, origins, s.horizon)
    again = score(s, history_calibrated(model, s, 0, s.values, graph_f), s.horizon)
    assert again == pytest.approx(metrics["forecaster"]["co2"])
    assert metrics["interval_calibration"]["method"] == "history"
    # A fresh log holds both test coverages the page compares: the graph's own interval's and
    # the served (history-calibrated) one's, which are the figures reported everywhere else.
    both = metrics["test_coverage80"]
    served = {n: f["coverage80"] for n, f in metrics["forecaster"].items()}
    assert both["served"] == served | {n: h["lstm"]["coverage80"] for n, h in
                                       metrics["held_out"].items()}  # fmt: skip
    graph = score(s, graph_f, s.horizon)
    assert both["graph"]["co2"] == pytest.approx(graph["coverage80"])
    assert set(both["graph"]) == set(both["served"]) == {*NAMES, "h1", "h2"}


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
    # The coverage the card reports is the runtime's served (history-calibrated) interval's.
    served = [model.forecast(s.values[:t], s.horizon, "co2") for t in origins]
    inside = [(s.values[t : t + s.horizon] >= f.lower) & (s.values[t : t + s.horizon] <= f.upper)
              for t, f in zip(origins, served, strict=True)]  # fmt: skip
    log = json.loads((SHIPPED / "metrics.json").read_text())
    assert np.mean(inside) == pytest.approx(log["forecaster"]["co2"]["coverage80"], abs=1e-9)


def test_a_checkpoint_saved_before_ensembles_loads_as_one_member(tmp_path):
    torch.manual_seed(2)
    model = LSTMForecaster(ForecasterConfig(hidden_size=8)).eval()
    torch.nn.init.normal_(model.networks[0].head.weight, std=0.1)
    model.interval_adjust.fill_(0.25)
    state = model.state_dict()
    legacy = {k.removeprefix("members.0."): v for k, v in state.items() if k != "interval_scale"}
    assert "lstm.weight_ih_l0" in legacy  # the layout of the first published checkpoints
    config = {k: v for k, v in model.config.to_dict().items() if k != "members"}
    torch.save({"config": config, "state_dict": legacy}, tmp_path / "old.pt")
    loaded, _ = load_forecaster(tmp_path / "old.pt")
    values = torch.arange(40, dtype=torch.float32)[None, :] ** 1.2
    args = (values, torch.ones(1), torch.zeros(1, dtype=torch.int64))
    torch.testing.assert_close(loaded(*args), model(*args))


def test_the_card_counts_a_tied_anomaly_f1_as_no_win():
    from rnn_site.export.ts_forecaster import targets_from_log

    scores = {"co2": {"mase": 0.5, "smape": 1.0, "coverage80": 0.8}}
    tie = {"lstm": {"f1": 0.5217391304347826}, "zscore": {"f1": 0.5217391304347825}}
    log = {"forecaster": scores, "baselines": {}, "anomaly": {"co2": tie}}
    assert targets_from_log(log)["anomaly_beats_zscore"] == 0
    tie["lstm"]["f1"] = 0.53
    assert targets_from_log(log)["anomaly_beats_zscore"] == 1
