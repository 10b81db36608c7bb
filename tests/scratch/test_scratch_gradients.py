"""Every hand-derived BPTT gradient matches central finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_site.scratch import (
    CELLS,
    Cell,
    GRUParams,
    LSTMParams,
    RNNParams,
    check_cell_gradients,
    get_cell,
    lstm_backward,
    numerical_gradient,
    relative_error,
)

PARAMS = {"rnn": RNNParams, "lstm": LSTMParams, "gru": GRUParams}
EXPECTED_KEYS = {
    "rnn": {"W_x", "W_h", "b", "x", "h0"},
    "lstm": {"W_x", "W_h", "b", "x", "h0", "c0"},
    "gru": {"W_x", "W_h", "b", "b_hn", "x", "h0"},
}


def noisy_params(cell: str, input_size: int, hidden_size: int, seed: int):
    """Initialised weights plus noise, so biases are non-zero and gates are not symmetric."""
    rng = np.random.default_rng(seed)
    params = PARAMS[cell].initialize(input_size, hidden_size, seed=seed)
    return params.map(lambda a: a + 0.3 * rng.standard_normal(a.shape))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("batch", "time", "input_size", "hidden"), [(2, 5, 3, 4), (1, 1, 2, 3)])
def test_backward_matches_finite_differences(cell, batch, time, input_size, hidden):
    params = noisy_params(cell, input_size, hidden, seed=batch + time)
    x = np.random.default_rng(7).standard_normal((batch, time, input_size))
    errors = check_cell_gradients(cell, params, x, seed=3)
    assert set(errors) == EXPECTED_KEYS[cell]
    worst = max(errors, key=errors.__getitem__)
    assert errors[worst] < 1e-6, f"{cell}: {worst} gradient is off, relative error {errors}"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_zero_initial_state_gradients_also_match(cell):
    params = noisy_params(cell, 3, 2, seed=0)
    x = np.random.default_rng(1).standard_normal((3, 4, 3))
    errors = check_cell_gradients(cell, params, x, state0=(), seed=5)
    assert max(errors.values()) < 1e-6, errors


def test_checker_catches_a_wrong_gradient():
    """A checker that cannot fail is useless: break the LSTM's W_h gradient and watch it fail."""

    def broken_backward(params, cache, dh, dstate):
        grads = lstm_backward(params, cache, dh, *dstate)
        grads.params.W_h *= 1.01  # a 1% error, subtler than most real bugs
        return grads.params, grads.x, (grads.h0, grads.c0)

    lstm = get_cell("lstm")
    broken = Cell("broken", LSTMParams, lstm.state_names, lstm.forward, broken_backward)
    x = np.random.default_rng(0).standard_normal((2, 3, 2))
    errors = check_cell_gradients(broken, noisy_params("lstm", 2, 3, seed=1), x)
    assert errors["W_h"] > 1e-3
    assert errors["W_x"] < 1e-6


def test_numerical_gradient_of_a_known_function_and_restores_input():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = a.copy()
    grad = numerical_gradient(lambda: float(np.sum(a**3)), a)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    np.testing.assert_array_equal(a, before)


def test_relative_error_values():
    a = np.array([1.0, 2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.array([1.0]), np.array([1.0 + 2e-6])) == pytest.approx(1e-6, rel=1e-3)


def test_gradient_check_refuses_float32():
    params = LSTMParams.initialize(2, 3, seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match="gradient checks need float64 params, got float32"):
        check_cell_gradients("lstm", params, np.zeros((1, 2, 2)))


def test_every_cell_is_registered():
    assert set(CELLS) == set(PARAMS)
    with pytest.raises(ValueError, match="unknown cell 'transformer'; choose one of 'rnn'"):
        get_cell("transformer")
