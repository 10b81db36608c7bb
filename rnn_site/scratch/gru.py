"""A gated recurrent unit (GRU) in NumPy, with backpropagation through time by hand.

    r = σ(x_t W_xr + h W_hr + b_r)                  reset gate
    z = σ(x_t W_xz + h W_hz + b_z)                  update gate
    n = tanh(x_t W_xn + b_n + r * (h W_hn + b_hn))  candidate
    h_t = (1 - z) * n + z * h

This is PyTorch's formulation (gate order r, z, n): the reset gate multiplies the hidden term
*after* its bias b_hn, so b_hn cannot be merged into b_n and is kept as its own parameter.
Batch-first everywhere: x: (batch, time, input), h: (batch, time, hidden), gates: (batch, time,
3, hidden). Computation runs in the parameters' dtype; inputs and states are cast to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import DTypeLike

from rnn_site.scratch._params import CellParams
from rnn_site.scratch._unroll import GatedForward, backprop_one_state, begin_forward
from rnn_site.scratch.activations import sigmoid
from rnn_site.scratch.init import Seed, glorot_uniform, recurrent_orthogonal

GATE_NAMES = ("r", "z", "n")


@dataclass
class GRUParams(CellParams):
    """Weights of a GRU, gates stacked side by side in order r, z, n.

    W_x: (input, 3*hidden), W_h: (hidden, 3*hidden), b: (3*hidden,) = [b_r, b_z, b_n] (PyTorch's
    input and hidden biases summed for r and z; only its input bias for n), b_hn: (hidden,) the
    hidden bias of the candidate, which sits inside r * (h W_hn + b_hn).

    See the page: architecture.md#gru
    """

    b_hn: np.ndarray

    GATES: ClassVar[int] = 3
    BIAS_GATES: ClassVar[tuple[tuple[str, int], ...]] = (("b", 3), ("b_hn", 1))

    @classmethod
    def biases_from_torch(
        cls, weight_hh: np.ndarray, bias_ih: np.ndarray | None, bias_hh: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """`b` and `b_hn` from `torch.nn.GRU`'s biases, exactly: bias_hh's r and z parts fold
        into `b`, its n part becomes `b_hn`.

        See the page: architecture.md#gru
        """
        hidden = weight_hh.shape[1]
        b = np.zeros(3 * hidden, dtype=weight_hh.dtype)
        b_hn = np.zeros(hidden, dtype=weight_hh.dtype)
        if bias_ih is not None:
            b = b + bias_ih
        if bias_hh is not None:
            b[: 2 * hidden] += bias_hh[: 2 * hidden]
            b_hn = b_hn + bias_hh[2 * hidden :]
        return {"b": b, "b_hn": b_hn}

    def biases_to_torch(self) -> dict[str, np.ndarray]:
        """`torch.nn.GRU`'s two biases: ours as bias_ih, `b_hn` as bias_hh's n part.

        See the page: architecture.md#gru
        """
        bias_hh = np.zeros_like(self.b)
        bias_hh[2 * self.hidden_size :] = self.b_hn
        return {"bias_ih_l0": self.b.copy(), "bias_hh_l0": bias_hh}

    @classmethod
    def initialize(
        cls, input_size: int, hidden_size: int, *, seed: Seed, dtype: DTypeLike = np.float64
    ) -> GRUParams:
        """Fresh weights: Glorot-uniform W_x, an orthogonal W_h block per gate, zero biases.

        See the page: training.md#initialisation
        """
        rng = np.random.default_rng(seed)
        return cls(
            W_x=glorot_uniform(input_size, 3 * hidden_size, seed=rng, dtype=dtype),
            W_h=recurrent_orthogonal(hidden_size, 3, seed=rng, dtype=dtype),
            b=np.zeros(3 * hidden_size, dtype=dtype),
            b_hn=np.zeros(hidden_size, dtype=dtype),
        )


@dataclass
class GRUCache:
    """What the backward pass needs from the forward pass.

    x: (B, T, I) as used (cast), h0: (B, H), h: (B, T, H), gates: (B, T, 3, H).

    See the page: architecture.md#gru
    """

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray
    gates: np.ndarray


@dataclass
class GRUForward(GatedForward):
    """Result of `gru_forward`: h: (B, T, H), gates: (B, T, 3, H) in order r, z, n, and cache.

    See the page: architecture.md#gru
    """

    h: np.ndarray
    gates: np.ndarray
    cache: GRUCache

    GATE_NAMES: ClassVar[tuple[str, ...]] = GATE_NAMES
    CELL: ClassVar[str] = "GRU"


@dataclass
class GRUGrads:
    """Gradients of a scalar loss w.r.t. the parameters, x: (B, T, I) and h0: (B, H).

    See the page: architecture.md#gru
    """

    params: GRUParams
    x: np.ndarray
    h0: np.ndarray


# --8<-- [start:gru_step]
def gru_step(params: GRUParams, x_t: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One time step: x_t: (B, I), h: (B, H) -> (h, gates: (B, 3, H)). No input checks.

    See the page: architecture.md#gru
    """
    H = params.hidden_size
    ax = x_t @ params.W_x + params.b  # (B, 3H): the input's say in r, z, n
    ah = h @ params.W_h  # (B, 3H): the old state's say in r, z, n
    r = sigmoid(ax[:, :H] + ah[:, :H])  # reset: how much of the old state the candidate sees
    z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])  # update: keep old state (1) or not (0)
    n = np.tanh(ax[:, 2 * H :] + r * (ah[:, 2 * H :] + params.b_hn))  # candidate state
    # A convex mix of old state and candidate: with z near 1 the state (and its gradient)
    # passes through unchanged, like the LSTM's forget gate, but with one state instead of two.
    h = (1.0 - z) * n + z * h
    return h, np.stack([r, z, n], axis=1)


# --8<-- [end:gru_step]


# --8<-- [start:gru_backward_step]
def gru_backward_step(
    params: GRUParams,
    x_t: np.ndarray,
    h_prev: np.ndarray,
    gates_t: np.ndarray,
    dh_t: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, GRUParams]:
    """Backprop one step: dL/dh_t: (B, H) -> (dx_t: (B, I), dL/dh_prev: (B, H), step's dparams).

    `dh_t` must already include what flowed back from step t+1; gates_t: (B, 3, H).

    See the page: architecture.md#gru
    """
    H = params.hidden_size
    r, z, n = gates_t[:, 0], gates_t[:, 1], gates_t[:, 2]
    hn = h_prev @ params.W_h[:, 2 * H :] + params.b_hn  # recomputed: cheaper than caching
    # h_t = (1 - z) * n + z * h_prev
    dn, dz, dh_prev = dh_t * (1.0 - z), dh_t * (h_prev - n), dh_t * z
    da_n = dn * (1.0 - n**2)  # through tanh to n's pre-activation
    dhn = da_n * r  # r gates the hidden term, so its gradient is gated too
    da_r = da_n * hn * r * (1.0 - r)
    da_z = dz * z * (1.0 - z)
    dax = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H) w.r.t. x_t W_x + b
    dah = np.concatenate([da_r, da_z, dhn], axis=1)  # (B, 3H) w.r.t. h_prev W_h (+ b_hn)
    dparams = GRUParams(
        W_x=x_t.T @ dax, W_h=h_prev.T @ dah, b=dax.sum(axis=0), b_hn=dhn.sum(axis=0)
    )
    return dax @ params.W_x.T, dh_prev + dah @ params.W_h.T, dparams


# --8<-- [end:gru_backward_step]


def gru_forward(params: GRUParams, x: np.ndarray, h0: np.ndarray | None = None) -> GRUForward:
    """Run the GRU over a batch: x: (B, T, I), h0: (B, H) or None for zeros.

    Returns h: (B, T, H), gates: (B, T, 3, H) and the cache for `gru_backward`. Raises
    ValueError for wrong ranks or sizes, NaN/inf, and empty batches or sequences.

    See the page: architecture.md#gru
    """
    x, h0, h = begin_forward(params, x, h0)
    batch, time, hidden = h.shape
    gates = np.empty((batch, time, 3, hidden), dtype=params.dtype)
    h_t = h0
    for t in range(time):
        h_t, gates[:, t] = gru_step(params, x[:, t], h_t)
        h[:, t] = h_t
    return GRUForward(h=h, gates=gates, cache=GRUCache(x=x, h0=h0, h=h, gates=gates))


def gru_backward(
    params: GRUParams, cache: GRUCache, dh: np.ndarray, dh_T: np.ndarray | None = None
) -> GRUGrads:
    """Backpropagation through time for `gru_forward`.

    dh: (B, T, H) is dL/dh_t for every step (zeros where the loss ignores a step); dh_T: (B, H)
    is an extra gradient on the final state, e.g. from a later chunk.

    See the page: architecture.md#gru
    """
    grads, dx, dh0 = backprop_one_state(params, cache, dh, dh_T, gru_backward_step, cache.gates)
    return GRUGrads(params=grads, x=dx, h0=dh0)
