// @ts-check
// Content that scrolls sideways (a wide formula, table or notebook cell, mostly on phones) must be
// reachable by keyboard, or a reader without a mouse cannot see its right-hand side (WCAG 2.1.1;
// axe "scrollable-region-focusable"). Each such box becomes a focusable, named region while it
// overflows, and goes back to plain content when the window grows wide enough.

/** Boxes that Material, KaTeX and mkdocs-jupyter let scroll, with the kind a region's name says. */
const SCROLLERS = [
  [".katex-display", "Formula"],
  [".arithmatex > .katex", "Formula"],
  [".md-typeset__scrollwrap", "Table"],
  // Material makes wide code blocks focusable itself, but not when they only overflow on a phone.
  [".md-typeset pre > code", "Code"],
  [".highlight-ipynb", "Notebook code"],
  [".jp-OutputArea-output", "Notebook output"],
];

function markScrollRegions() {
  // Regions are landmarks, so each needs its own name (axe "landmark-unique"): the kind and its
  // place among the page's boxes of that kind, counted whether or not they scroll now, so a
  // name does not change when the window is resized.
  /** @type {Map<string, number>} */
  const seen = new Map();
  for (const [selector, kind] of SCROLLERS) {
    for (const box of document.querySelectorAll(selector)) {
      if (!(box instanceof HTMLElement)) continue;
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", `${kind} ${n} (scrolls sideways)`);
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
