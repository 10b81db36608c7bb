"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?", arXiv 2410.01201) in NumPy.

Take the GRU and the LSTM and remove every h_{t-1} from inside the gates and the candidate:

    minGRU:   z_t = σ(x_t W_z + b_z)      h̃_t = g(x_t W_h + b_h)
              h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t
    minLSTM:  f_t = σ(x_t W_f + b_f)      i_t = σ(x_t W_i + b_i)      h̃_t = g(x_t W_h + b_h)
              f'_t = f_t / (f_t + i_t)    i'_t = i_t / (f_t + i_t)
              h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t

Each is then the linear recurrence h_t = a_t ⊙ h_{t-1} + b_t of `rnn_site.scratch.scan`, with
a_t and b_t computed from the inputs alone: for all t at once, in parallel, before the scan.
g(x) = x + 0.5 for x ≥ 0 and σ(x) below keeps h̃ positive, so the scan can run on logarithms.
The price: the state can only be mixed with new input, never *transformed* by the network
(no h W_h), which is why the models stack several layers.

Layout: W: (input, gates*hidden) with the gate blocks side by side (z, h for minGRU; f, i, h for
minLSTM), b: (gates*hidden,), x: (batch, time, input), h0: (batch, hidden). NumPy only; the
PyTorch layers in `rnn_site.models.min_rnn` hold the same weights transposed (`from_torch`).

See the page: next.md#mingru-and-minlstm
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from rnn_site.scratch.activations import sigmoid
from rnn_site.scratch.scan import log_space_scan, sequential_scan

MinCell = Literal["mingru", "minlstm"]
#: Gate blocks per cell, in column order.
GATES: dict[str, tuple[str, ...]] = {"mingru": ("z", "h"), "minlstm": ("f", "i", "h")}


@dataclass
class MinRNNParams:
    """The weights of one minGRU or minLSTM layer: one affine map from x_t to all gate blocks.

    See the page: next.md#mingru-and-minlstm
    """

    cell: MinCell
    W: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        if self.cell not in GATES:
            raise ValueError(f"unknown cell {self.cell!r}; choose 'mingru' or 'minlstm'")
        gates = len(GATES[self.cell])
        if self.W.ndim != 2 or self.W.shape[1] % gates or self.b.shape != (self.W.shape[1],):
            raise ValueError(
                f"{self.cell} needs W: (input, {gates}*hidden) and b: ({gates}*hidden,), got "
                f"{self.W.shape} and {self.b.shape}"
            )

    @property
    def hidden_size(self) -> int:
        return self.W.shape[1] // len(GATES[self.cell])

    @classmethod
    def from_torch(cls, cell: MinCell, weight: np.ndarray, bias: np.ndarray) -> MinRNNParams:
        """From a `torch.nn.Linear(input, gates*hidden)`'s weight (out, in) and bias."""
        return cls(cell, np.ascontiguousarray(weight.T), bias.copy())

    @classmethod
    def initialize(
        cls, cell: MinCell, input_size: int, hidden_size: int, seed: int, dtype: type = np.float64
    ) -> MinRNNParams:
        """Uniform ±1/sqrt(input) weights and biases, like `torch.nn.Linear`'s default."""
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(input_size)
        width = len(GATES[cell]) * hidden_size
        W: np.ndarray = rng.uniform(-bound, bound, (input_size, width)).astype(dtype)
        return cls(cell, W, rng.uniform(-bound, bound, width).astype(dtype))


def g(x: np.ndarray) -> np.ndarray:
    """x + 0.5 for x ≥ 0, σ(x) below: continuous, increasing and always positive."""
    return np.where(x >= 0, x + 0.5, sigmoid(x))


def log_g(x: np.ndarray) -> np.ndarray:
    """log g(x), computed without forming g(x) (σ(x) underflows for very negative x)."""
    return np.where(x >= 0, np.log(np.maximum(x, 0) + 0.5), -np.logaddexp(0, -x))


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x), stably; −softplus(−x) = log σ(x) and −softplus(x) = log(1 − σ(x))."""
    return np.logaddexp(0, x)


def _blocks(params: MinRNNParams, x: np.ndarray) -> list[np.ndarray]:
    """The pre-activations of every gate block for every step at once: each (B, T, H)."""
    pre = x @ params.W + params.b  # one matrix product for all T steps: nothing waits for h
    return np.split(pre, len(GATES[params.cell]), axis=-1)


# --8<-- [start:step]
def min_rnn_step(params: MinRNNParams, x_t: np.ndarray, h: np.ndarray) -> np.ndarray:
    """One step, the way generation runs it: x_t: (B, I), h: (B, H) → h_t: (B, H).

    See the page: next.md#mingru-and-minlstm
    """
    blocks = np.split(x_t @ params.W + params.b, len(GATES[params.cell]), axis=-1)
    if params.cell == "mingru":
        z, candidate = sigmoid(blocks[0]), g(blocks[1])
        return (1 - z) * h + z * candidate
    f, i, candidate = sigmoid(blocks[0]), sigmoid(blocks[1]), g(blocks[2])
    return f / (f + i) * h + i / (f + i) * candidate  # f' + i' = 1: the state stays bounded


# --8<-- [end:step]


def min_rnn_sequential(
    params: MinRNNParams, x: np.ndarray, h0: np.ndarray | None = None
) -> np.ndarray:
    """`min_rnn_step` over x: (B, T, I) from h0 (zeros by default) → h: (B, T, H).

    See the page: next.md#mingru-and-minlstm
    """
    h = np.zeros((x.shape[0], params.hidden_size), x.dtype) if h0 is None else h0
    out = []
    for t in range(x.shape[1]):
        h = min_rnn_step(params, x[:, t], h)
        out.append(h)
    return np.stack(out, axis=1)


# --8<-- [start:parallel]
def min_rnn_coefficients(params: MinRNNParams, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log a_t and log b_t of h_t = a_t h_{t-1} + b_t for every step: each (B, T, H).

    See the page: next.md#mingru-and-minlstm
    """
    blocks = _blocks(params, x)
    if params.cell == "mingru":
        k_z, k_h = blocks
        # log(1 - z) = -softplus(k), log z = -softplus(-k): no σ that could round to 0 or 1.
        return -softplus(k_z), -softplus(-k_z) + log_g(k_h)
    k_f, k_i, k_h = blocks
    # log f' = log f - log(f + i) = -softplus(log i - log f), and symmetrically for i'.
    diff = softplus(-k_f) - softplus(-k_i)  # log i - log f
    return -softplus(diff), -softplus(-diff) + log_g(k_h)


def min_rnn_parallel(
    params: MinRNNParams, x: np.ndarray, h0: np.ndarray | None = None
) -> np.ndarray:
    """The same h as `min_rnn_sequential`, from the log-space scan: x: (B, T, I) → (B, T, H).

    See the page: next.md#mingru-and-minlstm
    """
    log_a, log_b = min_rnn_coefficients(params, x)
    return log_space_scan(log_a, log_b, h0)


# --8<-- [end:parallel]


def min_rnn_scan_reference(
    params: MinRNNParams, x: np.ndarray, h0: np.ndarray | None = None
) -> np.ndarray:
    """The coefficients of `min_rnn_coefficients` run through the plain loop: a cross-check
    that the log-space scan, not the coefficients, is what the parallel mode changes."""
    log_a, log_b = min_rnn_coefficients(params, x)
    return sequential_scan(np.exp(log_a), np.exp(log_b), h0)
