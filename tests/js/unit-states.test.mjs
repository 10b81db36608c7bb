// node --test tests/js: the hidden-state views' maths (docs/assets/demos/unit-states.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { maxAbs, pearson, rankUnits, tableRows, unitSeries } from "../../docs/assets/demos/unit-states.js";

// 3 steps, 2 layers, 2 units: h[(t * layers + l) * units + u] = 100 t + 10 l + u.
const h = Float32Array.from({ length: 12 }, (_, i) => {
  const u = i % 2;
  const l = Math.floor(i / 2) % 2;
  const t = Math.floor(i / 4);
  return 100 * t + 10 * l + u;
});
const states = { steps: 3, layers: 2, units: 2, h, c: null };

test("unitSeries reads one unit of one layer across time", () => {
  assert.deepEqual(Array.from(unitSeries(states, "h", 1, 1)), [11, 111, 211]);
  assert.deepEqual(Array.from(unitSeries(states, "h", 0, 0)), [0, 100, 200]);
});

test("pearson is ±1 on straight lines, 0 on a constant, and matches a hand computation", () => {
  assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
  assert.equal(pearson([1, 2, 3], [3, 2, 1]), -1);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), 0);
  // numpy.corrcoef([1, 2, 3, 4], [1, 3, 2, 4])[0, 1] == 0.8
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
});

test("rankUnits orders every unit of every layer by |r|", () => {
  const twoUnits = { steps: 4, layers: 1, units: 2, h: Float32Array.from([1, 4, 3, 3, 2, 2, 4, 1]) };
  // unit 0 reads [1, 3, 2, 4] (r = -0.8 with the feature), unit 1 reads [4, 3, 2, 1] (r = 1).
  const ranked = rankUnits(twoUnits, "h", [4, 3, 2, 1], 2);
  assert.deepEqual(
    ranked.map(({ unit }) => unit),
    [1, 0],
  );
  assert.equal(ranked[0].r, 1);
  assert.ok(Math.abs(ranked[1].r + 0.8) < 1e-6);
});

test("maxAbs and tableRows give the chart's scale and its table", () => {
  assert.equal(maxAbs([0.5, -2, 1]), 2);
  assert.equal(maxAbs([]), 0);
  const rows = tableRows(
    ["a", "\n"],
    [
      [0.12345, -1],
      [1, 2],
    ],
    (ch) => (ch === "\n" ? "↵" : ch),
  );
  assert.deepEqual(rows, [
    ["1", "a", "0.123", "1.000"],
    ["2", "↵", "-1.000", "2.000"],
  ]);
});
