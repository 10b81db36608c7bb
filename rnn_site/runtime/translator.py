"""Translate English to German with the exported attention translator (numpy + onnxruntime only).

    from rnn_site.runtime import Translator
    model = Translator.load("translator")
    result = model.translate("The weather is nice today.", beam_width=model.card["beam"])
    result.text, result.words, result.attention, result.source_unknown

The encoder graph reads the English sentence once; the decoder graph is called once per German
word, for all beam hypotheses at a time (a beam is a batch). The search is
`rnn_site.decoding.beam`, the same code training evaluated the PyTorch model with, and the
browser demo repeats it line for line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnn_site.card import TranslationCard
from rnn_site.data.bpe import join
from rnn_site.data.ding import (
    BOS,
    EOS,
    PAD,
    PUNCTUATION,
    UNK,
    detokenize,
    tokenize,
    unpack_words,
)
from rnn_site.decoding.beam import beam_search, default_max_len, replace_unknown
from rnn_site.runtime.base import RuntimeModel
from rnn_site.runtime.checks import MISSING, check_beam_width, check_int, renamed
from rnn_site.runtime.errors import InvalidArgumentError, ModelMismatchError
from rnn_site.runtime.text import checked_tokens

#: Longest text accepted, in characters and in tokens (a few sentences; trained on ≤ 15 words).
MAX_CHARS = 1000
MAX_TOKENS = 100
#: Widest beam (each hypothesis is one row of the decoder's batch).
MAX_BEAM_WIDTH = 10
MAX_BEAM = MAX_BEAM_WIDTH  # the old name, kept for one release
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
        """The German words as the model wrote them, case kept ("Er", "Party"; a copied English
        word as typed): the pieces joined (the same list for a word model)."""
        return join(self.pieces)

    @property
    def text(self) -> str:
        """The German words as a sentence (no space before punctuation, first letter capital)."""
        return detokenize(self.words)


class Translator(RuntimeModel[TranslationCard]):
    """The translator behind a checked API: `translate(text, beam_width=1, max_len=None)`.

    Build it with `load` ("translator" → models/translator, see
    `rnn_site.runtime.base.RuntimeModel`).
    """

    task = "translation"
    default_model = "translator"
    graphs = ("encoder", "decoder")

    def read_card(self) -> None:
        card, config = self.card, self.card["config"]
        for side in ("src", "tgt"):
            words = card["vocab"][side]
            if not isinstance(words, list) or len(words) != config[f"{side}_vocab"]:
                raise ModelMismatchError(
                    f"card.json: vocab.{side} has {len(words)} entries but "
                    f"config.{side}_vocab is {config[f'{side}_vocab']}",
                    file="card.json",
                )
        if card["vocab"]["tgt"][:4] != [PAD, UNK, BOS, EOS] or UNK not in card["vocab"]["src"]:
            raise ModelMismatchError(
                f"card.json: vocab.tgt must start with {PAD}, {UNK}, {BOS}, {EOS} and vocab.src "
                f"hold {UNK}",
                file="card.json",
            )
        self.src_words: list[str] = card["vocab"]["src"]
        self.tgt_words: list[str] = card["vocab"]["tgt"]
        self.src_index = {w: i for i, w in enumerate(self.src_words)}
        # English word → German, for an output <unk> attending to it: the card's "dictionary"
        # file, read (and hash-checked) when first needed; older cards hold it inline or not.
        self._dictionary: dict[str, str] | None = (
            None if "dictionary" in card["files"] else dict(card.get("unk_dictionary") or {})
        )
        self.tgt_index = {w: i for i, w in enumerate(self.tgt_words)}
        self._encoder = self.session("encoder")
        self._decoder = self.session("decoder")

    @property
    def dictionary(self) -> dict[str, str]:
        """English word → German word: what an output ``<unk>`` attending to that word becomes
        (dictionary.json, about 86,000 one-word entries of the Ding dictionary, GPL-2+)."""
        if self._dictionary is None:
            self._dictionary = self._data_file("dictionary", unpack_words)
        return self._dictionary

    def tokenize(self, text: str) -> list[str]:
        """The English tokens; typed errors for non-text, empty or absurdly long input.

        Limits: a str of at most 1,000 characters (`MAX_CHARS`) and 100 tokens (`MAX_TOKENS`),
        with at least one word.
        """
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
        if not isinstance(tokens, list | tuple) or not all(isinstance(t, str) for t in tokens):
            raise InvalidArgumentError("tokens must be a list of str (see tokenize)")
        unk = self.src_index[UNK]
        return np.array([self.src_index.get(t, unk) for t in tokens], dtype=np.int64)

    def translate(
        self,
        text: str,
        beam_width: int = 1,
        max_len: int | None = None,
        *,
        beam: Any = MISSING,
    ) -> TranslationResult:
        """German for `text`: greedy (beam_width=1) or beam search of width 2..10.

        Limits: `text` as `tokenize` accepts; `beam_width` 1 to 10 (`MAX_BEAM_WIDTH`);
        `max_len` None (about twice the source's length) or 1 to 200 (`MAX_OUTPUT`) pieces.
        ``beam=`` is the old name of ``beam_width=`` (DeprecationWarning, removed next release).
        """
        beam_width = renamed("beam", beam, "beam_width", beam_width, 1)
        beam_width = check_beam_width(beam_width, MAX_BEAM_WIDTH)
        source = self.tokenize(text)
        if max_len is None:
            max_len = default_max_len(len(source))
        max_len = check_int(max_len, "max_len", 1, MAX_OUTPUT)

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
            beam=beam_width,
            max_len=max_len,
        )
        # A copied English word keeps the case it was typed in ("Tom"); the model reads "tom".
        written = tokenize(text, lowercase=False)
        pieces, replaced = replace_unknown(
            [self.tgt_words[i] for i in best.ids],
            best.attention,
            source,
            UNK,
            self.dictionary,
            written,
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
