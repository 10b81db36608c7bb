"""The forecaster's history calibration on the time-series page, from its committed files.

- ``<!-- data:ts-forecaster:table.history-calibration -->``: per series, 80% coverage with the
  graph's own interval and history-calibrated, on validation (the rule's results file,
  rnn_site/experiments/results/ts_history_calibration.json) and on test (the card's log:
  ``test_coverage80.graph`` / ``.served``, or in a log rescored before those keys existed
  ``interval_rescored.before`` and the served figures), with the test interval's mean width.
  The results file must name the sha256 of the shipped forecaster.onnx (it is measured on
  that graph); a retrained model needs the experiment run again first;
- ``<!-- data:ts-forecaster:history-calibration:KEY -->``: one reading of the rule's results:
  ``chosen`` (the candidate), ``error.graph`` / ``error.chosen`` (mean |validation coverage −
  0.8| over the 13 series), ``inside.validation.graph`` / ``.chosen`` (series within 75–85%),
  ``electricity.graph`` / ``electricity.chosen`` (electricity's validation coverage);
- ``<!-- data:ts-forecaster:coverage-outside -->``: the reported series whose test coverage lies
  outside 75–85%, each with it ("sunspots (0.855), …"), electricity included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.files import sha256_file
from rnn_site.sitebuild.page_data import PageDataError, generator, model_file, results_file

RESULTS = (
    Path(__file__).resolve().parents[1] / "experiments" / "results" / "ts_history_calibration.json"
)
SITE_TITLES = {"co2": "CO₂", "sunspots": "sunspots", "seattle": "Seattle"}
LOW, HIGH = 0.75, 0.85


MODULE = "rnn_site.experiments.ts_history_calibration"


def _results(models_dir: Path) -> dict[str, Any]:
    """The experiment's results, if measured on ``models_dir``'s forecaster.onnx."""
    results = results_file(RESULTS, MODULE)
    shipped = Path(models_dir) / "ts-forecaster" / "forecaster.onnx"
    if results.get("forecaster_onnx_sha256") != sha256_file(shipped):
        raise PageDataError(
            f"{RESULTS.name} was not measured on {shipped} (sha256 differs or is not recorded): "
            f"run python -m {MODULE} --json {RESULTS} again"
        )
    return results


def _title(log: dict[str, Any], name: str) -> str:
    return SITE_TITLES.get(name) or str(log["held_out"][name]["title"])


def test_coverage(log: dict[str, Any]) -> dict[str, float]:
    """The card's test coverage per reported series (site, held-out, electricity)."""
    coverage = {n: f["coverage80"] for n, f in log["forecaster"].items()}
    coverage |= {n: h["lstm"]["coverage80"] for n, h in log["held_out"].items()}
    if log.get("electricity"):
        coverage["electricity"] = log["electricity"]["lstm"]["coverage80"]
    return coverage


def graph_and_served(log: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """Test coverage per series with the graph's own interval and as served: a fresh log's
    ``test_coverage80``, or a log rescored before it existed (``interval_rescored.before``
    and the served figures in place)."""
    if "test_coverage80" in log:
        return log["test_coverage80"]["graph"], log["test_coverage80"]["served"]
    if "interval_rescored" in log:
        return log["interval_rescored"]["before"], test_coverage(log)
    raise PageDataError(
        "ts-forecaster/metrics.json has neither test_coverage80 nor interval_rescored: it "
        f"predates history calibration; rescore it with python -m {MODULE} --rescore"
    )


@generator("ts-forecaster", "table.history-calibration")
def history_table(models_dir: Path) -> str:
    """Coverage before/after per series on validation and test, and the test widths."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    results, (before, now) = _results(models_dir), graph_and_served(log)
    chosen = results["decision"]["chosen"]
    rows = [
        "| series | validation: graph | validation: history | test: graph | test: history "
        "| test width: graph | test width: history |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results["series"].items():
        val, test = row["validation"], row["test"]
        rows.append(
            f"| {_title(log, name)} | {val['graph']['coverage']:.3f} | "
            f"{val[chosen]['coverage']:.3f} | {before[name]:.3f} | {now[name]:.3f} | "
            f"{test['graph']['width']:.3g} | {test[chosen]['width']:.3g} |"
        )
    return "\n".join(rows)


@generator("ts-forecaster", "history-calibration", argument=True)
def history_fact(models_dir: Path, key: str) -> str:
    """One reading of the rule's results (see the module docstring for the keys)."""
    results = _results(models_dir)
    decision, chosen = results["decision"], results["decision"]["chosen"]
    electricity = results["electricity"]["validation"]
    facts: dict[str, str] = {
        "chosen": chosen,
        "error.graph": f"{decision['validation_error']['graph']:.3f}",
        "error.chosen": f"{decision['validation_error'][chosen]:.3f}",
        "inside.validation.graph": str(decision["inside_75_85"]["validation"]["graph"]),
        "inside.validation.chosen": str(decision["inside_75_85"]["validation"][chosen]),
        "electricity.graph": f"{electricity['graph']['coverage']:.2f}",
        "electricity.chosen": f"{electricity[results['electricity']['chosen']]['coverage']:.2f}",
    }
    if key not in facts:
        raise PageDataError(f"data:ts-forecaster:history-calibration:{key}: one of {sorted(facts)}")
    return facts[key]


@generator("ts-forecaster", "coverage-outside")
def coverage_outside(models_dir: Path) -> str:
    """ "sunspots (0.855) and electricity (0.737)": test coverage outside 75–85%."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    outside = [
        f"{_title(log, n) if n != 'electricity' else 'electricity'} ({c:.3f})"
        for n, c in test_coverage(log).items()
        if not LOW <= c <= HIGH
    ]
    if not outside:
        return "none"
    return ", ".join(outside[:-1]) + (" and " if len(outside) > 1 else "") + outside[-1]
