"""Character-level LSTM language model: embedding → LSTM layers → linear.

Small enough to export under 2 MB and to run a character at a time in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from rnn_site.models.config import ModelConfig

State = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class CharLMConfig(ModelConfig):
    """Shape of the model; plain data so it can be logged to JSON and stored in the card."""

    vocab_size: int
    embed_dim: int = 32
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.0


# --8<-- [start:model]
class CharLSTM(nn.Module):
    """Predicts the next character from the characters so far.

    tokens: (batch, time) int64 → logits: (batch, time, vocab), state: (h, c) each
    (num_layers, batch, hidden). Passing the returned state back in continues the text,
    which is what truncated BPTT and one-character-at-a-time generation rely on.
    ``dropout`` (training only) drops embedding and LSTM outputs, and between layers: the
    held-out plays are scored far worse than the training text, so the model must not
    memorise it.
    """

    def __init__(self, config: CharLMConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.lstm = nn.LSTM(
            config.embed_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def initial_state(self, batch: int) -> State:
        shape = (self.config.num_layers, batch, self.config.hidden_size)
        device = self.head.weight.device
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        if state is None:
            state = self.initial_state(tokens.shape[0])
        out, (h, c) = self.lstm(self.drop(self.embed(tokens)), state)
        return self.head(self.drop(out)), (h, c)


# --8<-- [end:model]
