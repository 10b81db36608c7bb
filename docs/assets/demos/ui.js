// @ts-check
// Small DOM helpers shared by every demo and chapter figure: HTML and SVG element building, load
// progress and errors shown on the page (role=status / role=alert), and number formatting.
// Nothing model-specific. Safe to import from a worker: nothing here touches the DOM until called.

import { DemoError, Model } from "./runtime.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Attributes for el() and svg(): values are written with String(); false, null and undefined leave
 * the attribute out and true sets it empty (boolean attributes such as `disabled`).
 * @typedef {Record<string, string | number | boolean | null | undefined>} Attributes
 */

/**
 * Children for el() and svg(): one node or text, or a flat list of them.
 * @typedef {Node | string | (Node | string)[]} Children
 */

/**
 * el("button", {type: "button", class: "x"}, ["Go"]) — attributes as strings, children as nodes or text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {Children} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, children = []) {
  return build(document.createElement(tag), attributes, children);
}

/**
 * Same as el() for SVG elements: svg("rect", {x: 0, width: 10}, [svg("title", {}, ["a bar"])]).
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {Children} [children]
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attributes = {}, children = []) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

/**
 * false, null and undefined leave an attribute out; true sets it empty (boolean attributes).
 * @template {Element} E
 * @param {E} node
 * @param {Attributes} attributes
 * @param {Children} children
 * @returns {E}
 */
function build(node, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...[children].flat());
  return node;
}

/**
 * The error box of a demo or figure: role=alert, empty (hence hidden and silent) until something
 * goes wrong. Every demo and figure shows its errors in one of these, so they look alike.
 * @param {Element} container
 * @returns {HTMLDivElement}
 */
export function alertBox(container) {
  const box = el("div", { role: "alert", class: "rnn-alert", "data-role": "alert" });
  container.append(box);
  return box;
}

/**
 * Show `message` in `root`'s error box, adding one if it has none yet (e.g. its module failed to load).
 * @param {Element} root
 * @param {string} message
 */
export function showError(root, message) {
  const box = root.querySelector("[data-role=alert]") ?? alertBox(root);
  box.textContent = message;
}

/**
 * Element ids unique to one demo on the page: `id("text")` is "<demo>-text".
 * @typedef {(name: string) => string} IdMaker
 */

/**
 * Empty `root` for a demo (it may hold a no-JavaScript message) and return `id(name)`: element
 * ids unique to this demo on the page, so every control can have its <label for=…>.
 * @param {HTMLElement} root
 * @param {...string} classes
 * @returns {IdMaker}
 */
export function startDemo(root, ...classes) {
  const prefix = root.id || root.dataset.demo;
  root.replaceChildren();
  root.classList.add("rnn-demo", ...classes);
  return (name) => `${prefix}-${name}`;
}

/**
 * A control with its <label for=…> (the control needs an id) and, after it, `extra` nodes such
 * as an <output> or a hint, wrapped in the demos' .rnn-field box.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {(Node | string)[]} [extra]
 */
export function field(label, control, extra = []) {
  return el("div", { class: "rnn-field" }, [el("label", { for: control.id }, label), control, ...extra]);
}

/**
 * A range slider and an <output> that shows its value with `digits` decimals as it moves (for the
 * eye: aria-hidden, since the slider itself tells a screen reader its value).
 * @param {string} id  the slider's id
 * @param {{min: number, max: number, step: number, value: number}} range
 * @param {number} [digits]
 * @returns {{input: HTMLInputElement, output: HTMLOutputElement}}
 */
export function slider(id, { min, max, step, value }, digits = 0) {
  const input = el("input", { id, type: "range", min, max, step, value });
  const output = el("output", { for: id, "aria-hidden": "true" }, value.toFixed(digits));
  input.addEventListener("input", () => (output.value = Number(input.value).toFixed(digits)));
  return { input, output };
}

/**
 * `value` (a form field's text) as a whole number from `min` to `max`; otherwise a DemoError
 * that names the setting (`name`) and the range, shown to the reader as it is.
 * @param {unknown} value  usually a string; numbers (and anything else) go through Number() too
 * @param {string} name
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
export function whole(value, name, min, max) {
  const n = Number(value);
  if (value === "" || !Number.isInteger(n) || n < min || n > max)
    throw new DemoError(`${name} must be a whole number from ${min} to ${max} (got "${value}").`);
  return n;
}

/**
 * The labelled text box of a text demo, with a hint under it: returns {field, input}. `maxlength`
 * is one above `maxChars`, so text pasted past the limit reaches the demo's own "too long" message
 * instead of being cut silently.
 * @param {IdMaker} id
 * @param {{label: string, hint: string, value: string, maxChars: number}} options
 * @returns {{field: HTMLDivElement, input: HTMLTextAreaElement}}
 */
export function textField(id, { label, hint, value, maxChars }) {
  const input = el("textarea", {
    id: id("text"),
    rows: "2",
    maxlength: String(maxChars + 1),
    spellcheck: "true",
    "aria-describedby": id("hint"),
  });
  input.value = value;
  const field = el("div", { class: "rnn-field" }, [
    el("label", { for: id("text") }, label),
    input,
    el("small", { id: id("hint") }, hint),
  ]);
  return { field, input };
}

/**
 * A labelled whole-number box with a hint under it (e.g. a beam width): returns {field, input}.
 * The demo checks the value itself (the form is `novalidate`), so a bad one gets its message.
 * @param {IdMaker} id
 * @param {{name: string, label: string, hint: string, value: number, max: number, min?: number}} options
 * @returns {{field: HTMLDivElement, input: HTMLInputElement}}
 */
export function numberField(id, { name, label, hint, value, max, min = 1 }) {
  const input = el("input", {
    id: id(name),
    type: "number",
    min,
    max,
    step: 1,
    value,
    inputmode: "numeric",
    "aria-describedby": id(`${name}-hint`),
  });
  return { field: field(label, input, [el("small", { id: id(`${name}-hint`) }, hint)]), input };
}

/**
 * A demo's main button: submits its form, disabled until the model has loaded.
 * @param {string} label
 * @returns {HTMLButtonElement}
 */
export function submitButton(label) {
  return el("button", { type: "submit", class: "md-button md-button--primary", disabled: true }, label);
}

/**
 * Show a character so that whitespace and control characters are visible.
 * @param {string} ch
 * @returns {string}
 */
export function visibleChar(ch) {
  if (ch === "\n") return "↵";
  if (ch === " ") return "␣";
  if (ch === "\t") return "⇥";
  const code = ch.codePointAt(0);
  if (code === undefined) return ch; // the empty string
  if (code < 0x20 || (code >= 0x7f && code < 0xa0))
    return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return ch;
}

/**
 * A byte count for people: "512 B", "96 kB", "3.7 MB".
 * @param {number} n
 * @returns {string}
 */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A demo's status line, download progress bar and error box.
 * The status is a polite live region (screen readers hear progress without being interrupted);
 * the error box is role=alert and stays empty, hence silent, until something goes wrong.
 */
export class StatusArea {
  /** @param {HTMLElement} container  the demo root, or a box inside it */
  constructor(container) {
    this.message = el("p", { role: "status", class: "rnn-status", "data-role": "status" });
    this.bar = el("progress", {
      class: "rnn-progress",
      max: "1",
      value: "0",
      hidden: true,
      "aria-hidden": "true",
    });
    container.append(this.message, this.bar);
    this.alert = alertBox(container);
    this.root = container;
    /** @type {HTMLButtonElement | null | undefined} */
    this.retryButton = undefined;
  }

  /** @param {string} text */
  info(text) {
    this.message.textContent = text;
  }

  /**
   * The model has loaded: say so in `text`, set the state to "ready" and enable the `controls`
   * the reader uses next.
   * @param {string} text
   * @param {...(HTMLButtonElement | HTMLInputElement | HTMLSelectElement)} controls
   */
  ready(text, ...controls) {
    this.info(text);
    this.root.dataset.state = "ready";
    for (const control of controls) control.disabled = false;
  }

  /**
   * Download progress of one file; `total` may be unknown (0).
   * @param {import("./runtime.js").Progress} progress
   */
  progress({ file, loaded, total, cached }) {
    const name = file.split("/").pop();
    if (cached) {
      this.info(`Loaded ${name} from the browser cache.`);
      this.bar.hidden = true;
      return;
    }
    this.bar.hidden = loaded >= total && total > 0;
    if (total > 0) this.bar.value = loaded / total;
    else this.bar.removeAttribute("value"); // indeterminate
    this.info(`Downloading ${name}: ${formatBytes(loaded)}${total ? ` of ${formatBytes(total)}` : ""}`);
  }

  /**
   * Show an error for the reader; `err.message` is written for them (see DemoError).
   * @param {unknown} err  anything thrown; one without a message is shown with String()
   */
  error(err) {
    this.bar.hidden = true;
    this.alert.textContent =
      /** @type {{message?: string} | null | undefined} */ (err)?.message ?? String(err);
  }

  clearError() {
    this.alert.textContent = "";
  }

  /**
   * Clear the last error and run `check`, an input check that throws a DemoError: returns its
   * value, or undefined once the error is shown (as by fail()), so the caller stops there.
   * @template T
   * @param {() => T} check
   * @returns {T | undefined}
   */
  accept(check) {
    this.clearError();
    try {
      return check();
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  /**
   * A demo's result is ready: `root.dataset.result` holds it as JSON, `dataset.updates` counts
   * results and `dataset.state` is "done", so a browser test can wait for the next one and read it.
   * @param {unknown} result  anything JSON.stringify() accepts
   */
  done(result) {
    this.root.dataset.result = JSON.stringify(result);
    this.root.dataset.updates = String(Number(this.root.dataset.updates ?? 0) + 1);
    this.root.dataset.state = "done";
  }

  /**
   * Show the error (a rejected input or a failed load), count it in `dataset.errors`, state "error".
   * @param {unknown} err
   */
  fail(err) {
    this.root.dataset.state = "error";
    this.root.dataset.errors = String(Number(this.root.dataset.errors ?? 0) + 1);
    this.error(err);
  }

  /**
   * A load failed (often the network): show the error with a *Try again* button that runs `load`
   * again, so the reader never needs to reload the page. `load` is the demo's whole start-up; the
   * runtime forgets failed downloads, so the second try fetches afresh.
   * @param {unknown} err
   * @param {() => unknown} load
   */
  failLoad(err, load) {
    this.fail(err);
    // Some demos keep their status in a box inside the demo; the demo root carries the state too.
    /** @type {HTMLElement} */
    const demo = this.root.closest("[data-demo], [data-interactive]") ?? this.root;
    demo.dataset.state = "error";
    this.alert.append(" Check the connection, then press Try again.");
    this.retryButton?.remove();
    this.retryButton = el(
      "button",
      { type: "button", class: "md-button rnn-retry", "data-role": "retry" },
      "Try again",
    );
    this.retryButton.addEventListener("click", () => {
      this.retryButton?.remove();
      this.retryButton = null;
      this.clearError();
      this.root.dataset.state = demo.dataset.state = "loading";
      this.info("Trying again…");
      load();
    });
    this.alert.after(this.retryButton);
    this.retryButton.focus();
  }
}

/**
 * The numbers a chart draws, as a table under a closed disclosure: a screen reader (or anyone who
 * wants exact values) reaches them, and the page stays short. `rows` hold strings or numbers.
 * @param {string} summary
 * @param {(string | number)[]} headers
 * @param {(string | number)[][]} rows
 * @returns {HTMLDetailsElement}
 */
export function dataTable(summary, headers, rows) {
  /** @type {(tag: "th" | "td", value: string | number) => HTMLTableCellElement} */
  const cell = (tag, value) => el(tag, tag === "th" ? { scope: "col" } : {}, String(value));
  return el("details", { class: "rnn-data", "data-role": "data-table" }, [
    el("summary", {}, summary),
    el("div", { class: "rnn-data-scroll", tabindex: "0", role: "region", "aria-label": summary }, [
      el("table", {}, [
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            headers.map((h) => cell("th", h)),
          ),
        ),
        el(
          "tbody",
          {},
          rows.map((row) =>
            el(
              "tr",
              {},
              row.map((v) => cell("td", v)),
            ),
          ),
        ),
      ]),
    ]),
  ]);
}

/**
 * Ctrl+Enter (⌘+Enter on a Mac) in a text box submits its form, as in chat and code editors:
 * Enter alone still types a new line.
 * @param {HTMLElement} input
 * @param {HTMLFormElement} form
 */
export function submitOnCtrlEnter(input, form) {
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
}

/**
 * Put `table` (a fresh dataTable) in the place of `old`, open if the reader had opened it: a chart
 * redrawn with new numbers keeps its disclosure as the reader left it.
 * @param {Element} old
 * @param {Element} table
 * @returns {Element} table
 */
export function replaceDataTable(old, table) {
  table.toggleAttribute("open", old.hasAttribute("open"));
  old.replaceWith(table);
  return table;
}

/**
 * Make a figure that may be wider than a phone scroll sideways inside itself, as a focusable,
 * named region (a keyboard reader scrolls it with the arrow keys; WCAG 2.1.1).
 * @template {Element} E
 * @param {E} figure
 * @param {string} name
 * @returns {E}
 */
export function scrollRegion(figure, name) {
  figure.classList.add("rnn-scroll-region");
  figure.setAttribute("tabindex", "0");
  figure.setAttribute("role", "region");
  figure.setAttribute("aria-label", name);
  return figure;
}

/**
 * A demo's model: the one its root names in `data-model` (else `fallback`), with its downloads
 * shown in `status`. Annotate the variable with the card type the demo reads.
 * @template {import("./runtime.js").Card} C
 * @param {HTMLElement} root
 * @param {string} fallback
 * @param {StatusArea} status
 * @returns {Model<C>}
 */
export function demoModel(root, fallback, status) {
  return new Model(root.dataset.model ?? fallback, { onProgress: (p) => status.progress(p) });
}

/**
 * Run `task` once the page is idle (after its own loading and first paint), so a demo's runtime
 * and model download before the reader's first click instead of after it. Skipped when the
 * browser's data saver is on: then the first click downloads, as before (returns false, so the
 * demo can say so).
 * @param {() => void} task
 * @returns {boolean} whether `task` was scheduled
 */
export function whenIdle(task) {
  // @ts-ignore -- navigator.connection is not in every browser (nor in TypeScript's DOM types).
  if (navigator.connection?.saveData) return false;
  const start = () =>
    "requestIdleCallback" in window
      ? requestIdleCallback(() => task(), { timeout: 3000 })
      : setTimeout(task, 500);
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start, { once: true });
  return true;
}

/**
 * Start a model demo when the page is idle: `load` (onnxruntime-web and the model) then `first`
 * (a first result); the demo's state is "loading" until `load` says otherwise. A failed load
 * offers *Try again*; a failed first result shows like any other. With the data saver on,
 * nothing downloads until the reader presses `button`.
 * @param {StatusArea} status
 * @param {HTMLButtonElement} button  the demo's main button, disabled until `load` enables it
 * @param {() => Promise<void>} load
 * @param {() => Promise<void>} first
 */
export function loadWhenIdle(status, button, load, first) {
  status.root.dataset.state = "loading";
  const start = () =>
    load()
      .then(first, (err) => status.failLoad(err, start))
      .catch((err) => status.fail(err));
  if (whenIdle(start)) return;
  button.disabled = false;
  status.info(`Data saver is on: press “${button.textContent}” to download the model.`);
  button.addEventListener("click", () => ((button.disabled = true), start()), { once: true });
}

/**
 * `task` run one at a time: a call while it runs asks for one more run after it, so the latest
 * controls win and a burst of slider moves costs one extra forecast, not one each.
 * @param {() => Promise<void>} task
 */
export function latestOnly(task) {
  let running = false;
  let pending = false;
  return async () => {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      do {
        pending = false;
        await task();
      } while (pending);
    } finally {
      running = false;
    }
  };
}

/**
 * An empty chart: an SVG image as wide as its container, named `label` for screen readers until
 * the demo draws it (and names what it drew).
 * @param {string} label
 * @returns {SVGSVGElement}
 */
export function chartSvg(label) {
  const chart = svg("svg", {
    viewBox: "0 0 640 300",
    role: "img",
    "aria-label": label,
    "data-role": "chart",
  });
  chart.style.width = "100%";
  return /** @type {SVGSVGElement} */ (chart);
}
