"""Anomaly decision rules for the published forecaster on the v2 benchmark (no retraining).

The benchmark (`rnn_site.baselines.anomaly.BENCHMARK`) was written down before it scored
anything: ``rnn_site/experiments/results/ts_anomaly_design.md``. It replaced v1, where about a
third of each part was labelled and flagging every point tied the detectors (v1's figures:
``results/ts_anomaly_v1.json``).

The published detector (`rnn_site.train.ts_forecaster.evaluate_anomalies`) scores each point by
how far it lies outside the *one-step* forecast's 80% interval. A one-step forecaster reads the
anomaly it is judging as soon as the anomaly is one step old, so this experiment also compares,
on the same weights and the same injected copies:

- ``interval h=k``: the same score from the forecast made ``k`` steps earlier (the anomaly is
  not in the input for ``k`` steps);
- ``mean interval h=1..k``: the mean of those scores over steps 1..k (evidence pooled);
- ``lstm z h=1``: |y − median| / std of the previous ``period`` values (the z-score's unit with
  the LSTM's centre instead of the window mean);
- ``rolling z-score``: the baseline; ``flag all``: the floor.

Each rule's threshold is chosen on the pooled validation copies; the rule is chosen on
validation F1 (:func:`choose_rule`), fixed before the test copies are scored once for it, the
published ``interval h=1``, the z-score and flag-all. Eval only, about a minute on one core::

    python -m rnn_site.experiments.ts_anomaly --json rnn_site/experiments/results/ts_anomaly.json

``--rescore DIR`` writes the anomaly figures of DIR/ts-forecaster.pt (or of ``--checkpoint``,
which must lie in DIR) again into the metrics.json beside it, as training writes them
(`rnn_site.train.ts_forecaster.anomaly_section`: this benchmark, and the seed checks), and
refreshes card.json and README.md there if DIR has a card; weights and graph untouched::

    python -m rnn_site.experiments.ts_anomaly --rescore models/ts-forecaster

v1's figures are not in any log: they stay in ``results/ts_anomaly_v1.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnn_site.baselines.anomaly import (
    BENCHMARK,
    GRID,
    Detector,
    Injected,
    flag_all,
    interval_score,
    rolling_zscore,
    score_benchmark,
    seasonal_zscore,
)
from rnn_site.data.timeseries import Series, load_all
from rnn_site.files import write_json
from rnn_site.train.ts_forecaster import (
    FAMILY,
    NAME,
    anomaly_section,
    forecast_origins,
    injected_parts,
    load_forecaster,
)

STEPS = (1, 2, 3, 6, 12, 18, 24)
#: The checkpoint the experiment reads unless told otherwise.
PUBLISHED = Path(f"models/{NAME}/{NAME}.pt")


def step_scores(
    model: Any, series: Series, values: np.ndarray, start: int, end: int, k_max: int
) -> np.ndarray:
    """(end − start, k_max) interval scores of points [start, end), column k−1 from the forecast
    made k steps before the point (origin p − k + 1)."""
    origins = np.arange(start - k_max + 1, end)
    f = forecast_origins(model, series, FAMILY[series.name], values, origins, k_max)
    out = np.empty((end - start, k_max))
    for k in range(1, k_max + 1):
        rows = np.arange(end - start) + k_max - k  # origin p − k + 1 for p = start + i
        p = np.arange(start, end)
        out[:, k - 1] = interval_score(
            values[p], f.lower[rows, k - 1], f.median[rows, k - 1], f.upper[rows, k - 1]
        )
    return out


def lstm_z(model: Any, series: Series, values: np.ndarray, start: int, end: int) -> np.ndarray:
    """|y − one-step median| / std of the previous ``period`` values."""
    p = np.arange(start, end)
    f = forecast_origins(model, series, FAMILY[series.name], values, p, 1)
    windows = np.lib.stride_tricks.sliding_window_view(values, series.period)[p - series.period]
    return np.abs(values[p] - f.median[:, 0]) / np.maximum(windows.std(axis=1), 1e-9)


def rules(model: Any, series: Series) -> dict[str, Detector]:
    """Rule name → scores(values, start, end); step scores cached per injected copy."""
    k_max = max(STEPS)
    cache: dict[tuple[int, int, int], np.ndarray] = {}

    def steps(values: np.ndarray, a: int, b: int) -> np.ndarray:
        key = (id(values), a, b)  # the copies live as long as the experiment
        if key not in cache:
            cache[key] = step_scores(model, series, values, a, b, k_max)
        return cache[key]

    def at(k: int) -> Detector:
        return lambda v, a, b: steps(v, a, b)[:, k - 1]

    def mean_to(k: int) -> Detector:
        return lambda v, a, b: steps(v, a, b)[:, :k].mean(axis=1)

    out: dict[str, Detector] = {}
    for k in STEPS:
        out[f"interval h={k}"] = at(k)
    for k in STEPS[1:]:
        out[f"mean interval h=1..{k}"] = mean_to(k)
    out["lstm z h=1"] = lambda v, a, b: lstm_z(model, series, v, a, b)
    out["rolling z-score"] = lambda v, a, b: rolling_zscore(v, series.period)[a:b]
    out["flag all"] = flag_all
    return out


def choose_rule(val: dict[str, dict[str, Any]]) -> str:
    """Fixed before any test score: the LSTM rule whose smallest validation F1 margin over the
    z-score (across series) is largest; ties → higher mean F1."""
    names = [r for r in next(iter(val.values())) if r not in ("rolling z-score", "flag all")]

    def key(rule: str) -> tuple[float, float]:
        margins = [v[rule]["f1"] - v["rolling z-score"]["f1"] for v in val.values()]
        return min(margins), float(np.mean([v[rule]["f1"] for v in val.values()]))

    return max(names, key=key)


class RescoreInputError(ValueError):
    """A rescore's folder, checkpoint or log is missing: `main` prints one ``error:`` line."""


def rescore_checkpoint(folder: Path, checkpoint: Path | None) -> Path:
    """The checkpoint ``--rescore DIR [--checkpoint FILE]`` names: FILE, which must lie in DIR
    (the rescore rewrites the metrics.json beside it, the log ``rnn-site export ts-forecaster``
    reads), else DIR/ts-forecaster.pt. Checked before anything is scored or written."""
    if not folder.is_dir():
        raise RescoreInputError(f"no folder {folder}: --rescore takes a training run's folder")
    if checkpoint is None:
        checkpoint = folder / f"{NAME}.pt"
    elif checkpoint.resolve().parent != folder.resolve():
        raise RescoreInputError(
            f"--checkpoint {checkpoint} is not in --rescore {folder}: the rescore rewrites the "
            "metrics.json beside the checkpoint; give a checkpoint inside the folder"
        )
    if not checkpoint.is_file():
        raise RescoreInputError(
            f"no checkpoint at {checkpoint}; name the file `rnn-site train ts-forecaster` wrote "
            "with --checkpoint"
        )
    if not checkpoint.with_name("metrics.json").is_file():
        raise RescoreInputError(
            f"no training log at {checkpoint.with_name('metrics.json')}: the rescore measures "
            "a training run's anomaly figures again and needs the log its run wrote"
        )
    return checkpoint


def rescore(checkpoint: Path, model: Any, command: str) -> dict[str, Any]:
    """The anomaly figures of ``model`` (read from ``checkpoint``) again, the weights
    untouched: `anomaly_section` (as training scores them) into the metrics.json beside the
    checkpoint, with ``anomaly_rescored`` saying by which command and commit → the log."""
    from rnn_site.provenance import git_commit

    path = checkpoint.with_name("metrics.json")
    log = json.loads(path.read_text("utf-8"))
    log.pop("anomaly_rescored", None)
    log |= anomaly_section(model, load_all())
    log["anomaly_rescored"] = {
        "command": command,
        "commit": git_commit(),
        "benchmark": "v2: rnn_site/experiments/results/ts_anomaly_design.md",
        "note": "anomaly detection scored again with the same weights on the v2 benchmark",
    }
    write_json(path, log)
    return log


def refresh_card_if_any(folder: Path, checkpoint: Path) -> str:
    """Refresh the card in ``folder`` from its rescored log, if it has one → the lines that
    say what was written (a training run's folder has no card until the export writes one)."""
    from rnn_site.export.ts_forecaster import refresh_card

    if not (folder / "card.json").is_file():
        return (
            f"no card.json in {folder}, so no card to refresh; publish the rescored run with "
            f"`rnn-site export ts-forecaster --checkpoint {checkpoint}`\n"
        )
    return "".join(f"{kind:>9}: {path}\n" for kind, path in refresh_card(folder).items())


def checkpoint_args(
    argv: list[str] | None, doc: str | None, rescore: bool = False
) -> argparse.Namespace:
    """--checkpoint (default: the published one) and --json, for both decision-rule
    experiments (and ``rescore``: --rescore DIR, whose checkpoint defaults to
    DIR/ts-forecaster.pt); eval runs on one thread (the other core is someone's training)."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None if rescore else PUBLISHED,
        help=f"default: {PUBLISHED}"
        + ("; with --rescore DIR: DIR/ts-forecaster.pt" if rescore else ""),
    )
    parser.add_argument("--json", type=Path)
    if rescore:
        parser.add_argument(
            "--rescore",
            type=Path,
            metavar="DIR",
            help="score the anomaly benchmark of DIR's checkpoint again into its metrics.json; "
            "refresh the card there if it has one",
        )
        parser.add_argument(
            "--seasonal-windows",
            action="store_true",
            help="score the seasonal z-score with windows of one and two seasons (no model)",
        )
    torch.set_num_threads(1)
    return parser.parse_args(argv)


def experiment(model: Any) -> dict[str, Any]:
    """Every rule on validation, the rule chosen there, and the test scores of the chosen
    rule, the published one, the z-score and flag-all (each test part scored once)."""
    site = load_all()
    val: dict[str, Any] = {}
    fns: dict[str, dict[str, Detector]] = {}
    parts: dict[str, tuple[dict[str, tuple[int, int]], dict[str, list[Injected]]]] = {}
    for name, series in site.items():
        fns[name], parts[name] = rules(model, series), injected_parts(series)
        bounds, injected = parts[name]
        val[name] = score_benchmark(fns[name], bounds, injected, test=())["validation"]
        for rule, row in val[name].items():
            print(f"{name:9s} {rule:22s} val F1 {row['f1']:.3f} (threshold {row['threshold']})")
    chosen = choose_rule(val)
    wins = all(v[chosen]["f1"] > v["rolling z-score"]["f1"] for v in val.values())
    print(f"chosen on validation: {chosen}; beats the z-score on every series there: {wins}")
    scored = dict.fromkeys((chosen, "interval h=1", "rolling z-score", "flag all"))
    test = {
        name: score_benchmark({r: fns[name][r] for r in scored}, *parts[name])["test"]
        for name in site
    }
    for name, rows in test.items():
        for rule, row in rows.items():
            print(f"{name:9s} {rule:22s} test F1 {row['f1']:.3f}")
    return {
        "benchmark": "v2: rnn_site/experiments/results/ts_anomaly_design.md",
        "design": {
            "prevalence": BENCHMARK.prevalence,
            "min_events": BENCHMARK.min_events,
            "kinds": list(BENCHMARK.kinds),
            "sizes": [list(s) for s in BENCHMARK.sizes],
            "prevalence_measured": {
                name: {
                    part: float(np.mean([c.labels[a:b].mean() for c in copies]))
                    for part, copies in p[1].items()
                    for a, b in [p[0][part]]
                }
                for name, p in parts.items()
            },
        },
        "grid": list(GRID),
        "steps": list(STEPS),
        "chosen": chosen,
        "wins_on_validation": wins,
        "validation": val,
        "test": test,
    }


def seasonal_windows(seasons: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """The seasonal z-score with a window of one season (the reported one) and of two, on the
    card's injection (validation chooses each threshold, test scores it): the design note's
    two-season scratch run, recorded. Baselines only, no model, seconds."""

    def window(period: int, width: int) -> Detector:
        return lambda v, a, b: seasonal_zscore(v, period, width)[a:b]

    table: dict[str, Any] = {}
    for name, series in load_all().items():
        detectors = {
            f"{k} season{'s' if k > 1 else ''}": window(series.period, k * series.period)
            for k in seasons
        }
        table[name] = score_benchmark(detectors, *injected_parts(series))
    for name, rows in table.items():
        for width, row in rows["test"].items():
            print(f"{name:9s} seasonal z-score, window {width:9s} test F1 {row['f1']:.3f}")
    return {
        "benchmark": "v2: rnn_site/experiments/results/ts_anomaly_design.md (the card's seeds)",
        "detector": "seasonal z-score (rnn_site.baselines.anomaly.seasonal_zscore), window in "
        "seasons; added after the first test look, deciding nothing",
        "command": "python -m rnn_site.experiments.ts_anomaly --seasonal-windows --json "
        "rnn_site/experiments/results/ts_anomaly_seasonal_window.json",
        **{part: {n: t[part] for n, t in table.items()} for part in ("validation", "test")},
    }


def main(argv: list[str] | None = None) -> int:
    args = checkpoint_args(argv, __doc__, rescore=True)
    if args.seasonal_windows:
        result = seasonal_windows()
        if args.json:
            write_json(args.json, result)
        return 0
    if args.rescore:
        try:
            checkpoint = rescore_checkpoint(args.rescore, args.checkpoint)
        except RescoreInputError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        model, _ = load_forecaster(checkpoint)
        named = f" --checkpoint {checkpoint}" if args.checkpoint else ""
        command = f"python -m rnn_site.experiments.ts_anomaly --rescore {args.rescore}{named}"
        log = rescore(checkpoint, model, command)
        for name, rows in log["anomaly"].items():
            print(
                f"{name:9s} test F1 LSTM {rows['lstm']['f1']:.3f} z-score "
                f"{rows['zscore']['f1']:.3f} flag-all {rows['flag_all']['f1']:.3f}"
            )
        sys.stdout.write(f"rescored: {checkpoint.with_name('metrics.json')}\n")
        sys.stdout.write(refresh_card_if_any(args.rescore, checkpoint))
        return 0
    model, _ = load_forecaster(args.checkpoint or PUBLISHED)
    result = experiment(model)
    if args.json:
        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
