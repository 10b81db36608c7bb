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

from rnn_site.data.ding import detokenize, tokenize, word_entries


def scoring_text(text: str, cased: bool = False) -> str:
    """The form every score compares: tokens joined by spaces (lowercased unless ``cased``).

    Hypotheses and references both go through it, so the scores measure words (and, cased,
    their capitals: "Buch", not "buch"), not spacing around punctuation.
    """
    return " ".join(tokenize(text, lowercase=not cased))


def translation_scores(
    hypotheses: Sequence[str], references: Sequence[str], cased: bool = False
) -> dict[str, float]:
    """Corpus BLEU and chrF of :func:`scoring_text` forms, in 0..100."""
    import sacrebleu

    hyps = [scoring_text(h, cased) for h in hypotheses]
    refs = [scoring_text(r, cased) for r in references]
    bleu = sacrebleu.corpus_bleu(hyps, [refs], tokenize="none", force=True)
    chrf = sacrebleu.corpus_chrf(hyps, [refs])
    return {"bleu": round(float(bleu.score), 2), "chrf": round(float(chrf.score), 2)}


def sentence_chrf(hypothesis: str, reference: str, cased: bool = False) -> float:
    """chrF (0..100) of one sentence, in the same form as :func:`translation_scores`."""
    import sacrebleu

    hyp, ref = scoring_text(hypothesis, cased), scoring_text(reference, cased)
    return float(sacrebleu.sentence_chrf(hyp, [ref]).score)


@dataclass
class WordLookup:
    """English word → German word. table: the chosen translation of every known English word."""

    table: dict[str, str]
    cased: bool = False

    @classmethod
    def build(
        cls, lines: Iterable[str], german_texts: Iterable[str] = (), cased: bool = False
    ) -> WordLookup:
        """From the dictionary's lines; `german_texts` (training sentences) rank the candidates.

        ``cased``: German words as the dictionary writes them ("Buch"), ranked by their cased
        counts, and the sentence's first letter capitalised, as the model writes German.
        """
        frequency = Counter(t for text in german_texts for t in tokenize(text, not cased))
        candidates: dict[str, list[str]] = {}
        for english, german in word_entries(lines, cased):
            options = candidates.setdefault(english, [])
            if german not in options:
                options.append(german)
        # max() keeps the first of equal counts: the entry found first in the file.
        table = {en: max(options, key=lambda g: frequency[g]) for en, options in candidates.items()}
        return cls(table, cased)

    def translate_tokens(self, tokens: Sequence[str]) -> list[str]:
        """Each token's German word, or the token itself without an entry."""
        return [self.table.get(t, t) for t in tokens]

    def translate(self, text: str) -> str:
        """The German words of `text`: space-separated and lowercase, or, ``cased``, as a
        sentence (no space before punctuation, first letter capitalised)."""
        words = self.translate_tokens(tokenize(text))
        return detokenize(words) if self.cased else " ".join(words)
