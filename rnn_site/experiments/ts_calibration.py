"""Per-series conformal calibration of the forecaster's 80% intervals, on the published weights.

The published model widens its intervals per *family* (every monthly series shares one
calibration, pooled over 138 employment series) and covers far less than 80% of test values on
the site and held-out series. This experiment asks whether calibrating each series on its own
validation period does better. Calibrations compared, each per step of the horizon:

- ``published``: the checkpoint's own calibration (a per-family shift when this experiment
  was written; the recipe now chooses among methods, `choose_calibration`);
- ``none``: the raw 10% and 90% quantiles the model was trained to give;
- ``per-series shift``: split conformal on the series' own validation windows, each side moved
  by the 80% quantile of how far targets fell outside (in window units);
- ``per-series ratio``: the same, but both half-widths *scaled* by the 80% quantile of
  |y − median| / half-width (an interval too narrow by a factor is widened by that factor).

Choosing honestly among them: each is fitted on the first half of every series' validation
origins and judged on the second half (mean |coverage − 0.8|); the test coverage of all of them
is then reported (fitted on the whole validation period), the chosen one marked. Eval only, a
couple of minutes on 2 cores; needs the ``train`` extra (the held-out series are GPL-3 data)::

    python -m rnn_site.experiments.ts_calibration \
        --json rnn_site/experiments/results/ts_calibration.json
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnn_site.baselines.forecast import actuals, rolling_origins
from rnn_site.data.timeseries import Series
from rnn_site.files import write_json

LEVEL = 0.8
#: (lower, median, upper) in window units and targets in window units, per origin and step.
Scaled = tuple[np.ndarray, np.ndarray]


def conformal_rank(n: int) -> int:
    """The ⌈(n + 1)·0.8⌉-th smallest score (capped at n): split conformal's quantile."""
    return min(n, math.ceil((n + 1) * LEVEL))


def fit_shift(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-step shift of both sides: the conformal quantile of max(lower − y, y − upper)."""
    scores = np.maximum(q[..., 0] - y, y - q[..., 2])
    return np.sort(scores, axis=0)[conformal_rank(len(q)) - 1]


def fit_ratio(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-step factor on both half-widths: the conformal quantile of |y − median| / half-width."""
    low = np.maximum(q[..., 1] - q[..., 0], 1e-6)
    high = np.maximum(q[..., 2] - q[..., 1], 1e-6)
    scores = np.maximum((q[..., 1] - y) / low, (y - q[..., 1]) / high)
    return np.sort(scores, axis=0)[conformal_rank(len(q)) - 1]


def shifted(q: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds moved out by ``shift`` as the model moves them (a side never crosses the median)."""
    low = np.maximum(q[..., 1] - q[..., 0] + shift, 0)
    high = np.maximum(q[..., 2] - q[..., 1] + shift, 0)
    return q[..., 1] - low, q[..., 1] + high


def scaled_bounds(q: np.ndarray, ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return q[..., 1] - ratio * (q[..., 1] - q[..., 0]), q[..., 1] + ratio * (q[..., 2] - q[..., 1])


def coverage(bounds: tuple[np.ndarray, np.ndarray], y: np.ndarray) -> float:
    return float(np.mean((y >= bounds[0]) & (y <= bounds[1])))


#: name → (fit on validation (q, y, published shift) → parameters, apply (q, parameters) → bounds)
METHODS: dict[str, tuple[Callable[..., Any], Callable[..., tuple[np.ndarray, np.ndarray]]]] = {
    "published": (lambda q, y, pub: pub, shifted),
    "none": (lambda q, y, pub: np.zeros(q.shape[1]), shifted),
    "per-series shift": (lambda q, y, pub: fit_shift(q, y), shifted),
    "per-series ratio": (lambda q, y, pub: fit_ratio(q, y), scaled_bounds),
}


def window_quantiles(model: Any, s: Series, family: int, origins: np.ndarray) -> Scaled:
    """The model's raw quantiles (no calibration) and the targets, both in window units."""
    history = torch.from_numpy(np.stack([s.values[t - s.lookback : t] for t in origins])).float()
    n = len(origins)
    with torch.no_grad():
        q, base, unit = model.forward_scaled(
            history, torch.full((n,), s.norm_scale), torch.full((n,), family)
        )
    target = torch.from_numpy(actuals(s.values, origins, s.horizon)).float()
    y = ((target - base[:, : s.horizon]) / unit[:, None]).numpy()
    return q[:, : s.horizon].numpy(), y


def run(checkpoint: str = "models/ts-forecaster/ts-forecaster.pt") -> dict[str, Any]:
    """Coverage of each calibration on validation (second half) and test, per series."""
    from rnn_site.train.ts_forecaster import (
        FAMILY,
        STRIDES,
        held_out_origins,
        load_data,
        load_forecaster,
        validation_origins,
    )

    torch.set_num_threads(1)
    model, _ = load_forecaster(checkpoint)
    published = model.interval_adjust.clone().numpy()  # type: ignore[operator]
    model.interval_adjust.zero_()  # type: ignore[operator]
    site, _, held = load_data()

    def test_origins(name: str, s: Series) -> np.ndarray:
        return rolling_origins(s, s.val_end, s.values.size, s.horizon, STRIDES[name])

    cases = [(name, s, FAMILY[name], test_origins(name, s)) for name, s in site.items()]
    cases += [(name, s, 0, held_out_origins(s)) for name, s in held.items()]
    rows: dict[str, dict[str, Any]] = {}
    for name, s, family, origins in cases:
        val = window_quantiles(model, s, family, validation_origins(s, 1))
        test = window_quantiles(model, s, family, origins)
        half = len(val[0]) // 2
        pub = published[family][: s.horizon]
        row: dict[str, Any] = {"validation_origins": len(val[0]), "test_origins": len(test[0])}
        for method, (fit, apply) in METHODS.items():
            early = fit(val[0][:half], val[1][:half], pub)
            full = fit(val[0], val[1], pub)
            row[method] = {
                "validation_late": coverage(apply(val[0][half:], early), val[1][half:]),
                "test": coverage(apply(test[0], full), test[1]),
            }
        rows[name] = row
        print(name, {m: round(row[m]["test"], 3) for m in METHODS}, flush=True)

    def summary(part: str) -> dict[str, dict[str, float]]:
        result = {}
        for method in METHODS:
            c = np.array([rows[n][method][part] for n in rows])
            result[method] = {
                "mean": float(c.mean()),
                "mean_abs_error": float(np.abs(c - LEVEL).mean()),
                "in_75_85": int(((c >= 0.75) & (c <= 0.85)).sum()),
                "min": float(c.min()),
                "max": float(c.max()),
            }
        return result

    late, on_test = summary("validation_late"), summary("test")
    chosen = min(METHODS, key=lambda m: late[m]["mean_abs_error"])
    return {
        "checkpoint": checkpoint,
        "series": rows,
        "summary": {"validation_late": late, "test": on_test},
        "chosen_on_validation": chosen,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--checkpoint", default="models/ts-forecaster/ts-forecaster.pt")
    args = parser.parse_args(argv)
    result = run(args.checkpoint)
    for part, table in result["summary"].items():
        for method, figures in table.items():
            print(part, method, {k: round(v, 3) for k, v in figures.items()})
    print("chosen on validation:", result["chosen_on_validation"])
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
