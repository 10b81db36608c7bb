"""Every page of the built site, in Chromium: no request leaves the local server, no console
error. Pages are visited as a reader would, including the demo page, whose model loads when
the page is idle."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def html_pages(site: Path) -> list[str]:
    """URL paths of every HTML page, with directory URLs as MkDocs writes them."""
    paths = []
    for file in sorted(site.rglob("*.html")):
        rel = file.relative_to(site).as_posix()
        paths.append(rel.removesuffix("index.html"))
    return paths


def test_every_page_stays_local_and_logs_no_error(built_site, site_url, page, page_log):
    pages = html_pages(built_site)
    assert "applications/text-generation/" in pages
    local = urlsplit(site_url).netloc
    problems = []
    for path in pages:
        page_log.requests.clear()
        page_log.console_errors.clear()
        page_log.page_errors.clear()
        page_log.bad_responses.clear()
        page.goto(site_url + path, wait_until="networkidle")
        if path == "applications/text-generation/":
            # The demo preloads its model in a worker once the page is idle (its module mounts
            # after load, so the status line may not exist yet); wait until that settles too.
            page.wait_for_function(
                "document.querySelector('[data-demo=text-generation] [data-role=status]')"
                "?.textContent.includes('ready')",
                timeout=120_000,
            )
        foreign = [
            u
            for u in page_log.requests
            if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != local
        ]
        for kind, items in (
            ("request to another host", foreign),
            ("console error", page_log.console_errors),
            ("uncaught exception", page_log.page_errors),
            ("HTTP error", page_log.bad_responses),
        ):
            problems += [f"/{path}: {kind}: {item}" for item in items]
    assert problems == [], "\n".join(problems)
