"""Chapter 5's "compare the cells" demo in headless Chromium, on the real built site.

Both models generate in the browser through the shared runtime and the text-generation worker;
greedy text must equal the Python runtime's, character for character, for each of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from demo_helpers import serve_damaged

from rnn_site.runtime.char_lm import CharLanguageModel

pytestmark = pytest.mark.browser

DEMO = "[data-demo=compare-cells]"
PAGE = "next/"
MODELS = ("char-lm", "char-mingru")


def run(page: Any, site_url: str, prompt: str, length: int, temperature: str = "0") -> str:
    """Open the page, fill the form, press Generate; returns the demo's final state."""
    page.goto(site_url + PAGE)
    page.wait_for_selector("#compare-cells-prompt")
    page.fill("#compare-cells-prompt", prompt)
    page.fill("#compare-cells-length", str(length))
    page.fill("#compare-cells-temperature", temperature)
    page.click(f"{DEMO} button[type=submit]")
    page.wait_for_function(
        f"['done', 'error'].includes(document.querySelector('{DEMO}').dataset.state)",
        timeout=120_000,
    )
    return str(page.get_attribute(DEMO, "data-state"))


def alert(page: Any) -> str:
    return str(page.text_content(f"{DEMO} [data-role=alert]")).strip()


def test_greedy_text_matches_python_for_both_models(page, site_url, page_log, built_site: Path):
    prompt, length = "ROMEO:\n", 150
    assert run(page, site_url, prompt, length) == "done", alert(page)
    result = json.loads(str(page.get_attribute(DEMO, "data-result")))
    for name in MODELS:
        expected = CharLanguageModel.load(built_site / "models" / name).generate(
            prompt, length, temperature=0
        )
        output = page.locator(f"[data-role=output-{name}]")
        assert output.get_attribute("data-generated") == expected, name
        assert output.text_content() == prompt + expected
        assert result[name]["text"] == expected and result[name]["msPerChar"] > 0
        ms = float(page.get_attribute(f"[data-role=timing-{name}]", "data-ms-per-char") or 0)
        assert ms > 0
        assert "ms per character" in str(page.text_content(f"[data-role=timing-{name}]"))
    assert not page_log.page_errors and not page_log.console_errors and not page_log.failed
    assert not page_log.bad_responses
    foreign = [u for u in page_log.requests if not u.startswith(site_url)]
    assert foreign == [], foreign


def test_the_download_size_comes_from_the_manifest(page, site_url, built_site: Path):
    manifest = json.loads((built_site / "models" / "manifest.json").read_text("utf-8"))
    step_bytes = sum(
        f["bytes"]
        for m in manifest["models"]
        if m["name"] in MODELS
        for f in m["files"]
        if f["path"].endswith("step.onnx")
    )
    page.goto(site_url + PAGE)
    expected = f"({step_bytes / 1e6:.1f} MB together)"
    page.wait_for_function(
        f"document.querySelector('{DEMO}').textContent.includes({json.dumps(expected)})",
        timeout=30_000,
    )


def test_bad_input_is_a_message_not_a_crash(page, site_url, page_log):
    assert run(page, site_url, "ROMEO\u2603", 20) == "error"
    assert "Unknown character '\u2603'" in alert(page)
    assert run(page, site_url, "ROMEO:", 0) == "error"
    assert "Length must be a whole number" in alert(page)
    assert page_log.page_errors == []


def test_a_damaged_model_is_reported_on_the_page(page, site_url, page_log):
    """char-mingru's step graph arrives corrupted: the LSTM's text stays, the reader is told."""
    serve_damaged(page, "**/models/char-mingru/step.onnx")
    assert run(page, site_url, "ROMEO:", 10) == "error"
    assert "step.onnx is damaged or out of date" in alert(page)
    assert page.get_attribute("[data-role=output-char-lm]", "data-generated")
    assert page_log.page_errors == []


def test_fits_a_phone_screen(browser, site_url):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(site_url + PAGE)
    page.wait_for_selector("#compare-cells-prompt")
    width = page.evaluate(f"document.querySelector('{DEMO}').scrollWidth")
    assert width <= 375
    for control in ("prompt", "temperature", "length", "seed"):
        label = page.locator(f"label[for=compare-cells-{control}]")
        assert label.count() == 1 and label.text_content()
    context.close()
