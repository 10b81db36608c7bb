"""Each published model's training log matches what its ``rnn-site train NAME`` command runs
today: the recipe's hyperparameters and its thread count. A recipe changed without retraining
(or a candidate left in the defaults) makes the card's "same command, same weights" untrue."""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import pytest

from rnn_site.applications import APPLICATIONS
from rnn_site.train.hparams import loop_fields
from rnn_site.train.loop import TrainConfig

MODELS = Path(__file__).resolve().parents[1] / "models"
#: Fields a published log may differ in, and why the same command still gives its weights.
ALLOWED = {
    # Its patience (80) never acted: the run went 80 of 80 epochs (a speech test pins that).
    "speech": {"patience"},
}


#: What a log from before a loop setting existed ran with: float32, no weight averaging.
OLD_LOGS = {"precision": "fp32", "ema_decay": None}


def _recipe(name: str) -> tuple[Any, int]:
    """The defaults of model ``name``'s recipe (its hyperparameters dataclass) and the threads
    its command uses."""
    module = importlib.import_module(
        next(a for a in APPLICATIONS if a.name == name).trainer.partition(":")[0]
    )
    trainer = getattr(module, "TRAINER", None)
    if trainer is None:  # char-lm parses its own command line (own text, --text)
        return module.CharLMTrainConfig(), module.parse_command([]).threads
    return trainer.hparams(), trainer.parser().parse_args([]).threads


def _published(name: str) -> dict[str, Any]:
    return json.loads((MODELS / name / "metrics.json").read_text("utf-8"))


@pytest.mark.parametrize("name", [a.name for a in APPLICATIONS])
def test_the_published_log_is_what_the_recipe_trains_today(name: str) -> None:
    log = _published(name)
    if not log.get("recipe"):
        pytest.skip(f"{name} was trained before recipes were recorded (a time budget)")
    hparams, threads = _recipe(name)
    recorded = json.loads(json.dumps(asdict(hparams)))  # tuples as the log stores them: lists
    differ = {
        key: (recorded[key], value)
        for key, value in log["hparams"].items()
        if key in recorded and recorded[key] != value and key not in ALLOWED.get(name, set())
    }
    assert differ == {}, f"{name}: recipe default vs published log"
    # The loop's settings the recipe makes, and the ones newer than most logs, which every
    # recipe must match whether it declares them or not: a log from before a setting existed
    # ran as OLD_LOGS says (not as today's loop default, which may change).
    allowed = ALLOWED.get(name, set())
    loop_defaults = {f.name: f.default for f in fields(TrainConfig)}
    settings = {k: v for k, v in loop_fields(hparams).items() if k not in allowed}
    for key in OLD_LOGS:  # what the recipe runs today, declared or the loop's default
        settings.setdefault(key, loop_defaults[key])
    ran = {
        key: log["train_config"].get(key, OLD_LOGS.get(key, loop_defaults[key])) for key in settings
    }
    assert ran == json.loads(json.dumps(settings)), f"{name}: loop settings"
    assert log["train_config"]["threads"] == threads
    assert log["recipe"]["preset"] == "published"
