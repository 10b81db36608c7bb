// node --test tests/js: the demo's seasonal naive and MASE equal rnn_site.baselines.forecast.
import assert from "node:assert/strict";
import { test } from "node:test";

import { mase, seasonalNaive, seasonalScale } from "../../docs/assets/demos/forecast-baselines.js";

test("seasonal naive repeats the last season, as far ahead as asked", () => {
  const values = [1, 2, 3, 4, 5, 6, 7];
  // Origin 6 (values[6] = 7 unknown), period 3: the last season is 4, 5, 6.
  assert.deepEqual(seasonalNaive(values, 6, 3, 7), [4, 5, 6, 4, 5, 6, 4]);
  // A history shorter than the period repeats from its first value.
  assert.deepEqual(seasonalNaive([9, 8], 2, 4, 3), [9, 9, 9]);
  assert.throws(() => seasonalNaive(values, 0, 3, 2), RangeError);
});

test("MASE is the mean absolute error in units of the training seasonal error", () => {
  // rnn_site.baselines.forecast.mase(np.array([1, 2, 4]), np.array([1, 3, 1]), 2.0) == 2/3
  assert.equal(mase([1, 2, 4], [1, 3, 1], 2), 2 / 3);
  assert.ok(Number.isNaN(mase([], [], 1)));
});

test("seasonalScale is seasonal_scale: the seasonal lag, lag 1 for a short history, 1 when flat", () => {
  assert.equal(seasonalScale([1, 2, 3, 5, 6], 2), 8 / 3);
  assert.equal(seasonalScale([1, 2, 4, 7], 12), 2);
  assert.equal(seasonalScale([5, 5, 5], 2), 1);
  assert.throws(() => seasonalScale([5], 12), RangeError);
});
