"""How many parameters a recurrent layer has, from its sizes alone.

Every gate of a cell is one affine map of the input and the previous hidden state, so a cell
with k gates has k input matrices (hidden × input), k recurrent matrices (hidden × hidden) and
its biases: a vanilla RNN has k = 1, a GRU k = 3 and an LSTM k = 4. A test checks the counts
against `sum(p.numel() for p in torch.nn.LSTM(...).parameters())` and against the arrays of
`RNNParams`, `LSTMParams` and `GRUParams`.

See the page: architecture.md#parameters
"""

from __future__ import annotations

from typing import Literal

#: Affine maps (gates and candidates) per cell: rows of W_x and W_h stacked side by side.
GATES = {"rnn": 1, "gru": 3, "lstm": 4}

Biases = Literal["torch", "merged"]


# --8<-- [start:parameter_count]
def parameter_count(
    cell: str,
    input_size: int,
    hidden_size: int,
    *,
    num_layers: int = 1,
    biases: Biases = "torch",
) -> int:
    """Parameters of a stack of `num_layers` cells of kind "rnn", "lstm" or "gru".

    biases="torch" counts PyTorch's two bias vectors per gate (b_ih and b_hh), as in
    `torch.nn.LSTM(input_size, hidden_size, num_layers)`. biases="merged" counts what
    `rnn_site.scratch` stores: the two are only ever added, so one vector per gate is exact —
    except the GRU's candidate, whose recurrent bias b_hn sits inside the reset gate's product.
    Layers after the first read the hidden state of the layer below, so their input size is H.
    """
    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}; expected one of {', '.join(GATES)}")
    for name, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    if biases not in ("torch", "merged"):
        raise ValueError(f"biases must be 'torch' or 'merged', got {biases!r}")

    k, h = GATES[cell], hidden_size
    # Per layer: two vectors per gate in PyTorch; merged, one per gate plus the GRU's b_hn.
    bias = 2 * k * h if biases == "torch" else k * h + (h if cell == "gru" else 0)
    total = 0
    for layer in range(num_layers):
        inputs = input_size if layer == 0 else h
        total += k * h * inputs + k * h * h + bias
    return total


# --8<-- [end:parameter_count]
