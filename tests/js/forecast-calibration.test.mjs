// node --test tests/js: history calibration of the forecaster's interval (forecast-calibration.js),
// the same cases as tests/test_ts_history_calibration.py for rnn_site/baselines/conformal.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  HISTORY_ORIGINS,
  MIN_SCORES,
  calibratedSteps,
  calibrationOrigins,
  conformalFactor,
  historyFactors,
  ratioScore,
  rescaled,
} from "../../docs/assets/demos/forecast-calibration.js";

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test("the conformal factor is the 80% rank of at least k scores", () => {
  assert.equal(MIN_SCORES, HISTORY_ORIGINS);
  assert.equal(MIN_SCORES, 12);
  assert.equal(conformalFactor(range(1, 12).reverse()), 11); // ⌈13·0.8⌉ = 11th of 1..12
  assert.equal(conformalFactor(range(1, 11)), 1); // 11 scores: the graph's interval
  assert.equal(conformalFactor([5, 1, 3]), 1);
  assert.equal(ratioScore(12, 8, 10, 11), 2); // two half-widths above
  assert.equal(ratioScore(7, 8, 10, 11), 1.5); // one and a half below
});

test("per-step factors use the k most recent origins where the step is known", () => {
  const [n, horizon, k] = [60, 3, 12];
  const origins = calibrationOrigins(n, horizon, 12, k, false);
  assert.deepEqual(origins, range(46, 59));
  assert.deepEqual(calibrationOrigins(n, horizon, 12, k, true), range(46, 57));
  assert.deepEqual(calibrationOrigins(14, 3, 12), [12, 13]); // never before min_history
  // Median 0 and half-width j + 1 at step j; values i / 10, but 100 before the last k.
  const forecast = {
    median: [0, 0, 0],
    lower: [-1, -2, -3],
    upper: [1, 2, 3],
  };
  const values = Array.from({ length: n }, (_, i) => (i < n - k ? 100 : i / 10));
  const factors = historyFactors(
    values,
    origins,
    origins.map(() => forecast),
    horizon,
    k,
    false,
  );
  // ⌈13·0.8⌉ = 11th of 12 scores: the second largest, the value before the last's (5.8).
  factors.forEach((f, j) => assert.ok(Math.abs(f - 5.8 / (j + 1)) < 1e-12, `step ${j}: ${f}`));
  assert.deepEqual(rescaled({ median: [10, 10], lower: [9, 8], upper: [12, 11] }, [2, 0.5]), {
    median: [10, 10],
    lower: [8, 9],
    upper: [14, 10.5],
  });
});

test("a step is calibrated once min_history + MIN_SCORES + step values are there", () => {
  assert.equal(calibratedSteps(23, 24, 24, 12), 0);
  assert.equal(calibratedSteps(24, 24, 24, 12), 1);
  assert.equal(calibratedSteps(30, 24, 24, 12), 7);
  assert.equal(calibratedSteps(30, 3, 24, 12), 3);
  assert.equal(calibratedSteps(500, 24, 24, 12), 24);
});
