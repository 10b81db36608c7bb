"""minGRU and minLSTM in PyTorch: trained in parallel over time, run one step at a time.

The maths is `rnn_site.scratch.min_rnn` (Feng et al. 2024, arXiv 2410.01201); this module adds
what training and generation need:

- `log_space_scan`: Heinsen's parallel scan with `torch.cumsum` and `torch.logcumsumexp`, so a
  whole window of T characters costs a few elementwise passes instead of T dependent steps;
- `MinRNN`: one layer (a `Linear` to the gate blocks, then the scan) with `step` for generation;
- `MinRNNStack`: layers with pre-LayerNorm residual connections (the paper's recipe: a minGRU
  cannot transform its state, so depth supplies the non-linearity between time steps);
- `CharMinRNN`: the character language model (embedding → stack → LayerNorm → linear), with
  the `CharLSTM` calling convention, so the char-lm training code runs it unchanged.

See the page: next.md#mingru-and-minlstm
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from rnn_site.models.config import ModelConfig

MinCell = Literal["mingru", "minlstm"]
_GATES = {"mingru": 2, "minlstm": 3}


# --8<-- [start:scan]
def log_space_scan(
    log_a: torch.Tensor, log_b: torch.Tensor, h0: torch.Tensor | None = None
) -> torch.Tensor:
    """h_t = a_t h_{t-1} + b_t for all t at once; log_a, log_b: (batch, time, hidden) → h.

    a* = cumsum(log a) and logcumsumexp(log b − a*) are both parallel prefix sums; h0 (batch,
    hidden) of any sign enters as (a_1 ⋯ a_t) h0, outside the logarithms.
    """
    a_star = torch.cumsum(log_a, dim=1)
    h = torch.exp(a_star + torch.logcumsumexp(log_b - a_star, dim=1))
    if h0 is not None:
        h = h + torch.exp(a_star) * h0.unsqueeze(1)
    return h


# --8<-- [end:scan]


# --8<-- [start:doubling]
def doubling_scan(
    log_a: torch.Tensor, log_b: torch.Tensor, h0: torch.Tensor | None = None
) -> torch.Tensor:
    """The same h by Hillis & Steele's doubling scan: ceil(log2 T) rounds over all steps.

    Each round composes every step's summary (A, B) with the one d steps earlier, (a1, b1) ∘
    (a2, b2) = (a1 a2, a2 b1 + b2); see `rnn_site.scratch.scan.associative_scan`. No
    logarithms inside, so it is more accurate in float32, and on a CPU it beat
    `torch.logcumsumexp` (whose backward pass is slow) in `rnn_site.bench.scan`.
    """
    A, B = torch.exp(log_a), torch.exp(log_b)
    d = 1
    while d < A.shape[1]:
        B = torch.cat([B[:, :d], A[:, d:] * B[:, :-d] + B[:, d:]], dim=1)
        A = torch.cat([A[:, :d], A[:, d:] * A[:, :-d]], dim=1)
        d *= 2
    return B if h0 is None else B + A * h0.unsqueeze(1)


# --8<-- [end:doubling]

SCANS = {"log": log_space_scan, "doubling": doubling_scan}
Scan = Literal["log", "doubling"]


def g(x: torch.Tensor) -> torch.Tensor:
    """x + 0.5 for x ≥ 0, σ(x) below: the positive candidate activation."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: torch.Tensor) -> torch.Tensor:
    """log g(x) without forming g(x)."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


class MinRNN(nn.Module):
    """One minGRU or minLSTM layer: x (batch, time, input) → h (batch, time, hidden).

    `forward` runs a parallel scan (training, scoring): `scan="log"` is the paper's log-space
    scan, `"doubling"` the associative doubling scan; `step` runs one time step with plain
    sigmoids and products (generation, ONNX export). All give the same h.
    """

    def __init__(
        self, cell: MinCell, input_size: int, hidden_size: int, scan: Scan = "log"
    ) -> None:
        super().__init__()
        if cell not in _GATES:
            raise ValueError(f"unknown cell {cell!r}; choose 'mingru' or 'minlstm'")
        if scan not in SCANS:
            raise ValueError(f"unknown scan {scan!r}; choose 'log' or 'doubling'")
        self.cell, self.hidden_size, self.scan = cell, hidden_size, scan
        # One affine map for every gate block: (z, h) or (f, i, h), as in rnn_site.scratch.
        self.linear = nn.Linear(input_size, _GATES[cell] * hidden_size)

    # --8<-- [start:coefficients]
    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log a_t, log b_t (batch, time, hidden) of the recurrence, from the inputs alone."""
        blocks = self.linear(x).chunk(_GATES[self.cell], dim=-1)
        if self.cell == "mingru":
            k_z, k_h = blocks
            return -F.softplus(k_z), -F.softplus(-k_z) + log_g(k_h)
        k_f, k_i, k_h = blocks
        diff = F.softplus(-k_f) - F.softplus(-k_i)  # log i − log f
        return -F.softplus(diff), -F.softplus(-diff) + log_g(k_h)

    # --8<-- [end:coefficients]

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """All T steps at once: coefficients for every t (one matmul), then the chosen scan."""
        return SCANS[self.scan](*self.coefficients(x), h0)

    # --8<-- [start:step]
    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """x_t (batch, input), h (batch, hidden) → h_t: matrix product and elementwise ops."""
        blocks = self.linear(x_t).chunk(_GATES[self.cell], dim=-1)
        if self.cell == "mingru":
            z = torch.sigmoid(blocks[0])
            return (1 - z) * h + z * g(blocks[1])
        f, i = torch.sigmoid(blocks[0]), torch.sigmoid(blocks[1])
        return (f * h + i * g(blocks[2])) / (f + i)

    # --8<-- [end:step]

    def sequential(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """`step` over every t: the reference the parallel `forward` is tested against."""
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0
        out = []
        for t in range(x.shape[1]):
            h = self.step(x[:, t], h)
            out.append(h)
        return torch.stack(out, dim=1)


class MinRNNStack(nn.Module):
    """`num_layers` MinRNN layers of width `size`, each as x + layer(LayerNorm(x)).

    x (batch, time, input_size), state (layers, batch, size) or None → (y, state): the
    `torch.nn.GRU` calling convention (batch_first), so it drops in where a GRU would. With an
    `input_size` other than `size` a linear map first brings x to the width of the residual path.
    """

    def __init__(
        self,
        cell: MinCell,
        size: int,
        num_layers: int,
        scan: Scan = "log",
        input_size: int | None = None,
    ) -> None:
        super().__init__()
        self.size, self.num_layers = size, num_layers
        self.project = (
            nn.Linear(input_size, size) if input_size not in (None, size) else nn.Identity()
        )
        self.norms = nn.ModuleList(nn.LayerNorm(size) for _ in range(num_layers))
        self.layers = nn.ModuleList(MinRNN(cell, size, size, scan) for _ in range(num_layers))

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None, *, parallel: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.project(x)
        finals = []
        layers: list[MinRNN] = list(self.layers)  # type: ignore[arg-type]
        for k, (norm, layer) in enumerate(zip(self.norms, layers, strict=True)):
            h0 = None if state is None else state[k]
            h = layer(norm(x), h0) if parallel else layer.sequential(norm(x), h0)
            finals.append(h[:, -1])
            x = x + h
        return x, torch.stack(finals)

    def step(self, x_t: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x_t (batch, input_size), state (layers, batch, size) → (y_t, new state)."""
        x_t = self.project(x_t)
        finals = []
        layers: list[MinRNN] = list(self.layers)  # type: ignore[arg-type]
        for k, (norm, layer) in enumerate(zip(self.norms, layers, strict=True)):
            h = layer.step(norm(x_t), state[k])
            finals.append(h)
            x_t = x_t + h
        return x_t, torch.stack(finals)


@dataclass(frozen=True)
class CharMinRNNConfig(ModelConfig):
    """Shape of the character model; the embedding width is the stack's width."""

    vocab_size: int
    hidden_size: int = 192
    num_layers: int = 3
    cell: MinCell = "mingru"
    scan: Scan = "log"


class CharMinRNN(nn.Module):
    """Character language model: tokens (batch, time) int64 → logits (batch, time, vocab), state.

    state: (layers, batch, hidden), None for zeros; pass the returned state back in to continue
    the text (truncated BPTT, generation), exactly like `rnn_site.models.char_lm.CharLSTM`.
    """

    def __init__(self, config: CharMinRNNConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.rnn = MinRNNStack(config.cell, config.hidden_size, config.num_layers, config.scan)
        self.norm = nn.LayerNorm(config.hidden_size)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def initial_state(self, batch: int) -> torch.Tensor:
        """Zeros (layers, batch, hidden): the start of a text, as in the exported step graph."""
        return torch.zeros(self.config.num_layers, batch, self.config.hidden_size)

    def forward(
        self, tokens: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        y, state = self.rnn(self.embed(tokens), state)
        return self.head(self.norm(y)), state

    def step(self, token: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """token (batch,) int64, state (layers, batch, hidden) → logits (batch, vocab), state."""
        y, state = self.rnn.step(self.embed(token), state)
        return self.head(self.norm(y)), state
