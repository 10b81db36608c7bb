// Small DOM helpers shared by every demo and chapter figure: HTML and SVG element building, load
// progress and errors shown on the page (role=status / role=alert), and number formatting.
// Nothing model-specific. Safe to import from a worker: nothing here touches the DOM until called.

import { DemoError } from "./runtime.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** el("button", {type: "button", class: "x"}, ["Go"]) — attributes as strings, children as nodes or text. */
export function el(tag, attributes = {}, children = []) {
  return build(document.createElement(tag), attributes, children);
}

/** Same as el() for SVG elements: svg("rect", {x: 0, width: 10}, [svg("title", {}, ["a bar"])]). */
export function svg(tag, attributes = {}, children = []) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** false, null and undefined leave an attribute out; true sets it empty (boolean attributes). */
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
 */
export function alertBox(container) {
  const box = el("div", { role: "alert", class: "rnn-alert", "data-role": "alert" });
  container.append(box);
  return box;
}

/** Show `message` in `root`'s error box, adding one if it has none yet (e.g. its module failed to load). */
export function showError(root, message) {
  const box = root.querySelector("[data-role=alert]") ?? alertBox(root);
  box.textContent = message;
}

/**
 * Empty `root` for a demo (it may hold a no-JavaScript message) and return `id(name)`: element
 * ids unique to this demo on the page, so every control can have its <label for=…>.
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
 * `value` (a form field's text) as a whole number from `min` to `max`; otherwise a DemoError
 * that names the setting (`name`) and the range, shown to the reader as it is.
 * @param {string} value
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

/** A demo's main button: submits its form, disabled until the model has loaded. */
export function submitButton(label) {
  return el("button", { type: "submit", class: "md-button md-button--primary", disabled: true }, label);
}

/** Show a character so that whitespace and control characters are visible. */
export function visibleChar(ch) {
  if (ch === "\n") return "↵";
  if (ch === " ") return "␣";
  if (ch === "\t") return "⇥";
  const code = ch.codePointAt(0);
  if (code < 0x20 || (code >= 0x7f && code < 0xa0))
    return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return ch;
}

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
  }

  info(text) {
    this.message.textContent = text;
  }

  /** Download progress of one file; `total` may be unknown (0). */
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

  /** Show an error for the reader; `err.message` is written for them (see DemoError). */
  error(err) {
    this.bar.hidden = true;
    this.alert.textContent = err?.message ?? String(err);
  }

  clearError() {
    this.alert.textContent = "";
  }

  /**
   * Clear the last error and run `check`, an input check that throws a DemoError: returns its
   * value, or undefined once the error is shown (as by fail()), so the caller stops there.
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
   */
  done(result) {
    this.root.dataset.result = JSON.stringify(result);
    this.root.dataset.updates = String(Number(this.root.dataset.updates ?? 0) + 1);
    this.root.dataset.state = "done";
  }

  /** Show the error (a rejected input or a failed load), count it in `dataset.errors`, state "error". */
  fail(err) {
    this.root.dataset.state = "error";
    this.root.dataset.errors = String(Number(this.root.dataset.errors ?? 0) + 1);
    this.error(err);
  }

  /**
   * A load failed (often the network): show the error with a *Try again* button that runs `load`
   * again, so the reader never needs to reload the page. `load` is the demo's whole start-up; the
   * runtime forgets failed downloads, so the second try fetches afresh.
   */
  failLoad(err, load) {
    this.fail(err);
    // Some demos keep their status in a box inside the demo; the demo root carries the state too.
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
 */
export function dataTable(summary, headers, rows) {
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
 * Make a figure that may be wider than a phone scroll sideways inside itself, as a focusable,
 * named region (a keyboard reader scrolls it with the arrow keys; WCAG 2.1.1).
 */
export function scrollRegion(figure, name) {
  figure.classList.add("rnn-scroll-region");
  figure.setAttribute("tabindex", "0");
  figure.setAttribute("role", "region");
  figure.setAttribute("aria-label", name);
  return figure;
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
