"""Truncated backpropagation through time (TBPTT), for any scratch cell.

Full BPTT over a long sequence must keep every step's activations and sends every loss's gradient
all the way back to t = 0. TBPTT cuts the sequence into chunks of k steps: the forward pass
carries the state across chunks (so outputs are exactly the full forward's), but the backward
pass stops at each chunk's start, treating the incoming state as a constant.

What it approximates: the true gradient is Σ_t ∂L_t/∂θ through every path back to step 0. TBPTT
keeps only the paths that stay inside L_t's own chunk, so a loss at step t reaches back
between 1 and k steps (t mod k + 1). Dependencies longer than k can still be *used* (the state
carries them) but are not *learned* from that loss. With k >= T it is exactly full BPTT. This is
the TBPTT(k, k) scheme of Williams & Peng (1990) that `h.detach()` gives in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_site.scratch._checks import check_positive_int, check_sequence
from rnn_site.scratch._params import Params
from rnn_site.scratch.cells import Cell, State, get_cell

# (h_chunk: (B, k, H), start index of the chunk in the full sequence) -> (loss, dL/dh_chunk)
LossGrad = Callable[[np.ndarray, int], tuple[float, np.ndarray]]


@dataclass
class TBPTTResult:
    """Outcome of `truncated_bptt`.

    loss: summed over chunks; grads: parameter gradients summed over chunks (same type as the
    params); dx: (B, T, I) truncated input gradients; dstate0: gradients w.r.t. the initial
    state (first chunk only); h: (B, T, H) all hidden states; state: final state, to pass as
    `state0` when the next stretch of a stream arrives.

    See the page: training.md#truncated-bptt
    """

    loss: float
    grads: Params
    dx: np.ndarray
    dstate0: State
    h: np.ndarray
    state: State


def truncated_bptt(
    cell: str | Cell,
    params: Params,
    x: np.ndarray,
    loss_grad: LossGrad,
    k: int | None = None,
    state0: State = (),
) -> TBPTTResult:
    """Run forward chunk by chunk carrying the state; backprop within each chunk only.

    x: (B, T, I); chunks cover steps [0, k), [k, 2k), ... (the last may be shorter).
    `loss_grad(h_chunk, start)` returns the chunk's loss and dL/dh_chunk: (B, len, H), e.g. a
    readout layer's loss on those steps. k=None means k = T, i.e. full BPTT. state0 is () for
    zeros, else one (B, H) array per state name (LSTM: h, c).

    See the page: training.md#truncated-bptt
    """
    cell = get_cell(cell)
    if not isinstance(params, cell.params_type):
        raise ValueError(
            f"{cell.name} cell needs {cell.params_type.__name__}, got {type(params).__name__}"
        )
    x = check_sequence(x, params.input_size, params.dtype)
    time = x.shape[1]
    k = time if k is None else check_positive_int(k, "k")

    grads = params.zeros_like()
    dx = np.empty_like(x)
    hs, total, state, dstate0 = [], 0.0, state0, state0
    # --8<-- [start:tbptt_loop]
    for start in range(0, time, k):
        h_chunk, next_state, cache = cell.forward(params, x[:, start : start + k], state)
        loss, dh_chunk = loss_grad(h_chunk, start)
        # The truncation: nothing flows back into this chunk from later chunks, and the
        # gradient w.r.t. the chunk's starting state is dropped (except for the very first).
        no_future = tuple(np.zeros_like(s) for s in next_state)
        dparams, dx[:, start : start + k], dstate = cell.backward(
            params, cache, dh_chunk, no_future
        )
        grads.add_(dparams)
        if start == 0:
            dstate0 = dstate
        hs.append(h_chunk)
        total += float(loss)
        state = next_state
    # --8<-- [end:tbptt_loop]
    return TBPTTResult(
        loss=total, grads=grads, dx=dx, dstate0=dstate0, h=np.concatenate(hs, axis=1), state=state
    )
