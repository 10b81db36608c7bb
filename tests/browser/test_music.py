"""The music demo in real headless Chromium, on the real built site: generate, play, download."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from rnn_site.bench.browser import set_range
from rnn_site.data.chorales import Event
from rnn_site.runtime.melody import MelodyModel

pytestmark = pytest.mark.browser

PAGE = "applications/music/"
DEMO = "[data-demo=music]"


@pytest.fixture
def melody(built_site: Path) -> MelodyModel:
    """The Python runtime on the very files the site serves."""
    return MelodyModel.load(built_site / "models" / "melody")


def open_demo(page: Any, site_url: str) -> None:
    page.goto(site_url + PAGE)
    page.wait_for_function(
        "['ready', 'error'].includes(document.querySelector('[data-demo=music]').dataset.state)",
        timeout=60_000,
    )
    assert page.get_attribute(DEMO, "data-state") == "ready", page.text_content("[role=alert]")


def generate(page: Any, *, length: int, temperature: float, seed: int = 1) -> str:
    page.fill("#music-length", str(length))
    page.fill("#music-seed", str(seed))
    set_range(page, "#music-temperature", temperature)
    page.click(f"{DEMO} button[type=submit]")
    page.wait_for_function(
        "['done', 'error'].includes(document.querySelector('[data-demo=music]').dataset.state)",
        timeout=60_000,
    )
    return str(page.get_attribute(DEMO, "data-state"))


def events(page: Any) -> list[list[Any]]:
    return json.loads(page.get_attribute(DEMO, "data-events"))


def test_keyboard_seed_greedy_matches_python_plays_and_downloads_midi(
    page, site_url, page_log, melody, tmp_path
):
    mido = pytest.importorskip("mido")
    open_demo(page, site_url)
    for pitch in (72, 71, 69):
        page.click(f"{DEMO} button[data-pitch='{pitch}']")
    assert "C5:1 B4:1 A4:1" in page.text_content("[data-role=seed]")
    assert generate(page, length=24, temperature=0) == "done", page.text_content("[role=alert]")

    seed = [Event(p, 1.0) for p in (72, 71, 69)]
    expected = melody.generate(seed, 24, temperature=0)
    assert events(page) == [[e.pitch, e.duration, int(e.fermata)] for e in expected]
    assert page.locator(f"{DEMO} svg.rnn-roll rect").count() == sum(
        e.pitch is not None for e in seed + expected
    )

    page.click(f"{DEMO} [data-role=play]")
    assert page.get_attribute(DEMO, "data-playing") == "true"
    page.click(f"{DEMO} [data-role=stop]")
    assert page.get_attribute(DEMO, "data-playing") == "false"

    with page.expect_download() as info:
        page.click(f"{DEMO} [data-role=download]")
    path = tmp_path / "melody.mid"
    info.value.save_as(path)
    assert info.value.suggested_filename == "melody.mid"
    data = path.read_bytes()
    assert data == melody.to_midi(seed + expected)  # the browser writes the Python bytes
    midi = mido.MidiFile(file=io.BytesIO(data))
    notes = [m.note for m in midi.tracks[0] if m.type == "note_on"]
    assert notes == [e.pitch for e in seed + expected if e.pitch is not None]
    assert page_log.page_errors == [] and page_log.console_errors == []


def test_chorale_seed_samples_reproducibly(page, site_url, page_log):
    open_demo(page, site_url)
    assert page.eval_on_selector("#music-source", "el => el.value") == "0"  # first test chorale
    runs = []
    for seed in (5, 5, 6):
        assert generate(page, length=32, temperature=1.0, seed=seed) == "done"
        runs.append(events(page))
    assert runs[0] == runs[1] != runs[2]
    assert len(runs[0]) == 32
    assert page_log.page_errors == []


def test_bad_settings_show_a_message_not_a_crash(page, site_url, page_log):
    open_demo(page, site_url)
    assert generate(page, length=0, temperature=1.0) == "error"
    assert "Length must be a whole number from 1 to 256" in page.text_content("[role=alert]")
    assert page_log.page_errors == []
