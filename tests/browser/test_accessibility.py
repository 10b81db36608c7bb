"""WCAG 2.2 AA on the built site, in Chromium, with axe-core (npm, pinned in package.json).

Every page is checked light and dark at 1280 px; at phone widths (375 and 320 px) the pages
with demos or figures and a few plain ones are checked, and every page must fit 320 px without
scrolling sideways. Each demo is also run once and checked again, with the text of its charts
measured: nothing drawn under 11 CSS px. Serious and critical violations fail the test; no rule
is switched off (fixes live in our CSS, the demos and overrides/).

Pages are found in the built site, so a page added later is checked without editing this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from rnn_site.bench.browser import wait_settled

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("serious", "critical")

#: Plain pages checked at phone widths besides every page with a demo or figure.
PHONE_PLAIN = ["", "models/", "notebooks/long-range/", "api/runtime/"]

#: Smallest chart text a reader should have to read (STYLE.md "Charts scale their text").
MIN_CHART_PX = 11.0

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + (n.failureSummary || "")),
  }));
}"""

# Rendered size of every piece of SVG text in demos and figures: the font size times the scale
# from SVG units to CSS pixels (a viewBox shrunk to a phone shrinks its text with it).
_CHART_TEXT = """() => Array.from(document.querySelectorAll(
    ".rnn-demo svg text, .rnn-interactive svg text")).flatMap((t) => {
  if (!t.textContent.trim() || !t.getClientRects().length) return [];
  const ctm = t.getScreenCTM();
  const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
  const px = parseFloat(getComputedStyle(t).fontSize) * scale;
  return [{ text: t.textContent.slice(0, 20), px: Math.round(px * 10) / 10,
            where: t.closest("[data-demo], [data-interactive]")?.dataset.demo
                   ?? t.closest("[data-interactive]")?.dataset.interactive }];
})"""

_SIDEWAYS = """() => {
  const d = document.documentElement;
  if (d.scrollWidth <= d.clientWidth) return null;
  // Name the widest culprits, to make the failure readable.
  return [d.scrollWidth, d.clientWidth, Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > d.clientWidth + 1)
    .filter((e) => !e.closest(".rnn-scroll-region, .md-typeset__scrollwrap, pre, .katex-display,"
      + " .highlight-ipynb, .jp-OutputArea-output, .md-sidebar, .md-search, [hidden]"))
    .slice(0, 5).map((e) => e.tagName + "." + e.className)];
}"""


@pytest.fixture(scope="module")
def axe_path() -> Path:
    if not AXE.is_file():
        message = f"{AXE} is missing: run `npm ci` (axe-core is a pinned devDependency)."
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE


def _context(browser: Any, **options: Any) -> Any:
    """A fresh browser context with room for the API pages (1.6 MB of HTML, math rendered in the
    page): on a busy 2-core machine their load event alone can pass Playwright's 30 s default."""
    context = browser.new_context(**options)
    context.set_default_timeout(180_000)
    context.set_default_navigation_timeout(180_000)
    return context


def axe_problems(page: Any, axe: Path, label: str) -> list[str]:
    """Serious and critical violations on the loaded page, one line each."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe))
    found = page.evaluate(_AXE_RUN, WCAG_TAGS)
    return [
        f"{label}: {v['id']} ({v['impact']}): {' | '.join(v['nodes'])}"
        for v in found
        if v["impact"] in FAILING
    ]


def html_pages(site: Path) -> list[str]:
    """URL paths of every HTML page of the built site, as MkDocs writes its directory URLs."""
    return [
        f.relative_to(site).as_posix().removesuffix("index.html")
        for f in sorted(site.rglob("*.html"))
    ]


def demo_pages(site: Path) -> list[str]:
    def html(path: str) -> str:
        file = site / path / "index.html" if path == "" or path.endswith("/") else site / path
        return file.read_text(encoding="utf-8")

    return [
        p for p in html_pages(site) if "data-demo=" in html(p) or "data-interactive=" in html(p)
    ]


def content_pages(site: Path) -> list[str]:
    """Every page a reader navigates to (the 404 page has no nav entry but is checked too)."""
    return [p for p in html_pages(site) if not p.startswith("assets/")]


#: Demos whose main button starts open-ended work; checked before running, covered elsewhere.
NOT_RUN = {"training-lab": "trains until the reader stops it (tests/lab cover it)"}


def run_demos(page: Any) -> None:
    """Run every demo once as a reader would: press its main button, wait for the result."""
    for demo in page.query_selector_all("[data-demo]"):
        if demo.get_attribute("data-demo") in NOT_RUN:
            continue
        button = demo.query_selector("button.md-button--primary:not([disabled])")
        if button is None or not button.is_visible():
            continue
        # Cleared here, so the wait below sees this run's end, not an earlier result.
        demo.evaluate("d => { d.dataset.state = 'pressed'; }")
        button.click()
        page.wait_for_function(
            "(d) => ['done', 'ready', 'stopped', 'error'].includes(d.dataset.state)",
            arg=demo,
            timeout=90_000,
        )
        assert demo.get_attribute("data-state") != "error", demo.inner_text()[:500]
    # Open every data table, so axe also checks what a reader finds inside.
    page.evaluate("document.querySelectorAll('details.rnn-data').forEach(d => d.open = true)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_at_desktop_width(built_site, site_url, browser, axe_path, scheme):
    context = _context(browser, viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems = []
    try:
        for path in content_pages(built_site):
            page.goto(site_url + path, wait_until="load")
            wait_settled(page)  # loaded, or failed (which axe then sees)
            problems += axe_problems(page, axe_path, f"/{path} {scheme} 1280px")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("width", "scheme"), [(375, "light"), (320, "dark")])
def test_phone_widths_pass_axe_and_never_scroll_sideways(
    built_site, site_url, browser, axe_path, width, scheme
):
    """Every page fits the phone; the pages with demos and figures (and a few others) pass axe."""
    context = _context(
        browser, viewport={"width": width, "height": 740}, color_scheme=scheme, has_touch=True
    )
    page = context.new_page()
    checked = set(demo_pages(built_site)) | set(PHONE_PLAIN)
    problems = []
    try:
        for path in content_pages(built_site):
            page.goto(site_url + path, wait_until="load")
            wait_settled(page)  # loaded, or failed (which axe then sees)
            sideways = page.evaluate(_SIDEWAYS)
            if sideways:
                problems.append(f"/{path} {width}px scrolls sideways: {sideways}")
            if path in checked:
                problems += axe_problems(page, axe_path, f"/{path} {scheme} {width}px")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (320, "dark")])
def test_after_running_each_demo(built_site, site_url, browser, axe_path, width, scheme):
    """Results, charts and tables a demo adds pass axe, fit the phone, and use readable text."""
    context = _context(browser, viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    problems = []
    small = []
    try:
        for path in demo_pages(built_site):
            page.goto(site_url + path, wait_until="load")
            wait_settled(page)  # loaded, or failed (which axe then sees)
            run_demos(page)
            sideways = page.evaluate(_SIDEWAYS)
            if sideways:
                problems.append(f"/{path} {width}px scrolls sideways after running: {sideways}")
            problems += axe_problems(page, axe_path, f"/{path} {scheme} {width}px, after running")
            texts = page.evaluate(_CHART_TEXT)
            small += [
                f"/{path} {width}px {t['where']}: {t['text']!r} at {t['px']} px"
                for t in texts
                if t["px"] < MIN_CHART_PX - 0.05
            ]
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
    assert small == [], "chart text under 11 px:\n" + "\n".join(small[:40])


def test_axe_sees_a_real_violation(site_url, browser, axe_path):
    """The check can fail: a low-contrast paragraph injected into a page is reported."""
    context = _context(browser)
    page = context.new_page()
    try:
        page.goto(site_url, wait_until="load")
        page.evaluate(
            """() => { const p = document.createElement('p');
                 p.textContent = 'barely visible'; p.style.color = '#ddd';
                 document.querySelector('article').append(p); }"""
        )
        problems = axe_problems(page, axe_path, "/ with a grey paragraph")
    finally:
        context.close()
    assert any("color-contrast" in p for p in problems), json.dumps(problems)


#: axe's landmark rules are "best-practice" (moderate), outside WCAG_TAGS: run here by name.
LANDMARK_RULES = [
    "landmark-unique",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main",
    "landmark-one-main",
]
#: The home page, an application with code blocks, and the API page that repeats headings.
LANDMARK_PAGES = [
    "",
    "applications/sentiment/",
    "api/runtime/",
    "models/",  # wide tables: scroll regions
    "notebooks/rnn-step-by-step/",  # notebook cells and outputs: scroll regions
]

_AXE_RULES = """async (rules) => {
  const result = await axe.run(document, { runOnly: { type: "rule", values: rules } });
  return result.violations.map((v) =>
    v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(" | "));
}"""


def test_landmarks_are_unique(site_url, browser, axe_path):
    """Each landmark has a role and name of its own (issue 20): the nested nav sections are named
    by their titles (overrides/partials/nav-item.html), the TOC's nested lists and the code
    blocks' copy-button wrappers are no landmarks (toc-item.html, assets/javascripts/landmarks.js),
    and each sideways-scrolling region is numbered (scroll-regions.js), on a desktop and a phone.
    Two unnamed <nav> added to the page show that the check can fail."""
    problems = []
    for width in (1280, 320):
        context = _context(browser, viewport={"width": width, "height": 900})
        page = context.new_page()
        try:
            for path in LANDMARK_PAGES:
                page.goto(site_url + path, wait_until="load")
                # Material adds the copy buttons' wrappers after load, and scroll-regions.js
                # names the regions on the frame after load: wait until both have run.
                page.wait_for_function(
                    "() => !document.querySelector('.highlight code') "
                    "|| document.querySelector('.md-code__nav')"
                )
                page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
                )
                page.add_script_tag(path=str(axe_path))
                found = page.evaluate(_AXE_RULES, LANDMARK_RULES)
                problems += [f"/{path} {width}px: {p}" for p in found]
        finally:
            context.close()
    context = _context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site_url, wait_until="load")
        page.add_script_tag(path=str(axe_path))
        page.evaluate(
            "() => document.querySelector('article').append("
            "document.createElement('nav'), document.createElement('nav'))"
        )
        injected = page.evaluate(_AXE_RULES, LANDMARK_RULES)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
    assert any(p.startswith("landmark-unique") for p in injected), injected
