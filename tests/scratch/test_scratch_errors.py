"""Bad input fails early with a ValueError that says what was wrong and what is accepted."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnn_site import scratch

CELLS = {
    "rnn": (scratch.RNNParams, scratch.rnn_forward, scratch.rnn_backward),
    "lstm": (scratch.LSTMParams, scratch.lstm_forward, scratch.lstm_backward),
    "gru": (scratch.GRUParams, scratch.gru_forward, scratch.gru_backward),
}
INPUT, HIDDEN = 10, 4


def nan_at(shape, index):
    x = np.zeros(shape)
    x[index] = np.nan
    return x


BAD_X = [
    (np.zeros((5, 3)), "x must be 3-D (batch, time, features), got shape (5, 3)"),
    (np.zeros((2, 3, 7)), "x has 7 features but W_x expects 10"),
    (nan_at((2, 3, INPUT), (0, 2, 1)), "x contains NaN or inf at index (0, 2, 1)"),
    (np.full((1, 2, INPUT), np.inf), "x contains NaN or inf at index (0, 0, 0)"),
    (np.zeros((2, 0, INPUT)), "sequence is empty (time = 0); pass at least one time step"),
    (np.zeros((0, 3, INPUT)), "batch is empty (batch = 0); pass at least one sequence"),
    (np.full((1, 2, INPUT), "a"), "x must hold real numbers, got dtype <U1"),
]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("x", "message"), BAD_X)
def test_bad_x(cell, x, message):
    params_type, forward, _ = CELLS[cell]
    params = params_type.initialize(INPUT, HIDDEN, seed=0)
    with pytest.raises(ValueError, match=re.escape(message)):
        forward(params, x)


@pytest.mark.parametrize("cell", CELLS)
def test_bad_initial_state(cell):
    params_type, forward, _ = CELLS[cell]
    params = params_type.initialize(INPUT, HIDDEN, seed=0)
    x = np.zeros((3, 2, INPUT))
    expected = "h0 must have shape (batch, hidden) = (3, 4), got (2, 4)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        forward(params, x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=re.escape("h0 contains NaN or inf at index (1, 3)")):
        forward(params, x, nan_at((3, 4), (1, 3)))


def test_bad_lstm_cell_state():
    params = scratch.LSTMParams.initialize(INPUT, HIDDEN, seed=0)
    expected = "c0 must have shape (batch, hidden) = (1, 4), got (4,)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        scratch.lstm_forward(params, np.zeros((1, 2, INPUT)), None, np.zeros(4))


@pytest.mark.parametrize("cell", CELLS)
def test_bad_output_gradient(cell):
    params_type, forward, backward = CELLS[cell]
    params = params_type.initialize(INPUT, HIDDEN, seed=0)
    cache = forward(params, np.zeros((2, 3, INPUT))).cache
    expected = "dh must have shape (batch, time, hidden) = (2, 3, 4), got (2, 4)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        backward(params, cache, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=re.escape("dh contains NaN or inf at index (1, 2, 0)")):
        backward(params, cache, nan_at((2, 3, 4), (1, 2, 0)))
    other = params_type.initialize(INPUT, HIDDEN + 1, seed=0)
    with pytest.raises(ValueError, match="cache is from a cell with input 10 and hidden 4"):
        backward(other, cache, np.zeros((2, 3, 4)))


def test_inconsistent_parameters():
    good = scratch.LSTMParams.initialize(3, 4, seed=0)
    with pytest.raises(ValueError, match=re.escape("W_h must be 2-D (hidden, 4*hidden)")):
        scratch.LSTMParams(W_x=good.W_x, W_h=good.W_h[:, :12], b=good.b)
    with pytest.raises(
        ValueError, match=re.escape("W_x must be 2-D (input, 4*hidden) = (input, 16)")
    ):
        scratch.LSTMParams(W_x=good.W_x[:, :12], W_h=good.W_h, b=good.b)
    with pytest.raises(ValueError, match=re.escape("b must have shape (16,) to match hidden = 4")):
        scratch.LSTMParams(W_x=good.W_x, W_h=good.W_h, b=good.b[:4])
    with pytest.raises(ValueError, match="parameters must share one dtype"):
        scratch.LSTMParams(W_x=good.W_x.astype(np.float32), W_h=good.W_h, b=good.b)
    with pytest.raises(ValueError, match="W_x must be float32 or float64, got int64"):
        scratch.RNNParams(W_x=np.zeros((2, 3), dtype=np.int64), W_h=np.zeros((3, 3)), b=np.zeros(3))
    gru = scratch.GRUParams.initialize(3, 4, seed=0)
    with pytest.raises(
        ValueError, match=re.escape("b_hn must have shape (4,) to match hidden = 4")
    ):
        scratch.GRUParams(W_x=gru.W_x, W_h=gru.W_h, b=gru.b, b_hn=gru.b)


def test_nan_in_parameters_is_reported_at_forward():
    params = scratch.RNNParams.initialize(INPUT, HIDDEN, seed=0)
    params.W_h[2, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("W_h contains NaN or inf at index (2, 1)")):
        scratch.rnn_forward(params, np.zeros((1, 2, INPUT)))


def test_unknown_gate_name():
    out = scratch.lstm_forward(scratch.LSTMParams.initialize(2, 3, seed=0), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="unknown LSTM gate 'r'; choose one of 'i', 'f', 'g', 'o'"):
        out.gate("r")
