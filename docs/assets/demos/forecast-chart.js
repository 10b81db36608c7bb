// @ts-check
// What the time-series demo draws and says about a forecast, DOM-free: the chart's size and
// scales, its SVG path strings, the summary under it (errors, MASE, interval coverage, flags),
// and the rows of its data table. time-series.js turns these into SVG and HTML.

import { mase } from "./forecast-baselines.js";
import { MIN_SCORES } from "./forecast-calibration.js";
import { flagOutcomes, timeLabel } from "./forecast-series.js";

/** @typedef {import("./forecast-series.js").ForecastResult} ForecastResult */

/**
 * The chart's size and scales at a given CSS width: one SVG unit per CSS pixel, so 11-unit labels
 * are 11 px on a phone as on a desktop; the value axis spans everything drawn, plus 8% margins.
 * @param {ForecastResult} result
 * @param {number} cssWidth  the chart's width on the page (0 before layout: 640 is assumed)
 */
export function chartGeometry({ values, t0, h, from, forecast, baseline, statistical, actual }, cssWidth) {
  const history = values.slice(from, t0);
  const all = [
    ...history,
    ...actual,
    ...forecast.lower,
    ...forecast.upper,
    ...baseline,
    ...(statistical ?? []),
  ];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const n = t0 + h - from;
  const width = Math.max(240, Math.round(cssWidth) || 640);
  const height = width < 480 ? 240 : 300;
  const left = 40;
  const top = 10;
  const right = width - 10;
  const bottom = height - 30;
  /** @param {number} t */
  const x = (t) => left + ((t - from) / Math.max(n - 1, 1)) * (right - left);
  /** @param {number} v */
  const y = (v) => top + ((hi - v) / (hi - lo)) * (bottom - top);
  /** @param {[number, number][]} points  [t, value] pairs → an SVG path "M…L…" */
  const path = (points) =>
    points.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
  return { width, height, left, top, right, bottom, lo, hi, x, y, path };
}

/**
 * The path strings of the chart's lines, each joined to the last known value so nothing floats:
 * history, the 80% band (closed), what happened, the seasonal naive, SARIMA ("" without one)
 * and the LSTM's median.
 * @param {ForecastResult} result
 * @param {ReturnType<typeof chartGeometry>["path"]} path
 */
export function chartPaths({ values, t0, from, forecast, baseline, statistical, actual }, path) {
  /** @type {[number, number]} */
  const last = [t0 - 1, values[t0 - 1]];
  /** @param {number[]} line @returns {[number, number][]} */
  const ahead = (line) => [last, ...line.map((v, k) => /** @type {[number, number]} */ ([t0 + k, v]))];
  /** @type {[number, number][]} */
  const band = [
    ...forecast.upper.map((v, k) => /** @type {[number, number]} */ ([t0 + k, v])),
    ...forecast.lower.map((v, k) => /** @type {[number, number]} */ ([t0 + k, v])).reverse(),
  ];
  return {
    band: `${path(band)}Z`,
    history: path(values.slice(from, t0).map((v, i) => [from + i, v])),
    actual: path(ahead(actual)),
    baseline: path(ahead(baseline)),
    statistical: statistical ? path(ahead(statistical)) : "",
    median: path(ahead(forecast.median)),
  };
}

/**
 * Label of step t of the shown series ("1995-01"), or "t = 12" for a reader's own numbers.
 * @param {ForecastResult} result
 */
export const labeller = (result) => (/** @type {number} */ t) =>
  result.series ? timeLabel(result.series, t) : `t = ${t}`;

/**
 * The chart's accessible name, its caption, and the MASE of each forecast when actual values
 * are known (in the unit of the card's `scale`, the training part's seasonal-naive error).
 * @param {ForecastResult} result
 * @param {boolean} anomaliesShown  whether the reader asked for anomalies to be flagged
 * @returns {{name: string, summary: string, scores: {lstm: number, baseline: number, statistical?: number} | null}}
 */
export function forecastSummary(result, anomaliesShown) {
  const { t0, h, forecast, baseline, statistical, actual, flags } = result;
  const label = labeller(result);
  const unit = result.series ? ` ${result.series.unit}` : "";
  const name = `Forecast of ${h} steps from ${label(t0)}: median from ${forecast.median[0].toPrecision(4)} to ${forecast.median[h - 1].toPrecision(4)}${unit}.`;
  let summary = `Forecast from ${label(t0)}, ${h} step${h > 1 ? "s" : ""} ahead: solid line = history, dashed = what happened, coloured = LSTM median with its 80% interval, blue dots = seasonal naive (the same time one season earlier)${statistical ? ", green dashes = SARIMA (fitted on the training part)" : ""}.`;
  if (result.series && !statistical)
    summary +=
      " SARIMA's forecast is stored for origins in the test period only (every midnight for hourly series).";
  let scores = null;
  if (actual.length) {
    const inside = actual.filter((v, k) => v >= forecast.lower[k] && v <= forecast.upper[k]).length;
    const mae = actual.reduce((a, v, k) => a + Math.abs(v - forecast.median[k]), 0) / actual.length;
    /** @type {{lstm: number, baseline: number, statistical?: number}} */
    const found = {
      lstm: mase(actual, forecast.median, result.settings.scale),
      baseline: mase(actual, baseline, result.settings.scale),
    };
    if (statistical) found.statistical = mase(actual, statistical, result.settings.scale);
    scores = found;
    const sarima = found.statistical === undefined ? "" : `, SARIMA ${found.statistical.toFixed(2)}`;
    summary += ` Mean absolute error ${mae.toPrecision(3)}${unit}; ${inside} of ${actual.length} actual values inside the interval. MASE of this forecast: LSTM ${found.lstm.toFixed(2)}, seasonal naive ${found.baseline.toFixed(2)}${sarima} (lower is better).`;
  }
  if (result.backtest) {
    const { t0: cut, scores: b } = result.backtest;
    scores = b;
    summary += ` Forecast from ${label(cut)} instead, both would have missed your last ${h} values by MASE LSTM ${b.lstm.toFixed(2)}, seasonal naive ${b.baseline.toFixed(2)} (lower is better; the unit is your series' own seasonal change before ${label(cut)}).`;
  } else if (!result.series)
    summary += ` With ${h} more values than the model needs, your series would also be scored: both forecasts made ${h} values before its end, against its last ${h} values.`;
  const calibrated = result.calibrated;
  if (calibrated && calibrated.steps < h) {
    const needs = `a step needs ${MIN_SCORES} earlier forecasts of it whose outcome is known, so ${calibrated.shortest} values for the first step and one more for each later one`;
    summary +=
      calibrated.steps === 0
        ? ` The interval is the graph's own: the history is too short to calibrate it on its own past (${needs}).`
        : ` The interval of the first ${calibrated.steps} step${calibrated.steps > 1 ? "s" : ""} is calibrated on the history's own past; the later steps keep the graph's own (${needs}).`;
  }
  if (anomaliesShown && result.series) {
    const injected = result.injected ?? [];
    const { hits, falseAlarms } = flagOutcomes(flags, injected);
    summary += ` ${flags.length} point${flags.length === 1 ? "" : "s"} flagged as anomalous (circled): ${hits.length} of the ${injected.length} injected points (marked with a cross) and ${falseAlarms.length} false alarm${falseAlarms.length === 1 ? "" : "s"} (dashed circles).`;
  }
  return { name, summary, scores };
}

/** The data table's column headers; forecastRows gives its rows. */
export const FORECAST_HEADERS = [
  "Time",
  "Lower (10%)",
  "Median",
  "Upper (90%)",
  "Seasonal naive",
  "SARIMA",
  "Actual",
];

/**
 * One row per forecast step, 4 significant digits; "SARIMA" empty without a stored forecast,
 * "Actual" empty past the known values.
 * @param {ForecastResult} result
 * @returns {string[][]}
 */
export function forecastRows(result) {
  const { t0, forecast, baseline, statistical, actual } = result;
  const label = labeller(result);
  return forecast.median.map((m, k) => [
    label(t0 + k),
    forecast.lower[k].toPrecision(4),
    m.toPrecision(4),
    forecast.upper[k].toPrecision(4),
    baseline[k].toPrecision(4),
    statistical ? statistical[k].toPrecision(4) : "",
    k < actual.length ? actual[k].toPrecision(4) : "",
  ]);
}

/**
 * A point drawn on the chart: which of `buckets` columns (left to right) the pointer is in, and
 * its height as a percentage of the chart (0 at the bottom, 100 at the top, 0.1 steps).
 * @param {{left: number, top: number, width: number, height: number}} box  the chart's client rect
 * @param {number} clientX
 * @param {number} clientY
 * @returns {[number, number]}
 */
export function drawnPoint(box, clientX, clientY, buckets = 60) {
  const x = Math.min(buckets - 1, Math.max(0, Math.floor(((clientX - box.left) / box.width) * buckets)));
  const y = 1 - (clientY - box.top) / box.height;
  return [x, Math.round(y * 1000) / 10];
}
