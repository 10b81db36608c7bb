"""Levers for the forecaster, measured on validation only: a seed ensemble, the interval
calibration, and a few training knobs.

Each *variant* is the published recipe's seasonal-diff model with some hyperparameters
changed; each is trained from several seeds (one member per seed, early-stopped on validation
MASE as the recipe does). Then, on the validation period alone:

- **ensemble size**: validation MASE of the first k members averaged (k = 1, 3, 5, 8), beside
  the spread of single members;
- **calibration**: each method is fitted on the first half of the validation origins, pooled
  per family as the model stores it, and judged by the coverage of the second half, per site
  series and per training-collection series. The rule, fixed before any test score is read:
  the method with the lowest mean |coverage − 0.8| over four groups weighted like the
  early-stopping metric (CO₂, sunspots, Seattle, the collection's mean).

The held-out collection and the test period are not read here. Members are cached (one
state_dict per variant and seed), so a rerun only evaluates. About a minute per member on one
core; needs the ``train`` extra::

    python -m rnn_site.experiments.ts_ensemble --cache /tmp/ts-ensemble --variants recipe \\
        --seeds 8 --json rnn_site/experiments/results/ts_ensemble.json
    python -m rnn_site.experiments.ts_ensemble --cache /tmp/ts-ensemble \\
        --variants "lr 1e-3" "hidden 128" --json rnn_site/experiments/results/ts_ensemble.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnn_site.data.timeseries import Series
from rnn_site.experiments.ts_calibration import (
    LEVEL,
    coverage,
    fit_ratio,
    fit_shift,
    scaled_bounds,
    shifted,
    window_quantiles,
)
from rnn_site.files import write_json
from rnn_site.models.ts_forecaster import LSTMForecaster

#: name → changes to the recipe's ForecasterTrainConfig.
VARIANTS: dict[str, dict[str, Any]] = {
    "recipe": {},
    "lr 1e-3": {"lr": 1e-3},
    "hidden 128": {"hidden_size": 128},
}
SIZES = (1, 3, 5, 8)

#: name → (fit (q, y) → parameters per step, apply (q, parameters) → bounds)
CALIBRATIONS: dict[str, tuple[Callable[..., Any], Callable[..., tuple[np.ndarray, np.ndarray]]]] = {
    "none": (lambda q, y: np.zeros(q.shape[1]), shifted),
    "family shift": (fit_shift, shifted),
    "family ratio": (fit_ratio, scaled_bounds),
}


def train_members(
    variant: str, seeds: range, cache: Path, data: tuple[dict[str, Series], ...]
) -> list[tuple[LSTMForecaster, dict]]:
    """Members of ``variant``, one per seed: trained as the recipe trains a model, or read
    back from ``cache`` → [(model, {best validation entry, steps})]."""
    from rnn_site.train.loop import TrainConfig
    from rnn_site.train.ts_forecaster import (
        ForecasterTrainConfig,
        load_forecaster,
        save_forecaster,
        train_one,
        training_groups,
    )

    hp = replace(ForecasterTrainConfig(), **VARIANTS[variant], normalisations=("seasonal-diff",))
    site, collection, _ = data
    groups = training_groups(site, collection)
    members = []
    for seed in seeds:
        path = cache / f"{variant.replace(' ', '-')}-seed{seed}.pt"
        if not path.exists():
            config = TrainConfig(
                lr=hp.lr, warmup_steps=hp.warmup_steps, max_steps=hp.max_steps,
                eval_every=hp.eval_every, patience=hp.patience, epochs=1, schedule="cosine",
                metric="val_mase", seed=seed, threads=1, progress=False,
            )  # fmt: skip
            model, result = train_one(
                "seasonal-diff", site, groups, collection, hp, config, cache, {}
            )
            record = {"best": result.best, "steps": result.steps, "hparams": asdict(hp)}
            save_forecaster(path, model, {"record": record})
            print(f"{variant} seed {seed}: val {result.best['val_mase']:.3f} at step "
                  f"{result.best['step']}", flush=True)  # fmt: skip
        model, saved = load_forecaster(path)
        members.append((model, saved["record"]))
    return members


def calibration_windows(
    model: LSTMForecaster, site: dict[str, Series], collection: dict[str, Series]
) -> dict[str, tuple[int, np.ndarray, np.ndarray]]:
    """Every validation window of the site and training-collection series → (family, raw
    quantiles, targets), in window units, by series name."""
    from rnn_site.train.ts_forecaster import FAMILY, validation_origins

    cases = [(name, s, FAMILY[name]) for name, s in site.items()]
    cases += [(name, s, 0) for name, s in collection.items()]
    result = {}
    for name, s, family in cases:
        origins = validation_origins(s, 1)
        if len(origins) >= 4:
            q, y = window_quantiles(model, s, family, origins)
            result[name] = (family, q, y)
    return result


def pooled_fit(
    windows: dict[str, tuple[int, np.ndarray, np.ndarray]], fit: Callable[..., Any]
) -> dict[int, np.ndarray]:
    """One calibration per family from the first half of each series' validation origins."""
    fitted = {}
    for family in sorted({f for f, _, _ in windows.values()}):
        parts = [
            (q[: len(q) // 2], y[: len(q) // 2]) for f, q, y in windows.values() if f == family
        ]
        per_step = []
        for h in range(max(q.shape[1] for q, _ in parts)):
            reaching = [(q[:, h : h + 1], y[:, h : h + 1]) for q, y in parts if q.shape[1] > h]
            q = np.concatenate([r[0] for r in reaching])
            y = np.concatenate([r[1] for r in reaching])
            per_step.append(float(fit(q, y)[0]))
        fitted[family] = np.array(per_step)
    return fitted


def late_coverage(windows: dict[str, tuple[int, np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Each calibration's coverage of the second half of validation, per series and by the rule."""
    from rnn_site.train.ts_forecaster import FAMILY

    result: dict[str, Any] = {}
    for method, (fit, apply) in CALIBRATIONS.items():
        fitted = pooled_fit(windows, fit)
        cov = {}
        for name, (family, q, y) in windows.items():
            late = slice(len(q) // 2, None)
            cov[name] = coverage(apply(q[late], fitted[family][: q.shape[1]]), y[late])
        site = {name: cov[name] for name in FAMILY if name in cov}
        rest = np.array([c for name, c in cov.items() if name not in FAMILY])
        groups = [*site.values(), float(np.abs(rest - LEVEL).mean())]
        errors = [abs(c - LEVEL) for c in site.values()] + [groups[-1]]
        result[method] = {
            **{name: round(c, 4) for name, c in site.items()},
            "collection_mean": round(float(rest.mean()), 4),
            "collection_in_75_85": int(((rest >= 0.75) & (rest <= 0.85)).sum()),
            "collection_series": int(rest.size),
            "rule_error": round(float(np.mean(errors)), 4),
        }
    return result


def member_spread(members: list[tuple[LSTMForecaster, dict]]) -> dict[str, float]:
    """Mean and standard deviation of single members' validation MASE."""
    values = np.array([record["best"]["val_mase"] for _, record in members])
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
    }


def run(cache: Path, seeds: int, variants: list[str]) -> dict[str, Any]:
    """Train (or read) the members of each variant and measure the levers on validation."""
    from rnn_site.train.ts_forecaster import load_data, validation_mase

    torch.set_num_threads(1)
    cache.mkdir(parents=True, exist_ok=True)
    data = load_data()
    site, collection, _ = data
    result: dict[str, Any] = {"variants": {}}
    for variant in variants:
        members = train_members(variant, range(seeds), cache, data)
        row: dict[str, Any] = {
            "changes": VARIANTS[variant],
            "seeds": seeds,
            "members": [
                {
                    "val_mase": r["best"]["val_mase"],
                    "best_step": r["best"]["step"],
                    "steps": r["steps"],
                }
                for _, r in members
            ],
            "single": member_spread(members),
            "ensembles": {},
        }
        for k in (k for k in SIZES if k <= len(members)):
            model = LSTMForecaster.ensemble([m for m, _ in members[:k]])
            with torch.no_grad():
                val = validation_mase(model, site, collection)
            entry: dict[str, Any] = {key: round(v, 4) for key, v in val.items()}
            entry["calibration"] = late_coverage(calibration_windows(model, site, collection))
            row["ensembles"][str(k)] = entry
            print(variant, k, entry, flush=True)
        result["variants"][variant] = row
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="members are kept here")
    parser.add_argument("--seeds", type=int, default=max(SIZES))
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    result = run(args.cache, args.seeds, args.variants)
    if args.json:  # variants measured earlier (into the same file) are kept
        earlier = json.loads(args.json.read_text()) if args.json.exists() else {}
        result["variants"] = {**earlier.get("variants", {}), **result["variants"]}
        write_json(args.json, result)


if __name__ == "__main__":
    main()
