"""The forecaster's history calibration on the time-series page, from its committed files.

- ``<!-- data:ts-forecaster:table.history-calibration -->``: per series, 80% coverage with the
  graph's own interval and history-calibrated, on validation (the rule's results file,
  rnn_site/experiments/results/ts_history_calibration.json) and on test (the card's log:
  ``test_coverage80.graph`` / ``.served``, or in a log rescored before those keys existed
  ``interval_rescored.before`` and the served figures), with the test interval's mean width.
  The results file must name the sha256 of the shipped forecaster.onnx and ts-forecaster.pt
  (the series are measured on that graph, electricity on that checkpoint); a retrained model
  needs the experiment run again first;
- ``<!-- data:ts-forecaster:history-calibration:KEY -->``: one reading of the rule's results:
  ``chosen`` (the candidate), ``error.graph`` / ``error.chosen`` (mean |validation coverage −
  0.8| over the series), ``inside.validation.graph`` / ``.chosen`` (series within 75–85%),
  ``electricity.graph`` / ``electricity.chosen`` (electricity's validation coverage),
  ``electricity.decision`` ("adopted it" or "did not adopt it": this rule's verdict on
  electricity, whose served interval a later rule chose, ts_demand_interval_data),
  ``series`` (how many were judged), ``ks`` (the K candidates, "12, 24, 36 or 48"), ``k``
  (the runtime's K), ``min-scores`` (scores a step needs to be calibrated) and
  ``min-values`` (the shortest history whose first step is calibrated: the card's min_history
  plus those), ``held-out`` (held-out series), ``nearly-always`` (`NEARLY_ALWAYS` as a
  percentage) and ``held-out.graph.nearly-always`` / ``held-out.graph.below`` (held-out series
  the graph's own interval covered that often on test / below 75%, values to 3 decimals);
- ``<!-- data:ts-forecaster:coverage-scored -->``: how the log's test coverage was scored, as
  the card's coverage note says it: rescored without training (with the log's command) only
  when the log has ``interval_rescored``, else by the recipe when it trained;
- ``<!-- data:ts-forecaster:coverage-outside -->``: the reported series whose test coverage lies
  outside 75–85%, each with it ("sunspots (0.855), …"), electricity included;
- ``<!-- data:ts-forecaster:table.coverage-noise -->``: per reported series, test origins, the
  bootstrap block (in origins), test coverage, its block-bootstrap standard error and 90%
  interval, and the chance that an exactly calibrated interval with that spread lands inside
  75–85% (rnn_site/experiments/results/ts_coverage_noise.json, which must name the sha256 of
  both the shipped forecaster.onnx and ts-forecaster.pt, and whose series and coverages must be
  the card's);
- ``<!-- data:ts-forecaster:coverage-noise:KEY -->``: one reading of those results:
  ``replicates``, ``series``, ``daily-block`` (origins per block for Seattle and electricity),
  ``blocks.min`` / ``blocks.max`` (blocks per resample, over the series),
  ``all-inside`` (chance all land inside if calibrated, a percentage), ``expected-inside``,
  ``observed-inside`` (on the card), ``at-most-observed`` (chance, if calibrated, that no more
  than that land inside), ``distinguishable`` (series whose 90% interval leaves out 0.80, each
  with its coverage, or "none"), ``distinguishable.series`` / ``distinguishable.chance-inside``
  (that series and its chance inside if calibrated, where there is exactly one),
  ``fewest.origins`` / ``fewest.series`` (the series with the fewest test origins),
  ``independent.min`` / ``independent.max`` (the standard error with blocks of one origin as
  a multiple of the table's, over the series), and from the synthetic calibrated series of the
  same shapes: ``simulated.dependent.min`` / ``.max`` and ``simulated.independent.min`` /
  ``.max`` (bootstrap SE ÷ true SE, over the dependent models and the independent one) and
  ``simulated.outside.min`` / ``.max`` (how often a dependent one's 90% interval left out
  0.80, a percentage).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rnn_site.baselines.conformal import HISTORY_ORIGINS, MIN_SCORES, TARGET, in_target
from rnn_site.experiments.ts_coverage_noise import TOLERANCE, published_coverage
from rnn_site.files import sha256_file
from rnn_site.sitebuild.page_data import PageDataError, generator, model_file, results_file

RESULTS = (
    Path(__file__).resolve().parents[1] / "experiments" / "results" / "ts_history_calibration.json"
)
NOISE_RESULTS = RESULTS.with_name("ts_coverage_noise.json")
NOISE_MODULE = "rnn_site.experiments.ts_coverage_noise"
#: Test coverage from which the page calls a series "covered nearly always".
NEARLY_ALWAYS = 0.98
SITE_TITLES = {"co2": "CO₂", "sunspots": "sunspots", "seattle": "Seattle"}


MODULE = "rnn_site.experiments.ts_history_calibration"


def measured_on(path: Path, module: str, key: str, shipped: Path) -> dict[str, Any]:
    """An experiment's committed results (`results_file`) if their ``key`` is the sha256 of
    the ``shipped`` model file they were measured on; PageDataError naming the command that
    measures them again otherwise (a retrained model must not show the old model's figures)."""
    results = results_file(path, module)
    if results.get(key) != sha256_file(shipped):
        raise PageDataError(
            f"{path.name} was not measured on {shipped} (sha256 differs or is not recorded): "
            f"run python -m {module} --json {path} again"
        )
    return results


def _results(models_dir: Path) -> dict[str, Any]:
    """The experiment's results, if measured on ``models_dir``'s forecaster.onnx (the series)
    and ts-forecaster.pt (electricity, scored with the checkpoint's demand model)."""
    folder = Path(models_dir) / "ts-forecaster"
    measured_on(RESULTS, MODULE, "checkpoint_sha256", folder / "ts-forecaster.pt")
    return measured_on(RESULTS, MODULE, "forecaster_onnx_sha256", folder / "forecaster.onnx")


def _title(log: dict[str, Any], name: str) -> str:
    return SITE_TITLES.get(name) or str(log["held_out"][name]["title"])


def graph_and_served(log: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """Test coverage per series with the graph's own interval and as served: a fresh log's
    ``test_coverage80``, or a log rescored before it existed (``interval_rescored.before``
    and the served figures in place)."""
    if "test_coverage80" in log:
        return log["test_coverage80"]["graph"], log["test_coverage80"]["served"]
    if "interval_rescored" in log:
        return log["interval_rescored"]["before"], published_coverage(log)
    raise PageDataError(
        "ts-forecaster/metrics.json has neither test_coverage80 nor interval_rescored: it "
        f"predates history calibration; rescore it with python -m {MODULE} --rescore"
    )


def demand_graph_and_served(log: dict[str, Any]) -> tuple[float, float]:
    """The electricity model's test coverage with the graph's own interval and as served: a
    fresh log's ``electricity.test_coverage80``, or a log rescored before it existed
    (``electricity.interval_rescored.before`` and the served figure in place)."""
    section = log["electricity"]
    if "test_coverage80" in section:
        return section["test_coverage80"]["graph"], section["test_coverage80"]["served"]
    if "interval_rescored" in section:
        return section["interval_rescored"]["before"]["coverage80"], section["lstm"]["coverage80"]
    raise PageDataError(
        "ts-forecaster/metrics.json's electricity section has neither test_coverage80 nor "
        "interval_rescored: rescore it with python -m rnn_site.experiments.ts_demand_interval "
        "--rescore"
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
    log = model_file("ts-forecaster", "metrics", models_dir)
    graph = graph_and_served(log)[0]
    held = [graph[name] for name in log["held_out"]]
    ks = sorted({int(name.split("=")[1]) for name in decision["validation_error"] if "=" in name})
    min_history = int(model_file("ts-forecaster", "card", models_dir)["min_history"])

    def inside(name: str) -> int:
        return sum(in_target(r["validation"][name]["coverage"]) for r in results["series"].values())

    facts: dict[str, str] = {
        "series": str(len(results["series"])),
        "ks": ", ".join(map(str, ks[:-1])) + f" or {ks[-1]}",
        "k": str(HISTORY_ORIGINS),
        "min-scores": str(MIN_SCORES),
        "min-values": str(min_history + MIN_SCORES),
        "held-out": str(len(held)),
        "nearly-always": f"{NEARLY_ALWAYS:.0%}",
        "held-out.graph.nearly-always": str(sum(round(c, 3) >= NEARLY_ALWAYS for c in held)),
        "held-out.graph.below": str(sum(round(c, 3) < TARGET[0] for c in held)),
        "chosen": chosen,
        "error.graph": f"{decision['validation_error']['graph']:.3f}",
        "error.chosen": f"{decision['validation_error'][chosen]:.3f}",
        # Counted here on the printed value (`in_target`), as the table shows it.
        "inside.validation.graph": str(inside("graph")),
        "inside.validation.chosen": str(inside(chosen)),
        "electricity.graph": f"{electricity['graph']['coverage']:.2f}",
        "electricity.chosen": f"{electricity[results['electricity']['chosen']]['coverage']:.2f}",
        "electricity.decision": (
            "adopted it" if results["electricity"]["adopted"] else "did not adopt it"
        ),
    }
    if key not in facts:
        raise PageDataError(f"data:ts-forecaster:history-calibration:{key}: one of {sorted(facts)}")
    return facts[key]


@generator("ts-forecaster", "coverage-scored")
def coverage_scored(models_dir: Path) -> str:
    """One sentence on how the published log's test coverage was scored: a retrained log has
    no ``interval_rescored``, so the page must not say it was rescored."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    graph_and_served(log)  # either layout, or the PageDataError that names the rescore
    if "interval_rescored" in log:
        return (
            "The published weights' log was then rescored without training "
            f"(`{log['interval_rescored']['command']}`; the recipe now scores both intervals "
            "itself, so a fresh log needs no rescore)."
        )
    return (
        "The recipe scored both intervals on the test period when it trained the published "
        "weights (the graph's own figures are kept in metrics.json, `test_coverage80.graph`)."
    )


@generator("ts-forecaster", "coverage-outside")
def coverage_outside(models_dir: Path) -> str:
    """ "sunspots (0.855) and electricity (0.737)": test coverage outside 75–85%."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    outside = [
        f"{_title(log, n) if n != 'electricity' else 'electricity'} ({c:.3f})"
        for n, c in published_coverage(log).items()
        if not in_target(c)
    ]
    if not outside:
        return "none"
    return ", ".join(outside[:-1]) + (" and " if len(outside) > 1 else "") + outside[-1]


def _noise(models_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(coverage-noise results, the card's log), if the results were measured on both shipped
    graphs (the forecaster's and the demand model's weights) and their series and coverages
    are the log's (to `TOLERANCE`); PageDataError naming the command that measures them again
    otherwise."""
    folder = Path(models_dir) / "ts-forecaster"
    results = measured_on(NOISE_RESULTS, NOISE_MODULE, "forecaster_onnx_sha256",
                          folder / "forecaster.onnx")  # fmt: skip
    measured_on(NOISE_RESULTS, NOISE_MODULE, "checkpoint_sha256", folder / "ts-forecaster.pt")
    log = model_file("ts-forecaster", "metrics", models_dir)
    published = published_coverage(log)
    measured = {name: row["coverage"] for name, row in results["series"].items()}
    again = f"run python -m {NOISE_MODULE} --json {NOISE_RESULTS} again"
    if set(measured) != set(published):
        raise PageDataError(
            f"{NOISE_RESULTS.name}'s series differ from the card's: results "
            f"{sorted(measured)}, card {sorted(published)}: {again}"
        )
    if any(abs(measured[n] - published[n]) > TOLERANCE for n in published):
        raise PageDataError(
            f"{NOISE_RESULTS.name}'s coverages are not the card's test coverage80: {again}"
        )
    return results, log


def _percent(p: float, decimals: int = 0) -> str:
    """ "63%" (or "0.1%" with ``decimals=1``), but "<1%" / ">99%" ("<0.1%" / ">99.9%") where
    rounding would print a chance as impossible or sure."""
    half = 0.5 * 10 ** -(decimals + 2)  # half the last printed digit, as a proportion
    if 0 < p < half:
        return f"<{1 / 10**decimals:.{decimals}f}%"
    if 1 - half <= p < 1:
        return f">{100 - 1 / 10**decimals:.{decimals}f}%"
    return f"{p:.{decimals}%}"


def _series_title(log: dict[str, Any], name: str) -> str:
    return "electricity" if name == "electricity" else _title(log, name)


@generator("ts-forecaster", "table.coverage-noise")
def coverage_noise_table(models_dir: Path) -> str:
    """Per series: test origins, block, coverage, bootstrap SE and 90% interval, chance inside
    if calibrated."""
    results, log = _noise(models_dir)
    rows = [
        "| series | test origins | block (origins) | coverage | bootstrap SE "
        "| 90% bootstrap interval of the coverage | chance inside 75–85% if calibrated |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in published_coverage(log):  # the card's order: site, held-out, electricity
        row = results["series"][name]
        low, high = row["interval90"]
        rows.append(
            f"| {_series_title(log, name)} | {row['origins']} | {row['block']} | "
            f"{row['coverage']:.3f} | {row['se']:.3f} | {low:.3f}–{high:.3f} | "
            f"{_percent(row['chance_inside'])} |"
        )
    return "\n".join(rows)


@generator("ts-forecaster", "coverage-noise", argument=True)
def coverage_noise_fact(models_dir: Path, key: str) -> str:
    """One reading of the coverage-noise results (see the module docstring for the keys)."""
    results, log = _noise(models_dir)
    series = results["series"]
    fewest = min(series, key=lambda n: series[n]["origins"])
    independent = [row["se_by_block"]["1"] / row["se"] for row in series.values()]
    blocks = [math.ceil(row["origins"] / row["block"]) for row in series.values()]
    apart = [n for n, row in series.items() if not row["level_in_interval90"]]
    runs = results["simulation"]["runs"]
    ratio = {
        dependent: [r["se_ratio"] for r in runs if (r["model"] != "independent") == dependent]
        for dependent in (True, False)
    }
    outside = [r["level_outside_interval90"] for r in runs if r["model"] != "independent"]
    facts = {
        "replicates": f"{results['replicates']:,}",
        "series": str(len(series)),
        "daily-block": str(results["daily_block"]),
        "blocks.min": str(min(blocks)),
        "blocks.max": str(max(blocks)),
        "all-inside": _percent(results["all_inside_chance"], 1),
        "expected-inside": f"{results['expected_inside']:.1f}",
        "observed-inside": str(results["observed_inside"]),
        "at-most-observed": _percent(results["chance_at_most_observed"]),
        "distinguishable": ", ".join(
            f"{_series_title(log, n)} ({series[n]['coverage']:.3f})" for n in apart
        )
        or "none",
        "fewest.origins": str(series[fewest]["origins"]),
        "fewest.series": _series_title(log, fewest),
        "independent.min": f"{min(independent):.1f}",
        "independent.max": f"{max(independent):.1f}",
        "simulated.dependent.min": f"{min(ratio[True]):.2f}",
        "simulated.dependent.max": f"{max(ratio[True]):.2f}",
        "simulated.independent.min": f"{min(ratio[False]):.2f}",
        "simulated.independent.max": f"{max(ratio[False]):.2f}",
        "simulated.outside.min": _percent(min(outside)),
        "simulated.outside.max": _percent(max(outside)),
    }
    if len(apart) == 1:  # the page's sentence contrasts the two questions on one series
        facts["distinguishable.series"] = _series_title(log, apart[0])
        facts["distinguishable.chance-inside"] = _percent(series[apart[0]]["chance_inside"])
    elif key.startswith("distinguishable."):
        raise PageDataError(
            f"data:ts-forecaster:coverage-noise:{key} reads the one series whose 90% interval "
            f"leaves out 0.80, but {len(apart)} do: rewrite the page's sentence"
        )
    if key not in facts:
        raise PageDataError(f"data:ts-forecaster:coverage-noise:{key}: one of {sorted(facts)}")
    return facts[key]
