"""The Ding dictionary parser, the sentence pairs and their split, the tokenizer, the vocabulary.

The dictionary is GPL-2+ data read from Debian's `trans-de-en` package, never committed: tests
that need the real file skip locally without it and fail under CI (`CI=true`). The parsing rules
are also checked on made-up lines in the dictionary's format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from skips import skip_locally_fail_in_ci
from tokenizer_cases import TRICKY

from rnn_site.data.ding import (
    APT_PACKAGE,
    MAX_WORDS,
    MIN_WORDS,
    TOKEN_PATTERN,
    Vocab,
    assign_splits,
    clean_sentence,
    deduplicate,
    detokenize,
    ding_path,
    load_pairs,
    read_lines,
    sentence_pairs,
    split_pairs,
    strip_annotations,
    tokenize,
    word_entries,
)

ROOT = Path(__file__).resolve().parents[1]

#: Made-up lines in the dictionary's format (headword | forms | phrases | sentences).
LINES = [
    "# Version :: made up for the tests",
    "Haus {n} [arch.] | Häuser {pl} | Das Haus ist sehr alt. :: house | houses | The house is "
    "very old.",
    "etw. kaufen {vt} | Ich habe etw. gekauft. | Wir kaufen heute ein neues Auto. :: to buy sth. "
    "| I bought sth. | We are buying a new car today.",
    "Kälte {f} | Es ist kalt draußen.; Draußen ist es kalt. | Er ist erkältet / verschnupft. :: "
    "cold | It is cold outside. | He has a cold.",
    "Hund {m}; Köter {m} [pej.] | Der Hund bellt (laut) die ganze Nacht. :: dog; mutt | The dog "
    "barks all night.",
    "Katze {f} | Das Haus ist sehr alt. :: cat | The home is very old.",
    "misaligned | Ein Satz hier. :: only one side",
]


def test_tokenize():
    assert tokenize("I don't like it.") == ["i", "don't", "like", "it", "."]
    assert tokenize("It wasn’t BAD!!!") == ["it", "wasn't", "bad", "!", "!", "!"]
    assert tokenize("Größe, ÜBER; ẞ?") == ["größe", ",", "über", ";", "?"]  # ẞ is not a letter here
    assert tokenize("u\u0308ber") == ["über"]
    assert tokenize("naïve café") == ["na", "ve", "caf"]  # only ASCII and German letters
    # NFC turns the Kelvin sign into K; the long s is no ASCII letter (no case folding).
    assert tokenize("\u212a ſ ...") == ["k", ".", ".", "."]
    assert tokenize("") == []
    assert detokenize(["das", "haus", "ist", "alt", "."]) == "Das haus ist alt."
    assert detokenize(["über", ",", "ja", "!"]) == "Über, ja!"
    assert detokenize([]) == ""


def test_tokens_of_tricky_text_are_lowercase_pattern_matches_and_round_trip():
    """What the browser test relies on: tokens are whole matches of TOKEN_PATTERN, lowercase,
    and tokenizing the detokenized text gives them back."""
    for text in TRICKY:
        tokens = tokenize(text)
        assert all(re.fullmatch(TOKEN_PATTERN, t) and t == t.lower() for t in tokens), text
        assert tokenize(detokenize(tokens)) == tokens, text
    assert [len(tokenize(t)) for t in TRICKY[:3]] == [5, 6, 8]


def test_annotations_alternatives_and_placeholders():
    assert strip_annotations("Konto {n} /Kto./ [fin.] <Kontos>") == "Konto"
    assert clean_sentence("Es ist kalt draußen.; Draußen ist es kalt. [ugs.]") == (
        "Es ist kalt draußen."
    )
    assert clean_sentence("I bought sth. yesterday.") is None  # placeholder
    assert clean_sentence("He is ill / sick today.") is None  # inline alternative
    assert clean_sentence("The dog barks (loudly) at night.") is None  # optional words
    assert clean_sentence("It is.") is None  # fewer than MIN_WORDS words
    assert clean_sentence(" ".join(["word"] * MAX_WORDS) + ".") is None  # starts lowercase
    assert clean_sentence("A " + " ".join(["word"] * (MAX_WORDS - 1)) + ".")
    assert clean_sentence("A " + " ".join(["word"] * MAX_WORDS) + ".") is None
    assert MIN_WORDS == 4


def test_sentence_pairs_on_dictionary_lines():
    pairs = list(sentence_pairs(LINES))
    assert pairs == [
        ("The house is very old.", "Das Haus ist sehr alt.", 2),
        ("We are buying a new car today.", "Wir kaufen heute ein neues Auto.", 3),
        ("It is cold outside.", "Es ist kalt draußen.", 4),
        ("The home is very old.", "Das Haus ist sehr alt.", 6),
    ]
    # The German side of line 6 repeats line 2's: the first occurrence wins.
    assert [en for en, _, _ in deduplicate(pairs)] == [
        "The house is very old.",
        "We are buying a new car today.",
        "It is cold outside.",
    ]


def test_word_entries_take_single_words_only():
    entries = list(word_entries(LINES))
    assert ("house", "haus") in entries and ("houses", "häuser") in entries
    assert ("dog", "hund") in entries and ("mutt", "hund") in entries
    assert ("buy", "kaufen") not in entries  # "etw. kaufen" is not one word
    assert all(" " not in en and " " not in de for en, de in entries)


def test_vocab():
    vocab = Vocab.build(["Das Haus.", "das Auto."], min_count=2)
    assert vocab.words == ["<pad>", "<unk>", "<s>", "</s>", ".", "das"]
    assert vocab.encode(["das", "haus"]).tolist() == [5, 1]
    assert vocab.decode([5, 4]) == ["das", "."]
    with pytest.raises(ValueError, match="starts with"):
        Vocab(["das"])


def test_missing_dictionary_names_the_package(tmp_path):
    with pytest.raises(FileNotFoundError, match=APT_PACKAGE):
        read_lines(tmp_path / "de-en")


# --------------------------------------------------------------------------- the real file


@pytest.fixture(scope="module")
def pairs():
    if not ding_path().is_file():
        message = (
            f"{ding_path()} is missing: install Debian's `{APT_PACKAGE}` package "
            "(the dictionary is GPL-2+ data, read from the package and never committed)"
        )
        skip_locally_fail_in_ci(message)
    return load_pairs()


def test_real_pairs_are_clean_deduplicated_and_split(pairs):
    parts = split_pairs(pairs)
    # The issue asks for about 15k clean pairs; the 2023-01-30 dictionary gives 14,472.
    assert 13_000 <= len(pairs) <= 17_000
    assert len(parts["test"]) == len(parts["val"]) == pytest.approx(len(pairs) / 10, abs=1)
    for pair in pairs[::50]:
        for side in (pair.en, pair.de):
            assert MIN_WORDS <= len(side.split()) <= MAX_WORDS
            assert side[0].isupper() or side[0].isdigit()
            assert side[-1] in ".!?"
            assert not any(mark in side for mark in ("etw.", "jdm.", "sth.", "sb.", "/", "(", "…"))
    english = [" ".join(tokenize(p.en)) for p in pairs]
    german = [" ".join(tokenize(p.de)) for p in pairs]
    assert len(set(english)) == len(english) and len(set(german)) == len(german)
    train_english = {" ".join(tokenize(p.en)) for p in parts["train"]}
    assert not train_english & {" ".join(tokenize(p.en)) for p in parts["test"]}


def test_split_is_seeded(pairs):
    names = assign_splits(len(pairs))
    assert names == assign_splits(len(pairs)) == [p.split for p in pairs]
    assert names != assign_splits(len(pairs), seed=1)


def test_vocabularies_reproduce_the_published_model(pairs):
    """The training pairs rebuild the card's vocabularies word for word, German as written."""
    from rnn_site.train.translator import TranslatorTrainConfig, build_vocabs

    card = json.loads((ROOT / "models/translator/card.json").read_text("utf-8"))
    hparams = json.loads((ROOT / "models/translator/metrics.json").read_text("utf-8"))["hparams"]
    known = TranslatorTrainConfig.__dataclass_fields__
    config = TranslatorTrainConfig(**{k: v for k, v in hparams.items() if k in known})
    vocabs = build_vocabs(split_pairs(pairs)["train"], config)
    assert vocabs.src.words == card["vocab"]["src"]
    assert vocabs.tgt.words == card["vocab"]["tgt"]
    assert {"Buch", "Haus", "Zeit"} <= set(card["vocab"]["tgt"])  # nouns capitalised
