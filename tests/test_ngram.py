"""Interpolated Kneser-Ney character n-grams: hand-computed values, normalisation, real data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_site.baselines.ngram import choose_order, fit
from rnn_site.data.shakespeare import load_shakespeare


def test_unigram_matches_the_hand_computed_values() -> None:
    # "aab": counts a=2, b=1; one count-1 and one count-2 type -> D = n1 / (n1 + 2 n2) = 1/3.
    # P(w) = (max(c(w) - D, 0) + D * types * 1/V) / total with types=2, V=3, total=3.
    model = fit("aab", order=1, vocab="abc")
    assert model.raw[0].discount == pytest.approx(1 / 3)
    np.testing.assert_allclose(model.next_char_probs(""), [17 / 27, 8 / 27, 2 / 27])


def test_bigram_matches_the_hand_computed_values() -> None:
    # Bigrams aa, ab (one each, so D falls back to 0.75). Lower order uses continuation
    # counts: a and b each follow one distinct character -> P1 = (0.25 + 0.75*2/3)/2 = 0.375.
    model = fit("aab", order=2, vocab="abc")
    np.testing.assert_allclose(model.next_char_probs("b"), [0.375, 0.375, 0.25])  # unseen context
    np.testing.assert_allclose(model.next_char_probs("a"), [0.40625, 0.40625, 0.1875])
    # The first character has no context and uses the lower order: P1(a) then P2(b | a).
    expected = -(math.log2(0.375) + math.log2(0.40625)) / 2
    assert model.bits_per_char("ab") == pytest.approx(expected)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_every_distribution_sums_to_one(order: int) -> None:
    text = "the cat sat on the mat; the rat sat on the hat.\n" * 3
    model = fit(text, order=order, vocab=" .;\nabcdehmnorstxyz")
    for context in ["", "the ", "xyz", " on th", "zzzz", "at."]:
        probs = model.next_char_probs(context)
        assert probs.min() > 0
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)


def test_a_model_fitted_high_can_be_scored_at_any_lower_order() -> None:
    text = "to be or not to be that is the question " * 5
    high = fit(text, order=4)
    for order in (1, 2, 3):
        assert high.bits_per_char("not to be", order) == pytest.approx(
            fit(text, order=order).bits_per_char("not to be")
        )


def test_errors_say_what_is_accepted() -> None:
    model = fit("abc", order=2)
    with pytest.raises(ValueError, match=r"unknown characters \['z'\]"):
        model.bits_per_char("az")
    with pytest.raises(ValueError, match="order must be between 1 and 2"):
        model.bits_per_char("ab", order=3)
    with pytest.raises(ValueError, match="order must be >= 1"):
        fit("abc", order=0)


def test_higher_orders_beat_the_unigram_on_held_out_shakespeare() -> None:
    corpus = load_shakespeare()
    choice = choose_order(corpus.train[:400_000], corpus.val[:40_000], range(1, 7), corpus.vocab)
    scores = choice.val_bpc
    assert 4.4 < scores[1] < 5.0  # English characters with case and punctuation
    assert scores[2] < scores[1] - 1.0
    assert scores[4] < scores[2] - 0.8
    assert choice.order == min(scores, key=scores.__getitem__)
    assert choice.best_val_bpc < 2.75


def test_order_guard_counts_the_longest_ngram() -> None:
    """fit counts (order + 1)-grams, so V ** (order + 1) must fit an int64 id."""
    from rnn_site.baselines import ngram

    ngram.fit("ab" * 50, 61, vocab="ab")  # 2 ** 62 ids: fits
    with pytest.raises(ValueError, match="does not fit an int64"):
        ngram.fit("ab" * 50, 62, vocab="ab")  # 2 ** 63 ids: would overflow
