"""Weight initialisers for the scratch cells, each with the reason it helps a recurrent net train.

Every function takes a `seed` (an int, a `np.random.Generator`, or the lab's `LabRandom`) so
results are reproducible.
Shapes follow the row-vector layout of the cells: a weight maps (batch, fan_in) to (batch, fan_out).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from rnn_site.scratch._checks import check_positive_int
from rnn_site.scratch.rng import LabRandom

Seed = int | np.random.Generator
#: The initialisers also take the lab's `LabRandom`: the same draws as the browser lab's.
AnySeed = Seed | LabRandom


def _generator(seed: AnySeed) -> np.random.Generator | LabRandom:
    return seed if isinstance(seed, LabRandom) else np.random.default_rng(seed)


def glorot_uniform(
    fan_in: int, fan_out: int, *, seed: AnySeed, gain: float = 1.0, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Var = a²/3 = 2 / (fan_in + fan_out) keeps activations and gradients at about the same scale
    going forward and backward through a layer (Glorot & Bengio, 2010). Returns (fan_in, fan_out).

    See the page: training.md#initialisation
    """
    fan_in = check_positive_int(fan_in, "fan_in")
    fan_out = check_positive_int(fan_out, "fan_out")
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    rng = _generator(seed)
    return rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(dtype)


def orthogonal(
    rows: int, cols: int, *, seed: AnySeed, gain: float = 1.0, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """A random (semi-)orthogonal matrix times `gain`, drawn uniformly (Haar measure).

    Every singular value is 1, so repeatedly multiplying a state by it (as the recurrence does)
    neither blows up nor shrinks its norm at the start of training (Saxe et al., 2014).
    Returns (rows, cols): orthonormal columns if rows >= cols, else orthonormal rows.

    See the page: training.md#initialisation
    """
    rows = check_positive_int(rows, "rows")
    cols = check_positive_int(cols, "cols")
    rng = _generator(seed)
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    # QR's sign convention is not random; fixing the signs of R's diagonal makes Q uniform.
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).astype(dtype)


def identity(n: int, *, scale: float = 1.0, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Recurrent weights `scale * I` (IRNN, Le, Jaitly & Hinton, 2015). Returns (n, n).

    With W_h = I and zero bias the state is copied forward unchanged, so gradients pass through
    many steps undamped. The paper pairs it with ReLU; with tanh it still starts near-identity.

    See the page: training.md#initialisation
    """
    n = check_positive_int(n, "n")
    return (scale * np.eye(n)).astype(dtype)


def forget_gate_bias(
    hidden_size: int, value: float = 1.0, *, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """An LSTM bias (4*hidden,) in gate order i, f, g, o: zeros except `value` on the f slice.

    A positive forget bias makes f = sigmoid(1) ≈ 0.73 at start, so the cell keeps its memory and
    gradients flow back through time until training decides what to forget (Jozefowicz et al.,
    2015; Gers et al., 2000).

    See the page: training.md#initialisation
    """
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    b = np.zeros(4 * hidden_size, dtype=dtype)
    b[hidden_size : 2 * hidden_size] = value
    return b


def recurrent_orthogonal(
    hidden_size: int, gates: int, *, seed: AnySeed, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Recurrent weights (hidden, gates*hidden) with an orthogonal block per gate.

    Each gate sees h through its own square orthogonal map, rather than one orthogonal
    (hidden, gates*hidden) matrix whose square blocks would not be orthogonal.

    See the page: training.md#initialisation
    """
    rng = _generator(seed)
    blocks = [orthogonal(hidden_size, hidden_size, seed=rng, dtype=dtype) for _ in range(gates)]
    return np.concatenate(blocks, axis=1)
