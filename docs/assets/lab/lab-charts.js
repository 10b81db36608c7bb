// @ts-check
// The lab's charts: SVG line charts drawn at the element's own pixel width, so their 12 px text
// never shrinks on a phone, each with a table of the latest numbers as its text alternative.

import { el, svg } from "../demos/ui.js";
import { fmt, superscript } from "../interactive/common.js";

export const RUN_NAMES = ["A", "B"];
const HEIGHT = 190;
const MARGIN = { left: 46, right: 12, top: 10, bottom: 30 };
/** At most this many points per line: long runs are thinned evenly (the last point is kept). */
const MAX_POINTS = 500;

/**
 * A chart figure: caption, an SVG that `draw` fills, and a table that `table` fills.
 * @param {string} title
 * @param {string} description
 * @returns {{figure: HTMLElement, svg: SVGSVGElement, table: HTMLTableElement}}
 */
export function chartFigure(title, description) {
  const svgNode = svg("svg", { class: "rnn-lab-svg", height: String(HEIGHT), "aria-hidden": "true" });
  const caption = el("figcaption", {}, [el("strong", {}, title), " ", description]);
  const tbl = el("table", { class: "rnn-lab-table" });
  const figure = el("figure", { class: "rnn-lab-chart" }, [caption, svgNode, tbl]);
  return { figure, svg: svgNode, table: tbl };
}

/**
 * Fill a table: header row, then one row per entry (cells as text).
 * @param {HTMLTableElement} tbl
 * @param {string} caption
 * @param {string[]} header
 * @param {string[][]} rows
 */
export function fillTable(tbl, caption, header, rows) {
  tbl.replaceChildren(
    el("caption", {}, caption),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        header.map((h) => el("th", { scope: "col" }, h)),
      ),
    ),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el(
          "tr",
          {},
          r.map((c, i) => el(i ? "td" : "th", i ? {} : { scope: "row" }, c)),
        ),
      ),
    ),
  );
}

/**
 * @template P
 * @param {P[]} points
 * @returns {P[]}
 */
function thin(points) {
  if (points.length <= MAX_POINTS) return points;
  const every = Math.ceil(points.length / MAX_POINTS);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

/**
 * Draw lines on a log-scale y axis, or with `unit` a linear one from 0 to 1 (gate values).
 * series: [{points: [[x, y]], cls}], hlines: [{y, label, cls}], vlines: [{x, label, cls}].
 * Values the axis cannot show (non-finite; non-positive on a log axis) are left out.
 * @param {SVGSVGElement} node
 * @param {{series: {points: [number, number | null | undefined][], cls: string}[],
 *   hlines?: {y: number | null, label: string, cls?: string}[], vlines?: {x: number, label: string, cls?: string}[],
 *   xLabel: string, xMin?: number | null, xMax?: number | null, unit?: boolean}} chart
 */
export function drawLogChart(
  node,
  { series, hlines = [], vlines = [], xLabel, xMin = null, xMax = null, unit = false },
) {
  const width = Math.max(200, Math.round(node.parentElement?.clientWidth || 320));
  node.setAttribute("width", String(width));
  node.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
  /**
   * @param {number | null | undefined} y
   * @returns {y is number}
   */
  const ok = (y) => Number.isFinite(y) && (unit ? Number(y) >= 0 : Number(y) > 0);
  const lines = series.map((s) => ({
    ...s,
    points: thin(/** @type {[number, number][]} */ (s.points.filter(([, y]) => ok(y)))),
  }));
  const ys = [...lines.flatMap((s) => s.points.map(([, y]) => y)), ...hlines.map((h) => h.y).filter(ok)];
  const xs = lines.flatMap((s) => s.points.map(([x]) => x));
  /** @type {(x: number, y: number, label: string, attrs?: Record<string, string>) => SVGTextElement} */
  const text = (x, y, label, attrs = {}) => svg("text", { x: String(x), y: String(y), ...attrs }, label);
  /** @type {(x1: number, y1: number, x2: number, y2: number, cls: string) => SVGLineElement} */
  const line = (x1, y1, x2, y2, cls) =>
    svg("line", { x1: String(x1), y1: String(y1), x2: String(x2), y2: String(y2), class: cls });
  if (!xs.length) {
    node.replaceChildren(
      text(width / 2, HEIGHT / 2, "No data yet: press Start or Step.", { "text-anchor": "middle" }),
    );
    return;
  }
  let [lo, hi] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  if (hi === lo) hi += 1;
  const x0 = xMin ?? Math.min(...xs);
  const x1 = Math.max(xMax ?? Math.max(...xs, ...vlines.map((v) => v.x)), x0 + 1);
  const [left, right, top, bottom] = [MARGIN.left, width - MARGIN.right, MARGIN.top, HEIGHT - MARGIN.bottom];
  /** @type {(x: number) => number} */
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
  /** @type {(y: number) => number} */
  const py = unit
    ? (y) => bottom - y * (bottom - top)
    : (y) => bottom - ((Math.log10(y) - lo) / (hi - lo)) * (bottom - top);
  /** @type {(y: number | null) => boolean} */
  const inRange = (y) => ok(y) && (unit ? y <= 1 : y >= 10 ** lo && y <= 10 ** hi);
  // Grid lines: quarters on a unit axis, else decades labelled 10ⁿ (at most about six labels).
  /** @type {[number, string][]} */
  const ticks = [];
  if (unit) for (const y of [0, 0.25, 0.5, 0.75, 1]) ticks.push([y, String(y)]);
  else
    for (let e = lo; e <= hi; e += Math.max(1, Math.ceil((hi - lo) / 6)))
      ticks.push([10 ** e, `10${superscript(e)}`]);
  /** @type {SVGElement[]} */
  const children = [];
  for (const [y, label] of ticks) {
    children.push(line(left, py(y), right, py(y), "rnn-lab-grid"));
    children.push(text(left - 4, py(y) + 4, label, { "text-anchor": "end" }));
  }
  children.push(text(left, HEIGHT - 8, String(Math.round(x0))));
  children.push(text(right, HEIGHT - 8, String(Math.round(x1)), { "text-anchor": "end" }));
  children.push(text((left + right) / 2, HEIGHT - 8, xLabel, { "text-anchor": "middle" }));
  for (const h of hlines.filter((h) => inRange(h.y))) {
    const y = py(/** @type {number} */ (h.y)); // inRange let only numbers through
    children.push(line(left, y, right, y, `rnn-lab-hline ${h.cls ?? ""}`));
    children.push(text(right, y - 3, h.label, { "text-anchor": "end" }));
  }
  for (const v of vlines) {
    children.push(line(px(v.x), top, px(v.x), bottom, `rnn-lab-vline ${v.cls ?? ""}`));
    children.push(text(px(v.x) + 3, top + 12, v.label));
  }
  for (const s of lines.filter((s) => s.points.length)) {
    const d = s.points.map(([x, y], i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join("");
    children.push(svg("path", { d, class: `rnn-lab-line ${s.cls}` }));
  }
  node.replaceChildren(...children);
}

/**
 * A number for the tables: fmt's style, "–" when missing.
 * @param {number | null | undefined} x
 * @returns {string}
 */
export function num(x) {
  return x === null || x === undefined ? "–" : fmt(x);
}
