"""Card prose files (rnn_site/export/card_text.py): how a Markdown section becomes card text,
and that a mistake in a file or an exporter is an error naming it, never a silent card."""

from __future__ import annotations

import pytest

from rnn_site.export.card_text import PROSE_DIR, CardProseError, CardText, card_text
from rnn_site.export.cards import recipe_command

SAMPLE = """\
<!-- what this file is for -->

## title
A {{ kind }}
model

## file_notes.step
one step.

## preprocessing
Wrapped lines
join with spaces.

```
{{ code }}
  kept as is
```

| a | b |
|---|---|

{{ table }}

## limits
- First, wrapped
  onto two lines.
- Second with {{ kind }}.

## _fragment.yes
It is {{ kind }}.
"""


def test_sections_become_fields_with_paragraphs_fences_tables_and_lists() -> None:
    text = CardText.parse("sample", SAMPLE)
    fields = text.fields(kind="tiny", code='"x"', table="| c |\n| d |")
    assert fields == {
        "title": "A tiny model",
        "file_notes": {"step": "one step."},
        "preprocessing": (
            'Wrapped lines join with spaces.\n\n```\n"x"\n  kept as is\n```\n\n'
            "| a | b |\n|---|---|\n\n| c |\n| d |"
        ),
        "limits": ["First, wrapped onto two lines.", "Second with tiny."],
    }
    assert text.text("_fragment.yes", kind="small") == "It is small."


def test_a_missing_value_section_or_field_is_an_error_that_names_it() -> None:
    text = CardText.parse("sample", SAMPLE)
    with pytest.raises(CardProseError, match="section 'title' of prose file 'sample' needs"):
        text.fields(code="", table="")
    with pytest.raises(CardProseError, match="has no section '_other'"):
        text.text("_other")
    with pytest.raises(CardProseError, match=r"lacks .*'intended_use'"):
        text.prose(kind="k", code="", table="")
    with pytest.raises(CardProseError, match="section twice"):
        CardText.parse("twice", "## title\na\n\n## title\nb\n")
    with pytest.raises(CardProseError, match="no card prose for 'nope'"):
        card_text("nope")


def test_placeholder_values_are_not_read_as_placeholders_again() -> None:
    text = CardText.parse("braces", "## title\n{{ a }} and {b} y_{t-m}\n")
    assert text.text("title", a="{{ b }}") == "{{ b }} and {b} y_{t-m}"


@pytest.mark.parametrize("path", sorted(PROSE_DIR.glob("*.md")), ids=lambda p: p.stem)
def test_every_prose_file_parses_and_starts_with_a_comment(path) -> None:
    source = path.read_text("utf-8")
    assert source.startswith("<!--"), "say in a comment what the file is for and who fills it"
    sections = card_text(path.stem).sections
    assert {"title", "summary", "limits"} <= set(sections)
    assert all(body.strip() for body in sections.values()), "an empty section"


def test_the_recorded_command_loses_only_its_output_folder() -> None:
    recorded = "rnn-site train ts-forecaster --quick --out-dir /tmp/x --no-progress"
    assert recipe_command(recorded) == "rnn-site train ts-forecaster --quick --no-progress"
    assert recipe_command("rnn-site train char-lm --out-dir=/tmp/x --steps 5") == (
        "rnn-site train char-lm --steps 5"
    )
    assert recipe_command("rnn-site train char-lm --text 'my file.txt'") == (
        "rnn-site train char-lm --text 'my file.txt'"
    )
    assert recipe_command(None) is None
