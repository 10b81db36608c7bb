"""The plumbing every from-scratch cell's forward and backward pass shares.

What a cell module keeps is what differs between cells and what the pages teach: its step, its
backward step and the loop over time. What lives here is the same for all three: checking the
inputs at the door, allocating the outputs, the walk back through time for a cell with one
state, and reading a gate by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np

from rnn_site.scratch._checks import check_array, check_cache, check_finite_params, check_sequence
from rnn_site.scratch._params import Params

P = TypeVar("P", bound=Params)


def begin_forward(
    params: Params, x: np.ndarray, h0: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked inputs of a forward pass → (x: (B, T, I), h0: (B, H), empty h: (B, T, H)).

    Raises ValueError for wrong ranks or sizes, NaN/inf, and empty batches or sequences.
    """
    check_finite_params(params.arrays())
    x = check_sequence(x, params.input_size, params.dtype)
    batch, time, _ = x.shape
    h0 = check_state(params, h0, "h0", batch)
    return x, h0, np.empty((batch, time, params.hidden_size), dtype=params.dtype)


def check_state(params: Params, state: np.ndarray | None, name: str, batch: int) -> np.ndarray:
    """A (B, H) state or its gradient in the parameters' dtype; None reads as zeros."""
    hidden = params.hidden_size
    return check_array(state, name, (batch, hidden), "(batch, hidden)", params.dtype)


def begin_backward(
    params: P, x: np.ndarray, h: np.ndarray, dh: np.ndarray, dh_T: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, P, np.ndarray]:
    """Checked inputs of a backward pass over a cached forward (x, h) →
    (dh: (B, T, H), dL/dh_T: (B, H), zero parameter gradients, empty dx: (B, T, I))."""
    check_cache(params.input_size, params.hidden_size, x, h)
    batch, time, hidden = h.shape
    dh = check_array(dh, "dh", (batch, time, hidden), "(batch, time, hidden)", params.dtype)
    return dh, check_state(params, dh_T, "dh_T", batch), params.zeros_like(), np.empty_like(x)


def backprop_one_state(
    params: P,
    cache: Any,
    dh: np.ndarray,
    dh_T: np.ndarray | None,
    backward_step: Callable[..., tuple[np.ndarray, np.ndarray, P]],
    saved: np.ndarray,
) -> tuple[P, np.ndarray, np.ndarray]:
    """BPTT for a cell whose only state is h (the RNN, the GRU) → (dparams, dx, dL/dh0).

    Walks t = T-1 .. 0 carrying dL/dh_{t-1} back through
    ``backward_step(params, x_t, h_prev, saved[:, t], dh_t)``, the cell's backward step given
    what its forward step saved at t (the RNN: h_t; the GRU: its gates) and the gradient that
    reached h_t from the loss and from t+1; the steps' parameter gradients are summed.
    """
    dh, dh_next, grads, dx = begin_backward(params, cache.x, cache.h, dh, dh_T)
    for t in reversed(range(cache.h.shape[1])):
        h_prev = cache.h[:, t - 1] if t > 0 else cache.h0
        dx[:, t], dh_next, dparams = backward_step(
            params, cache.x[:, t], h_prev, saved[:, t], dh[:, t] + dh_next
        )
        grads.add_(dparams)
    return grads, dx, dh_next


def gate_by_name(gates: np.ndarray, names: Sequence[str], name: str, cell: str) -> np.ndarray:
    """One gate's activations (B, T, H) from gates: (B, T, gates, H), by its name in ``names``."""
    if name not in names:
        choices = ", ".join(repr(n) for n in names)
        raise ValueError(f"unknown {cell} gate {name!r}; choose one of {choices}")
    return gates[:, :, list(names).index(name)]


class GatedForward:
    """The ``gate(name)`` of a forward result whose ``gates`` are (B, T, gates, H): the cell sets
    ``GATE_NAMES`` (in stacking order) and ``CELL`` (its name in the error message)."""

    GATE_NAMES: ClassVar[tuple[str, ...]]
    CELL: ClassVar[str]
    gates: np.ndarray

    def gate(self, name: str) -> np.ndarray:
        """One gate's activations (B, T, H) by name, e.g. ``.gate("f")`` for the LSTM's forget gate.

        See the page: architecture.md#lstm
        """
        return gate_by_name(self.gates, self.GATE_NAMES, name, self.CELL)
