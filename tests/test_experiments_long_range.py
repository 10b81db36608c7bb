"""The adding problem, the model set-ups, and the cached results the training page shows."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_site.experiments import long_range as lr


def test_adding_problem_has_one_marker_per_half_and_sums_them() -> None:
    x, y = lr.adding_problem(500, 20, seed=0)
    assert x.shape == (500, 20, 2) and y.shape == (500,) and x.dtype == np.float32
    markers = x[:, :, 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :10].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * markers).sum(axis=1), rtol=1e-6)
    # The page's baseline: always answering 1 scores Var(U1 + U2) = 1/6.
    _, y_big = lr.adding_problem(20000, 20, seed=1)
    assert np.mean((y_big - 1.0) ** 2) == pytest.approx(lr.BASELINE_MSE, rel=0.05)
    with pytest.raises(ValueError, match="at least 2"):
        lr.adding_problem(1, 1, seed=0)


def test_initialisers_reach_the_torch_weights() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    H = 8
    net, _ = lr.build_model(lr.RunConfig("x", "lstm", "orthogonal+forget-bias-1", 1.0, hidden=H))
    w = net.weight_hh_l0.detach().numpy().astype(np.float64)  # (4H, H)
    for g in range(4):
        block = w[g * H : (g + 1) * H]
        np.testing.assert_allclose(block @ block.T, np.eye(H), atol=1e-6)
    bias = (net.bias_ih_l0 + net.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(bias, np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])
    irnn, _ = lr.build_model(lr.RunConfig("x", "rnn-relu", "identity", 1.0, hidden=H))
    np.testing.assert_array_equal(irnn.weight_hh_l0.detach().numpy(), np.eye(H))
    with pytest.raises(ValueError, match="forget-gate bias only exists"):
        lr.build_model(lr.RunConfig("x", "gru", "orthogonal+forget-bias-1", 1.0, hidden=H))


def test_a_short_run_is_seeded_and_reports_a_curve() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    config = lr.RunConfig("tiny", "gru", "default", 1.0, time=8, steps=6, hidden=8, batch=8)
    a, b = lr.train_run(config, eval_every=3), lr.train_run(config, eval_every=3)
    assert [s for s, _ in a.curve] == [0, 3, 6]
    assert a.curve == b.curve, "same seed, same numbers"
    assert np.isfinite(a.final_mse) and not a.diverged


@pytest.fixture(scope="module")
def cached() -> dict:
    return lr.load_results()


def _runs(cached: dict, name: str) -> list[dict]:
    runs = [r for r in cached["runs"] if r["config"]["name"] == name]
    assert runs, f"no cached runs named {name!r}"
    return runs


def test_cached_results_cover_every_configuration(cached: dict) -> None:
    names = [r["config"]["name"] for r in cached["runs"]]
    for config in lr.all_configs():
        assert config.name in names
    assert len(cached["runs"]) == len(lr.all_configs())


def test_cached_lstm_solves_what_the_tanh_rnn_cannot(cached: dict) -> None:
    lstm = _runs(cached, "LSTM, orthogonal + forget bias 1, clipping")
    assert all(r["solved_at"] is not None for r in lstm)
    assert max(r["final_mse"] for r in lstm) < lr.SOLVED_MSE
    for name in ("tanh RNN, default init, no clipping", "tanh RNN, orthogonal init, clipping"):
        for run in _runs(cached, name):
            assert run["solved_at"] is None
            # Stuck near "always answer 1": it learned nothing about the markers.
            assert run["best_mse"] > 0.5 * lr.BASELINE_MSE


def test_cached_length_sweep_shows_where_the_rnn_fails(cached: dict) -> None:
    def best(model: str, time: int) -> float:
        return _runs(cached, f"{model}, T={time}")[0]["best_mse"]

    rnn, lstm = "tanh RNN, orthogonal init", "LSTM, orthogonal + forget bias 1"
    for time in (10, 25):
        assert best(lstm, time) < 0.1 * best(rnn, time)
    assert best(lstm, 10) < lr.SOLVED_MSE and best(lstm, 25) < lr.SOLVED_MSE
    # Short sequences are easier for the RNN; from T = 25 on it stays near the baseline.
    assert best(rnn, 10) < 0.5 * lr.BASELINE_MSE < best(rnn, 25)


def test_cached_table_on_the_page_is_the_cached_json(cached: dict) -> None:
    tables = lr.markdown_table(cached) + "\n" + lr.length_table(cached)
    assert lr.TABLE_PATH.read_text(encoding="utf-8") == tables


def test_missing_results_say_how_to_make_them(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"python -m rnn_site\.experiments\.long_range"):
        lr.load_results(tmp_path / "nope.json")
