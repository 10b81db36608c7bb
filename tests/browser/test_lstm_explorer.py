"""The LSTM cell explorer of chapter 2 in real headless Chromium, on the real built site.

What a reader sees: the build-time example drawn before any model download, the time controls
and unit choices redrawing the charts, gates computed in the browser equal to the Python
runtime's, and bad input answered with a message on the page, never an uncaught exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from demo_helpers import assert_fits_width

from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.sitebuild.architecture_data import PARAMETERS_PLACEHOLDER
from rnn_site.sitebuild.demo_data import EXPLORER_TEXT

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

PAGE = "architecture/"
DEMO = "[data-demo=lstm-explorer]"
SERIES = {"i": "i_gate", "f": "f_gate", "g": "g_gate", "o": "o_gate", "c": "c_seq", "h": "h_seq"}
TOL = 1e-4


@pytest.fixture
def char_lm(built_site: Path) -> CharLanguageModel:
    """The Python runtime on the very files the site serves."""
    return CharLanguageModel.load(built_site / "models" / "char-lm")


def open_explorer(page: Any, site_url: str) -> None:
    """Open chapter 2 and wait until the build-time example is drawn."""
    page.goto(site_url + PAGE)
    page.wait_for_selector(f"{DEMO} [data-role=unit-panel]")


def state(page: Any) -> str:
    return str(page.eval_on_selector(DEMO, "el => el.dataset.state"))


def step(page: Any) -> int:
    return int(page.eval_on_selector(DEMO, "el => el.dataset.step"))


def alert(page: Any) -> str:
    return str(page.text_content(f"{DEMO} [data-role=alert]")).strip()


def drawn(page: Any) -> dict[str, Any]:
    """What the panels show: per unit, the bar paths, the marker position and the values."""
    return page.eval_on_selector_all(
        f"{DEMO} [data-role=unit-panel]",
        """panels => panels.map(p => ({
            unit: p.dataset.unit,
            bars: [...p.querySelectorAll('.rnn-lstm-pos, .rnn-lstm-neg')]
                .map(e => e.getAttribute('d')),
            marker: p.querySelector('.rnn-lstm-marker').getAttribute('x'),
            current: p.querySelector('.rnn-lstm-current').getAttribute('d'),
            values: [...p.querySelectorAll('.rnn-lstm-value')].map(e => e.textContent),
            equation: p.querySelector('[data-role=equation]').textContent,
        }))""",
    )


def run(page: Any, text: str) -> str:
    """Type `text`, press Run, wait until the demo is done or failed; returns the state."""
    page.fill("#lstm-explorer-text", text)
    page.click(f"{DEMO} button[type=submit]")
    page.wait_for_function(
        f"['done', 'error'].includes(document.querySelector('{DEMO}').dataset.state)",
        timeout=120_000,
    )
    return state(page)


def test_example_is_drawn_before_any_model_download(page, site_url, page_log):
    # The model preloads once the page is idle; refused here, the example must still be drawn.
    page.route("**/*.onnx", lambda route: route.abort())
    open_explorer(page, site_url)
    assert state(page) == "example"
    assert page.input_value("#lstm-explorer-text") == EXPLORER_TEXT
    panels = drawn(page)
    assert len(panels) == 4
    assert all(len(p["values"]) == 6 for p in panels)  # i, f, g, o, c, h
    assert "Step 1 of" in page.text_content(f"{DEMO} [data-role=step-label]")
    assert page.inner_text(f"{DEMO} [data-role=alert]").strip() == ""  # a failed preload is quiet
    local = urlsplit(site_url).netloc
    assert [u for u in page_log.requests if urlsplit(u).netloc not in (local, "")] == []
    assert page_log.page_errors == []


def test_slider_buttons_and_arrow_keys_move_through_time(page, site_url, page_log):
    open_explorer(page, site_url)
    before = drawn(page)
    label = page.text_content(f"{DEMO} [data-role=step-label]")

    page.focus("#lstm-explorer-time")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert step(page) == 2
    after = drawn(page)
    assert [p["marker"] for p in after] != [p["marker"] for p in before]
    assert [p["current"] for p in after] != [p["current"] for p in before]
    assert [p["values"] for p in after] != [p["values"] for p in before]
    assert page.text_content(f"{DEMO} [data-role=step-label]") != label
    # The current character is highlighted in the text.
    assert page.get_attribute(f"{DEMO} [data-role=explorer-text] .is-current", "data-step") == "2"

    page.click(f"{DEMO} button[aria-label='Next: next character']")
    assert step(page) == 3
    page.click(f"{DEMO} button[aria-label='Prev: previous character']")
    assert step(page) == 2
    page.focus(f"{DEMO} [data-role=explorer-view]")
    page.keyboard.press("ArrowLeft")
    assert step(page) == 1
    page.keyboard.press("End")
    steps = len(EXPLORER_TEXT)
    assert step(page) == steps - 1
    assert page.is_disabled(f"{DEMO} button[aria-label='Next: next character']")
    page.keyboard.press("Home")
    assert step(page) == 0
    assert page_log.page_errors == []


def test_changing_a_unit_redraws_its_panel(page, site_url):
    open_explorer(page, site_url)
    before = drawn(page)
    new_unit = next(u for u in range(256) if str(u) not in {p["unit"] for p in before})
    page.fill("#lstm-explorer-unit-1", str(new_unit))
    page.dispatch_event("#lstm-explorer-unit-1", "change")
    after = drawn(page)
    assert after[0]["unit"] == str(new_unit)
    assert after[0]["bars"] != before[0]["bars"]
    assert after[1:] == before[1:]
    # Emptying a box shows fewer units.
    page.fill("#lstm-explorer-unit-4", "")
    page.dispatch_event("#lstm-explorer-unit-4", "change")
    assert len(drawn(page)) == 3


def test_browser_gates_equal_the_python_runtime(page, site_url, page_log, char_lm):
    text = "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\n"
    expected = char_lm.hidden_states(text)
    open_explorer(page, site_url)
    assert run(page, text) == "done", alert(page)
    result = page.eval_on_selector(
        DEMO,
        """el => {
            const s = el.lstmExplorer.states;
            const out = {source: el.lstmExplorer.source, steps: s.steps, layers: s.layers,
                         units: s.units};
            for (const k of ['i', 'f', 'g', 'o', 'c', 'h']) out[k] = Array.from(s[k]);
            return out;
        }""",
    )
    assert result["source"] == "browser"
    steps, layers, units = expected["h_seq"].shape
    assert (result["steps"], result["layers"], result["units"]) == (steps, layers, units)
    for key, name in SERIES.items():
        browser = np.array(result[key], np.float32).reshape(steps, layers, units)
        np.testing.assert_allclose(browser, expected[name], atol=TOL, err_msg=key)

    # The numbers a reader sees are the same ones, rounded to 3 decimals.
    page.focus("#lstm-explorer-time")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    panel = drawn(page)[0]
    unit = int(panel["unit"])
    shown = [float(v) for v in panel["values"]]
    want = [float(expected[name][5, 0, unit]) for name in SERIES.values()]
    np.testing.assert_allclose(shown, want, atol=6e-4)
    assert page_log.page_errors == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The text is empty"),
        ("ROMEO: ~tilde", "Unknown character '~' (character 8 of the text)"),
        ("x" * 1001, "The text has 1001 characters; the explorer reads up to 1000."),
    ],
)
def test_bad_text_shows_a_message(page, site_url, page_log, text, message):
    open_explorer(page, site_url)
    assert run(page, text) == "error"
    assert message in alert(page)
    # The example stays on show.
    assert len(drawn(page)) == 4
    assert page_log.page_errors == []


def test_bad_unit_shows_a_message_and_keeps_the_others(page, site_url, page_log):
    hidden = json.loads((ROOT / "models/char-lm/card.json").read_text("utf-8"))["config"]
    last = hidden["hidden_size"] - 1
    beyond = str(last + 13)  # one past the last unit is the edge; this is plainly outside
    open_explorer(page, site_url)
    page.fill("#lstm-explorer-unit-2", beyond)
    page.dispatch_event("#lstm-explorer-unit-2", "change")
    assert f'Unit 2 must be a whole number from 0 to {last} (got "{beyond}").' in alert(page)
    assert page.get_attribute("#lstm-explorer-unit-2", "aria-invalid") == "true"
    assert len(drawn(page)) == 3
    for box in range(1, 5):
        page.fill(f"#lstm-explorer-unit-{box}", "")
        page.dispatch_event(f"#lstm-explorer-unit-{box}", "change")
    assert "Choose at least one unit" in alert(page)
    assert page_log.page_errors == []


def test_every_control_is_labelled(page, site_url):
    open_explorer(page, site_url)
    unlabelled = page.eval_on_selector_all(
        f"{DEMO} :is(input, select, textarea, button)",
        """els => els.filter(e => e.tagName === 'BUTTON'
                 ? !(e.getAttribute('aria-label') || e.textContent.trim())
                 : !(e.labels && e.labels.length && e.labels[0].textContent.trim()))
                 .map(e => e.outerHTML)""",
    )
    assert unlabelled == []


def test_no_horizontal_scroll_on_a_375px_phone(browser, site_url):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        open_explorer(page, site_url)
        page.locator(DEMO).scroll_into_view_if_needed()
        assert_fits_width(page)
    finally:
        context.close()


def test_parameter_table_is_generated_at_build(built_site, page, site_url):
    html = (built_site / "architecture" / "index.html").read_text("utf-8")
    assert PARAMETERS_PLACEHOLDER not in html, (
        "the parameter-count placeholder was not replaced: the MkDocs hook's on_page_markdown "
        "must call rnn_site.sitebuild.page_data.render_data"
    )
    page.goto(site_url + PAGE)
    table = page.text_content("xpath=//h2[@id='parameters']/following::table[1]")
    config = json.loads((ROOT / "models/char-lm/card.json").read_text("utf-8"))["config"]
    i, h = config["embed_dim"], config["hidden_size"]
    assert f"{4 * h * (i + h + 2):,}" in table  # LSTM, PyTorch's biases: 921,088 at 64 → 448
    assert f"{h * (i + h + 2):,}" in table  # vanilla RNN
