"""Anomaly detection on time series: injected anomalies, two detectors, and their scores.

Real series rarely come with labelled anomalies, so we make our own: copy a held-out part of a
real series and add trouble at seeded random places (labels = the points we changed). The
design (`BENCHMARK`, written down before anything was scored under it in
``rnn_site/experiments/results/ts_anomaly_design.md``):

- sizes are in σ, a robust scale of the series' one-step changes on its training part
  (:func:`robust_unit`), so "3 σ" means the same surprise on CO₂ and on sunspots;
- three kinds of event: a *spike* (one point, 3–6 σ), a *burst* (2 points, 2–4 σ each, each
  its own sign) and a short *level shift* (a quarter of a season, one offset of 2–4 σ);
- about 3% of a part's points are labelled; a short part holds one event, so each part is
  injected into enough seeded *copies* for 90 events, and scores are pooled over the copies.

The previous design (a level shift over 1/8 of the part, a drift over 1/6) labelled about a
third of the points, so flagging every point tied the detectors: a benchmark that cannot rank
them.

Both detectors turn each point into an *anomaly score* and flag scores above a threshold that is
chosen on the validation part (its own injected copies) and then frozen for the test part:

- rolling z-score (the baseline): |y_t − mean| / std over the previous ``window`` values;
- forecast residual (the LSTM): how far y_t lies outside the one-step forecast's interval, in
  units of the interval's half-width on that side, so a score of 1 is the edge of the 80%
  interval.

Scores are pooled point-wise precision, recall and F1, plus the fraction of injected events with
at least one flagged point (overall and per kind). numpy only: the runtime and the site use this
module too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

#: The threshold grid every detector's validation threshold is chosen from.
GRID = tuple(float(k) for k in np.round(np.arange(0.25, 16.01, 0.25), 2))

#: The card's injection: copy j of the validation part is seeded (101, j), of the test part
#: (202, j).
SEEDS: Mapping[str, int] = MappingProxyType({"val": 101, "test": 202})
#: Other injections scored beside it (added after the first test look, deciding nothing): how
#: much do the figures depend on where the events land?
SEED_CHECKS: tuple[Mapping[str, int], ...] = (
    MappingProxyType({"val": 303, "test": 404}),
    MappingProxyType({"val": 505, "test": 606}),
)


def seeds_key(seeds: Mapping[str, int]) -> str:
    """How a log names an injection's seed pair: "303-404"."""
    return f"{seeds['val']}-{seeds['test']}"


#: A detector: scores of the points [start, end) of ``values`` → (end − start,).
Detector = Callable[[np.ndarray, int, int], np.ndarray]


@dataclass(frozen=True)
class Benchmark:
    """The injection's fixed design; sizes in units of :func:`robust_unit`."""

    prevalence: float = 0.03
    min_events: int = 90
    kinds: tuple[str, ...] = ("spike", "burst", "level_shift")
    sizes: tuple[tuple[float, float], ...] = ((3.0, 6.0), (2.0, 4.0), (2.0, 4.0))
    burst_length: int = 2
    #: Clean points kept between events and at the start of a part.
    gap: int = 2

    def lengths(self, period: int) -> dict[str, int]:
        """Each kind's length: a level shift lasts a quarter of a season (at least 2)."""
        return {"spike": 1, "burst": self.burst_length, "level_shift": max(2, period // 4)}

    def events_per_copy(self, n: int, period: int) -> int:
        """Events in one copy of an ``n``-point part: about ``prevalence`` of it, at least 1."""
        mean_length = float(np.mean(list(self.lengths(period).values())))
        return max(1, round(self.prevalence * n / mean_length))

    def copies(self, n: int, period: int) -> int:
        """Copies of the part so that at least ``min_events`` are injected in all."""
        return math.ceil(self.min_events / self.events_per_copy(n, period))


BENCHMARK = Benchmark()


@dataclass(frozen=True)
class Injected:
    """A series with anomalies added: values (n,), labels (n,) bool, events [(kind, start, end)]."""

    values: np.ndarray
    labels: np.ndarray
    events: list[tuple[str, int, int]] = field(default_factory=list)


def robust_unit(train: np.ndarray) -> float:
    """1.4826 × the median absolute deviation of the one-step changes of ``train``: the size
    of an ordinary step (a standard deviation for Gaussian steps), untouched by trend and by a
    few large jumps. Raises ValueError for a series whose steps are (almost all) equal."""
    steps = np.diff(np.asarray(train, dtype=np.float64))
    unit = 1.4826 * float(np.median(np.abs(steps - np.median(steps)))) if steps.size else 0.0
    if not unit > 0:
        raise ValueError("the training part's one-step changes have no spread: no size unit")
    return unit


def inject_copy(
    values: np.ndarray,
    start: int,
    end: int,
    unit: float,
    period: int,
    seed: tuple[int, int],
    first_kind: int = 0,
    benchmark: Benchmark = BENCHMARK,
) -> Injected:
    """One copy of ``values`` with ``benchmark.events_per_copy`` events inside [start, end).

    Kinds are taken in turn from ``benchmark.kinds[first_kind]``; events do not overlap and
    keep ``gap`` clean points between them and after ``start``. ``seed`` seeds numpy's
    generator (part seed, copy number).
    """
    rng = np.random.default_rng(seed)
    out = np.array(values, dtype=np.float64, copy=True)
    labels = np.zeros(out.size, dtype=bool)
    lengths = benchmark.lengths(period)
    gap, events = benchmark.gap, []
    for e in range(benchmark.events_per_copy(end - start, period)):
        k = (first_kind + e) % len(benchmark.kinds)
        kind, length = benchmark.kinds[k], lengths[benchmark.kinds[k]]
        for _ in range(1000):
            s = int(rng.integers(start + gap, end - length + 1))
            if not labels[max(start, s - gap) : s + length + gap].any():
                break
        else:
            raise ValueError(f"no room for a {kind} of length {length} in [{start}, {end})")
        low, high = benchmark.sizes[k]
        # A burst's points each take their own sign; a spike or shift has one offset.
        signs = rng.choice([-1.0, 1.0], size=length if kind == "burst" else 1)
        sizes = rng.uniform(low, high, size=length if kind == "burst" else 1)
        out[s : s + length] += signs * sizes * unit
        labels[s : s + length] = True
        events.append((kind, s, s + length))
    return Injected(out, labels, sorted(events, key=lambda ev: ev[1]))


def inject_part(
    values: np.ndarray,
    start: int,
    end: int,
    unit: float,
    period: int,
    seed: int,
    benchmark: Benchmark = BENCHMARK,
) -> list[Injected]:
    """The part [start, end)'s injected copies (``benchmark.copies`` of them, seeds (seed, j)),
    kinds continuing in turn from one copy to the next."""
    per_copy = benchmark.events_per_copy(end - start, period)
    return [
        inject_copy(values, start, end, unit, period, (seed, j), j * per_copy, benchmark)
        for j in range(benchmark.copies(end - start, period))
    ]


def rolling_zscore(values: np.ndarray, window: int) -> np.ndarray:
    """|y_t − mean(y[t−window:t])| / std(y[t−window:t]), NaN for the first ``window`` points.

    values: (n,) → (n,). A flat window (std 0) gives +inf for any change, 0 for none.
    """
    values = np.asarray(values, dtype=np.float64)
    scores = np.full(values.size, np.nan)
    if values.size <= window:
        return scores
    windows = np.lib.stride_tricks.sliding_window_view(values[:-1], window)
    mean, std = windows.mean(axis=1), windows.std(axis=1)
    change = np.abs(values[window:] - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores[window:] = np.where(
            std > 0, change / np.where(std > 0, std, 1.0), np.where(change > 0, np.inf, 0.0)
        )
    return scores


def seasonal_zscore(values: np.ndarray, period: int, window: int | None = None) -> np.ndarray:
    """The rolling z-score of the seasonal changes y_t − y_{t−period}, over the previous
    ``window`` of them (default: one season, ``period``): a baseline that knows the season
    (added after v2's first test look).

    values: (n,) → (n,), NaN for the first ``period`` + ``window`` points.
    """
    values = np.asarray(values, dtype=np.float64)
    changes = np.full(values.size, np.nan)
    changes[period:] = values[period:] - values[:-period]
    scores = np.full(values.size, np.nan)
    if values.size > period:
        scores[period:] = rolling_zscore(changes[period:], window or period)
    return scores


def interval_score(
    y: np.ndarray, lower: np.ndarray, median: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """How far each y lies from the median, in half-widths of the interval on its side.

    All arrays (n,). 1 = on the interval's edge; > 1 = outside. A zero half-width counts as
    a tiny one (1e-9) so the score stays finite.
    """
    above = (y - median) / np.maximum(upper - median, 1e-9)
    below = (median - y) / np.maximum(median - lower, 1e-9)
    return np.where(y >= median, above, below)


def precision_recall_f1(flags: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Point-wise precision, recall and F1 (0 where undefined)."""
    flags, labels = np.asarray(flags, bool), np.asarray(labels, bool)
    tp = int((flags & labels).sum())
    precision = tp / max(int(flags.sum()), 1)
    recall = tp / max(int(labels.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def event_recall(flags: np.ndarray, events: Sequence[tuple[str, int, int]]) -> float:
    """Fraction of events with at least one flagged point inside them."""
    if not events:
        return 0.0
    return sum(bool(np.any(flags[s:e])) for _, s, e in events) / len(events)


def choose_threshold(
    scores: np.ndarray, labels: np.ndarray, thresholds: Sequence[float] = GRID
) -> float:
    """The threshold with the best F1 on (validation) scores; ties → the larger threshold.

    NaN scores (no history yet) are never flagged.
    """
    scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf)
    best, best_f1 = thresholds[-1], -1.0
    for k in sorted(thresholds, reverse=True):
        f1 = precision_recall_f1(scores > k, labels)["f1"]
        if f1 > best_f1:
            best, best_f1 = k, f1
    return float(best)


def evaluate_detector(
    scores: np.ndarray, labels: np.ndarray, events: Sequence[tuple[str, int, int]], threshold: float
) -> dict[str, float | dict[str, float]]:
    """Precision, recall, F1, event recall (overall and per kind) and the threshold used."""
    flags = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf) > threshold
    kinds = dict.fromkeys(kind for kind, _, _ in events)
    return {
        **precision_recall_f1(flags, labels),
        "event_recall": event_recall(flags, events),
        "event_recall_by_kind": {
            kind: event_recall(flags, [e for e in events if e[0] == kind]) for kind in kinds
        },
        "threshold": float(threshold),
    }


@dataclass(frozen=True)
class Pooled:
    """One part's scores over all its injected copies, end to end: scores and labels
    (copies × n,), events with positions in that concatenation."""

    scores: np.ndarray
    labels: np.ndarray
    events: list[tuple[str, int, int]]


def pooled(detector: Detector, copies: Sequence[Injected], start: int, end: int) -> Pooled:
    """Score every copy's points [start, end) with ``detector`` and pool them."""
    n = end - start
    return Pooled(
        np.concatenate([detector(c.values, start, end) for c in copies]),
        np.concatenate([c.labels[start:end] for c in copies]),
        [
            (k, j * n + s - start, j * n + e - start)
            for j, c in enumerate(copies)
            for k, s, e in c.events
        ],
    )


def flag_all(values: np.ndarray, start: int, end: int) -> np.ndarray:
    """The sanity floor: every point scores +inf, so every threshold flags it."""
    return np.full(end - start, np.inf)


def score_benchmark(
    detectors: Mapping[str, Detector],
    parts: Mapping[str, tuple[int, int]],
    injected: Mapping[str, Sequence[Injected]],
    grid: Sequence[float] = GRID,
    test: Collection[str] | None = None,
) -> dict[str, dict[str, dict[str, float | dict[str, float]]]]:
    """Each detector's threshold chosen on the pooled "val" copies, then frozen for "test" →
    {"validation": {name: row}, "test": {name: row}} (rows of :func:`evaluate_detector`).
    ``test`` names the detectors scored on test (default: all; an experiment scores only the
    ones its rule chose)."""
    result: dict[str, dict[str, dict[str, float | dict[str, float]]]] = {
        "validation": {},
        "test": {},
    }
    for name, detector in detectors.items():
        val = pooled(detector, injected["val"], *parts["val"])
        threshold = choose_threshold(val.scores, val.labels, grid)
        result["validation"][name] = evaluate_detector(
            val.scores, val.labels, val.events, threshold
        )
        if test is None or name in test:
            part = pooled(detector, injected["test"], *parts["test"])
            result["test"][name] = evaluate_detector(
                part.scores, part.labels, part.events, threshold
            )
    return result
