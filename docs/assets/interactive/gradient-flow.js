// @ts-check
// Chapter 3's gradient-flow explorer: how much of a final-step loss's gradient reaches each
// earlier step, ‖∂L/∂h_t‖ against the distance T − t, for a tanh RNN, LSTM and GRU.
// Curves come from rnn_site.experiments.gradient_flow at build time (data/gradient-flow.json);
// the plotted numbers are also in a data table under the plot. The maths is in gradient-decay.js.

import { dataTable, el, replaceDataTable, showError, svg } from "../demos/ui.js";
import { fmt, mountFigure, superscript, uid } from "./common.js";
import { decades, decayPerStep, tableRows, tickStep, verdict } from "./gradient-decay.js";

/**
 * The build's data: every curve for every cell, sequence length and weight scale.
 * @typedef {{cell: string, time: number, scale: number, dh_norm: number[], clip_factor: number,
 *   param_grad_norm: number}} Curve
 * @typedef {{cells: {id: string, label: string}[], scales: number[], times: number[],
 *   max_norm: number, curves: Curve[]}} FlowData
 * @typedef {{id: string, values: number[]}} Series
 */

// The plot is drawn in CSS pixels at its current width (300 to 640), so text stays readable on
// a phone instead of being scaled down with the whole figure.
const MAX_W = 640;
const MIN_W = 200;
const H = 300;
const PAD = { left: 58, right: 12, top: 12, bottom: 40 };
/** @type {Record<string, string>} */
const COLOURS = { rnn: "#d62728", lstm: "#9467bd", "lstm-fb1": "#1f77b4", gru: "#2ca02c" };

/**
 * Called by docs/assets/demos/loader.js for `<div data-interactive="gradient-flow">`.
 * @param {HTMLElement} root
 */
export function mount(root) {
  return mountFigure(root, "gradient-flow.json", build);
}

/**
 * @param {HTMLElement} root
 * @param {FlowData} data
 */
function build(root, data) {
  const byKey = new Map(data.curves.map((c) => [`${c.cell}|${c.time}|${c.scale}`, c]));
  const ids = { scale: uid("ri-scale"), time: uid("ri-time"), clip: uid("ri-clip") };
  const group = uid("ri-cell");
  const cellInputs = data.cells.map((c, i) =>
    el("label", { class: "ri-radio" }, [
      el("input", { type: "radio", name: group, value: c.id, checked: i === 0, "data-role": `cell-${c.id}` }),
      ` ${c.label}`,
    ]),
  );
  const scaleIndex = Math.max(0, data.scales.indexOf(1.0));
  const scale = el("input", {
    id: ids.scale,
    type: "range",
    min: "0",
    max: String(data.scales.length - 1),
    step: "1",
    value: String(scaleIndex),
    "data-role": "scale",
  });
  const scaleOut = el("output", { for: ids.scale });
  const time = el(
    "select",
    { id: ids.time, "data-role": "time" },
    data.times.map((t) => el("option", { value: String(t), selected: t === 50 }, [String(t)])),
  );
  const clip = el("input", { id: ids.clip, type: "checkbox", "data-role": "clip" });
  root.append(
    el("fieldset", { class: "ri-controls" }, [el("legend", {}, ["Cell"]), ...cellInputs]),
    el("div", { class: "ri-controls" }, [
      el("label", { for: ids.scale }, ["Recurrent weight scale ρ(W_h) "]),
      scale,
      scaleOut,
      el("label", { for: ids.time }, ["Sequence length T "]),
      time,
      el("span", {}, [
        clip,
        el("label", { for: ids.clip }, [` Clip gradients (global norm ≤ ${data.max_norm})`]),
      ]),
    ]),
  );
  const plot = svg("svg", { class: "ri-plot", role: "img", "data-role": "plot" });
  const legend = el(
    "div",
    { class: "ri-legend" },
    data.cells.map((c) =>
      el("span", {}, [el("span", { class: "ri-swatch", style: `background:${COLOURS[c.id]}` }), c.label]),
    ),
  );
  const readout = el("p", { class: "ri-readout", "aria-live": "polite", "data-role": "readout" });
  /** @type {Element} the plotted numbers, redrawn with the plot */
  let table = el("details");
  root.append(plot, legend, table, readout);

  const cell = () =>
    /** @type {HTMLInputElement} */ (root.querySelector(`input[name="${group}"]:checked`)).value;

  function draw() {
    const s = data.scales[Number(scale.value)];
    const T = Number(time.value);
    scaleOut.textContent = s.toFixed(2);
    scale.setAttribute("aria-valuetext", `spectral radius ${s}`);
    const found = data.cells.map((c) => byKey.get(`${c.id}|${T}|${s}`));
    if (found.some((c) => !c)) throw new Error(`no data for T=${T}, scale=${s}`);
    const curves = /** @type {Curve[]} */ (found);
    /** @param {Curve} c */
    const factor = (c) => (clip.checked ? c.clip_factor : 1);
    /** @type {Series[]} */
    const series = curves.map((c) => ({ id: c.cell, values: c.dh_norm.map((v) => v * factor(c)) }));
    // The plot's own width, so one SVG unit is one CSS pixel and 11 px labels stay 11 px.
    const shown = plot.getBoundingClientRect().width || root.clientWidth - 24;
    const width = Math.round(Math.max(MIN_W, Math.min(MAX_W, shown)));
    drawPlot(plot, series, cell(), T, width);
    table = replaceDataTable(
      table,
      dataTable(
        `The plotted gradient norms (ρ = ${s}, T = ${T}${clip.checked ? ", clipped" : ""})`,
        ["Steps back, T − t", ...data.cells.map((c) => `${c.label} ‖∂L/∂hₜ‖`)],
        tableRows(series, (v) => fmt(v, 3)),
      ),
    );
    const chosen = /** @type {Curve} */ (curves.find((c) => c.cell === cell()));
    const label = data.cells.find((c) => c.id === chosen.cell)?.label;
    const rate = decayPerStep(chosen.dh_norm);
    const far = chosen.dh_norm[T - 1] / chosen.dh_norm[0];
    let text =
      `${label}, ρ = ${s}, T = ${T}: each step back multiplies the gradient by about ${rate.toFixed(3)}, ` +
      `so it ${verdict(rate)}: ${T - 1} steps from the loss it is ${fmt(far, 2)} times its size at the loss. ` +
      `Global norm of the parameter gradients: ${fmt(chosen.param_grad_norm, 2)}.`;
    if (clip.checked) {
      text +=
        chosen.clip_factor < 1
          ? ` Clipping scales every gradient by ${fmt(chosen.clip_factor, 3)}: the update is smaller, but the curve's shape (which steps the gradient comes from) is unchanged.`
          : " Clipping changes nothing here: the norm is already below the bound.";
    }
    readout.textContent = text;
    plot.setAttribute("aria-label", `Gradient norm against distance in time, ${label} highlighted`);
  }

  for (const control of [scale, time, clip, ...root.querySelectorAll(`input[name="${group}"]`)]) {
    control.addEventListener(control === scale ? "input" : "change", () => {
      try {
        draw();
      } catch (error) {
        showError(root, `Could not draw: ${/** @type {Error} */ (error).message}`);
      }
    });
  }
  draw();
  // Redraw at the new width when the page reflows (phone rotated, window resized).
  let lastWidth = root.clientWidth;
  new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - lastWidth) > 8) {
      lastWidth = root.clientWidth;
      draw();
    }
  }).observe(root);
}

/**
 * Draw the curves on a log axis, `chosen` on top, at `W` CSS px wide (one SVG unit per pixel).
 * @param {SVGSVGElement} plot
 * @param {Series[]} series
 * @param {string} chosen
 * @param {number} T
 * @param {number} W
 */
function drawPlot(plot, series, chosen, T, W) {
  plot.replaceChildren();
  plot.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const [lo, hi] = decades(series.flatMap((s) => s.values));
  /** @param {number} k */
  const x = (k) => PAD.left + (k / Math.max(1, T - 1)) * (W - PAD.left - PAD.right);
  /** @param {number} v */
  const y = (v) => PAD.top + ((hi - Math.log10(v)) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const axes = svg("g", { class: "ri-axes" });
  const every = Math.ceil((hi - lo) / 8);
  for (let d = lo; d <= hi; d += every) {
    axes.append(
      svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(10 ** d), y2: y(10 ** d), class: "ri-grid" }),
    );
    axes.append(
      svg("text", { x: PAD.left - 6, y: y(10 ** d) + 4, class: "ri-tick ri-tick-y" }, [
        `10${superscript(d)}`,
      ]),
    );
  }
  const step = tickStep(T, W);
  for (let k = 0; k < T; k += step) {
    axes.append(svg("text", { x: x(k), y: H - PAD.bottom + 16, class: "ri-tick" }, [String(k)]));
  }
  axes.append(
    svg("text", { x: (PAD.left + W - PAD.right) / 2, y: H - 6, class: "ri-axis-label" }, [
      W < 420 ? "steps back from the loss, T − t" : "distance from the loss, T − t (steps back in time)",
    ]),
  );
  axes.append(
    svg(
      "text",
      {
        x: 12,
        y: (H - PAD.bottom) / 2,
        class: "ri-axis-label",
        transform: `rotate(-90 12 ${(H - PAD.bottom) / 2})`,
      },
      ["‖∂L/∂hₜ‖"],
    ),
  );
  plot.append(axes);
  // The chosen cell last, so it is drawn on top of the others.
  for (const s of [...series].sort((a, b) => Number(a.id === chosen) - Number(b.id === chosen))) {
    const d = s.values
      .map((v, k) => `${k ? "L" : "M"} ${x(k).toFixed(1)} ${y(Math.max(v, 10 ** lo)).toFixed(1)}`)
      .join(" ");
    plot.append(
      svg("path", {
        d,
        fill: "none",
        stroke: COLOURS[s.id],
        class: s.id === chosen ? "ri-line ri-chosen" : "ri-line",
        "data-cell": s.id,
      }),
    );
  }
}
