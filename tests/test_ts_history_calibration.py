"""History calibration (rnn_site.baselines.conformal) and the rule that chose it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shipped import MODELS, ROOT

from rnn_site.baselines import conformal
from rnn_site.experiments.ts_history_calibration import CANDIDATES, choose

RESULTS = ROOT / "rnn_site" / "experiments" / "results" / "ts_history_calibration.json"


def test_conformal_factor_is_the_eighty_percent_rank_and_needs_four_scores():
    assert conformal.conformal_factor(np.arange(1.0, 11.0)) == 9.0  # ⌈11·0.8⌉ = 9th of 1..10
    assert conformal.conformal_factor(np.array([5.0, 1.0, 3.0])) == 1.0  # too few: unchanged
    scores = conformal.ratio_scores(np.array([12.0, 7.0]), np.array([8.0, 8.0]),
                                    np.array([10.0, 10.0]), np.array([11.0, 11.0]))  # fmt: skip
    np.testing.assert_allclose(scores, [2.0, 1.5])  # above: 2 half-widths; below: 1.5


def test_per_step_factors_use_the_k_most_recent_origins_where_the_step_is_known():
    n, horizon, k = 40, 3, 5
    origins = conformal.calibration_origins(n, horizon, 12, k, pooled=False)
    assert origins.tolist() == list(range(n - horizon - k + 1, n))
    # Forecasts say median 0 with half-width j + 1 at step j; the actual values are i / 10, but
    # 100 before the last k, which any older origin would reach: ⌈6·0.8⌉ = 5th of 5 scores.
    quantiles = np.array([[[-(j + 1.0), 0.0, j + 1.0] for j in range(horizon)]] * len(origins))
    values = np.where(np.arange(n) < n - k, 100.0, np.arange(n) / 10)
    factors = conformal.history_factors(values, origins, quantiles, horizon, k, pooled=False)
    np.testing.assert_allclose(factors, [(n - 1) / 10 / (j + 1) for j in range(horizon)])
    pooled = conformal.calibration_origins(n, horizon, 12, k, pooled=True)
    assert pooled.tolist() == list(range(n - horizon - k + 1, n - horizon + 1))


def test_the_committed_results_choose_what_the_runtime_ships():
    results = json.loads(RESULTS.read_text("utf-8"))
    decision, written = choose(results["series"]), results["decision"]
    for key in ("chosen", "adopted", "inside_75_85"):
        assert decision[key] == written[key]
    assert decision["validation_error"] == pytest.approx(written["validation_error"])
    assert decision["adopted"] and len(results["series"]) == 13
    k, pooled = CANDIDATES[decision["chosen"]]
    assert (k, pooled) == (conformal.HISTORY_ORIGINS, conformal.HISTORY_POOLED)
    # Electricity was measured and not adopted: the demand graph's interval is served as is.
    assert results["electricity"]["adopted"] is False


def test_choose_breaks_ties_by_smaller_k_then_pooled_and_adopts_only_a_strict_gain():
    names = ["graph", *CANDIDATES]

    def row(coverage: dict[str, float]) -> dict[str, object]:
        cells = {n: {"coverage": coverage.get(n, 0.5), "width": 1.0} for n in names}
        return {"kind": "held-out", "validation": cells, "test": cells}

    tie = {"a": row({"per-step K=24": 0.8, "pooled K=24": 0.8, "pooled K=12": 0.8})}
    assert choose(tie)["chosen"] == "pooled K=12"
    same = {"a": row({"graph": 0.8, "pooled K=12": 0.8})}
    assert choose(same)["adopted"] is False


def test_the_page_lists_exactly_the_series_the_card_counts_outside_the_target():
    from rnn_site.sitebuild.ts_calibration_data import coverage_outside, history_table

    card = json.loads((MODELS / "ts-forecaster" / "card.json").read_text("utf-8"))
    log = json.loads((MODELS / "ts-forecaster" / "metrics.json").read_text("utf-8"))
    targets = card["targets"]
    outside = coverage_outside(MODELS)
    assert outside.count("(0.") == targets["coverage_series"] - targets["coverage_in_75_85"]
    assert f"sunspots ({log['forecaster']['sunspots']['coverage80']:.3f})" in outside
    assert "Other Services" not in outside  # 0.8496: inside, though it prints as 0.850
    table = history_table(MODELS)
    before = log["interval_rescored"]["before"]["CEU2000000001"]
    now = log["held_out"]["CEU2000000001"]["lstm"]["coverage80"]
    assert f"| Construction | 0.995 | 0.762 | {before:.3f} | {now:.3f} |" in table
