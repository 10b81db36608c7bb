"""Kneser-Ney n-gram over token ids: the character n-gram of `rnn_site.baselines.ngram`, reused.

The character model already works on integer ids inside (an n-gram is one int64, counting is
``np.unique``); only its public face speaks characters. Rather than a second implementation,
token id ``i`` is spelled as the private-use character ``U+E000 + i``, so fitting, smoothing
and order selection are literally the same code. Sequences (one per chorale, say) are scored
separately, each from its own start, as a recurrent model scores them from zero state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnn_site.baselines.ngram import CharNGram, fit

_BASE = 0xE000  # Unicode private-use area: 6400 code points, none of them ever in real text
MAX_VOCAB = 6400
Tokens = Sequence[int] | np.ndarray  # one sequence of token ids


def alphabet(vocab_size: int) -> str:
    """The characters standing for token ids 0..vocab_size-1."""
    if not 1 <= vocab_size <= MAX_VOCAB:
        raise ValueError(f"vocab_size must be between 1 and {MAX_VOCAB}, got {vocab_size}")
    return "".join(chr(_BASE + i) for i in range(vocab_size))


def spell(ids: Iterable[int]) -> str:
    """Token ids → the character string the n-gram model reads."""
    return "".join(chr(_BASE + int(i)) for i in ids)


@dataclass(frozen=True)
class TokenNGram:
    """A fitted Kneser-Ney model over token ids (any order up to ``model.order``)."""

    model: CharNGram = field(repr=False)

    @property
    def order(self) -> int:
        return self.model.order

    def nll(self, sequence: Tokens, order: int | None = None) -> float:
        """Total -ln P of tokens 1.. of ``sequence`` given the ones before (token 0 is given)."""
        probs = self.model.position_probs(np.asarray(sequence, dtype=np.int64), order)
        return float(-np.log(probs[1:]).sum())

    def next_probs(self, context: Tokens, order: int | None = None) -> np.ndarray:
        """Distribution over the vocabulary of the token after ``context``: (vocab,).

        One vectorised call instead of one per candidate: the sequence ``tail w0 tail w1 ...``
        puts each candidate right after its own copy of the last ``order - 1`` tokens.
        """
        order = self.model._check_order(order)
        tail = np.asarray(context, dtype=np.int64)[len(context) - (order - 1) :][: order - 1]
        if len(tail) < order - 1:  # a short context must not see the previous row: go one by one
            return self.model.next_char_probs(spell(context), order)
        vocab_size = len(self.model.vocab)
        rows = np.hstack([np.tile(tail, (vocab_size, 1)), np.arange(vocab_size)[:, None]])
        probs = self.model.position_probs(rows.reshape(-1), order)
        return probs.reshape(vocab_size, -1)[:, -1]


def fit_tokens(sequences: Iterable[Tokens], order: int, vocab_size: int) -> TokenNGram:
    """Count the n-grams of the sequences laid end to end (their boundary tokens separate them)."""
    text = "".join(spell(s) for s in sequences)
    return TokenNGram(fit(text, order, vocab=alphabet(vocab_size)))


@dataclass(frozen=True)
class TokenOrderChoice:
    """The order with the lowest validation NLL per unit (``per`` counts), and every order's."""

    order: int
    val_nll: dict[int, float]
    model: TokenNGram = field(repr=False)


def choose_token_order(
    train: Sequence[Tokens],
    val: Sequence[Tokens],
    vocab_size: int,
    val_units: int,
    orders: Iterable[int] = range(1, 9),
) -> TokenOrderChoice:
    """Fit once at the largest order, score validation at each order, keep the best.

    ``val_units`` divides the total validation NLL (e.g. the number of events, for "nats per
    event"). Choosing on validation keeps the test score an honest estimate.
    """
    orders = sorted(set(orders))
    if not orders:
        raise ValueError("orders is empty")
    model = fit_tokens(train, max(orders), vocab_size)
    scores = {k: sum(model.nll(s, k) for s in val) / val_units for k in orders}
    best = min(scores, key=lambda k: (scores[k], k))
    return TokenOrderChoice(best, scores, model)
