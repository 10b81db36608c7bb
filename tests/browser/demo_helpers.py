"""Driving a demo the way a reader does, for the browser tests of the form-based demos.

The demos publish their progress on their root element (see ``StatusArea`` in
docs/assets/demos/ui.js): ``data-state`` ("loading", "ready", "done", "error", ...),
``data-updates`` (results shown so far), ``data-errors`` (inputs rejected so far) and
``data-result`` (the last result, JSON). These helpers wait on those, never on time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: Buttons need text; every other control needs a non-empty <label> (JS, for page.eval_on_...).
UNLABELLED = """els => els.filter(e => e.tagName === 'BUTTON'
    ? !e.textContent.trim() : !(e.labels && e.labels.length && e.labels[0].textContent.trim()))
    .map(e => e.outerHTML)"""


def open_demo(page: Any, url: str, demo: str) -> str:
    """Open `url` and wait for the demo's first result or error (its model loads when the page
    is idle, then it runs its example); return the state."""
    page.goto(url)
    return wait_state(page, demo)


def call_module(page: Any, site_url: str, module: str, function: str, argument: Any) -> Any:
    """Import ``assets/demos/<module>`` as the built site serves it and return
    ``function(module, argument)``, `function` being JavaScript source such as
    ``"(m, cases) => cases.map(m.tokenize)"``: the browser's own copy under test, not Node's."""
    return page.evaluate(
        f"async (argument) => ({function})(await import(new URL('assets/demos/{module}', "
        f"'{site_url}').href), argument)",
        argument,
    )


def site_model(runtime: Any, name: str) -> Any:
    """A pytest fixture: `runtime` (a runtime class) loaded from the built site's models/`name`,
    the very files the page downloads."""

    @pytest.fixture
    def model(built_site: Path) -> Any:
        return runtime.load(built_site / "models" / name)

    return model


def wait_state(page: Any, demo: str, states: tuple[str, ...] = ("done", "error")) -> str:
    """Wait until the demo at selector `demo` is in one of `states`; return the state."""
    page.wait_for_function(
        f"{list(states)!r}.includes(document.querySelector('{demo}').dataset.state)",
        timeout=60_000,
    )
    return str(page.get_attribute(demo, "data-state"))


def submit(page: Any, demo: str, fields: dict[str, str]) -> str:
    """Fill `fields` (selector → text) in order, Tab to the submit button and press Enter (the
    keyboard, as a reader without a mouse would); wait for a new result or a new error."""
    if not fields:
        raise ValueError("submit() needs at least one field to fill")
    before = page.get_attribute(demo, "data-updates") or "0"
    errors = page.get_attribute(demo, "data-errors") or "0"
    for selector, value in fields.items():
        page.fill(selector, value)
    page.press(selector, "Tab")
    page.keyboard.press("Enter")  # the focused submit button
    page.wait_for_function(
        f"(d => d.dataset.updates !== '{before}' || (d.dataset.errors ?? '0') !== '{errors}')"
        f"(document.querySelector('{demo}'))",
        timeout=30_000,
    )
    return str(page.get_attribute(demo, "data-state"))


def unlabelled_controls(page: Any, demo: str) -> list[str]:
    """The HTML of every control in the demo that a screen reader could not name."""
    return list(
        page.eval_on_selector_all(f"{demo} :is(input, select, textarea, button)", UNLABELLED)
    )


def serve_damaged(page: Any, pattern: str) -> None:
    """Serve the files matching `pattern` with their middle byte flipped: the real file, damaged
    on the way, which the demo's sha256 check must refuse with a message for the reader."""

    def damage(route: Any) -> None:
        response = route.fetch()
        body = bytearray(response.body())
        body[len(body) // 2] ^= 0xFF
        route.fulfill(response=response, body=bytes(body))

    page.route(pattern, damage)


def assert_clean(page_log: Any, site_url: str) -> None:
    """No exceptions, console errors or failed responses, and no request outside the site."""
    assert not page_log.page_errors, page_log.page_errors
    assert not page_log.console_errors, page_log.console_errors
    assert not page_log.bad_responses, page_log.bad_responses
    assert all(u.startswith(site_url) for u in page_log.requests), page_log.requests


def assert_fits_width(page: Any) -> None:
    """The page scrolls only up and down: nothing on it is wider than the viewport."""
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], f"page is {width[0]}px wide in a {width[1]}px viewport"
