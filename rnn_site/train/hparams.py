"""What every recipe's hyperparameters share, declared once: its budget, and how its fields
reach the training loop and the network.

Each recipe's hyperparameters are one frozen dataclass, logged verbatim beside the model. The
budget is one of two kinds:

- :class:`EpochBudget`: passes over the data, keeping the best epoch on validation, with
  early stopping (melody, sentiment) or without (speech: ``patience=None``);
- :class:`StepBudget`: a fixed number of optimiser steps, evaluated every ``eval_every``
  (char-lm and char-mingru, the ts-forecaster and its demand model). The translator is
  step-budgeted too but declares its own fields (subclassing would add ``warmup_steps`` to
  its logged hyperparameters).

A recipe subclasses one, adds its model's fields and restates only the defaults it changes.
Recipes whose network is the embedding → LSTM → linear of `rnn_site.models.char_lm` (char-lm
and melody, whose MelodyConfig is a CharLMConfig) take its fields from :class:`LSTMNetwork`.
Fields named as the loop's (:class:`~rnn_site.train.loop.TrainConfig`) or the network config's
are passed on by name (:func:`loop_fields`, :func:`network_config`), so a trainer does not copy
them one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from rnn_site.train.loop import TrainConfig

C = TypeVar("C")

#: The loop's fields a recipe may set; ``max_epochs`` is the loop's ``epochs``.
LOOP_FIELDS = frozenset(f.name for f in fields(TrainConfig)) - {"seed", "device", "threads"}


@dataclass(frozen=True)
class EpochBudget:
    """Adam at ``lr`` on ``batch`` examples a step, at most ``max_epochs`` passes, stopping
    after ``patience`` evaluations (one per epoch) without improvement (``None``: never; the
    best epoch is kept either way)."""

    lr: float = 3e-3
    batch: int = 64
    max_epochs: int = 40
    patience: int | None = 4


@dataclass(frozen=True)
class StepBudget:
    """``max_steps`` Adam steps at ``lr`` (warming up over ``warmup_steps``), evaluated often."""

    lr: float = 3e-3
    warmup_steps: int = 100
    max_steps: int = 4000
    eval_every: int = 200


def loop_fields(hparams: Any) -> dict[str, Any]:
    """The recipe's fields the loop knows, as keyword arguments of ``Job.train_config``.

    ``hparams`` is a dataclass; a field named like one of ``TrainConfig``'s (``lr``,
    ``weight_decay``, ``warmup_steps``, ``grad_clip``, ``max_steps``, ``eval_every``,
    ``patience``) goes to it under its own name, ``max_epochs`` as ``epochs``.
    """
    values = {f.name: getattr(hparams, f.name) for f in fields(hparams)}
    if "max_epochs" in values:
        values["epochs"] = values.pop("max_epochs")
    return {name: value for name, value in values.items() if name in LOOP_FIELDS}


@dataclass(frozen=True)
class LSTMNetwork:
    """The sizes of an embedding → LSTM → linear network (``CharLMConfig`` without its
    vocabulary); the defaults are the first published char-lm: 64-wide embedding, one layer of
    256 units, no dropout."""

    embed_dim: int = 64
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.0


def network_config(cls: Callable[..., C], hparams: Any, **given: Any) -> C:
    """The network's config ``cls`` (a dataclass) from the recipe's fields of the same names,
    plus ``given`` (what the data decides, such as ``vocab_size``), which wins."""
    shared = {f.name for f in fields(cls)} & {f.name for f in fields(hparams)}  # type: ignore[arg-type]
    return cls(**{name: getattr(hparams, name) for name in shared - given.keys()}, **given)
