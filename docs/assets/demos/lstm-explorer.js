// The LSTM cell explorer of chapter 2: the reader types text, the Shakespeare char-LSTM reads it in
// the browser (the sequence graph, run by the char-lm worker), and the reader steps through time
// watching the gates i, f, g, o and the states c, h of up to four chosen units.
// Mounted by loader.js on `<div data-demo="lstm-explorer" data-model="char-lm">`.
//
// A precomputed example (rnn_site/sitebuild/demo_data.py, the Python runtime) is drawn at once, before
// the model loads and if it never does. root.dataset.state tells tests where the demo is:
// "example" → "loading" → "done" | "error"; root.dataset.step is the time step on show, and
// root.lstmExplorer holds {text, states, source} for parity checks.

import { Vocab } from "./char-lm.js";
import { ownModelControl } from "./own-model-view.js";
import { decodeStates } from "./quantised.js";
import { WorkerClient } from "./rpc.js";
import { DemoError, fetchJson, SITE_ROOT } from "./runtime.js";
import { unitSeries } from "./states-view.js";
import { el, StatusArea, svg, visibleChar, whenIdle } from "./ui.js";

const EXAMPLE_URL = (model) => new URL(`assets/demos/data/${model}-lstm-explorer.json`, SITE_ROOT);
const MAX_CHARS = 1000; // each step is a column of bars; beyond this they are thinner than a pixel
const SLOTS = 4;

/** What each row draws: `range` fixes the axis, null scales it to the unit's largest |value|. */
const SERIES = [
  { key: "i", name: "i", label: "input gate", range: [0, 1] },
  { key: "f", name: "f", label: "forget gate", range: [0, 1] },
  { key: "g", name: "g", label: "candidate", range: [-1, 1] },
  { key: "o", name: "o", label: "output gate", range: [0, 1] },
  { key: "c", name: "c", label: "cell state", range: null },
  { key: "h", name: "h", label: "hidden state", range: [-1, 1] },
];

const SERIES_KEYS = SERIES.map((s) => s.key);
const WIDTH = 100; // viewBox units; the SVG stretches to the panel's width
const HEIGHT = 24;

/** Check the text before anything downloads; `vocab` (a Vocab) may be null before the example loads. */
export function checkText(text, vocab) {
  if (typeof text !== "string" || text.length === 0) {
    throw new DemoError("The text is empty: type at least one character for the model to read.");
  }
  const chars = Array.from(text).length;
  if (chars > MAX_CHARS) {
    throw new DemoError(`The text has ${chars} characters; the explorer reads up to ${MAX_CHARS}.`);
  }
  vocab?.encode(text); // unknown characters: a DemoError naming the character and its position
  return text;
}

/** "12" → 12 within [0, units); "" → null (slot unused); anything else is a DemoError. */
export function parseUnit(value, units, slot) {
  const text = String(value).trim();
  if (text === "") return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n >= units) {
    throw new DemoError(`Unit ${slot} must be a whole number from 0 to ${units - 1} (got "${text}").`);
  }
  return n;
}

export function mount(root) {
  const siteModel = root.dataset.model ?? "char-lm";
  let model = siteModel; // a reader's own model replaces it until "Back to the site's model"
  const prefix = root.id || root.dataset.demo;
  const id = (name) => `${prefix}-${name}`;
  root.replaceChildren();
  root.classList.add("rnn-demo", "rnn-lstm-explorer");

  // --- controls -------------------------------------------------------------------------------
  const textInput = el("textarea", {
    id: id("text"),
    rows: "3",
    spellcheck: "false",
    "aria-describedby": id("text-hint"),
  });
  const runButton = el("button", { type: "submit", class: "md-button md-button--primary" }, "Run the model");
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    el("div", { class: "rnn-field" }, [
      el("label", { for: textInput.id }, "Text for the model to read"),
      textInput,
      el(
        "small",
        { id: id("text-hint") },
        `Up to ${MAX_CHARS} characters of the model's alphabet. Ctrl+Enter runs. ` +
          "The model (about 1.4 MB) downloads on the first run.",
      ),
    ]),
    el("div", { class: "rnn-buttons" }, [runButton]),
  ]);

  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const source = el("p", { class: "rnn-caption", "data-role": "source" });

  const layerSelect = el("select", { id: id("layer") });
  const layerField = el("div", { class: "rnn-field", hidden: true }, [
    el("label", { for: layerSelect.id }, "Layer"),
    layerSelect,
  ]);
  const unitInputs = Array.from({ length: SLOTS }, (_, k) =>
    el("input", {
      id: id(`unit-${k + 1}`),
      type: "number",
      min: "0",
      step: "1",
      inputmode: "numeric",
      "data-role": "unit-input",
    }),
  );
  const unitControls = el("div", { class: "rnn-lstm-units" }, [
    ...unitInputs.map((input, k) =>
      el("div", { class: "rnn-field" }, [el("label", { for: input.id }, `Unit ${k + 1}`), input]),
    ),
    layerField,
  ]);

  const time = el("input", {
    id: id("time"),
    type: "range",
    min: "0",
    max: "0",
    step: "1",
    value: "0",
    "aria-describedby": id("step-label"),
  });
  const prevButton = el(
    "button",
    { type: "button", class: "md-button", "aria-label": "Prev: previous character" },
    "◀ Prev",
  );
  const nextButton = el(
    "button",
    { type: "button", class: "md-button", "aria-label": "Next: next character" },
    "Next ▶",
  );
  const stepLabel = el("output", { id: id("step-label"), for: time.id, "data-role": "step-label" });
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
      el("div", { class: "rnn-field" }, [el("label", { for: time.id }, "Time step (character read)"), time]),
      el("div", { class: "rnn-lstm-stepper" }, [prevButton, stepLabel, nextButton]),
      textStrip,
      panels,
    ],
  );

  let siteVocab = null;
  const own = ownModelControl(root, id, {
    roles: ["sequence"],
    siteLabel: `the site's ${siteModel} (Shakespeare)`,
    onUse: async (checked) => {
      worker ??= new WorkerClient(new URL("./char-lm-worker.js", import.meta.url));
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
    unitControls,
    view,
  );

  // --- state ----------------------------------------------------------------------------------
  let data = null; // {text, chars, states, source}
  let vocab = null;
  let layer = 0;
  let units = [];
  let step = 0;
  let drawn = []; // per panel: {unit, rows: [{series, values, marker, current, value}], equation}
  const setState = (state) => (root.dataset.state = state);

  function show(text, states, from) {
    data = { text, chars: Array.from(text), states, source: from };
    root.lstmExplorer = data;
    layerSelect.replaceChildren(
      ...Array.from({ length: states.layers }, (_, l) => el("option", { value: String(l) }, String(l))),
    );
    layer = Math.min(layer, states.layers - 1);
    layerSelect.value = String(layer);
    layerField.hidden = states.layers === 1;
    for (const input of unitInputs) input.max = String(states.units - 1);
    time.max = String(states.steps - 1);
    textStrip.replaceChildren(
      ...data.chars
        .map((ch, t) => {
          const span = el("span", { "data-step": String(t) }, ch === "\n" ? "↵" : ch);
          return ch === "\n" ? [span, el("br")] : [span];
        })
        .flat(),
    );
    readUnits();
    drawPanels();
    goTo(Math.min(step, states.steps - 1));
  }

  /** Units from the inputs; a bad one is reported and left out, the others still show. */
  function readUnits() {
    if (!data) return;
    const chosen = [];
    const problems = [];
    unitInputs.forEach((input, k) => {
      try {
        const unit = parseUnit(input.value, data.states.units, k + 1);
        input.removeAttribute("aria-invalid");
        if (unit !== null && !chosen.includes(unit)) chosen.push(unit);
      } catch (err) {
        input.setAttribute("aria-invalid", "true");
        problems.push(err.message);
      }
    });
    if (problems.length) status.error(new DemoError(problems.join(" ")));
    else if (!chosen.length) status.error(new DemoError("Choose at least one unit to watch."));
    else status.clearError();
    units = chosen;
  }

  function drawPanels() {
    const { states } = data;
    const n = states.steps;
    const barWidth = WIDTH / n;
    drawn = units.map((unit) => {
      const rows = SERIES.map((series) => {
        const values = unitSeries(states, series.key, layer, unit);
        let [lo, hi] = series.range ?? [0, 0];
        if (!series.range) {
          let max = 0;
          for (const v of values) max = Math.max(max, Math.abs(v));
          hi = max || 1;
          lo = -hi;
        }
        const y = (v) => HEIGHT * (1 - (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo));
        const base = y(Math.max(lo, 0));
        const bar = (t) => {
          const top = y(values[t]);
          return `M${(t * barWidth).toFixed(3)} ${base.toFixed(2)}V${top.toFixed(2)}h${barWidth.toFixed(3)}V${base.toFixed(2)}Z`;
        };
        let positive = "";
        let negative = "";
        for (let t = 0; t < n; t++) {
          if (values[t] >= 0) positive += bar(t);
          else negative += bar(t);
        }
        const marker = svg("rect", { class: "rnn-lstm-marker", y: 0, height: HEIGHT, width: barWidth });
        const current = svg("path", { class: "rnn-lstm-current" });
        const chart = svg("svg", {
          class: "rnn-lstm-chart",
          viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
          preserveAspectRatio: "none",
          "aria-hidden": "true",
          "data-series": series.key,
        });
        chart.append(
          marker,
          svg("path", { class: "rnn-lstm-pos", d: positive }),
          svg("path", { class: "rnn-lstm-neg", d: negative }),
          svg("line", { class: "rnn-lstm-axis", x1: 0, x2: WIDTH, y1: base, y2: base }),
          current,
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
      const equation = el("p", { class: "rnn-lstm-equation", "data-role": "equation" });
      const panel = el(
        "figure",
        { class: "rnn-lstm-unit", "data-role": "unit-panel", "data-unit": String(unit) },
        [
          el("figcaption", {}, `Unit ${unit}${states.layers > 1 ? ` (layer ${layer})` : ""}`),
          ...rows.map((r) => r.row),
          equation,
        ],
      );
      return { unit, rows, equation, panel };
    });
    panels.replaceChildren(...drawn.map((d) => d.panel));
  }

  function goTo(t) {
    if (!data) return;
    step = Math.min(Math.max(Math.trunc(t) || 0, 0), data.states.steps - 1);
    time.value = String(step);
    root.dataset.step = String(step);
    const n = data.states.steps;
    const ch = data.chars[step];
    stepLabel.value = `Step ${step + 1} of ${n}: read '${visibleChar(ch)}'`;
    time.setAttribute("aria-valuetext", `step ${step + 1} of ${n}, character ${visibleChar(ch)}`);
    prevButton.disabled = step === 0;
    nextButton.disabled = step === n - 1;
    for (const span of textStrip.querySelectorAll(".is-current")) span.classList.remove("is-current");
    textStrip.querySelector(`[data-step="${step}"]`)?.classList.add("is-current");

    for (const { rows, equation } of drawn) {
      const at = Object.fromEntries(rows.map((r) => [r.series.key, r.values]));
      for (const r of rows) {
        r.marker.setAttribute("x", String((step * WIDTH) / n));
        r.current.setAttribute("d", r.bar(step));
        r.value.textContent = r.values[step].toFixed(3);
      }
      const f = (v) => (v < 0 ? `(${v.toFixed(2)})` : v.toFixed(2));
      const cPrev = step > 0 ? at.c[step - 1] : 0;
      equation.textContent =
        `c = f·c₋₁ + i·g = ${f(at.f[step])}·${f(cPrev)} + ${f(at.i[step])}·${f(at.g[step])} = ${at.c[step].toFixed(2)};  ` +
        `h = o·tanh(c) = ${f(at.o[step])}·${f(Math.tanh(at.c[step]))} = ${at.h[step].toFixed(2)}`;
    }
  }

  // --- interaction ----------------------------------------------------------------------------
  time.addEventListener("input", () => goTo(Number(time.value)));
  prevButton.addEventListener("click", () => goTo(step - 1));
  nextButton.addEventListener("click", () => goTo(step + 1));
  textStrip.addEventListener("click", (e) => {
    const t = e.target.closest?.("[data-step]")?.dataset.step;
    if (t !== undefined) goTo(Number(t));
  });
  // Arrow keys step through time anywhere in the view; the slider handles its own keys.
  view.addEventListener("keydown", (e) => {
    if (e.target === time || !data) return;
    const moves = { ArrowLeft: step - 1, ArrowRight: step + 1, Home: 0, End: data.states.steps - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    goTo(moves[e.key]);
  });
  const unitsChanged = () => {
    if (!data) return;
    readUnits();
    drawPanels();
    goTo(step);
  };
  for (const input of unitInputs) input.addEventListener("change", unitsChanged);
  layerSelect.addEventListener("change", () => {
    layer = Number(layerSelect.value);
    unitsChanged();
  });
  textInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  // --- the precomputed example ------------------------------------------------------------------
  setState("example");
  // Settles when the example has arrived or failed; a Run pressed before then waits for it.
  const exampleReady = fetchJson(EXAMPLE_URL(siteModel))
    .then((example) => {
      siteVocab = new Vocab(example.vocab);
      if (model === siteModel) vocab = siteVocab;
      if (!textInput.value) textInput.value = example.text;
      if (root.dataset.state !== "example") return; // the reader already ran their own text
      example.suggested_units.slice(0, SLOTS).forEach((u, k) => (unitInputs[k].value = String(u)));
      show(example.text, decodeStates(example.states, SERIES_KEYS), "example");
      source.textContent =
        "Example computed when the site was built, by the Python runtime (values rounded to about 1% " +
        "of each unit's range). The units shown are the ones whose cell state moves most. " +
        "Run the model to see your own text.";
    })
    .catch((err) => {
      source.textContent = `No precomputed example (${err.message}). Type a text and run the model.`;
      for (const [k, input] of unitInputs.entries()) input.value ||= String(k);
    });

  // --- running the model ----------------------------------------------------------------------
  let worker = null;
  let running = false;
  // The runtime and the sequence graph download while the reader looks at the example.
  whenIdle(() => {
    worker ??= new WorkerClient(new URL("./char-lm-worker.js", import.meta.url));
    worker.call("prepare", { model: siteModel, role: "sequence" }).catch(() => {}); // Run retries, shows why
  });
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
    let text;
    try {
      text = checkText(textInput.value, vocab);
    } catch (err) {
      status.error(err);
      setState("error");
      return;
    }
    running = true;
    runButton.disabled = true;
    setState("loading");
    status.info("Loading the model…");
    try {
      worker ??= new WorkerClient(new URL("./char-lm-worker.js", import.meta.url));
      const onEvent = (event) => {
        if (event.type === "progress") status.progress(event);
      };
      const states = await worker.call("states", { model, text, gates: true }, onEvent);
      show(text, states, "browser");
      status.info(`The model read ${states.steps} characters in your browser. Step through them below.`);
      source.textContent = "Computed in your browser by onnxruntime-web (sequence graph, full precision).";
      setState("done");
    } catch (err) {
      status.error(err);
      status.info(data ? "The previous result is still shown below." : "");
      setState("error");
    } finally {
      running = false;
      runButton.disabled = false;
    }
  });
}
