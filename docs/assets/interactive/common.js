// @ts-check
// Helpers for the chapter figures (unrolling view, gradient-flow explorer): mounting one on its
// build-time data, number formatting and colours. DOM building, fetching and error boxes are the
// demos' own (../demos/ui.js, ../demos/runtime.js), so figures and demos behave alike.
// The numbers are never computed here: rnn_site computes them at build time (chapter_data.py).

import { alertBox } from "../demos/ui.js";
import { DemoError, fetchJson } from "../demos/runtime.js";

/**
 * Mount a figure (docs/assets/demos/loader.js calls each figure module's `mount`): an empty error
 * box first, then `build(root, data)` with the build's data file; `data-ready` marks it drawn.
 * A failure rejects, and the loader shows it in the error box.
 * @template T  the data file's shape (the figure's build says it)
 * @param {HTMLElement} root
 * @param {string} file  a file name in assets/interactive/data/
 * @param {(root: HTMLElement, data: T) => void} build
 * @returns {Promise<void>}
 */
export async function mountFigure(root, file, build) {
  alertBox(root);
  build(root, await loadData(file));
  root.setAttribute("data-ready", "");
}

/**
 * Fetch one of the build's data files (assets/interactive/data/NAME), checking its schema.
 * @param {string} name
 * @returns {Promise<any>} the parsed file (schema 1)
 */
async function loadData(name) {
  const data = await fetchJson(new URL(`./data/${name}`, import.meta.url));
  if (data.schema !== 1) {
    throw new DemoError(`${name} has schema ${data.schema}, this page reads schema 1; rebuild the site`);
  }
  return data;
}

/**
 * A number in a fixed width for tables: 0.462, -0.848; tiny and huge ones in scientific form.
 * @param {number | null | undefined} x  null and undefined (and NaN) show as a dash
 * @param {number} [digits]
 * @returns {string}
 */
export function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) {
    const [mantissa, exponent] = x.toExponential(1).split("e");
    return `${mantissa} × 10${superscript(Number(exponent))}`;
  }
  return x.toFixed(digits).replace(/^-0\.0+$/, "0.000");
}

/**
 * Diverging colour for a value in [-1, 1]: blue below zero, orange above, white at zero.
 * @param {number} v
 * @returns {string} an rgb() colour
 */
export function divergingColour(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [230, 97, 1] : [33, 102, 172];
  /** @type {(c: number) => number} */
  const mix = (c) => Math.round(255 + (c - 255) * Math.abs(t));
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

/** Unique ids for label/for pairs when a page holds more than one figure of a kind. */
let counter = 0;
/**
 * @param {string} prefix
 * @returns {string}
 */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** @type {Record<string, string>} */
const SUPERSCRIPTS = {
  "-": "⁻",
  0: "⁰",
  1: "¹",
  2: "²",
  3: "³",
  4: "⁴",
  5: "⁵",
  6: "⁶",
  7: "⁷",
  8: "⁸",
  9: "⁹",
};
/**
 * 12 -> "¹²", -6 -> "⁻⁶": exponents that read as exponents without HTML markup.
 * @param {number} n
 * @returns {string}
 */
export function superscript(n) {
  return String(n).replace(/[-\d]/g, (c) => SUPERSCRIPTS[c]);
}
