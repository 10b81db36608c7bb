// @ts-check
// The LSTM cell explorer of chapter 2: the reader types text, the Shakespeare char-LSTM reads it in
// the browser (the sequence graph, run by the char-lm worker), and the reader steps through time
// watching the gates i, f, g, o and the states c, h of up to four chosen units.
// Mounted by loader.js on `<div data-demo="lstm-explorer" data-model="char-lm">`.
//
// A precomputed example (rnn_site/sitebuild/demo_data.py, the Python runtime) is drawn at once, before
// the model loads and if it never does. root.dataset.state tells tests where the demo is:
// "example" → "loading" → "done" | "error"; root.dataset.step is the time step on show, and
// root.lstmExplorer holds {text, states, source} for parity checks.
//
// The views: the form, the unit pickers, the time view with one panel per unit (each panel's
// numbers also in a data table); the checks and the bars' geometry are DOM-free (lstm-gates.js).

import { Vocab } from "./char-lm.js";
import {
  cellEquation,
  checkText,
  HEIGHT,
  MAX_CHARS,
  parseUnit,
  SERIES,
  SERIES_KEYS,
  seriesBars,
  SLOTS,
  WIDTH,
} from "./lstm-gates.js";
import { ownModelControl } from "./own-model-view.js";
import { decodeStates } from "./quantised.js";
import { WorkerClient } from "./rpc.js";
import { DemoError, fetchJson, SITE_ROOT } from "./runtime.js";
import { dataTable, el, field, StatusArea, submitOnCtrlEnter, svg, visibleChar, whenIdle } from "./ui.js";
import { tableRows, unitSeries } from "./unit-states.js";

export { checkText, parseUnit }; // their old home; lstm-gates.js holds them now

/** @typedef {import("./unit-states.js").States} States */
/** @typedef {{text: string, chars: string[], states: States, source: string}} Shown */
/**
 * One drawn panel: its unit and, per series, the values and the elements that follow the step.
 * @typedef {{unit: number, equation: HTMLElement, panel: HTMLElement, rows: {series: import("./lstm-gates.js").Series,
 *   values: Float32Array, marker: SVGElement, current: SVGElement, value: HTMLElement, bar: (t: number) => string}[]}} Panel
 */

/** @param {string} model */
const EXAMPLE_URL = (model) => new URL(`assets/demos/data/${model}-lstm-explorer.json`, SITE_ROOT);
const newWorker = () => new WorkerClient(new URL("./char-lm-worker.js", import.meta.url));

/**
 * The text box and the Run button.
 * @param {(name: string) => string} id
 */
function formView(id) {
  const textInput = el("textarea", {
    id: id("text"),
    rows: "3",
    spellcheck: "false",
    "aria-describedby": id("text-hint"),
  });
  const runButton = el("button", { type: "submit", class: "md-button md-button--primary" }, "Run the model");
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    field("Text for the model to read", textInput, [
      el(
        "small",
        { id: id("text-hint") },
        `Up to ${MAX_CHARS} characters of the model's alphabet. Ctrl+Enter runs. ` +
          "The model (about 1.4 MB) downloads on the first run.",
      ),
    ]),
    el("div", { class: "rnn-buttons" }, [runButton]),
  ]);
  submitOnCtrlEnter(textInput, form);
  return { form, textInput: /** @type {HTMLTextAreaElement} */ (textInput), runButton };
}

/**
 * Up to SLOTS unit numbers and, for deeper models, the layer.
 * @param {(name: string) => string} id
 */
function unitsView(id) {
  const layerSelect = /** @type {HTMLSelectElement} */ (el("select", { id: id("layer") }));
  const layerField = field("Layer", layerSelect);
  layerField.hidden = true;
  const unitInputs = Array.from(
    { length: SLOTS },
    (_, k) =>
      /** @type {HTMLInputElement} */ (
        el("input", {
          id: id(`unit-${k + 1}`),
          type: "number",
          min: "0",
          step: "1",
          inputmode: "numeric",
          "data-role": "unit-input",
        })
      ),
  );
  const node = el("div", { class: "rnn-lstm-units" }, [
    ...unitInputs.map((input, k) => field(`Unit ${k + 1}`, input)),
    layerField,
  ]);
  return { node, unitInputs, layerSelect, layerField };
}

/**
 * The time slider and stepper, the text strip and the panels' box, in one keyboard-operable view.
 * @param {(name: string) => string} id
 */
function timeView(id) {
  const time = /** @type {HTMLInputElement} */ (
    el("input", {
      id: id("time"),
      type: "range",
      min: "0",
      max: "0",
      step: "1",
      value: "0",
      "aria-describedby": id("step-label"),
    })
  );
  /** @param {string} name @param {string} text */
  const button = (name, text) =>
    el("button", { type: "button", class: "md-button", "aria-label": name }, text);
  const prevButton = /** @type {HTMLButtonElement} */ (button("Prev: previous character", "◀ Prev"));
  const nextButton = /** @type {HTMLButtonElement} */ (button("Next: next character", "Next ▶"));
  const stepLabel = /** @type {HTMLOutputElement} */ (
    el("output", { id: id("step-label"), for: time.id, "data-role": "step-label" })
  );
  const textStrip = el("p", { class: "rnn-lstm-text", "data-role": "explorer-text", "aria-hidden": "true" });
  const panels = el("div", { class: "rnn-lstm-panels", "data-role": "panels" });
  const view = el(
    "section",
    {
      class: "rnn-lstm-view",
      tabindex: "0",
      "aria-label": "LSTM units over time; left and right arrow keys step through the text",
      "data-role": "explorer-view",
    },
    [
      field("Time step (character read)", time),
      el("div", { class: "rnn-lstm-stepper" }, [prevButton, stepLabel, nextButton]),
      textStrip,
      panels,
    ],
  );
  return { view, time, prevButton, nextButton, stepLabel, textStrip, panels };
}

/**
 * One unit's panel: a bar chart per series, its value at the current step, the cell equation,
 * and every plotted number in a data table (the charts themselves are aria-hidden).
 * @param {Shown} data
 * @param {number} layer
 * @param {number} unit
 * @returns {Panel}
 */
function panelView(data, layer, unit) {
  const { states } = data;
  const barWidth = WIDTH / states.steps;
  const rows = SERIES.map((series) => {
    const values = unitSeries(states, series.key, layer, unit);
    const { positive, negative, base, bar } = seriesBars(values, series.range);
    const marker = svg("rect", { class: "rnn-lstm-marker", y: 0, height: HEIGHT, width: barWidth });
    const current = svg("path", { class: "rnn-lstm-current" });
    const chart = svg(
      "svg",
      {
        class: "rnn-lstm-chart",
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        preserveAspectRatio: "none",
        "aria-hidden": "true",
        "data-series": series.key,
      },
      [
        marker,
        svg("path", { class: "rnn-lstm-pos", d: positive }),
        svg("path", { class: "rnn-lstm-neg", d: negative }),
        svg("line", { class: "rnn-lstm-axis", x1: 0, x2: WIDTH, y1: base, y2: base }),
        current,
      ],
    );
    const value = el("span", { class: "rnn-lstm-value", "data-series": series.key });
    const row = el("div", { class: "rnn-lstm-row" }, [
      el("span", { class: "rnn-lstm-name" }, [
        el("strong", {}, series.name),
        " ",
        el("span", { class: "rnn-lstm-label" }, series.label),
      ]),
      chart,
      value,
    ]);
    return { series, values, marker, current, value, row, bar };
  });
  const title = `Unit ${unit}${states.layers > 1 ? ` (layer ${layer})` : ""}`;
  const equation = el("p", { class: "rnn-lstm-equation", "data-role": "equation" });
  const table = dataTable(
    `${title}: the gates and states at every step`,
    ["Step", "Character", ...SERIES.map((s) => s.name)],
    tableRows(
      data.chars,
      rows.map((r) => r.values),
      visibleChar,
    ),
  );
  const panel = el(
    "figure",
    { class: "rnn-lstm-unit", "data-role": "unit-panel", "data-unit": String(unit) },
    [el("figcaption", {}, title), ...rows.map((r) => r.row), equation, table],
  );
  return { unit, rows, equation, panel };
}

/** @param {HTMLElement} root */
export function mount(root) {
  const siteModel = root.dataset.model ?? "char-lm";
  let model = siteModel; // a reader's own model replaces it until "Back to the site's model"
  const prefix = root.id || root.dataset.demo;
  /** @param {string} name */
  const id = (name) => `${prefix}-${name}`;
  root.replaceChildren();
  root.classList.add("rnn-demo", "rnn-lstm-explorer");

  const { form, textInput, runButton } = formView(id);
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const source = el("p", { class: "rnn-caption", "data-role": "source" });
  const units = unitsView(id);
  const timeline = timeView(id);

  /** @type {WorkerClient | null} */
  let worker = null;
  /** @type {Vocab | null} */
  let siteVocab = null;
  /** @type {Vocab | null} */
  let vocab = null;
  const own = ownModelControl(root, id, {
    roles: ["sequence"],
    siteLabel: `the site's ${siteModel} (Shakespeare)`,
    onUse: async (/** @type {any} */ checked) => {
      worker ??= newWorker();
      await worker.call("own", checked);
      model = checked.name;
      vocab = new Vocab(checked.card.vocab);
      const example = checked.card.example_greedy;
      if (example)
        textInput.value = Array.from(example.prompt + example.output)
          .slice(0, MAX_CHARS)
          .join("");
      status.info("Your model is ready: press “Run the model”.");
    },
    onReset: () => {
      model = siteModel;
      vocab = siteVocab;
      status.info("");
    },
  });
  root.append(
    own.node,
    form,
    statusBox,
    source,
    el("h3", {}, "Units to watch"),
    el(
      "p",
      { class: "rnn-caption" },
      "Pick up to four of the model's units (leave a box empty to show fewer).",
    ),
    units.node,
    timeline.view,
  );

  const explorer = new Stepper(root, status, units, timeline);
  const exampleReady = showExample(root, siteModel, explorer, textInput, source, (v) => {
    siteVocab = v;
    if (model === siteModel) vocab = v;
  });

  // The runtime and the sequence graph download while the reader looks at the example.
  whenIdle(() => {
    worker ??= newWorker();
    worker.call("prepare", { model: siteModel, role: "sequence" }).catch(() => {}); // Run retries, shows why
  });
  let running = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (running) return;
    status.clearError();
    if (!textInput.value) {
      // Pressed before the built-in example arrived: its text fills the box, then runs.
      running = true;
      status.info("Waiting for the example text…");
      await exampleReady;
      running = false;
    }
    const text = status.accept(() => checkText(textInput.value, vocab));
    if (text === undefined) return void (root.dataset.state = "error");
    running = true;
    runButton.disabled = true;
    root.dataset.state = "loading";
    status.info("Loading the model…");
    try {
      worker ??= newWorker();
      const onEvent = (/** @type {any} */ event) => {
        if (event.type === "progress") status.progress(event);
      };
      const states = await worker.call("states", { model, text, gates: true }, onEvent);
      explorer.show(text, states, "browser");
      status.info(`The model read ${states.steps} characters in your browser. Step through them below.`);
      source.textContent = "Computed in your browser by onnxruntime-web (sequence graph, full precision).";
      root.dataset.state = "done";
    } catch (err) {
      status.error(err);
      status.info(explorer.shown() ? "The previous result is still shown below." : "");
      root.dataset.state = "error";
    } finally {
      running = false;
      runButton.disabled = false;
    }
  });
}

/**
 * Fetch and draw the precomputed example; settles when it has arrived or failed, so a Run
 * pressed before then can wait for it.
 * @param {HTMLElement} root
 * @param {string} siteModel
 * @param {Stepper} explorer
 * @param {HTMLTextAreaElement} textInput
 * @param {HTMLElement} source
 * @param {(vocab: Vocab) => void} onVocab
 */
function showExample(root, siteModel, explorer, textInput, source, onVocab) {
  root.dataset.state = "example";
  return fetchJson(EXAMPLE_URL(siteModel))
    .then((example) => {
      onVocab(new Vocab(example.vocab));
      if (!textInput.value) textInput.value = example.text;
      if (root.dataset.state !== "example") return; // the reader already ran their own text
      explorer.suggest(example.suggested_units);
      explorer.show(
        example.text,
        /** @type {States} */ (decodeStates(example.states, SERIES_KEYS)),
        "example",
      );
      source.textContent =
        "Example computed when the site was built, by the Python runtime (values rounded to about 1% " +
        "of each unit's range). The units shown are the ones whose cell state moves most. " +
        "Run the model to see your own text.";
    })
    .catch((/** @type {Error} */ err) => {
      source.textContent = `No precomputed example (${err.message}). Type a text and run the model.`;
      explorer.suggest([0, 1, 2, 3], true);
    });
}

/**
 * The explorer's state and drawing: which text and states are shown, which units, which step.
 * Each view (unit boxes, slider, stepper, text strip) moves it through these methods.
 */
class Stepper {
  /**
   * @param {HTMLElement} root
   * @param {StatusArea} status
   * @param {ReturnType<typeof unitsView>} units
   * @param {ReturnType<typeof timeView>} timeline
   */
  constructor(root, status, units, timeline) {
    this.root = root;
    this.status = status;
    this.units = units;
    this.timeline = timeline;
    /** @type {Shown | null} */
    this.data = null;
    this.layer = 0;
    /** @type {number[]} */
    this.chosen = [];
    this.step = 0;
    /** @type {Panel[]} */
    this.drawn = [];
    this.listen();
  }

  /** Whether a result is on show (a failed run leaves it there). */
  shown() {
    return this.data !== null;
  }

  /**
   * Fill the unit boxes with `list` (the example's suggestion); `keep` leaves filled ones alone.
   * @param {number[]} list
   * @param {boolean} [keep]
   */
  suggest(list, keep = false) {
    const inputs = this.units.unitInputs;
    list.slice(0, SLOTS).forEach((u, k) => {
      if (!keep || !inputs[k].value) inputs[k].value = String(u);
    });
  }

  /**
   * @param {string} text
   * @param {States} states
   * @param {string} from  "example" or "browser"
   */
  show(text, states, from) {
    const { unitInputs, layerSelect, layerField } = this.units;
    const data = (this.data = { text, chars: Array.from(text), states, source: from });
    /** @type {any} */ (this.root).lstmExplorer = data;
    layerSelect.replaceChildren(
      ...Array.from({ length: states.layers }, (_, l) => el("option", { value: String(l) }, String(l))),
    );
    this.layer = Math.min(this.layer, states.layers - 1);
    layerSelect.value = String(this.layer);
    layerField.hidden = states.layers === 1;
    for (const input of unitInputs) input.max = String(states.units - 1);
    this.timeline.time.max = String(states.steps - 1);
    this.timeline.textStrip.replaceChildren(
      ...data.chars.flatMap((ch, t) => {
        const span = el("span", { "data-step": String(t) }, ch === "\n" ? "↵" : ch);
        return ch === "\n" ? [span, el("br")] : [span];
      }),
    );
    this.redraw(Math.min(this.step, states.steps - 1));
  }

  /** Read the unit boxes, draw their panels, and show step `t`. */
  redraw(t = this.step) {
    if (!this.data) return;
    this.readUnits();
    const data = this.data;
    this.drawn = this.chosen.map((unit) => panelView(data, this.layer, unit));
    this.timeline.panels.replaceChildren(...this.drawn.map((d) => d.panel));
    this.goTo(t);
  }

  /** Units from the inputs; a bad one is reported and left out, the others still show. */
  readUnits() {
    const units = /** @type {Shown} */ (this.data).states.units;
    /** @type {number[]} */
    const picked = [];
    /** @type {string[]} */
    const problems = [];
    for (const [k, input] of this.units.unitInputs.entries()) {
      try {
        const unit = parseUnit(input.value, units, k + 1);
        input.removeAttribute("aria-invalid");
        if (unit !== null && !picked.includes(unit)) picked.push(unit);
      } catch (err) {
        input.setAttribute("aria-invalid", "true");
        problems.push(/** @type {Error} */ (err).message);
      }
    }
    if (problems.length) this.status.error(new DemoError(problems.join(" ")));
    else if (!picked.length) this.status.error(new DemoError("Choose at least one unit to watch."));
    else this.status.clearError();
    this.chosen = picked;
  }

  /** @param {number} t */
  goTo(t) {
    if (!this.data) return;
    const { time, prevButton, nextButton, stepLabel, textStrip } = this.timeline;
    const n = this.data.states.steps;
    const step = (this.step = Math.min(Math.max(Math.trunc(t) || 0, 0), n - 1));
    time.value = String(step);
    this.root.dataset.step = String(step);
    const ch = visibleChar(this.data.chars[step]);
    stepLabel.value = `Step ${step + 1} of ${n}: read '${ch}'`;
    time.setAttribute("aria-valuetext", `step ${step + 1} of ${n}, character ${ch}`);
    prevButton.disabled = step === 0;
    nextButton.disabled = step === n - 1;
    for (const span of textStrip.querySelectorAll(".is-current")) span.classList.remove("is-current");
    textStrip.querySelector(`[data-step="${step}"]`)?.classList.add("is-current");
    for (const { rows, equation } of this.drawn) {
      for (const r of rows) {
        r.marker.setAttribute("x", String((step * WIDTH) / n));
        r.current.setAttribute("d", r.bar(step));
        r.value.textContent = r.values[step].toFixed(3);
      }
      equation.textContent = cellEquation(
        Object.fromEntries(rows.map((r) => [r.series.key, r.values])),
        step,
      );
    }
  }

  /** @private */
  listen() {
    const { view, time, prevButton, nextButton, textStrip } = this.timeline;
    time.addEventListener("input", () => this.goTo(Number(time.value)));
    prevButton.addEventListener("click", () => this.goTo(this.step - 1));
    nextButton.addEventListener("click", () => this.goTo(this.step + 1));
    textStrip.addEventListener("click", (e) => {
      const span = /** @type {Element} */ (e.target).closest?.("[data-step]");
      if (span instanceof HTMLElement) this.goTo(Number(span.dataset.step));
    });
    // Arrow keys step through time anywhere in the view; the slider handles its own keys.
    view.addEventListener("keydown", (e) => {
      if (e.target === time || !this.data) return;
      /** @type {Record<string, number>} */
      const moves = {
        ArrowLeft: this.step - 1,
        ArrowRight: this.step + 1,
        Home: 0,
        End: this.data.states.steps - 1,
      };
      if (!(e.key in moves)) return;
      e.preventDefault();
      this.goTo(moves[e.key]);
    });
    for (const input of this.units.unitInputs) input.addEventListener("change", () => this.redraw());
    this.units.layerSelect.addEventListener("change", () => {
      this.layer = Number(this.units.layerSelect.value);
      this.redraw();
    });
  }
}
