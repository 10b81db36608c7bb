// @ts-check
// A hidden-state viewer, in the spirit of LSTMVis and Karpathy's char-rnn neurons: colour every
// token of a text by the activation of one recurrent unit, and rank units by how closely they
// follow a feature of the text. Model-agnostic: it takes tokens, a states tensor, and features.
// The maths (series, Pearson's r, ranking) is DOM-free in unit-states.js.
//
// states: { steps, layers, units, h: Float32Array, c: Float32Array|null } where h[(t*layers + l)*units + u]
// is unit u of layer l after reading token t (the sequence graph's h_seq/c_seq with batch 1).

import { maxAbs, rankUnits, tableRows, unitSeries } from "./unit-states.js";
import { dataTable, el, field, replaceDataTable, visibleChar } from "./ui.js";

/** @typedef {import("./unit-states.js").States} States */
/** A per-token feature the ranking can follow: @typedef {{name: string, label: string, values: ArrayLike<number>}} Feature */

// Diverging colours (ColorBrewer RdBu ends), readable on light and dark Material schemes.
const NEGATIVE = "33, 102, 172";
const POSITIVE = "202, 0, 32";

export class StatesView {
  /**
   * @param {HTMLElement} container  where to build the view
   * @param {string} idPrefix        unique prefix for element ids (labels need ids)
   */
  constructor(container, idPrefix) {
    /** @type {States | null} */
    this.states = null;
    /** @type {string[]} */
    this.tokens = [];
    /** @type {Feature[]} */
    this.features = [];
    /** @type {HTMLElement[]} */
    this.spans = [];
    /** @param {string} name */
    const id = (name) => `${idPrefix}-${name}`;

    this.kind = el("select", { id: id("kind") }, [
      el("option", { value: "h" }, "hidden state h"),
      el("option", { value: "c" }, "cell state c"),
    ]);
    this.layer = el("select", { id: id("layer") });
    this.unit = el("input", {
      id: id("unit"),
      type: "number",
      min: "0",
      value: "0",
      step: "1",
      inputmode: "numeric",
    });
    this.unitSlider = el("input", { id: id("unit-slider"), type: "range", min: "0", value: "0", step: "1" });
    this.feature = el("select", { id: id("feature") });
    this.scale = el("span", { class: "rnn-legend-scale" });
    // A named region: the colours are the chart; the data table below holds its numbers.
    this.text = el("p", {
      class: "rnn-states-text",
      tabindex: "0",
      role: "region",
      "data-role": "states-text",
    });
    /** @type {Element | null} the coloured text's numbers, for screen readers and exact values */
    this.table = null;
    this.ranking = el("ol", { class: "rnn-ranking", "data-role": "ranking" });

    container.append(
      el("div", { class: "rnn-controls" }, [
        field("State", this.kind),
        field("Layer", this.layer),
        field("Unit", this.unit),
        field("Unit (slider)", this.unitSlider),
      ]),
      el("p", { class: "rnn-legend", "aria-hidden": "true" }, [
        el("span", { class: "rnn-swatch", style: `background: rgb(${NEGATIVE})` }),
        " negative ",
        el("span", { class: "rnn-swatch", style: `background: rgb(${POSITIVE})` }),
        " positive, ",
        this.scale,
      ]),
      this.text,
      el("div", { class: "rnn-controls" }, [field("Find units that follow", this.feature)]),
      this.ranking,
    );
    this.listen();
  }

  /** @private */
  listen() {
    const changed = () => this.paint();
    this.kind.addEventListener("change", () => {
      this.paint();
      this.rank();
    });
    this.layer.addEventListener("change", changed);
    this.unit.addEventListener("input", () => {
      this.unitSlider.value = this.unit.value;
      changed();
    });
    this.unitSlider.addEventListener("input", () => {
      this.unit.value = this.unitSlider.value;
      changed();
    });
    this.feature.addEventListener("change", () => this.rank());
  }

  /**
   * Show `tokens` with their `states` and rankable `features`.
   * @param {string[]} tokens
   * @param {States} states
   * @param {Feature[]} features
   */
  show(tokens, states, features) {
    this.tokens = tokens;
    this.states = states;
    this.features = features;
    const cOption = /** @type {HTMLOptionElement} */ (this.kind.querySelector('option[value="c"]'));
    cOption.disabled = !states.c;
    if (!states.c) this.kind.value = "h";
    this.layer.replaceChildren(
      ...Array.from({ length: states.layers }, (_, l) => el("option", { value: String(l) }, String(l))),
    );
    for (const input of [this.unit, this.unitSlider]) {
      input.max = String(states.units - 1);
      if (Number(input.value) > states.units - 1) input.value = "0";
    }
    const previous = this.feature.value;
    this.feature.replaceChildren(...features.map((f) => el("option", { value: f.name }, f.label)));
    if (features.some((f) => f.name === previous)) this.feature.value = previous;

    // One span per token; a line break after newlines keeps the text's shape.
    this.spans = tokens.map((token) => el("span", {}, token === "\n" ? "↵" : token));
    this.text.replaceChildren(
      ...this.spans.flatMap((span, t) => (tokens[t] === "\n" ? [span, el("br")] : [span])),
    );
    this.paint();
    this.rank();
  }

  /** The unit on show, clamped to the model's shape. */
  selected() {
    const states = /** @type {States} */ (this.states);
    /** @param {string} v @param {number} max */
    const clamp = (v, max) => Math.min(Math.max(Math.trunc(Number(v)) || 0, 0), max);
    return {
      kind: this.kind.value,
      layer: clamp(this.layer.value, states.layers - 1),
      unit: clamp(this.unit.value, states.units - 1),
    };
  }

  /** Colour the text by the chosen unit, and write the same numbers into the data table. */
  paint() {
    if (!this.states) return;
    const { kind, layer, unit } = this.selected();
    const series = unitSeries(this.states, kind, layer, unit);
    // Scale to the largest |value| in view: c is unbounded and many h units stay small, and a
    // fixed ±1 scale would leave them invisible. The legend states the scale.
    const max = maxAbs(series);
    this.scale.textContent = `full colour = ±${max.toFixed(2)}`;
    const name = `${kind === "h" ? "hidden" : "cell"} unit ${unit} of layer ${layer}`;
    this.text.setAttribute("aria-label", `Text coloured by ${name}`);
    this.spans.forEach((span, t) => {
      const v = series[t];
      const alpha = max > 0 ? Math.abs(v) / max : 0;
      span.style.backgroundColor = `rgba(${v < 0 ? NEGATIVE : POSITIVE}, ${alpha.toFixed(3)})`;
      span.title = `${visibleChar(this.tokens[t])}: ${v.toFixed(3)}`;
    });
    const table = dataTable(
      `Values of ${name}, character by character`,
      ["Step", "Character", `${kind}[${unit}]`],
      tableRows(this.tokens, [series], visibleChar),
    );
    if (this.table) this.table = replaceDataTable(this.table, table);
    else this.text.after((this.table = table));
  }

  /** List the units that best follow the chosen feature; a click shows one. */
  rank() {
    if (!this.states) return;
    const feature = this.features.find((f) => f.name === this.feature.value);
    if (!feature) return;
    const kind = this.kind.value;
    const layers = this.states.layers;
    const best = rankUnits(this.states, kind, feature.values, 8);
    this.ranking.replaceChildren(
      ...best.map(({ layer, unit, r }) => {
        const button = el(
          "button",
          { type: "button", class: "md-button rnn-unit-button" },
          `${kind} unit ${unit}${layers > 1 ? ` (layer ${layer})` : ""}: r = ${r >= 0 ? "+" : "−"}${Math.abs(r).toFixed(2)}`,
        );
        button.addEventListener("click", () => {
          this.layer.value = String(layer);
          this.unit.value = this.unitSlider.value = String(unit);
          this.paint();
        });
        return el("li", {}, button);
      }),
    );
  }
}
