// @ts-check
/**
 * Material 9.8.2 wraps each code block's copy button in a `<nav class="md-code__nav">`, added by
 * its script after load. Every one is an unnamed navigation landmark, so a page with two code
 * blocks repeats a landmark (axe landmark-unique) and a screen reader's landmark list fills with
 * "navigation" entries that lead to a copy button. They are toolbars, not navigation: `role="none"`
 * takes them out of the landmark list and leaves the button as it was. Loaded by
 * overrides/main.html; drop it when Material stops rendering these as <nav>.
 */

const SELECTOR = "nav.md-code__nav:not([role])";

/** @param {ParentNode} root */
function unmark(root) {
  for (const nav of root.querySelectorAll(SELECTOR)) nav.setAttribute("role", "none");
}

unmark(document);
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node instanceof Element && (node.matches(SELECTOR) || node.querySelector(SELECTOR))) {
        unmark(node.parentNode ?? node);
      }
    }
  }
}).observe(document.body, { childList: true, subtree: true });
