// @ts-check
// Render $...$ and \(...\) with the self-hosted KaTeX (pymdownx.arithmatex in generic mode
// wraps math in .arithmatex elements; notebook pages keep raw $...$ in their Markdown cells).
function renderMath() {
  if (typeof renderMathInElement !== "function") return;
  for (const root of document.querySelectorAll(".md-content")) {
    renderMathInElement(root, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      ignoredClasses: ["rnn-demo"],
      throwOnError: false,
    });
  }
}

if (typeof document$ !== "undefined") {
  document$.subscribe(renderMath); // Material's page-ready stream
} else {
  document.addEventListener("DOMContentLoaded", renderMath);
}
