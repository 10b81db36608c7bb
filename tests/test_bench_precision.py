"""The precision benchmark: its figures' structure on tiny networks, its cached results, and the
page's table built from them. No timing is asserted: timings belong in the benchmark's output."""

from __future__ import annotations

import math

import pytest
from bf16_marks import needs_bf16

from rnn_site.bench import precision
from rnn_site.sitebuild.page_data import PageDataError, render_data
from rnn_site.sitebuild.precision_data import SCHEMA, load_benchmark, precision_table
from rnn_site.train.char_lm import tiny_recipe
from rnn_site.train.speech import SpeechTrainConfig
from rnn_site.train.translator import TranslatorTrainConfig

NAMES = ["char-lm", "translator", "speech"]


@pytest.fixture(scope="module")
def figures() -> dict:
    """One round after one warm-up step, on networks of a few thousand weights (seconds)."""
    networks = [
        precision.char_lm_network(tiny_recipe(), vocab_size=20),
        precision.translator_network(
            TranslatorTrainConfig(
                embed_dim=8, encoder_hidden=8, decoder_hidden=8, src_vocab=30, tgt_vocab=40, batch=4
            ),
            length=5,
        ),
        precision.speech_network(
            SpeechTrainConfig(conv_channels=8, hidden_size=8, batch=2), seconds=0.3
        ),
    ]
    return precision.measure(networks, rounds=1, warmup=1, threads=1)


@needs_bf16
def test_figures_hold_both_precisions_and_their_ratio_for_every_network(figures: dict) -> None:
    assert figures["schema"] == SCHEMA and figures["threads"] == 1 and figures["rounds"] == 1
    assert list(figures["networks"]) == NAMES
    for net in figures["networks"].values():
        assert net["fp32_ms"] > 0 and net["bf16_ms"] > 0
        assert net["ratio"] == pytest.approx(net["bf16_ms"] / net["fp32_ms"], rel=0.01)
    assert figures["networks"]["char-lm"]["batch"] == "4 x 32 characters"
    assert figures["machine"]["torch_threads"] == 1
    assert set(figures["machine"]["bf16_units"]) <= {"amx_bf16", "avx512_bf16"}


@needs_bf16
def test_bf16_rounds_the_same_loss_and_gradient(figures: dict) -> None:
    """Same batch, same weights: bfloat16 (8 bits of mantissa) moves the loss by a rounding
    error and leaves the gradient pointing the same way; a different computation would not."""
    for name, net in figures["networks"].items():
        loss = net["loss"]
        assert loss["difference"] == pytest.approx(loss["bf16"] - loss["fp32"], abs=1e-5)
        assert abs(loss["difference"]) < 0.01 * loss["fp32"], name
        assert 0.99 < net["gradient_cosine"] <= 1.0 + 1e-6, name


@needs_bf16
def test_the_same_weights_give_the_same_float32_loss_again(figures: dict) -> None:
    """The float32 loss is a function of the seeded network and batch, not of the run."""
    again = precision.one_step_both_ways(precision.char_lm_network(tiny_recipe(), vocab_size=20))
    assert again["loss"]["fp32"] == figures["networks"]["char-lm"]["loss"]["fp32"]


def test_the_cached_results_cover_the_three_recipes_and_the_page_shows_them() -> None:
    data = load_benchmark()
    assert list(data["networks"]) == NAMES
    table = render_data("<!-- data:precision:table.benchmark -->")
    assert table == precision_table(data)
    for name, net in data["networks"].items():
        assert f"| {name} | {net['batch']} | {net['fp32_ms']:.0f} | {net['bf16_ms']:.0f} |" in table
        ratio = render_data(f"<!-- data:precision:ratio:{name} -->")
        assert math.isclose(float(ratio), net["ratio"], abs_tol=0.005 + 1e-9)  # 0.715 -> 0.71
    with pytest.raises(PageDataError, match="no network 'melody'; the benchmark has char-lm"):
        render_data("<!-- data:precision:ratio:melody -->")
