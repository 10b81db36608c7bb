"""Chapter 5: the parallel scans equal the sequential recurrence; minGRU/minLSTM in both modes."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_site.scratch import min_rnn as ms
from rnn_site.scratch.scan import associative_scan, log_space_scan, sequential_scan

CELLS = ("mingru", "minlstm")


def _tol(reference: np.ndarray, dtype: type) -> float:
    """Float64: 1e-10 absolute; float32: 1e-4 relative to the largest |h| (the log-space
    scan's exp/log round trips lose a few float32 digits over long sequences)."""
    scale = max(1.0, float(np.abs(reference).max()))
    return (1e-10 if dtype == np.float64 else 1e-4) * scale


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("time", [1, 2, 7, 64, 300])
def test_numpy_scans_match_the_loop(dtype: type, time: int) -> None:
    rng = np.random.default_rng(time)
    a = rng.uniform(0.05, 1.0, (3, time, 5)).astype(dtype)
    b = rng.normal(size=(3, time, 5)).astype(dtype)
    h0 = rng.normal(size=(3, 5)).astype(dtype)
    reference = sequential_scan(a, b, h0)
    assert np.abs(associative_scan(a, b, h0) - reference).max() <= _tol(reference, dtype)
    positive = np.abs(b) + dtype(0.01)
    reference = sequential_scan(a, positive, h0)
    got = log_space_scan(np.log(a), np.log(positive), h0)
    assert got.dtype == dtype
    assert np.abs(got - reference).max() <= _tol(reference, dtype)


def test_scans_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="one shape"):
        sequential_scan(np.ones((1, 3, 2)), np.ones((1, 4, 2)))
    with pytest.raises(ValueError, match="h0 must be"):
        associative_scan(np.ones((1, 3, 2)), np.ones((1, 3, 2)), np.ones((2, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELLS)
def test_numpy_min_cells_parallel_equals_sequential(cell: ms.MinCell, dtype: type) -> None:
    rng = np.random.default_rng(0)
    p = ms.MinRNNParams.initialize(cell, 4, 6, seed=1, dtype=dtype)
    x = (3 * rng.normal(size=(2, 100, 4))).astype(dtype)  # saturating gates, both signs
    for h0 in (None, np.abs(rng.normal(size=(2, 6))).astype(dtype)):
        reference = ms.min_rnn_sequential(p, x, h0)
        assert np.abs(ms.min_rnn_parallel(p, x, h0) - reference).max() <= _tol(reference, dtype)
        assert np.abs(ms.min_rnn_scan_reference(p, x, h0) - reference).max() <= _tol(
            reference, dtype
        )


def test_min_lstm_state_is_a_convex_mix() -> None:
    """f' + i' = 1: starting at 0 with candidates in (0, c], h stays in [0, max candidate]."""
    p = ms.MinRNNParams.initialize("minlstm", 3, 4, seed=2)
    x = np.random.default_rng(3).normal(size=(1, 50, 3))
    h = ms.min_rnn_sequential(p, x)
    candidates = ms.g(x @ p.W[:, 8:] + p.b[8:])
    assert np.all(h >= 0) and np.all(h <= candidates.max() + 1e-12)


def test_bad_params_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        ms.MinRNNParams("lstm", np.ones((2, 4)), np.ones(4))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="minlstm needs W"):
        ms.MinRNNParams("minlstm", np.ones((2, 4)), np.ones(4))


# ------------------------------------------------------------------ PyTorch


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.mark.parametrize("scan", ["log", "doubling"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell", CELLS)
def test_torch_parallel_equals_sequential_and_numpy(
    torch, cell: str, dtype: str, scan: str
) -> None:
    from rnn_site.models.min_rnn import MinRNN

    torch.manual_seed(0)
    t_dtype = getattr(torch, dtype)
    layer = MinRNN(cell, 4, 6, scan).to(t_dtype)  # type: ignore[arg-type]
    x = 3 * torch.randn(2, 130, 4, dtype=t_dtype)
    h0 = torch.rand(2, 6, dtype=t_dtype)
    with torch.no_grad():
        parallel, sequential = layer(x, h0).numpy(), layer.sequential(x, h0).numpy()
    np_dtype = np.float32 if dtype == "float32" else np.float64
    assert np.abs(parallel - sequential).max() <= _tol(sequential, np_dtype)
    params = ms.MinRNNParams.from_torch(
        cell,  # type: ignore[arg-type]
        layer.linear.weight.detach().numpy(),
        layer.linear.bias.detach().numpy(),
    )
    numpy_h = ms.min_rnn_sequential(params, x.numpy(), h0.numpy())
    assert np.abs(numpy_h - sequential).max() <= _tol(sequential, np_dtype)


@pytest.mark.parametrize("scan", ["log", "doubling"])
@pytest.mark.parametrize("cell", CELLS)
def test_torch_scan_gradients_match_finite_differences(torch, cell: str, scan: str) -> None:
    from rnn_site.models.min_rnn import MinRNN

    torch.manual_seed(1)
    layer = MinRNN(cell, 3, 4, scan).double()  # type: ignore[arg-type]
    x = torch.randn(2, 9, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.rand(2, 4, dtype=torch.float64, requires_grad=True)
    weight = layer.linear.weight
    assert torch.autograd.gradcheck(lambda x, h0, w: layer(x, h0) * w.sum(), (x, h0, weight))
    # And the parallel gradient equals the one backpropagated through the sequential loop.
    grads = [
        torch.autograd.grad(run(x, h0).square().sum(), (x, h0, weight))
        for run in (layer, layer.sequential)
    ]
    for parallel, sequential in zip(*grads, strict=True):
        np.testing.assert_allclose(parallel.numpy(), sequential.numpy(), rtol=1e-9, atol=1e-12)


def test_char_model_step_matches_parallel_forward(torch) -> None:
    from rnn_site.models.min_rnn import CharMinRNN, CharMinRNNConfig

    torch.manual_seed(2)
    model = CharMinRNN(CharMinRNNConfig(11, 8, 2, "mingru", "doubling")).eval()
    tokens = torch.randint(0, 11, (3, 20))
    with torch.no_grad():
        logits, state = model(tokens[:, :12])
        logits2, state2 = model(tokens[:, 12:], state)  # the state carries on
        step_state = model.initial_state(3)
        steps = []
        for t in range(20):
            out, step_state = model.step(tokens[:, t], step_state)
            steps.append(out)
    full = torch.cat([logits, logits2], dim=1)
    np.testing.assert_allclose(torch.stack(steps, 1).numpy(), full.numpy(), atol=1e-5)
    np.testing.assert_allclose(step_state.numpy(), state2.numpy(), atol=1e-5)
