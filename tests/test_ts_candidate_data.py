"""The time-series page's paragraph on the ts-forecaster candidate that was not published."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rnn_site.sitebuild.page_data import MODELS_DIR, PageDataError, render_data
from rnn_site.sitebuild.ts_candidate_data import (
    CANDIDATE,
    THRESHOLDS,
    candidate_fact,
    candidate_log,
    published,
)

RULE = Path(__file__).resolve().parents[1] / "rnn_site/experiments/results/ts_candidate_rule.md"


def test_thresholds_are_the_rules() -> None:
    """The one constant the page reads holds the numbers the committed rule states."""
    text = RULE.read_text(encoding="utf-8")
    for key, limit in THRESHOLDS.items():
        assert f"`ensemble.val.{key}` ≤ **{limit:g}**" in text


def test_candidate_figures_are_the_kept_logs() -> None:
    """Pinned real values of the kept candidate log (the point: the page shows this run's
    figures, and the rule applied to them says not published) beside the published log's."""
    fact = lambda key: candidate_fact(MODELS_DIR, key)  # noqa: E731
    assert fact("decision") == "not published"
    assert fact("slots") == "3"
    assert (fact("val.employment.candidate"), fact("val.employment.threshold")) == (
        "0.38575",
        "0.3834",
    )
    assert (fact("val.all.candidate"), fact("val.all.threshold")) == ("0.65731", "0.6738")
    assert (fact("beats-seasonal-naive.candidate"), fact("beats-holt-winters.candidate")) == (
        "8",
        "6",
    )
    assert (fact("mean-mase.candidate"), fact("held-out")) == ("0.401", "10")
    # The published side reads the served log, whatever it holds.
    served = json.loads((MODELS_DIR / "ts-forecaster" / "metrics.json").read_text())
    assert (
        fact("val.employment.published")
        == f"{served['ensemble']['val']['val_mase_employment']:.5f}"
    )
    assert fact("beats-holt-winters.published") == str(
        served["held_out_summary"]["beats_holt-winters"]
    )
    with pytest.raises(PageDataError, match="one of"):
        fact("val.sunspots.candidate")
    assert "note" in json.loads(CANDIDATE.read_text())


def test_rule_decides_on_both_thresholds() -> None:
    """Meeting item 2 publishes; missing item 3 or the slot count does not."""
    log = candidate_log()
    assert not published(log)
    better = copy.deepcopy(log)
    better["ensemble"]["val"]["val_mase_employment"] = THRESHOLDS["val_mase_employment"]
    assert published(better)
    worse = copy.deepcopy(better)
    worse["ensemble"]["val"]["val_mase"] = THRESHOLDS["val_mase"] + 1e-4
    assert not published(worse)
    one_slot = copy.deepcopy(better)
    one_slot["hparams"]["collection_slots"] = 1
    assert not published(one_slot)


def test_page_paragraph_renders() -> None:
    text = (
        "<!-- data:ts-forecaster:candidate:val.employment.candidate --> "
        "**<!-- data:ts-forecaster:candidate:decision -->**"
    )
    assert render_data(text) == "0.38575 **not published**"
