"""Why the forecaster misses two held-out targets, on the time-series page, from committed files.

The figures come from rnn_site/experiments/results/ts_held_out_why.json
(`rnn_site.experiments.ts_held_out_why`), which must name the sha256 of the shipped
forecaster.onnx and whose LSTM MASEs must be the card's; the LSTM's, seasonal naive's and the
card's Holt-Winters columns are read from the card's log (metrics.json ``held_out``):

- ``<!-- data:ts-forecaster:table.held-out-why -->``: per held-out series, sorted by the
  steady-growth share of seasonal naive's error (largest first; the series lost to seasonal
  naive in bold): the card's LSTM, seasonal-naive and Holt-Winters MASEs, Holt-Winters refitted
  at every origin on only the LSTM's window, the seasonal strength of the test years, the
  steady-growth share and the LSTM's mean error (the experiment's module docstring defines
  them);
- ``<!-- data:ts-forecaster:held-out-why:KEY -->``: one reading: ``window`` (months the LSTM
  reads), ``series``, ``beats.window`` / ``beats.all`` (series where the LSTM beats Holt-Winters
  refitted on the window / on all months before each origin), ``narrowest.FIELD`` (as
  ``series.NAME.FIELD``: the series the LSTM beats the window-fitted Holt-Winters on by the
  least MASE), ``tolerance`` (how far a Holt-Winters MASE may move between machines,
  ``TOLERANCE["holt_winters"]``), ``tolerance.seen`` (the most the card's Holt-Winters MASEs
  moved when the experiment rescored them, ``card_difference``), ``mean.lstm`` /
  ``mean.card`` / ``mean.window`` / ``mean.all`` (mean MASE; ``card`` is the card's
  Holt-Winters), ``strength.min`` / ``strength.max`` (seasonal strength of the test years over
  the series), ``steady`` (`STEADY` as a percentage), ``steady.count`` /
  ``steady.ratio.max`` (series whose seasonal-naive error in the test years is mostly steady
  growth, growth share ≥ `STEADY`, and the largest LSTM ÷ seasonal-naive MASE among them),
  ``rest.count`` / ``rest.ratio.min`` / ``rest.ratio.max`` (the other series),
  ``slowed-and-overshot`` / ``steady.slowed-and-overshot`` (series, of all / of the
  steady-growth ones, whose growth slowed after the window and whose LSTM forecasts came out
  too high on average),
  ``correlation.min`` / ``correlation.max`` (the LSTM's bias against the slowdown, across each
  series' origins), ``lost.N.FIELD`` (the N-th series lost to seasonal naive, in the card's
  order: as ``series.NAME.FIELD``) and ``series.NAME.FIELD`` (one series' FIELD: a
  diagnostic, ``ratio`` (LSTM ÷ seasonal naive), ``mase.FORECASTER`` or ``title``, the
  industry without its sector). Every key is refused where the page's paragraphs no longer
  hold (`paragraph_breaks`: a retrained model may lose other series, or for other reasons);
- ``<!-- data:ts-forecaster:held-out-single:KEY -->``: from the card's log alone, how many
  held-out series the chosen normalisation's first network, alone, beats
  (``beats-seasonal-naive`` / ``beats-holt-winters``; ``normalisations.NAME.held_out``),
  beside the ensemble's counts on the card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.experiments.ts_held_out_why import TOLERANCE
from rnn_site.sitebuild.page_data import PageDataError, generator, model_file
from rnn_site.sitebuild.ts_calibration_data import measured_on

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results" / "ts_held_out_why.json"
MODULE = "rnn_site.experiments.ts_held_out_why"
#: A series' seasonal-naive error is "mostly steady growth" from this growth share on.
STEADY = 0.5
#: The series lost to seasonal naive the page's paragraph is written for (`paragraph_breaks`).
PAGE_LOSSES = 2
#: Diagnostics printed with a sign (a direction: faster or slower, too high or too low).
SIGNED = ("growth", "slowdown", "lstm_bias")


def _results(models_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(results, the card's log), if the results were measured on the shipped graph and their
    LSTM MASEs are the card's; PageDataError naming the command that measures them otherwise."""
    shipped = Path(models_dir) / "ts-forecaster" / "forecaster.onnx"
    results = measured_on(RESULTS, MODULE, "forecaster_onnx_sha256", shipped)
    log = model_file("ts-forecaster", "metrics", models_dir)
    held, series = log["held_out"], results["series"]
    again = f"run python -m {MODULE} --json {RESULTS} again"
    if set(held) != set(series):
        raise PageDataError(f"{RESULTS.name}'s series are not the card's held-out series: {again}")
    for name, row in series.items():
        if abs(row["mase"]["lstm"] - held[name]["lstm"]["mase"]) > TOLERANCE["lstm"]:
            raise PageDataError(f"{RESULTS.name}: {name}'s LSTM MASE is not the card's: {again}")
    return results, log


def _ratio(row: dict[str, Any]) -> float:
    return float(row["mase"]["lstm"] / row["mase"]["seasonal_naive"])


def _signed(field: str, value: float) -> str:
    return f"{value:+.2f}" if field in SIGNED else f"{value:.2f}"


@generator("ts-forecaster", "table.held-out-why")
def why_table(models_dir: Path) -> str:
    """Per held-out series, by steady-growth share (largest first; the losses to seasonal naive
    in bold): the card's MASEs, the window-fitted Holt-Winters and three diagnostics."""
    results, log = _results(models_dir)
    series, window = results["series"], results["window"]
    lost = set(results["summary"]["lost_to_seasonal_naive"])
    rows = [
        "| series | LSTM | seasonal naive | Holt-Winters (the card's) | Holt-Winters, last "
        f"{window} months | seasonal strength, test years | steady-growth share of seasonal "
        "naive's error | LSTM mean error (+: too high) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(series, key=lambda n: -series[n]["growth_share"]):
        row, held = series[name], log["held_out"][name]
        title = f"**{held['title']}**" if name in lost else held["title"]
        cells = [
            f"{held['lstm']['mase']:.3f}",
            f"{held['seasonal-naive']['mase']:.3f}",
            f"{held['holt-winters']['mase']:.3f}",
            f"{row['mase']['holt_winters_window']:.3f}",
            *(_signed(f, row[f]) for f in ("seasonal_strength", "growth_share", "lstm_bias")),
        ]
        rows.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _series_fact(results: dict[str, Any], spec: str) -> str:
    """``NAME.FIELD`` of one series: a diagnostic, ``ratio``, ``title`` or
    ``mase.FORECASTER``."""
    name, _, field = spec.partition(".")
    row = results["series"].get(name)
    if row is None:
        raise PageDataError(f"data:ts-forecaster:held-out-why:series.{spec}: no series {name!r}")
    if field == "ratio":
        return f"{_ratio(row):.2f}"
    if field == "title":  # the industry, without its sector ("Retail Trade: ")
        return str(row["title"]).rsplit(": ", 1)[-1]
    if field.startswith("mase.") and field[5:] in row["mase"]:
        return f"{row['mase'][field[5:]]:.3f}"
    if field in row and isinstance(row[field], float):
        return _signed(field, row[field])
    fields = sorted(k for k, v in row.items() if isinstance(v, float))
    raise PageDataError(
        f"data:ts-forecaster:held-out-why:series.{spec}: FIELD one of ratio, "
        f"mase.{{{','.join(row['mase'])}}}, {', '.join(fields)}"
    )


def _slowed_and_overshot(row: dict[str, Any]) -> bool:
    """Growth slowed after the window and the LSTM's forecasts came out too high on average."""
    return bool(row["slowdown"] > 0 and row["lstm_bias"] > 0)


def _window_margin(row: dict[str, Any]) -> float:
    """Holt-Winters refitted on the window's MASE minus the LSTM's (positive: the LSTM wins)."""
    return float(row["mase"]["holt_winters_window"] - row["mase"]["lstm"])


def narrowest_window_win(results: dict[str, Any]) -> str | None:
    """The series the LSTM beats the window-fitted Holt-Winters on by the least MASE (None
    where it beats it on none): the one win of that count most likely to go the other way."""
    margins = {n: _window_margin(r) for n, r in results["series"].items() if _window_margin(r) > 0}
    return min(margins, key=margins.__getitem__) if margins else None


def paragraph_breaks(results: dict[str, Any], log: dict[str, Any]) -> list[str]:
    """What the page's paragraphs say of these results (and the card's log) and they no longer
    show (empty if it all holds).

    History: counted by series, the LSTM beats Holt-Winters refitted on its window on a
    majority (the target), exactly one series more than the card's fit and the all-history
    refit, which beat it on the same count and no majority; the narrowest of those wins is
    within the cross-machine `TOLERANCE` of Holt-Winters. By mean MASE both refits beat the
    LSTM, the card's fit is the highest of the three fits, and the two refits are closer to
    each other than to it.

    Losses: `PAGE_LOSSES` series are lost to seasonal naive, those with its lowest MASEs and
    neither the weakest nor the strongest seasons; each slowed after the window and was
    overshot, as were series won, steady-growth ones among them, and the LSTM's bias rises
    with the slowdown across the origins of every series.

    Steady growth: no loss is mostly steady growth, and every steady-growth series has a
    lower LSTM ÷ seasonal-naive ratio than every other series."""
    series = results["series"]
    held = log["held_out"]
    count = len(series)
    card_beats = sum(h["lstm"]["mase"] < h["holt-winters"]["mase"] for h in held.values())
    beats = results["summary"]["lstm_beats"]
    lost = results["summary"]["lost_to_seasonal_naive"]
    mean = results["summary"]["mean_mase"]
    card, every, window = (mean[f] for f in ("holt_winters", "holt_winters_all",
                                             "holt_winters_window"))  # fmt: skip
    narrowest = narrowest_window_win(results)
    by_naive = sorted(series, key=lambda n: series[n]["mase"]["seasonal_naive"])
    by_strength = sorted(series, key=lambda n: series[n]["seasonal_strength"])
    slowed = {n for n, r in series.items() if _slowed_and_overshot(r)}
    steady = {n for n, r in series.items() if r["growth_share"] >= STEADY}
    rest = set(series) - steady
    correlations = [r["bias_slowdown_correlation"] for r in series.values()]
    checks = {
        "the window-fitted Holt-Winters loses to the LSTM on a majority": (
            beats["holt_winters_window"] > count / 2
        ),
        "the card's Holt-Winters loses on no majority": card_beats <= count / 2,
        "the window-fitted Holt-Winters loses on exactly one series more than the card's": (
            beats["holt_winters_window"] == card_beats + 1
        ),
        "the all-history refit loses on as many series as the card's": (
            beats["holt_winters_all"] == card_beats
        ),
        "the narrowest of those wins is within the Holt-Winters tolerance": (
            narrowest is not None and _window_margin(series[narrowest]) < TOLERANCE["holt_winters"]
        ),
        "both refits beat the LSTM's mean MASE": max(every, window) < mean["lstm"],
        "the card's Holt-Winters has the highest mean MASE of the three": card > max(every, window),
        "refitting moves it more than the history": abs(every - window) < abs(card - every),
        f"{PAGE_LOSSES} series lost to seasonal naive": len(lost) == PAGE_LOSSES,
        "they have the lowest seasonal-naive MASEs": set(by_naive[: len(lost)]) == set(lost),
        "their seasons are neither the weakest nor the strongest": (
            set(lost) != set(by_strength[: len(lost)])
            and set(lost) != set(by_strength[len(by_strength) - len(lost) :])
        ),
        "each slowed after the window and was overshot": set(lost) <= slowed,
        "a series won slowed and was overshot too": bool(slowed - set(lost)),
        "a steady-growth series slowed and was overshot too": bool(slowed & steady),
        "the LSTM's bias rises with the slowdown on every series": all(
            c is not None and c > 0 for c in correlations
        ),
        "none is mostly steady growth": not set(lost) & steady,
        "steady growth separates the LSTM's ratios to seasonal naive": bool(steady and rest)
        and max(_ratio(series[n]) for n in steady) < min(_ratio(series[n]) for n in rest),
    }
    return [claim for claim, holds in checks.items() if not holds]


def _nth_fact(results: dict[str, Any], names: list[str], key: str, spec: str) -> str:
    """``N.FIELD``: `_series_fact` of the N-th of ``names`` (the series ``key`` lists)."""
    index, _, field = spec.partition(".")
    if not index.isdigit() or int(index) >= len(names):
        raise PageDataError(
            f"data:ts-forecaster:held-out-why:{key}.{spec}: N.FIELD with N below {len(names)}"
        )
    return _series_fact(results, f"{names[int(index)]}.{field}")


@generator("ts-forecaster", "held-out-why", argument=True)
def why_fact(models_dir: Path, key: str) -> str:
    """One reading of the results (see the module docstring for the keys); refused where the
    page's paragraphs no longer hold for them (`paragraph_breaks`)."""
    results, log = _results(models_dir)
    broken = paragraph_breaks(results, log)
    if broken:
        raise PageDataError(
            f"data:ts-forecaster:held-out-why:{key}: the page's paragraphs on the held-out misses "
            f"no longer hold ({'; '.join(broken)} is no longer so): rewrite them"
        )
    if key.startswith("series."):
        return _series_fact(results, key.removeprefix("series."))
    series, summary = results["series"], results["summary"]
    if key.startswith("lost."):
        lost = summary["lost_to_seasonal_naive"]
        return _nth_fact(results, lost, "lost", key.removeprefix("lost."))
    if key.startswith("narrowest."):
        narrowest = narrowest_window_win(results)  # paragraph_breaks: never None here
        return _series_fact(results, f"{narrowest}.{key.removeprefix('narrowest.')}")
    steady = [n for n, r in series.items() if r["growth_share"] >= STEADY]
    rest = [n for n in series if n not in steady]
    strength = [r["seasonal_strength"] for r in series.values()]
    correlations = [r["bias_slowdown_correlation"] for r in series.values()]
    facts: dict[str, str] = {
        "window": str(results["window"]),
        "series": str(len(series)),
        "beats.window": str(summary["lstm_beats"]["holt_winters_window"]),
        "beats.all": str(summary["lstm_beats"]["holt_winters_all"]),
        "tolerance": f"{TOLERANCE['holt_winters']:.2f}",
        "tolerance.seen": f"{results['card_difference']['holt_winters']:.3f}",
        "mean.lstm": f"{log['held_out_summary']['mean_mase_lstm']:.3f}",
        "mean.card": f"{log['held_out_summary']['mean_mase_holt-winters']:.3f}",
        "mean.window": f"{summary['mean_mase']['holt_winters_window']:.3f}",
        "mean.all": f"{summary['mean_mase']['holt_winters_all']:.3f}",
        "strength.min": f"{min(strength):.2f}",
        "strength.max": f"{max(strength):.2f}",
        "steady": f"{STEADY:.0%}",
        "steady.count": str(len(steady)),
        "steady.ratio.max": f"{max(_ratio(series[n]) for n in steady):.2f}" if steady else "",
        "rest.count": str(len(rest)),
        "rest.ratio.min": f"{min(_ratio(series[n]) for n in rest):.2f}" if rest else "",
        "rest.ratio.max": f"{max(_ratio(series[n]) for n in rest):.2f}" if rest else "",
        "slowed-and-overshot": str(sum(_slowed_and_overshot(r) for r in series.values())),
        "steady.slowed-and-overshot": str(sum(_slowed_and_overshot(series[n]) for n in steady)),
        # paragraph_breaks: every correlation is a number here
        "correlation.min": f"{min(c for c in correlations if c is not None):.2f}",
        "correlation.max": f"{max(c for c in correlations if c is not None):.2f}",
    }
    if not facts.get(key):
        known = sorted(
            {k for k, v in facts.items() if v}
            | {"lost.N.FIELD", "narrowest.FIELD", "series.NAME.FIELD"}
        )
        raise PageDataError(f"data:ts-forecaster:held-out-why:{key}: one of {known}")
    return facts[key]


@generator("ts-forecaster", "held-out-single", argument=True)
def single_fact(models_dir: Path, key: str) -> str:
    """Held-out series the chosen normalisation's first network, alone, beats a baseline on."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    single = log["normalisations"][log["normalisation"]]["held_out"]
    held = log["held_out"]
    baselines = {"beats-seasonal-naive": "seasonal-naive", "beats-holt-winters": "holt-winters"}
    if key not in baselines:
        raise PageDataError(f"data:ts-forecaster:held-out-single:{key}: one of {sorted(baselines)}")
    if set(single) != set(held):
        raise PageDataError("metrics.json: the single network's held-out series are not the card's")
    base = baselines[key]
    return str(sum(single[n]["mase"] < held[n][base]["mase"] for n in held))
