"""The application registry is the one list of applications: every entry's slice exists."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from rnn_site import applications, cli
from rnn_site.applications import APPLICATIONS, Application, application, resolve

ROOT = Path(__file__).resolve().parents[1]


def test_names_are_unique_and_match_the_published_model_folders() -> None:
    names = applications.names()
    assert len(names) == len(set(names))
    published = {p.parent.name for p in (ROOT / "models").glob("*/card.json")}
    assert set(names) == published


@pytest.mark.parametrize("app", APPLICATIONS, ids=lambda a: a.name)
def test_every_part_of_the_slice_exists(app: Application) -> None:
    card = json.loads((ROOT / "models" / app.name / "card.json").read_text("utf-8"))
    assert (card["name"], card["task"]) == (app.name, app.task)
    assert resolve(app.data).__name__ == app.data
    assert callable(resolve(app.model)) and callable(resolve(app.trainer))
    assert callable(resolve(app.exporter)) and isinstance(resolve(app.runtime), type)
    example = ROOT / (app.example.replace(".", "/") + ".py")
    assert example.is_file()  # a script: importing it would run it (the tests run it elsewhere)
    if app.bench:
        assert callable(resolve(app.bench))
    if app.verb:
        assert callable(getattr(cli, f"cmd_{app.verb}"))
    page = (ROOT / "docs" / app.page).read_text("utf-8")
    assert f'data-demo="{app.demo}"' in page
    assert (ROOT / "docs/assets/demos" / f"{app.demo}.js").is_file()
    assert app.page in (ROOT / "mkdocs.yml").read_text("utf-8")


def test_the_readme_section_names_every_registry_field() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Add an application", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    assert listed == [f.name for f in fields(Application) if f.name not in ("name", "task")]


def test_an_unknown_name_is_a_typed_error_listing_the_known_ones() -> None:
    with pytest.raises(applications.UnknownApplicationError, match="known: char-lm, char-mingru"):
        application("char_lm")


@pytest.mark.parametrize("app", APPLICATIONS, ids=lambda a: a.name)
def test_the_card_shows_the_runnable_example_not_a_copy(app: Application) -> None:
    from rnn_site.export.cards import example_snippet

    folder = ROOT / "models" / app.name
    card = json.loads((folder / "card.json").read_text("utf-8"))
    module = ROOT / (app.example.replace(".", "/") + ".py")
    shown = card["usage"]["python"]
    assert shown == example_snippet(app.name)
    assert shown in module.read_text("utf-8")
    assert f'.load("{app.name}")' in shown, "the example must load this application's model"
    assert shown in (folder / "README.md").read_text("utf-8")
