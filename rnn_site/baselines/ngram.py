"""Character n-gram language model with interpolated Kneser-Ney smoothing.

The baseline every character model must beat: it "remembers" the last ``order - 1``
characters and nothing else. Interpolated Kneser-Ney (Chen & Goodman 1998) mixes each order
with the one below it:

    P_k(w | h) = max(c(hw) - D_k, 0) / c(h.) + D_k * N1+(h.) / c(h.) * P_{k-1}(w | h')

where ``h'`` drops the oldest character of ``h``, ``c(h.)`` sums the counts of ``h``
followed by anything and ``N1+(h.)`` is how many different characters followed ``h``.
The highest order counts occurrences; lower orders count *continuations* (in how many
different left contexts ``hw`` appeared), which is what makes Kneser-Ney better than plain
absolute discounting. Below order 1 sits the uniform distribution over the vocabulary, so
every character keeps a non-zero probability and each distribution sums to exactly 1.

Everything is vectorised with NumPy: an n-gram is one int64 (its characters as digits in
base ``len(vocab)``), counting is ``np.unique`` and look-ups are ``np.searchsorted``. Fitting
4 MB at order 8 takes a few seconds and scoring 1 MB about one second per order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

_FALLBACK_DISCOUNT = 0.75  # Chen & Goodman's usual value, used when n1/n2 statistics are missing


@dataclass(frozen=True)
class _Counts:
    """Counts of the k-grams of one level, with totals and type counts per context.

    ``ids`` are sorted unique k-gram ids; ``ctx_ids`` sorted unique context ids
    (``id // V``); ``ctx_total[j]`` sums the counts of k-grams with context ``ctx_ids[j]``
    and ``ctx_types[j]`` counts how many different k-grams have that context.
    """

    ids: np.ndarray
    counts: np.ndarray
    ctx_ids: np.ndarray
    ctx_total: np.ndarray
    ctx_types: np.ndarray
    discount: float
    vocab_size: int

    @classmethod
    def from_counts(cls, ids: np.ndarray, counts: np.ndarray, vocab_size: int) -> _Counts:
        ctx = ids // vocab_size  # sorted because ids are
        starts = (
            np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]]) if len(ctx) else np.zeros(0, np.int64)
        )
        n1 = int(np.sum(counts == 1))
        n2 = int(np.sum(counts == 2))
        discount = n1 / (n1 + 2 * n2) if n1 > 0 and n2 > 0 else _FALLBACK_DISCOUNT
        return cls(
            ids=ids,
            counts=counts.astype(np.float64),
            ctx_ids=ctx[starts],
            ctx_total=np.add.reduceat(counts, starts).astype(np.float64)
            if len(ctx)
            else np.zeros(0),
            ctx_types=np.diff(np.r_[starts, len(ctx)]).astype(np.float64),
            discount=discount,
            vocab_size=vocab_size,
        )

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per k-gram id: (its count, its context's total, its context's types); 0 if unseen."""
        count = _gather(self.ids, self.counts, keys)
        ctx = keys // self.vocab_size
        return (
            count,
            _gather(self.ctx_ids, self.ctx_total, ctx),
            _gather(self.ctx_ids, self.ctx_types, ctx),
        )


def _gather(sorted_keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """values[i] where sorted_keys[i] == query, else 0."""
    if len(sorted_keys) == 0:
        return np.zeros(len(queries))
    pos = np.minimum(np.searchsorted(sorted_keys, queries), len(sorted_keys) - 1)
    return np.where(sorted_keys[pos] == queries, values[pos], 0.0)


def _ngram_ids(x: np.ndarray, k: int, vocab_size: int) -> np.ndarray:
    """Id of the k-gram ending at each position t >= k-1: shape (len(x) - k + 1,)."""
    ids = np.zeros(len(x) - k + 1, dtype=np.int64)
    for j in range(k):
        ids = ids * vocab_size + x[j : len(x) - k + 1 + j]
    return ids


@dataclass
class CharNGram:
    """A fitted interpolated Kneser-Ney character model of orders 1..``order``.

    ``raw[k-1]`` holds occurrence counts of k-grams (used when k is the model's order) and
    ``cont[k-1]`` continuation counts (used when k is below it). Because both are kept, one
    model fitted at order 8 can be scored as any order from 1 to 8.
    """

    vocab: str
    order: int
    raw: list[_Counts] = field(repr=False)
    cont: list[_Counts] = field(repr=False)

    def encode(self, text: str) -> np.ndarray:
        """Characters → int64 ids (positions in ``vocab``); ``ValueError`` on unknown ones."""
        index = {ch: i for i, ch in enumerate(self.vocab)}
        unknown = set(text) - index.keys()
        if unknown:
            raise ValueError(
                f"unknown characters {sorted(unknown)!r}; the model knows {len(self.vocab)} "
                f"characters (pass vocab= to fit() to include them)"
            )
        return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))

    def _check_order(self, order: int | None) -> int:
        order = self.order if order is None else order
        if not 1 <= order <= self.order:
            raise ValueError(
                f"order must be between 1 and {self.order} (fitted order), got {order}"
            )
        return order

    def position_probs(self, x: np.ndarray, order: int | None = None) -> np.ndarray:
        """P(x[t] | x[t-order+1 : t]) for every position t: shape (len(x),).

        Positions too close to the start for a full context use the longest one available.
        """
        order = self._check_order(order)
        vocab_size = len(self.vocab)
        probs = np.full(len(x), 1.0 / vocab_size)
        for k in range(1, min(order, len(x)) + 1):
            level = self.raw[k - 1] if k == order else self.cont[k - 1]
            count, total, types = level.lookup(_ngram_ids(x, k, vocab_size))
            lower = probs[k - 1 :]
            seen = total > 0
            safe_total = np.where(seen, total, 1.0)
            mixed = (
                np.maximum(count - level.discount, 0.0) + level.discount * types * lower
            ) / safe_total
            probs[k - 1 :] = np.where(seen, mixed, lower)
        return probs

    def next_char_probs(self, context: str, order: int | None = None) -> np.ndarray:
        """Distribution over ``vocab`` of the character after ``context``: shape (V,), sums to 1."""
        order = self._check_order(order)
        tail = self.encode(context[len(context) - (order - 1) :] if order > 1 else "")
        candidates = np.arange(len(self.vocab))
        return np.array([self.position_probs(np.r_[tail, w], order)[-1] for w in candidates])

    def bits_per_char(self, text: str, order: int | None = None) -> float:
        """Average -log2 P(char | previous chars) over ``text``; lower is better."""
        if not text:
            raise ValueError("cannot score an empty text")
        probs = self.position_probs(self.encode(text), order)
        return float(-np.mean(np.log2(probs)))


def fit(text: str, order: int, vocab: str | None = None) -> CharNGram:
    """Count all 1..``order``-grams of ``text``.

    ``vocab`` (default: the characters of ``text``, sorted) must include every character that
    will ever be scored; characters never seen in training still get probability through the
    uniform floor.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    vocab = vocab if vocab is not None else "".join(sorted(set(text)))
    # fit counts (order + 1)-grams (the context plus the next character), so that is what must fit.
    if len(vocab) ** (order + 1) >= 2**63:
        raise ValueError(
            f"{len(vocab)} characters ** (order {order} + 1) does not fit an int64 n-gram id"
        )
    if len(text) < order:
        raise ValueError(f"text of {len(text)} characters is shorter than order {order}")
    model = CharNGram(vocab=vocab, order=order, raw=[], cont=[])
    x = model.encode(text)
    vocab_size = len(vocab)
    unique = [
        np.unique(_ngram_ids(x, k, vocab_size), return_counts=True) for k in range(1, order + 2)
    ]
    for k in range(1, order + 1):
        ids, counts = unique[k - 1]
        model.raw.append(_Counts.from_counts(ids, counts, vocab_size))
        if k + 1 <= len(x):
            # In how many different left contexts a k-gram appears = (k+1)-gram types ending in it.
            longer_ids = unique[k][0]
            cont_ids, cont_counts = np.unique(longer_ids % vocab_size**k, return_counts=True)
        else:
            cont_ids, cont_counts = ids[:0], counts[:0]
        model.cont.append(_Counts.from_counts(cont_ids, cont_counts, vocab_size))
    return model


@dataclass(frozen=True)
class OrderChoice:
    """Result of :func:`choose_order`: the best order on validation and every order's score."""

    order: int
    val_bpc: dict[int, float]
    model: CharNGram = field(repr=False)

    @property
    def best_val_bpc(self) -> float:
        return self.val_bpc[self.order]


def choose_order(
    train: str, val: str, orders: Iterable[int] = range(1, 9), vocab: str | None = None
) -> OrderChoice:
    """Fit once at the largest order, score ``val`` at each order, keep the best.

    Choosing on validation (never test) keeps the test score an honest estimate.
    """
    orders = sorted(set(orders))
    if not orders:
        raise ValueError("orders is empty")
    vocab = vocab if vocab is not None else "".join(sorted(set(train) | set(val)))
    model = fit(train, max(orders), vocab=vocab)
    x = model.encode(val)
    scores = {k: float(-np.mean(np.log2(model.position_probs(x, k)))) for k in orders}
    best = min(scores, key=lambda k: (scores[k], k))
    assert math.isfinite(scores[best])
    return OrderChoice(order=best, val_bpc=scores, model=model)
