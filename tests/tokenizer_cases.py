"""Tricky strings for the tokenizers, shared by each slice's Python and browser tests, so the
browser's tokenizer is checked on exactly the strings Python's is.

TRICKY: the translator's (test_translation_data.py, browser/test_translation.py);
SENTIMENT_TRICKY: the sentiment model's (browser/test_sentiment.py, against Python's tokenize)."""

from __future__ import annotations

#: Apostrophes (straight and curly), German letters, decomposed umlauts (NFC makes them one
#: letter), accents the tokenizer drops, letters whose lowercase differs between Unicode
#: implementations (İ, K, ſ, ẞ: never lowercased, since they are not in the pattern), emoji,
#: whitespace, punctuation runs and the empty string.
TRICKY = [
    "I don't like it.",
    "It wasn’t BAD!!!",
    "Größe, Übermaß; ÄÖÜ äöü ß?",
    "Nai\u0308ve u\u0308ber",
    "naïve café résumé",
    "rock-solid, 10/10 :) #win @you",
    "İstanbul KELVIN \u212a ſ ẞ",
    "emoji 😀 tab\tnew\nline",
    "'quoted' o'neil's ... --",
    "",
]


SENTIMENT_TRICKY = [
    "I don't like it.",
    "It wasn’t BAD!!!",
    "''The Rock'' is destined to be the 21st Century's new ''Conan''",
    "rock-solid, 10/10 :) #win @you",
    "naïve café über Straße",
    "can't-won't  'quoted' o'neil's",
    "İstanbul KELVIN \u212a ſ",
    "emoji 😀 tab\tnew\nline",
    "???!!! ... --",
    "",
]
