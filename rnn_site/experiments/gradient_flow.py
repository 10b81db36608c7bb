"""How far back does a gradient reach? ‖∂L/∂h_t‖ against distance in time, measured.

A loss on the *last* state only, L = mean_b r · h_T, is backpropagated through a freshly
initialised cell with the package's own backward steps, and the norm of ∂L/∂h_t is recorded at
every step t. For a tanh RNN each step back multiplies by diag(1 - h_t²) W_hᵀ, so the norm
shrinks (or grows) roughly geometrically with the distance T - t; the LSTM's cell-state path is
only multiplied by the forget gate, the GRU's by the update gate.

The recurrent weights are `scale` times an orthogonal matrix (one per gate), so `scale` is
exactly the spectral radius of W_h (and of each gate's block): below 1 the product of Jacobians
must shrink, above 1 it may grow until tanh saturates.

NumPy only: the site build computes the explorer's data with this module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from rnn_site.scratch import (
    GRUParams,
    LSTMParams,
    RNNParams,
    clip_by_global_norm,
    global_norm,
    gru_backward_step,
    gru_forward,
    lstm_backward_step,
    lstm_forward,
    orthogonal,
    rnn_backward_step,
    rnn_forward,
)

CellKind = Literal["rnn", "lstm", "lstm-fb1", "gru"]
#: The cells the page compares; "lstm-fb1" is the LSTM with forget-gate bias 1.
CELL_KINDS: tuple[CellKind, ...] = ("rnn", "lstm", "lstm-fb1", "gru")
CELL_LABELS: dict[str, str] = {
    "rnn": "tanh RNN",
    "lstm": "LSTM (forget bias 0)",
    "lstm-fb1": "LSTM (forget bias 1)",
    "gru": "GRU",
}


@dataclass
class GradientFlow:
    """One measurement: how the gradient of a final-step loss spreads back through time.

    `dh_norm[k]` is ‖∂L/∂h_t‖ (Frobenius over the batch) at distance k = T-1-t from the loss,
    so `dh_norm[0]` is at the last step; length T. `param_grad_norm` is the global norm of all
    parameter gradients, the number clipping looks at; `clip_factor` is what clipping to
    `max_norm` multiplies every gradient by (1.0 if no clipping happened).

    See the page: training.md#gradient-flow
    """

    cell: str
    time: int
    scale: float
    dh_norm: list[float]
    param_grad_norm: float
    clip_factor: float
    max_norm: float

    def decay_per_step(self, start: int = 1, stop: int | None = None) -> float:
        """Geometric-mean ratio ‖∂L/∂h_{t-1}‖ / ‖∂L/∂h_t‖ over distances [start, stop).

        Below 1 means vanishing, above 1 exploding. Distance 0 is skipped by default because
        the first step back still carries the readout's direction, not the recurrence's.

        See the page: training.md#gradient-flow
        """
        norms = np.asarray(self.dh_norm[start:stop], dtype=np.float64)
        norms = norms[norms > 0]
        if len(norms) < 2:
            return float("nan")
        return float(np.exp(np.mean(np.diff(np.log(norms)))))

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data (floats rounded to 4 significant digits, to keep files small).

        See the page: training.md#gradient-flow
        """
        data = asdict(self)
        data["dh_norm"] = [float(f"{v:.4g}") for v in self.dh_norm]
        for key in ("param_grad_norm", "clip_factor"):
            data[key] = float(f"{data[key]:.4g}")
        return data


def make_params(
    cell: CellKind, input_size: int, hidden_size: int, scale: float, seed: int
) -> RNNParams | LSTMParams | GRUParams:
    """Fresh float64 weights with recurrent blocks `scale` × orthogonal (spectral radius = scale).

    Input weights are the package's usual Glorot init; biases zero except the LSTM forget gate
    for "lstm-fb1". W_h: (H, gates*H).

    See the page: training.md#initialisation
    """
    rng = np.random.default_rng(seed)
    if cell == "rnn":
        params: RNNParams | LSTMParams | GRUParams = RNNParams.initialize(
            input_size, hidden_size, seed=rng
        )
    elif cell in ("lstm", "lstm-fb1"):
        params = LSTMParams.initialize(
            input_size, hidden_size, seed=rng, forget_bias=1.0 if cell == "lstm-fb1" else 0.0
        )
    elif cell == "gru":
        params = GRUParams.initialize(input_size, hidden_size, seed=rng)
    else:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELL_KINDS)}")
    gates = params.W_h.shape[1] // hidden_size
    blocks = [orthogonal(hidden_size, hidden_size, seed=rng) for _ in range(gates)]
    params.W_h = scale * np.concatenate(blocks, axis=1)
    return params


# --8<-- [start:measure_gradient_flow]
def measure_gradient_flow(
    cell: CellKind,
    time: int,
    scale: float,
    *,
    hidden_size: int = 32,
    input_size: int = 4,
    batch: int = 16,
    max_norm: float = 1.0,
    seed: int = 0,
) -> GradientFlow:
    """Backpropagate a loss on h_T through `time` steps and record ‖∂L/∂h_t‖ at every step.

    Inputs x: (batch, time, input_size) are standard normal; the loss is L = mean_b r·h_T with a
    fixed random unit vector r: (hidden_size,). The walk back uses the package's per-step
    backward functions, the same ones `rnn_backward` & co. loop over.

    See the page: training.md#gradient-flow
    """
    if time < 1:
        raise ValueError(f"time must be at least 1, got {time}")
    if not (np.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite number >= 0, got {scale!r}")
    rng = np.random.default_rng(seed)
    params = make_params(cell, input_size, hidden_size, scale, seed)
    x = rng.standard_normal((batch, time, input_size))
    r = rng.standard_normal(hidden_size)
    r /= np.linalg.norm(r)

    dh = np.broadcast_to(r / batch, (batch, hidden_size)).copy()  # ∂L/∂h_T
    norms = np.empty(time)
    grads = params.zeros_like()
    if isinstance(params, RNNParams):
        h = rnn_forward(params, x).h
        for t in reversed(range(time)):
            norms[time - 1 - t] = np.linalg.norm(dh)
            h_prev = h[:, t - 1] if t > 0 else np.zeros_like(h[:, 0])
            _, dh, step = rnn_backward_step(params, x[:, t], h_prev, h[:, t], dh)
            grads.add_(step)
    elif isinstance(params, LSTMParams):
        out = lstm_forward(params, x)
        dc = np.zeros_like(dh)
        zeros = np.zeros_like(dh)
        for t in reversed(range(time)):
            norms[time - 1 - t] = np.linalg.norm(dh)
            h_prev, c_prev = (out.h[:, t - 1], out.c[:, t - 1]) if t > 0 else (zeros, zeros)
            _, dh, dc, lstm_grads = lstm_backward_step(
                params, x[:, t], h_prev, c_prev, out.c[:, t], out.gates[:, t], dh, dc
            )
            grads.add_(lstm_grads)
    else:
        out_g = gru_forward(params, x)
        for t in reversed(range(time)):
            norms[time - 1 - t] = np.linalg.norm(dh)
            h_prev = out_g.h[:, t - 1] if t > 0 else np.zeros_like(dh)
            _, dh, gru_grads = gru_backward_step(params, x[:, t], h_prev, out_g.gates[:, t], dh)
            grads.add_(gru_grads)
    # Clipping looks at the parameter gradients. It rescales them all by one factor, and since
    # backprop is linear in ∂L/∂h_T, that is the same as scaling every ∂L/∂h_t by that factor:
    # the *shape* of the curve, which steps the gradient comes from, does not change.
    clipped, total = clip_by_global_norm(grads, max_norm)
    factor = global_norm(clipped) / total if total > 0 else 1.0
    return GradientFlow(
        cell=cell,
        time=time,
        scale=float(scale),
        dh_norm=norms.tolist(),
        param_grad_norm=total,
        clip_factor=factor,
        max_norm=max_norm,
    )


# --8<-- [end:measure_gradient_flow]


def sweep(
    cells: tuple[CellKind, ...] = CELL_KINDS,
    times: tuple[int, ...] = (10, 25, 50, 100),
    scales: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0),
    **kwargs: object,
) -> list[GradientFlow]:
    """Every combination of cell, sequence length and weight scale (the explorer's data).

    See the page: training.md#gradient-flow
    """
    return [
        measure_gradient_flow(cell, time, scale, **kwargs)  # type: ignore[arg-type]
        for cell in cells
        for time in times
        for scale in scales
    ]
