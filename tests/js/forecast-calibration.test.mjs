// node --test tests/js: history calibration of the forecaster's interval (forecast-calibration.js),
// the same cases as tests/test_ts_history_calibration.py for rnn_site/baselines/conformal.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  calibrationOrigins,
  conformalFactor,
  historyFactors,
  ratioScore,
  rescaled,
} from "../../docs/assets/demos/forecast-calibration.js";

test("the conformal factor is the 80% rank and needs four scores", () => {
  assert.equal(conformalFactor([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]), 9); // ⌈11·0.8⌉ = 9th of 1..10
  assert.equal(conformalFactor([5, 1, 3]), 1); // too few: the graph's interval
  assert.equal(ratioScore(12, 8, 10, 11), 2); // two half-widths above
  assert.equal(ratioScore(7, 8, 10, 11), 1.5); // one and a half below
});

test("per-step factors use the k most recent origins where the step is known", () => {
  const [n, horizon, k] = [40, 3, 5];
  const origins = calibrationOrigins(n, horizon, 12, k, false);
  assert.deepEqual(origins, [33, 34, 35, 36, 37, 38, 39]);
  assert.deepEqual(calibrationOrigins(n, horizon, 12, k, true), [33, 34, 35, 36, 37]);
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
  factors.forEach((f, j) => assert.ok(Math.abs(f - 3.9 / (j + 1)) < 1e-12, `step ${j}: ${f}`));
  assert.deepEqual(rescaled({ median: [10, 10], lower: [9, 8], upper: [12, 11] }, [2, 0.5]), {
    median: [10, 10],
    lower: [8, 9],
    upper: [14, 10.5],
  });
});
