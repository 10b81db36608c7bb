"""Any UTF-8 text file as training data for a character model: read, checked, split, encoded.

The reader's own text is the whole point, so every way it can be unusable gets a message that
says what is wrong and how to fix it (`UserTextError`, one line on the command line):

- a missing or unreadable file;
- bytes that are not UTF-8 (the message names the first bad byte's offset and line);
- a text too short to learn anything from (the message says how many characters are needed).

The split keeps the text's order: the first 90% trains, the last 10% is held out, its first half
for validation and its second half for test. A contiguous tail, not a random sample of lines, so
no sentence of the held-out part was seen in training (lines of a book are not independent).

The vocabulary comes from the training part: characters seen at least ``min_count`` times, at
most ``max_vocab`` of them (the most frequent). Every other character, in any split, becomes
one symbol, ``UNKNOWN`` ("�", U+FFFD), so a held-out character never seen in training is still
a character the model can read, and a text in a script with thousands of characters still gives
a small output layer. Windows line endings become ``\\n`` and a UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

#: The one symbol that stands for every character outside the vocabulary.
UNKNOWN = "\ufffd"
#: Fewer characters than this cannot fill a training window and a held-out part worth scoring.
MIN_CHARS = 5_000
#: Fraction of the text (its end) held out: half validation, half test.
HELD_OUT = 0.10
#: A character seen fewer times than this in the training part becomes UNKNOWN.
MIN_COUNT = 2
#: At most this many characters (plus UNKNOWN) keep their own id: the output layer stays small.
MAX_VOCAB = 255


class UserTextError(ValueError):
    """The text file cannot be used for training; the message says why and what to do."""


class TextFileError(UserTextError):
    """The file is missing or cannot be read."""


class NotUtf8Error(UserTextError):
    """The file's bytes are not UTF-8; ``offset`` is the first bad byte (0-based)."""

    def __init__(self, path: Path, offset: int, byte: int, line: int) -> None:
        self.offset, self.byte, self.line = offset, byte, line
        super().__init__(
            f"{path} is not UTF-8 text: byte {offset:,} (0x{byte:02x}, on line {line}) cannot "
            "be decoded; save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.txt > "
            "out.txt`) and try again"
        )


class TextTooShortError(UserTextError):
    """Too few characters to train on and to hold out a validation and test part."""


@dataclass(frozen=True)
class UserText:
    """A text split for training, with its vocabulary.

    ``vocab`` holds the kept characters in code-point order and ``UNKNOWN``; a character's id is
    its position. ``train``/``val``/``test`` are the original text's parts with every character
    outside the vocabulary already replaced by ``UNKNOWN``. ``unknown_chars`` counts, per
    original character, how often it was replaced over the whole text (for the model card).
    """

    name: str
    train: str
    val: str
    test: str
    vocab: str
    unknown_chars: dict[str, int]
    source_bytes: int

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def characters(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def encode(self, text: str) -> list[int]:
        """Characters → ids; anything outside the vocabulary is UNKNOWN's id."""
        index = {ch: i for i, ch in enumerate(self.vocab)}
        unknown = index[UNKNOWN]
        return [index.get(ch, unknown) for ch in text]


def read_text(path: str | os.PathLike[str]) -> str:
    """The file decoded as UTF-8 (BOM dropped, CRLF → LF), or a `UserTextError` saying why not."""
    path = Path(path)
    if not path.exists():
        raise TextFileError(f"no file at {path}; give the path of a UTF-8 text file")
    if not path.is_file():
        raise TextFileError(f"{path} is not a file; give the path of a UTF-8 text file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TextFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # utf-8-sig skips a 3-byte BOM before decoding, so offsets count from after it.
        offset = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        raise NotUtf8Error(path, offset, data[offset], data.count(b"\n", 0, offset) + 1) from None
    return text.replace("\r\n", "\n")


def build_vocab(train: str, min_count: int = MIN_COUNT, max_vocab: int = MAX_VOCAB) -> str:
    """The characters of ``train`` seen ``min_count`` times or more (the ``max_vocab`` most
    frequent, ties by code point), in code-point order, with UNKNOWN among them."""
    counts = Counter(train)
    counts.pop(UNKNOWN, None)
    frequent = sorted((-n, ch) for ch, n in counts.items() if n >= min_count)[:max_vocab]
    return "".join(sorted({ch for _, ch in frequent} | {UNKNOWN}))


def split_text(
    text: str,
    name: str = "text",
    *,
    min_chars: int = MIN_CHARS,
    min_count: int = MIN_COUNT,
    max_vocab: int = MAX_VOCAB,
    source_bytes: int | None = None,
) -> UserText:
    """Split ``text`` into train (first 90%), validation and test (each half of the last 10%)."""
    if len(text) < min_chars:
        raise TextTooShortError(
            f"{name} has {len(text):,} characters; at least {min_chars:,} are needed to learn "
            f"from (90% to train on, 10% held out to measure the model), and 100,000 or more "
            "give a model that writes recognisable words"
        )
    n_train = int(len(text) * (1 - HELD_OUT))
    n_val = (len(text) - n_train) // 2
    vocab = build_vocab(text[:n_train], min_count, max_vocab)
    known = set(vocab)
    unknown_chars = Counter(ch for ch in text if ch not in known)

    def mapped(part: str) -> str:
        return "".join(ch if ch in known else UNKNOWN for ch in part)

    return UserText(
        name=name,
        train=mapped(text[:n_train]),
        val=mapped(text[n_train : n_train + n_val]),
        test=mapped(text[n_train + n_val :]),
        vocab=vocab,
        unknown_chars=dict(unknown_chars.most_common()),
        source_bytes=len(text.encode("utf-8")) if source_bytes is None else source_bytes,
    )


def load_user_text(path: str | os.PathLike[str], **options: int) -> UserText:
    """Read, check and split a UTF-8 text file (see the module docstring for the rules)."""
    path = Path(path)
    text = read_text(path)
    return split_text(text, path.name, source_bytes=path.stat().st_size, **options)
