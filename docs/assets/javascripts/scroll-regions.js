// @ts-check
// Content that scrolls sideways (a wide formula, table or notebook cell, mostly on phones) must be
// reachable by keyboard, or a reader without a mouse cannot see its right-hand side (WCAG 2.1.1;
// axe "scrollable-region-focusable"). Each such box becomes a focusable, named region while it
// overflows, and goes back to plain content when the window grows wide enough.

/** Boxes that Material, KaTeX and mkdocs-jupyter let scroll, with the name a region gets. */
const SCROLLERS = [
  [".katex-display", "Formula (scrolls sideways)"],
  [".arithmatex > .katex", "Formula (scrolls sideways)"],
  [".md-typeset__scrollwrap", "Table (scrolls sideways)"],
  // Material makes wide code blocks focusable itself, but not when they only overflow on a phone.
  [".md-typeset pre > code", "Code (scrolls sideways)"],
  [".highlight-ipynb", "Notebook code (scrolls sideways)"],
  [".jp-OutputArea-output", "Notebook output (scrolls sideways)"],
];

function markScrollRegions() {
  for (const [selector, name] of SCROLLERS) {
    for (const box of document.querySelectorAll(selector)) {
      if (!(box instanceof HTMLElement)) continue;
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name);
        box.dataset.scrollRegion = "";
      } else if (!scrolls && "scrollRegion" in box.dataset) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    }
  }
}

let pending = 0;
function schedule() {
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(markScrollRegions);
}

// After load: KaTeX renders on DOMContentLoaded (math.js) and changes the formulas' widths.
window.addEventListener("load", schedule);
window.addEventListener("resize", schedule);
// @ts-ignore -- Material's page-ready stream, present when instant navigation is on.
if (typeof document$ !== "undefined") document$.subscribe(schedule);
