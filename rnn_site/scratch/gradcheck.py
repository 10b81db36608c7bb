"""Check hand-derived gradients against central finite differences.

A backward pass can be wrong in ways that still train (a missing term, a transposed matrix), so
every gradient here is compared with (L(θ + ε) - L(θ - ε)) / 2ε, whose error is O(ε²). In float64
with ε = 1e-6 a correct gradient agrees to about 1e-9 relative error; a wrong one rarely gets
below 1e-3. Checks need float64: in float32 rounding swamps the difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnn_site.scratch._checks import check_sequence
from rnn_site.scratch._params import Params
from rnn_site.scratch.cells import Cell, State, get_cell


def numerical_gradient(f: Callable[[], float], array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """dL/d`array` by central differences, nudging `array` in place (restored afterwards).

    `f` recomputes the scalar loss from whatever arrays it closes over, `array` among them.
    Costs two calls of `f` per element, so keep the arrays small. Returns `array`'s shape.

    See the page: training.md#gradient-checking
    """
    grad = np.zeros(array.shape, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        try:
            array[index] = original + eps
            plus = f()
            array[index] = original - eps
            minus = f()
        finally:
            array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a - n‖ / (‖a‖ + ‖n‖): scale-free, 0 when equal, 1 when unrelated; 0 if both are zero.

    See the page: training.md#gradient-checking
    """
    diff = float(np.linalg.norm(analytic - numeric))
    scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    return diff / scale if scale > 0 else 0.0


def check_cell_gradients(
    cell: str | Cell,
    params: Params,
    x: np.ndarray,
    state0: State | None = None,
    *,
    seed: int = 0,
    eps: float = 1e-6,
) -> dict[str, float]:
    """Relative error of the cell's backward pass, per parameter, for x and each initial state.

    The loss is L = Σ h * R + Σ_s state_T * R_s with fixed random R, so every hidden output and
    the final states all matter and no gradient is trivially zero. x: (B, T, I), float64;
    state0: one (B, H) array per state name, () for zeros, None for random states.
    Returns e.g. {"W_x": 3e-10, "W_h": ..., "b": ..., "x": ..., "h0": ..., "c0": ...}.

    See the page: training.md#gradient-checking
    """
    cell = get_cell(cell)
    if params.dtype != np.float64:
        raise ValueError(
            f"gradient checks need float64 params, got {params.dtype}; "
            "in float32 rounding error swamps the finite difference"
        )
    rng = np.random.default_rng(seed)
    params = params.copy()  # we nudge entries in place; leave the caller's arrays alone
    x = check_sequence(x, params.input_size, params.dtype).copy()
    batch, time, _ = x.shape
    hidden = params.hidden_size
    if state0 is None:
        state0 = tuple(rng.standard_normal((batch, hidden)) for _ in cell.state_names)
    elif not state0:
        state0 = tuple(np.zeros((batch, hidden)) for _ in cell.state_names)
    state = tuple(np.array(s, dtype=np.float64) for s in state0)
    R = rng.standard_normal((batch, time, hidden))
    R_state = tuple(rng.standard_normal((batch, hidden)) for _ in cell.state_names)

    def loss() -> float:
        h, final, _ = cell.forward(params, x, state)
        return float(
            np.sum(h * R) + sum(np.sum(s * r) for s, r in zip(final, R_state, strict=True))
        )

    _, _, cache = cell.forward(params, x, state)
    dparams, dx, dstate0 = cell.backward(params, cache, R, R_state)

    errors = {
        name: relative_error(getattr(dparams, name), numerical_gradient(loss, array, eps))
        for name, array in params.arrays().items()
    }
    errors["x"] = relative_error(dx, numerical_gradient(loss, x, eps))
    for name, s, ds in zip(cell.state_names, state, dstate0, strict=True):
        errors[f"{name}0"] = relative_error(ds, numerical_gradient(loss, s, eps))
    return errors
