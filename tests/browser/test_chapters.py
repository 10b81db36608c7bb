"""Chapters 1 and 3 in Chromium: each interactive figure starts, and moving a control changes
what is drawn. Keyboard and a 375 px screen are how some readers will use them."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

#: A page's own <script src> for a figure or demo module: only the shared loader may load them.
OWN_SCRIPT = re.compile(r'<script[^>]+src="[^"]*assets/(interactive|demos)/(?!loader\.js)')
ROOT_TAG = re.compile(r"<[a-z]+[^>]*\bdata-(?:demo|interactive)=[^>]*>")


def _open(page: Any, site_url: str, path: str, name: str) -> Any:
    page.goto(site_url + path, wait_until="networkidle")
    page.wait_for_selector(f'[data-interactive="{name}"][data-ready]', timeout=15000)
    root = page.locator(f'[data-interactive="{name}"]')
    assert root.locator("[data-role=alert]").inner_text() == ""
    return root


def _filled_units(root: Any) -> int:
    return root.locator(".ri-step:not(.ri-future) .ri-unit").count()


def test_unrolling_view_steps_through_time(site_url, page, page_log) -> None:
    root = _open(page, site_url, "rnn/", "unrolling")
    readout = root.locator("[data-role=readout]")
    assert "nothing read yet" in readout.inner_text()
    assert _filled_units(root) == 3  # only h_0

    root.locator("[data-role=next]").click()
    assert "read “h”" in readout.inner_text()
    assert _filled_units(root) == 6
    first = root.locator("[data-role=arithmetic]").inner_text()

    # Keyboard: the slider is a native range input, so arrow keys move it.
    root.locator("[data-role=step]").focus()
    page.keyboard.press("ArrowRight")
    assert "read “e”" in readout.inner_text()
    assert _filled_units(root) == 9
    assert root.locator("[data-role=arithmetic]").inner_text() != first

    # Another word: same letters, other order, other states.
    before = root.locator(".ri-unit[data-value]").evaluate_all(
        "els => els.map(e => e.dataset.value)"
    )
    root.locator("[data-role=text]").select_option(label="“olleh”")
    after = root.locator(".ri-unit[data-value]").evaluate_all(
        "els => els.map(e => e.dataset.value)"
    )
    assert before != after
    assert page_log.page_errors == [] and page_log.console_errors == []


def test_unrolling_shows_the_numbers_the_package_computed(site_url, page) -> None:
    from rnn_site.experiments.unrolling import tiny_rnn, unroll

    root = _open(page, site_url, "rnn/", "unrolling")
    steps = unroll(tiny_rnn(), "hello")
    for _ in steps:
        root.locator("[data-role=next]").click()
    assert root.locator("[data-role=next]").is_disabled()
    table = root.locator("[data-role=arithmetic]").inner_text()
    for value in steps[-1].h:
        assert f"{value:.3f}" in table


def test_gradient_explorer_redraws_for_every_control(site_url, page, page_log) -> None:
    root = _open(page, site_url, "training/", "gradient-flow")
    chosen = root.locator("path.ri-chosen")
    readout = root.locator("[data-role=readout]")

    def state() -> tuple[str, str, str]:
        return chosen.get_attribute("d"), chosen.get_attribute("data-cell"), readout.inner_text()

    start = state()
    assert start[1] == "rnn" and "vanishes" in start[2]

    root.locator("[data-role=scale]").focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")  # up to the largest scale, 3.0
    exploding = state()
    assert exploding[0] != start[0] and "explodes" in exploding[2]

    root.locator("[data-role=clip]").check()
    clipped = state()
    assert clipped[0] != exploding[0] and "Clipping scales every gradient" in clipped[2]

    root.locator("[data-role=cell-lstm-fb1]").check()
    assert state()[1] == "lstm-fb1"

    root.locator("[data-role=time]").select_option("100")
    assert "T = 100" in readout.inner_text()
    assert root.locator("path.ri-line").count() == 4
    assert page_log.page_errors == [] and page_log.console_errors == []


@pytest.mark.parametrize(("path", "name"), [("rnn/", "unrolling"), ("training/", "gradient-flow")])
def test_figures_fit_a_phone_screen(browser, site_url, path, name) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        root = _open(page, site_url, path, name)
        width = page.evaluate("document.documentElement.clientWidth")
        box = root.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_missing_data_is_reported_on_the_page(site_url, page) -> None:
    page.route(
        "**/assets/interactive/data/gradient-flow.json", lambda route: route.fulfill(status=404)
    )
    page.goto(site_url + "training/", wait_until="networkidle")
    alert = page.locator('[data-interactive="gradient-flow"] [data-role=alert]')
    alert.wait_for(state="visible")
    assert "could not start" in alert.inner_text() and "HTTP 404" in alert.inner_text()


def test_a_figure_whose_module_fails_to_load_says_so(site_url, page) -> None:
    # The shared loader mounts figures as well as demos; a failed import must not leave a blank.
    page.route("**/assets/interactive/unrolling.js", lambda route: route.fulfill(status=404))
    page.goto(site_url + "rnn/", wait_until="networkidle")
    alert = page.locator('[data-interactive="unrolling"] [role=alert]')
    alert.wait_for(state="visible")
    assert "This figure could not start" in alert.inner_text()
    assert page.get_attribute('[data-interactive="unrolling"]', "data-ready") is None


def test_figures_and_demos_are_mounted_by_the_shared_loader_only(built_site) -> None:
    # One mount mechanism: no page loads a figure or demo script itself, and every figure and
    # demo root carries .rnn-demo, which math.js keeps KaTeX out of.
    roots = 0
    for html in built_site.rglob("*.html"):
        text = html.read_text("utf-8")
        assert not OWN_SCRIPT.search(text), html
        for tag in ROOT_TAG.findall(text):
            roots += 1
            assert re.search(r'class="[^"]*\brnn-demo\b', tag), f"{html}: {tag}"
    assert roots >= 6
