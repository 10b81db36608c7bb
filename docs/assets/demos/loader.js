// Entry point for every demo, loaded on every page (mkdocs.yml extra_javascript, type: module).
// A page asks for a demo with `<div data-demo="text-generation" data-model="char-lm"></div>`;
// this imports `./text-generation.js` next to this file and calls its `mount(element)`.
// Pages without demos pay for this file only: demo code and onnxruntime load on demand.

const NAME = /^[a-z0-9-]+$/;

for (const root of document.querySelectorAll("[data-demo]")) {
  const name = root.dataset.demo;
  const fail = (message) => {
    const alert = document.createElement("div");
    alert.setAttribute("role", "alert");
    alert.className = "rnn-alert";
    alert.textContent = message;
    root.append(alert);
    root.dataset.state = "error";
  };
  if (!NAME.test(name)) {
    fail(`Unknown demo "${name}".`);
    continue;
  }
  import(`./${name}.js`)
    .then((module) => module.mount(root))
    .catch((err) => fail(`The ${name} demo could not start: ${err.message}`));
}
