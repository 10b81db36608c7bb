"""The forecaster's ``collection_slots`` lever: how much of each batch the training collection
fills (the candidate of rnn_site/experiments/results/ts_candidate_rule.md; default 1)."""

from __future__ import annotations

import pytest
import torch
from test_timeseries_model import tiny_data

from rnn_site.models.ts_forecaster import ForecasterConfig, LSTMForecaster
from rnn_site.train.ts_forecaster import (
    TRAINER,
    Batches,
    ForecasterTrainConfig,
    batch_loss,
    train_forecaster,
    training_groups,
)

torch.set_num_threads(1)


def first_batch(slots: int) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
    site, collection, _ = tiny_data()
    hp = ForecasterTrainConfig(per_series=8, short_history_share=0.0, collection_slots=slots)
    return next(iter(Batches(training_groups(site, collection), hp, steps=1, seed=0)))


def test_the_collection_fills_as_many_loss_terms_as_it_has_slots():
    one, three = first_batch(1), first_batch(3)
    assert [family for family, _, _ in one] == [0, 1, 2, 0]
    assert [family for family, _, _ in three] == [0, 1, 2, 0, 0, 0]
    # The site series' windows are drawn alike: only the collection's share changes.
    for (_, x1, y1), (_, x3, y3) in zip(one[:3], three[:3], strict=True):
        assert torch.equal(x1, x3) and torch.equal(y1, y3)
    assert torch.equal(one[3][1], three[3][1])
    # Each slot is its own draw of the collection's windows.
    assert not torch.equal(three[3][2], three[4][2]) and not torch.equal(three[4][2], three[5][2])


def test_each_slot_weighs_like_one_site_series_in_the_loss():
    torch.manual_seed(0)
    model = LSTMForecaster(ForecasterConfig(hidden_size=8, periods=(12, 11, 24)))
    batch = first_batch(3)
    with torch.no_grad():
        terms = [batch_loss(model, [term]).item() for term in batch]
        total = batch_loss(model, batch).item()
    # Six equal terms: the collection's three are half the loss (one term of four by default).
    assert total == pytest.approx(sum(terms) / 6)


def test_the_flag_sets_the_slots_and_the_recipe_keeps_one():
    parser = TRAINER.parser()
    assert TRAINER.hparams_of(parser.parse_args([])).collection_slots == 1
    assert TRAINER.hparams_of(parser.parse_args(["--collection-slots", "3"])).collection_slots == 3
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--collection-slots", "0"])
    assert stopped.value.code == 2


def test_a_tiny_run_with_three_slots_logs_them(tmp_path):
    hp = ForecasterTrainConfig(
        hidden_size=8, per_series=8, max_steps=20, eval_every=20, electricity_steps=0,
        members=1, normalisations=("seasonal-diff",), collection_slots=3,
    )  # fmt: skip
    metrics = train_forecaster(
        tmp_path, hparams=hp, progress=False, data=tiny_data(),
        site_baselines=("seasonal-naive",),
    )  # fmt: skip
    assert metrics["hparams"]["collection_slots"] == 3
    assert metrics["complete"] and metrics["steps"] == 20
    # The figures the candidate's rule reads are in the log.
    val = metrics["ensemble"]["val"]
    terms = [val[f"val_mase_{name}"] for name in ("co2", "sunspots", "seattle", "employment")]
    assert val["val_mase"] == pytest.approx(sum(terms) / 4) and min(terms) > 0
