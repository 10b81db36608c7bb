"""*Use your own model* in the three character demos, in headless Chromium on the built site.

A tiny model is trained on a short text and exported (tests/own_model_helpers.py); the reader's
file picker is driven with Playwright's `set_input_files`. Greedy text must equal the Python
runtime's, broken folders must each show their own message, and no request may carry the model.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from demo_helpers import unlabelled_controls
from own_model_helpers import broken_copies, export_folder, train_tiny, write_text

from rnn_site.bench.browser import DEMO_PAGE, fill_demo, wait_finished
from rnn_site.export.model_folder import ORT_WEB_VERSION
from rnn_site.runtime.char_lm import CharLanguageModel

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TEXT_DEMO = "[data-demo=text-generation]"
EXPLORER = "[data-demo=lstm-explorer]"
COMPARE = "[data-demo=compare-cells]"


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """The good model folder, its .zip, and broken copies (see `broken_copies`)."""
    base = tmp_path_factory.mktemp("own-browser")
    good = export_folder(train_tiny(write_text(base), base / "run"), base / "good")
    made = {"good": good, **broken_copies(good, base)}
    with zipfile.ZipFile(base / "good.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(good.iterdir()):
            archive.write(file, f"good/{file.name}")
    made["zip"] = base / "good.zip"
    return made


def files_of(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.iterdir())]


def choose(page: Any, demo: str, files: list[str], expect: str = "active") -> None:
    """Pick files in the demo's own-model control, as a reader does; wait for the verdict."""
    page.locator(f"{demo} details[data-role=own-model] summary").click()
    page.set_input_files(f"{demo} [data-role=own-model-files]", files)
    page.wait_for_function(
        f"['active', 'error'].includes(document.querySelector('{demo}').dataset.ownModel)",
        timeout=60_000,
    )
    state = page.get_attribute(demo, "data-own-model")
    assert state == expect, page.text_content(f"{demo} [data-role=own-model-problems]")


def problems(page: Any, demo: str) -> list[str]:
    return page.locator(f"{demo} [data-role=own-model-problem]").all_text_contents()


def record_requests(page: Any) -> list[tuple[str, str, bytes | None]]:
    """Every request the page and its workers make: (method, url, body)."""
    sent: list[tuple[str, str, bytes | None]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data_buffer)))
    return sent


def assert_model_stayed(sent: list[tuple[str, str, bytes | None]], site_url: str) -> None:
    """Only GETs to the site itself, none with a body: the reader's files went nowhere."""
    assert all(method == "GET" and body is None for method, _, body in sent), sent
    assert all(url.startswith(site_url) for _, url, _ in sent), sent


def test_text_generation_runs_the_readers_model_like_python(page, site_url, page_log, folders):
    sent = record_requests(page)
    model = CharLanguageModel.load(folders["good"])
    card = model.card
    prompt = card["example_greedy"]["prompt"]
    page.goto(site_url + DEMO_PAGE)
    page.wait_for_selector("#text-generation-prompt")
    assert "the site's char-lm" in str(page.text_content(f"{TEXT_DEMO} [data-role=active-model]"))
    choose(page, TEXT_DEMO, files_of(folders["good"]))
    active = str(page.text_content(f"{TEXT_DEMO} [data-role=active-model]"))
    assert card["name"] in active and "stays on this device" in active
    fill_demo(page, prompt=prompt, length=150, temperature=0)
    page.click(f"{TEXT_DEMO} button[type=submit]")
    assert wait_finished(page) == "done", page.text_content("[data-role=alert]")
    assert page.text_content("[data-role=generated]") == model.generate(prompt, 150, temperature=0)
    # Back to the site's model: its own greedy text again.
    page.click(f"{TEXT_DEMO} [data-role=own-model-back]")
    assert page.get_attribute(TEXT_DEMO, "data-own-model") == "site"
    site = CharLanguageModel.load(ROOT / "models" / "char-lm")
    fill_demo(page, prompt="ROMEO:\n", length=40, temperature=0)
    page.click(f"{TEXT_DEMO} button[type=submit]")
    assert wait_finished(page) == "done"
    assert page.text_content("[data-role=generated]") == site.generate(
        "ROMEO:\n", 40, temperature=0
    )
    assert_model_stayed(sent, site_url)
    assert not page_log.page_errors and not page_log.console_errors, page_log
    assert unlabelled_controls(page, TEXT_DEMO) == []


def test_a_zip_of_the_folder_works_too(page, site_url, folders):
    sent = record_requests(page)
    page.goto(site_url + DEMO_PAGE)
    page.wait_for_selector("#text-generation-prompt")
    choose(page, TEXT_DEMO, [str(folders["zip"])])
    model = CharLanguageModel.load(folders["good"])
    prompt = model.card["example_greedy"]["prompt"]
    fill_demo(page, prompt=prompt, length=60, temperature=0)
    page.click(f"{TEXT_DEMO} button[type=submit]")
    assert wait_finished(page) == "done"
    assert page.text_content("[data-role=generated]") == model.generate(prompt, 60, temperature=0)
    assert_model_stayed(sent, site_url)


def test_explorer_reads_text_with_the_readers_model(page, site_url, page_log, folders):
    sent = record_requests(page)
    model = CharLanguageModel.load(folders["good"])
    page.goto(site_url + "architecture/")
    page.wait_for_selector(f"{EXPLORER} [data-role=unit-panel]")
    choose(page, EXPLORER, files_of(folders["good"]))
    text = str(page.input_value("#lstm-explorer-text"))
    page.click(f"{EXPLORER} button[type=submit]")
    page.wait_for_function(
        f"['done', 'error'].includes(document.querySelector('{EXPLORER}').dataset.state)",
        timeout=60_000,
    )
    assert page.get_attribute(EXPLORER, "data-state") == "done"
    shown = page.evaluate(
        f"(() => {{ const s = document.querySelector('{EXPLORER}').lstmExplorer.states;"
        " return {steps: s.steps, units: s.units, h: Array.from(s.h)}; })()"
    )
    expected = model.hidden_states(text)
    assert shown["steps"] == len(text) and shown["units"] == model.config["hidden_size"]
    np.testing.assert_allclose(
        np.array(shown["h"]).reshape(expected["h_seq"].shape), expected["h_seq"], atol=1e-5
    )
    assert_model_stayed(sent, site_url)
    assert not page_log.page_errors, page_log.page_errors


def test_compare_cells_adds_the_readers_model_as_a_third_panel(page, site_url, folders):
    sent = record_requests(page)
    model = CharLanguageModel.load(folders["good"])
    page.goto(site_url + "next/")
    page.wait_for_selector("#compare-cells-prompt")
    choose(page, COMPARE, files_of(folders["good"]))
    prompt = model.card["example_greedy"]["prompt"]
    page.fill("#compare-cells-prompt", prompt)
    page.fill("#compare-cells-length", "80")
    page.fill("#compare-cells-temperature", "0")
    page.click(f"{COMPARE} button[type=submit]")
    page.wait_for_function(
        f"['done', 'error'].includes(document.querySelector('{COMPARE}').dataset.state)",
        timeout=120_000,
    )
    assert page.get_attribute(COMPARE, "data-state") == "done"
    own = page.locator(f"{COMPARE} [data-role=output-own]")
    assert own.text_content() == prompt + model.generate(prompt, 80, temperature=0)
    result = json.loads(str(page.get_attribute(COMPARE, "data-result")))
    assert set(result) >= {"char-lm", "char-mingru"} and len(result) == 3
    assert_model_stayed(sent, site_url)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("tampered", r"^step\.onnx: its SHA-256 is [0-9a-f]{12}…, manifest\.json expects"),
        ("partial", r"^sequence\.onnx is missing: manifest\.json lists it"),
        ("no-manifest", r"^manifest\.json is missing"),
        ("vocab", r"the vocabulary has \d+ characters but the logits are \d+ wide"),
        (
            "state",
            r"^step\.onnx: h is float32 \[1, batch, 16\]; card\.json says float32 \[1, batch, 17\]",
        ),
        ("task", r"says this is a translation model; this demo runs text-generation models"),
    ],
)
def test_each_broken_folder_shows_its_own_message(page, site_url, page_log, folders, case, message):
    import re

    page.goto(site_url + DEMO_PAGE)
    page.wait_for_selector("#text-generation-prompt")
    choose(page, TEXT_DEMO, files_of(folders[case]), expect="error")
    shown = problems(page, TEXT_DEMO)
    assert any(re.search(message, p) for p in shown), shown
    # The site's model is still the active one.
    assert "the site's char-lm" in str(page.text_content(f"{TEXT_DEMO} [data-role=active-model]"))
    assert not page_log.page_errors, page_log.page_errors


def test_keeping_the_model_is_off_by_default_and_works_when_asked(browser, site_url, folders):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site_url + DEMO_PAGE)
        page.wait_for_selector("#text-generation-prompt")
        assert not page.is_checked(f"{TEXT_DEMO} [data-role=own-model-keep]")
        choose(page, TEXT_DEMO, files_of(folders["good"]))
        page.reload()
        page.wait_for_selector("#text-generation-prompt")
        kept = page.locator(f"{TEXT_DEMO} button", has_text="Use the kept model")
        assert kept.count() == 1 and kept.is_hidden()
        page.locator(f"{TEXT_DEMO} details[data-role=own-model] summary").click()
        page.check(f"{TEXT_DEMO} [data-role=own-model-keep]")
        page.set_input_files(f"{TEXT_DEMO} [data-role=own-model-files]", files_of(folders["good"]))
        page.wait_for_function(
            f"document.querySelector('{TEXT_DEMO}').dataset.ownModel === 'active'"
        )
        # The demo shows "Use the kept model" once every file is in the cache (index.json is
        # written last); reloading before that would race the writes.
        page.locator(f"{TEXT_DEMO} button", has_text="Use the kept model").wait_for(state="visible")
        assert page.evaluate(
            "async () => (await caches.keys()).includes('rnn-journey-own-model-v1')"
        )
        page.reload()
        page.wait_for_selector("#text-generation-prompt")
        page.locator(f"{TEXT_DEMO} details[data-role=own-model] summary").click()
        kept = page.locator(f"{TEXT_DEMO} button", has_text="Use the kept model")
        kept.wait_for(state="visible")
        kept.click()
        page.wait_for_function(
            f"document.querySelector('{TEXT_DEMO}').dataset.ownModel === 'active'"
        )
    finally:
        context.close()


def test_readme_html_example_runs_in_chromium(page, folders, tmp_path):
    """The card README's plain HTML page, served with the model folder, writes the card's
    greedy example with onnxruntime-web."""
    import re

    from rnn_site.bench.browser import SiteServer

    readme = (folders["good"] / "README.md").read_text("utf-8")
    html = re.search(r"```html\n(.*?)```", readme, re.S)
    assert html, "the README has no HTML example"
    served = tmp_path / "served"
    shutil.copytree(folders["good"], served)
    (served / "index.html").write_text(html[1], "utf-8")
    ort = ROOT / "node_modules" / "onnxruntime-web" / "dist"
    (served / "onnxruntime-web").mkdir()
    for name in ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"):
        shutil.copy(ort / name, served / "onnxruntime-web" / name)
    assert f"onnxruntime-web@{ORT_WEB_VERSION}" in html[1]
    card = json.loads((folders["good"] / "card.json").read_text("utf-8"))
    example = card["example_greedy"]
    with SiteServer(served) as url:
        page.goto(url + "index.html")
        page.wait_for_function(
            "document.getElementById('out').textContent !== 'Loading…'", timeout=60_000
        )
        assert page.text_content("#out") == example["prompt"] + example["output"]
