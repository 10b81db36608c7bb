"""Card prose as text: one Markdown file per application, ``rnn_site/export/prose/<name>.md``.

The words a card says (title, summary, intended use, file notes, preprocessing, contract
notes, metrics note, limits, the data's provenance) are text a writer edits, so they live in a
text file rather than in the exporter's code. The exporter fills the file's placeholders with
figures from the model and its training log; the same inputs always give the same card.

The format, chosen to read well as Markdown:

- ``## key`` starts a section; a dotted key nests (``## file_notes.step`` is
  ``file_notes["step"]``). A key starting with ``_`` is a fragment: not a card field, but
  text the exporter picks for a placeholder (for example one of two wordings).
- Lines of a paragraph are joined with single spaces, so the file can wrap at any width;
  paragraphs are separated by a blank line. A fenced code block (```) and table rows (``|``)
  keep their line breaks.
- A section whose body starts with ``- `` is a list (``limits``); an item's wrapped lines are
  indented.
- ``{{ name }}`` is replaced by the exporter's value ``name`` (text); an unknown name is an
  error, so a typo cannot reach a card.
- An HTML comment (``<!-- … -->``) before the first section says what the file is for.
"""

# No `from __future__ import annotations`: on Python 3.11 a TypedDict sees NotRequired[...]
# only in evaluated annotations, and the JSON Schema's "required" lists depend on it.

import functools
import re
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from rnn_site.card import CardNotes

PROSE_DIR = Path(__file__).with_name("prose")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class CardProseError(ValueError):
    """A prose file is malformed, lacks a section, or names a value the exporter did not give."""


class DataProse(TypedDict):
    """The data record's texts (``name`` and the others where they are words, not values)."""

    split_note: str
    name: NotRequired[str]
    description: NotRequired[str]
    source_package: NotRequired[str]
    licence: NotRequired[str]


class CardProse(CardNotes):
    """Every prose field of a card, as `CardText.prose` returns it."""

    title: str
    summary: str
    data: NotRequired[DataProse]
    licence: NotRequired[str]


def _paragraphs(body: str) -> str:
    """Join wrapped lines into paragraphs; keep code fences and table rows line by line."""
    blocks: list[str] = []
    lines: list[str] = []
    fence = False

    def flush() -> None:
        if lines:
            blocks.append(" ".join(line.strip() for line in lines))
            lines.clear()

    for line in body.split("\n"):
        if fence or line.startswith("```"):
            flush()
            if line.startswith("```") and fence:
                blocks[-1] += "\n" + line
                fence = False
            elif fence:
                blocks[-1] += "\n" + line
            else:
                blocks.append(line)
                fence = True
        elif line.startswith("|"):
            flush()
            if blocks and blocks[-1].startswith("|"):
                blocks[-1] += "\n" + line
            else:
                blocks.append(line)
        elif line.strip():
            lines.append(line)
        else:
            flush()
    flush()
    return "\n\n".join(blocks)


def _items(body: str) -> list[str]:
    """A ``- item`` list, items' wrapped (indented) lines joined with spaces."""
    items: list[list[str]] = []
    for line in body.split("\n"):
        if line.startswith("- "):
            items.append([line[2:]])
        elif line.strip():
            items[-1].append(line.strip())
    return [" ".join(item) for item in items]


class CardText:
    """One application's prose file, parsed into raw sections."""

    def __init__(self, name: str, sections: dict[str, str]) -> None:
        self.name = name
        self.sections = sections

    @classmethod
    def parse(cls, name: str, text: str) -> "CardText":
        """Split ``text`` at its ``## key`` lines (text before the first is a comment)."""
        parts = re.split(r"^## +(\S+) *$", text, flags=re.MULTILINE)
        sections = {
            key: body.strip("\n") for key, body in zip(parts[1::2], parts[2::2], strict=True)
        }
        if len(sections) != len(parts) // 2:
            raise CardProseError(f"prose file {name!r} has a section twice")
        return cls(name, sections)

    def _body(self, key: str) -> str:
        if key not in self.sections:
            raise CardProseError(
                f"prose file {self.name!r} has no section {key!r}; it has {sorted(self.sections)}"
            )
        return self.sections[key]

    def _fill(self, text: str, key: str, values: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise CardProseError(
                    f"section {key!r} of prose file {self.name!r} needs a value {name!r}"
                )
            return values[name]

        return _PLACEHOLDER.sub(value, text)

    def text(self, key: str, **values: str) -> str:
        """One section (a field or a ``_fragment``) as text, placeholders filled."""
        return self._fill(_paragraphs(self._body(key)), key, values)

    def items(self, key: str, **values: str) -> list[str]:
        """One list section (``- item`` lines), placeholders filled."""
        return [self._fill(item, key, values) for item in _items(self._body(key))]

    def fields(self, **values: str) -> dict[str, object]:
        """Every non-fragment section, nested by dotted key (lists where the body is one)."""
        out: dict[str, object] = {}
        for key, body in self.sections.items():
            if key.startswith("_"):
                continue
            *parents, leaf = key.split(".")
            target = out
            for part in parents:
                target = cast(dict[str, object], target.setdefault(part, {}))
            is_list = body.startswith("- ")
            target[leaf] = self.items(key, **values) if is_list else self.text(key, **values)
        return out

    def prose(self, **values: str) -> CardProse:
        """The card's prose fields; raises CardProseError if a required one is missing."""
        fields = self.fields(**values)
        missing = [k for k in CardProse.__required_keys__ if k not in fields]
        data = fields.get("data")
        if isinstance(data, dict):
            missing += [f"data.{k}" for k in DataProse.__required_keys__ if k not in data]
        if missing:
            raise CardProseError(f"prose file {self.name!r} lacks {sorted(missing)}")
        return cast(CardProse, fields)


@functools.cache
def card_text(name: str, prose_dir: Path = PROSE_DIR) -> CardText:
    """The parsed prose file of application ``name`` (``prose/<name>.md``)."""
    path = prose_dir / f"{name}.md"
    if not path.is_file():
        raise CardProseError(f"no card prose for {name!r}: expected {path}")
    return CardText.parse(name, path.read_text("utf-8"))
