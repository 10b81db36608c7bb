"""Initialisers have the properties that make them worth using."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_site.scratch import (
    GRUParams,
    LSTMParams,
    RNNParams,
    forget_gate_bias,
    glorot_uniform,
    identity,
    orthogonal,
    recurrent_orthogonal,
)


@pytest.mark.parametrize(("rows", "cols"), [(6, 6), (8, 3), (3, 8)])
def test_orthogonal_is_orthogonal(rows, cols):
    q = orthogonal(rows, cols, seed=0, gain=2.0)
    assert q.shape == (rows, cols)
    gram = q.T @ q if rows >= cols else q @ q.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_is_seeded_and_not_always_the_same():
    np.testing.assert_array_equal(orthogonal(5, 5, seed=1), orthogonal(5, 5, seed=1))
    assert not np.allclose(orthogonal(5, 5, seed=1), orthogonal(5, 5, seed=2))


def test_orthogonal_keeps_a_state_norm_through_many_steps():
    W = orthogonal(16, 16, seed=3)
    h = np.random.default_rng(0).standard_normal(16)
    norm = np.linalg.norm(h)
    for _ in range(100):
        h = h @ W
    assert np.linalg.norm(h) == pytest.approx(norm, rel=1e-10)


def test_recurrent_orthogonal_has_an_orthogonal_block_per_gate():
    W = recurrent_orthogonal(5, 4, seed=0)
    assert W.shape == (5, 20)
    for k in range(4):
        block = W[:, 5 * k : 5 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(5), atol=1e-12)


def test_glorot_uniform_bound_and_variance():
    fan_in, fan_out = 300, 500
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    W = glorot_uniform(fan_in, fan_out, seed=0)
    assert W.shape == (fan_in, fan_out)
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound  # uses the whole range, not a narrower one
    assert W.var() == pytest.approx(2.0 / (fan_in + fan_out), rel=0.02)
    assert abs(W.mean()) < 0.01 * bound


def test_identity_is_the_irnn_recurrent_weight():
    np.testing.assert_array_equal(identity(4, scale=0.5), 0.5 * np.eye(4))
    params = RNNParams.initialize(3, 4, seed=0, recurrent="identity")
    np.testing.assert_array_equal(params.W_h, np.eye(4))
    np.testing.assert_array_equal(params.b, np.zeros(4))


def test_forget_bias_is_set_only_on_the_f_slice():
    b = forget_gate_bias(3, 2.0)
    np.testing.assert_array_equal(b, [0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0])
    params = LSTMParams.initialize(2, 3, seed=0, forget_bias=1.0)
    np.testing.assert_array_equal(params.b.reshape(4, 3), [[0] * 3, [1] * 3, [0] * 3, [0] * 3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cell_initializers_shapes_dtype_and_seed(dtype):
    for params_type in (RNNParams, LSTMParams, GRUParams):
        a = params_type.initialize(3, 5, seed=7, dtype=dtype)
        b = params_type.initialize(3, 5, seed=7, dtype=dtype)
        assert a.dtype == dtype
        assert (a.input_size, a.hidden_size) == (3, 5)
        for name, array in a.arrays().items():
            assert array.dtype == dtype, name
            np.testing.assert_array_equal(array, getattr(b, name))


def test_bad_initializer_arguments():
    with pytest.raises(ValueError, match="fan_in must be a positive integer, got 0"):
        glorot_uniform(0, 3, seed=0)
    with pytest.raises(ValueError, match="unknown recurrent init 'zeros'; choose 'orthogonal'"):
        RNNParams.initialize(2, 2, seed=0, recurrent="zeros")  # type: ignore[arg-type]
