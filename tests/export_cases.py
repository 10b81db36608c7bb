"""Shared by the export tests: tiny random models of each application, as checkpoints (what
`rnn-site export NAME` reads) or as the arguments of ``export_<name>_model``.

Random weights and a few units keep each export to a fraction of a second; the exports are
real (graphs, card, README, manifest), only the numbers are meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from char_lm_helpers import VOCAB, random_model

from rnn_site.data.chorales import MelodyVocab, load_chorales
from rnn_site.data.ding import Vocab as WordVocab
from rnn_site.data.vader import Vocab
from rnn_site.models.melody import MelodyConfig, MelodyLSTM
from rnn_site.models.sentiment import SentimentConfig, SentimentLSTM
from rnn_site.models.translator import Translator, TranslatorConfig
from rnn_site.train.char_lm import save_char_lm
from rnn_site.train.melody import save_melody
from rnn_site.train.sentiment import save_sentiment
from rnn_site.train.translator import Vocabs, save_translator


def char_lm_checkpoint(path: Path, seed: int = 0) -> None:
    save_char_lm(path, random_model(seed, hidden_size=8, embed_dim=4), VOCAB)


def sentiment_model(seed: int = 0) -> tuple[SentimentLSTM, list[str]]:
    """A 5-word sentiment LSTM (embed 4, hidden 8) and its words."""
    torch.manual_seed(seed)
    words = ["<pad>", "<unk>", "good", "bad", "film"]
    return SentimentLSTM(SentimentConfig(len(words), embed_dim=4, hidden_size=8)).eval(), words


def sentiment_checkpoint(path: Path, seed: int = 0) -> None:
    model, words = sentiment_model(seed)
    save_sentiment(path, model, Vocab(words))


def melody_model(seed: int = 0) -> tuple[MelodyLSTM, MelodyVocab]:
    """A melody LSTM (embed 4, hidden 8) over the chorales' tokens."""
    torch.manual_seed(seed)
    vocab = MelodyVocab.from_chorales(load_chorales())
    return MelodyLSTM(MelodyConfig(len(vocab), embed_dim=4, hidden_size=8)).eval(), vocab


def melody_checkpoint(path: Path, seed: int = 0) -> None:
    save_melody(path, *melody_model(seed))


def translator_model(seed: int = 0) -> tuple[Translator, Vocabs]:
    """A translator of 30 English and 40 German words (embed 8, hidden 6 / 10) with a
    one-word ``<unk>`` dictionary, so the export writes dictionary.json too."""
    torch.manual_seed(seed)
    specials = list(WordVocab.SPECIALS)
    src = WordVocab(specials + [f"en{i}" for i in range(26)])
    tgt = WordVocab(specials + [f"de{i}" for i in range(36)])
    model = Translator(TranslatorConfig(30, 40, 8, 6, 10, dropout=0.0)).eval()
    return model, Vocabs(src, tgt, dictionary={"en5": "de5"})


def translator_checkpoint(path: Path, seed: int = 0) -> None:
    save_translator(path, *translator_model(seed))


#: application → a function writing a checkpoint of a tiny random model at a path.
CHECKPOINTS: dict[str, Callable[..., Any]] = {
    "char-lm": char_lm_checkpoint,
    "sentiment": sentiment_checkpoint,
    "melody": melody_checkpoint,
    "translator": translator_checkpoint,
}
#: application → the graph files its export writes (besides card.json and README.md).
GRAPHS = {
    "char-lm": ["step.onnx", "sequence.onnx"],
    "sentiment": ["sequence.onnx"],
    "melody": ["step.onnx", "seeds.json"],
    "translator": ["encoder.onnx", "decoder.onnx"],
}
