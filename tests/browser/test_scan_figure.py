"""Chapter 5's benchmark figure on a phone and a desktop: its text is never under 11 CSS px.

The figure is an SVG in an <img> (drawn by matplotlib at build time), so the accessibility
test's measurement of inline chart text cannot see it. Here each <img> SVG on the page is
measured as shown: the file the browser chose (the <picture> picks a phone layout below 32em)
is laid out inline at the width the <img> has on screen, and every label's font size is
scaled to CSS pixels. Its numbers are also in the data table under it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rnn_site.sitebuild.next_data import FIGURE_PATH, NARROW_FIGURE_PATH

pytestmark = pytest.mark.browser

MIN_PX = 11.0

# For every SVG <img> in the article: its file as shown (currentSrc), laid out at the <img>'s
# width off screen, and each text's font size times the SVG-to-CSS-pixel scale.
_MEASURE = """async () => {
  const out = [];
  for (const img of document.querySelectorAll("article img")) {
    if (!img.currentSrc.endsWith(".svg")) continue;
    const width = img.getBoundingClientRect().width;
    const source = await (await fetch(img.currentSrc)).text();
    const svg = new DOMParser().parseFromString(source, "image/svg+xml").documentElement;
    svg.setAttribute("width", String(width));
    svg.removeAttribute("height");
    const box = document.createElement("div");
    box.style.cssText = "position: absolute; left: -10000px; top: 0";
    box.append(document.importNode(svg, true));
    document.body.append(box);
    const texts = [...box.querySelectorAll("text")].filter((t) => t.textContent.trim());
    for (const t of texts) {
      const ctm = t.getScreenCTM();
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b);
      out.push({ src: img.currentSrc.split("/").pop(), width, text: t.textContent, px });
    }
    box.remove();
  }
  return out;
}"""


@pytest.mark.parametrize(
    ("width", "layout"),
    [(320, NARROW_FIGURE_PATH), (512, NARROW_FIGURE_PATH), (520, FIGURE_PATH), (1280, FIGURE_PATH)],
)
def test_benchmark_figure_text_is_at_least_11px(browser: Any, site_url: str, width, layout):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(site_url + "next/", wait_until="load")
        texts = page.evaluate(_MEASURE)
    finally:
        context.close()
    assert {t["src"] for t in texts} == {layout.name}
    # Every label is there (ticks, axis titles, the legend), not only a few.
    assert len(texts) >= 15
    small = [f"{t['text']!r} at {t['px']:.1f} px ({t['width']:.0f} px wide)" for t in texts]
    small = [s for s, t in zip(small, texts, strict=True) if t["px"] < MIN_PX - 0.05]
    assert small == [], f"{layout.name} at {width} px draws text under 11 px:\n" + "\n".join(small)


def test_benchmark_figure_has_its_numbers_in_a_table(page: Any, site_url: str, built_site: Path):
    data = json.loads(
        (
            Path(__file__).resolve().parents[2] / "rnn_site/experiments/results/scan_benchmark.json"
        ).read_text("utf-8")
    )
    assert (built_site / NARROW_FIGURE_PATH).is_file()
    page.goto(site_url + "next/")
    table = page.locator("details[data-role=data-table]", has_text="ms per training step")
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert [r[0] for r in rows] == [f"{n:,}" for n in data["lengths"]]
    for k, row in enumerate(rows):
        assert row[1:] == [f"{data['ms'][name][k]:.1f}" for name in data["ms"]]
