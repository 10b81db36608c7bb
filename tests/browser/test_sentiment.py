"""The sentiment demo in real headless Chromium on the built site: parity with Python,
unknown words marked, bad input shown as errors, and the tokenizer identical to Python's."""

from __future__ import annotations

import json
from typing import Any

import demo_helpers
import numpy as np
import pytest
from tokenizer_cases import SENTIMENT_TRICKY

from rnn_site.data.vader import tokenize
from rnn_site.runtime.sentiment import SentimentModel

pytestmark = pytest.mark.browser

PAGE = "applications/sentiment/"
DEMO = "[data-demo=sentiment]"


sentiment = demo_helpers.site_model(SentimentModel, "sentiment")


def read(page: Any, text: str) -> str:
    return demo_helpers.submit(page, DEMO, {"#sentiment-text": text})


def test_demo_matches_python_and_marks_unknown_words(page, site_url, page_log, sentiment):
    assert demo_helpers.open_demo(page, site_url + PAGE, DEMO) == "done", page.text_content(
        "[role=alert]"
    )
    text = "The plot is not bad at all, but zzqxv acting is painfully dull!"
    assert read(page, text) == "done"
    shown = json.loads(page.get_attribute(DEMO, "data-result"))
    expected = sentiment.predict(text)
    assert shown["tokens"] == expected.tokens
    assert shown["unknown"] == expected.unknown
    np.testing.assert_allclose(shown["trajectory"], expected.trajectory, atol=1e-4)
    assert shown["rating"] == pytest.approx(expected.rating, abs=1e-3)
    unknown = page.locator(f"{DEMO} .rnn-sent-word[data-unknown=true]")
    assert unknown.count() == 1 and unknown.inner_text() == "zzqxv"
    assert page.locator(f"{DEMO} .rnn-sent-word").count() == len(expected.tokens)
    assert page.locator(f"{DEMO} svg.rnn-sent-chart circle").count() == len(expected.tokens)
    verdict = page.inner_text(f"{DEMO} [data-role=verdict]")
    assert f"P(positive) = {expected.probability:.3f}" in verdict
    demo_helpers.assert_clean(page_log, site_url)


@pytest.mark.parametrize(
    ("text", "message"), [("   ... -- ", "Type a sentence first"), ("a " * 2600, "Too long")]
)
def test_bad_input_is_shown_and_the_demo_recovers(page, site_url, page_log, text, message):
    assert demo_helpers.open_demo(page, site_url + PAGE, DEMO) == "done"
    assert read(page, text) == "error"
    assert message in page.inner_text(f"{DEMO} [role=alert]")
    assert read(page, "a lovely film") == "done"
    assert page.inner_text(f"{DEMO} [role=alert]").strip() == ""
    assert not page_log.page_errors


def test_tokenizer_is_identical_in_the_browser(page, site_url):
    page.goto(site_url)
    js = "(m, cases) => cases.map(m.tokenize)"
    got = demo_helpers.call_module(page, site_url, "sentiment-logic.js", js, SENTIMENT_TRICKY)
    assert got == [tokenize(t) for t in SENTIMENT_TRICKY]


def test_with_the_data_saver_on_nothing_downloads_before_the_first_press(page, site_url):
    """The model loads when the page is idle, except with the browser's data saver on: then the
    button says so and the first press downloads it, and reads the sentence."""
    page.add_init_script(
        "Object.defineProperty(navigator, 'connection', {value: {saveData: true}})"
    )
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/models/sentiment/" in r.url else None)
    page.goto(site_url + PAGE)
    page.wait_for_selector(f"{DEMO} button[type=submit]:not([disabled])")
    assert "Data saver is on" in page.inner_text(f"{DEMO} [data-role=status]")
    assert page.get_attribute(DEMO, "data-state") == "loading"
    assert fetched == []
    page.click(f"{DEMO} button[type=submit]")
    assert demo_helpers.wait_state(page, DEMO) == "done"
    assert any(u.endswith(".onnx") for u in fetched)
    assert json.loads(page.get_attribute(DEMO, "data-result"))["tokens"][:2] == ["the", "plot"]
