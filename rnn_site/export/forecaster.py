"""Export the LSTM forecaster: one ONNX graph, the series the demo plots, the card, the manifest.

- ``forecaster.onnx``: (values [batch, time], scale [batch], series [batch]) → quantiles
  [batch, 24, 3] in the series' own units. The scaling (relative to the last value, divided by
  ``scale``) and the unscaling are inside the graph, so Python, the browser and the tests feed
  raw numbers and cannot scale differently.
- ``series.json``: the three series (values, splits, scales), so the browser demo and the
  runtime's examples need neither statsmodels nor vega_datasets.
- ``card.json`` / ``README.md``: the model card, with the measured scores against the baselines.

Shared machinery (exporter settings, native LSTM node, metadata, atomic writes) lives in
`rnn_site.export.onnx_lstm`; cards and the manifest in `rnn_site.export.cards` / `.manifest`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from rnn_site import __version__
from rnn_site.export.cards import publish_card, read_training_log
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, export_graph
from rnn_site.files import write_json
from rnn_site.models.forecaster import QUANTILES, ForecasterConfig, LSTMForecaster
from rnn_site.provenance import git_commit

NAME = "ts-forecaster"
VERSION = "1.0.0"


def forecaster_io(config: ForecasterConfig) -> GraphIO:
    """The graph's contract: raw values in, quantiles (10%, 50%, 90%) in the same units out."""
    return GraphIO(
        inputs={
            "values": TensorSpec("float32", ("batch", "time")),
            "scale": TensorSpec("float32", ("batch",)),
            "series": TensorSpec("int64", ("batch",)),
        },
        outputs={
            "quantiles": TensorSpec("float32", ("batch", config.horizon, len(QUANTILES))),
        },
    )


class ForecasterGraph(nn.Module):
    """What forecaster.onnx computes: `LSTMForecaster.forward` with native LSTM nodes.

    values (batch, time), scale (batch,), series (batch,) → quantiles (batch, horizon, 3).
    """

    def __init__(self, model: LSTMForecaster) -> None:
        super().__init__()
        self.model = model
        self.layers = nn.ModuleList(
            OnnxLSTMLayer.from_torch(model.lstm, k) for k in range(model.config.num_layers)
        )

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        """features (batch, time, F) → the last layer's last hidden state (batch, hidden)."""
        x = features.transpose(0, 1)  # (time, batch, F)
        state = torch.zeros(1, features.shape[0], self.model.config.hidden_size)
        for layer in self.layers:
            x, _, _ = layer(x, state, state)
        return x[-1]

    def forward(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        scaled, base, unit = self.model.forward_with(values, scale, series, self.encode)
        return base[..., None] + unit[:, None, None] * scaled


def export_onnx(
    model: LSTMForecaster, path: str | Path, metadata: dict[str, str]
) -> onnx.ModelProto:
    """Write forecaster.onnx for ``model`` and return it."""
    # Batch 2 and time 5: sizes of 1 could be baked in by the tracer as constants.
    example = (torch.randn(2, 5), torch.ones(2), torch.zeros(2, dtype=torch.int64))
    return export_graph(
        ForecasterGraph(model.eval()),
        example,
        path,
        forecaster_io(model.config),
        metadata,
        doc="LSTM forecaster: (values, scale, series) -> quantiles (10%, 50%, 90%) per step.",
    )


def _table(rows: dict[str, dict[str, float]], keys: list[str], fmt: str = "{:.2f}") -> str:
    lines = ["| | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, figures in rows.items():
        cells = [fmt.format(figures[k]) if k in figures else "–" for k in keys]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scores_from_log(log: dict[str, Any]) -> tuple[dict, dict, str]:
    """(metrics, baselines, note) for the card from metrics.json; empty without a log."""
    forecaster, baselines, anomaly = (
        log.get("forecaster") or {},
        log.get("baselines") or {},
        log.get("anomaly") or {},
    )
    if not forecaster:
        return {}, {}, ""
    metrics: dict[str, float] = {}
    rows: dict[str, dict[str, float]] = {}
    for series, figures in forecaster.items():
        metrics[f"mase_{series}"] = figures["mase"]
        metrics[f"smape_{series}"] = figures["smape"]
        for name, base in baselines.get(series, {}).items():
            rows.setdefault(name, {})[f"mase_{series}"] = base["mase"]
            rows[name][f"smape_{series}"] = base["smape"]
    for series, detectors in anomaly.items():
        metrics[f"anomaly_f1_{series}"] = detectors["lstm"]["f1"]
        rows.setdefault("rolling-zscore", {})[f"anomaly_f1_{series}"] = detectors["zscore"]["f1"]
    names = list(forecaster)
    coverage = {NAME: {s: forecaster[s]["coverage80"] for s in names}}
    for name in ("naive", "seasonal-naive", "sarima"):
        coverage[name] = {
            s: baselines[s][name]["coverage80"] for s in names if name in baselines.get(s, {})
        }
    detection = {
        f"{s} {d}": {k: v[k] for k in ("precision", "recall", "f1", "event_recall", "threshold")}
        for s, detectors in anomaly.items()
        for d, v in (("LSTM interval", detectors["lstm"]), ("rolling z-score", detectors["zscore"]))
    }
    note = (
        "All figures on the **test period** (CO₂ 1995–2001, sunspots 1969–2008, Seattle "
        "November–December 2010), never seen in training or model selection. Forecasts start "
        "from every month (CO₂), every year (sunspots) and every midnight (Seattle) of the test "
        "period and run 12 months, 11 years and 24 hours ahead. MASE divides the mean absolute "
        "error by the training part's seasonal-naive error (below 1 beats \"same as one season "
        'ago" as it did in training); sMAPE is in percent.\n\n'
        "**Interval coverage** (share of actual values inside the 80% interval; 0.80 is ideal):\n\n"
        + _table(coverage, names)
        + "\n\n**Anomaly detection** on the test period with injected spikes, a level shift and "
        "a drift (point-wise precision/recall/F1; event recall = share of injected events with "
        "at least one flagged point; thresholds chosen on the validation period with other "
        "injected anomalies):\n\n"
        + _table(detection, ["precision", "recall", "f1", "event_recall", "threshold"])
        + "\n\n**Forecast accuracy and anomaly F1**:"
    )
    return {NAME: metrics}, rows, note


def data_info(series: dict[str, Any]) -> dict[str, Any]:
    """The card's "data" section from the per-series settings."""
    return {
        "name": "co2 (monthly), sunspots (yearly), seattle hourly temperature normals",
        "source_package": "statsmodels==0.15.0 (co2, sunspots), vega_datasets==0.9.0 "
        "(seattle_temps), all bundled in the packages and loaded offline",
        "licence": "public domain (NOAA/Scripps, SIDC via statsmodels; NOAA via vega_datasets)",
        "split_note": "Chronological splits, never shuffled: CO₂ train 1958–1989, validation "
        "1990–1994, test 1995–2001; sunspots train 1700–1929, validation 1930–1968, test "
        "1969–2008; Seattle train January–August, validation September–October, test "
        "November–December 2010. Scales and baseline parameters are fitted on the training "
        "part only; validation chooses the training step and the anomaly thresholds.",
        "series": series,
    }


def example_text(session_path: Path, series_json: dict[str, Any], card_series: dict) -> str:
    """A 12-month CO₂ forecast from January 1995 (the first test month), next to the truth."""
    from rnn_site.onnx_session import create_session

    co2 = series_json["series"]["co2"]
    settings = card_series["co2"]
    values = np.array(co2["values"], dtype=np.float32)
    origin, lookback = co2["val_end"], settings["lookback"]
    session = create_session(session_path)
    (q,) = session.run(
        None,
        {
            "values": values[None, origin - lookback : origin],
            "scale": np.array([settings["norm_scale"]], np.float32),
            "series": np.array([settings["id"]], np.int64),
        },
    )
    lines = ["month     median   80% interval      actual"]
    for h in range(12):
        year, month = 1995, h + 1
        lo, mid, hi = q[0, h]
        lines.append(
            f"{year}-{month:02d}  {mid:7.2f}  [{lo:7.2f}, {hi:7.2f}]  {values[origin + h]:7.2f}"
        )
    return "\n".join(lines)


def export_forecaster_model(
    model: LSTMForecaster,
    checkpoint: dict[str, Any],
    out_dir: str | Path,
    *,
    series_json: dict[str, Any],
    log: dict[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Path]:
    """Export ``model`` into ``out_dir`` (graph, series.json, card, README), refresh the manifest.

    ``checkpoint`` carries the per-series settings ("series", "min_history"); ``series_json``
    is what :func:`series_payload` builds. Performance figures already in the card are kept.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = log or {}
    commit = commit or git_commit()
    card_series = checkpoint["series"]
    metrics, baselines, note = scores_from_log(log)
    metadata = {
        "name": NAME,
        "version": VERSION,
        "package_version": __version__,
        "quantiles": json.dumps(list(QUANTILES)),
        "series": json.dumps(card_series, sort_keys=True),
        "licence": "MIT",
        "source_commit": commit,
    }
    paths = {"forecaster": out_dir / "forecaster.onnx", "series": out_dir / "series.json"}
    export_onnx(model, paths["forecaster"], metadata)
    write_json(paths["series"], series_json)
    config = model.config
    better = {f"mase_{s}": "lower" for s in card_series}
    better |= {f"smape_{s}": "lower" for s in card_series}
    better |= {f"anomaly_f1_{s}": "higher" for s in card_series}
    card: dict[str, Any] = {
        "name": NAME,
        "version": VERSION,
        "task": "time-series-forecasting",
        "title": "LSTM forecaster with 80% intervals (CO₂, sunspots, Seattle temperatures)",
        "summary": (
            "Reads the recent past of a series and forecasts up to 24 steps ahead at once, with "
            "an 80% prediction interval. One small LSTM serves three real series, told apart by "
            "a learned series embedding. Judged against naive, seasonal-naive and SARIMA "
            "forecasts, which it does not always beat (see Limits)."
        ),
        "config": config.to_dict(),
        "quantiles": list(QUANTILES),
        "interval_level": 0.8,
        "min_history": checkpoint["min_history"],
        "max_horizon": config.horizon,
        "series": card_series,
        "files": {
            "forecaster": "forecaster.onnx",
            "series": "series.json",
            "torch": f"{NAME}.pt",
        },
        "file_notes": {
            "forecaster": "the forecaster graph (scaling inside; raw values in and out).",
            "series": "the three series with their splits and scales, for the browser demo.",
            "torch": "the PyTorch checkpoint the graph was exported from.",
        },
        "io": {"forecaster": forecaster_io(config).to_json(), "opset": 17},
        "io_notes": (
            "`values`: the last values of the series, oldest first (at most the series' "
            "`lookback`, at least `min_history`); `scale`: the series' `norm_scale` from the card "
            "(for a series of your own: the standard deviation of its history); `series`: the "
            "series id from the card (0 co2, 1 sunspots, 2 seattle), which selects the "
            "behaviour the model learned. `quantiles[b, h]` = (10%, 50%, 90%) quantiles of the "
            "value h + 1 steps after the last input."
        ),
        "preprocessing": (
            "None outside the graph: inside, x_t = (y_t − y_last) / scale, and the outputs are "
            "mapped back with y_last + scale · q. No missing values: fill gaps before forecasting "
            "(the training data had 5 missing CO₂ months and one missing Seattle hour, filled by "
            "linear interpolation)."
        ),
        "data": data_info(card_series),
        "metrics": metrics,
        "baselines": baselines,
        "better": better,
        "metrics_note": note,
        "performance": {},
        "licence": "MIT",
        "source_commit": commit,
        "intended_use": (
            "Teaching: see how an LSTM forecaster is built, evaluated without leakage and "
            "compared with classical methods, and play with it in the browser. Not for decisions: "
            "it knows three series, and classical models forecast them at least as well (see "
            "Metrics)."
        ),
        "limits": [
            "Where a baseline wins (listed above) it is mostly SARIMA: these series are smooth "
            "and regular, exactly what a seasonal ARIMA describes with a handful of parameters, "
            "while the LSTM learns from a few hundred windows per series (a few thousand for "
            "Seattle) in a few minutes of training.",
            "The Seattle series holds hourly *normals* (multi-year averages), not observed "
            "weather; it is far more regular than real temperatures.",
            "Intervals are calibrated on training windows only; on the test period their "
            "coverage departs from 80% (table above).",
            "Horizons beyond 24 steps are not supported (the model predicts 24 steps at once).",
            "A series of your own is read as if it were one of the three training series: "
            "forecasts are only meaningful for similar shapes.",
            "Anomaly scores use one-step forecasts from histories that already contain earlier "
            "anomalies: after a level shift the model adapts within a few steps, so most of a "
            "shifted segment goes unflagged (low point-wise recall).",
        ],
    }
    card["example"] = {
        "title": "CO₂ forecast from the first test month (January 1995), from the 48 months "
        "before it, with onnxruntime:",
        "text": example_text(paths["forecaster"], series_json, card_series),
    }
    paths.update(publish_card(out_dir, card))
    return paths


def series_payload() -> dict[str, Any]:
    """series.json: every series with values, splits and scales (needs the ``train`` extra)."""
    from rnn_site.data.timeseries import load_all

    return {"schema": 1, "series": {name: s.to_json() for name, s in load_all().items()}}


def export_forecaster(
    checkpoint: str | Path = f"models/{NAME}/{NAME}.pt", out_dir: str | Path = f"models/{NAME}"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    from rnn_site.train.forecaster import load_forecaster

    model, saved = load_forecaster(checkpoint)
    log = read_training_log(checkpoint)
    return export_forecaster_model(model, saved, out_dir, series_json=series_payload(), log=log)
