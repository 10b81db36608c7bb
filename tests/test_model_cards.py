"""Model cards: each published README is exactly what the card renders to, and the contract
text names the axes the graphs really declare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_site.export.cards import dynamic_axes_text, render_readme

MODELS = Path(__file__).resolve().parents[1] / "models"
CARDS = sorted(MODELS.glob("*/card.json"))


@pytest.mark.parametrize("card_path", CARDS, ids=lambda p: p.parent.name)
def test_published_readme_is_rendered_from_its_card(card_path: Path) -> None:
    card = json.loads(card_path.read_text("utf-8"))
    readme = (card_path.parent / "README.md").read_text("utf-8")
    assert readme == render_readme(card), (
        f"{card_path.parent.name}/README.md is stale: re-export the model or call "
        "rnn_site.export.cards.update_card"
    )


def test_dynamic_axes_come_from_the_declared_shapes() -> None:
    io = {
        "opset": 17,
        "encoder": {
            "inputs": {"tokens": {"dtype": "int64", "shape": ["batch", "src"]}},
            "outputs": {"memory": {"dtype": "float32", "shape": ["batch", "src", 128]}},
        },
        "decoder": {
            "inputs": {"prev": {"dtype": "int64", "shape": ["batch"]}},
            "outputs": {"log_probs": {"dtype": "float32", "shape": ["batch", 4000]}},
        },
    }
    assert dynamic_axes_text(io) == "`batch` and `src` are dynamic axes."
    one = {"step": {"inputs": {"x": {"shape": ["batch", 3]}}, "outputs": {}}}
    assert dynamic_axes_text(one) == "`batch` is a dynamic axis."
    assert dynamic_axes_text({"step": {"inputs": {"x": {"shape": [1, 3]}}}}) == (
        "All shapes are fixed."
    )


def test_every_card_declares_at_least_one_dynamic_axis() -> None:
    for card_path in CARDS:
        card = json.loads(card_path.read_text("utf-8"))
        assert "dynamic" in dynamic_axes_text(card["io"]), card_path.parent.name
