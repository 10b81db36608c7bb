"""A vanilla (Elman) tanh RNN in NumPy, with backpropagation through time derived by hand.

    h_t = tanh(x_t W_x + h_{t-1} W_h + b)

Batch-first everywhere: x: (batch, time, input), h: (batch, time, hidden). Computation runs in
the parameters' dtype (float32 or float64); inputs and states are cast to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import DTypeLike

from rnn_site.scratch._params import CellParams
from rnn_site.scratch._unroll import backprop_one_state, begin_forward
from rnn_site.scratch.init import Seed, glorot_uniform, identity, orthogonal


@dataclass
class RNNParams(CellParams):
    """Weights of a tanh RNN, laid out for row-vector inputs (`x_t @ W_x`).

    W_x: (input, hidden), W_h: (hidden, hidden), b: (hidden,). PyTorch keeps two biases, but
    they are only ever added together, so one `b` is exact (`from_torch`, `to_torch`).

    See the page: architecture.md#rnn
    """

    GATES: ClassVar[int] = 1
    BIAS_GATES: ClassVar[tuple[tuple[str, int], ...]] = (("b", 1),)

    @classmethod
    def initialize(
        cls,
        input_size: int,
        hidden_size: int,
        *,
        seed: Seed,
        recurrent: Literal["orthogonal", "identity", "glorot"] = "orthogonal",
        dtype: DTypeLike = np.float64,
    ) -> RNNParams:
        """Fresh weights: Glorot-uniform W_x, zero b, and W_h chosen by `recurrent`.

        "orthogonal" keeps the state's norm through the recurrence; "identity" is the IRNN
        scheme (copy the state forward); "glorot" is the naive baseline that the training page
        shows vanishing.

        See the page: training.md#initialisation
        """
        rng = np.random.default_rng(seed)
        W_x = glorot_uniform(input_size, hidden_size, seed=rng, dtype=dtype)
        if recurrent == "orthogonal":
            W_h = orthogonal(hidden_size, hidden_size, seed=rng, dtype=dtype)
        elif recurrent == "identity":
            W_h = identity(hidden_size, dtype=dtype)
        elif recurrent == "glorot":
            W_h = glorot_uniform(hidden_size, hidden_size, seed=rng, dtype=dtype)
        else:
            raise ValueError(
                f"unknown recurrent init {recurrent!r}; choose 'orthogonal', 'identity' or 'glorot'"
            )
        return cls(W_x=W_x, W_h=W_h, b=np.zeros(hidden_size, dtype=dtype))


@dataclass
class RNNCache:
    """What the backward pass needs from the forward pass.

    x: (B, T, I) as used (cast), h0: (B, H), h: (B, T, H).

    See the page: architecture.md#rnn
    """

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray


@dataclass
class RNNForward:
    """Result of `rnn_forward`: every hidden state h: (B, T, H) and the cache for backward.

    See the page: architecture.md#rnn
    """

    h: np.ndarray
    cache: RNNCache


@dataclass
class RNNGrads:
    """Gradients of a scalar loss w.r.t. the parameters, the inputs x: (B, T, I) and h0: (B, H).

    See the page: architecture.md#rnn
    """

    params: RNNParams
    x: np.ndarray
    h0: np.ndarray


# --8<-- [start:rnn_step]
def rnn_step(params: RNNParams, x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
    """One time step: x_t: (B, I), h: (B, H) -> new h: (B, H). No input checks (hot loop).

    See the page: architecture.md#rnn
    """
    # The same W_x, W_h, b at every step: the network is one layer unrolled through time.
    # tanh keeps the state in (-1, 1), so it cannot grow without bound over a long sequence.
    return np.tanh(x_t @ params.W_x + h @ params.W_h + params.b)


# --8<-- [end:rnn_step]


# --8<-- [start:rnn_backward_step]
def rnn_backward_step(
    params: RNNParams, x_t: np.ndarray, h_prev: np.ndarray, h_t: np.ndarray, dh_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, RNNParams]:
    """Backprop one step: dL/dh_t: (B, H) -> (dx_t: (B, I), dL/dh_prev: (B, H), step's dparams).

    `dh_t` must already include what flowed back from step t+1.

    See the page: architecture.md#rnn
    """
    # tanh' = 1 - tanh², and h_t *is* the tanh output, so no need to keep the pre-activation.
    da = dh_t * (1.0 - h_t**2)  # (B, H): gradient w.r.t. x_t W_x + h_prev W_h + b
    dparams = RNNParams(W_x=x_t.T @ da, W_h=h_prev.T @ da, b=da.sum(axis=0))
    # Going back one step multiplies by W_hᵀ and by tanh' ≤ 1: repeated T times, this product
    # is why plain RNN gradients vanish (or explode when W_h is large).
    return da @ params.W_x.T, da @ params.W_h.T, dparams


# --8<-- [end:rnn_backward_step]


def rnn_forward(params: RNNParams, x: np.ndarray, h0: np.ndarray | None = None) -> RNNForward:
    """Run the RNN over a batch: x: (B, T, I), h0: (B, H) or None for zeros -> h: (B, T, H).

    Raises ValueError for wrong ranks or sizes, NaN/inf, and empty batches or sequences.

    See the page: architecture.md#rnn
    """
    x, h0, h = begin_forward(params, x, h0)
    h_t = h0
    for t in range(x.shape[1]):
        h_t = h[:, t] = rnn_step(params, x[:, t], h_t)
    return RNNForward(h=h, cache=RNNCache(x=x, h0=h0, h=h))


def rnn_backward(
    params: RNNParams, cache: RNNCache, dh: np.ndarray, dh_T: np.ndarray | None = None
) -> RNNGrads:
    """Backpropagation through time for `rnn_forward`.

    dh: (B, T, H) is dL/dh_t for every step (zeros where the loss ignores a step); dh_T: (B, H)
    is an extra gradient on the final state, e.g. from a later chunk or a final-state loss.
    Walks t = T-1 .. 0 carrying dL/dh_{t-1} back, summing each step's parameter gradients.

    See the page: architecture.md#rnn
    """
    grads, dx, dh0 = backprop_one_state(params, cache, dh, dh_T, rnn_backward_step, cache.h)
    return RNNGrads(params=grads, x=dx, h0=dh0)
