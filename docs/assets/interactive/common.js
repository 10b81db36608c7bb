// Shared helpers for the chapter figures (unrolling view, gradient-flow explorer): building
// DOM and SVG nodes, loading the JSON the site build wrote, and showing errors on the page.
// The numbers are never computed here: rnn_site computes them at build time (chapter_data.py).

const SVG_NS = "http://www.w3.org/2000/svg";

/** el("button", {type: "button"}, ["Next"]) — attributes as strings, children as nodes or text. */
export function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  node.append(...[children].flat());
  return node;
}

/** Same as el() for SVG elements. */
export function svg(tag, attributes = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attributes);
  node.append(...[children].flat());
  return node;
}

function setAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
}

/** Fetch one of the build's data files (assets/interactive/data/NAME), checking its schema. */
export async function loadData(name) {
  const url = new URL(`./data/${name}`, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`could not load ${url.pathname} (HTTP ${response.status}); the site build writes it`);
  }
  const data = await response.json();
  if (data.schema !== 1) throw new Error(`${name} has schema ${data.schema}, this page reads schema 1`);
  return data;
}

/** Mount `init(root)` on every element with data-interactive=NAME; show failures in the element. */
export function mountAll(name, init) {
  for (const root of document.querySelectorAll(`[data-interactive="${name}"]`)) {
    const alert = el("div", { role: "alert", class: "ri-alert", "data-role": "alert" });
    root.append(alert);
    Promise.resolve()
      .then(() => init(root))
      .then(() => root.setAttribute("data-ready", ""))
      .catch((error) => {
        console.error(error);
        alert.textContent = `This figure could not start: ${error.message}`;
      });
  }
}

/** A number in a fixed width for tables: 0.462, -0.848; tiny and huge ones in scientific form. */
export function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) {
    const [mantissa, exponent] = x.toExponential(1).split("e");
    return `${mantissa} × 10${superscript(Number(exponent))}`;
  }
  return x.toFixed(digits).replace(/^-0\.0+$/, "0.000");
}

/** Diverging colour for a value in [-1, 1]: blue below zero, orange above, white at zero. */
export function divergingColour(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [230, 97, 1] : [33, 102, 172];
  const mix = (c) => Math.round(255 + (c - 255) * Math.abs(t));
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

/** Unique ids for label/for pairs when a page holds more than one figure of a kind. */
let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

const SUPERSCRIPTS = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
/** 12 -> "¹²", -6 -> "⁻⁶": exponents that read as exponents without HTML markup. */
export function superscript(n) {
  return String(n).replace(/[-\d]/g, (c) => SUPERSCRIPTS[c]);
}
