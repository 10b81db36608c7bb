// node --test tests/js: the electricity what-if (forecast-demand.js) on the published files, with
// the real demand graph in onnxruntime-web; the browser test checks the same numbers against the
// Python runtime (tests/browser/test_time_series.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as ort from "onnxruntime-web";

import { shippedModel } from "./shipped-model.mjs";

import {
  calibrationOrigins,
  DAY,
  DEMAND_HISTORY_DAYS,
  demandInputs,
  demandPredictor,
  demandRows,
  demandSummary,
  demandWhatIf,
  halfHour,
  historyFactor,
  regressionWhatIf,
  WEEK,
} from "../../docs/assets/demos/forecast-demand.js";
import { statisticalForecast } from "../../docs/assets/demos/forecast-series.js";

const { card, bytes, json: read } = shippedModel("ts-forecaster");
const days = read("electricity");

test("the inputs are the week before the day and the day's shifted temperatures", () => {
  const { origin } = days.days[2];
  const shifted = demandInputs(days, 2, 5);
  assert.deepEqual(shifted.demand, days.demand.slice(origin - WEEK, origin));
  assert.equal(shifted.temperature.length, days.history + DAY);
  const base = demandInputs(days, 2, 0);
  assert.deepEqual(shifted.temperature.slice(0, days.history), base.temperature.slice(0, days.history));
  shifted.temperature
    .slice(days.history)
    .forEach((t, k) => assert.ok(Math.abs(t - base.temperature[days.history + k] - 5) < 1e-9));
  assert.deepEqual(regressionWhatIf(days, 2, 0), days.days[2].regression);
  assert.equal(halfHour(0), "00:00");
  assert.equal(halfHour(47), "23:30");
});

test("a hotter hot day raises both forecasts; the table and caption say so", async () => {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes("demand"));
  const predict = demandPredictor(ort, session);
  const base = await demandWhatIf(predict, days, 2, 0);
  const hot = await demandWhatIf(predict, days, 2, 5);
  const mean = (/** @type {number[]} */ v) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(hot.lstm.median) > mean(base.lstm.median), "air conditioning: more demand");
  assert.ok(mean(hot.regression) > mean(base.regression));
  assert.deepEqual(hot.naive, base.naive);
  hot.lstm.median.forEach((m, k) => assert.ok(hot.lstm.lower[k] <= m && m <= hot.lstm.upper[k]));
  const rows = demandRows(hot);
  assert.equal(rows.length, DAY);
  assert.equal(rows[0][3], hot.lstm.median[0].toFixed(3));
  assert.match(demandSummary(hot, base, days), /moves the day's mean forecast by \+/);
  await assert.rejects(demandWhatIf(predict, days, 2, 40), RangeError);
});

test("the interval is calibrated on the week before the day, as the Python runtime's", async () => {
  ort.env.wasm.numThreads = 1;
  const predict = demandPredictor(ort, await ort.InferenceSession.create(bytes("demand")));
  // The file holds the seven days before each demo day, each with its own week before it.
  for (let day = 0; day < days.days.length; day++) {
    const origins = calibrationOrigins(days, day);
    assert.equal(origins.length, DEMAND_HISTORY_DAYS);
    assert.equal(origins.at(-1), days.days[day].origin - DAY);
    assert.ok(origins[0] - WEEK >= 0 && origins[0] - days.history >= 0);
  }
  const w = await demandWhatIf(predict, days, 2, 0);
  // Forecaster.demand_what_if(2, 0.0) in Python: the first three half-hours (the graph's own
  // lower 3.99918, 3.72363, 3.57152; every half-width × 1.21638).
  const close = (/** @type {number[]} */ got, /** @type {number[]} */ want) =>
    want.forEach((v, k) => assert.ok(Math.abs(got[k] - v) < 1e-4, `${got[k]} vs ${v}`));
  close(w.lstm.median.slice(0, 3), [4.15022, 3.84793, 3.66876]);
  close(w.lstm.lower.slice(0, 3), [3.9665, 3.69674, 3.55048]);
  close(w.lstm.upper.slice(0, 3), [4.33501, 3.99233, 3.78784]);
  close([w.factor], [1.21638]);
  assert.equal(w.factor, await historyFactor(predict, days, 2));
  assert.deepEqual(w.lstm.median, w.graph.median);
  w.lstm.median.forEach((m, k) =>
    assert.ok(Math.abs(w.lstm.upper[k] - m - w.factor * (w.graph.upper[k] - m)) < 1e-12),
  );
  // The factor reads the past at its recorded temperature: a shifted day keeps it.
  assert.equal((await demandWhatIf(predict, days, 2, 5)).factor, w.factor);
  assert.match(demandSummary(w, null, days), /scaled ×1\.22 by how the model fared/);
});

test("stored SARIMA forecasts are found at their origins only", () => {
  const stored = read("baselines");
  const co2 = stored.series.co2;
  assert.deepEqual(statisticalForecast(stored, "co2", co2.first, 12), co2.median[0].slice(0, 12));
  assert.equal(statisticalForecast(stored, "co2", co2.first - 1, 12), null);
  const seattle = stored.series.seattle;
  assert.equal(statisticalForecast(stored, "seattle", seattle.first + 1, 24), null);
  assert.equal(statisticalForecast(null, "co2", co2.first, 12), null);
});
