"""The forward passes: step functions, shapes, dtypes, gates, and the Params helpers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rnn_site.scratch import (
    GRUParams,
    LSTMParams,
    RNNParams,
    gru_forward,
    gru_step,
    lstm_forward,
    lstm_step,
    rnn_forward,
    rnn_step,
)
from rnn_site.scratch.activations import sigmoid

BATCH, TIME, INPUT, HIDDEN = 2, 6, 3, 5


def inputs(dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal((BATCH, TIME, INPUT)).astype(dtype)


def test_lstm_forward_is_the_step_function_unrolled():
    params = LSTMParams.initialize(INPUT, HIDDEN, seed=0)
    x = inputs()
    out = lstm_forward(params, x)
    h, c = np.zeros((BATCH, HIDDEN)), np.zeros((BATCH, HIDDEN))
    for t in range(TIME):
        h, c, gates = lstm_step(params, x[:, t], h, c)
        np.testing.assert_array_equal(out.h[:, t], h)
        np.testing.assert_array_equal(out.c[:, t], c)
        np.testing.assert_array_equal(out.gates[:, t], gates)
    assert out.gates.shape == (BATCH, TIME, 4, HIDDEN)
    np.testing.assert_array_equal(out.gate("f"), out.gates[:, :, 1])


def test_lstm_gates_follow_their_definitions():
    params = LSTMParams.initialize(INPUT, HIDDEN, seed=1)
    x_t = inputs()[:, 0]
    h, c = np.full((BATCH, HIDDEN), 0.5), np.full((BATCH, HIDDEN), -0.3)
    h_new, c_new, gates = lstm_step(params, x_t, h, c)
    a = x_t @ params.W_x + h @ params.W_h + params.b
    i, f, g, o = (a[:, k * HIDDEN : (k + 1) * HIDDEN] for k in range(4))
    np.testing.assert_allclose(gates[:, 0], 1 / (1 + np.exp(-i)), rtol=1e-12)
    np.testing.assert_allclose(gates[:, 2], np.tanh(g), rtol=1e-12)
    expected_c = 1 / (1 + np.exp(-f)) * c + gates[:, 0] * np.tanh(g)
    np.testing.assert_allclose(c_new, expected_c, rtol=1e-12)
    np.testing.assert_allclose(h_new, 1 / (1 + np.exp(-o)) * np.tanh(expected_c), rtol=1e-12)


def test_gru_and_rnn_forward_are_their_steps_unrolled():
    x = inputs(seed=1)
    rnn = RNNParams.initialize(INPUT, HIDDEN, seed=0)
    gru = GRUParams.initialize(INPUT, HIDDEN, seed=0)
    h_rnn = h_gru = np.zeros((BATCH, HIDDEN))
    rnn_out, gru_out = rnn_forward(rnn, x), gru_forward(gru, x)
    for t in range(TIME):
        h_rnn = rnn_step(rnn, x[:, t], h_rnn)
        h_gru, gates = gru_step(gru, x[:, t], h_gru)
        np.testing.assert_array_equal(rnn_out.h[:, t], h_rnn)
        np.testing.assert_array_equal(gru_out.h[:, t], h_gru)
        np.testing.assert_array_equal(gru_out.gates[:, t], gates)


def test_gru_with_update_gate_saturated_open_copies_the_state():
    params = GRUParams.initialize(INPUT, HIDDEN, seed=0)
    params.b[HIDDEN : 2 * HIDDEN] = 50.0  # z = σ(50) = 1 to machine precision: keep the old state
    h0 = np.random.default_rng(0).standard_normal((BATCH, HIDDEN))
    out = gru_forward(params, inputs(), h0)
    np.testing.assert_allclose(out.h[:, -1], h0, atol=1e-12)


@pytest.mark.parametrize(
    ("params_type", "forward"),
    [(RNNParams, rnn_forward), (LSTMParams, lstm_forward), (GRUParams, gru_forward)],
)
def test_dtype_follows_the_params(params_type, forward):
    p64 = params_type.initialize(INPUT, HIDDEN, seed=0)
    p32 = p64.astype(np.float32)
    x = inputs()
    h64, h32 = forward(p64, x).h, forward(p32, x).h  # float64 x is cast to float32 params
    assert h64.dtype == np.float64
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32, h64, atol=1e-6)
    assert forward(p64, np.ones((1, 2, INPUT), dtype=np.int64)).h.dtype == np.float64


def test_sigmoid_does_not_overflow_and_matches_the_definition():
    a = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0], dtype=np.float32)
    with np.errstate(all="raise"):
        s = sigmoid(a)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-a[1:4])), rtol=1e-6)
    assert s[0] == 0.0
    assert s[-1] == 1.0


def test_params_helpers():
    params = LSTMParams.initialize(INPUT, HIDDEN, seed=0)
    assert list(params.arrays()) == ["W_x", "W_h", "b"]
    zeros = params.zeros_like()
    assert all(np.all(a == 0) for a in zeros.arrays().values())
    copy = params.copy()
    copy.add_(params, scale=-1.0)  # an SGD step with lr = 1 on gradient = params
    assert all(np.all(a == 0) for a in copy.arrays().values())
    assert np.any(params.W_x != 0)  # the original is untouched


def test_import_does_not_need_torch():
    code = "import sys, rnn_site.scratch; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
