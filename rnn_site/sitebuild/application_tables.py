"""The applications' results tables on their pages, from the published model cards.

Each is a generator of the one page-data hook (`rnn_site.sitebuild.page_data`), drawn by the
same function that writes the table into the model folder's README.md
(`rnn_site.export.results_tables`), so the page and the card cannot disagree:

- ``<!-- data:speech:table.results -->``: CER and strings right per test set;
- ``<!-- data:sentiment:table.domains -->``: accuracy / macro-F1 per domain;
- ``<!-- data:sentiment:table.examples:SET.I.J… -->``: rows I, J, … of the card's example
  sentences ``SET`` (``word_order`` or ``lstm_fails``), in that order; the page picks which;
- ``<!-- data:translator:table.results -->`` and ``<!-- data:translator:table.examples:SET -->``
  (``good`` or ``failures``, the first four); ``<!-- data:translator:pairs-total -->``, the
  sentence pairs of all three splits;
- ``<!-- data:melody:likelihood-gap -->`` and ``<!-- data:melody:likelihood-ratio -->``: how many
  nats per event the LSTM is below the n-gram on test, and the factor that gap makes in the
  probability of each real next event;
- the forecaster's anomaly benchmark (`rnn_site.export.anomaly_tables`):
  ``<!-- data:ts-forecaster:table.anomaly-seeds -->`` (test F1 with the card's seeds and the
  seed checks), ``<!-- data:ts-forecaster:table.anomaly-v1 -->`` (the benchmark it replaced),
  ``<!-- data:ts-forecaster:anomaly-fact:KEY -->`` (a design constant: ``prevalence``,
  ``min_events``, ``per_kind``, ``seeds``, ``seed_checks``, ``tie``; or ``v1_wins``, on how
  many series the LSTM beat the rolling z-score under v1),
  ``<!-- data:ts-forecaster:anomaly-every:RIVAL.STANDING -->`` (the series where the LSTM is
  ``ahead``, ``behind`` or at a ``tie`` with RIVAL, ``zscore`` or ``seasonal_zscore``, in
  every column), ``<!-- data:ts-forecaster:anomaly-ties:RIVAL -->`` (where the two tie) and
  ``<!-- data:ts-forecaster:anomaly-window:SERIES.SEASONS -->`` (the seasonal z-score's test F1
  with a window of 1 or 2 seasons, ts_anomaly_seasonal_window.json) and
  ``<!-- data:ts-forecaster:demo-flags:SERIES.KEY -->`` (what the demo shows with "Inject
  anomalies" at SERIES' first test origin, by the Python runtime on the shipped model: KEY
  ``injected``, ``flags``, ``hits``, ``false_alarms``, of those ``echoes`` (within two steps
  after an injected point) and ``ordinary`` (the rest), ``per_hit``, false alarms per hit, or
  ``echo_steps``, that window).

See the pages: applications/speech.md, applications/sentiment.md, applications/translation.md,
applications/music.md, applications/time-series.md
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.export import anomaly_tables
from rnn_site.export.results_tables import (
    sentiment_domain_table,
    sentiment_examples_table,
    speech_results_table,
    translator_examples_table,
    translator_results_table,
)
from rnn_site.files import sha256_file
from rnn_site.sitebuild.page_data import PageDataError, generator, model_file


def _examples(model: str, models_dir: Path, which: str) -> list[dict[str, Any]]:
    examples: dict[str, list[dict[str, Any]]] = model_file(model, "card", models_dir)["examples"]
    if which not in examples:
        raise PageDataError(
            f"{model}/card.json has no examples {which!r}; it has {', '.join(examples)}"
        )
    return examples[which]


@generator("speech", "table.results")
def speech_results(models_dir: Path) -> str:
    return speech_results_table(model_file("speech", "card", models_dir)["results"])


@generator("sentiment", "table.domains")
def sentiment_domains(models_dir: Path) -> str:
    return sentiment_domain_table(model_file("sentiment", "card", models_dir)["results"])


@generator("sentiment", "table.examples", argument=True)
def sentiment_examples(models_dir: Path, rows: str) -> str:
    """``rows`` is ``SET.I.J…``: the card's example set and which of its rows, in order."""
    which, *picked = rows.split(".")
    examples = _examples("sentiment", models_dir, which)
    if not picked or not all(i.isdigit() and int(i) < len(examples) for i in picked):
        raise PageDataError(
            f"data:sentiment:table.examples:{rows}: name rows 0-{len(examples) - 1} "
            f"of {which!r} after the set, as in word_order.0.2.5"
        )
    return sentiment_examples_table([examples[int(i)] for i in picked])


@generator("translator", "table.results")
def translator_results(models_dir: Path) -> str:
    card = model_file("translator", "card", models_dir)
    return translator_results_table(card["results"], card["beam"])


@generator("translator", "table.examples", argument=True)
def translator_examples(models_dir: Path, which: str) -> str:
    return translator_examples_table(_examples("translator", models_dir, which))


@generator("translator", "pairs-total")
def translator_pairs(models_dir: Path) -> str:
    pairs = model_file("translator", "card", models_dir)["data"]["pairs"]
    return f"{sum(pairs.values()):,}"


def _melody_gap(models_dir: Path) -> float:
    """The n-gram's test NLL per event minus the LSTM's (nats): e^gap is the probability ratio."""
    card = model_file("melody", "card", models_dir)
    (ngram,) = card["baselines"].values()
    return float(ngram["test_nll_per_event"] - card["metrics"]["melody"]["test_nll_per_event"])


@generator("melody", "likelihood-gap")
def melody_likelihood_gap(models_dir: Path) -> str:
    """The LSTM's lead over the n-gram in nats per event, two decimals ("0.69")."""
    return f"{_melody_gap(models_dir):.2f}"


@generator("melody", "likelihood-ratio")
def melody_likelihood_ratio(models_dir: Path) -> str:
    """How many times likelier the LSTM finds each real next event than the n-gram, on average
    (geometric mean over test events), one decimal ("2.0")."""
    return f"{math.exp(_melody_gap(models_dir)):.1f}"


def _anomaly(read: Callable[..., str], *args: Any) -> str:
    """An anomaly table or reading; its missing data is a build error naming the fix."""
    try:
        return read(*args)
    except anomaly_tables.AnomalyDataError as error:
        raise PageDataError(str(error)) from None


@generator("ts-forecaster", "table.anomaly-seeds")
def anomaly_seeds_table(models_dir: Path) -> str:
    """Test F1 per series with the card's seeds and each seed check (the training log)."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    return _anomaly(anomaly_tables.seed_check_table, log)


@generator("ts-forecaster", "table.anomaly-v1")
def anomaly_v1_table(models_dir: Path) -> str:
    """Test F1 under the benchmark v2 replaced (ts_anomaly_v1.json, not a log)."""
    return _anomaly(anomaly_tables.v1_table)


@generator("ts-forecaster", "anomaly-fact", argument=True)
def anomaly_fact(models_dir: Path, key: str) -> str:
    """A design constant of the benchmark (`rnn_site.baselines.anomaly`), or v1's win count."""
    return _anomaly(anomaly_tables.benchmark_fact, key)


@generator("ts-forecaster", "anomaly-every", argument=True)
def anomaly_every(models_dir: Path, spec: str) -> str:
    """ "CO₂ and sunspots": where the LSTM stands so against RIVAL in every column."""
    rival, _, standing = spec.partition(".")
    if rival not in anomaly_tables.RIVALS or standing not in ("ahead", "behind", "tie"):
        raise PageDataError(f"data:ts-forecaster:anomaly-every:{spec}: RIVAL.STANDING expected")
    log = model_file("ts-forecaster", "metrics", models_dir)
    return _anomaly(
        lambda: anomaly_tables.series_list(anomaly_tables.every_column(log, rival, standing))
    )


@generator("ts-forecaster", "anomaly-ties", argument=True)
def anomaly_ties(models_dir: Path, rival: str) -> str:
    """Where the LSTM and RIVAL tie: "on CO₂ with seeds 505 / 606 (0.467 against 0.466)"."""
    log = model_file("ts-forecaster", "metrics", models_dir)
    return _anomaly(anomaly_tables.ties_text, log, rival)


@generator("ts-forecaster", "anomaly-window", argument=True)
def anomaly_window(models_dir: Path, spec: str) -> str:
    """The seasonal z-score's test F1 with a window of SEASONS seasons on SERIES."""
    return _anomaly(anomaly_tables.seasonal_window_f1, spec)


def demo_injection(
    values: Any, start: int, end: int, unit: float, period: int
) -> tuple[np.ndarray, list[int]]:
    """What the demo's injectAnomalies (forecast-series.js) does, in numpy: a +4-unit spike at
    30% of [start, end) and a −3-unit shift from 70% over max(2, period // 4) points."""
    out, n = np.array(values, dtype=np.float64), end - start
    spike, shift = start + int(n * 0.3), start + int(n * 0.7)
    shifted = list(range(shift, min(end, shift + max(2, period // 4))))
    out[spike] += 4 * unit
    out[shifted] -= 3 * unit
    return out, [spike, *shifted]


#: Steps after an injected point within which a false alarm is counted as its echo (the model
#: reads the injected value in the next windows), not as a false alarm in an ordinary stretch.
ECHO_STEPS = 2


def demo_flags(models_dir: Path, series: str) -> dict[str, Any]:
    """The demo's anomaly view of ``series`` at its first test origin (the page's default):
    injected points, flags at the card's threshold, hits, false alarms, and of those the
    ``echoes`` (within `ECHO_STEPS` after an injected point) and the ``ordinary`` rest.
    Computed once per model files (the page reads it in several placeholders)."""
    folder = (Path(models_dir) / "ts-forecaster").resolve()
    files = tuple(sha256_file(folder / name) for name in ("card.json", "forecaster.onnx"))
    return _demo_flags(str(folder), series, files)


@cache
def _demo_flags(folder: str, series: str, files: tuple[str, ...]) -> dict[str, Any]:
    """`demo_flags` for the model in ``folder`` whose files hash to ``files`` (the cache key,
    so a changed model is read again)."""
    from rnn_site.runtime import Forecaster

    model = Forecaster.load(Path(folder))
    data, settings = model.load_series(series), model.card["series"][series]
    t0 = int(data["val_end"])
    start = max(t0 - 2 * int(settings["lookback"]), model.min_history)
    values, injected = demo_injection(
        data["values"], start, t0, float(settings["anomaly_unit"]), int(settings["period"])
    )
    flags = (np.flatnonzero(model.detect_anomalies(values[:t0], series, start)) + start).tolist()
    hits = sorted(set(flags) & set(injected))
    false_alarms = sorted(set(flags) - set(hits))
    echoes = [t for t in false_alarms if any(0 < t - e <= ECHO_STEPS for e in injected)]
    return {"injected": injected, "flags": flags, "hits": hits, "false_alarms": false_alarms,
            "echoes": echoes, "ordinary": [t for t in false_alarms if t not in echoes]}  # fmt: skip


@generator("ts-forecaster", "demo-flags", argument=True)
def demo_flags_reading(models_dir: Path, spec: str) -> str:
    """A count of the demo's anomaly view: SERIES.KEY (see the module docstring)."""
    series, _, key = spec.partition(".")
    keys = ("injected", "flags", "hits", "false_alarms", "echoes", "ordinary", "per_hit",
            "echo_steps")  # fmt: skip
    if series not in ("co2", "sunspots", "seattle") or key not in keys:
        raise PageDataError(f"data:ts-forecaster:demo-flags:{spec}: SERIES.KEY, KEY one of {keys}")
    if key == "echo_steps":
        return str(ECHO_STEPS)
    view = demo_flags(models_dir, series)
    if key == "per_hit":
        if not view["hits"]:
            raise PageDataError(f"data:ts-forecaster:demo-flags:{spec}: no hit to divide by")
        return f"{len(view['false_alarms']) / len(view['hits']):.0f}"
    return str(len(view[key]))
