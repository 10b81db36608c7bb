// A hidden-state viewer, in the spirit of LSTMVis and Karpathy's char-rnn neurons: colour every
// token of a text by the activation of one recurrent unit, and rank units by how closely they
// follow a feature of the text. Model-agnostic: it takes tokens, a states tensor, and features.
//
// states: { steps, layers, units, h: Float32Array, c: Float32Array|null } where h[(t*layers + l)*units + u]
// is unit u of layer l after reading token t (the sequence graph's h_seq/c_seq with batch 1).

import { el, visibleChar } from "./ui.js";

/** Pearson correlation of two equally long series; 0 when either is constant. */
export function pearson(x, y) {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** One unit's activation over time. */
export function unitSeries(states, kind, layer, unit) {
  const data = states[kind];
  const out = new Float32Array(states.steps);
  for (let t = 0; t < states.steps; t++) out[t] = data[(t * states.layers + layer) * states.units + unit];
  return out;
}

/** The `count` units (any layer) of one kind whose activation correlates most with `feature`, by |r|. */
export function rankUnits(states, kind, feature, count = 8) {
  const ranked = [];
  for (let layer = 0; layer < states.layers; layer++) {
    for (let unit = 0; unit < states.units; unit++) {
      ranked.push({ layer, unit, r: pearson(unitSeries(states, kind, layer, unit), feature) });
    }
  }
  ranked.sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
  return ranked.slice(0, count);
}

// Diverging colours (ColorBrewer RdBu ends), readable on light and dark Material schemes.
const NEGATIVE = "33, 102, 172";
const POSITIVE = "202, 0, 32";

export class StatesView {
  /**
   * @param {HTMLElement} container  where to build the view
   * @param {string} idPrefix        unique prefix for element ids (labels need ids)
   */
  constructor(container, idPrefix) {
    this.states = null;
    this.tokens = [];
    this.features = [];
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
    this.text = el("p", { class: "rnn-states-text", tabindex: "0", "data-role": "states-text" });
    this.ranking = el("ol", { class: "rnn-ranking", "data-role": "ranking" });

    container.append(
      el("div", { class: "rnn-controls" }, [
        field("State", this.kind, id("kind")),
        field("Layer", this.layer, id("layer")),
        field("Unit", this.unit, id("unit")),
        field("Unit (slider)", this.unitSlider, id("unit-slider")),
      ]),
      el("p", { class: "rnn-legend", "aria-hidden": "true" }, [
        el("span", { class: "rnn-swatch", style: `background: rgb(${NEGATIVE})` }),
        " negative ",
        el("span", { class: "rnn-swatch", style: `background: rgb(${POSITIVE})` }),
        " positive, ",
        this.scale,
      ]),
      this.text,
      el("div", { class: "rnn-controls" }, [field("Find units that follow", this.feature, id("feature"))]),
      this.ranking,
    );

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

  /** Show `tokens` (strings) with their `states` and rankable `features` ({name, label, values}). */
  show(tokens, states, features) {
    this.tokens = tokens;
    this.states = states;
    this.features = features;
    this.kind.querySelector('option[value="c"]').disabled = !states.c;
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

  selected() {
    const clamp = (v, max) => Math.min(Math.max(Math.trunc(Number(v)) || 0, 0), max);
    return {
      kind: this.kind.value,
      layer: clamp(this.layer.value, this.states.layers - 1),
      unit: clamp(this.unit.value, this.states.units - 1),
    };
  }

  paint() {
    if (!this.states) return;
    const { kind, layer, unit } = this.selected();
    const series = unitSeries(this.states, kind, layer, unit);
    // Scale to the largest |value| in view: c is unbounded and many h units stay small, and a
    // fixed ±1 scale would leave them invisible. The legend states the scale.
    let max = 0;
    for (const v of series) max = Math.max(max, Math.abs(v));
    this.scale.textContent = `full colour = ±${max.toFixed(2)}`;
    this.text.setAttribute(
      "aria-label",
      `Text coloured by ${kind === "h" ? "hidden" : "cell"} unit ${unit} of layer ${layer}`,
    );
    this.spans.forEach((span, t) => {
      const v = series[t];
      const alpha = max > 0 ? Math.abs(v) / max : 0;
      span.style.backgroundColor = `rgba(${v < 0 ? NEGATIVE : POSITIVE}, ${alpha.toFixed(3)})`;
      span.title = `${visibleChar(this.tokens[t])}: ${v.toFixed(3)}`;
    });
  }

  rank() {
    if (!this.states) return;
    const feature = this.features.find((f) => f.name === this.feature.value);
    if (!feature) return;
    const kind = this.kind.value;
    const best = rankUnits(this.states, kind, feature.values, 8);
    this.ranking.replaceChildren(
      ...best.map(({ layer, unit, r }) => {
        const button = el(
          "button",
          { type: "button", class: "md-button rnn-unit-button" },
          `${kind} unit ${unit}${this.states.layers > 1 ? ` (layer ${layer})` : ""}: r = ${r >= 0 ? "+" : "−"}${Math.abs(r).toFixed(2)}`,
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

function field(label, control, id) {
  return el("div", { class: "rnn-field" }, [el("label", { for: id }, label), control]);
}
