"""The sentiment demo in real headless Chromium on the built site: parity with Python,
unknown words marked, bad input shown as errors, and the tokenizer identical to Python's."""

from __future__ import annotations

import json
from pathlib import Path
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


@pytest.fixture
def sentiment(built_site: Path) -> SentimentModel:
    return SentimentModel.load(built_site / "models" / "sentiment")


def wait_state(page: Any, states: tuple[str, ...]) -> str:
    return demo_helpers.wait_state(page, DEMO, states)


def read(page: Any, text: str) -> str:
    return demo_helpers.submit(page, DEMO, {"#sentiment-text": text})


def test_demo_matches_python_and_marks_unknown_words(page, site_url, page_log, sentiment):
    page.goto(site_url + PAGE)
    assert wait_state(page, ("done", "error")) == "done", page.text_content("[role=alert]")
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


def test_bad_input_is_shown_and_the_demo_recovers(page, site_url, page_log):
    page.goto(site_url + PAGE)
    assert wait_state(page, ("done", "error")) == "done"
    assert read(page, "   ... -- ") == "error"
    assert "Type a sentence first" in page.inner_text(f"{DEMO} [role=alert]")
    assert read(page, "a " * 2600) == "error"
    assert "Too long" in page.inner_text(f"{DEMO} [role=alert]")
    assert read(page, "a lovely film") == "done"
    assert page.inner_text(f"{DEMO} [role=alert]").strip() == ""
    assert not page_log.page_errors


def test_tokenizer_is_identical_in_the_browser(page, site_url):
    page.goto(site_url + PAGE)
    wait_state(page, ("done", "error"))
    got = page.evaluate(
        "async (cases) => { const m = await import(new URL('assets/demos/sentiment-logic.js', "
        f"'{site_url}').href); return cases.map(m.tokenize); }}",
        SENTIMENT_TRICKY,
    )
    assert got == [tokenize(t) for t in SENTIMENT_TRICKY]
