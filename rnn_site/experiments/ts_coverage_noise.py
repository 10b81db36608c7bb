"""How far a series' 80%-interval test coverage strays by chance alone, on the published weights.

The card asks every reported series (CO₂, Seattle, sunspots, the ten held-out employment
series, electricity) to be covered 75–85% on test. But each coverage is a mean over a few dozen
test origins whose forecasts overlap and whose errors are serially correlated, so even an
interval that is exactly calibrated (80% in expectation) lands outside 75–85% some of the time.
This measures how often, with the served intervals' own inside/outside pattern:

- per series, the 0/1 matrix (test origins × horizon steps) of whether each test value fell in
  the served interval, exactly as the card scores it (`ts_history_calibration.runtime_inside`
  for the forecaster's 13 series, `ts_history_calibration.electricity_intervals` with K =
  `DEMAND_HISTORY_DAYS` for electricity); its mean is the published ``coverage80``;
- a circular moving-block bootstrap over origins (`block_bootstrap`, B = `REPLICATES`,
  seeded): whole rows of the matrix in blocks of consecutive origins, giving the coverage's
  standard error and 90% percentile interval;
- "chance inside if calibrated": the share of replicates *centred* on 0.80 (replicate −
  observed + 0.80) that land within 75–85% as the card counts it (`conformal.in_target`, on the
  value to 3 decimals); their product over the 14 series (the chance that all 14 land inside
  even if every interval were exactly calibrated), their sum (the expected number inside) and
  the chance that no more land inside than on the card (``chance_at_most_observed``). These
  treat the series as independent, which they are not quite (the employment series share a
  business cycle, and one model serves them all).

Block length (`block_length`): a block must hold the dependence between origins. Where origins
are a step apart (CO₂, sunspots, the employment series) the forecasts from origins less than a
horizon apart share target values, so a block spans one horizon of origins (12 months, 11
years). Seattle's origins are a day apart (stride 24 hours) and electricity's are midnights,
with a one-day horizon, so their forecasts do not overlap; but their errors do persist for
days (weather spells), and electricity's interval is rescaled by its previous 7 days' errors.
Both take blocks of 7 days. History calibration reaches further back (a monthly forecast's
interval is rescaled by the errors of the 12 origins before it), so the results also record the
standard error with blocks of twice the chosen length, and of one origin (no dependence), to
show how much the choice matters.

Caveats: the bootstrap resamples the served model's own pattern of hits and misses, so it
measures the spread under *that* dependence, not a model-free one; with 30 sunspot origins in
blocks of 11 there are only three blocks per replicate, so its spread is itself rough. The
bootstrap is circular (`block_bootstrap` says why), so its replicates' mean is the observed
coverage up to resampling noise (recorded as ``bootstrap_mean``).

Eval only (onnxruntime for the forecaster, torch for the demand model), one thread, a few
seconds; needs the ``train`` extra (the held-out series are GPL-3 data)::

    python -m rnn_site.experiments.ts_coverage_noise \\
        --json rnn_site/experiments/results/ts_coverage_noise.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.baselines.conformal import DEMAND_HISTORY_DAYS, LEVEL, TARGET, in_target
from rnn_site.data.electricity import DAY
from rnn_site.experiments.ts_history_calibration import (
    MODEL_DIR,
    electricity_intervals,
    inside,
    runtime_inside,
)
from rnn_site.files import sha256_file, write_json

REPLICATES = 2000
SEED = 0
#: Origins per block where origins are a day apart and forecasts a day long (Seattle,
#: electricity): a week, for weather spells and electricity's 7-day calibration window.
DAILY_BLOCK = 7
#: The published coverage must equal the indicators' mean to this (the same sum, reordered).
TOLERANCE = 1e-12


class CoverageMismatchError(ValueError):
    """Indicators whose mean is not the card's published coverage (a different model or
    scoring than the card's)."""


def block_length(horizon: int, stride: int) -> int:
    """Origins per bootstrap block: a horizon's worth of origins where forecasts overlap
    (``stride`` < ``horizon``), else `DAILY_BLOCK` (origins a day apart, see the docstring)."""
    if stride < horizon:
        return math.ceil(horizon / stride)
    return DAILY_BLOCK


def block_bootstrap(
    inside: np.ndarray, block: int, replicates: int, rng: np.random.Generator
) -> np.ndarray:
    """Coverage of ``replicates`` moving-block resamples of the rows of ``inside`` (origins,
    steps): each draws ⌈n / block⌉ blocks of ``block`` consecutive origins, starting at any
    origin and wrapping past the last to the first (circular), joins them and keeps the first
    n origins. Returns (replicates,).

    Circular, because the plain moving-block bootstrap (blocks only where a whole one fits)
    draws the first and last block − 1 origins less often than the rest: with 46 origins in
    blocks of 12 that is nearly half of them, and on the published model its replicates of
    one employment series centred two standard errors below the observed coverage. Wrapping
    gives every origin the same weight, so the replicates' mean is the observed coverage (at
    the price of blocks that join the last origins to the first)."""
    rows = np.asarray(inside, dtype=np.float64)
    if rows.ndim != 2 or not rows.size:
        raise ValueError(f"inside must be a non-empty (origins, steps) matrix, got {rows.shape}")
    n = rows.shape[0]
    if not 1 <= block <= n:
        raise ValueError(f"block length {block} must be between 1 and the {n} origins")
    per_origin = rows.mean(axis=1)  # every origin has the same steps: coverage = their mean
    count = math.ceil(n / block)
    starts = rng.integers(0, n, size=(replicates, count))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(replicates, -1)[:, :n]
    index %= n
    return per_origin[index].mean(axis=1)


def chance_inside(replicates: np.ndarray, observed: float, level: float = LEVEL) -> float:
    """Share of the replicates, centred on ``level`` (replicate − observed + level), that the
    card counts inside 75–85% (`in_target`): the chance a calibrated interval with this
    series' spread lands inside."""
    centred = np.asarray(replicates) - observed + level
    return float(np.mean([in_target(float(c)) for c in centred]))


def count_distribution(chances: list[float]) -> np.ndarray:
    """P(exactly k of the series land inside), k = 0 … len(chances), for independent series
    each inside with its chance (the Poisson-binomial distribution)."""
    dist = np.array([1.0])
    for p in chances:
        dist = np.concatenate([dist * (1 - p), [0.0]]) + np.concatenate([[0.0], dist * p])
    return dist


def summarise(
    inside: np.ndarray, block: int, replicates: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Coverage, bootstrap SE and 90% interval, the chance inside if calibrated, and whether
    0.80 lies in the 90% interval, for one series' indicator matrix (origins, steps)."""
    observed = float(np.mean(inside))
    boot = block_bootstrap(inside, block, replicates, rng)
    low, high = (float(v) for v in np.percentile(boot, [5, 95]))
    return {
        "origins": int(inside.shape[0]),
        "steps": int(inside.shape[1]),
        "block": block,
        "coverage": observed,
        "se": float(np.std(boot, ddof=1)),
        "interval90": [low, high],
        "bootstrap_mean": float(np.mean(boot)),
        "chance_inside": chance_inside(boot, observed),
        "level_in_interval90": bool(low <= LEVEL <= high),
    }


def published_coverage(log: dict[str, Any]) -> dict[str, float]:
    """The card's test ``coverage80`` per reported series, electricity included."""
    coverage = {n: f["coverage80"] for n, f in log["forecaster"].items()}
    coverage |= {n: h["lstm"]["coverage80"] for n, h in log["held_out"].items()}
    coverage["electricity"] = log["electricity"]["lstm"]["coverage80"]
    return coverage


def served_inside(model_dir: Path) -> dict[str, tuple[np.ndarray, int]]:
    """(inside matrix, block length) per reported series, as the card scores its coverage."""
    from rnn_site.runtime.ts_forecaster import Forecaster

    matrices = {
        name: (rows, block_length(s.horizon, stride))
        for name, s, stride, rows in runtime_inside(Forecaster.load(model_dir))
    }
    y, qs = electricity_intervals(model_dir / "ts-forecaster.pt")["test"]
    rows = inside(y, qs[f"pooled K={DEMAND_HISTORY_DAYS}"])
    matrices["electricity"] = (rows, block_length(horizon=DAY, stride=DAY))  # midnights
    return matrices


def check_published(matrices: dict[str, tuple[np.ndarray, int]], log: dict[str, Any]) -> None:
    """CoverageMismatchError unless every matrix's mean is the card's published coverage."""
    published = published_coverage(log)
    if set(published) != set(matrices):
        raise CoverageMismatchError(
            f"series differ: card {sorted(published)}, measured {sorted(matrices)}"
        )
    for name, (rows, _) in matrices.items():
        if abs(float(np.mean(rows)) - published[name]) > TOLERANCE:
            raise CoverageMismatchError(
                f"{name}: indicators give coverage {np.mean(rows)!r}, the card "
                f"{published[name]!r}: not the published model or scoring"
            )


def measure(
    matrices: dict[str, tuple[np.ndarray, int]],
    replicates: int = REPLICATES,
    seed: int = SEED,
) -> dict[str, Any]:
    """Per series `summarise` with the standard error at other block lengths (one generator,
    seeded, drawn in the order of ``matrices``: the card's, site series, held-out, electricity),
    and the all-inside chance, the expected count and the chance of at most the card's."""
    rng = np.random.default_rng(seed)
    series: dict[str, Any] = {}
    for name, (rows, block) in matrices.items():
        series[name] = summary = summarise(rows, block, replicates, rng)
        others = sorted({1, min(2 * block, rows.shape[0])} - {block})
        se = {b: float(np.std(block_bootstrap(rows, b, replicates, rng), ddof=1)) for b in others}
        se[block] = summary["se"]
        summary["se_by_block"] = {str(b): se[b] for b in sorted(se)}
    chances = [s["chance_inside"] for s in series.values()]
    observed = sum(in_target(s["coverage"]) for s in series.values())
    return {
        "replicates": replicates,
        "seed": seed,
        "level": LEVEL,
        "target": list(TARGET),
        "series": series,
        "all_inside_chance": float(np.prod(chances)),
        "expected_inside": float(np.sum(chances)),
        "observed_inside": observed,
        "chance_at_most_observed": float(np.sum(count_distribution(chances)[: observed + 1])),
        "distinguishable": [n for n, s in series.items() if not s["level_in_interval90"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    matrices = served_inside(args.model)
    check_published(matrices, json.loads((args.model / "metrics.json").read_text("utf-8")))
    result = measure(matrices, args.replicates)
    wall = time.perf_counter() - start
    for name, s in result["series"].items():
        low, high = s["interval90"]
        print(
            f"{name:>14}: {s['origins']:3d} origins, block {s['block']:2d}, coverage "
            f"{s['coverage']:.3f}, SE {s['se']:.3f}, 90% [{low:.3f}, {high:.3f}], "
            f"chance inside if calibrated {s['chance_inside']:.3f}"
        )
    print(
        f"all {len(result['series'])} inside if calibrated: {result['all_inside_chance']:.4f}; "
        f"expected inside {result['expected_inside']:.2f}, observed {result['observed_inside']} "
        f"(chance of at most that many {result['chance_at_most_observed']:.3f}); "
        f"{wall:.1f} s"
    )
    if args.json:
        write_json(
            args.json,
            {"command": "python -m rnn_site.experiments.ts_coverage_noise --json " + str(args.json),
             # The page refuses these figures for any other graph or checkpoint (a retrain).
             "forecaster_onnx_sha256": sha256_file(args.model / "forecaster.onnx"),
             "checkpoint_sha256": sha256_file(args.model / "ts-forecaster.pt"),
             "electricity_history_days": DEMAND_HISTORY_DAYS,
             "daily_block": DAILY_BLOCK,
             "wall_time_s": round(wall, 1),
             **result},
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
