"""A long short-term memory (LSTM) cell in NumPy, with backpropagation through time by hand.

    i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)  where a = x_t W_x + h_{t-1} W_h + b
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Gate order i, f, g, o is PyTorch's, so its weights load with a transpose. Batch-first everywhere:
x: (batch, time, input), h and c: (batch, time, hidden), gates: (batch, time, 4, hidden).
Computation runs in the parameters' dtype (float32 or float64); inputs and states are cast to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import DTypeLike

from rnn_site.scratch._params import CellParams
from rnn_site.scratch._unroll import GatedForward, begin_backward, begin_forward, check_state
from rnn_site.scratch.activations import sigmoid
from rnn_site.scratch.init import Seed, forget_gate_bias, glorot_uniform, recurrent_orthogonal

GATE_NAMES = ("i", "f", "g", "o")


@dataclass
class LSTMParams(CellParams):
    """Weights of an LSTM, the four gates stacked side by side in order i, f, g, o.

    W_x: (input, 4*hidden), W_h: (hidden, 4*hidden), b: (4*hidden,). Gate k uses columns
    k*H:(k+1)*H. PyTorch's two biases are only ever added together, so one `b` is exact, and
    its weights load with a transpose (`from_torch`, `to_torch`): its gate order is ours.

    See the page: architecture.md#lstm
    """

    GATES: ClassVar[int] = 4
    BIAS_GATES: ClassVar[tuple[tuple[str, int], ...]] = (("b", 4),)

    @classmethod
    def initialize(
        cls,
        input_size: int,
        hidden_size: int,
        *,
        seed: Seed,
        forget_bias: float = 1.0,
        dtype: DTypeLike = np.float64,
    ) -> LSTMParams:
        """Fresh weights: Glorot-uniform W_x, an orthogonal W_h block per gate, forget bias.

        The forget bias (default 1) starts the cell remembering, so gradients reach far back.

        See the page: training.md#initialisation
        """
        rng = np.random.default_rng(seed)
        return cls(
            W_x=glorot_uniform(input_size, 4 * hidden_size, seed=rng, dtype=dtype),
            W_h=recurrent_orthogonal(hidden_size, 4, seed=rng, dtype=dtype),
            b=forget_gate_bias(hidden_size, forget_bias, dtype=dtype),
        )


@dataclass
class LSTMCache:
    """What the backward pass needs from the forward pass.

    x: (B, T, I) as used (cast), h0 and c0: (B, H), h and c: (B, T, H), gates: (B, T, 4, H).

    See the page: architecture.md#lstm
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    h: np.ndarray
    c: np.ndarray
    gates: np.ndarray


@dataclass
class LSTMForward(GatedForward):
    """Result of `lstm_forward`: all states and gate activations, plus the cache for backward.

    h, c: (B, T, H); gates: (B, T, 4, H) after their activations, in order i, f, g, o
    (`gates[:, :, 1]` is the forget gate; `.gate("f")` says so by name).

    See the page: architecture.md#lstm
    """

    h: np.ndarray
    c: np.ndarray
    gates: np.ndarray
    cache: LSTMCache

    GATE_NAMES: ClassVar[tuple[str, ...]] = GATE_NAMES
    CELL: ClassVar[str] = "LSTM"


@dataclass
class LSTMGrads:
    """Gradients of a scalar loss w.r.t. the parameters, x: (B, T, I), h0 and c0: (B, H).

    See the page: architecture.md#lstm
    """

    params: LSTMParams
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray


# --8<-- [start:lstm_step]
def lstm_step(
    params: LSTMParams, x_t: np.ndarray, h: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One time step: x_t: (B, I), h, c: (B, H) -> (h, c, gates: (B, 4, H)). No input checks.

    See the page: architecture.md#lstm
    """
    # All four gates in one matmul, then split: column block k belongs to gate k.
    a = (x_t @ params.W_x + h @ params.W_h + params.b).reshape(len(x_t), 4, -1)
    i = sigmoid(a[:, 0])  # input gate, in (0, 1): how much of the candidate to write
    f = sigmoid(a[:, 1])  # forget gate, in (0, 1): how much of the old memory to keep
    g = np.tanh(a[:, 2])  # candidate values, in (-1, 1): what could be written
    o = sigmoid(a[:, 3])  # output gate, in (0, 1): how much of the memory to show
    # The memory is updated by addition, not by squashing through a matrix: this is what
    # lets information (and gradient) survive many steps when f stays near 1.
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, c, np.stack([i, f, g, o], axis=1)


# --8<-- [end:lstm_step]


# --8<-- [start:lstm_backward_step]
def lstm_backward_step(
    params: LSTMParams,
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    c_t: np.ndarray,
    gates_t: np.ndarray,
    dh_t: np.ndarray,
    dc_t: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, LSTMParams]:
    """Backprop one step: (dL/dh_t, dL/dc_t) -> (dx_t, dL/dh_prev, dL/dc_prev, step's dparams).

    Shapes: x_t (B, I); states and their gradients (B, H); gates_t (B, 4, H). `dh_t` and `dc_t`
    must already include what flowed back from step t+1.

    See the page: architecture.md#lstm
    """
    i, f, g, o = gates_t[:, 0], gates_t[:, 1], gates_t[:, 2], gates_t[:, 3]
    tanh_c = np.tanh(c_t)
    # h_t = o * tanh(c_t): the gradient splits between the output gate and the memory.
    do = dh_t * tanh_c
    dc = dc_t + dh_t * o * (1.0 - tanh_c**2)
    # c_t = f * c_prev + i * g: each factor's gradient is the other factor times dc.
    di, df, dg = dc * g, dc * c_prev, dc * i
    dc_prev = dc * f  # only scaled by f, no matrix, no squashing: the gradient highway
    # Through the activations (σ' = σ(1-σ), tanh' = 1-tanh²) to a = x_t W_x + h_prev W_h + b.
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], 1)
    dparams = LSTMParams(W_x=x_t.T @ da, W_h=h_prev.T @ da, b=da.sum(axis=0))
    return da @ params.W_x.T, da @ params.W_h.T, dc_prev, dparams


# --8<-- [end:lstm_backward_step]


def lstm_forward(
    params: LSTMParams,
    x: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> LSTMForward:
    """Run the LSTM over a batch: x: (B, T, I), h0, c0: (B, H) or None for zeros.

    Returns h, c: (B, T, H), gates: (B, T, 4, H) and the cache for `lstm_backward`. Raises
    ValueError for wrong ranks or sizes, NaN/inf, and empty batches or sequences.

    See the page: architecture.md#lstm
    """
    x, h0, h = begin_forward(params, x, h0)
    batch, time, hidden = h.shape
    c0 = check_state(params, c0, "c0", batch)
    c = np.empty_like(h)
    gates = np.empty((batch, time, 4, hidden), dtype=params.dtype)
    h_t, c_t = h0, c0
    for t in range(time):
        h_t, c_t, gates[:, t] = lstm_step(params, x[:, t], h_t, c_t)
        h[:, t], c[:, t] = h_t, c_t
    cache = LSTMCache(x=x, h0=h0, c0=c0, h=h, c=c, gates=gates)
    return LSTMForward(h=h, c=c, gates=gates, cache=cache)


def lstm_backward(
    params: LSTMParams,
    cache: LSTMCache,
    dh: np.ndarray,
    dh_T: np.ndarray | None = None,
    dc_T: np.ndarray | None = None,
) -> LSTMGrads:
    """Backpropagation through time for `lstm_forward`.

    dh: (B, T, H) is dL/dh_t for every step (zeros where the loss ignores a step); dh_T, dc_T:
    (B, H) are extra gradients on the final states, e.g. from a later chunk. Walks
    t = T-1 .. 0 carrying dL/dh and dL/dc back, summing each step's parameter gradients.

    See the page: architecture.md#lstm
    """
    dh, dh_next, grads, dx = begin_backward(params, cache.x, cache.h, dh, dh_T)
    dc_next = check_state(params, dc_T, "dc_T", len(dh))
    for t in reversed(range(dh.shape[1])):
        h_prev = cache.h[:, t - 1] if t > 0 else cache.h0
        c_prev = cache.c[:, t - 1] if t > 0 else cache.c0
        dx[:, t], dh_next, dc_next, step = lstm_backward_step(
            params,
            cache.x[:, t],
            h_prev,
            c_prev,
            cache.c[:, t],
            cache.gates[:, t],
            dh[:, t] + dh_next,
            dc_next,
        )
        grads.add_(step)
    return LSTMGrads(params=grads, x=dx, h0=dh_next, c0=dc_next)
