"""Export the LSTM forecaster: one ONNX graph, the series the demo plots, the card, the manifest.

- ``forecaster.onnx``: (values [batch, time], scale [batch], series [batch]) → quantiles
  [batch, 24, 3] in the series' own units. The per-window normalisation and the unscaling are
  inside the graph, so Python, the browser and the tests feed raw numbers and cannot scale
  differently.
- ``series.json``: the three public-domain site series (values, splits, scales), so the browser
  demo and the runtime's examples need neither statsmodels nor vega_datasets. The GPL-3
  employment series are never written here.
- ``baselines.json``: SARIMA's forecasts of those series from every test origin, drawn by the
  demo beside the LSTM's.
- ``demand.onnx`` and ``electricity-days.json``: the electricity model and the three GPL-3 days
  its what-if demo forecasts (`rnn_site.export.demand`), with ``electricity-forecasts.json``,
  the same days without the data set's values: that one is committed, the days file is
  regenerated from it and the installed package (`rnn_site.data.electricity.write_days`).
- ``card.json`` / ``README.md``: the model card, with the measured scores against the baselines.

Shared machinery (exporter settings, native LSTM node, metadata, atomic writes) lives in
`rnn_site.export.onnx_lstm`; cards and the manifest in `rnn_site.export.cards` / `.manifest`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack, cast

import numpy as np
import onnx
import torch
from torch import nn

from rnn_site import __version__
from rnn_site.baselines.anomaly import robust_unit
from rnn_site.baselines.conformal import (
    DEMAND_HISTORY_DAYS,
    HISTORY_ORIGINS,
    MIN_SCORES,
    in_target,
    rescaled,
    served_factors,
)
from rnn_site.card import Better, Example, ForecastingCard, Scores, SeriesSettings
from rnn_site.data.electricity import DAYS_FILE, FORECASTS_FILE, forecasts_payload
from rnn_site.export import anomaly_tables, steps
from rnn_site.export.card_text import CardProse, CardText, card_text
from rnn_site.export.demand import demand_io, electricity_days, export_demand_onnx
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, export_graph
from rnn_site.files import atomic_path, write_json
from rnn_site.models.demand import DemandConfig, DemandForecaster
from rnn_site.models.ts_forecaster import QUANTILES, ForecasterConfig, LSTMForecaster
from rnn_site.train.demand import Standardiser

NAME = "ts-forecaster"


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
    """What forecaster.onnx computes: `LSTMForecaster.forward` with native LSTM nodes (one
    stack per ensemble member).

    values (batch, time), scale (batch,), series (batch,) → quantiles (batch, horizon, 3).
    """

    def __init__(self, model: LSTMForecaster) -> None:
        super().__init__()
        self.model = model
        self.members = nn.ModuleList(
            nn.ModuleList(
                OnnxLSTMLayer.from_torch(member.lstm, k) for k in range(model.config.num_layers)
            )
            for member in model.networks
        )

    def encode(self, member: int, features: torch.Tensor) -> torch.Tensor:
        """Member ``member``'s features (batch, time, F) → its last layer's last hidden state
        (batch, hidden)."""
        x = features.transpose(0, 1)  # (time, batch, F)
        state = torch.zeros(1, features.shape[0], self.model.config.hidden_size)
        for layer in cast(nn.ModuleList, self.members[member]):
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


def forecast_scores(log: dict[str, Any]) -> tuple[Scores, Scores]:
    """(metrics, baselines) for the card from metrics.json: MASE and sMAPE per site series,
    anomaly F1, the held-out mean MASE and the electricity MASE; empty without a log."""
    forecaster, baselines = log.get("forecaster") or {}, log.get("baselines") or {}
    if not forecaster:
        return {}, {}
    metrics: dict[str, float] = {}
    rows: dict[str, dict[str, float]] = {}
    for series, figures in forecaster.items():
        metrics[f"mase_{series}"] = figures["mase"]
        metrics[f"smape_{series}"] = figures["smape"]
        for name, base in baselines.get(series, {}).items():
            rows.setdefault(name, {})[f"mase_{series}"] = base["mase"]
            rows[name][f"smape_{series}"] = base["smape"]
    for series, detectors in (log.get("anomaly") or {}).items():
        metrics[f"anomaly_f1_{series}"] = detectors["lstm"]["f1"]
        rows.setdefault("rolling-zscore", {})[f"anomaly_f1_{series}"] = detectors["zscore"]["f1"]
        if "seasonal_zscore" in detectors:
            seasonal = detectors["seasonal_zscore"]["f1"]
            rows.setdefault("seasonal-zscore", {})[f"anomaly_f1_{series}"] = seasonal
    if log.get("held_out"):
        summary = log.get("held_out_summary") or {}
        metrics["mase_held_out_mean"] = summary["mean_mase_lstm"]
        for name in ("naive", "seasonal-naive", "holt-winters"):
            rows.setdefault(name, {})["mase_held_out_mean"] = summary[f"mean_mase_{name}"]
    electricity = log.get("electricity") or {}
    if electricity:
        metrics["mase_electricity"] = electricity["lstm"]["mase"]
        for name, base in electricity["baselines"].items():
            row = "seasonal-naive" if name == "seasonal-naive-week" else name
            rows.setdefault(row, {})["mase_electricity"] = base["mase"]
    return {NAME: metrics}, rows


def _coverage(log: dict[str, Any]) -> str:
    forecaster, baselines = log["forecaster"], log.get("baselines") or {}
    names = list(forecaster)
    coverage = {NAME: {s: forecaster[s]["coverage80"] for s in names}}
    for name in ("naive", "seasonal-naive", "sarima", "holt-winters"):
        coverage[name] = {
            s: baselines[s][name]["coverage80"] for s in names if name in baselines.get(s, {})
        }
    return _table(coverage, names)


def _held_out(held: dict[str, Any]) -> str:
    columns = {"LSTM": "lstm", "seasonal naive": "seasonal-naive", "Holt-Winters": "holt-winters"}
    table = {
        f"{k} {h['title']}": {label: h[key]["mase"] for label, key in columns.items()}
        | {"LSTM coverage": h["lstm"]["coverage80"]}
        for k, h in held.items()
    }
    return _table(table, [*columns, "LSTM coverage"], "{:.3f}")


def _held_out_mean(run: dict[str, Any]) -> float:
    held = run["held_out"]
    return float(np.mean([h["mase"] for h in held.values()])) if held else float("nan")


def _normalisations(runs: dict[str, Any], names: list[str]) -> str:
    table = {
        name: {
            "validation MASE": run["val"]["val_mase"],
            **{f"test {s}": run["test"][s]["mase"] for s in names},
            "held-out mean": _held_out_mean(run),
        }
        for name, run in runs.items()
    }
    columns = ["validation MASE", *[f"test {s}" for s in names], "held-out mean"]
    return _table(table, columns, "{:.3f}")


def _ensemble(ensemble: dict[str, Any]) -> str:
    columns = ["val_mase", *sorted(k for k in ensemble["val"] if k != "val_mase")]
    table = {
        f"{k} network{'s' if k != '1' else ''}": dict(val) for k, val in ensemble["sizes"].items()
    }
    return _table(table, columns, "{:.3f}")


def _calibration(calibration: dict[str, Any]) -> str:
    late = calibration["late_coverage"]
    table = {
        method + (" (chosen)" if method == calibration["chosen"] else ""): late[method]
        | {"rule error": error}
        for method, error in calibration["rule_error"].items()
    }
    columns = [*next(iter(late.values())), "rule error"]
    return _table(table, columns, "{:.3f}")


def _electricity(electricity: dict[str, Any]) -> str:
    table = {"LSTM": electricity["lstm"]} | dict(electricity["baselines"])
    return _table(table, ["mase", "mae_gw", "smape", "coverage80"], "{:.3f}")


#: The anomaly table's rows: the log's detector → its name on the card.
DETECTORS = {
    "lstm": "LSTM interval",
    "zscore": "rolling z-score",
    "seasonal_zscore": "seasonal z-score",
    "flag_all": "flag all",
}


def _detection(anomaly: dict[str, Any]) -> str:
    keys = ["precision", "recall", "f1", "event_recall", "threshold"]
    detection = {
        f"{s} {name}": {
            k: detectors[d][k] for k in keys if not (d == "flag_all" and k == "threshold")
        }
        for s, detectors in anomaly.items()
        for d, name in DETECTORS.items()
        if d in detectors
    }
    return _table(detection, keys)


def _anomaly_floor(text: CardText, log: dict[str, Any]) -> str:
    """The sentence on flag-all's F1 (lowest–highest over the series), what it was under the
    benchmark v2 replaced (ts_anomaly_v1.json: flag-all's F1 does not depend on the weights),
    and, after a rescore, which command scored the same weights again."""
    anomaly = log.get("anomaly") or {}
    floor = [d["flag_all"]["f1"] for d in anomaly.values() if "flag_all" in d]
    if not floor:
        return ""
    before = [f["flag_all"] for f in anomaly_tables.v1_figures()["test"].values()]
    sentence = text.text(
        "_note.anomaly_floor",
        low=f"{min(floor):.2f}",
        high=f"{max(floor):.2f}",
        previous_low=f"{min(before):.2f}",
        previous_high=f"{max(before):.2f}",
    )
    rescored = log.get("anomaly_rescored")
    if rescored:
        sentence += " " + text.text("_note.anomaly_rescored", command=rescored["command"])
    return sentence


def _anomaly_seeds(text: CardText, log: dict[str, Any]) -> str:
    """The seed-check fragment with its table, or nothing for a log without seed checks."""
    try:
        table = anomaly_tables.seed_check_table(log)
    except anomaly_tables.AnomalyDataError:
        return ""
    return text.text(
        "_note.anomaly_seeds",
        seed_checks=anomaly_tables.benchmark_fact("seed_checks"),
        tie=anomaly_tables.benchmark_fact("tie"),
        ties=anomaly_tables.ties_text(log, "zscore"),
        table=table,
    )


def _scored(text: CardText, section: dict[str, Any], prefix: str) -> str:
    """How the served interval's coverage was scored: by a rescore of the same weights (its
    command, from ``interval_rescored``) or by the recipe itself (a fresh log)."""
    rescored = section.get("interval_rescored")
    if rescored:
        return text.text(f"{prefix}_rescored", command=rescored["command"])
    return text.text(f"{prefix}_fresh")


def metrics_note(log: dict[str, Any]) -> str:
    """The card's metrics note: the ``_note.*`` fragments of the prose file for what the log
    holds (held-out series, normalisation runs, electricity), each with its table."""
    if not log.get("forecaster"):
        return ""
    text = card_text(NAME)
    held, summary = log.get("held_out") or {}, log.get("held_out_summary") or {}
    runs, electricity = log.get("normalisations") or {}, log.get("electricity") or {}
    coverage = text.text(
        "_note.coverage", table=_coverage(log), scored=_scored(text, log, "_note.coverage")
    )
    parts = [text.text("_note.site"), coverage]
    if held:
        parts.append(
            text.text(
                "_note.held_out",
                series=str(summary["series"]),
                beats_seasonal_naive=str(summary["beats_seasonal-naive"]),
                beats_holt_winters=str(summary["beats_holt-winters"]),
                table=_held_out(held),
            )
        )
    if runs:
        table = _normalisations(runs, list(log["forecaster"]))
        chosen = str(log.get("normalisation"))
        parts.append(text.text("_note.normalisation", chosen=chosen, table=table))
    ensemble = log.get("ensemble") or {}
    if ensemble.get("sizes"):
        parts.append(
            text.text(
                "_note.ensemble",
                members=str(len(ensemble["members"])),
                table=_ensemble(ensemble),
                chosen=ensemble["calibration"]["chosen"],
                calibration=_calibration(ensemble["calibration"]),
            )
        )
    if electricity:
        days = str(electricity["test_days"])
        scored = _scored(text, electricity, "_note.electricity")
        parts.append(
            text.text(
                "_note.electricity", test_days=days, table=_electricity(electricity), scored=scored
            )
        )
    anomaly = log.get("anomaly") or {}
    floor = _anomaly_floor(text, log)
    parts.append(
        text.text(
            "_note.anomaly",
            table=_detection(anomaly),
            floor=floor,
            prevalence=anomaly_tables.benchmark_fact("prevalence"),
            min_events=anomaly_tables.benchmark_fact("min_events"),
        )
    )
    seeds = _anomaly_seeds(text, log)
    if seeds:
        parts.append(seeds)
    parts.append(text.text("_note.summary"))
    return "\n\n".join(parts)


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
        "coverage_in_75_85": sum(in_target(c) for c in coverage.values()),
        "coverage_min": min(coverage.values()),
        "coverage_max": max(coverage.values()),
        "anomaly_series": len(anomaly),
        # A tie is no win: equal F1 can differ in the last bit (12/23 summed two ways).
        "anomaly_beats_zscore": sum(
            a["lstm"]["f1"] > a["zscore"]["f1"] + 1e-9 for a in anomaly.values()
        ),
    }
    if anomaly and all("seasonal_zscore" in a for a in anomaly.values()):
        result["anomaly_beats_seasonal_zscore"] = sum(
            a["lstm"]["f1"] > a["seasonal_zscore"]["f1"] + 1e-9 for a in anomaly.values()
        )
    if electricity:
        lstm = electricity["lstm"]["mase"]
        result["electricity_beats"] = sum(
            lstm < b["mase"] for b in electricity["baselines"].values()
        )
        result["electricity_baselines"] = len(electricity["baselines"])
    return result


def forecaster_prose(log: dict[str, Any], min_history: int | None = None) -> CardProse:
    """The card's prose, from ``prose/ts-forecaster.md`` (``min_history``: the card's, by
    default the log's)."""
    shortest = int(log["min_history"] if min_history is None else min_history) + MIN_SCORES
    text = card_text(NAME)
    collection = (log.get("data") or {}).get("collection") or {}
    held = collection.get("held_out") or {}
    members = (log.get("model_config") or {}).get("members", 1)
    networks = (
        text.text("_networks_one")
        if members == 1
        else text.text("_networks_many", members=str(members))
    )
    return text.prose(
        networks=networks,
        k=str(HISTORY_ORIGINS),
        min_scores=str(MIN_SCORES),
        min_values=str(shortest),
        days=str(DEMAND_HISTORY_DAYS),
        note=metrics_note(log),
        training_series=str(collection.get("training_series", "the")),
        held_out=", ".join(f"{k} ({v})" for k, v in held.items()) or text.text("_no_held_out"),
    )


def example(
    session_path: Path,
    series_json: dict[str, Any],
    card_series: dict[str, SeriesSettings],
    limits: tuple[int, int],
) -> Example:
    """The card's example: a 12-month CO₂ forecast from January 1995 (the first test month)
    next to the truth, as `Forecaster.forecast` serves it (``limits``: the card's min_history
    and max_horizon; the interval history-calibrated on the values before the origin)."""
    settings = card_series["co2"]
    origins = HISTORY_ORIGINS + limits[1] - 1
    title = card_text(NAME).text(
        "_example_title",
        lookback=str(settings["lookback"]),
        origins=str(origins),
        months=str(settings["lookback"] + origins),
    )
    return {"title": title, "text": example_text(session_path, series_json, settings, limits)}


def example_text(
    session_path: Path,
    series_json: dict[str, Any],
    settings: SeriesSettings,
    limits: tuple[int, int],
) -> str:
    """The example's table: month, median, the served 80% interval, actual (onnxruntime)."""
    from rnn_site.onnx_session import create_session

    co2 = series_json["series"]["co2"]
    values = np.array(co2["values"], dtype=np.float64)
    origin, lookback = co2["val_end"], settings["lookback"]
    session = create_session(session_path)

    def run(windows: np.ndarray, scale: np.ndarray, ids: np.ndarray) -> np.ndarray:
        feeds = {
            "values": np.ascontiguousarray(windows, dtype=np.float32),
            "scale": np.asarray(scale, np.float32),
            "series": np.asarray(ids, np.int64),
        }
        return np.asarray(session.run(None, feeds)[0])

    unit = float(settings["norm_scale"])
    q = run(values[None, origin - lookback : origin], np.array([unit]), np.array([settings["id"]]))
    series = (int(lookback), int(settings["id"]))
    factors = served_factors(run, values[:origin], series, unit, limits)
    q = rescaled(q[0].astype(np.float64), factors)
    lines = ["month     median   80% interval      actual"]
    for h in range(12):
        year, month = 1995, h + 1
        lo, mid, hi = q[h]
        lines.append(
            f"{year}-{month:02d}  {mid:7.2f}  [{lo:7.2f}, {hi:7.2f}]  {values[origin + h]:7.2f}"
        )
    return "\n".join(lines)


def normalisation_runs(log: dict[str, Any]) -> dict[str, dict[str, float | bool | None]]:
    """The card's ``normalisations``: each input normalisation tried, and which one won."""
    return {
        name: {
            "val_mase": run["val"]["val_mase"],
            **{f"test_mase_{k}": v["mase"] for k, v in run["test"].items()},
            "held_out_mean_mase": _held_out_mean(run) if run["held_out"] else None,
            "chosen": name == log.get("normalisation"),
        }
        for name, run in (log.get("normalisations") or {}).items()
    }


def forecaster_better(series: Iterable[str]) -> dict[str, Better]:
    """Which way each metric is better: errors lower, anomaly F1 higher."""
    better: dict[str, Better] = {}
    for prefix, way in (("mase", "lower"), ("smape", "lower"), ("anomaly_f1", "higher")):
        better |= {f"{prefix}_{s}": cast(Better, way) for s in series}
    return better | {"mase_held_out_mean": "lower", "mase_electricity": "lower"}


@dataclass(frozen=True)
class DemandExport:
    """What the electricity part of the export writes: the model, its standardiser and the
    demo's days (:func:`rnn_site.export.demand.electricity_days`)."""

    model: DemandForecaster
    norm: Standardiser
    days: dict[str, Any]


def export_forecaster_model(
    model: LSTMForecaster,
    checkpoint: dict[str, Any],
    out_dir: str | Path,
    *,
    series_json: dict[str, Any],
    baselines_json: dict[str, Any] | None = None,
    demand: DemandExport | None = None,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Export ``model`` into ``out_dir`` (graph, series.json, card, README), refresh the manifest.

    ``checkpoint`` carries the per-series settings ("series", "min_history"); ``series_json``
    is what :func:`series_payload` builds, ``baselines_json`` what :func:`statistical_payload`
    builds (the demo's SARIMA forecasts); ``demand`` adds demand.onnx and the electricity days.
    Performance figures already in the card are kept.
    """
    with steps.start_export(NAME, out_dir, **options) as run:
        # The graph's metadata says what the card says: thresholds from the log, the size unit.
        card_series = with_anomaly_settings(checkpoint["series"], run.log, series_json)
        metadata = {
            "name": NAME,
            "version": run.version,
            "package_version": __version__,
            "quantiles": json.dumps(list(QUANTILES)),
            "series": json.dumps(card_series, sort_keys=True),
            "licence": "MIT",
            "source_commit": run.commit,
        }
        paths = {
            "forecaster": run.work_dir / "forecaster.onnx",
            "series": run.work_dir / "series.json",
        }
        export_onnx(model, paths["forecaster"], metadata)
        write_json(paths["series"], series_json)
        files = {"forecaster": "forecaster.onnx", "series": "series.json", "torch": f"{NAME}.pt"}
        io: dict[str, Any] = {"forecaster": forecaster_io(model.config).to_json(), "opset": 17}
        if baselines_json is not None:
            paths["baselines"] = write_json(run.work_dir / "baselines.json", baselines_json)
            files["baselines"] = "baselines.json"
        if demand is not None:
            paths["demand"] = run.work_dir / "demand.onnx"
            export_demand_onnx(demand.model, demand.norm, paths["demand"], metadata)
            # The days hold GPL-3 values: the committed file is ours alone, write_days joins them.
            forecasts = forecasts_payload(demand.days)
            paths["electricity"] = write_json(run.work_dir / DAYS_FILE, demand.days)
            paths["electricity_forecasts"] = write_json(run.work_dir / FORECASTS_FILE, forecasts)
            files |= {
                "demand": "demand.onnx",
                "electricity": DAYS_FILE,
                "electricity_forecasts": FORECASTS_FILE,
            }
            io["demand"] = demand_io(demand.model.config.history).to_json()
        limits = (int(checkpoint["min_history"]), int(model.config.horizon))
        shown = example(paths["forecaster"], series_json, card_series, limits)
        card = forecaster_card(
            run, model.config.to_dict(), checkpoint["min_history"], card_series, files, io, shown
        )
        return run.publish(paths, card)


def with_anomaly_settings(
    series: dict[str, SeriesSettings], log: dict[str, Any], series_json: dict[str, Any]
) -> dict[str, SeriesSettings]:
    """The series settings with each anomaly threshold the log's anomaly benchmark chose on
    validation (kept where the log has none), so a rescored benchmark moves the runtime's and
    the demo's threshold with the card's figures, and with ``anomaly_unit``: the benchmark's
    size unit (`robust_unit` of the training part in ``series_json``), in which the demo sizes
    the anomalies it injects."""
    anomaly = log.get("anomaly") or {}
    data = series_json.get("series") or {}
    out: dict[str, SeriesSettings] = {}
    for name, settings in series.items():
        updated = dict(settings)
        if name in anomaly:
            updated["anomaly_threshold"] = anomaly[name]["lstm"]["threshold"]
        if name in data:
            values = np.asarray(data[name]["values"], dtype=np.float64)
            updated["anomaly_unit"] = robust_unit(values[: data[name]["train_end"]])
        out[name] = cast(SeriesSettings, updated)
    return out


def forecaster_card(
    run: steps.ExportRun,
    config: dict[str, Any],
    min_history: int,
    card_series: dict[str, SeriesSettings],
    files: dict[str, str],
    io: dict[str, Any],
    example: Example,
) -> ForecastingCard:
    """The card of the network ``config``: scores, targets and prose from the run's log;
    ``card_series`` as `with_anomaly_settings` makes them."""
    metrics, baselines = forecast_scores(run.log)
    prose = forecaster_prose(run.log, min_history)
    return {
        **steps.card_head(run, prose),
        "task": "time-series-forecasting",
        "config": config,
        "quantiles": list(QUANTILES),
        "interval_level": 0.8,
        "min_history": min_history,
        "max_horizon": config["horizon"],
        "series": card_series,
        "files": files,
        "io": io,
        "targets": targets_from_log(run.log),
        "normalisations": normalisation_runs(run.log),
        **steps.card_common(
            run,
            prose,
            data=steps.data_record(prose, series=card_series),
            metrics=metrics,
            baselines=baselines,
            better=forecaster_better(card_series),
        ),
        "example": example,
    }


def restamp_metadata(path: str | Path, updates: dict[str, str]) -> bool:
    """Set the ``updates`` entries of the ONNX file's metadata, nothing else: the graph, its
    weights and every other field keep their bytes (onnx re-serialises a loaded model byte for
    byte). Returns whether the file changed; written atomically."""
    model = onnx.load(str(path))
    props = {p.key: p for p in model.metadata_props}
    if all(key in props and props[key].value == value for key, value in updates.items()):
        return False
    for key, value in updates.items():
        if key in props:
            props[key].value = value
        else:
            model.metadata_props.add(key=key, value=value)
    with atomic_path(path) as tmp:
        tmp.write_bytes(model.SerializeToString())
    return True


def refresh_card(out_dir: str | Path = f"models/{NAME}") -> dict[str, Path]:
    """Write the card, README and manifest again from metrics.json, the data files and the
    graph untouched but for forecaster.onnx's "series" metadata, which follows the card's
    series settings: for scores re-measured with the same weights (``anomaly_rescored`` in
    the log). The example is built again (the runtime's interval may have changed). The card
    keeps the commit and version its graphs were exported with (`steps.start_refresh`)."""
    folder = Path(out_dir)
    with steps.start_refresh(NAME, folder) as (run, old):
        series_json = json.loads((folder / old["files"]["series"]).read_text("utf-8"))
        card_series = with_anomaly_settings(old["series"], run.log, series_json)
        limits = (int(old["min_history"]), int(old["max_horizon"]))
        graph_file = folder / old["files"]["forecaster"]
        shown = example(graph_file, series_json, card_series, limits)
        card = forecaster_card(
            run, old["config"], old["min_history"], card_series, old["files"], old["io"], shown
        )
        graph = run.work_dir / old["files"]["forecaster"]  # restamped in the staging folder
        shutil.copyfile(folder / old["files"]["forecaster"], graph)
        restamp_metadata(graph, {"series": json.dumps(card_series, sort_keys=True)})
        return run.publish({"forecaster": graph}, card)


def series_payload() -> dict[str, Any]:
    """series.json: every series with values, splits and scales (needs the ``train`` extra)."""
    from rnn_site.data.timeseries import load_all

    return {"schema": 1, "series": {name: s.to_json() for name, s in load_all().items()}}


def statistical_payload(horizon: int) -> dict[str, Any]:
    """baselines.json: SARIMA's median forecast of each site series from every test origin
    (every ``STRIDES`` steps from the first test value to the end), ``horizon`` steps each,
    for the demo to draw beside the LSTM (needs the ``train`` extra; a few minutes)."""
    from rnn_site.baselines.forecast import sarima
    from rnn_site.data.timeseries import load_all
    from rnn_site.train.ts_forecaster import STRIDES

    series = {}
    for name, s in load_all().items():
        origins = np.arange(s.val_end, s.values.size + 1, STRIDES[name])
        median = sarima(s, origins, horizon).median
        series[name] = {
            "first": s.val_end,
            "stride": STRIDES[name],
            "median": np.round(median, 4).tolist(),  # a tenth of a per mille of the units
        }
    return {"schema": 1, "model": "sarima", "horizon": horizon, "series": series}


def demand_export(checkpoint: dict[str, Any]) -> DemandExport | None:
    """The demand model of a checkpoint and its demo days, or None if it has none."""
    from rnn_site.data.electricity import load_electricity
    from rnn_site.train.demand import scale

    saved = checkpoint.get("demand")
    if not saved:
        return None
    model = DemandForecaster(DemandConfig(**saved["config"]))
    model.load_state_dict(saved["state_dict"])
    data = load_electricity()
    days = electricity_days(data, model.config.history, scale(data))
    return DemandExport(model.eval(), Standardiser(**saved["standardiser"]), days)


def export_forecaster(
    checkpoint: str | Path = f"models/{NAME}/{NAME}.pt", out_dir: str | Path = f"models/{NAME}"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    from rnn_site.train.ts_forecaster import load_forecaster

    def export(
        model: LSTMForecaster,
        saved: dict[str, Any],
        out_dir: str | Path,
        **options: Unpack[steps.ExportOptions],
    ) -> dict[str, Path]:
        return export_forecaster_model(
            model,
            saved,
            out_dir,
            series_json=series_payload(),
            baselines_json=statistical_payload(model.config.horizon),
            demand=demand_export(saved),
            **options,
        )

    return steps.export_checkpoint(load_forecaster, export, checkpoint, out_dir)
