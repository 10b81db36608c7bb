"""Padding and length-bucketed epoch order, shared by the translator and speech trainers."""

from __future__ import annotations

import numpy as np
import torch

from rnn_site.train.batching import length_bucketed, pad_right


def test_pad_right_zero_pads_after_each_row_and_keeps_the_lengths() -> None:
    x, lengths = pad_right([np.array([5, 6, 7]), np.array([8])], torch.long)
    assert x.dtype == torch.long and x.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1]


def test_length_bucketed_covers_every_index_once_in_sorted_pools() -> None:
    lengths = list(np.random.default_rng(0).integers(1, 100, 103))
    batches = length_bucketed(lengths, batch=4, pool=5, rng=np.random.default_rng(1))
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(103)) and max(len(b) for b in batches) == 4
    assert all(
        [lengths[i] for i in b] == sorted(lengths[i] for i in b) for b in batches
    )  # each batch comes from one sorted pool
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    shuffled = [list(range(k, min(k + 4, 103))) for k in range(0, 103, 4)]
    assert spread < 0.5 * np.mean([np.ptp([lengths[i] for i in b]) for b in shuffled])
    again = length_bucketed(lengths, batch=4, pool=5, rng=np.random.default_rng(1))
    assert again == batches  # seeded
