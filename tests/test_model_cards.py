"""Model cards: each published README is exactly what the card renders to, the contract
text names the axes the graphs really declare, and the card's words come from its prose file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rnn_site.card import CardNotes
from rnn_site.export.card_text import PROSE_DIR, CardProse
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


@pytest.mark.parametrize("card_path", CARDS, ids=lambda p: p.parent.name)
def test_the_data_licence_ends_once(card_path: Path) -> None:
    """The README template ends the data licence's sentence itself ("Licence: ….", "Training
    data: …."): a licence text ending in a period would print two."""
    card = json.loads(card_path.read_text("utf-8"))
    licence = card["data"]["licence"]
    assert not licence.endswith("."), f"{card_path.parent.name}: {licence[-30:]!r}"
    assert f"{licence}.." not in render_readme(card)


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


# ------------------------------------------------------------------ prose from text files


def _prose(name: str, card: dict, log: dict) -> CardProse:
    """The card prose each exporter writes, built from its prose file and the published inputs
    (the card's vocabulary and config, the training log beside it)."""
    from rnn_site.data.chorales import MelodyVocab
    from rnn_site.export import (
        char_lm,
        char_mingru,
        melody,
        sentiment,
        speech,
        translator,
        ts_forecaster,
    )

    bpe = card.get("tokenizer", {}).get("target", {}).get("pieces") == "bpe"
    build: dict[str, Callable[[], CardProse]] = {
        "char-lm": lambda: char_lm.char_lm_prose(card["vocab"], card["config"], log),
        "char-mingru": lambda: char_mingru.char_mingru_prose(card["vocab"], card["config"]),
        "sentiment": lambda: sentiment.sentiment_prose(card["vocab"], log),
        "translator": lambda: translator.translator_prose(card["vocab"], bpe, log),
        "speech": lambda: speech.speech_prose(log),
        "melody": lambda: melody.melody_prose(MelodyVocab(card["tokens"]), card["config"], log),
        "ts-forecaster": lambda: ts_forecaster.forecaster_prose(log),
    }
    return build[name]()


@pytest.mark.parametrize("card_path", CARDS, ids=lambda p: p.parent.name)
def test_card_prose_comes_from_its_text_file(card_path: Path) -> None:
    """Re-building the prose from rnn_site/export/prose/<name>.md and the published inputs
    gives exactly the published card's words: the text files are the source, not a copy."""
    pytest.importorskip("torch")  # the exporters import torch; the prose itself does not
    card = json.loads(card_path.read_text("utf-8"))
    log = json.loads((card_path.parent / "metrics.json").read_text("utf-8"))
    prose = _prose(card["name"], card, log)
    for key in (*CardNotes.__annotations__, "title", "summary", "licence"):
        if key in prose:
            assert prose[key] == card[key], key  # type: ignore[literal-required]
    data = prose.get("data", {})
    for key, text in data.items():
        assert text == card["data"][key], f"data.{key}"
    if card["name"] == "char-mingru":  # its data and example texts are char-lm's
        data = _prose("char-lm", card, log).get("data", {})
    assert data["split_note"] == card["data"]["split_note"]
    assert {"intended_use", "limits", "preprocessing"} <= set(prose)


def test_every_application_has_a_prose_file_and_no_other_is_left() -> None:
    from rnn_site.applications import APPLICATIONS

    files = {p.stem for p in PROSE_DIR.glob("*.md")}
    assert {a.name for a in APPLICATIONS} | {"char-lm-folder"} == files


#: The models whose card a refresh writes again from the folder's log (`refresh_card`).
REFRESHED = ("speech", "ts-forecaster", "char-mingru")


@pytest.mark.parametrize("name", REFRESHED)
def test_a_refresh_keeps_the_version_and_commit_the_card_records(name: str, tmp_path: Path) -> None:
    """A refresh rewrites the card from the log without exporting the graphs again, so the
    card must keep the version and commit its graphs were exported with, not today's
    exporter's ``VERSION`` (speech and ts-forecaster once restamped it). A copy of the
    published folder whose card records an older version and another commit keeps both; the
    published folders are not touched."""
    import importlib
    import shutil

    pytest.importorskip("torch")
    refresh_card = importlib.import_module(f"rnn_site.export.{name.replace('-', '_')}").refresh_card
    folder = tmp_path / "models" / name
    shutil.copytree(MODELS / name, folder)
    if name == "char-mingru":  # its card's LSTM row is char-lm's card as it is now
        (tmp_path / "models" / "char-lm").mkdir()
        shutil.copy(MODELS / "char-lm" / "card.json", tmp_path / "models" / "char-lm")
    card = json.loads((folder / "card.json").read_text("utf-8"))
    assert card["version"] == "1.0.0"  # today's VERSION: an unkept version would read so
    older = {**card, "version": "0.9.0", "source_commit": "0123abc"}
    (folder / "card.json").write_text(json.dumps(older), "utf-8")
    log = (folder / "metrics.json").read_bytes()
    refresh_card(folder)
    refreshed = json.loads((folder / "card.json").read_text("utf-8"))
    assert (refreshed["version"], refreshed["source_commit"]) == ("0.9.0", "0123abc")
    assert (folder / "metrics.json").read_bytes() == log


def test_a_refresh_needs_a_card_and_its_log(tmp_path: Path) -> None:
    """Nothing to refresh without card.json or metrics.json (a training run's folder):
    FileNotFoundError before anything is staged."""
    from rnn_site.export.steps import start_refresh

    with pytest.raises(FileNotFoundError), start_refresh("speech", tmp_path):
        pass
    (tmp_path / "card.json").write_text(json.dumps({"version": "1.0.0"}), "utf-8")
    with (
        pytest.raises(FileNotFoundError, match=r"no metrics\.json in"),
        start_refresh("speech", tmp_path),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.json"]
