"""Word-by-word lookup in the Ding dictionary: the translation baseline that knows no grammar.

Each English word is replaced by a German word that the dictionary gives for it as a
single-word entry; a word without an entry is copied as it is (names and numbers often are the
same in German). Where the dictionary offers several German words, the one most frequent in the
German training sentences wins (so "the" becomes "die", not a rare technical term), ties going
to the entry found first. No reordering, no agreement, no context: what an attention model must
beat to show that it learned more than a glossary.

Also here: :func:`translation_scores`, the BLEU and chrF (sacrebleu) every translator and
baseline is reported with. sacrebleu is imported when scoring, so only training needs it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rnn_site.data.ding import tokenize, word_entries


def scoring_text(text: str) -> str:
    """The form every score compares: lowercased tokens joined by spaces.

    Hypotheses and references both go through it, so the scores measure words, not casing
    or spacing around punctuation.
    """
    return " ".join(tokenize(text))


def translation_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus BLEU and chrF of :func:`scoring_text` forms, in 0..100."""
    import sacrebleu

    hyps = [scoring_text(h) for h in hypotheses]
    refs = [scoring_text(r) for r in references]
    bleu = sacrebleu.corpus_bleu(hyps, [refs], tokenize="none", force=True)
    chrf = sacrebleu.corpus_chrf(hyps, [refs])
    return {"bleu": round(float(bleu.score), 2), "chrf": round(float(chrf.score), 2)}


def sentence_chrf(hypothesis: str, reference: str) -> float:
    """chrF (0..100) of one sentence, in the same form as :func:`translation_scores`."""
    import sacrebleu

    return float(sacrebleu.sentence_chrf(scoring_text(hypothesis), [scoring_text(reference)]).score)


@dataclass
class WordLookup:
    """English word → German word. table: the chosen translation of every known English word."""

    table: dict[str, str]

    @classmethod
    def build(cls, lines: Iterable[str], german_texts: Iterable[str] = ()) -> WordLookup:
        """From the dictionary's lines; `german_texts` (training sentences) rank the candidates."""
        frequency = Counter(t for text in german_texts for t in tokenize(text))
        candidates: dict[str, list[str]] = {}
        for english, german in word_entries(lines):
            options = candidates.setdefault(english, [])
            if german not in options:
                options.append(german)
        # max() keeps the first of equal counts: the entry found first in the file.
        table = {en: max(options, key=lambda g: frequency[g]) for en, options in candidates.items()}
        return cls(table)

    def translate_tokens(self, tokens: Sequence[str]) -> list[str]:
        """Each token's German word, or the token itself without an entry."""
        return [self.table.get(t, t) for t in tokens]

    def translate(self, text: str) -> str:
        """The German words of `text`, space-separated (lowercase, as tokenized)."""
        return " ".join(self.translate_tokens(tokenize(text)))
