"""The Python half of the lab: the shared generator, the optimisers, and the passage it trains on.

`LabRandom` must refuse seeds JavaScript cannot hold, draw in range and feed the package's
initialisers; `Adam` and `SGD` must match PyTorch's; the committed passage must be the corpus's
own text (docs/assets/lab/passage.txt is the opening of Hamlet from `rnn_site.data.shakespeare`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnn_site.scratch.init import orthogonal
from rnn_site.scratch.lab import LabConfig, train
from rnn_site.scratch.optim import SGD, Adam
from rnn_site.scratch.rng import LabRandom

PASSAGE = Path(__file__).parents[2] / "docs" / "assets" / "lab" / "passage.txt"


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "3"])
def test_lab_random_refuses_seeds_javascript_cannot_hold(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be an integer from 0 to 4294967295"):
        LabRandom(seed)  # type: ignore[arg-type]


def test_lab_random_draws_in_range_and_feeds_the_initialisers() -> None:
    rng = LabRandom(7)
    u = rng.uniform(-2.0, 3.0, size=(100, 10))
    assert u.shape == (100, 10) and u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.1
    assert {LabRandom(1).integer(5) for _ in range(1)} <= set(range(5))
    q = orthogonal(8, 8, seed=LabRandom(3))
    np.testing.assert_allclose(q.T @ q, np.eye(8), atol=1e-12)
    np.testing.assert_array_equal(q, orthogonal(8, 8, seed=LabRandom(3)))


def test_adam_and_sgd_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(10)]
    for ours, theirs in (
        (Adam(0.01), lambda p: torch.optim.Adam([p], lr=0.01)),
        (SGD(0.1), lambda p: torch.optim.SGD([p], lr=0.1)),
    ):
        mine = {"w": start.copy()}
        p = torch.tensor(start.copy(), requires_grad=True)
        opt = theirs(p)
        for g in grads:
            ours.step(mine, {"w": g})
            p.grad = torch.tensor(g)
            opt.step()
        np.testing.assert_allclose(mine["w"], p.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_lab_reference_learns_the_adding_problem() -> None:
    """Not only equal to the browser's: the curve goes down (150 steps, LSTM, T = 10)."""
    losses = train(LabConfig(length=10, hidden=16, batch=32), 150)
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])


def test_the_passage_is_the_opening_of_hamlet_from_the_corpus() -> None:
    shakespeare = pytest.importorskip("rnn_site.data.shakespeare")
    try:
        plays = {p.slug: p for p in shakespeare.load_plays()}
    except shakespeare.ShakespeareNotFoundError as exc:
        from skips import skip_locally_fail_in_ci

        skip_locally_fail_in_ci(str(exc))
    text = PASSAGE.read_text(encoding="utf-8")
    assert len(text) > 2000
    assert plays["hamlet"].text.startswith(text)
    assert text.endswith("\n") and text.startswith("BERNARDO:\nWho's there?")
