"""Classify sentiment with the exported sentiment LSTM (numpy + onnxruntime only).

    from rnn_site.runtime import SentimentModel
    model = SentimentModel.load("sentiment")
    result = model.predict("not bad at all, but too long")
    result.probability, result.rating, result.trajectory, result.unknown

The text is tokenized exactly as in training and in the browser
(`rnn_site.data.vader.tokenize`); the sequence graph returns the logit after every word, so the
trajectory (P(positive) after word 1, 2, ...) costs nothing extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rnn_site.card import TextClassificationCard
from rnn_site.data.vader import UNK, tokenize
from rnn_site.runtime.base import RuntimeModel
from rnn_site.runtime.errors import InvalidArgumentError, ModelMismatchError
from rnn_site.runtime.text import checked_tokens

#: Longest text accepted, in characters and in tokens (a paragraph, not a book).
MAX_CHARS = 5000
MAX_TOKENS = 1000


@dataclass(frozen=True)
class SentimentPrediction:
    """What the model says about one text.

    probability: P(positive) after the last word; rating: predicted mean human rating (-4..4);
    tokens: the words as read; unknown: for each token, True if the model does not know it;
    trajectory: P(positive) after each token (the last equals ``probability``).
    """

    text: str
    tokens: list[str]
    unknown: list[bool]
    trajectory: list[float]
    ratings: list[float]

    @property
    def probability(self) -> float:
        return self.trajectory[-1]

    @property
    def rating(self) -> float:
        return self.ratings[-1]

    @property
    def label(self) -> str:
        return "positive" if self.probability > 0.5 else "negative"


#: The browser's rule (sentiment-logic.js checkText); tokens are lowercase ASCII.
_WORD = re.compile("[a-z0-9]")


def _has_letter_or_digit(token: str) -> bool:
    return _WORD.search(token) is not None


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # the same as 1 / (1 + e^-x), without overflow


class SentimentModel(RuntimeModel[TextClassificationCard]):
    """The sentiment LSTM behind a checked API: `predict(text)`.

    Build it with `load` ("sentiment" → models/sentiment, see
    `rnn_site.runtime.base.RuntimeModel`).
    """

    task = "text-classification"
    default_model = "sentiment"
    graphs = ("sequence",)

    def read_card(self) -> None:
        vocab = self.card["vocab"]
        if (
            not isinstance(vocab, list)
            or not all(isinstance(w, str) for w in vocab)
            or len(vocab) != self.card["config"]["vocab_size"]
            or UNK not in vocab
        ):
            raise ModelMismatchError(
                "card.json: the vocabulary is not a list of vocab_size words with <unk>",
                file="card.json",
            )
        self.vocab: list[str] = vocab
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self._sequence = self.session("sequence")

    def tokenize(self, text: str) -> list[str]:
        """The words the model reads; typed errors for non-text, empty or absurdly long input.

        Limits: a str of at most 5,000 characters (`MAX_CHARS`) and 1,000 tokens
        (`MAX_TOKENS`), with at least one word.
        """
        return checked_tokens(
            text,
            tokenize,
            max_chars=MAX_CHARS,
            max_tokens=MAX_TOKENS,
            too_long_hint="(split long documents into sentences)",
            # "!!!" tokenizes but holds no word; the model, trained on sentences, would answer
            # anyway (P=0.88 positive). The browser demo applies the same rule.
            is_word=_has_letter_or_digit,
        )

    def encode(self, tokens: list[str]) -> np.ndarray:
        """Token ids (int64); unknown words → the id of ``<unk>``."""
        if not isinstance(tokens, list | tuple) or not all(isinstance(t, str) for t in tokens):
            raise InvalidArgumentError("tokens must be a list of str (see tokenize)")
        unk = self.index[UNK]
        return np.array([self.index.get(t, unk) for t in tokens], dtype=np.int64)

    def predict(self, text: str) -> SentimentPrediction:
        """P(positive) and predicted rating after every word of `text`."""
        tokens = self.tokenize(text)
        ids = self.encode(tokens)
        logits, rating = self._sequence.run(None, {"tokens": ids[None, :]})
        return SentimentPrediction(
            text=text,
            tokens=tokens,
            unknown=[t not in self.index for t in tokens],
            trajectory=[float(p) for p in sigmoid(logits[0].astype(np.float64))],
            ratings=[float(r) for r in rating[0]],
        )

    def probability(self, text: str) -> float:
        """P(positive) of the whole text."""
        return self.predict(text).probability
