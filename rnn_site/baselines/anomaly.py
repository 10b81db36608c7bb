"""Anomaly detection on time series: injected anomalies, two detectors, and their scores.

Real series rarely come with labelled anomalies, so we make our own: copy a held-out part of a
real series and add three kinds of trouble at seeded random places (labels = the points we
changed):

- spikes: one value off by 0.3–0.6 standard deviations of the training part (either sign);
- a level shift: a segment moved up or down by 0.3 standard deviations;
- a drift: a segment whose offset grows linearly to 0.4 standard deviations.

Both detectors turn each point into an *anomaly score* and flag scores above a threshold that is
chosen on the validation part (with its own injected anomalies) and then frozen for the test:

- rolling z-score (the baseline): |y_t − mean| / std over the previous ``window`` values;
- forecast residual (the LSTM): how far y_t lies outside the one-step forecast's interval, in
  units of the interval's half-width on that side, so a score of 1 is the edge of the 80%
  interval.

Scores are point-wise precision, recall and F1, plus the fraction of injected events with at
least one flagged point (a detector that reacts only to the start of a level shift still "finds"
it). numpy only: the runtime and the site use this module too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

THRESHOLDS = tuple(float(k) for k in np.round(np.arange(0.5, 8.01, 0.25), 2))


@dataclass(frozen=True)
class Injected:
    """A series with anomalies added: values (n,), labels (n,) bool, events [(kind, start, end)]."""

    values: np.ndarray
    labels: np.ndarray
    events: list[tuple[str, int, int]] = field(default_factory=list)


def inject_anomalies(
    values: np.ndarray, start: int, end: int, unit: float, seed: int, spikes: int = 3
) -> Injected:
    """Copy ``values`` and add spikes, one level shift and one drift inside [start, end).

    ``unit`` is the size unit (the training part's standard deviation). Segments do not
    overlap one another; their lengths scale with the part (a level shift covers 1/8 of it,
    a drift 1/6), so the short sunspot test period gets short segments.
    """
    rng = np.random.default_rng(seed)
    out = np.array(values, dtype=np.float64, copy=True)
    labels = np.zeros(out.size, dtype=bool)
    n = end - start
    lengths = [("level_shift", max(3, n // 8)), ("drift", max(4, n // 6))]
    lengths += [("spike", 1)] * spikes
    events: list[tuple[str, int, int]] = []
    taken = np.zeros(out.size, dtype=bool)
    for kind, length in lengths:
        for _ in range(1000):
            s = int(rng.integers(start + 2, end - length + 1))
            # Keep a gap of 2 around each event so events stay distinguishable.
            if not taken[max(start, s - 2) : s + length + 2].any():
                break
        else:
            raise ValueError(f"no room for a {kind} of length {length} in [{start}, {end})")
        taken[s : s + length] = True
        sign = 1.0 if rng.random() < 0.5 else -1.0
        if kind == "spike":
            offset = np.array([sign * rng.uniform(0.3, 0.6) * unit])
        elif kind == "level_shift":
            offset = np.full(length, sign * 0.3 * unit)
        else:
            offset = sign * 0.4 * unit * np.arange(1, length + 1) / length
        out[s : s + length] += offset
        labels[s : s + length] = True
        events.append((kind, s, s + length))
    return Injected(out, labels, sorted(events, key=lambda e: e[1]))


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
    scores: np.ndarray, labels: np.ndarray, thresholds: Sequence[float] = THRESHOLDS
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
) -> dict[str, float]:
    """Precision, recall, F1, event recall and the threshold used, for one part."""
    flags = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf) > threshold
    return {
        **precision_recall_f1(flags, labels),
        "event_recall": event_recall(flags, events),
        "threshold": float(threshold),
    }
