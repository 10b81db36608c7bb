"""Recurrent cells from scratch in NumPy: forward, hand-derived BPTT, and the tools around it.

Each cell is one module you can read top to bottom (`rnn`, `lstm`, `gru`): a parameter
dataclass, a single-step function, a forward pass over a batch `x: (batch, time, features)` and a
backward pass that returns gradients for every parameter, the inputs and the initial state(s).
Around them: `init` (initialisers), `clipping` (global-norm clipping), `bptt` (truncated BPTT for
any cell) and `gradcheck` (finite-difference checks). NumPy only: no torch needed here.
"""

from rnn_site.scratch._params import Params
from rnn_site.scratch.bptt import TBPTTResult, truncated_bptt
from rnn_site.scratch.cells import CELLS, Cell, get_cell
from rnn_site.scratch.clipping import clip_by_global_norm, global_norm
from rnn_site.scratch.counts import parameter_count
from rnn_site.scratch.gradcheck import check_cell_gradients, numerical_gradient, relative_error
from rnn_site.scratch.gru import (
    GRUCache,
    GRUForward,
    GRUGrads,
    GRUParams,
    gru_backward,
    gru_backward_step,
    gru_forward,
    gru_step,
)
from rnn_site.scratch.init import (
    forget_gate_bias,
    glorot_uniform,
    identity,
    orthogonal,
    recurrent_orthogonal,
)
from rnn_site.scratch.lstm import (
    LSTMCache,
    LSTMForward,
    LSTMGrads,
    LSTMParams,
    lstm_backward,
    lstm_backward_step,
    lstm_forward,
    lstm_step,
)
from rnn_site.scratch.rnn import (
    RNNCache,
    RNNForward,
    RNNGrads,
    RNNParams,
    rnn_backward,
    rnn_backward_step,
    rnn_forward,
    rnn_step,
)

__all__ = [
    "CELLS",
    "Cell",
    "GRUCache",
    "GRUForward",
    "GRUGrads",
    "GRUParams",
    "LSTMCache",
    "LSTMForward",
    "LSTMGrads",
    "LSTMParams",
    "Params",
    "RNNCache",
    "RNNForward",
    "RNNGrads",
    "RNNParams",
    "TBPTTResult",
    "check_cell_gradients",
    "clip_by_global_norm",
    "forget_gate_bias",
    "get_cell",
    "global_norm",
    "glorot_uniform",
    "gru_backward",
    "gru_backward_step",
    "gru_forward",
    "gru_step",
    "identity",
    "lstm_backward",
    "lstm_backward_step",
    "lstm_forward",
    "lstm_step",
    "numerical_gradient",
    "orthogonal",
    "parameter_count",
    "recurrent_orthogonal",
    "relative_error",
    "rnn_backward",
    "rnn_backward_step",
    "rnn_forward",
    "rnn_step",
    "truncated_bptt",
]
