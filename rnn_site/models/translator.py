"""English→German translator: a bidirectional LSTM encoder, an LSTM decoder with attention.

Encoder: source embedding → a forward and a backward LSTM (the *memory*: one vector per source
word, both directions concatenated) → the decoder's initial state from both final states.
Decoder, one target word at a time: target embedding → LSTM → Luong "general" attention over
the memory → context and state mixed into one vector → logits through the *tied* target
embedding (the output layer reuses the input embedding, transposed: half the parameters).

Batches are right-padded; padding is handled with masks, not PackedSequence (which ONNX cannot
express): the backward LSTM reads each sentence *reversed within its length*
(:func:`reverse_padded`), so it starts at the real last word, never at padding, and attention
gives padding a score of -1e9. The same code runs in training and in the exported graphs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from rnn_site.models.config import ModelConfig

NEG = -1e9  # attention score of padding: exp() of it is exactly 0 in float32


@dataclass(frozen=True)
class TranslatorConfig(ModelConfig):
    """Sizes of the translator; saved in the checkpoint and the card, so a model can be rebuilt
    from either (``Translator(TranslatorConfig(**card["config"]))``)."""

    src_vocab: int
    tgt_vocab: int
    embed_dim: int = 64
    encoder_hidden: int = 64  # per direction; the memory has 2 × this
    decoder_hidden: int = 128
    dropout: float = 0.3


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence within its length; padding stays at the end.

    x: (batch, time, ...), lengths: (batch,) → same shape. Its own inverse.
    """
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # (1, time)
    last = (lengths - 1).unsqueeze(1)  # (batch, 1)
    index = torch.where(steps <= last, last - steps, steps)  # (batch, time)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


# --8<-- [start:attention]
def attend(
    query: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Luong "general" attention: score_j = q · (W m_j), weights = softmax over source words.

    query: (batch, H), memory: (batch, src, M), keys = memory @ Wᵀ: (batch, src, H),
    mask: (batch, src) with 1 for words, 0 for padding → context (batch, M), weights (batch, src).
    """
    scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)  # (batch, src)
    scores = scores + (1.0 - mask) * NEG
    weights = torch.softmax(scores, dim=1)
    context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)  # (batch, M)
    return context, weights


# --8<-- [end:attention]


class Translator(nn.Module):
    """The encoder (:meth:`encode`), one decoder step (:meth:`step`) and teacher-forced training
    (:meth:`forward`), sharing weights."""

    def __init__(self, config: TranslatorConfig) -> None:
        super().__init__()
        self.config = config
        e, he, hd = config.embed_dim, config.encoder_hidden, config.decoder_hidden
        self.src_embed = nn.Embedding(config.src_vocab, e, padding_idx=0)
        self.fwd = nn.LSTM(e, he, batch_first=True)
        self.bwd = nn.LSTM(e, he, batch_first=True)
        self.bridge = nn.Linear(2 * he, 2 * hd)  # → the decoder's h0 and c0
        self.tgt_embed = nn.Embedding(config.tgt_vocab, e, padding_idx=0)
        self.decoder = nn.LSTM(e, hd, batch_first=True)
        self.key = nn.Linear(2 * he, hd, bias=False)  # the W of score = q · W m
        self.mix = nn.Linear(2 * he + hd, hd)  # h̃ = tanh(W_c [context; h])
        self.out = nn.Linear(hd, e)  # into the embedding space, then the tied output layer
        self.out_bias = nn.Parameter(torch.zeros(config.tgt_vocab))
        self.drop = nn.Dropout(config.dropout)

    # --8<-- [start:encode]
    def encode(
        self, tokens: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """tokens (batch, src) int64, mask (batch, src) float 1/0
        → memory (batch, src, 2·He), h0 and c0 (1, batch, Hd)."""
        lengths = mask.sum(1).long().clamp(min=1)
        x = self.drop(self.src_embed(tokens))
        forward, _ = self.fwd(x)
        backward, _ = self.bwd(reverse_padded(x, lengths))  # reads each sentence last word first
        return self.summarise(forward, reverse_padded(backward, lengths), lengths)

    # --8<-- [end:encode]

    def summarise(
        self, forward: torch.Tensor, backward: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Both directions' outputs (batch, src, He), in source order → memory, h0, c0.

        The decoder starts from the forward LSTM's state after the last real word and the
        backward LSTM's state after (reading backwards) the first word.
        """
        memory = torch.cat([forward, backward], dim=2)
        last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, forward.shape[2])
        final = torch.cat([forward.gather(1, last).squeeze(1), backward[:, 0]], dim=1)
        h0, c0 = torch.tanh(self.bridge(final)).chunk(2, dim=1)
        return memory, h0.unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous()

    def logits(self, h_tilde: torch.Tensor) -> torch.Tensor:
        """Tied output layer: (..., Hd) → (..., tgt_vocab) scores against every target embedding."""
        return self.out(self.drop(h_tilde)) @ self.tgt_embed.weight.T + self.out_bias

    def decode(
        self,
        prev: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced decoding of whole target prefixes.

        prev: (batch, tgt) previous words (starting with <s>) → logits (batch, tgt, V),
        attention (batch, tgt, src), and the final h, c.
        """
        y, (h, c) = self.decoder(self.drop(self.tgt_embed(prev)), (h, c))
        keys = self.key(memory)
        batch, steps, hidden = y.shape
        # Every target step attends independently: fold the steps into the batch.
        flat_y = y.reshape(batch * steps, hidden)
        rep = lambda t: t.repeat_interleave(steps, dim=0)  # noqa: E731
        logits, weights = self.readout(flat_y, rep(memory), rep(keys), rep(mask))
        return logits.view(batch, steps, -1), weights.view(batch, steps, -1), h, c

    # --8<-- [start:step]
    def step(
        self,
        prev: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step: prev (batch,) int64, h, c (1, batch, Hd), memory, mask
        → log-probabilities (batch, V), h, c, attention weights (batch, src)."""
        y, (h, c) = self.decoder(self.tgt_embed(prev).unsqueeze(1), (h, c))
        log_probs, weights = self.predict(y[:, 0], memory, mask)
        return log_probs, h, c, weights

    def predict(
        self, y: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder output y (batch, Hd) → log-probabilities of the next word, attention."""
        logits, weights = self.readout(y, memory, self.key(memory), mask)
        return torch.log_softmax(logits, dim=-1), weights

    def readout(
        self, y: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend, mix context and state, score every target word: y (batch, Hd) → logits
        (batch, V), attention (batch, src). One function for training and decoding, so the
        exported step computes exactly what was trained."""
        context, weights = attend(y, memory, keys, mask)
        h_tilde = torch.tanh(self.mix(torch.cat([context, y], dim=1)))
        return self.logits(h_tilde), weights

    # --8<-- [end:step]

    def forward(
        self, src: torch.Tensor, src_mask: torch.Tensor, prev: torch.Tensor
    ) -> torch.Tensor:
        """Teacher forcing: logits (batch, tgt, V) for the words after each prefix of `prev`."""
        memory, h, c = self.encode(src, src_mask)
        return self.decode(prev, h, c, memory, src_mask)[0]
