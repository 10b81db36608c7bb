// @ts-check
// Chapter 1's unrolling view: a tiny RNN reads a word one character at a time. Step through
// time and see the hidden state h_t, and the arithmetic that produced it, change.
// Numbers come from rnn_site.experiments.unrolling at build time (data/unrolling.json).

import { el, svg } from "../demos/ui.js";
import { divergingColour, fmt, mountFigure, uid } from "./common.js";

const CELL_W = 46; // width of one unrolled step in SVG units
const UNIT = 13; // height of one hidden unit's square

/**
 * One step of a run: the character read, and the hidden state with the three parts it is the tanh of.
 * @typedef {{token: string, h: number[], x_part: number[], h_part: number[], pre: number[]}} Step
 */
/** @typedef {{text: string, steps: Step[]}} Run */
/**
 * The build's data (rnn_site.experiments.unrolling): the tiny RNN's bias and its runs.
 * @typedef {{schema: 1, weights: {b: number[]}, runs: Run[]}} UnrollingData
 */

/**
 * Called by docs/assets/demos/loader.js for `<div data-interactive="unrolling">`.
 * @param {HTMLElement} root
 */
export function mount(root) {
  return mountFigure(root, "unrolling.json", build);
}

/**
 * @param {HTMLElement} root
 * @param {UnrollingData} data
 */
function build(root, data) {
  const hidden = data.weights.b.length;
  const ids = { text: uid("ri-text"), step: uid("ri-step") };
  const textSelect = el(
    "select",
    { id: ids.text, "data-role": "text" },
    data.runs.map((run, i) => el("option", { value: String(i) }, [`“${run.text}”`])),
  );
  const slider = el("input", {
    id: ids.step,
    type: "range",
    min: "0",
    max: "1",
    step: "1",
    value: "0",
    "data-role": "step",
  });
  const prev = el("button", { type: "button", "data-role": "prev" }, ["◀ Back"]);
  const next = el("button", { type: "button", "data-role": "next" }, ["Next ▶"]);
  const controls = el("div", { class: "ri-controls" }, [
    el("label", { for: ids.text }, ["Sequence "]),
    textSelect,
    el("label", { for: ids.step }, ["Time step t "]),
    slider,
    el("span", { class: "ri-buttons" }, [prev, next]),
  ]);
  const figure = svg("svg", { class: "ri-unroll", role: "img", "data-role": "chain" });
  const caption = el("p", { class: "ri-readout", "aria-live": "polite", "data-role": "readout" });
  const table = el("table", { class: "ri-table", "data-role": "arithmetic" });
  // On a phone the chain scrolls sideways rather than shrinking its numbers below 11 px.
  const scroller = el(
    "div",
    {
      class: "ri-scroll",
      tabindex: "0",
      role: "region",
      "aria-label": "The unrolled network (scrolls sideways)",
    },
    [figure],
  );
  root.append(controls, scroller, caption, el("div", { class: "ri-table-wrap" }, [table]));

  let run = data.runs[0];
  const state = () => Number(slider.value);

  /** @param {number} index */
  function setRun(index) {
    run = data.runs[index];
    slider.max = String(run.steps.length);
    slider.value = String(Math.min(state(), run.steps.length));
    draw();
  }

  function draw() {
    const t = state();
    slider.setAttribute(
      "aria-valuetext",
      t === 0 ? "t = 0, before reading" : `t = ${t}, read “${run.text[t - 1]}”`,
    );
    prev.disabled = t === 0;
    next.disabled = t === run.steps.length;
    drawChain(figure, run, t, hidden);
    drawArithmetic(table, data, run, t, hidden);
    if (t === 0) {
      caption.textContent = `h₀ = (${Array(hidden).fill("0").join(", ")}): nothing read yet. Press Next to feed “${run.text[0]}”.`;
    } else {
      const s = run.steps[t - 1];
      caption.textContent =
        `t = ${t}: read “${s.token}”, h${sub(t)} = (${s.h.map((v) => fmt(v)).join(", ")}).` +
        (t === run.steps.length ? " This final state is all the network keeps of the whole word." : "");
    }
  }

  textSelect.addEventListener("change", () => setRun(Number(textSelect.value)));
  slider.addEventListener("input", draw);
  prev.addEventListener("click", () => {
    slider.value = String(state() - 1);
    draw();
  });
  next.addEventListener("click", () => {
    slider.value = String(state() + 1);
    draw();
  });
  setRun(0);
}

const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";
/**
 * 12 -> "₁₂": subscripts without HTML markup.
 * @param {number} n
 * @returns {string}
 */
function sub(n) {
  return String(n).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]);
}

/**
 * The unrolled network: one column per step, input below, hidden state above, h flowing right.
 * @param {SVGSVGElement} figure
 * @param {Run} run
 * @param {number} t  steps done
 * @param {number} hidden  units
 */
function drawChain(figure, run, t, hidden) {
  const T = run.steps.length;
  const width = (T + 1) * CELL_W + 8;
  const height = hidden * UNIT + 92;
  figure.setAttribute("viewBox", `0 0 ${width} ${height}`);
  // Never drawn below 1.1 px per unit: the 10-unit numbers stay at least 11 px.
  figure.style.minWidth = `${Math.ceil(width * 1.1)}px`;
  figure.setAttribute("aria-label", `The RNN unrolled over “${run.text}”, ${t} of ${T} steps done`);
  figure.replaceChildren();
  const top = 14;
  const cellY = top + hidden * UNIT + 14;
  for (let k = 0; k <= T; k += 1) {
    const x = 4 + k * CELL_W;
    const done = k <= t;
    const group = svg("g", {
      class: `ri-step${done ? "" : " ri-future"}${k === t ? " ri-current" : ""}`,
      "data-step": k,
    });
    const h = k === 0 ? Array(hidden).fill(0) : run.steps[k - 1].h;
    group.append(svg("text", { x: x + 17, y: top - 4, class: "ri-label" }, [`h${sub(k)}`]));
    h.forEach((v, j) => {
      const value = done ? v : 0;
      group.append(
        svg(
          "rect",
          {
            x: x + 6,
            y: top + j * UNIT,
            width: 24,
            height: UNIT - 1,
            fill: done ? divergingColour(value) : "none",
            class: "ri-unit",
            "data-value": done ? v.toFixed(4) : "",
          },
          [svg("title", {}, [done ? `unit ${j + 1}: ${fmt(v)}` : "not computed yet"])],
        ),
      );
      if (done) {
        group.append(
          svg("text", { x: x + 18, y: top + j * UNIT + 9.5, class: "ri-unit-text" }, [v.toFixed(1)]),
        );
      }
    });
    if (k > 0) {
      group.append(svg("rect", { x: x + 2, y: cellY, width: 32, height: 22, rx: 4, class: "ri-cell" }));
      group.append(svg("text", { x: x + 18, y: cellY + 15, class: "ri-cell-text" }, ["tanh"]));
      group.append(svg("text", { x: x + 18, y: cellY + 48, class: "ri-token" }, [run.steps[k - 1].token]));
      group.append(svg("text", { x: x + 18, y: cellY + 62, class: "ri-label" }, [`x${sub(k)}`]));
      group.append(
        svg("line", { x1: x + 18, y1: cellY + 36, x2: x + 18, y2: cellY + 24, class: "ri-arrow" }),
      );
      group.append(
        svg("line", { x1: x + 18, y1: cellY, x2: x + 18, y2: top + hidden * UNIT + 2, class: "ri-arrow" }),
      );
      // h_{k-1} enters step k from the left: the recurrence.
      group.append(
        svg("path", {
          d: `M ${x - CELL_W + 31} ${top + (hidden * UNIT) / 2} C ${x - 6} ${top + (hidden * UNIT) / 2}, ${x - 10} ${cellY + 11}, ${x + 2} ${cellY + 11}`,
          class: "ri-arrow ri-recurrent",
        }),
      );
    }
    figure.append(group);
  }
}

/**
 * The step's arithmetic, one column per hidden unit: x_t W_x + h_{t-1} W_h + b, then tanh.
 * @param {HTMLTableElement} table
 * @param {UnrollingData} data
 * @param {Run} run
 * @param {number} t
 * @param {number} hidden
 */
function drawArithmetic(table, data, run, t, hidden) {
  table.replaceChildren();
  const head = el("tr", {}, [
    el("th", { scope: "col" }, ["t = " + t]),
    ...Array.from({ length: hidden }, (_, j) => el("th", { scope: "col" }, [`unit ${j + 1}`])),
  ]);
  table.append(
    el("caption", {}, [t === 0 ? "Before the first step" : `Step ${t}: reading “${run.steps[t - 1].token}”`]),
    el("thead", {}, [head]),
  );
  const body = el("tbody");
  /** @type {[string, number[]][]} */
  const rows =
    t === 0
      ? [["h₀", Array(hidden).fill(0)]]
      : (() => {
          const s = run.steps[t - 1];
          return [
            [`x${sub(t)} W_x  (row “${s.token}” of W_x, since x${sub(t)} is one-hot)`, s.x_part],
            [`h${sub(t - 1)} W_h`, s.h_part],
            ["b", data.weights.b],
            [`a${sub(t)} = sum of the three rows`, s.pre],
            [`h${sub(t)} = tanh(a${sub(t)})`, s.h],
          ];
        })();
  for (const [label, values] of rows) {
    body.append(
      el("tr", {}, [el("th", { scope: "row" }, [label]), ...values.map((v) => el("td", {}, [fmt(v)]))]),
    );
  }
  table.append(body);
}
