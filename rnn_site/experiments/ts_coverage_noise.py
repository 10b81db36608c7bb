"""How far a series' 80%-interval test coverage strays by chance alone, on the published weights.

The card asks every reported series (CO₂, Seattle, sunspots, the ten held-out employment
series, electricity) to be covered 75–85% on test. But each coverage is a mean over a few dozen
test origins whose forecasts overlap and whose errors are serially correlated, so even an
interval that is exactly calibrated (80% in expectation) lands outside 75–85% some of the time.
This measures how often, with the served intervals' own hit/miss pattern:

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
  business cycle, and one model serves them all);
- how far to trust that spread (`simulate`): synthetic, exactly calibrated series of the same
  origins, steps and block, bootstrapped the same way, whose true standard error is known
  from many draws (``simulation`` in the results).

Block length (`block_length`): a block must hold the dependence between origins. Where origins
are a step apart (CO₂, sunspots, the employment series) the forecasts from origins less than a
horizon apart share target values, so a block spans one horizon of origins (12 months, 11
years). Seattle's origins are a day apart (stride 24 hours) and electricity's are midnights,
with a one-day horizon, so their forecasts do not overlap; but their errors do persist for
days (weather spells), and electricity's interval is rescaled by its previous 7 days' errors.
Both take blocks of `DAILY_BLOCK` days, passed explicitly: a series whose origins are neither
within a horizon nor a day apart has no block until one is chosen for it. History calibration
reaches further back (a monthly forecast's interval is rescaled by the errors of the 12 origins
before it), so the results also record the standard error with a longer block, and with blocks
of one origin (no dependence), to show how much the choice matters (`other_blocks`).

Caveats:

- the bootstrap resamples the served model's own pattern of hits and misses, so it measures
  the spread under *that* dependence, not a model-free one;
- centring moves the replicates but keeps their spread, which carries the served interval's own
  p(1 − p): an exactly calibrated interval's would be p = 0.80's, so where the coverage is far
  from 0.80 its spread would differ (as a binomial one scales, about 1.28× as wide for a
  coverage of 0.889, about 0.88× for 0.710);
- with so few blocks per replicate (30 sunspot origins in blocks of 11 make three) and strongly
  dependent origins, a block bootstrap's standard error comes out too small: the spreads are
  too narrow, so each chance inside if calibrated, their product and their sum are upper
  bounds, the chance of at most the card's count a lower bound, and 0.80 falls outside a
  calibrated series' 90% interval more often than one time in ten. `simulate` measures by how
  much on series of the same size;
- the bootstrap is circular (`block_bootstrap` says why), so its replicates' mean is the
  observed coverage up to resampling noise (recorded as ``bootstrap_mean``).

Eval only (onnxruntime for the forecaster, torch for the demand model), one thread, seconds;
needs the ``train`` extra (the held-out series are GPL-3 data). Importing the module needs
neither (the site build reads `published_coverage` and `TOLERANCE`)::

    python -m rnn_site.experiments.ts_coverage_noise \\
        --json rnn_site/experiments/results/ts_coverage_noise.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from rnn_site.baselines.conformal import DEMAND_HISTORY_DAYS, LEVEL, TARGET, in_target
from rnn_site.data.electricity import DAY
from rnn_site.files import sha256_file, write_json

if TYPE_CHECKING:
    from rnn_site.data.timeseries import Series

REPLICATES = 2000
SEED = 0
#: Origins per block where origins are a day apart and forecasts a day long (Seattle,
#: electricity): a week, for weather spells and electricity's 7-day calibration window.
DAILY_BLOCK = 7
#: Values per day by a series' ``freq``: origins this many values apart are a day apart.
PER_DAY = {"hour": 24}
#: The longest block besides the chosen one, as a share of the origins (`other_blocks`).
LONGEST_BLOCK_SHARE = 1 / 3
#: A published coverage and the indicators' mean agree to this (the same sum, reordered).
TOLERANCE = 1e-12
#: The synthetic series of `simulate`: how many per shape, and bootstrap replicates of each.
SIM_SERIES = 2000
SIM_REPLICATES = 500
#: The latent AR(1) model's coefficient from one origin to the next, and the share of each
#: error's variance that the origin's latent state carries (the rest is independent per value).
SIM_PHI = 0.8
SIM_SHARED = 0.5
SIM_MODELS = ("independent", "latent AR(1)", "overlapping horizons")


class Hits(NamedTuple):
    """One series' hits as the card scores them: ``rows`` (test origins, horizon steps) says
    whether each test value fell in the served interval; ``block`` is its bootstrap block
    (`block_length`) and ``stride`` how many values apart its origins are (a step is a value)."""

    rows: np.ndarray
    block: int
    stride: int


class CoverageMismatchError(ValueError):
    """Indicators whose mean is not the card's published coverage (a different model or
    scoring than the card's)."""


def block_length(horizon: int, stride: int, daily_block: int | None = None) -> int:
    """Origins per bootstrap block: a horizon's worth of origins where forecasts overlap
    (``stride`` < ``horizon``); else ``daily_block``, which the caller passes only for origins a
    day apart (see the module docstring). ValueError for other non-overlapping origins (a weekly
    series, say), whose block nobody has chosen: seven of them would be seven weeks."""
    if stride < horizon:
        return math.ceil(horizon / stride)
    if daily_block is None:
        raise ValueError(
            f"origins {stride} values apart do not overlap a horizon of {horizon}: pass "
            "daily_block if they are a day apart; other strides need a block chosen for them"
        )
    return daily_block


def other_blocks(block: int, origins: int) -> list[int]:
    """Block lengths to compare with the chosen ``block``: one origin, and twice the block
    capped at a third of the ``origins`` (dropped where that is not longer than ``block``).

    The cap keeps at least three blocks per replicate: with a block as long as the series every
    replicate is the series rotated, with the same coverage, so the standard error shrinks
    towards nothing as the block grows past half the series (blocks of 24 of the 46 employment
    origins gave standard errors up to half those with blocks of 12), which would read as a
    smaller spread, not a longer dependence."""
    longer = min(2 * block, int(origins * LONGEST_BLOCK_SHARE))
    return ([1] if block > 1 else []) + ([longer] if longer > block else [])


def block_bootstrap(
    hits: np.ndarray, block: int, replicates: int, rng: np.random.Generator
) -> np.ndarray:
    """Coverage of ``replicates`` moving-block resamples of the rows of ``hits`` (origins,
    steps): each draws ⌈n / block⌉ blocks of ``block`` consecutive origins, starting at any
    origin and wrapping past the last to the first (circular), joins them and keeps the first
    n origins. Returns (replicates,).

    Circular, because the plain moving-block bootstrap (blocks only where a whole one fits)
    draws the first and last block − 1 origins less often than the rest: with 46 origins in
    blocks of 12 that is nearly half of them, and on the published model its replicates of
    one employment series centred two standard errors below the observed coverage. Wrapping
    gives every origin the same weight, so the replicates' mean is the observed coverage (at
    the price of blocks that join the last origins to the first)."""
    rows = np.asarray(hits, dtype=np.float64)
    if rows.ndim != 2 or not rows.size:
        raise ValueError(f"hits must be a non-empty (origins, steps) matrix, got {rows.shape}")
    n = rows.shape[0]
    if not 1 <= block <= n:
        raise ValueError(f"block length {block} must be between 1 and the {n} origins")
    per_origin = rows.mean(axis=1)  # every origin has the same steps: coverage = their mean
    count = math.ceil(n / block)
    starts = rng.integers(0, n, size=(replicates, count))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(replicates, -1)[:, :n]
    index %= n
    return per_origin[index].mean(axis=1)


def lag1_autocorrelation(hits: np.ndarray) -> np.ndarray:
    """Correlation between neighbouring origins' coverage (the mean of each row of ``hits``,
    (…, origins, steps)): how alike consecutive origins are; NaN where it is constant."""
    per_origin = np.asarray(hits, dtype=np.float64).mean(axis=-1)
    centred = per_origin - per_origin.mean(axis=-1, keepdims=True)
    now, after = centred[..., :-1], centred[..., 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(now * after, axis=-1) / np.sqrt(
            np.sum(now**2, axis=-1) * np.sum(after**2, axis=-1)
        )


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
    hits: np.ndarray, block: int, replicates: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Coverage, bootstrap SE and 90% interval, the chance inside if calibrated, and whether
    0.80 lies in the 90% interval, for one series' hit matrix (origins, steps)."""
    observed = float(np.mean(hits))
    boot = block_bootstrap(hits, block, replicates, rng)
    low, high = (float(v) for v in np.percentile(boot, [5, 95]))
    return {
        "origins": int(hits.shape[0]),
        "steps": int(hits.shape[1]),
        "block": block,
        "coverage": observed,
        "se": float(np.std(boot, ddof=1)),
        "interval90": [low, high],
        "bootstrap_mean": float(np.mean(boot)),
        "chance_inside": chance_inside(boot, observed),
        "level_in_interval90": bool(low <= LEVEL <= high),
        "lag1_autocorrelation": float(lag1_autocorrelation(hits)),
    }


def published_coverage(log: dict[str, Any]) -> dict[str, float]:
    """The card's test ``coverage80`` per reported series, in the card's order: site series,
    held-out, electricity (where the log has it)."""
    coverage = {n: f["coverage80"] for n, f in log["forecaster"].items()}
    coverage |= {n: h["lstm"]["coverage80"] for n, h in log["held_out"].items()}
    if log.get("electricity"):
        coverage["electricity"] = log["electricity"]["lstm"]["coverage80"]
    return coverage


def series_block(s: Series, stride: int) -> int:
    """`block_length` of a forecaster series: `DAILY_BLOCK` only where its origins are a day
    apart (Seattle: 24 hourly values)."""
    daily = PER_DAY.get(s.freq) == stride
    return block_length(s.horizon, stride, DAILY_BLOCK if daily else None)


def served_hits(model_dir: Path) -> dict[str, Hits]:
    """`Hits` per reported series, as the card scores its coverage."""
    from rnn_site.experiments.ts_history_calibration import (
        electricity_intervals,
        inside,
        runtime_inside,
    )
    from rnn_site.runtime.ts_forecaster import Forecaster

    matrices = {
        name: Hits(rows, series_block(s, stride), stride)
        for name, s, stride, rows in runtime_inside(Forecaster.load(model_dir))
    }
    y, qs = electricity_intervals(model_dir / "ts-forecaster.pt")["test"]
    rows = inside(y, qs[f"pooled K={DEMAND_HISTORY_DAYS}"])
    # Midnights: a day apart, forecasting one day.
    matrices["electricity"] = Hits(rows, block_length(DAY, DAY, daily_block=DAILY_BLOCK), DAY)
    return matrices


def check_published(matrices: dict[str, Hits], log: dict[str, Any]) -> None:
    """CoverageMismatchError unless every matrix's mean is the card's published coverage."""
    published = published_coverage(log)
    if set(published) != set(matrices):
        raise CoverageMismatchError(
            f"series differ: card {sorted(published)}, measured {sorted(matrices)}"
        )
    for name, (rows, *_) in matrices.items():
        if abs(float(np.mean(rows)) - published[name]) > TOLERANCE:
            raise CoverageMismatchError(
                f"{name}: indicators give coverage {np.mean(rows)!r}, the card "
                f"{published[name]!r}: not the published model or scoring"
            )


def measure(
    matrices: dict[str, Hits],
    replicates: int = REPLICATES,
    seed: int = SEED,
) -> dict[str, Any]:
    """Per series `summarise` with the standard error at `other_blocks` (one generator,
    seeded, drawn in the order of ``matrices``: the card's, site series, held-out, electricity),
    and the all-inside chance, the expected count and the chance of at most the card's."""
    rng = np.random.default_rng(seed)
    series: dict[str, Any] = {}
    for name, (rows, block, stride) in matrices.items():
        series[name] = summary = summarise(rows, block, replicates, rng)
        summary["stride"] = stride
        se = {
            b: float(np.std(block_bootstrap(rows, b, replicates, rng), ddof=1))
            for b in other_blocks(block, rows.shape[0])
        }
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


class Shape(NamedTuple):
    """What a synthetic series copies from a real one (`Hits`, `simulate`)."""

    origins: int
    steps: int
    stride: int
    block: int


def synthetic_hits(model: str, shape: Shape, count: int, rng: np.random.Generator) -> np.ndarray:
    """Hits (count, origins, steps) of exactly calibrated 80% intervals: each value is inside
    when its standard normal error lies within ±z (z the 90% quantile), so with probability
    `LEVEL`.

    - ``"independent"``: every error independent;
    - ``"latent AR(1)"``: each origin has a latent state, AR(1) with coefficient `SIM_PHI` from
      one origin to the next, that carries `SIM_SHARED` of the variance of all its steps' errors
      (a spell of bad forecasts);
    - ``"overlapping horizons"``: a random walk forecast by its last value, origins ``stride``
      values apart; step k's error sums the k shocks after the origin (scaled to unit
      variance), so origins within a horizon share shocks as forecasts share target values."""
    if model not in SIM_MODELS:
        raise ValueError(f"unknown model {model!r}; one of {SIM_MODELS}")
    origins, steps, stride = shape.origins, shape.steps, shape.stride
    z = NormalDist().inv_cdf((1 + LEVEL) / 2)
    if model == "overlapping horizons":
        shocks = rng.standard_normal((count, (origins - 1) * stride + steps))
        walk = np.concatenate([np.zeros((count, 1)), np.cumsum(shocks, axis=1)], axis=1)
        at = np.arange(origins)[:, None] * stride
        k = np.arange(1, steps + 1)[None, :]
        errors = (walk[:, at + k] - walk[:, at]) / np.sqrt(k)
    else:
        errors = rng.standard_normal((count, origins, steps))
    if model == "latent AR(1)":
        shocks = rng.standard_normal((count, origins))
        latent = np.empty((count, origins))
        latent[:, 0] = shocks[:, 0]  # stationary: unit variance from the first origin
        for t in range(1, origins):
            latent[:, t] = SIM_PHI * latent[:, t - 1] + math.sqrt(1 - SIM_PHI**2) * shocks[:, t]
        errors = math.sqrt(SIM_SHARED) * latent[..., None] + math.sqrt(1 - SIM_SHARED) * errors
    return np.abs(errors) <= z


def simulate(
    shapes: list[Shape],
    count: int = SIM_SERIES,
    replicates: int = SIM_REPLICATES,
    seed: int = SEED,
) -> dict[str, Any]:
    """How the block bootstrap's spread compares with the true one, per `Shape` of ``shapes``
    and per synthetic model (`synthetic_hits`): ``count`` calibrated series, each bootstrapped
    like a real one. ``se_ratio`` is their mean bootstrap SE over the standard deviation of
    their coverages (the true SE; 1 if the bootstrap were right), ``level_outside_interval90``
    the share whose 90% interval leaves out 0.80 (0.10 if right). Overlapping horizons only
    where forecasts overlap (``stride`` < ``steps``): elsewhere they are independent origins."""
    rng = np.random.default_rng(seed)
    runs = []
    for shape in shapes:
        for model in SIM_MODELS:
            if model == "overlapping horizons" and shape.stride >= shape.steps:
                continue
            hits = synthetic_hits(model, shape, count, rng)
            boots = np.stack([block_bootstrap(h, shape.block, replicates, rng) for h in hits])
            low, high = np.percentile(boots, [5, 95], axis=1)
            true_se = float(np.std(hits.mean(axis=(1, 2)), ddof=1))
            bootstrap_se = float(np.mean(np.std(boots, axis=1, ddof=1)))
            runs.append({
                **shape._asdict(),
                "model": model,
                "true_se": true_se,
                "bootstrap_se": bootstrap_se,
                "se_ratio": bootstrap_se / true_se,
                "level_outside_interval90": float(np.mean((low > LEVEL) | (high < LEVEL))),
                "lag1_autocorrelation": float(np.nanmean(lag1_autocorrelation(hits))),
            })  # fmt: skip
    return {
        "series": count,
        "replicates": replicates,
        "seed": seed,
        "phi": SIM_PHI,
        "shared": SIM_SHARED,
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    from rnn_site.experiments.ts_history_calibration import MODEL_DIR

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    matrices = served_hits(args.model)
    check_published(matrices, json.loads((args.model / "metrics.json").read_text("utf-8")))
    result = measure(matrices, args.replicates)
    shapes = sorted({Shape(s["origins"], s["steps"], s["stride"], s["block"])
                     for s in result["series"].values()})  # fmt: skip
    simulation = simulate(shapes)
    wall = time.perf_counter() - start
    for name, s in result["series"].items():
        low, high = s["interval90"]
        print(
            f"{name:>14}: {s['origins']:3d} origins, block {s['block']:2d}, coverage "
            f"{s['coverage']:.3f}, SE {s['se']:.3f}, 90% [{low:.3f}, {high:.3f}], "
            f"chance inside if calibrated {s['chance_inside']:.3f}, lag-1 autocorrelation "
            f"{s['lag1_autocorrelation']:.2f}, SE by block {s['se_by_block']}"
        )
    print(
        f"all {len(result['series'])} inside if calibrated: {result['all_inside_chance']:.4f}; "
        f"expected inside {result['expected_inside']:.2f}, observed {result['observed_inside']} "
        f"(chance of at most that many {result['chance_at_most_observed']:.3f})"
    )
    for run in simulation["runs"]:
        print(
            f"synthetic {run['model']:>20}, {run['origins']:3d}×{run['steps']:2d} in blocks of "
            f"{run['block']:2d}: bootstrap SE / true SE {run['se_ratio']:.2f}, 0.80 outside "
            f"the 90% interval {run['level_outside_interval90']:.2f}, lag-1 autocorrelation "
            f"{run['lag1_autocorrelation']:.2f}"
        )
    print(f"{wall:.1f} s")
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
             **result,
             "simulation": simulation},
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
