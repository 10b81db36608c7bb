"""A ts-forecaster recipe candidate measured and not published, on the time-series page.

``<!-- data:ts-forecaster:candidate:KEY -->`` reads the candidate's kept log
(rnn_site/experiments/results/recipes/ts-forecaster-candidate-3-slots.json) beside the
published log and the thresholds of the rule it ran under
(rnn_site/experiments/results/ts_candidate_rule.md, committed before it ran; `THRESHOLDS`
holds its numbers once, a test checks them against the rule's text):

- ``slots``: the candidate's ``hparams.collection_slots``;
- ``decision``: "published" or "not published", the rule applied to the two logs;
- ``val.NAME.candidate`` / ``.published`` / ``.threshold`` for NAME ``employment`` (the
  collection's validation MASE, rule item 2) and ``all`` (the recipe's ``val_mase``, item 3);
- ``beats-seasonal-naive.candidate`` / ``.published``, ``beats-holt-winters.candidate`` /
  ``.published``, ``held-out`` (series) and ``mean-mase.candidate`` / ``.published``: held-out
  figures, reported and deciding nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.sitebuild.page_data import PageDataError, generator, model_file, read_json

CANDIDATE = (
    Path(__file__).resolve().parents[1]
    / "experiments"
    / "results"
    / "recipes"
    / "ts-forecaster-candidate-3-slots.json"
)
#: The rule's thresholds on ``ensemble.val`` (ts_candidate_rule.md, items 2 and 3): the
#: candidate is published only if both hold (and it is complete with 3 collection slots).
THRESHOLDS = {"val_mase_employment": 0.3834, "val_mase": 0.6738}
#: The candidate's collection slots the rule names (item 1).
SLOTS = 3
KEYS = {"employment": "val_mase_employment", "all": "val_mase"}


def candidate_log() -> dict[str, Any]:
    """The candidate's kept training log."""
    try:
        return dict(read_json(CANDIDATE))
    except FileNotFoundError:
        raise PageDataError(f"no {CANDIDATE}: copy the candidate's metrics.json there") from None


def published(log: dict[str, Any]) -> bool:
    """The rule as written: complete, 3 collection slots, both validation thresholds met."""
    val = log["ensemble"]["val"]
    return (
        log.get("complete") is True
        and log["hparams"].get("collection_slots") == SLOTS
        and all(val[key] <= limit for key, limit in THRESHOLDS.items())
    )


@generator("ts-forecaster", "candidate", argument=True)
def candidate_fact(models_dir: Path, key: str) -> str:
    """One figure of the candidate against the published log and the rule (module docstring)."""
    logs = {
        "candidate": candidate_log(),
        "published": model_file("ts-forecaster", "metrics", models_dir),
    }
    facts: dict[str, str] = {
        "slots": str(logs["candidate"]["hparams"]["collection_slots"]),
        "decision": "published" if published(logs["candidate"]) else "not published",
        "held-out": str(logs["candidate"]["held_out_summary"]["series"]),
    }
    for short, name in KEYS.items():
        facts[f"val.{short}.threshold"] = f"{THRESHOLDS[name]:g}"
    for which, log in logs.items():
        summary = log["held_out_summary"]
        for short, name in KEYS.items():
            facts[f"val.{short}.{which}"] = f"{log['ensemble']['val'][name]:.5f}"
        facts[f"beats-seasonal-naive.{which}"] = str(summary["beats_seasonal-naive"])
        facts[f"beats-holt-winters.{which}"] = str(summary["beats_holt-winters"])
        facts[f"mean-mase.{which}"] = f"{summary['mean_mase_lstm']:.3f}"
    if key not in facts:
        raise PageDataError(f"data:ts-forecaster:candidate:{key}: one of {sorted(facts)}")
    return facts[key]
