"""`parameter_count` agrees with PyTorch's layers and with the scratch parameter dataclasses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rnn_site.scratch import GRUParams, LSTMParams, RNNParams, parameter_count
from rnn_site.sitebuild.architecture_data import PARAMETERS_PLACEHOLDER, parameter_table
from rnn_site.sitebuild.page_data import render_data

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]
TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
SCRATCH = {"rnn": RNNParams, "lstm": LSTMParams, "gru": GRUParams}
SIZES = [(1, 1, 1), (5, 3, 1), (3, 7, 2), (64, 256, 1), (10, 4, 3)]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("inputs", "hidden", "layers"), SIZES)
def test_count_matches_torch(cell, inputs, hidden, layers):
    module = TORCH[cell](inputs, hidden, num_layers=layers)
    expected = sum(p.numel() for p in module.parameters())
    assert parameter_count(cell, inputs, hidden, num_layers=layers) == expected


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("inputs", "hidden"), [(1, 1), (5, 3), (10, 4)])
def test_merged_count_matches_the_scratch_arrays(cell, inputs, hidden):
    params = SCRATCH[cell].initialize(inputs, hidden, seed=0)
    expected = sum(a.size for a in params.arrays().values())
    assert parameter_count(cell, inputs, hidden, biases="merged") == expected


def test_more_gates_means_proportionally_more_parameters():
    # With PyTorch's biases every gate is the same affine map, so the ratio is exactly k.
    rnn = parameter_count("rnn", 64, 256)
    assert parameter_count("gru", 64, 256) == 3 * rnn
    assert parameter_count("lstm", 64, 256) == 4 * rnn


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("transformer", 3, 4), {}, "unknown cell 'transformer'; expected one of rnn, gru, lstm"),
        (("lstm", 0, 4), {}, "input_size must be a whole number ≥ 1, got 0"),
        (("lstm", 3, 2.5), {}, "hidden_size must be a whole number ≥ 1, got 2.5"),
        (("lstm", 3, 4), {"num_layers": True}, "num_layers must be a whole number ≥ 1, got True"),
        (("lstm", 3, 4), {"biases": "none"}, "biases must be 'torch' or 'merged', got 'none'"),
    ],
)
def test_bad_arguments_say_what_is_accepted(args, kwargs, message):
    with pytest.raises(ValueError) as info:
        parameter_count(*args, **kwargs)
    assert str(info.value) == message


def test_page_table_is_rendered_from_the_counts():
    table = parameter_table(64, 256)
    assert "| LSTM | 4 | 329,728 | 328,704 | 4.0 |" in table
    assert "| Vanilla RNN | 1 | 82,432 | 82,176 | 1.0 |" in table
    assert render_data("no placeholder here") == "no placeholder here"


def test_the_page_table_has_the_published_shakespeare_models_sizes(tmp_path):
    """The page's table is counted at the char-lm card's embedding and hidden size."""
    page = f"# Chapter\n\n{PARAMETERS_PLACEHOLDER}\n\nAfter."
    (tmp_path / "char-lm").mkdir()
    card = {"config": {"embed_dim": 64, "hidden_size": 448}}
    (tmp_path / "char-lm" / "card.json").write_text(json.dumps(card))
    rendered = render_data(page, tmp_path)
    assert PARAMETERS_PLACEHOLDER not in rendered
    assert "| GRU | 3 | 690,816 |" in rendered  # 3 x 448 x (64 + 448 + 2)
    assert "$I = 64$ and hidden size $H = 448$" in rendered
