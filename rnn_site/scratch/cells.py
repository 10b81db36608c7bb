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


def _cell(
    name: str,
    params_type: type[Params],
    state_names: tuple[str, ...],
    forward: Callable[..., Any],
    backward: Callable[..., Any],
) -> Cell:
    """A `Cell` over a module's ``<cell>_forward``/``<cell>_backward``, which take and return
    their states by name: the forward result's ``h``, ``c`` and the gradients' ``h0``, ``c0``."""

    def run_forward(params: Params, x: np.ndarray, state: State) -> tuple[np.ndarray, State, Any]:
        out = forward(params, x, *state)
        return out.h, tuple(getattr(out, s)[:, -1] for s in state_names), out.cache

    def run_backward(params: Params, cache: Any, dh: np.ndarray, dstate: State) -> Any:
        g = backward(params, cache, dh, *dstate)
        return g.params, g.x, tuple(getattr(g, f"{s}0") for s in state_names)

    return Cell(name, params_type, state_names, run_forward, run_backward)


CELLS: dict[str, Cell] = {
    "rnn": _cell("rnn", RNNParams, ("h",), rnn_forward, rnn_backward),
    "lstm": _cell("lstm", LSTMParams, ("h", "c"), lstm_forward, lstm_backward),
    "gru": _cell("gru", GRUParams, ("h",), gru_forward, gru_backward),
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
