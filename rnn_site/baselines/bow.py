"""Bag-of-words logistic regression: the baseline that ignores word order, in plain numpy.

A sentence becomes the *set* of its known words (binary features, so "not good" and "good, not"
are the same point); a logistic regression learns one weight per word. It is what an LSTM must
beat to show that reading in order pays. No scikit-learn: full-batch gradient descent (Adam) on
the mean log-loss plus an L2 penalty, with the sparse products done by index arithmetic.

Also here: :func:`classification_scores`, the accuracy and macro-F1 every sentiment model and
baseline is reported with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def classification_scores(
    labels: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray
) -> dict[str, float]:
    """Accuracy and macro-F1 (mean F1 of both classes) of binary predictions."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(predicted, dtype=np.int64)
    f1s = []
    for cls in (0, 1):
        tp = np.sum((p == cls) & (y == cls))
        fp = np.sum((p == cls) & (y != cls))
        fn = np.sum((p != cls) & (y == cls))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return {"accuracy": float(np.mean(y == p)), "macro_f1": float(np.mean(f1s))}


def _sparse(ids: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of distinct word ids (unknown id 1 and padding 0 dropped) → (row index, column)."""
    rows, cols = [], []
    for r, seq in enumerate(ids):
        unique = np.unique(seq[seq > 1])
        rows.append(np.full(len(unique), r, dtype=np.int64))
        cols.append(unique)
    return np.concatenate(rows), np.concatenate(cols)


@dataclass
class BagOfWords:
    """Logistic regression on binary word indicators. weights: (vocab,), bias: scalar."""

    weights: np.ndarray
    bias: float

    @classmethod
    def fit(
        cls,
        ids: Sequence[np.ndarray],
        labels: Sequence[int],
        vocab_size: int,
        *,
        l2: float = 1e-4,
        steps: int = 400,
        lr: float = 0.05,
    ) -> BagOfWords:
        """Minimise mean log-loss + l2/2·|w|² with Adam over the whole set (deterministic)."""
        rows, cols = _sparse(ids)
        y = np.asarray(labels, dtype=np.float64)
        n = len(y)
        w = np.zeros(vocab_size)
        b = 0.0
        m, v = np.zeros(vocab_size + 1), np.zeros(vocab_size + 1)
        for t in range(1, steps + 1):
            z = np.bincount(rows, weights=w[cols], minlength=n) + b
            r = 1 / (1 + np.exp(-z)) - y  # d loss / d z
            grad = np.append(np.bincount(cols, weights=r[rows], minlength=vocab_size) / n + l2 * w,
                             r.mean())  # fmt: skip
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            step = lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            w -= step[:-1]
            b -= float(step[-1])
        return cls(w, b)

    def probability(self, ids: Sequence[np.ndarray]) -> np.ndarray:
        """P(positive) for each sentence."""
        rows, cols = _sparse(ids)
        z = np.bincount(rows, weights=self.weights[cols], minlength=len(ids)) + self.bias
        return 1 / (1 + np.exp(-z))

    def predict(self, ids: Sequence[np.ndarray]) -> np.ndarray:
        return (self.probability(ids) > 0.5).astype(np.int64)


def choose_l2(
    train_ids: Sequence[np.ndarray],
    train_labels: Sequence[int],
    val_ids: Sequence[np.ndarray],
    val_labels: Sequence[int],
    vocab_size: int,
    grid: Sequence[float] = (1e-5, 1e-4, 1e-3, 1e-2),
) -> tuple[BagOfWords, float, dict[str, float]]:
    """Fit one model per L2 strength; keep the best on validation macro-F1."""
    results = {}
    best: tuple[float, BagOfWords, float] | None = None
    for l2 in grid:
        model = BagOfWords.fit(train_ids, train_labels, vocab_size, l2=l2)
        f1 = classification_scores(val_labels, model.predict(val_ids))["macro_f1"]
        results[f"{l2:g}"] = f1
        if best is None or f1 > best[0]:
            best = (f1, model, l2)
    assert best is not None
    return best[1], best[2], results
