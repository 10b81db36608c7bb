"""Build-time content of chapter 2 (`architecture.md`), computed by the package.

The parameter-count table is written by `rnn_site.scratch.parameter_count`, so the page cannot
drift from the code: the page holds ``<!-- data:architecture:table.parameters -->``, which the
one page-data hook (`rnn_site.sitebuild.page_data`) replaces with `parameter_table()` at the
published char-lm card's sizes.

See the page: architecture.md#parameters
"""

from __future__ import annotations

from pathlib import Path

from rnn_site.scratch.counts import GATES, parameter_count
from rnn_site.sitebuild.page_data import generator, model_file

#: Where the table goes in docs/architecture.md.
PARAMETERS_PLACEHOLDER = "<!-- data:architecture:table.parameters -->"
_LABELS = {"rnn": "Vanilla RNN", "gru": "GRU", "lstm": "LSTM"}


def parameter_table(input_size: int, hidden_size: int) -> str:
    """A Markdown table: per cell, its affine maps, the formula and both counts.

    See the page: architecture.md#parameters
    """
    i, h = input_size, hidden_size
    rnn = parameter_count("rnn", i, h)
    rows = [
        "| Cell | Affine maps $k$ | PyTorch: $k\\,H(I + H + 2)$ | `rnn_site.scratch` "
        "(merged biases) | × vanilla RNN |",
        "|---|---:|---:|---:|---:|",
    ]
    for cell in ("rnn", "gru", "lstm"):
        torch_count = parameter_count(cell, i, h)
        merged = parameter_count(cell, i, h, biases="merged")
        rows.append(
            f"| {_LABELS[cell]} | {GATES[cell]} | {torch_count:,} | {merged:,} "
            f"| {torch_count / rnn:.1f} |"
        )
    return (
        "\n".join(rows)
        + f"\n\nOne layer with input size $I = {i}$ and hidden size $H = {h}$, counted by "
        "`rnn_site.scratch.parameter_count` when this site was built.\n"
    )


@generator("architecture", "table.parameters")
def parameters_on_page(models_dir: Path) -> str:
    """The table at the published Shakespeare model's sizes (its card's embedding and hidden
    size), so the numbers are ones the reader meets in the demo below the table."""
    config = model_file("char-lm", "card", models_dir)["config"]
    return parameter_table(config["embed_dim"], config["hidden_size"])
