"""Fixtures for the real-browser tests: the built site on a local HTTP server, and Chromium.

Chromium is Debian's (`/usr/bin/chromium`, or `RNN_SITE_CHROMIUM`), driven by the Python
`playwright` package; `playwright install` is never needed. Without Chromium the tests skip
locally and fail under CI (`CI=true`), so a CI image that lost its browser cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rnn_site.bench.browser import CHROMIUM_ARGS, SiteServer, chromium_path


def _require_chromium() -> str:
    path = chromium_path()
    if path and (Path(path).is_file() or shutil.which(path)):
        return path
    message = (
        f"Chromium not found at {path!r}: install Debian's `chromium` package or set "
        "RNN_SITE_CHROMIUM to a Chromium/Chrome binary (never `playwright install`)."
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """Base URL (ending in /) of the built site served on 127.0.0.1 at a free port."""
    with SiteServer(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The one Playwright driver of the session: its sync API runs an event loop, and a second
    ``sync_playwright()`` started while it runs is refused ("Sync API inside the asyncio loop"),
    so a test that needs a browser with other flags launches it from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    executable = _require_chromium()
    browser = playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class PageLog:
    """What a page did that a reader would not want: requests elsewhere, errors, exceptions."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Any, page_log: PageLog) -> Iterator[Any]:
    """A fresh page (own context, so no Cache API carry-over between tests) that logs trouble."""
    context = browser.new_context()
    page = context.new_page()
    page.on("request", lambda r: page_log.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda e: page_log.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: page_log.failed.append(f"{r.url}: {r.failure}"))
    # Console errors for HTTP failures do not name the URL; this does.
    page.on(
        "response",
        lambda r: r.status >= 400 and page_log.bad_responses.append(f"{r.status} {r.url}"),
    )
    # Worker requests already reach page.on("request"); worker console errors need this.
    page.on(
        "worker",
        lambda w: w.on(
            "console",
            lambda m: m.type == "error" and page_log.console_errors.append(f"worker: {m.text}"),
        ),
    )
    yield page
    context.close()
