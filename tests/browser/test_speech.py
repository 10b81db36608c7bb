"""The speech demo in real headless Chromium on the built site: a shipped clip heard as Python
hears it, a denied microphone and bad files shown as messages, and no foreign requests."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from demo_helpers import assert_clean, unlabelled_controls, wait_state

from rnn_site.data.audio import read_wav
from rnn_site.runtime.speech import SpeechRecognizer

pytestmark = pytest.mark.browser

PAGE = "applications/speech/"
DEMO = "[data-demo=speech]"


@pytest.fixture
def recognizer(built_site: Path) -> SpeechRecognizer:
    return SpeechRecognizer.load(built_site / "models" / "speech")


def wait_change(page: Any, before: tuple[str, str]) -> str:
    """Wait until a new result or a new error is shown; return the state."""
    updates, errors = before
    page.wait_for_function(
        f"(d => (d.dataset.updates ?? '0') !== '{updates}' "
        f"|| (d.dataset.errors ?? '0') !== '{errors}')(document.querySelector('{DEMO}'))",
        timeout=30_000,
    )
    return str(page.get_attribute(DEMO, "data-state"))


def counters(page: Any) -> tuple[str, str]:
    return (
        page.get_attribute(DEMO, "data-updates") or "0",
        page.get_attribute(DEMO, "data-errors") or "0",
    )


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.round(samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def test_each_shipped_clip_is_heard_as_python_hears_it(page, site_url, page_log, recognizer):
    page.goto(site_url + PAGE)
    assert wait_state(page, DEMO) == "done", page.text_content(f"{DEMO} [role=alert]")
    samples = recognizer.card["samples"]
    wavs = [i for i, s in enumerate(samples) if s["file"].endswith(".wav")]
    assert len(wavs) >= 2
    for index in wavs[:3]:
        before = counters(page)
        page.select_option("#speech-sample", str(index))
        page.focus(f"{DEMO} button[type=submit]")
        page.keyboard.press("Enter")  # the focused Transcribe button, from the keyboard
        assert wait_change(page, before) == "done"
        shown = json.loads(page.get_attribute(DEMO, "data-result"))
        waveform, rate = read_wav(recognizer.location.path("samples/" + samples[index]["file"]))
        expected = recognizer.transcribe(waveform, rate)
        assert shown["source"] == samples[index]["file"]
        assert shown["samples"] == len(waveform)
        assert shown["text"] == expected.text
        np.testing.assert_allclose(shown["posteriors"], expected.posteriors, atol=1e-3)
        heard = page.inner_text(f"{DEMO} [data-role=text]")
        assert heard == (expected.text or "(nothing)")
    assert page.locator(f"{DEMO} canvas").count() == 2
    assert_clean(page_log, site_url)


def test_real_recording_is_decoded_and_transcribed(page, site_url, page_log, recognizer):
    samples = recognizer.card["samples"]
    real = [i for i, s in enumerate(samples) if s["file"].endswith(".ogg")]
    if not real:
        pytest.skip("no real recording shipped (klettres-data was not installed at export)")
    page.goto(site_url + PAGE)
    assert wait_state(page, DEMO) == "done"
    before = counters(page)
    page.select_option("#speech-sample", str(real[0]))
    page.click(f"{DEMO} button[type=submit]")
    assert wait_change(page, before) == "done"
    shown = json.loads(page.get_attribute(DEMO, "data-result"))
    assert shown["steps"] > 5 and 0.3 * 16_000 < shown["samples"] < 5 * 16_000
    assert not page_log.page_errors and not page_log.console_errors


def test_denied_microphone_shows_a_message(page, site_url, page_log):
    page.goto(site_url + PAGE)
    assert wait_state(page, DEMO) == "done"
    page.evaluate(
        "() => { navigator.mediaDevices.getUserMedia = () => Promise.reject("
        "new DOMException('Permission denied', 'NotAllowedError')); }"
    )
    before = counters(page)
    page.get_by_role("button", name="Record 4 s").click()
    assert wait_change(page, before) == "error"
    assert "Microphone access was denied" in page.inner_text(f"{DEMO} [role=alert]")
    page.evaluate(
        "() => { navigator.mediaDevices.getUserMedia = () => Promise.reject("
        "new DOMException('Requested device not found', 'NotFoundError')); }"
    )
    before = counters(page)
    page.get_by_role("button", name="Record 4 s").click()
    assert wait_change(page, before) == "error"
    assert "No microphone was found" in page.inner_text(f"{DEMO} [role=alert]")
    assert not page_log.page_errors


def test_bad_files_are_shown_and_the_demo_recovers(page, site_url, page_log, tmp_path):
    page.goto(site_url + PAGE)
    assert wait_state(page, DEMO) == "done"
    cases = [
        ("notes.txt", b"this is not audio", "could not be decoded"),
        ("long.wav", wav_bytes(np.zeros(31 * 8000), 8000), "Too long"),
        ("blip.wav", wav_bytes(np.zeros(100), 16000), "Too short"),
    ]
    for name, data, message in cases:
        path = tmp_path / name
        path.write_bytes(data)
        before = counters(page)
        page.set_input_files("#speech-file", str(path))
        assert wait_change(page, before) == "error", name
        assert message in page.inner_text(f"{DEMO} [role=alert]"), name
    before = counters(page)
    page.click(f"{DEMO} button[type=submit]")
    assert wait_change(page, before) == "done"
    assert page.inner_text(f"{DEMO} [role=alert]").strip() == ""
    assert not page_log.page_errors


def test_demo_fits_a_phone_screen(page, site_url):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(site_url + PAGE)
    assert wait_state(page, DEMO) == "done"
    width = page.evaluate(f"document.querySelector('{DEMO}').scrollWidth")
    assert width <= 375
    assert unlabelled_controls(page, DEMO) == []
