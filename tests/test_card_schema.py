"""The typed card: card.schema.json is generated from rnn_site/card.py, and every published
card.json validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from rnn_site.card import CARD_TYPES, SCHEMA_PATH, card_schema, schema_text

MODELS = Path(__file__).resolve().parents[1] / "models"
CARDS = sorted(MODELS.glob("*/card.json"))


def test_schema_file_is_generated_from_the_types() -> None:
    assert SCHEMA_PATH.read_text("utf-8") == schema_text(), (
        "rnn_site/card.schema.json is stale: run `python -m rnn_site.card`"
    )
    Draft202012Validator.check_schema(card_schema())


@pytest.mark.parametrize("card_path", CARDS, ids=lambda p: p.parent.name)
def test_published_card_validates(card_path: Path) -> None:
    card = json.loads(card_path.read_text("utf-8"))
    assert card["task"] in CARD_TYPES
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft202012Validator(card_schema()).iter_errors(card)
    ]
    assert errors == []


def test_schema_rejects_what_a_reader_would_trip_on() -> None:
    """A missing field, a wrong type, an unknown task and a stray key are each refused."""
    card = json.loads((MODELS / "char-lm" / "card.json").read_text("utf-8"))
    validator = Draft202012Validator(card_schema())
    assert validator.is_valid(card)
    assert not validator.is_valid({k: v for k, v in card.items() if k != "vocab"})
    assert not validator.is_valid({**card, "vocab": list(card["vocab"])})
    assert not validator.is_valid({**card, "task": "image-generation"})
    assert not validator.is_valid({**card, "metrics": {"char-lm": {"val_bpc": "low"}}})
    assert not validator.is_valid({**card, "vocabulary": card["vocab"]})


def test_the_card_type_needs_neither_torch_nor_numpy() -> None:
    """The runtime and the site build read cards: the type must import with neither."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "sys.modules['numpy'] = None\n"
        "from rnn_site.card import Card, card_schema\n"
        "assert card_schema()['oneOf']\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
