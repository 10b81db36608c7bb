"""Levers for the forecaster, measured on validation only: a seed ensemble, the interval
calibration, and a few training knobs.

Each *variant* is the published recipe's seasonal-diff model with some hyperparameters
changed; each is trained from several seeds (one member per seed, early-stopped on validation
MASE as the recipe does). Then, on the validation period alone:

- **ensemble size**: validation MASE of the first k members averaged (k = 1, 3, 5, 8), beside
  the spread of single members;
- **calibration**: the recipe's rule (`rnn_site.train.ts_forecaster.choose_calibration`):
  each method (none, conformal shift, conformal ratio) is fitted on the first half of the
  validation origins, pooled per family as the model stores it, and judged by the coverage of
  the second half. The rule, fixed before any test score is read: the method with the lowest
  mean |coverage − 0.8| over four groups weighted like the early-stopping metric (CO₂,
  sunspots, Seattle, the collection's mean).

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
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnn_site.data.timeseries import Series
from rnn_site.files import write_json
from rnn_site.models.ts_forecaster import LSTMForecaster

#: name → changes to the recipe's ForecasterTrainConfig.
VARIANTS: dict[str, dict[str, Any]] = {
    "recipe": {},
    "lr 1e-3": {"lr": 1e-3},
    "hidden 128": {"hidden_size": 128},
}
SIZES = (1, 3, 5, 8)


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


def calibration_summary(
    model: LSTMForecaster, site: dict[str, Series], collection: dict[str, Series]
) -> dict[str, Any]:
    """The recipe's calibration rule on ``model`` (`choose_calibration`): each method's
    coverage of the later half of validation (site series, the collection's mean) and its
    rule error, and the method the rule keeps."""
    from rnn_site.train.ts_forecaster import choose_calibration

    result = choose_calibration(model, site, collection)
    return {
        "chosen": result["chosen"],
        **{
            method: {k: round(v, 4) for k, v in result["late_coverage"][method].items()}
            | {"rule_error": round(error, 4)}
            for method, error in result["rule_error"].items()
        },
    }


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
            entry["calibration"] = calibration_summary(model, site, collection)
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
