"""Chapter 3's gradient-flow measurements give the values the page claims, from real backprop."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_site.experiments.gradient_flow import make_params, measure_gradient_flow, sweep
from rnn_site.scratch import global_norm, rnn_backward, rnn_forward


@pytest.mark.parametrize("scale", [0.25, 0.5, 0.75])
def test_rnn_gradient_shrinks_at_least_by_rho_per_step(scale: float) -> None:
    # One step back multiplies by diag(1 - h²) W_hᵀ with W_h = ρ·orthogonal: a norm ≤ ρ.
    norms = np.array(measure_gradient_flow("rnn", 60, scale).dh_norm)
    ratios = norms[1:] / norms[:-1]
    assert np.all(ratios <= scale + 1e-12)
    assert norms[-1] < norms[0] * scale**59 * 1.0001


def test_rnn_decay_is_geometric_at_small_spectral_radius() -> None:
    norms = np.array(measure_gradient_flow("rnn", 80, 0.5).dh_norm)
    k = np.arange(len(norms))
    slope, intercept = np.polyfit(k, np.log(norms), 1)
    fitted = slope * k + intercept
    r2 = 1 - np.sum((np.log(norms) - fitted) ** 2) / np.sum(
        (np.log(norms) - np.log(norms).mean()) ** 2
    )
    assert r2 > 0.99, "log-norm should fall on a straight line"
    assert 0.3 < np.exp(slope) < 0.5


def test_forget_bias_one_keeps_the_lstm_gradient_alive() -> None:
    rates = {
        c: measure_gradient_flow(c, 100, 1.0).decay_per_step()
        for c in ("rnn", "lstm", "lstm-fb1", "gru")
    }
    assert rates["lstm-fb1"] > rates["lstm"] + 0.15
    assert rates["lstm-fb1"] > rates["rnn"] + 0.1
    assert rates["lstm-fb1"] > rates["gru"] + 0.15
    assert all(r < 1 for r in rates.values())
    # The page's numbers: 20 steps back, ~1e-8 left of the tanh RNN's gradient at ρ = 0.5 and
    # about a third of the LSTM's (forget bias 1) at ρ = 1.
    assert 0.2 < rates["lstm-fb1"] ** 20 < 0.5
    assert measure_gradient_flow("rnn", 100, 0.5).decay_per_step() ** 20 < 1e-7


def test_large_recurrent_weights_explode_the_rnn_gradient() -> None:
    flow = measure_gradient_flow("rnn", 50, 3.0)
    assert flow.decay_per_step() > 1.2
    assert flow.dh_norm[-1] > 1e3 * flow.dh_norm[0]


def test_clip_factor_brings_the_global_norm_to_the_bound() -> None:
    big = measure_gradient_flow("rnn", 50, 3.0, max_norm=1.0)
    assert big.param_grad_norm > 1e3
    assert big.param_grad_norm * big.clip_factor == pytest.approx(1.0, rel=1e-6)
    small = measure_gradient_flow("rnn", 10, 0.5, max_norm=100.0)
    assert small.clip_factor == 1.0


def test_parameter_gradient_matches_the_full_backward_pass() -> None:
    # Same setup as measure_gradient_flow, through the package's rnn_backward instead of the walk.
    time, scale, batch, hidden, inputs, seed = 30, 1.25, 16, 32, 4, 3
    flow = measure_gradient_flow("rnn", time, scale, seed=seed)
    rng = np.random.default_rng(seed)
    params = make_params("rnn", inputs, hidden, scale, seed)
    x = rng.standard_normal((batch, time, inputs))
    r = rng.standard_normal(hidden)
    r /= np.linalg.norm(r)
    dh = np.zeros((batch, time, hidden))
    dh[:, -1] = r / batch
    grads = rnn_backward(params, rnn_forward(params, x).cache, dh)
    assert flow.param_grad_norm == pytest.approx(global_norm(grads.params), rel=1e-10)


def test_weight_scale_is_the_spectral_radius() -> None:
    for cell, gates in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        W_h = make_params(cell, 4, 16, 0.7, seed=0).W_h
        for g in range(gates):
            block = W_h[:, g * 16 : (g + 1) * 16]
            np.testing.assert_allclose(np.linalg.svd(block, compute_uv=False), 0.7, atol=1e-12)


def test_sweep_covers_every_combination_and_serialises() -> None:
    flows = sweep(cells=("rnn", "gru"), times=(5, 10), scales=(0.5, 1.0))
    assert len(flows) == 8
    data = flows[0].to_dict()
    assert len(data["dh_norm"]) == 5 and isinstance(data["param_grad_norm"], float)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        measure_gradient_flow("transformer", 10, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time must be"):
        measure_gradient_flow("rnn", 0, 1.0)
    with pytest.raises(ValueError, match="scale"):
        measure_gradient_flow("rnn", 10, float("nan"))
