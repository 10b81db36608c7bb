"""History calibration of the forecaster's 80% intervals, measured on the published weights.

The published intervals are calibrated per *family* on validation (the rule chose "none"), so
a smooth held-out series gets far too wide an interval and a volatile one too narrow. Here each
forecast is calibrated on its own series' recent past instead (`rnn_site.baselines.conformal`
`history_factors`): the graph also forecasts from the K most recent origins inside the history,
and the interval is rescaled by the split-conformal quantile of how far the known actuals fell
from the median, in half-widths ("ratio" score). Candidates: pooled over steps or per step, K
in `KS`. The rule (`results/ts_history_calibration_rule.md`, committed first) picks one on
validation; the test coverage of every candidate is then reported, the chosen one marked.

Electricity (the separate demand model) gets the same factor from the K most recent whole days
before each midnight, on top of its published interval. Eval only (onnxruntime for the
forecaster, torch for the demand model), one thread, seconds; needs the ``train`` extra
(the held-out series are GPL-3 data)::

    python -m rnn_site.experiments.ts_history_calibration \\
        --json rnn_site/experiments/results/ts_history_calibration.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnn_site.baselines.conformal import (
    LEVEL,
    calibration_origins,
    conformal_factor,
    history_factors,
    ratio_scores,
    rescaled,
)
from rnn_site.baselines.forecast import rolling_origins
from rnn_site.data.timeseries import Series
from rnn_site.files import sha256_file, write_json
from rnn_site.runtime.ts_forecaster import Forecaster

MODEL_DIR = Path("models/ts-forecaster")
KS = (12, 24, 36, 48)
#: Candidates by name → (K, pooled); "graph" is the published interval as is.
CANDIDATES = {
    f"{'pooled' if pooled else 'per-step'} K={k}": (k, pooled)
    for pooled in (True, False)
    for k in KS
}
#: Test/validation origin strides of the site series (the recipe's `STRIDES`).
STRIDES = {"co2": 1, "sunspots": 1, "seattle": 24}
ELECTRICITY_KS = (7, 14, 28)


class CalibrationOriginError(ValueError):
    """A calibration origin outside the range of cached forecasts (a bug in the caller)."""


def raw_forecasts(model: Forecaster, s: Series, family: int, origins: np.ndarray) -> np.ndarray:
    """The graph's quantiles (len(origins), max_horizon, 3) from full-lookback windows."""
    if origins.min() < s.lookback:
        raise ValueError(f"{s.name}: origin {origins.min()} has less than a lookback before it")
    windows = np.stack([s.values[t - s.lookback : t] for t in origins])
    n = len(origins)
    out = []
    for i in range(0, n, 512):
        m = min(512, n - i)
        out.append(model.run(windows[i : i + m], np.full(m, s.norm_scale), np.full(m, family)))
    return np.concatenate(out).astype(np.float64)


def cached_at(q_all: np.ndarray, first: int, origins: np.ndarray) -> np.ndarray:
    """Rows of ``q_all`` (the graph's forecasts from origins ``first``, ``first`` + 1, …) for
    ``origins``; CalibrationOriginError for one outside them, which indexing would otherwise
    wrap around to the end silently."""
    rows = np.asarray(origins) - first
    if rows.size and (rows.min() < 0 or rows.max() >= len(q_all)):
        raise CalibrationOriginError(
            f"calibration origins {int(np.min(origins))}–{int(np.max(origins))} fall outside the "
            f"forecasts computed for {first}–{first + len(q_all) - 1}"
        )
    return q_all[rows]


def inside(y: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Whether each actual ``y`` (…) lies in its interval ``q`` (…, 3), ends included: the
    card's coverage is the mean of these."""
    return (y >= q[..., 0]) & (y <= q[..., 2])


def series_periods(s: Series, stride: int) -> dict[str, np.ndarray]:
    """Validation and test origins at the series' horizon, as the card scores them."""
    return {
        "validation": rolling_origins(s, s.train_end, s.val_end, s.horizon, stride),
        "test": rolling_origins(s, s.val_end, s.values.size, s.horizon, stride),
    }


def evaluate_series(
    model: Forecaster, s: Series, family: int, stride: int, min_history: int
) -> dict[str, Any]:
    """Coverage and mean width of every candidate on one series' validation and test origins,
    each forecast calibrated on the history before its origin only."""
    periods = series_periods(s, stride)
    h = s.horizon
    first = max(s.lookback, periods["validation"][0] - h - max(KS) + 1)
    cached = np.arange(first, s.values.size)
    q_all = raw_forecasts(model, s, family, cached)
    result: dict[str, Any] = {"horizon": h, "origins": {}}
    for period, origins in periods.items():
        result["origins"][period] = len(origins)
        y = np.stack([s.values[t : t + h] for t in origins])
        q0 = cached_at(q_all, first, origins)[:, :h]
        rows = {"graph": q0}
        for name, (k, pooled) in CANDIDATES.items():
            qs = []
            for i, t in enumerate(origins):
                cal = calibration_origins(int(t), h, min_history, k, pooled)
                factors = history_factors(s.values[:t], cal, cached_at(q_all, first, cal), h, k,
                                          pooled)  # fmt: skip
                qs.append(rescaled(q0[i], factors))
            rows[name] = np.stack(qs)
        result[period] = {
            name: {
                "coverage": float(np.mean(inside(y, q))),
                "width": float(np.mean(q[..., 2] - q[..., 0])),
            }
            for name, q in rows.items()
        }
    return result


def forecaster_series() -> Iterator[tuple[str, Series, int, int, str]]:
    """(name, series, family id, origin stride, kind) of the 13 series the rule judges."""
    from rnn_site.train.ts_forecaster import FAMILY, load_data

    site, _, held = load_data()
    for name, s in site.items():
        yield name, s, FAMILY[name], STRIDES[name], "site"
    for name, s in held.items():
        yield name, s, 0, 1, "held-out"


def choose(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The rule: lowest mean |validation coverage − 0.8| over the series; ties → smaller K,
    then pooled; adopted if strictly below the graph's."""

    def error(name: str, period: str = "validation", kinds: tuple[str, ...] = ("site", "held-out")):
        rows = [r for r in table.values() if r["kind"] in kinds]
        return float(np.mean([abs(r[period][name]["coverage"] - LEVEL) for r in rows]))

    names = ["graph", *CANDIDATES]
    errors = {n: error(n) for n in names}
    order = sorted(CANDIDATES, key=lambda n: (round(errors[n], 9), CANDIDATES[n][0],
                                              not CANDIDATES[n][1]))  # fmt: skip
    chosen = order[0]
    counts = {
        period: {
            n: sum(0.75 <= r[period][n]["coverage"] <= 0.85 for r in table.values()) for n in names
        }
        for period in ("validation", "test")
    }
    return {
        "validation_error": errors,
        "validation_error_held_out": {n: error(n, kinds=("held-out",)) for n in names},
        "test_error": {n: error(n, "test") for n in names},
        "inside_75_85": counts,
        "chosen": chosen,
        "adopted": errors[chosen] < errors["graph"],
    }


def electricity_intervals(
    checkpoint: Path,
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Per period (validation, test): the actual demand (midnights, 48) and the quantiles
    (midnights, 48, 3) of the demand model's published interval ("graph") and of history
    calibration over the K previous days, pooled over the 48 half-hours ("pooled K=…";
    K = `DEMAND_HISTORY_DAYS` is the one served)."""
    from rnn_site.data.electricity import load_electricity
    from rnn_site.models.demand import DemandConfig, DemandForecaster
    from rnn_site.train.demand import DAY, DemandTrainConfig, Standardiser, forecast, midnights

    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)["demand"]
    model = DemandForecaster(DemandConfig(**saved["config"]))
    model.load_state_dict(saved["state_dict"])  # with its published interval_adjust
    model.eval()
    norm = Standardiser(**saved["standardiser"])
    hp = DemandTrainConfig(history=int(saved["config"]["history"]))
    data = load_electricity()
    periods = {
        "validation": midnights(data.train_end, data.val_end),
        "test": midnights(data.val_end, data.size),
    }
    first = periods["validation"][0] - max(ELECTRICITY_KS) * DAY
    every = np.arange(first, data.size - DAY + 1, DAY)
    f = forecast(model, data, every, hp, norm)
    q_all = np.stack([f.lower, f.median, f.upper], axis=-1)
    y_all = data.demand[every[:, None] + np.arange(DAY)[None, :]]
    scores = ratio_scores(y_all, q_all[..., 0], q_all[..., 1], q_all[..., 2])
    intervals = {}
    for period, origins in periods.items():
        rows = (origins - first) // DAY
        q0 = q_all[rows]
        qs = {"graph": q0}
        for k in ELECTRICITY_KS:
            factors = np.array([conformal_factor(scores[r - k : r]) for r in rows])
            qs[f"pooled K={k}"] = rescaled(q0, factors[:, None])
        intervals[period] = (y_all[rows], qs)
    return intervals


def electricity(checkpoint: Path) -> dict[str, Any]:
    """The demand model's published interval vs history calibration over the K previous days
    (pooled over the 48 half-hours), on the validation and test midnights."""
    intervals = electricity_intervals(checkpoint)
    result: dict[str, Any] = {"days": {p: len(y) for p, (y, _) in intervals.items()}}
    for period, (y, qs) in intervals.items():
        result[period] = {
            name: {
                "coverage": float(np.mean(inside(y, q))),
                "width": float(np.mean(q[..., 2] - q[..., 0])),
            }
            for name, q in qs.items()
        }
    errors = {n: abs(c["coverage"] - LEVEL) for n, c in result["validation"].items()}
    chosen = min((n for n in errors if n != "graph"), key=lambda n: round(errors[n], 9))
    result |= {"validation_error": errors, "chosen": chosen,
               "adopted": errors[chosen] < errors["graph"]}  # fmt: skip
    return result


def runtime_inside(model: Forecaster) -> Iterator[tuple[str, Series, int, np.ndarray]]:
    """(name, series, origin stride, hits) of the 13 series: ``hits`` (test origins, horizon)
    says whether each test value fell in the runtime's own interval
    (`Forecaster.forecast`, default calibration), each forecast from the history before it."""
    for name, s, _, stride, kind in forecaster_series():
        style = name if kind == "site" else "co2"  # every monthly series reads as family 0
        rows = []
        for t in series_periods(s, stride)["test"]:
            f = model.forecast(s.values[:t], s.horizon, style)
            q = np.stack([f.lower, f.median, f.upper], axis=-1)
            rows.append(inside(s.values[t : t + s.horizon], q))
        yield name, s, stride, np.stack(rows)


def runtime_coverage(model: Forecaster) -> dict[str, dict[str, float]]:
    """Test coverage of the runtime's own forecasts (`runtime_inside`) per series: what the
    card reports after a rescore."""
    return {
        name: {"coverage80": float(np.mean(rows)), "origins": len(rows)}
        for name, _, _, rows in runtime_inside(model)
    }


class RescoreError(ValueError):
    """A log that cannot be rescored (its coverage is already the served interval's)."""


def rescore(folder: Path, command: str) -> dict[str, Any]:
    """Score the test coverage of ``folder``'s model again as the runtime serves it (history
    calibration), the weights untouched, into its metrics.json: the figures the graph's own
    interval gave are kept under ``interval_rescored.before`` → the log."""
    from rnn_site.provenance import git_commit
    from rnn_site.train.ts_forecaster import INTERVAL_CALIBRATION

    path = folder / "metrics.json"
    log = json.loads(path.read_text("utf-8"))
    if "interval_calibration" in log and "interval_rescored" not in log:
        raise RescoreError(
            f"{path} was written by a recipe that already scores the history-calibrated "
            "interval (interval_calibration, both coverages in test_coverage80): there is "
            "nothing to rescore, and its figures would be kept as the graph's own"
        )
    previous = log.pop("interval_rescored", None)
    before = (previous or {}).get("before") or {
        **{n: f["coverage80"] for n, f in log["forecaster"].items()},
        **{n: h["lstm"]["coverage80"] for n, h in log["held_out"].items()},
    }
    now = runtime_coverage(Forecaster.load(folder))
    for name, figures in now.items():
        site = name in log["forecaster"]
        for run in (log["forecaster"], log["ensemble"]["test"]) if site else ():
            run[name]["coverage80"] = figures["coverage80"]
        for held in (log["held_out"], log["ensemble"]["held_out"]) if not site else ():
            target = held[name]["lstm"] if "lstm" in held[name] else held[name]
            target["coverage80"] = figures["coverage80"]
    coverage = [h["lstm"]["coverage80"] for h in log["held_out"].values()]
    log["held_out_summary"] |= {
        "coverage80_min": min(coverage),
        "coverage80_max": max(coverage),
        "coverage80_mean": float(np.mean(coverage)),
    }
    log["interval_calibration"] = INTERVAL_CALIBRATION
    log["test_coverage80"] = {
        "served_calibration": INTERVAL_CALIBRATION["method"],
        "graph": before,
        "served": {name: figures["coverage80"] for name, figures in now.items()},
    }
    log["interval_rescored"] = {
        "command": command,
        "commit": git_commit(),
        "note": "test coverage scored again with the same weights, intervals history-calibrated "
        "as the runtime and the demo serve them; 'before': the graph's own interval",
        "before": before,
    }
    write_json(path, log)
    return log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="write the runtime's test coverage into --model's metrics.json and refresh its card",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.rescore:
        from rnn_site.export.ts_forecaster import refresh_card

        named = "" if args.model == MODEL_DIR else f" --model {args.model}"
        try:
            log = rescore(
                args.model,
                f"python -m rnn_site.experiments.ts_history_calibration --rescore{named}",
            )
        except RescoreError as error:
            parser.exit(2, f"error: {error}\n")
        for name, figures in log["forecaster"].items():
            print(f"{name}: coverage {figures['coverage80']:.3f}")
        for kind, path in refresh_card(args.model).items():
            print(f"{kind:>9}: {path}")
        return 0
    model = Forecaster.load(args.model)
    table = {}
    for name, s, family, stride, kind in forecaster_series():
        table[name] = {"kind": kind} | evaluate_series(model, s, family, stride, model.min_history)
        row = table[name]
        shown = " ".join(f"{c} {row['validation'][c]['coverage']:.3f}" for c in CANDIDATES)
        print(
            f"{name}: validation coverage graph "
            f"{row['validation']['graph']['coverage']:.3f}, {shown}"
        )
    decision = choose(table)
    print(f"chosen {decision['chosen']} adopted {decision['adopted']}: "
          f"{decision['validation_error']}")  # fmt: skip
    elec = electricity(args.model / "ts-forecaster.pt")
    print(f"electricity: chosen {elec['chosen']} adopted {elec['adopted']} {elec['validation']}")
    if args.json:
        write_json(
            args.json,
            {"rule": "rnn_site/experiments/results/ts_history_calibration_rule.md",
             # The page refuses these figures for any other graph or checkpoint (a retrained
             # model): the series are scored on the ONNX graph, electricity on the checkpoint.
             "forecaster_onnx_sha256": sha256_file(args.model / "forecaster.onnx"),
             "checkpoint_sha256": sha256_file(args.model / "ts-forecaster.pt"),
             "series": table, "decision": decision, "electricity": elec},
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
