"""One interface over the three cells, for code that works with any of them.

Truncated BPTT and the gradient checker only need "run forward from a state" and "backprop from
output gradients"; a `Cell` bundles those with the cell's state names (LSTM: h and c).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_site.scratch._params import Params
from rnn_site.scratch.gru import GRUParams, gru_backward, gru_forward
from rnn_site.scratch.lstm import LSTMParams, lstm_backward, lstm_forward
from rnn_site.scratch.rnn import RNNParams, rnn_backward, rnn_forward

State = tuple[np.ndarray, ...]
# (params, x: (B, T, I), state0) -> (h: (B, T, H), final state, cache)
ForwardFn = Callable[[Any, np.ndarray, State], tuple[np.ndarray, State, Any]]
# (params, cache, dh: (B, T, H), d final state) -> (dparams, dx: (B, T, I), d state0)
BackwardFn = Callable[[Any, Any, np.ndarray, State], tuple[Params, np.ndarray, State]]


@dataclass(frozen=True)
class Cell:
    """A cell seen through a uniform interface; states are tuples of (B, H) arrays.

    An empty state tuple means "start from zeros".

    See the page: architecture.md#cells
    """

    name: str
    params_type: type[Params]
    state_names: tuple[str, ...]
    forward: ForwardFn
    backward: BackwardFn


def _rnn_forward(params: RNNParams, x: np.ndarray, state: State) -> tuple[np.ndarray, State, Any]:
    out = rnn_forward(params, x, *state)
    return out.h, (out.h[:, -1],), out.cache


def _rnn_backward(params: RNNParams, cache: Any, dh: np.ndarray, dstate: State) -> Any:
    g = rnn_backward(params, cache, dh, *dstate)
    return g.params, g.x, (g.h0,)


def _lstm_forward(params: LSTMParams, x: np.ndarray, state: State) -> tuple[np.ndarray, State, Any]:
    out = lstm_forward(params, x, *state)
    return out.h, (out.h[:, -1], out.c[:, -1]), out.cache


def _lstm_backward(params: LSTMParams, cache: Any, dh: np.ndarray, dstate: State) -> Any:
    g = lstm_backward(params, cache, dh, *dstate)
    return g.params, g.x, (g.h0, g.c0)


def _gru_forward(params: GRUParams, x: np.ndarray, state: State) -> tuple[np.ndarray, State, Any]:
    out = gru_forward(params, x, *state)
    return out.h, (out.h[:, -1],), out.cache


def _gru_backward(params: GRUParams, cache: Any, dh: np.ndarray, dstate: State) -> Any:
    g = gru_backward(params, cache, dh, *dstate)
    return g.params, g.x, (g.h0,)


CELLS: dict[str, Cell] = {
    "rnn": Cell("rnn", RNNParams, ("h",), _rnn_forward, _rnn_backward),
    "lstm": Cell("lstm", LSTMParams, ("h", "c"), _lstm_forward, _lstm_backward),
    "gru": Cell("gru", GRUParams, ("h",), _gru_forward, _gru_backward),
}


def get_cell(cell: str | Cell) -> Cell:
    """Look a cell up by name ("rnn", "lstm", "gru"); a `Cell` is returned unchanged.

    See the page: architecture.md#cells
    """
    if isinstance(cell, Cell):
        return cell
    if cell not in CELLS:
        choices = ", ".join(repr(name) for name in CELLS)
        raise ValueError(f"unknown cell {cell!r}; choose one of {choices}")
    return CELLS[cell]
