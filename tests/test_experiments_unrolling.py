"""Chapter 1's tiny RNN: the step-by-step numbers are the package's numbers, and order matters."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from rnn_site.experiments.unrolling import (
    EXAMPLE_TEXTS,
    VOCAB,
    bag_of_characters,
    final_states,
    one_hot,
    tiny_rnn,
    unroll,
    unrolling_data,
)
from rnn_site.scratch import rnn_forward


def test_weights_are_rounded_to_one_decimal_and_nonzero() -> None:
    params = tiny_rnn()
    for name, array in params.arrays().items():
        assert np.allclose(array * 10, np.round(array * 10)), name
    # Seeded: the page and the notebook show the same network every build.
    assert np.array_equal(tiny_rnn().W_h, params.W_h)
    assert np.all(params.b != 0), "h_0 = 0 should still move at step 1"


def test_each_step_is_the_sum_then_tanh() -> None:
    params = tiny_rnn()
    steps = unroll(params, "hello")
    assert [s.token for s in steps] == list("hello")
    for s in steps:
        # One-hot input: x_t W_x is the letter's row of W_x.
        assert np.allclose(s.x_part, params.W_x[VOCAB.index(s.token)])
        assert np.allclose(s.pre, np.add(s.x_part, s.h_part) + params.b)
        assert np.allclose(s.h, np.tanh(s.pre))
        assert np.allclose(s.h_part, np.asarray(s.h_prev) @ params.W_h)
    assert np.allclose(steps[0].h_prev, 0.0)
    for before, after in itertools.pairwise(steps):
        assert after.h_prev == before.h


def test_step_by_step_matches_the_batched_forward() -> None:
    params = tiny_rnn()
    for text in EXAMPLE_TEXTS:
        loop = np.array([s.h for s in unroll(params, text)])
        batched = rnn_forward(params, one_hot(text)[None]).h[0]
        np.testing.assert_allclose(loop, batched, atol=1e-12)


def test_order_changes_the_final_state_but_not_the_bag() -> None:
    params = tiny_rnn()
    assert np.array_equal(bag_of_characters("hello"), bag_of_characters("olleh"))
    a, b = final_states(params, ("hello", "olleh"))
    assert np.linalg.norm(a - b) > 0.5


def test_repeated_input_settles_to_a_fixed_point() -> None:
    params = tiny_rnn()
    # The page says: the state swings back and forth by less each step, towards a fixed point.
    h = np.array([s.h for s in unroll(params, "l" * 40)])
    moves = np.abs(np.diff(h, axis=0)).max(axis=1)
    assert moves[0] > 0.5 and moves[-1] < 1e-3
    assert moves[:6].min() > 0.1, "still clearly moving within the page's seven steps"


def test_unknown_characters_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown character 'x' at position 2; the alphabet"):
        one_hot("hex")
    with pytest.raises(ValueError, match="at least one"):
        one_hot("")


def test_page_data_is_json_with_every_step() -> None:
    data = json.loads(json.dumps(unrolling_data()))
    assert data["schema"] == 1 and data["vocab"] == VOCAB
    assert [r["text"] for r in data["runs"]] == list(EXAMPLE_TEXTS)
    for run in data["runs"]:
        assert len(run["steps"]) == len(run["text"])
        assert all(len(s["h"]) == len(data["weights"]["b"]) for s in run["steps"])
