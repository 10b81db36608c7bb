// @ts-check
// DOM-free part of the LSTM cell explorer (lstm-explorer.js): what it accepts (text, unit
// numbers), how one series of a unit becomes bars, and the cell equation at one step.
// Tested by tests/js/lstm-gates.test.mjs.

import { DemoError } from "./runtime.js";
import { maxAbs } from "./unit-states.js";

/** Each step is a column of bars; beyond this many they are thinner than a pixel. */
export const MAX_CHARS = 1000;
/** How many units the explorer shows side by side. */
export const SLOTS = 4;
/** Width and height of one bar chart in viewBox units (the SVG stretches to the panel). */
export const WIDTH = 100;
export const HEIGHT = 24;

/**
 * One row of a unit's panel. `range` fixes the axis; null scales it to the unit's largest |value|.
 * @typedef {{key: string, name: string, label: string, range: [number, number] | null}} Series
 */

/** @type {Series[]} */
export const SERIES = [
  { key: "i", name: "i", label: "input gate", range: [0, 1] },
  { key: "f", name: "f", label: "forget gate", range: [0, 1] },
  { key: "g", name: "g", label: "candidate", range: [-1, 1] },
  { key: "o", name: "o", label: "output gate", range: [0, 1] },
  { key: "c", name: "c", label: "cell state", range: null },
  { key: "h", name: "h", label: "hidden state", range: [-1, 1] },
];
export const SERIES_KEYS = SERIES.map((s) => s.key);

/**
 * Check the text before anything downloads; `vocab` may be null before the example loads.
 * @param {unknown} text
 * @param {{encode(text: string): unknown} | null} vocab  a char-lm.js Vocab: unknown characters
 *   throw a DemoError naming the character and its position
 * @returns {string}
 */
export function checkText(text, vocab) {
  if (typeof text !== "string" || text.length === 0) {
    throw new DemoError("The text is empty: type at least one character for the model to read.");
  }
  const chars = Array.from(text).length;
  if (chars > MAX_CHARS) {
    throw new DemoError(`The text has ${chars} characters; the explorer reads up to ${MAX_CHARS}.`);
  }
  vocab?.encode(text);
  return text;
}

/**
 * "12" → 12 within [0, units); "" → null (slot unused); anything else is a DemoError.
 * @param {string} value
 * @param {number} units
 * @param {number} slot  1-based, for the message
 * @returns {number | null}
 */
export function parseUnit(value, units, slot) {
  const text = String(value).trim();
  if (text === "") return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n >= units) {
    throw new DemoError(`Unit ${slot} must be a whole number from 0 to ${units - 1} (got "${text}").`);
  }
  return n;
}

/**
 * The bars of one series: an SVG path for the positive and one for the negative values, the
 * zero line's height, and `bar(t)`, the path of step t's bar (the explorer outlines the current one).
 * @param {ArrayLike<number>} values  one per step
 * @param {[number, number] | null} range  fixed axis, or null for ±max|value|
 * @returns {{positive: string, negative: string, base: number, bar: (t: number) => string}}
 */
export function seriesBars(values, range) {
  const n = values.length;
  const barWidth = WIDTH / n;
  let [lo, hi] = range ?? [0, 0];
  if (!range) {
    hi = maxAbs(values) || 1;
    lo = -hi;
  }
  /** @param {number} v */
  const y = (v) => HEIGHT * (1 - (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo));
  const base = y(Math.max(lo, 0));
  /** @param {number} t */
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
  return { positive, negative, base, bar };
}

/**
 * The cell's two equations with this step's numbers: how c and h came about.
 * @param {Record<string, ArrayLike<number>>} at  each series of one unit, by key
 * @param {number} step
 * @returns {string}
 */
export function cellEquation(at, step) {
  /** @param {number} v */
  const f = (v) => (v < 0 ? `(${v.toFixed(2)})` : v.toFixed(2));
  const cPrev = step > 0 ? at.c[step - 1] : 0;
  return (
    `c = f·c₋₁ + i·g = ${f(at.f[step])}·${f(cPrev)} + ${f(at.i[step])}·${f(at.g[step])} = ${at.c[step].toFixed(2)};  ` +
    `h = o·tanh(c) = ${f(at.o[step])}·${f(Math.tanh(at.c[step]))} = ${at.h[step].toFixed(2)}`
  );
}
