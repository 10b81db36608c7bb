"""English–German sentence pairs (and single-word entries) from the Ding dictionary.

Source: Debian's ``trans-de-en`` package, ``/usr/share/trans/de-en`` (Frank Richter, TU Chemnitz,
GPL-2+). Each line is ``German :: English``; both sides hold the same number of sub-entries
separated by `` | `` (a headword, its inflected forms, then example phrases and sentences), and a
sub-entry lists alternatives separated by ``; ``. Annotations are inline: ``{m}`` (gender or
part of speech), ``[ugs.]`` (register, field), ``<Aalmolch>`` (other spellings), ``/Kto./``
(abbreviations). The many example sentences make it a small parallel corpus.

The data are GPL-2+, so the pairs are never committed: :func:`load_pairs` reads the installed
package every time (training, tests). Choices, each for a reason:

- **Sentence pairs**: sub-entries whose German and English sides both start with a capital letter
  or a digit and end in ``.``, ``!`` or ``?``, with 4–15 words on each side.
- **First alternative only**: ``Es liegt in der Natur der Sache.; Es liegt in der Natur der
  Dinge.`` keeps the first sentence of each side, the dictionary's main translation.
- **No placeholders or inline alternatives**: a side containing ``etw.``, ``jdm.``, ``sb.``,
  ``sth.``, ``…``, ``...``, ``/`` (``convincing/compelling``) or parentheses (optional words) is
  dropped: a model cannot learn what to do with them.
- **Deduplicated** by the normalised German and by the normalised English side (the first
  occurrence wins), so no English sentence of the test set was seen in training.
- **Split**: a seeded permutation, 80/10/10 train/validation/test.
- **Tokens** (:func:`tokenize`): runs of ASCII letters, digits and German letters (``äöüß``), with
  inner apostrophes, and the marks ``. , ! ? ;``; lowercased. Written so that the browser
  (``docs/assets/demos/translation-logic.js``) gives the same tokens letter for letter: only
  ASCII letters and ``ÄÖÜ`` are ever lowercased, where Python and JavaScript agree.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_site.files import atomic_path

#: Where Debian's ``trans-de-en`` installs the dictionary; ``RNN_SITE_DING`` overrides it.
DING_PATH = Path("/usr/share/trans/de-en")
DING_ENV = "RNN_SITE_DING"
APT_PACKAGE = "trans-de-en"
LICENCE = "GPL-2.0-or-later"
SPLIT_SEED = 1995  # the year the Ding dictionary was started
MIN_WORDS, MAX_WORDS = 4, 15
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"

# --8<-- [start:tokenize]
#: The tokenizer, shared letter for letter with the browser demo (translation-logic.js).
TOKEN_PATTERN = r"[A-Za-z0-9ÄÖÜäöüß]+(?:'[A-Za-z0-9ÄÖÜäöüß]+)*|[.,!?;]"
_TOKEN = re.compile(TOKEN_PATTERN)


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Lowercased words (ASCII and German letters, digits, inner apostrophes) and ``.,!?;``.

    The text is NFC-normalised first (so a typed "u + ¨" is "ü"); curly apostrophes count as
    straight ones; any other character separates words and is dropped. English (what the model
    reads) is lowercased; German (what it writes) keeps its case with ``lowercase=False``.
    """
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    tokens = _TOKEN.findall(text)
    return [t.lower() for t in tokens] if lowercase else tokens


# --8<-- [end:tokenize]

#: The punctuation tokens (no space before them; a text of only these has no words).
PUNCTUATION = frozenset(".,!?;")


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens into text: no space before punctuation, first letter capitalised."""
    text = ""
    for token in tokens:
        text += token if (token in PUNCTUATION or not text) else " " + token
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- parsing

#: Inline annotations: {m} {pl} {vt}, [ugs.] [Br.], <Aalmolch>, /Kto./ (abbreviation at a word end).
_ANNOTATION = re.compile(r"\s*(\{[^}]*\}|\[[^\]]*\]|<[^>]*>|(?<=\s)/[^/\s][^/]*/(?=\s|$))")
_PLACEHOLDERS = re.compile(r"\b(etw|jdm|jdn|jds|jd|sb|sth|sb's|sth's)\.|…|\.\.\.|/|\(|\)")
_STARTS = re.compile(r"[A-ZÄÖÜ0-9]")
_ENDS = re.compile(r"[.!?]$")
_SENTENCE_MARK = re.compile(r"[.!?]")


@dataclass(frozen=True)
class Pair:
    """One sentence pair; ``split`` is "train", "val" or "test"; ``line`` its line number."""

    en: str
    de: str
    split: str
    line: int


def strip_annotations(text: str) -> str:
    """Remove ``{…}``, ``[…]``, ``<…>`` and ``/abbr./`` annotations; squeeze spaces."""
    if not any(mark in text for mark in "{[</"):
        return text.strip()  # most sub-entries have none: skip the regular expressions
    return " ".join(_ANNOTATION.sub("", text).split())


def first_alternative(text: str) -> str:
    """The first of the ``; ``-separated alternatives of a sub-entry."""
    return text.split("; ")[0].strip()


def clean_sentence(side: str) -> str | None:
    """A sub-entry as one clean sentence, or None if it is not one (see the module notes)."""
    text = strip_annotations(first_alternative(strip_annotations(side)))
    text = text.replace("\u2019", "'")
    if not (_STARTS.match(text) and _ENDS.search(text)) or _PLACEHOLDERS.search(text):
        return None
    if not MIN_WORDS <= len(text.split()) <= MAX_WORDS:
        return None
    return text


def split_line(line: str) -> list[tuple[str, str]] | None:
    """A dictionary line → its (German, English) sub-entries; None for comments and odd lines."""
    if line.startswith("#") or " :: " not in line:
        return None
    german, english = line.rstrip("\n").split(" :: ", 1)
    de, en = german.split(" | "), english.split(" | ")
    if len(de) != len(en):
        return None  # misaligned sub-entries: we cannot tell which goes with which
    return list(zip(de, en, strict=True))


def sentence_pairs(lines: Iterable[str]) -> Iterator[tuple[str, str, int]]:
    """(English, German, line number) for every clean sentence pair, in file order."""
    for number, line in enumerate(lines, start=1):
        for de, en in split_line(line) or []:
            if not (_SENTENCE_MARK.search(de) and _SENTENCE_MARK.search(en)):
                continue  # cheap test first: most sub-entries are words, not sentences
            clean_de, clean_en = clean_sentence(de), clean_sentence(en)
            if clean_de and clean_en:
                yield clean_en, clean_de, number


def normalise(text: str) -> str:
    """The key two sentences are duplicates by: their tokens."""
    return " ".join(tokenize(text))


def deduplicate(pairs: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Keep the first pair for each English sentence and for each German sentence."""
    seen_en: set[str] = set()
    seen_de: set[str] = set()
    kept = []
    for en, de, line in pairs:
        key_en, key_de = normalise(en), normalise(de)
        if key_en in seen_en or key_de in seen_de:
            continue
        seen_en.add(key_en)
        seen_de.add(key_de)
        kept.append((en, de, line))
    return kept


def assign_splits(n: int, seed: int = SPLIT_SEED) -> list[str]:
    """Split names for n items: a seeded permutation, 10% test, 10% validation, the rest train."""
    order = np.random.default_rng(seed).permutation(n)
    n_held = round(0.1 * n)
    names = ["train"] * n
    for rank, i in enumerate(order):
        if rank < n_held:
            names[i] = "test"
        elif rank < 2 * n_held:
            names[i] = "val"
    return names


def ding_path() -> Path:
    """The dictionary file: ``$RNN_SITE_DING`` or Debian's ``/usr/share/trans/de-en``."""
    return Path(os.environ.get(DING_ENV) or DING_PATH)


def read_lines(path: str | Path | None = None) -> list[str]:
    """The dictionary's lines; a FileNotFoundError that says which package to install."""
    path = Path(path) if path is not None else ding_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: install Debian's `{APT_PACKAGE}` package "
            f"(`apt-get install {APT_PACKAGE}`) or point {DING_ENV} at a copy of the file"
        )
    return path.read_text(encoding="utf-8").splitlines()


def load_pairs(path: str | Path | None = None, seed: int = SPLIT_SEED) -> list[Pair]:
    """Every clean, deduplicated sentence pair of the dictionary, with its split."""
    kept = deduplicate(sentence_pairs(read_lines(path)))
    return [
        Pair(en, de, split, line)
        for (en, de, line), split in zip(kept, assign_splits(len(kept), seed), strict=True)
    ]


def split_pairs(pairs: Sequence[Pair]) -> dict[str, list[Pair]]:
    """{"train": [...], "val": [...], "test": [...]}."""
    parts: dict[str, list[Pair]] = {"train": [], "val": [], "test": []}
    for pair in pairs:
        parts[pair.split].append(pair)
    return parts


# --------------------------------------------------------------------------- single words


def word_entries(lines: Iterable[str], cased: bool = False) -> Iterator[tuple[str, str]]:
    """(English word, German word) for sub-entries whose alternatives are single words.

    Every one-word English alternative is paired with the first one-word German alternative of
    the same sub-entry: ``Aalfang {m} :: eel fishing`` gives nothing, ``Aas {n}; Aasfleisch {n}
    :: carrion`` gives ("carrion", "aas"). Verbs lose their "to ": ``to triple`` → "triple".
    ``cased``: the German word as the dictionary writes it ("Aas"); the English is lowercased.
    """
    for pair in (split_line(line) for line in lines):
        for de, en in pair or []:
            germans = [
                _one_word(a, lowercase=not cased)
                for a in strip_annotations(de).split("; ")
                if " " not in a
            ]
            german = next((g for g in germans if g), None)
            if german is None:
                continue
            for alternative in strip_annotations(en).split("; "):
                alternative = alternative.removeprefix("to ")
                if " " in alternative:
                    continue
                english = _one_word(alternative)
                if english:
                    yield english, german


def _one_word(text: str, lowercase: bool = True) -> str | None:
    """The token if `text` is exactly one word token, else None."""
    if _PLACEHOLDERS.search(text):
        return None
    tokens = tokenize(text, lowercase)
    return tokens[0] if len(tokens) == 1 and tokens[0] not in PUNCTUATION else None


def pack_words(table: Mapping[str, str]) -> dict[str, str]:
    """A one-word table (English → German) as two space-separated word lists, for a JSON file:
    {"english": "a levy …", "german": "ein Erhebung …"}. Tokens hold no spaces, and the lists
    are about 15% smaller than a JSON object of the same pairs (the translator's full table
    stays under 2 MB for the browser)."""
    words = list(table.items())
    if any(" " in w or not w for pair in words for w in pair):
        raise ValueError("every English and German entry must be one word without spaces")
    return {"english": " ".join(en for en, _ in words), "german": " ".join(de for _, de in words)}


def unpack_words(packed: Mapping[str, str]) -> dict[str, str]:
    """:func:`pack_words` undone; a ValueError if the two lists differ in length."""
    english, german = (
        packed[side].split(" ") if packed[side] else [] for side in ("english", "german")
    )
    return dict(zip(english, german, strict=True))


#: The file a one-word table is kept in beside a model (the translator's ``<unk>`` dictionary).
WORDS_FILE = "dictionary.json"


def write_words(path: str | Path, table: Mapping[str, str]) -> Path:
    """Write ``table`` as :func:`pack_words` lists with the data's licence, atomically, UTF-8
    unescaped ("ü", not "\\u00fc": the translator's full table stays under 2 MB)."""
    payload = {"schema": 1, "licence": LICENCE, "source": f"Ding (Debian {APT_PACKAGE})",
               **pack_words(table)}  # fmt: skip
    with atomic_path(path) as tmp:
        text = json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def read_words(path: str | Path) -> dict[str, str]:
    """The table :func:`write_words` wrote."""
    return unpack_words(json.loads(Path(path).read_text("utf-8")))


# --------------------------------------------------------------------------- phrases

MAX_PHRASE_WORDS = 8


def _phrase(side: str) -> str | None:
    """A sub-entry's first alternative as a clean phrase of 1–8 words, or None."""
    text = strip_annotations(first_alternative(strip_annotations(side))).replace("\u2019", "'")
    if not text or _PLACEHOLDERS.search(text) or len(text.split()) > MAX_PHRASE_WORDS:
        return None
    return text


def phrase_pairs(lines: Iterable[str], exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(English, German) for the dictionary's headwords, inflected forms and short phrases.

    Every sub-entry that is not a sentence pair: its first alternative on each side, 1–8 words,
    without placeholders (``etw.``, ``sb.``); English verbs lose their "to " ("to go" → "go").
    German keeps its case ("Haus"), the extra training data that teaches the model words
    and nouns' capitals. A pair whose English or German side, tokenized, is one of the
    ``exclude`` texts (the validation and test sentences) or contains one is dropped, so no
    held-out sentence reaches training this way; duplicates are kept once.
    """
    banned = {_words(text) for text in exclude}
    seen: set[tuple[str, str]] = set()
    out = []
    for line in lines:
        for de, en in split_line(line) or []:
            clean_de, clean_en = _phrase(de), _phrase(en)
            if not (clean_de and clean_en):
                continue
            clean_en = clean_en.removeprefix("to ")
            if clean_sentence(clean_de) and clean_sentence(clean_en):
                continue  # a sentence pair: load_pairs owns those (and their split)
            key = (normalise(clean_en), " ".join(tokenize(clean_de, lowercase=False)))
            if not key[0] or not key[1] or key in seen:
                continue
            if _overlaps(_words(clean_en), banned) or _overlaps(_words(clean_de), banned):
                continue
            seen.add(key)
            out.append((clean_en, clean_de))
    return out


def _words(text: str) -> str:
    """The lowercased word tokens of `text`, punctuation left out: "My house is big." and
    "my house is big" are the same text to :func:`phrase_pairs`."""
    return " ".join(t for t in tokenize(text) if t not in PUNCTUATION)


def _overlaps(text: str, banned: set[str]) -> bool:
    """Whether `text` (normalised) is a banned sentence or, when it is sentence-long, holds one."""
    words = text.split()
    return any(
        " ".join(words[i:j]) in banned
        for i in range(len(words))
        for j in range(i + min(MIN_WORDS, len(words)), len(words) + 1)
    )


# --------------------------------------------------------------------------- vocabulary


class Vocab:
    """Token ↔ id: 0 padding, 1 unknown, 2 start, 3 end of sentence, then by frequency."""

    SPECIALS = (PAD, UNK, BOS, EOS)

    def __init__(self, words: Sequence[str]) -> None:
        if tuple(words[:4]) != self.SPECIALS:
            raise ValueError(
                f"a vocabulary starts with {', '.join(self.SPECIALS)}; got {list(words[:4])}"
            )
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 2, max_size: int = 4000) -> Vocab:
        """Tokens seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
        return cls.from_counts(Counter(t for text in texts for t in tokenize(text)), min_count,
                               max_size)  # fmt: skip

    @classmethod
    def from_counts(cls, counts: Counter[str], min_count: int = 1, max_size: int = 4000) -> Vocab:
        """Tokens (words or BPE pieces) by their counts, most frequent first."""
        kept = sorted(
            (w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w)
        )
        return cls([*cls.SPECIALS, *kept[: max_size - len(cls.SPECIALS)]])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids (int64); unknown tokens → 1."""
        return np.array([self.index.get(t, 1) for t in tokens], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Token ids → tokens (an id outside the vocabulary is an IndexError)."""
        return [self.words[i] for i in ids]


def main() -> int:
    """``python -m rnn_site.data.ding``: print the number of pairs per split and a few examples."""
    pairs = load_pairs()
    parts = split_pairs(pairs)
    print(", ".join(f"{name} {len(part):,}" for name, part in parts.items()), "pairs")
    for pair in parts["test"][:5]:
        print(f"  {pair.en}  →  {pair.de}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
