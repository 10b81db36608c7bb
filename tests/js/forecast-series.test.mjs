// node --test tests/js: the time-series demo's forecasting (forecast-series.js) and what it draws
// and says (forecast-chart.js), with the real forecaster graph in onnxruntime-web, against numbers
// from the Python runtime (rnn_site.runtime.forecaster.Forecaster on the same files).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as ort from "onnxruntime-web";

import { shippedModel } from "./shipped-model.mjs";

import { seasonalNaive } from "../../docs/assets/demos/forecast-baselines.js";
import {
  chartGeometry,
  chartPaths,
  drawnPoint,
  forecastRows,
  forecastSummary,
} from "../../docs/assets/demos/forecast-chart.js";
import {
  computeForecast,
  flagOutcomes,
  forecaster,
  injectAnomalies,
  intervalScore,
  parseNumbers,
  quantileLines,
  stdev,
  timeLabel,
} from "../../docs/assets/demos/forecast-series.js";

const { card, bytes: modelBytes, json } = shippedModel("ts-forecaster");
const data = json("series");

let predict = null;
/** The real forecaster graph, as the page runs it. */
async function real() {
  ort.env.wasm.numThreads = 1;
  const bytes = modelBytes("forecaster");
  predict ??= forecaster(ort, await ort.InferenceSession.create(bytes));
  return predict;
}

const close = (got, want, tolerance, what) =>
  got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) <= tolerance, `${what}[${k}]: ${v} vs ${want[k]}`));

test("a reader's numbers: separators, and a message that says what is wrong", () => {
  assert.deepEqual(parseNumbers("1, 2;3\n-4.5 +.5 1e2", 3), [1, 2, 3, -4.5, 0.5, 100]);
  assert.throws(() => parseNumbers("1, 2, three", 2), /Value 3 \("three"\) is not a number/);
  assert.throws(() => parseNumbers("1 2 NaN", 2), /Value 3 is "NaN": NaN and infinity/);
  assert.throws(() => parseNumbers("1 2 3", 12), /Too short: 3 values; the model needs at least 12/);
  assert.throws(() => parseNumbers("  ", 1), /Type or paste/);
  assert.throws(() => parseNumbers("1 ".repeat(2001), 1), /At most 2000 values, got 2001/);
  // 1e39 is a finite double but infinite in float32: it drew an Infinity forecast before.
  assert.throws(() => parseNumbers("1 2 1e39", 2), /Value 3 \(1e39\) is too large: .*float32/);
  assert.throws(() => parseNumbers("1 -3.5e38", 2), /Value 2 \(-3.5e38\) is too large/);
  assert.deepEqual(parseNumbers("3.4e38 -3.4e38", 2), [3.4e38, -3.4e38]);
  assert.equal(stdev([1, 3]), 1);
  assert.equal(stdev([5, 5, 5]), 1); // a flat series is read in units of 1
});

test("time labels of monthly, yearly and hourly series", () => {
  assert.equal(timeLabel(data.series.co2, data.series.co2.val_end), "1995-01");
  assert.equal(timeLabel(data.series.sunspots, 269), "1969");
  assert.equal(timeLabel(data.series.seattle, 7296), "2010-11-01 00:00");
  assert.equal(timeLabel({ freq: "week", start: "" }, 3), "t = 3");
});

test("interval score, injected anomalies and the quantile layout", () => {
  assert.equal(intervalScore(12, 8, 10, 11), 2); // twice as far above as the upper edge
  assert.equal(intervalScore(9, 8, 10, 11), 0.5);
  const { values: out, injected } = injectAnomalies(new Array(20).fill(0), 4, 20, 2, 12);
  // n = 16: a spike of +4 units at 4 + 4, a shift of −3 units from 4 + 11 for max(2, 12 / 4)
  // steps (the unit is 2).
  assert.deepEqual(
    out.map((v, t) => [t, v]).filter(([, v]) => v !== 0),
    [
      [8, 8],
      [15, -6],
      [16, -6],
      [17, -6],
    ],
  );
  assert.deepEqual(injected, [8, 15, 16, 17]);
  // A short season still shifts 2 points, and never past the end of the span.
  assert.deepEqual(injectAnomalies(new Array(10).fill(0), 0, 10, 1, 3).injected, [3, 7, 8]);
  assert.deepEqual(injectAnomalies(new Array(10).fill(0), 0, 10, 1, 24).injected, [3, 7, 8, 9]);
  assert.deepEqual(flagOutcomes([3, 5, 8], [3, 7, 8]), { hits: [3, 8], falseAlarms: [5], missed: [7] });
  // Two rows of three steps, [lower, median, upper] per step.
  const q = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  assert.deepEqual(quantileLines(q, 3, 2, 1), { lower: [10, 13], median: [11, 14], upper: [12, 15] });
});

test("the CO2 forecast from January 1995 equals the Python runtime's", async () => {
  const series = data.series.co2;
  const request = { series, own: null, origin: series.val_end, horizon: 12, anomalies: false };
  const result = await computeForecast(await real(), card, request);
  // Forecaster.forecast(co2["values"][:442], 12, "co2"), first three steps; the interval is
  // history-calibrated (the graph's own lower: 360.06561, 360.50015, 361.46326)
  close(result.forecast.median.slice(0, 3), [360.50027, 360.99335, 361.97214], 1e-3, "median");
  close(result.forecast.lower.slice(0, 3), [360.02477, 360.41526, 361.28248], 1e-3, "lower");
  close(result.forecast.upper.slice(0, 3), [361.03898, 361.69613, 362.9664], 1e-3, "upper");
  // The card's example table (onnxruntime, 2 decimals): every median of the year.
  const table = card.example.text.split("\n").slice(1);
  close(
    result.forecast.median,
    table.map((row) => Number(row.split(/\s+/)[1])),
    0.006,
    "card example",
  );
  assert.deepEqual(result.actual, series.values.slice(442, 454));
  assert.deepEqual(result.baseline, seasonalNaive(series.values, 442, 12, 12));
  assert.equal(result.from, 442 - 96);
  assert.deepEqual(result.flags, []);
  const rows = forecastRows(result);
  assert.deepEqual(rows[0].slice(0, 3), ["1995-01", "360.0", "360.5"]);
  assert.equal(rows.length, 12);
  const { summary, scores } = forecastSummary(result, false);
  assert.match(summary, /^Forecast from 1995-01, 12 steps ahead:/);
  assert.match(
    summary,
    new RegExp(`LSTM ${scores.lstm.toFixed(2)}, seasonal naive ${scores.baseline.toFixed(2)}`),
  );
});

test("injected anomalies are flagged where the Python runtime flags them", async () => {
  const series = data.series.co2;
  const request = { series, own: null, origin: series.val_end, horizon: 12, anomalies: true };
  const result = await computeForecast(await real(), card, request);
  // Forecaster.detect_anomalies(injected[:442], "co2", start=346) with the same injection
  // (tests/browser/test_time_series.py's inject_like_the_demo): a 4-unit spike at 374 and a
  // 3-unit shift over 413–415, the unit the card's anomaly_unit (1.07 ppm). The threshold is
  // the card's (5.25 for co2, chosen on the v2 benchmark's validation copies).
  assert.equal(card.series.co2.anomaly_threshold, 5.25);
  assert.deepEqual(result.injected, [374, 413, 414, 415]);
  assert.ok(Math.abs(result.values[374] - series.values[374] - 4 * card.series.co2.anomaly_unit) < 1e-9);
  assert.deepEqual(result.flags, [374]);
  assert.match(
    forecastSummary(result, true).summary,
    /1 point flagged as anomalous \(circled\): 1 of the 4 injected points .* and 0 false alarms/,
  );
});

test("a reader's own series is read in its own unit, in the style of a site series", async () => {
  const values = [3, 5, 9, 4, 2, 6, 10, 5, 3, 7, 11, 6, 4, 8, 12, 7, 5.5];
  const request = {
    series: null,
    own: { values, style: "sunspots" },
    origin: 0,
    horizon: 11,
    anomalies: true,
  };
  const result = await computeForecast(await real(), card, request);
  // Forecaster.forecast(values, 11, "sunspots", scale="history")
  close(result.forecast.median.slice(0, 4), [8.676, 3.70015, 2.53373, 7.21867], 1e-3, "median");
  // 17 values hold 5 earlier forecasts of step 1, fewer than MIN_SCORES (12): every step keeps
  // the graph's interval (with 4 scores, step 1's lower edge was -33.38 against the graph's 2.31)
  close(result.forecast.lower.slice(0, 4), [2.31182, -4.39009, -5.88419, -0.75175], 1e-3, "lower");
  assert.equal(result.t0, values.length);
  assert.deepEqual(result.actual, []);
  assert.deepEqual(result.flags, []); // never flagged: there is nothing to compare with
  assert.equal(forecastSummary(result, true).scores, null);
  assert.equal(forecastRows(result)[0][0], "t = 17");
});

test("a step's interval is the same whatever the horizon, and needs min_history + 12 values", async () => {
  const co2 = data.series.co2.values;
  /** @param {number} n @param {number} horizon */
  const own = async (n, horizon) =>
    (
      await computeForecast(await real(), card, {
        series: null,
        own: { values: co2.slice(0, n), style: "co2" },
        origin: 0,
        horizon,
        anomalies: false,
      })
    ).forecast;
  for (const n of [30, 60]) {
    const [one, all] = [await own(n, 1), await own(n, 24)];
    assert.deepEqual([one.lower[0], one.upper[0]], [all.lower[0], all.upper[0]], `${n} values`);
  }
  // Python: Forecaster.forecast(co2[:n], 3, "co2", scale="history"): with 23 values no step has
  // 12 earlier forecasts (the graph's widths); with 24, step 0 has and is calibrated.
  const width = (/** @type {{lower: number[], upper: number[]}} */ f) =>
    f.upper.map((u, j) => u - f.lower[j]);
  const [short, enough] = [width(await own(23, 3)), width(await own(24, 3))];
  close(short, [0.85989, 0.92935, 1.14914], 1e-3, "23 values");
  close(enough, [1.43967, 0.91641, 1.20111], 1e-3, "24 values");
  // The summary says so, with the card's min_history + MIN_SCORES.
  /** @param {number} n @param {number} horizon */
  const said = async (n, horizon) => {
    const own = { values: co2.slice(0, n), style: "co2" };
    const request = { series: null, own, origin: 0, horizon, anomalies: false };
    return forecastSummary(await computeForecast(await real(), card, request), false).summary;
  };
  assert.match(await said(23, 3), /The interval is the graph's own: .* so 24 values for the first step/);
  assert.match(await said(24, 3), /The interval of the first 1 step is calibrated .* keep the graph's own/);
  assert.match(await said(25, 3), /The interval of the first 2 steps is calibrated/);
  assert.doesNotMatch(await said(60, 12), /graph's own/);
});

test("values within float32 that overflow inside the graph are refused, not drawn", async () => {
  const values = parseNumbers("3.4e38 -3.4e38 ".repeat(20), card.min_history);
  const request = { series: null, own: { values, style: "co2" }, origin: 0, horizon: 5, anomalies: false };
  // Python: Forecaster.forecast(values, 5, "co2", scale="history") raises InvalidSeriesError.
  await assert.rejects(computeForecast(await real(), card, request), /forecast overflowed float32/);
});

test("chart geometry: one unit per CSS pixel, 8% margins, paths joined to the last value", () => {
  const result = {
    series: null,
    settings: card.series.co2,
    values: [0, 10],
    t0: 2,
    h: 2,
    from: 0,
    forecast: { lower: [5, 5], median: [10, 10], upper: [15, 20] },
    baseline: [0, 10],
    actual: [],
    flags: [],
  };
  const g = chartGeometry(result, 375.4);
  assert.deepEqual([g.width, g.height, g.right, g.bottom], [375, 240, 365, 210]);
  assert.equal(g.lo, -1.6); // values span 0..20, padded by 1.6 each side
  assert.ok(Math.abs(g.hi - 21.6) < 1e-12);
  assert.equal(g.x(0), 40);
  assert.equal(g.x(3), 365);
  assert.deepEqual([chartGeometry(result, 0).width, chartGeometry(result, 100).width], [640, 240]);
  const paths = chartPaths(result, g.path);
  assert.equal(paths.history, "M40.0,196.2L148.3,110.0");
  assert.ok(paths.median.startsWith("M148.3,110.0L256.7,"), paths.median); // from the last value
  assert.ok(paths.band.endsWith("Z"));
  assert.deepEqual(drawnPoint({ left: 10, top: 0, width: 600, height: 200 }, 610, 50), [59, 75]);
  assert.deepEqual(drawnPoint({ left: 10, top: 0, width: 600, height: 200 }, 0, 200), [0, 0]);
});
