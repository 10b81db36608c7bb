"""Demos recover from a failed download, and refuse input they cannot answer honestly.

The network failure is real to the page: Chromium aborts the request (page.route), once; the
reader presses *Try again* and the demo must then work without a reload.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from demo_helpers import submit, wait_state

pytestmark = pytest.mark.browser

#: Demo page, its root, and the first request of its model to fail.
CASES = {
    "sentiment": ("applications/sentiment/", "**/models/sentiment/*.onnx"),
    "translation": ("applications/translation/", "**/models/translator/*.onnx"),
    "speech": ("applications/speech/", "**/models/speech/*.onnx"),
    "music": ("applications/music/", "**/models/melody/card.json"),
    "time-series": ("applications/time-series/", "**/models/ts-forecaster/card.json"),
}


def fail_once(page: Any, pattern: str) -> list[str]:
    """Abort the first request matching `pattern`; let later ones through. Returns the log."""
    seen: list[str] = []

    def handle(route: Any) -> None:
        seen.append(route.request.url)
        if len(seen) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(pattern, handle)
    return seen


@pytest.mark.parametrize("demo", list(CASES))
def test_demo_offers_try_again_and_works_after_a_failed_download(site_url, page, demo):
    path, pattern = CASES[demo]
    root = f"[data-demo={demo}]"
    seen = fail_once(page, pattern)
    page.goto(site_url + path)

    assert wait_state(page, root, ("error",)) == "error"
    assert seen, f"no request matched {pattern}"
    alert = page.inner_text(f"{root} [data-role=alert]")
    assert "Try again" in alert, alert
    retry = page.get_by_role("button", name="Try again")
    assert retry.is_visible()
    # The button has focus, so a keyboard reader presses Enter.
    assert page.evaluate("document.activeElement.dataset.role") == "retry"
    page.keyboard.press("Enter")

    assert wait_state(page, root, ("done", "ready", "error")) in ("done", "ready")
    assert len(seen) >= 2  # the second request went through
    assert page.inner_text(f"{root} [data-role=alert]").strip() == ""
    assert page.query_selector(f"{root} [data-role=retry]") is None
    submit_button = page.query_selector(f"{root} button.md-button--primary")
    if submit_button is not None and submit_button.is_visible():
        assert submit_button.is_enabled()


def test_sentiment_refuses_text_without_a_word(site_url, page):
    root = "[data-demo=sentiment]"
    page.goto(site_url + "applications/sentiment/")
    wait_state(page, root)
    before = page.get_attribute(root, "data-result")
    state = submit(page, root, {"#sentiment-text": "!!!"})
    assert state == "error"
    assert "at least one word" in page.inner_text(f"{root} [data-role=alert]")
    assert page.get_attribute(root, "data-result") == before  # no verdict for "!!!"
    # A word with the punctuation is fine.
    assert submit(page, root, {"#sentiment-text": "great!!!"}) == "done"
    assert json.loads(page.get_attribute(root, "data-result"))["tokens"] == ["great", "!", "!", "!"]


def test_lstm_explorer_run_before_the_example_arrives(site_url, page):
    """Pressing Run while the built-in example is still downloading waits for it and reads it;
    it used to empty the text box for good."""
    root = "[data-demo=lstm-explorer]"
    held: list[Any] = []
    example = "**/assets/demos/data/*-lstm-explorer.json"
    page.route(example, lambda route: held.append(route))  # held: no answer until released
    with page.expect_request(example):
        page.goto(site_url + "architecture/")
    page.wait_for_selector(f"{root} button.md-button--primary")
    assert page.input_value(f"{root} textarea") == ""
    page.click(f"{root} button.md-button--primary")
    assert page.get_attribute(root, "data-state") == "example"  # waiting, not refusing
    assert held, "the example request was not held"
    held[0].continue_()
    assert wait_state(page, root) == "done"
    text = page.input_value(f"{root} textarea")
    assert text, "the text box is empty"
    assert int(page.get_attribute(root, "data-step") or "0") >= 0
    assert page.inner_text(f"{root} [data-role=alert]").strip() == ""
