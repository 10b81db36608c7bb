"""Input validation shared by the scratch cells, so every cell rejects bad input the same way.

Without these checks NumPy fails deep inside a matmul with a message about operands; here we fail
at the door and say what was wrong and what is accepted.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_finite(a: np.ndarray, name: str) -> None:
    """Raise if `a` holds NaN or inf, naming the first bad index so it can be found."""
    bad = ~np.isfinite(a)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} contains NaN or inf at index {index}")


def check_finite_params(arrays: dict[str, np.ndarray]) -> None:
    """Raise if any parameter holds NaN or inf (e.g. after a diverged update)."""
    for name, a in arrays.items():
        check_finite(a, name)


def _check_real(a: np.ndarray, name: str) -> None:
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}")


def check_params(arrays: dict[str, np.ndarray], gates: int, bias_gates: dict[str, int]) -> None:
    """Check a cell's weights agree with each other in dtype and shape.

    A cell with `gates` blocks stacks them side by side: W_x: (input, gates*hidden),
    W_h: (hidden, gates*hidden); each bias named in `bias_gates` is (k*hidden,).
    """
    for name, a in arrays.items():
        if a.dtype not in FLOAT_DTYPES:
            raise ValueError(f"{name} must be float32 or float64, got {a.dtype}")
    if len({a.dtype for a in arrays.values()}) > 1:
        found = ", ".join(f"{name}: {a.dtype}" for name, a in arrays.items())
        raise ValueError(f"parameters must share one dtype, got {found}")
    cols = "hidden" if gates == 1 else f"{gates}*hidden"
    W_x, W_h = arrays["W_x"], arrays["W_h"]
    if W_h.ndim != 2 or W_h.shape[1] != gates * W_h.shape[0] or W_h.shape[0] == 0:
        raise ValueError(
            f"W_h must be 2-D (hidden, {cols}) with hidden >= 1, got shape {W_h.shape}"
        )
    hidden = W_h.shape[0]
    if W_x.ndim != 2 or W_x.shape[1] != gates * hidden:
        raise ValueError(
            f"W_x must be 2-D (input, {cols}) = (input, {gates * hidden}) to match W_h, "
            f"got shape {W_x.shape}"
        )
    for name, k in bias_gates.items():
        if arrays[name].shape != (k * hidden,):
            raise ValueError(
                f"{name} must have shape ({k * hidden},) to match hidden = {hidden}, "
                f"got {arrays[name].shape}"
            )


def check_sequence(x: np.ndarray, input_size: int, dtype: np.dtype) -> np.ndarray:
    """Validate a batch of sequences `x: (batch, time, features)` and cast it to `dtype`."""
    x = np.asarray(x)
    _check_real(x, "x")
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (batch, time, features), got shape {x.shape}")
    batch, time, features = x.shape
    if batch == 0:
        raise ValueError("batch is empty (batch = 0); pass at least one sequence")
    if time == 0:
        raise ValueError("sequence is empty (time = 0); pass at least one time step")
    if features != input_size:
        raise ValueError(f"x has {features} features but W_x expects {input_size}")
    x = x.astype(dtype, copy=False)
    check_finite(x, "x")
    return x


def check_array(
    a: np.ndarray | None, name: str, shape: tuple[int, ...], layout: str, dtype: np.dtype
) -> np.ndarray:
    """Validate a state or gradient array of a known shape; `None` means zeros.

    `layout` names the axes for the message, e.g. "(batch, hidden)".
    """
    if a is None:
        return np.zeros(shape, dtype=dtype)
    a = np.asarray(a)
    _check_real(a, name)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {layout} = {shape}, got {a.shape}")
    a = a.astype(dtype, copy=False)
    check_finite(a, name)
    return a


def check_cache(input_size: int, hidden_size: int, x: np.ndarray, h: np.ndarray) -> None:
    """Refuse to backpropagate a forward pass with parameters of a different size."""
    if x.shape[2] != input_size or h.shape[2] != hidden_size:
        raise ValueError(
            f"cache is from a cell with input {x.shape[2]} and hidden {h.shape[2]}, "
            f"but params have input {input_size} and hidden {hidden_size}"
        )


def check_positive_int(value: int, name: str) -> int:
    """Accept a positive integer (not bool), the only sensible sizes and lengths."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
