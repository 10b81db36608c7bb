"""The anomaly benchmark's tables and readings, for the forecaster's card and the time-series page.

Torch-free on purpose: the site build imports this module (through
`rnn_site.sitebuild.application_tables`), and the export builds the card's note from the same
functions, so the page and the card cannot disagree. Three sources:

- the training log (metrics.json): ``anomaly`` (test rows per series, the card's seeds) and
  ``anomaly_seed_check`` (test F1 per detector with each `SEED_CHECKS` injection), which
  training and ``python -m rnn_site.experiments.ts_anomaly --rescore DIR`` both write;
- ``rnn_site/experiments/results/ts_anomaly_v1.json``: the benchmark v2 replaced, with the
  figures the card said under it (``card``), kept once in this committed file rather than in a
  log, which a retraining writes afresh;
- `rnn_site.baselines.anomaly`: the design constants (`BENCHMARK`, `SEEDS`, `SEED_CHECKS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rnn_site.baselines.anomaly import BENCHMARK, SEED_CHECKS, SEEDS, seeds_key

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results"
V1_RESULTS = RESULTS / "ts_anomaly_v1.json"
#: The seasonal z-score with windows of one and two seasons (the design note's scratch run).
WINDOWS_RESULTS = RESULTS / "ts_anomaly_seasonal_window.json"
#: Test F1s closer than this are a tie: one flagged point more or less moves F1 by about that
#: much on these pooled test copies (84 CO₂ points × 90 copies, 2% labelled).
TIE = 0.01
#: The series as tables name them.
LABELS = {"co2": "CO₂", "sunspots": "sunspots", "seattle": "Seattle"}
#: The detectors the LSTM is compared with, and how a table names them.
RIVALS = {"zscore": "rolling z-score", "seasonal_zscore": "seasonal z-score"}


class AnomalyDataError(ValueError):
    """A log or results file lacks what the anomaly tables read; the message names the fix."""


def v1_figures(path: Path = V1_RESULTS) -> dict[str, Any]:
    """What the card said under v1 → {"benchmark": text, "test": {series: {"lstm", "zscore",
    "flag_all": F1}}}, from the committed results file only (never from a log, which may
    already hold v2 figures)."""
    try:
        card = json.loads(path.read_text("utf-8"))["card"]
    except (FileNotFoundError, KeyError):
        raise AnomalyDataError(
            f"{path} holds no 'card' section: v1's card figures are kept there, nowhere else"
        ) from None
    return {"benchmark": card["benchmark"], "test": card["test"]}


def relation(lstm: float, rival: float) -> str:
    """The LSTM against a rival's test F1: "tie" within `TIE`, else "ahead" or "behind"."""
    if abs(lstm - rival) < TIE:
        return "tie"
    return "ahead" if lstm > rival else "behind"


def seed_label(seeds: Mapping[str, int]) -> str:
    """ "303 / 404": an injection's validation and test seeds."""
    return f"{seeds['val']} / {seeds['test']}"


def seed_columns(log: Mapping[str, Any]) -> list[tuple[str, dict[str, dict[str, float]]]]:
    """The test F1 of each detector per series, one column per injection: the card's seeds
    (``anomaly``), then each of `SEED_CHECKS` (``anomaly_seed_check``) → [(label, {series:
    {detector: F1}})]. AnomalyDataError if the log lacks them or was checked with other seeds."""
    anomaly, checks = log.get("anomaly") or {}, log.get("anomaly_seed_check") or {}
    wanted = [seeds_key(s) for s in SEED_CHECKS]
    if not anomaly or sorted(checks) != sorted(wanted):
        raise AnomalyDataError(
            f"the log's anomaly_seed_check holds {sorted(checks)}, not the seed checks "
            f"{wanted}: train again, or rescore with python -m rnn_site.experiments.ts_anomaly "
            "--rescore DIR"
        )
    card = {
        s: {d: row["f1"] for d, row in rows.items() if "f1" in row}  # a detector's row
        for s, rows in anomaly.items()
    }
    return [(seed_label(SEEDS) + " (the card)", card)] + [
        (seed_label(s), checks[seeds_key(s)]) for s in SEED_CHECKS
    ]


def seed_check_table(log: Mapping[str, Any]) -> str:
    """Markdown: per series and injection, test F1 of the LSTM / rolling z-score / seasonal
    z-score at .3f, then in brackets the LSTM's standing against each of the two ("tie"
    within `TIE`, in bold)."""
    columns = seed_columns(log)
    lines = [
        "| series | " + " | ".join(f"seeds {label}" for label, _ in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for series, label in LABELS.items():
        cells = []
        for _, f1 in columns:
            row = f1[series]
            figures = " / ".join(f"{row[d]:.3f}" for d in ("lstm", *RIVALS))
            words = [relation(row["lstm"], row[d]) for d in RIVALS]
            cells.append(
                f"{figures} (" + " / ".join(f"**{w}**" if w == "tie" else w for w in words) + ")"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def every_column(log: Mapping[str, Any], rival: str, standing: str) -> list[str]:
    """The series on which the LSTM stands ``standing`` ("ahead", "behind", "tie") against
    ``rival`` in every injection's column."""
    columns = seed_columns(log)
    return [
        s
        for s in LABELS
        if all(relation(f1[s]["lstm"], f1[s][rival]) == standing for _, f1 in columns)
    ]


def ties(log: Mapping[str, Any], rival: str) -> list[tuple[str, str, float, float]]:
    """Every (series, seeds, LSTM F1, rival F1) where the two tie."""
    return [
        (s, label.removesuffix(" (the card)"), f1[s]["lstm"], f1[s][rival])
        for label, f1 in seed_columns(log)
        for s in LABELS
        if relation(f1[s]["lstm"], f1[s][rival]) == "tie"
    ]


def series_list(names: list[str]) -> str:
    """ "CO₂ and sunspots"; "no series" for none."""
    labels = [LABELS[n] for n in names]
    if not labels:
        return "no series"
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def ties_text(log: Mapping[str, Any], rival: str) -> str:
    """ "on CO₂ with seeds 505 / 606 (0.467 against 0.466)"; "in no column" without a tie."""
    found = ties(log, rival)
    if not found:
        return "in no column"
    return "; ".join(
        f"on {LABELS[s]} with seeds {seeds} ({a:.3f} against {b:.3f})" for s, seeds, a, b in found
    )


def v1_table(path: Path = V1_RESULTS) -> str:
    """Markdown: test F1 under v1 of the LSTM, the rolling z-score and flag-all (the card of
    the model published then)."""
    test = v1_figures(path)["test"]
    lines = ["| series | LSTM | z-score | flag all |", "|---|---|---|---|"]
    for series, label in LABELS.items():
        row = test[series]
        lines.append(
            f"| {label} | {row['lstm']:.2f} | {row['zscore']:.2f} | {row['flag_all']:.2f} |"
        )
    return "\n".join(lines)


def seasonal_window_f1(spec: str, path: Path = WINDOWS_RESULTS) -> str:
    """ "0.702": the seasonal z-score's test F1 for ``spec`` = "SERIES.SEASONS" (1 or 2)."""
    series, _, seasons = spec.partition(".")
    test = json.loads(path.read_text("utf-8"))["test"]
    window = f"{seasons} season{'s' if seasons != '1' else ''}"
    if series not in test or window not in test[series]:
        raise AnomalyDataError(f"{path.name} has no {window} row for {series!r}")
    return f"{test[series][window]['f1']:.3f}"


def v1_wins(path: Path = V1_RESULTS) -> int:
    """On how many series the LSTM beat the rolling z-score under v1 (a tie is no win)."""
    test = v1_figures(path)["test"]
    return sum(row["lstm"] > row["zscore"] + 1e-9 for row in test.values())


def benchmark_fact(key: str) -> str:
    """One design constant as text: "prevalence" (3%), "min_events" (90), "per_kind" (30),
    "seeds" (the card's, "101 / 202"), "seed_checks" ("303 / 404 and 505 / 606"), "tie"
    (0.01); or "v1_wins", `v1_wins`."""
    if key == "v1_wins":
        return str(v1_wins())
    facts = {
        "prevalence": f"{BENCHMARK.prevalence:.0%}",
        "min_events": str(BENCHMARK.min_events),
        "per_kind": str(BENCHMARK.min_events // len(BENCHMARK.kinds)),
        "seeds": seed_label(SEEDS),
        "seed_checks": " and ".join(seed_label(s) for s in SEED_CHECKS),
        "tie": f"{TIE:.2f}",
    }
    if key not in facts:
        raise AnomalyDataError(f"no benchmark fact {key!r}; known: {', '.join(facts)}")
    return facts[key]
