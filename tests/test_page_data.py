"""Numbers from models reach pages through one placeholder, never typed by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rnn_site.sitebuild.page_data import PageDataError, lookup, render_data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    (tmp_path / "char-lm").mkdir()
    card = {"metrics": {"char-lm": {"test_bpc": 1.98765}}, "config": {"hidden_size": 288}}
    (tmp_path / "char-lm" / "card.json").write_text(json.dumps(card))
    log = {"history": [{"step": 2000, "val_bpc": 2.2312}], "parameters": 430321}
    (tmp_path / "char-lm" / "metrics.json").write_text(json.dumps(log))
    return tmp_path


def test_placeholders_become_formatted_values(models: Path) -> None:
    page = (
        "LSTM <!-- data:char-lm:card.metrics.char-lm.test_bpc:.3f --> bits, "
        "<!-- data:char-lm:card.config.hidden_size --> units, "
        "<!-- data:char-lm:metrics.parameters:, --> parameters, "
        "<!-- data:char-lm:metrics.history.0.val_bpc:.1% -->."
    )
    assert render_data(page, models) == "LSTM 1.988 bits, 288 units, 430,321 parameters, 223.1%."


@pytest.mark.parametrize(
    ("placeholder", "message"),
    [
        ("<!-- data:char-lm:card.metrics.lstm.test_bpc -->", "char-lm/card.json has no"),
        ("<!-- data:melody:card.name -->", "no card.json for model 'melody'"),
        ("<!-- data:char-lm:card.config:.3f -->", "cannot format"),
    ],
)
def test_a_wrong_placeholder_fails_the_build_naming_it(
    models: Path, placeholder: str, message: str
) -> None:
    with pytest.raises(PageDataError, match=message):
        render_data(placeholder, models)


def test_lookup_reads_the_published_cards() -> None:
    assert lookup("char-lm", "card", "name") == "char-lm"


def _numbers(tree: Any) -> list[float]:
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _numbers(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in _numbers(v)]
    return [tree] if isinstance(tree, float) else []


def test_no_page_types_a_published_models_score() -> None:
    """Every score of every card, as a page would print it (0.766, 2.16, 41.8%), must not appear
    in a page's source: it has to come from a placeholder, so it follows the next export."""
    forms: dict[str, str] = {}
    for card_path in (ROOT / "models").glob("*/card.json"):
        card = json.loads(card_path.read_text("utf-8"))
        for value in _numbers(card.get("metrics", {})) + _numbers(card.get("baselines", {})):
            for text in (f"{value:.3f}", f"{value:.2f}", f"{100 * value:.1f}%"):
                if len(text.strip("0.%")) >= 3:  # "0.00" or "5%" would match anything
                    forms[text] = card["name"]
    typed = []
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text("utf-8")
        for form, model in forms.items():
            if re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", text):
                typed.append(f"{page.relative_to(ROOT)}: {form} ({model})")
    assert typed == []
