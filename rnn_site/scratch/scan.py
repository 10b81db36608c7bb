"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t, computed step by step and all at once.

Every recurrence of chapter 5 (minGRU, minLSTM) has this shape: the coefficients a_t and the
inputs b_t depend on x_t only, never on h_{t-1}. That is what makes it *parallel*: unrolled,

    h_t = (a_1 ⋯ a_t) h_0 + Σ_{k ≤ t} (a_{k+1} ⋯ a_t) b_k,

a sum of products that prefix sums (cumulative sums) compute for every t at once, instead of
waiting for h_{t-1}. Three ways to get the same numbers, all batch-first, a, b: (batch, time,
hidden), h0: (batch, hidden):

- `sequential_scan`: the loop, one step after the other (what an LSTM has to do);
- `associative_scan`: Hillis & Steele's doubling scan: log2(T) rounds, each one elementwise over
  all T steps, built on the associative combine (a1, b1) ∘ (a2, b2) = (a1 a2, a2 b1 + b2);
- `log_space_scan`: Heinsen's log-space scan (arXiv 2311.06281), the one minGRU and minLSTM
  train with: with a_t > 0 and b_t > 0 known by their logarithms,
  log h_t = a*_t + logcumsumexp_k(log b_k − a*_k) with a*_t = Σ_{j ≤ t} log a_j,
  which needs only a cumulative sum and a cumulative log-sum-exp, both parallel prefix sums.
  Working with logarithms keeps the tiny products a_{k+1} ⋯ a_t from underflowing.

NumPy only; `rnn_site.models.min_rnn` holds the PyTorch version that trains.

See the page: next.md#the-parallel-scan
"""

from __future__ import annotations

import numpy as np


def _check(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None) -> np.ndarray:
    if a.ndim != 3 or a.shape != b.shape:
        raise ValueError(
            f"a and b must both be (batch, time, hidden) arrays of one shape, got {a.shape} and "
            f"{b.shape}"
        )
    if h0 is None:
        return np.zeros((a.shape[0], a.shape[2]), dtype=np.result_type(a, b))
    if h0.shape != (a.shape[0], a.shape[2]):
        raise ValueError(f"h0 must be (batch, hidden) = {(a.shape[0], a.shape[2])}, got {h0.shape}")
    return h0


# --8<-- [start:sequential]
def sequential_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    """h_t = a_t * h_{t-1} + b_t for t = 1..T, one step at a time → h: (batch, time, hidden).

    See the page: next.md#the-parallel-scan
    """
    h = _check(a, b, h0)
    out = np.empty_like(b, dtype=np.result_type(a, b, h))
    for t in range(a.shape[1]):  # step t needs step t - 1: T steps in a row
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


# --8<-- [end:sequential]


# --8<-- [start:associative]
def associative_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    """The same h as `sequential_scan`, in ceil(log2 T) rounds of elementwise work over all steps.

    After the round with offset d, (A_t, B_t) summarises steps t-2d+1..t as "h_t = A_t h + B_t"
    for the h just before them; composing two neighbouring summaries is the associative
    (a1, b1) ∘ (a2, b2) = (a1 a2, a2 b1 + b2), so the rounds may run on all t at once.
    Works for any signs (no logarithms); a parallel machine does T log T work in log T time.

    See the page: next.md#the-parallel-scan
    """
    h0 = _check(a, b, h0)
    A, B = a.copy(), b.copy()
    d = 1
    while d < a.shape[1]:
        # Steps t ≥ d absorb the summary ending d steps earlier; the first d are complete.
        A_prev, B_prev = A[:, :-d], B[:, :-d]
        B = np.concatenate([B[:, :d], A[:, d:] * B_prev + B[:, d:]], axis=1)
        A = np.concatenate([A[:, :d], A[:, d:] * A_prev], axis=1)
        d *= 2
    return A * h0[:, None] + B  # A_t = a_1 ⋯ a_t carries the initial state


# --8<-- [end:associative]


# --8<-- [start:log_space]
def log_space_scan(
    log_a: np.ndarray, log_b: np.ndarray, h0: np.ndarray | None = None
) -> np.ndarray:
    """h for a = exp(log_a) > 0 and b = exp(log_b) > 0, by a cumulative sum and logcumsumexp.

    h0 may have any sign: its term (a_1 ⋯ a_t) h0 is added outside the logarithms, so a zero
    initial state needs no log 0.

    See the page: next.md#the-parallel-scan
    """
    h0 = _check(log_a, log_b, h0)
    a_star = np.cumsum(log_a, axis=1)  # log(a_1 ⋯ a_t)
    # log Σ_{k ≤ t} exp(log b_k − a*_k); logaddexp.accumulate is the cumulative log-sum-exp.
    log_sum = np.logaddexp.accumulate(log_b - a_star, axis=1)
    return np.exp(a_star + log_sum) + np.exp(a_star) * h0[:, None]


# --8<-- [end:log_space]
