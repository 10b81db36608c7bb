"""The speech demo's microphone, for real: Chromium plays a KLettres recording (a real person,
converted to a 48 kHz WAV) as its microphone, the test presses *Record*, and the transcript must
be the one the file path gives for the same WAV, which must be Python's. Also: the browser's
resampler (48 kHz → 16 kHz) against Python's, and the silence around the word cut in both.

One browser of its own (the fake-microphone flags apply to a whole browser), shared by the
tests here. Chromium loops the file, so the WAV is the word and its own silence padded to
``LOOP_S``: longer than the 4 s recording, so a recording holds the word once.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from demo_helpers import assert_clean, call_module, open_demo, site_model
from skips import skip_locally_fail_in_ci

from rnn_site.bench.browser import CHROMIUM_ARGS
from rnn_site.data.audio import decode_ogg, resample, write_wav
from rnn_site.data.speech import KLETTRES_DIR
from rnn_site.runtime.speech import SpeechRecognizer

pytestmark = pytest.mark.browser

PAGE = "applications/speech/"
DEMO = "[data-demo=speech]"
#: The recording: KLettres' American "M" (the model hears it right from the file).
LETTER = KLETTRES_DIR / "en" / "alpha" / "M.ogg"
RATE = 48_000
LEAD_S, LOOP_S = 0.3, 6.0

recognizer = site_model(SpeechRecognizer, "speech")


@pytest.fixture(scope="module")
def microphone_wav(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """The 48 kHz WAV the fake microphone plays, and its samples."""
    if not LETTER.is_file() or shutil.which("oggdec") is None:
        skip_locally_fail_in_ci("apt-get install klettres-data vorbis-tools (a real recording)")
    samples, rate = decode_ogg(LETTER)
    word = resample(samples, rate, RATE)
    lead = np.zeros(round(LEAD_S * RATE), np.float32)
    tail = np.zeros(round(LOOP_S * RATE) - len(lead) - len(word), np.float32)
    loop = np.concatenate([lead, word, tail])
    folder = tmp_path_factory.mktemp("microphone")
    return write_wav(folder / "klettres-en-M-48k.wav", loop, RATE), loop


@pytest.fixture(scope="module")
def microphone_browser(playwright: Any, microphone_wav: tuple[Path, np.ndarray]) -> Iterator[Any]:
    """Chromium whose microphone is the WAV (permission granted without a prompt), launched from
    the session's one Playwright driver (conftest's ``playwright``)."""
    from conftest import _require_chromium

    executable = _require_chromium()
    fake = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone_wav[0]}",
    ]
    browser = playwright.chromium.launch(
        executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *fake]
    )
    yield browser
    browser.close()


@pytest.fixture
def mic_page(microphone_browser: Any, page_log: Any) -> Iterator[Any]:
    context = microphone_browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda e: page_log.page_errors.append(str(e)))
    page.on("request", lambda r: page_log.requests.append(r.url))
    yield page
    context.close()


def next_result(page: Any, action: Any) -> dict[str, Any]:
    """Run ``action`` and return the demo's next result (failing on an error instead)."""
    before = page.get_attribute(DEMO, "data-updates") or "0"
    errors = page.get_attribute(DEMO, "data-errors") or "0"
    action()
    page.wait_for_function(
        f"(d => (d.dataset.updates ?? '0') !== '{before}' || (d.dataset.errors ?? '0') !== "
        f"'{errors}')(document.querySelector('{DEMO}'))",
        timeout=30_000,
    )
    assert page.get_attribute(DEMO, "data-state") == "done", page.inner_text(f"{DEMO} [role=alert]")
    return dict(json.loads(page.get_attribute(DEMO, "data-result")))


def test_record_button_hears_what_the_file_gives(
    mic_page, site_url, page_log, microphone_wav, recognizer
):
    """Record (4 s of the looping WAV, Opus-coded by MediaRecorder, decoded and resampled by
    the browser) gives the transcript the file path gives, and that is Python's."""
    page = mic_page
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
    record = page.get_by_role("button", name="Record 4 s")
    heard = next_result(page, record.click)  # stops by itself after 4 s
    path, samples = microphone_wav
    uploaded = next_result(page, lambda: page.set_input_files("#speech-file", str(path)))
    python = recognizer.transcribe(samples, RATE)
    assert heard["source"] == "microphone" and uploaded["source"] == path.name
    assert heard["text"] == uploaded["text"] == python.text == "M"
    # The recording is 4 s; the demo kept the word and cut the silence around it.
    assert abs(heard["samples"] - 4 * 16_000) < 0.1 * 16_000
    kept = heard["kept"][1] - heard["kept"][0]
    assert 0.3 * 16_000 < kept < 1.5 * 16_000
    # The file path cuts the same span as Python, to within a 10 ms frame.
    assert np.abs(np.subtract(uploaded["kept"], python.kept)).max() <= 160
    assert record.inner_text() == "Record 4 s"
    assert_clean(page_log, site_url)


def test_browser_resampling_matches_python(mic_page, site_url, microphone_wav):
    """The demo's decodeTo16k (the browser's decoder and resampler, 48 → 16 kHz) against
    rnn_site.data.audio.resample (band-limited, FFT): the same length, and the same samples to
    within 2% of the word's peak and an error 40 dB under the signal (the browser's windowed-sinc
    filter rolls off just below 8 kHz, the FFT's cuts there sharply)."""
    page = mic_page
    page.goto(site_url + PAGE)
    path, samples = microphone_wav
    browser = np.array(
        call_module(
            page,
            site_url,
            "speech.js",
            "async (m, b64) => Array.from(await m.decodeTo16k("
            "Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer))",
            base64.b64encode(path.read_bytes()).decode(),
        ),
        np.float32,
    )
    # The WAV holds 16-bit samples: resample what the browser decoded, not the float source.
    pcm = np.round(samples * 32767).astype(np.int16) / 32768
    python = resample(pcm, RATE, 16_000)
    assert len(browser) == len(python)
    peak = np.abs(python).max()
    error = browser - python
    # Measured in Chromium 2026-12: largest 1.2% of the peak, RMS 0.5% of the signal's (-46 dB).
    assert np.abs(error).max() < 0.02 * peak
    assert np.sqrt(np.mean(error**2)) < 0.01 * np.sqrt(np.mean(python**2))
