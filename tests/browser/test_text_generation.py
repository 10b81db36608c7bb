"""The text-generation demo in real headless Chromium, on the real built site.

Each test uses a fresh browser context (own Cache API), and fails if the page throws an
uncaught exception: bad input must become a message on the page, never a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from demo_helpers import assert_fits_width, serve_damaged

from rnn_site.bench.browser import DEMO_PAGE, fill_demo, wait_finished
from rnn_site.experiments.char_lm_units import text_features
from rnn_site.runtime.char_lm import CharLanguageModel, next_distribution
from rnn_site.sitebuild.text_generation_data import CONTEXTS

pytestmark = pytest.mark.browser

DEMO = "[data-demo=text-generation]"


def open_demo(page: Any, site_url: str) -> None:
    page.goto(site_url + DEMO_PAGE)
    page.wait_for_selector("#text-generation-prompt")


def generate(page: Any, **settings: Any) -> str:
    """Fill the form, press Generate, wait; returns the final state."""
    fill_demo(page, **settings)
    page.click(f"{DEMO} button[type=submit]")
    return wait_finished(page)


def generated(page: Any) -> str:
    return str(page.text_content("[data-role=generated]"))


def alert(page: Any) -> str:
    return str(page.text_content("[data-role=alert]")).strip()


@pytest.fixture
def char_lm(built_site: Path) -> CharLanguageModel:
    """The Python runtime on the very files the site serves."""
    return CharLanguageModel.load(built_site / "models" / "char-lm")


def test_demo_loads_and_streams_at_least_200_characters(page, site_url, page_log):
    open_demo(page, site_url)
    state = generate(page, prompt="ROMEO:\n", length=250, temperature=0.8, seed=7)
    assert state == "done", alert(page)
    assert len(generated(page)) == 250
    # The top next-character list was filled while streaming, with percentages.
    assert page.locator("[data-role=top] li").count() == 5
    assert "%" in page.text_content("[data-role=top]")
    assert int(page.get_attribute(DEMO, "data-chars-per-second")) > 0
    assert page_log.page_errors == []


def test_greedy_output_matches_the_python_runtime(page, site_url, page_log, char_lm):
    prompt = "ROMEO:\n"
    expected = char_lm.generate(prompt, 300, temperature=0)
    open_demo(page, site_url)
    assert generate(page, prompt=prompt, length=300, temperature=0) == "done", alert(page)
    assert generated(page) == expected
    assert page_log.page_errors == []


def test_same_seed_gives_same_text_and_another_seed_does_not(page, site_url):
    open_demo(page, site_url)
    texts = []
    for seed in (3, 3, 4):
        assert generate(page, prompt="JULIET:\n", length=120, temperature=1.0, seed=seed) == "done"
        texts.append(generated(page))
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


def test_top_k_one_is_greedy(page, site_url):
    open_demo(page, site_url)
    assert generate(page, prompt="KING:\n", length=80, temperature=1.5, top_k=1) == "done"
    sampled = generated(page)
    assert generate(page, prompt="KING:\n", length=80, temperature=0) == "done"
    assert sampled == generated(page)


def test_precomputed_example_shows_at_once_and_survives_a_failed_model_load(
    page, site_url, page_log, char_lm
):
    # No model can load: every models/ request fails, as on a broken or offline host.
    page.route("**/models/**", lambda route: route.abort())
    open_demo(page, site_url)
    page.wait_for_function("document.querySelector('[data-role=generated]').textContent.length > 0")
    prompt = page.text_content("[data-role=prompt]")
    assert generated(page) == char_lm.generate(prompt, len(generated(page)), temperature=0)
    # The hidden-state view works on the example without the model.
    assert page.locator("[data-role=states-text] span").count() == len(prompt + generated(page))
    assert page.locator("[data-role=ranking] button").count() == 8

    assert generate(page, prompt="ROMEO:\n", length=50, temperature=0) == "error"
    assert "manifest.json" in alert(page)
    assert page_log.page_errors == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"prompt": ""}, "prompt is empty"),
        ({"prompt": "ROMEO € says"}, "Unknown character '€' (character 7 of the text)"),
        ({"prompt": "ROMEO:\x00"}, "Unknown character 'U+0000'"),
        ({"length": 10**9}, "Length must be a whole number from 1 to 5000"),
        ({"length": -5}, "Length must be a whole number"),
        ({"length": "1e3x"}, "Length must be a whole number"),
        ({"top_k": 10**6}, "Top-k must be a whole number"),
        ({"seed": -1}, "Seed must be a whole number"),
        ({"prompt": "x" * 2001}, "accepts up to 2000"),
    ],
    ids=[
        "empty",
        "unknown-char",
        "control-char",
        "huge-length",
        "negative-length",
        "not-a-number",
        "huge-top-k",
        "negative-seed",
        "long-prompt",
    ],
)
def test_bad_input_gives_a_message_not_an_exception(page, site_url, page_log, settings, message):
    open_demo(page, site_url)
    form = {"prompt": "ROMEO:\n", "length": 20, "temperature": 0.8, "top_k": 0, "seed": 1}
    form.update(settings)
    if isinstance(form["length"], str):  # a number input accepts no letters from typing
        page.eval_on_selector("#text-generation-length", "(el) => el.type = 'text'")
    assert generate(page, **form) == "error"
    assert message in alert(page)
    assert page_log.page_errors == []
    # The demo recovers: good input afterwards works and clears the message.
    assert generate(page, prompt="ROMEO:\n", length=20, temperature=0.8) == "done"
    assert alert(page) == ""


def test_stop_ends_generation_early(page, site_url, page_log):
    open_demo(page, site_url)
    fill_demo(page, prompt="ROMEO:\n", length=5000, temperature=0.8)
    # Press Stop from the page as soon as the first character appears: a click sent from the
    # test could arrive after a fast machine has already produced all 5000 characters.
    page.evaluate(
        """(demo) => {
          const out = document.querySelector(`${demo} [data-role=generated]`);
          const stop = [...document.querySelectorAll(`${demo} button`)]
            .find((b) => b.textContent.includes("Stop"));
          new MutationObserver((_, observer) => {
            if (out.textContent.length > 0) { observer.disconnect(); stop.click(); }
          }).observe(out, { childList: true, characterData: true, subtree: true });
        }""",
        DEMO,
    )
    page.click(f"{DEMO} button[type=submit]")
    assert wait_finished(page) == "stopped"
    assert 0 < len(generated(page)) < 5000
    assert "Stopped after" in page.text_content("[data-role=status]")
    assert page_log.page_errors == []


def test_hidden_state_view_colours_text_and_ranks_units(page, site_url):
    open_demo(page, site_url)
    assert generate(page, prompt="ROMEO:\nWhat?\n\nJULIET:\n", length=150, temperature=0) == "done"
    text = page.text_content("[data-role=prompt]") + generated(page)
    spans = page.locator("[data-role=states-text] span")
    assert spans.count() == len(text)
    page.select_option("#text-generation-states-feature", "line-position")
    first = page.locator("[data-role=ranking] button").first
    unit = first.text_content().split("unit ")[1].split(":")[0].split(" ")[0]
    first.click()
    assert page.input_value("#text-generation-states-unit") == unit
    # Colours follow the chosen unit: some characters get a visible background.
    backgrounds = spans.evaluate_all("els => els.map(e => e.style.backgroundColor)")
    assert len(set(backgrounds)) > 1
    page.select_option("#text-generation-states-kind", "c")
    assert "c unit" in page.text_content("[data-role=ranking]")


def test_every_control_is_labelled_and_reachable_by_keyboard(page, site_url):
    open_demo(page, site_url)
    unlabelled = page.eval_on_selector_all(
        f"{DEMO} :is(input, select, textarea, button)",
        """els => els.filter(e => e.tagName === 'BUTTON'
                 ? !e.textContent.trim() : !(e.labels && e.labels.length
                   && e.labels[0].textContent.trim())).map(e => e.outerHTML)""",
    )
    assert unlabelled == []
    # Tab from the prompt reaches every form control in order, and Ctrl+Enter generates.
    page.focus("#text-generation-prompt")
    seen = []
    for _ in range(8):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
    for control in (
        "text-generation-temperature",
        "text-generation-length",
        "text-generation-top-k",
        "text-generation-seed",
        "Generate",
    ):
        assert control in seen
    page.focus("#text-generation-prompt")
    page.fill("#text-generation-prompt", "ROMEO:\n")
    page.keyboard.press("Control+Enter")
    assert wait_finished(page) == "done"


def test_no_horizontal_scroll_on_a_375px_phone(browser, site_url):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        open_demo(page, site_url)
        assert generate(page, prompt="ROMEO:\n", length=300, temperature=0.8) == "done"
        assert_fits_width(page)
    finally:
        context.close()


def test_a_damaged_model_file_is_refused_with_a_message(page, site_url, page_log):
    # Serve step.onnx with one byte flipped: the sha256 check must catch it before ORT sees it.
    serve_damaged(page, "**/models/char-lm/step.onnx")
    open_demo(page, site_url)
    assert generate(page, prompt="ROMEO:\n", length=20, temperature=0) == "error"
    assert "step.onnx is damaged or out of date" in alert(page)
    assert page_log.page_errors == []


def test_second_visit_loads_the_model_from_the_cache(browser, site_url):
    context = browser.new_context()
    try:
        for visit in range(2):
            page = context.new_page()
            models = []
            page.on(
                "request",
                lambda r, models=models: "/models/char-lm/" in r.url and models.append(r.url),
            )
            open_demo(page, site_url)
            page.wait_for_function(
                "document.querySelector('[data-role=status]').textContent.includes('ready')",
                timeout=120_000,
            )
            assert generate(page, prompt="ROMEO:\n", length=20, temperature=0) == "done"
            # The Cache API write happens in the background; wait for it before leaving.
            page.wait_for_function(
                """async () => {
                  for (const name of await caches.keys()) {
                    const keys = await (await caches.open(name)).keys();
                    if (keys.some((r) => r.url.includes("step.onnx"))) return true;
                  }
                  return false;
                }""",
                timeout=60_000,
            )
            page.close()
            if visit == 0:
                assert any(u.endswith("step.onnx") for u in models)
            else:  # the graphs now come from the Cache API, checked against the manifest
                assert not any(u.endswith(".onnx") for u in models), models
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["", "applications/", "applications/text-generation/", "api/scratch/"]
)
def test_demo_scripts_find_the_site_root_from_any_page_depth(page, site_url, path):
    page.goto(site_url + path)
    root = page.evaluate(
        """async () => {
            const loader = document.querySelector('script[src*="assets/demos/loader.js"]');
            const runtime = await import(new URL('runtime.js', loader.src).href);
            const manifest = await runtime.loadManifest();
            return [runtime.SITE_ROOT.href, manifest.models.map(m => m.name)];
        }"""
    )
    assert root[0] == site_url
    assert "char-lm" in root[1]


# ------------------------------------------------------------------ the sampling figure

FIGURE = "[data-interactive=sampling]"


def set_figure(page: Any, *, context: int | None = None, temperature=None, top_k=None) -> None:
    """Change the figure's controls as a reader would (each fires its input/change event)."""
    if context is not None:
        page.select_option(f"{FIGURE} [data-role=context]", str(context))
    if temperature is not None:
        page.eval_on_selector(
            f"{FIGURE} [data-role=temperature]",
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
            str(temperature),
        )
    if top_k is not None:
        page.fill(f"{FIGURE} [data-role=top-k]", str(top_k))


def figure_bars(page: Any) -> dict[str, float]:
    """The probabilities the figure draws, by character, at full precision."""
    return dict(
        page.eval_on_selector_all(
            f"{FIGURE} [data-role=bars] li",
            "els => els.map(e => [e.dataset.char, Number(e.dataset.p)])",
        )
    )


@pytest.mark.parametrize(
    ("context", "temperature", "top_k"), [(0, 1.0, 0), (1, 0.5, 5), (2, 1.7, 3), (3, 0, 0)]
)
def test_sampling_figure_matches_the_python_distribution(
    page, site_url, page_log, char_lm, context, temperature, top_k
):
    page.goto(site_url + DEMO_PAGE)
    page.wait_for_selector(f"{FIGURE}[data-ready]")
    set_figure(page, context=context, temperature=temperature, top_k=top_k)
    logits = char_lm.hidden_states(CONTEXTS[context][1])["logits"][-1]
    expected = next_distribution(logits, temperature, top_k or None)
    bars = figure_bars(page)
    assert len(bars) == 12
    for ch, p in bars.items():
        assert p == pytest.approx(expected[char_lm.vocab.index(ch)], abs=1e-9), ch
    # The bars are the 12 most likely characters at temperature 1, whatever the settings.
    at_one = next_distribution(logits, 1.0)
    assert set(bars) == {char_lm.vocab[i] for i in np.argsort(-at_one, kind="stable")[:12]}
    assert sum(p > 0 for p in bars.values()) == (1 if temperature == 0 else top_k or 12)
    summary = page.text_content(f"{FIGURE} [data-role=summary]")
    greedy = {" ": "␣", "\n": "↵"}.get(ch := char_lm.vocab[int(np.argmax(logits))], ch)
    assert f"Greedy decoding always picks “{greedy}”" in summary
    entropy = float(page.get_attribute(f"{FIGURE} [data-role=summary]", "data-entropy"))
    kept = expected[expected > 0]
    assert entropy == pytest.approx(float(-(kept * np.log2(kept)).sum()), abs=1e-9)
    assert page_log.page_errors == [] and page_log.console_errors == []


def test_sampling_figure_reacts_and_refuses_bad_top_k(page, site_url, page_log):
    page.goto(site_url + DEMO_PAGE)
    page.wait_for_selector(f"{FIGURE}[data-ready]")
    before = figure_bars(page)
    set_figure(page, temperature=0.3)
    sharper = figure_bars(page)
    top = max(before, key=before.get)
    assert sharper[top] > before[top]  # a lower temperature sharpens the distribution
    assert page.text_content(f"{FIGURE} [data-role=temperature-value]") == "0.30"
    set_figure(page, top_k=-2)
    assert "Top-k must be a whole number from 0 to 69" in page.text_content(
        f"{FIGURE} [data-role=alert]"
    )
    assert figure_bars(page) == sharper  # the last good drawing stays
    set_figure(page, top_k=1)
    assert page.text_content(f"{FIGURE} [data-role=alert]").strip() == ""
    assert figure_bars(page)[top] == 1.0
    # Keyboard: the slider moves with the arrow keys.
    page.focus(f"{FIGURE} [data-role=temperature]")
    page.keyboard.press("ArrowRight")
    assert page.text_content(f"{FIGURE} [data-role=temperature-value]") == "0.35"
    assert page_log.page_errors == []


def test_demo_text_features_match_the_python_experiment(page, site_url):
    """The demo's "find units that follow" and the chapter's table use the same features."""
    text = 'First Witch:\nWhen shall we "three" meet again?\n\nALL:\nFair is foul. And-so\n'
    page.goto(site_url + DEMO_PAGE)
    features = page.evaluate(
        """async (text) => {
            const loader = document.querySelector('script[src*="assets/demos/loader.js"]');
            const lm = await import(new URL('char-lm.js', loader.src).href);
            const pairs = lm.textFeatures(text).map((f) => [f.name, Array.from(f.values)]);
            return Object.fromEntries(pairs);
        }""",
        text,
    )
    expected = text_features(text)
    assert set(features) == set(expected)
    for name, values in expected.items():
        assert features[name] == values.tolist(), name
