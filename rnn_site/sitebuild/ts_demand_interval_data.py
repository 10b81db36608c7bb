"""The electricity model's interval comparison on the time-series page, from its results file.

- ``<!-- data:ts-forecaster:table.demand-interval -->``: per candidate of the rule
  (rnn_site/experiments/results/ts_demand_interval_rule.md), 80% coverage and mean width (GW) on
  October (fitted on September: what decided) and on test (as it would ship), the chosen one
  marked;
- ``<!-- data:ts-forecaster:demand-interval:KEY -->``: ``chosen`` (its label), ``days`` (the
  history days of the chosen candidate), ``september`` / ``october`` (midnights fitted on /
  judged on), ``october.NAME`` / ``test.NAME`` (coverage) and ``width.NAME`` (test width, GW)
  for NAME in ``published`` (the per-step widening: refitted on September for October, as
  in the graph on test), ``pooled``, ``chosen``; ``target.NAME`` ("inside 75–85%" or "outside
  75–85%", the test coverage as printed, `conformal.in_target`) and ``band`` ("a wider band",
  "a narrower band" or "a band as wide": the chosen interval's test width against the graph's).

The results must name the sha256 of the shipped ts-forecaster.pt they were measured on (the
demand model's weights); after a retrain the page asks for the experiment to be run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.baselines.conformal import TARGET, in_target
from rnn_site.sitebuild.page_data import PageDataError, generator
from rnn_site.sitebuild.ts_calibration_data import measured_on

RESULTS = (
    Path(__file__).resolve().parents[1] / "experiments" / "results" / "ts_demand_interval.json"
)
#: The rule's candidate names as the page says them.
LABELS = {"per-step": "per-step (the graph's rule)", "pooled": "pooled"}


def _results(models_dir: Path) -> dict[str, Any]:
    """The results, if measured on ``models_dir``'s checkpoint (the demand model's weights)."""
    shipped = Path(models_dir) / "ts-forecaster" / "ts-forecaster.pt"
    module = "rnn_site.experiments.ts_demand_interval"
    return measured_on(RESULTS, module, "checkpoint_sha256", shipped)


def rule_order(name: str) -> tuple[int, int]:
    """The rule's order, simplest first: the static widenings, then history by its days."""
    if name.startswith("history "):
        return (len(LABELS), int(name.split()[1]))
    return (list(LABELS).index(name), 0)


def label(name: str) -> str:
    """ "history 7" → "history, 7 days"; the static rules by `LABELS`."""
    if name.startswith("history "):
        return f"history, {name.split()[1]} days"
    return LABELS[name]


@generator("ts-forecaster", "table.demand-interval")
def demand_interval_table(models_dir: Path) -> str:
    """October (deciding) and test coverage and width of every candidate, the chosen marked."""
    results = _results(models_dir)
    rows = [
        "| candidate | October coverage | \\|coverage − 0.8\\| | October width (GW) "
        "| test coverage | test width (GW) |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(results["october"], key=rule_order):
        october, test = results["october"][name], results["test"][name]
        shown = f"**{label(name)}** (chosen)" if name == results["chosen"] else label(name)
        rows.append(
            f"| {shown} | {october['coverage']:.3f} | {results['october_error'][name]:.4f} | "
            f"{october['width_gw']:.3f} | {test['coverage']:.3f} | {test['width_gw']:.3f} |"
        )
    return "\n".join(rows)


@generator("ts-forecaster", "demand-interval", argument=True)
def demand_interval_fact(models_dir: Path, key: str) -> str:
    """One reading of the rule's results (see the module docstring for the keys)."""
    results = _results(models_dir)
    chosen = results["chosen"]
    names = {"published": "per-step", "pooled": "pooled", "chosen": chosen}
    facts: dict[str, str] = {
        "chosen": label(chosen),
        "days": chosen.split()[1] if chosen.startswith("history ") else "0",
        "september": str(results["days"]["september"]),
        "october": str(results["days"]["october"]),
    }
    for short, name in names.items():
        facts[f"october.{short}"] = f"{results['october'][name]['coverage']:.3f}"
        facts[f"test.{short}"] = f"{results['test'][name]['coverage']:.3f}"
        facts[f"width.{short}"] = f"{results['test'][name]['width_gw']:.3f}"
        side = "inside" if in_target(results["test"][name]["coverage"]) else "outside"
        facts[f"target.{short}"] = f"{side} {TARGET[0]:.0%}–{TARGET[1]:.0%}".replace("%–", "–")
    widths = [round(results["test"][n]["width_gw"], 3) for n in (chosen, "per-step")]
    facts["band"] = (
        "a band as wide"
        if widths[0] == widths[1]
        else f"a {'wider' if widths[0] > widths[1] else 'narrower'} band"
    )
    if key not in facts:
        raise PageDataError(f"data:ts-forecaster:demand-interval:{key}: one of {sorted(facts)}")
    return facts[key]
