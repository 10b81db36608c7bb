"""Sentiment LSTM: reads a sentence word by word and, after every word, says how positive it is.

embedding → one unidirectional LSTM layer → linear head with two outputs per step:
``logit`` (binary: positive vs negative) and ``rating`` (the mean human rating, -4..4, scaled
by 1/4). Unidirectional on purpose: the output at step t depends only on words 1..t, so the
prediction "so far" after each word is simply the head applied to each hidden state — the
trajectory the demo draws. Training uses the last word's output (padding comes after it, so it
never influences it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from rnn_site.models.config import ModelConfig

RATING_SCALE = 4.0  # ratings are in [-4, 4]; the head predicts rating / 4


@dataclass(frozen=True)
class SentimentConfig(ModelConfig):
    vocab_size: int
    embed_dim: int = 64
    hidden_size: int = 128
    dropout: float = 0.3


class SentimentLSTM(nn.Module):
    """tokens: (batch, time) int64 → logits (batch, time), rating (batch, time)."""

    def __init__(self, config: SentimentConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_size, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, 2)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, _ = self.lstm(self.drop(self.embed(tokens)))
        y = self.head(self.drop(out))
        return y[..., 0], y[..., 1] * RATING_SCALE
