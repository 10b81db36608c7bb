"""Translate English to German with the exported attention translator (numpy + onnxruntime only).

    from rnn_site.runtime import Translator
    model = Translator.load("translator")
    result = model.translate("The weather is nice today.", beam=5)
    result.text, result.words, result.attention, result.source_unknown

The encoder graph reads the English sentence once; the decoder graph is called once per German
word, for all beam hypotheses at a time (a beam is a batch). The search is
`rnn_site.decoding.beam`, the same code training evaluated the PyTorch model with, and the
browser demo repeats it line for line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from rnn_site.data.bpe import join
from rnn_site.data.ding import BOS, EOS, PAD, PUNCTUATION, UNK, detokenize, tokenize
from rnn_site.decoding.beam import beam_search, default_max_len, replace_unknown
from rnn_site.runtime.errors import InvalidBeamError, InvalidLengthError, ModelMismatchError
from rnn_site.runtime.registry import ModelLocation, locate_verified
from rnn_site.runtime.session import open_graph
from rnn_site.runtime.text import checked_tokens

#: Longest text accepted, in characters and in tokens (a few sentences; trained on ≤ 15 words).
MAX_CHARS = 1000
MAX_TOKENS = 100
MAX_BEAM = 10
MAX_OUTPUT = 200


@dataclass(frozen=True)
class TranslationResult:
    """One translation.

    source: the English tokens as read; source_unknown: True where the model does not know the
    word; pieces: the German output as the model wrote it (words, or BPE pieces such as
    ``"entscheid@@", "ung"`` for a model trained with them; an output ``<unk>`` replaced by the
    English word it attended to most); replaced: True for those; attention: (len(pieces) + 1,
    len(source)), row i = how much each English word counted for piece i, the last row for
    ``</s>`` (absent if the search stopped at ``max_len``); score: log-probability of the
    output.
    """

    source: list[str]
    source_unknown: list[bool]
    pieces: list[str]
    replaced: list[bool]
    attention: np.ndarray
    score: float
    finished: bool

    @property
    def words(self) -> list[str]:
        """The German words (lowercase): the pieces joined (the same list for a word model)."""
        return join(self.pieces)

    @property
    def text(self) -> str:
        """The German words as a sentence (no space before punctuation, first letter capital)."""
        return detokenize(self.words)


class Translator:
    """The translator behind a checked API: `translate(text, beam=1, max_len=None)`."""

    def __init__(
        self,
        location: ModelLocation,
        encoder: ort.InferenceSession,
        decoder: ort.InferenceSession,
    ) -> None:
        self.location = location
        self.card: dict[str, Any] = location.card
        self.src_words: list[str] = self.card["vocab"]["src"]
        self.tgt_words: list[str] = self.card["vocab"]["tgt"]
        self.src_index = {w: i for i, w in enumerate(self.src_words)}
        self.tgt_index = {w: i for i, w in enumerate(self.tgt_words)}
        self._encoder = encoder
        self._decoder = decoder

    @classmethod
    def load(
        cls,
        name_or_path: str | os.PathLike[str] = "translator",
        *,
        models_dir: str | os.PathLike[str] | None = None,
        verify: bool = True,
        intra_op_threads: int = 1,
    ) -> Translator:
        """Load by name ("translator" → models/translator) or directory; verify hashes and I/O."""
        roles = ("encoder", "decoder")
        location = locate_verified(name_or_path, models_dir, roles, verify=verify)
        card, config = location.card, location.card["config"]
        for side in ("src", "tgt"):
            if len(card["vocab"][side]) != config[f"{side}_vocab"]:
                raise ModelMismatchError(
                    f"card.json: vocab.{side} has {len(card['vocab'][side])} entries but "
                    f"config.{side}_vocab is {config[f'{side}_vocab']}",
                    file="card.json",
                )
        if card["vocab"]["tgt"][:4] != [PAD, UNK, BOS, EOS]:
            raise ModelMismatchError(
                f"card.json: vocab.tgt must start with {PAD}, {UNK}, {BOS}, {EOS}",
                file="card.json",
            )
        sessions = [open_graph(location, r, intra_op_threads=intra_op_threads) for r in roles]
        return cls(location, *sessions)

    def tokenize(self, text: str) -> list[str]:
        """The English tokens; typed errors for non-text, empty or absurdly long input."""
        return checked_tokens(
            text,
            tokenize,
            max_chars=MAX_CHARS,
            max_tokens=MAX_TOKENS,
            too_long_hint="(translate one sentence at a time)",
            is_word=lambda token: token not in PUNCTUATION,
        )

    def encode(self, tokens: list[str]) -> np.ndarray:
        """English token ids (int64); unknown words → the id of ``<unk>``."""
        unk = self.src_index[UNK]
        return np.array([self.src_index.get(t, unk) for t in tokens], dtype=np.int64)

    def translate(self, text: str, beam: int = 1, max_len: int | None = None) -> TranslationResult:
        """German for `text`: greedy (beam=1) or beam search of width 2..10."""
        if isinstance(beam, bool) or not isinstance(beam, int | np.integer):
            raise InvalidBeamError(f"beam must be an integer, got {type(beam).__name__}")
        if not 1 <= beam <= MAX_BEAM:
            raise InvalidBeamError(f"beam must be between 1 (greedy) and {MAX_BEAM}, got {beam}")
        source = self.tokenize(text)
        if max_len is None:
            max_len = default_max_len(len(source))
        if isinstance(max_len, bool) or not isinstance(max_len, int | np.integer):
            raise InvalidLengthError(f"max_len must be an integer, got {type(max_len).__name__}")
        if not 1 <= max_len <= MAX_OUTPUT:
            raise InvalidLengthError(f"max_len must be between 1 and {MAX_OUTPUT}, got {max_len}")

        ids = self.encode(source)[None, :]
        mask = np.ones(ids.shape, dtype=np.float32)
        memory, h0, c0 = self._encoder.run(None, {"tokens": ids, "mask": mask})

        def step(prev: np.ndarray, state: Any) -> tuple[np.ndarray, Any, np.ndarray]:
            h, c, memory, mask = state
            feed = {"prev": prev, "h": h, "c": c, "memory": memory, "mask": mask}
            log_probs, h, c, attention = self._decoder.run(None, feed)
            return log_probs, (h, c, memory, mask), attention

        def select(state: Any, index: np.ndarray) -> Any:
            h, c, memory, mask = state
            return h[:, index], c[:, index], memory[index], mask[index]

        best = beam_search(
            step,
            select,
            (h0, c0, memory, mask),
            bos=self.tgt_index[BOS],
            eos=self.tgt_index[EOS],
            beam=int(beam),
            max_len=int(max_len),
        )
        pieces, replaced = replace_unknown(
            [self.tgt_words[i] for i in best.ids], best.attention, source, UNK
        )
        return TranslationResult(
            source=source,
            source_unknown=[t not in self.src_index for t in source],
            pieces=pieces,
            replaced=replaced,
            attention=np.array(best.attention, dtype=np.float32).reshape(-1, len(source)),
            score=best.score,
            finished=best.finished,
        )
