// @ts-check
// What every forecast chart on the time-series page shares: the plot frame, the LSTM's 80% band
// and median, what happened, the seasonal naive and the statistical forecast in one set of
// styles, the 11 px labels, and the figure that holds a chart with its caption and data table.
// time-series.js (a series' forecast) and demand-what-if.js (tomorrow's electricity demand) draw
// them on their own axes, so the same line means the same forecast in both charts.

import { chartSvg, dataTable, el, svg } from "./ui.js";

/**
 * The path strings of one chart, in its own SVG units: `band` closed; `history` only where the
 * chart shows the past before the forecast; `statistical` "" when there is none.
 * @typedef {{band: string, history?: string, actual: string, baseline: string, statistical: string, median: string}} ForecastPaths
 */

/**
 * The frame and lines of a forecast chart, back to front, with data-role attributes tests read.
 * @param {{left: number, top: number, right: number, bottom: number}} box  the plot area
 * @param {ForecastPaths} paths
 * @returns {SVGElement[]}
 */
export function forecastLines(box, paths) {
  const accent = "var(--md-accent-fg-color, #f50)";
  const line = (/** @type {string} */ d, /** @type {Record<string, string>} */ style) =>
    svg("path", { d, fill: "none", ...style });
  return [
    svg("rect", {
      x: box.left,
      y: box.top,
      width: box.right - box.left,
      height: box.bottom - box.top,
      fill: "none",
      stroke: "currentColor",
      "stroke-opacity": "0.2",
    }),
    svg("path", { d: paths.band, fill: accent, "fill-opacity": "0.2", "data-role": "interval" }),
    ...(paths.history === undefined
      ? []
      : [line(paths.history, { stroke: "currentColor", "stroke-width": "1.5" })]),
    line(paths.actual, { stroke: "currentColor", "stroke-dasharray": "4 3", "stroke-opacity": "0.6" }),
    line(paths.baseline, {
      stroke: "#1565c0",
      "stroke-width": "1.5",
      "stroke-dasharray": "1 3",
      "stroke-linecap": "round",
      "data-role": "baseline",
    }),
    line(paths.statistical, {
      stroke: "#2e7d32",
      "stroke-width": "1.5",
      "stroke-dasharray": "6 3",
      "data-role": "statistical",
    }),
    line(paths.median, { stroke: accent, "stroke-width": "2", "data-role": "median" }),
  ];
}

/**
 * An 11-unit label at (x, y): one SVG unit per CSS pixel keeps it 11 px on a phone.
 * @param {number} x
 * @param {number} y
 * @param {string} text
 * @param {"start" | "middle" | "end"} anchor
 */
export function chartLabel(x, y, text, anchor = "start") {
  return svg("text", { x, y, "font-size": "11", fill: "currentColor", "text-anchor": anchor }, [text]);
}

/**
 * A chart with its caption and data table, for a demo that draws one value of type T at a time.
 * `show` draws a value and says what it shows; `clear` empties the chart and puts `message` in
 * the caption. The chart redraws itself at a new width (a rotated phone, a resized window) so its
 * labels keep their size.
 * @template T
 * @param {string} label  the chart's accessible name until the first value is shown
 * @param {(chart: SVGSVGElement, value: T) => void} draw  draws `value` at the chart's width
 */
export function chartFigure(label, draw) {
  const chart = chartSvg(label);
  const caption = el("p", { class: "rnn-caption", "data-role": "summary" });
  const table = el("div", { "data-role": "chart-data" });
  /** @type {T | null} */
  let shown = null;
  /**
   * @param {T} value
   * @param {{name: string, summary: string, headers: string[], rows: string[][]}} words  the
   *   chart's accessible name, the caption, and the data table's headers and rows
   */
  const show = (value, { name, summary, headers, rows }) => {
    draw(chart, value);
    shown = value;
    chart.setAttribute("aria-label", name);
    caption.textContent = summary;
    table.replaceChildren(dataTable("The numbers in the chart", headers, rows));
  };
  const clear = (message = "") => {
    chart.replaceChildren();
    caption.textContent = message;
  };
  let lastWidth = 0;
  new ResizeObserver(() => {
    const width = Math.round(chart.getBoundingClientRect().width);
    if (shown !== null && width !== lastWidth) draw(chart, shown);
    lastWidth = width;
  }).observe(chart);
  const figure = el("figure", {}, [chart, el("figcaption", {}, caption)]);
  return { chart, nodes: [figure, table], show, clear };
}
