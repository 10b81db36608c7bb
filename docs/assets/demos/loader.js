// @ts-check
// Entry point for every demo and chapter figure, loaded on every page (mkdocs.yml extra_javascript,
// type: module). A page asks for one with a marked element; this imports its module and calls the
// module's `mount(element)`:
//   <div data-demo="text-generation" data-model="char-lm" class="rnn-demo">  ->  ./text-generation.js
//   <div data-interactive="unrolling" class="rnn-demo rnn-interactive">      ->  ../interactive/unrolling.js
// `rnn-demo` keeps KaTeX out of the element (docs/assets/javascripts/math.js, ignoredClasses).
// A module that cannot load, or a mount that throws or rejects, is reported inside the element.
// Pages without demos pay for this file only: demo code, ui.js and onnxruntime load on demand.

const NAME = /^[a-z0-9-]+$/;

/** @type {{attribute: string, folder: string, what: (name: string) => string}[]} */
const KINDS = [
  { attribute: "demo", folder: "./", what: (name) => `The ${name} demo` },
  { attribute: "interactive", folder: "../interactive/", what: () => "This figure" },
];

for (const { attribute, folder, what } of KINDS) {
  const roots = /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(`[data-${attribute}]`));
  for (const root of roots) {
    root.classList.add("rnn-demo");
    const name = root.dataset[attribute] ?? ""; // present: the selector asked for it
    const started = NAME.test(name)
      ? import(`${folder}${name}.js`).then((module) => module.mount(root))
      : Promise.reject(new Error(`there is no module named "${name}"`));
    started.catch((err) => fail(root, `${what(name)} could not start: ${err.message}`));
  }
}

/**
 * Say on the page (and in the console) that a demo or figure could not start.
 * @param {HTMLElement} root
 * @param {string} message
 */
async function fail(root, message) {
  console.error(message);
  root.dataset.state = "error";
  try {
    const { showError } = await import("./ui.js");
    showError(root, message);
  } catch {
    root.append(message); // ui.js itself did not load: plain text still beats a blank box
  }
}
