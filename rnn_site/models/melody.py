"""Melody LSTM: the character LSTM's architecture over music tokens, with dropout.

A token language model is a token language model: embedding → LSTM → linear, exactly
`rnn_site.models.char_lm.CharLSTM`, so the export (step graph) and the runtime's decoding rules
are shared too. What differs is the data: ~45k tokens instead of millions of characters, so the
network overfits within a few epochs. Dropout on the embeddings and on the LSTM outputs (off in
eval mode, hence absent from the exported graph) is the one addition.
"""

from __future__ import annotations

from rnn_site.models.char_lm import CharLMConfig, CharLSTM

MelodyConfig = CharLMConfig  # vocab_size, embed_dim, hidden_size, num_layers, dropout


class MelodyLSTM(CharLSTM):
    """tokens: (batch, time) int64 → logits (batch, time, vocab), state (h, c) each
    (num_layers, batch, hidden). ``config.dropout`` applies to the LSTM's input and output,
    exactly as in the character model, whose architecture this is."""
