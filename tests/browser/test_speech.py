"""The speech demo in real headless Chromium on the built site: a shipped clip heard as Python
hears it (greedy and prefix beam search, ctc.js against rnn_site/decoding/ctc.py), a denied
microphone, bad files and bad beam widths shown as messages, and no foreign requests."""

from __future__ import annotations

import io
import json
import wave
from typing import Any

import numpy as np
import pytest
from demo_helpers import assert_clean, call_module, open_demo, site_model, unlabelled_controls

from rnn_site.data.audio import read_wav
from rnn_site.decoding.ctc import greedy_decode, prefix_beam_decode
from rnn_site.runtime.speech import SpeechRecognizer

pytestmark = pytest.mark.browser

PAGE = "applications/speech/"
DEMO = "[data-demo=speech]"


recognizer = site_model(SpeechRecognizer, "speech")


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


@pytest.mark.parametrize("beam", [1, 4])
def test_each_shipped_clip_is_heard_as_python_hears_it(page, site_url, page_log, recognizer, beam):
    state = open_demo(page, site_url + PAGE, DEMO)
    assert state == "done", page.text_content(f"{DEMO} [role=alert]")
    samples = recognizer.card["samples"]
    wavs = [i for i, s in enumerate(samples) if s["file"].endswith(".wav")]
    assert len(wavs) >= 2
    page.fill("#speech-beam", str(beam))
    for index in wavs[:3]:
        before = counters(page)
        page.select_option("#speech-sample", str(index))
        page.focus(f"{DEMO} button[type=submit]")
        page.keyboard.press("Enter")  # the focused Transcribe button, from the keyboard
        assert wait_change(page, before) == "done"
        shown = json.loads(page.get_attribute(DEMO, "data-result"))
        waveform, rate = read_wav(recognizer.location.path("samples/" + samples[index]["file"]))
        # Beam width 1 is greedy decoding, as on the page.
        decoder = "greedy" if beam == 1 else "beam"
        expected = recognizer.transcribe(waveform, rate, decoder=decoder, beam_width=beam)
        assert shown["source"] == samples[index]["file"]
        assert shown["samples"] == len(waveform)
        assert shown["beam"] == beam
        assert shown["text"] == expected.text
        assert [a["text"] for a in shown["alternatives"]] == [a.text for a in expected.alternatives]
        np.testing.assert_allclose(
            [a["logProb"] for a in shown["alternatives"]],
            [a.log_prob for a in expected.alternatives],
            atol=1e-2,
        )
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
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
    before = counters(page)
    page.select_option("#speech-sample", str(real[0]))
    page.click(f"{DEMO} button[type=submit]")
    assert wait_change(page, before) == "done"
    shown = json.loads(page.get_attribute(DEMO, "data-result"))
    assert shown["steps"] > 5 and 0.3 * 16_000 < shown["samples"] < 5 * 16_000
    assert not page_log.page_errors and not page_log.console_errors


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("NotAllowedError", "Microphone access was denied"),
        ("NotFoundError", "No microphone was found"),
    ],
)
def test_denied_microphone_shows_a_message(page, site_url, page_log, error, message):
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
    page.evaluate(
        "(name) => { navigator.mediaDevices.getUserMedia = () => Promise.reject("
        "new DOMException('refused', name)); }",
        error,
    )
    before = counters(page)
    page.get_by_role("button", name="Record 4 s").click()
    assert wait_change(page, before) == "error"
    assert message in page.inner_text(f"{DEMO} [role=alert]")
    assert not page_log.page_errors


def test_spectrogram_numbers_are_in_a_table(page, site_url, recognizer):
    """The spectrogram's text alternative: its numbers per 100 ms and group of five mel bands,
    in a table under a closed disclosure, equal to Python's features averaged the same way."""
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
    sample = recognizer.card["samples"][0]
    waveform, rate = read_wav(recognizer.location.path("samples/" + sample["file"]))
    features = recognizer.transcribe(waveform, rate).features  # (frames, 40)
    table = page.locator(f"{DEMO} [data-role=spectrogram-data] details")
    assert table.get_attribute("open") is None
    assert "spectrogram as numbers" in table.locator("summary").inner_text()
    table.locator("summary").click()  # a keyboard or screen-reader user opens it the same way
    region = table.locator("[role=region]")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
    headers = table.locator("th").all_inner_texts()
    assert headers[0] == "Time (s)" and len(headers) == 1 + 8
    assert headers[1].endswith(" Hz") and headers[-1] == "5.5k–7.1k Hz"
    rows = [r.locator("td").all_inner_texts() for r in table.locator("tbody tr").all()]
    frames = features.shape[0]
    assert len(rows) == -(-frames // 10)
    expected = [
        [features[t : t + 10, g : g + 5].mean() for g in range(0, 40, 5)]
        for t in range(0, frames, 10)
    ]
    assert [r[0] for r in rows] == [f"{t / 100:.1f}" for t in range(0, frames, 10)]
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows], expected, atol=0.051)


def test_bad_files_are_shown_and_the_demo_recovers(page, site_url, page_log, tmp_path):
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
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
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
    width = page.evaluate(f"document.querySelector('{DEMO}').scrollWidth")
    assert width <= 375
    assert unlabelled_controls(page, DEMO) == []


@pytest.mark.parametrize("width", ["0", "2.5", "33", ""])
def test_bad_beam_width_is_shown_and_the_demo_recovers(page, site_url, page_log, width):
    assert open_demo(page, site_url + PAGE, DEMO) == "done"
    page.fill("#speech-beam", width)
    before = counters(page)
    page.click(f"{DEMO} button[type=submit]")
    assert wait_change(page, before) == "error"
    assert "beam width must be a whole number from 1 (greedy) to 32" in page.inner_text(
        f"{DEMO} [role=alert]"
    )
    page.fill("#speech-beam", "4")
    before = counters(page)
    page.click(f"{DEMO} button[type=submit]")
    assert wait_change(page, before) == "done"
    assert json.loads(page.get_attribute(DEMO, "data-result"))["beam"] == 4
    assert "beam 4" in page.inner_text(f"{DEMO} [data-role=transcript]")
    assert page.inner_text(f"{DEMO} [role=alert]").strip() == ""
    assert not page_log.page_errors


def tricky_log_probs(seed: int, steps: int = 12, classes: int = 4) -> np.ndarray:
    """Log-probabilities that make beam search's rules matter: repeats, pruned classes, exact ties
    (probabilities from a few fixed values, some steps uniform)."""
    rng = np.random.default_rng(seed)
    p = rng.choice([1e-7, 0.05, 0.2, 0.2, 0.5], size=(steps, classes))
    p[rng.random(steps) < 0.3] = 1.0  # uniform steps: every extension ties
    return np.log(p / p.sum(axis=1, keepdims=True))


def test_ctc_decoding_is_identical_in_the_browser(page, site_url):
    """ctc.js against rnn_site/decoding/ctc.py on made-up posteriors: same transcripts, in the
    same order (ties included), and the same log-probabilities."""
    open_demo(page, site_url + PAGE, DEMO)
    alphabet = "5AB"
    cases = [tricky_log_probs(seed) for seed in range(40)]
    widths = [1, 2, 3, 8]
    got = call_module(
        page,
        site_url,
        "ctc.js",
        "(m, [cases, widths, alphabet]) => cases.map((c) => ({greedy: m.greedyDecode(c.flat(),"
        " c.length, c[0].length, alphabet), beams: widths.map((w) => m.prefixBeamDecode(c.flat(),"
        " c.length, c[0].length, alphabet, w))}))",
        [[c.tolist() for c in cases], widths, alphabet],
    )
    for case, shown in zip(cases, got, strict=True):
        assert shown["greedy"] == greedy_decode(case, alphabet)
        for width, beams in zip(widths, shown["beams"], strict=True):
            expected = prefix_beam_decode(case, alphabet, width)
            assert [b["text"] for b in beams] == [h.text for h in expected], width
            np.testing.assert_allclose(
                [b["logProb"] for b in beams], [h.log_prob for h in expected], rtol=1e-12
            )
