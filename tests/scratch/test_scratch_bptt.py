"""Truncated BPTT equals full BPTT when k covers the sequence, and otherwise cuts the paths back."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_site.scratch import (
    GRUParams,
    LSTMParams,
    RNNParams,
    get_cell,
    rnn_forward,
    truncated_bptt,
)

PARAMS = {"rnn": RNNParams, "lstm": LSTMParams, "gru": GRUParams}
BATCH, TIME, INPUT, HIDDEN = 2, 9, 3, 4


def setup(cell, seed=0):
    rng = np.random.default_rng(seed)
    params = PARAMS[cell].initialize(INPUT, HIDDEN, seed=seed)
    params = params.map(lambda a: a + 0.2 * rng.standard_normal(a.shape))
    x = rng.standard_normal((BATCH, TIME, INPUT))
    weights = rng.standard_normal((BATCH, TIME, HIDDEN))
    return params, x, weights


def weighted_sum_loss(weights, only_last=False):
    """L = Σ_t h_t * w_t (or just the last step's): dL/dh_chunk is the matching slice of w."""
    w = weights.copy()
    if only_last:
        w[:, :-1] = 0.0

    def loss_grad(h_chunk, start):
        w_chunk = w[:, start : start + h_chunk.shape[1]]
        return float(np.sum(h_chunk * w_chunk)), w_chunk

    return loss_grad


def full_bptt(cell, params, x, weights):
    c = get_cell(cell)
    h, _, cache = c.forward(params, x, ())
    zeros = tuple(np.zeros((BATCH, HIDDEN)) for _ in c.state_names)
    dparams, dx, dstate0 = c.backward(params, cache, weights, zeros)
    return h, dparams, dx, dstate0


@pytest.mark.parametrize("cell", PARAMS)
@pytest.mark.parametrize("k", [TIME, TIME + 5, None])
def test_k_at_least_T_is_full_bptt(cell, k):
    params, x, weights = setup(cell)
    h, dparams, dx, dstate0 = full_bptt(cell, params, x, weights)
    result = truncated_bptt(cell, params, x, weighted_sum_loss(weights), k=k)
    assert result.loss == pytest.approx(float(np.sum(h * weights)), rel=1e-12)
    np.testing.assert_allclose(result.h, h, rtol=1e-12)
    np.testing.assert_allclose(result.dx, dx, rtol=1e-12)
    for name, g in dparams.arrays().items():
        np.testing.assert_allclose(getattr(result.grads, name), g, rtol=1e-12, err_msg=name)
    for ours, full in zip(result.dstate0, dstate0, strict=True):
        np.testing.assert_allclose(ours, full, rtol=1e-12)


@pytest.mark.parametrize("cell", PARAMS)
@pytest.mark.parametrize("k", [1, 2, 4])
def test_small_k_keeps_forward_exact_but_cuts_gradient_paths(cell, k):
    """A loss at the last step reaches back only to the start of its own chunk."""
    params, x, weights = setup(cell, seed=1)
    h, dparams, dx, _ = full_bptt(
        cell, params, x, np.where(np.arange(TIME)[:, None] == TIME - 1, weights, 0)
    )
    result = truncated_bptt(cell, params, x, weighted_sum_loss(weights, only_last=True), k=k)
    np.testing.assert_allclose(result.h, h, rtol=1e-12)  # the state is carried exactly
    last_chunk = (TIME - 1) // k * k
    assert np.all(result.dx[:, :last_chunk] == 0.0)
    assert np.all(np.abs(dx[:, :last_chunk]) > 0)  # ...while full BPTT does reach them
    np.testing.assert_allclose(result.dx[:, last_chunk:], dx[:, last_chunk:], rtol=1e-12)
    assert all(np.all(ds == 0.0) for ds in result.dstate0)
    assert not np.allclose(result.grads.W_h, dparams.W_h)


def test_rnn_with_k_1_has_no_recurrent_path():
    """With k = 1 each step's input gradient only sees its own step: (w_t * tanh'(·)) W_xᵀ."""
    params, x, weights = setup("rnn", seed=2)
    result = truncated_bptt("rnn", params, x, weighted_sum_loss(weights), k=1)
    h = rnn_forward(params, x).h
    expected = (weights * (1 - h**2)) @ params.W_x.T
    np.testing.assert_allclose(result.dx, expected, rtol=1e-12)


def test_chunks_cover_the_sequence_and_state_carries_over():
    params, x, _ = setup("lstm", seed=3)
    seen = []

    def loss_grad(h_chunk, start):
        seen.append((start, h_chunk.shape[1]))
        return 0.0, np.zeros_like(h_chunk)

    result = truncated_bptt("lstm", params, x, loss_grad, k=4)
    assert seen == [(0, 4), (4, 4), (8, 1)]
    # Two calls on halves, passing the state along, equal one call on the whole sequence.
    first = truncated_bptt("lstm", params, x[:, :5], loss_grad, k=4)
    second = truncated_bptt("lstm", params, x[:, 5:], loss_grad, k=4, state0=first.state)
    np.testing.assert_allclose(second.h, result.h[:, 5:], rtol=1e-12)
    for a, b in zip(second.state, result.state, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_bad_arguments():
    params, x, weights = setup("gru")
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        truncated_bptt("gru", params, x, weighted_sum_loss(weights), k=0)
    with pytest.raises(ValueError, match="lstm cell needs LSTMParams, got GRUParams"):
        truncated_bptt("lstm", params, x, weighted_sum_loss(weights), k=2)
