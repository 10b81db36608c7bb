"""Test data shared by the translation tests in Python (test_translation_data.py) and in the
browser (browser/test_translation.py): both feed the tokenizer the same tricky strings."""

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
