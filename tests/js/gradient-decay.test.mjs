// node --test tests/js: chapter 3's gradient-flow maths (docs/assets/interactive/gradient-decay.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  decades,
  decayPerStep,
  tableRows,
  tickStep,
  verdict,
} from "../../docs/assets/interactive/gradient-decay.js";

test("decayPerStep is the geometric mean ratio after distance 0", () => {
  // Norms 5, then 1, 0.5, 0.25: each step back halves the gradient (the 5 at the loss is skipped).
  assert.ok(Math.abs(decayPerStep([5, 1, 0.5, 0.25]) - 0.5) < 1e-12);
  // Zeros are skipped (as numpy's norms[norms > 0]); fewer than two positive norms give no rate.
  assert.ok(Math.abs(decayPerStep([1, 2, 0, 8]) - 4) < 1e-12);
  assert.ok(Number.isNaN(decayPerStep([1, 2])));
  assert.equal(verdict(0.5), "vanishes");
  assert.equal(verdict(1.01), "roughly keeps its size");
  assert.equal(verdict(1.2), "explodes");
});

test("decades spans every positive value, at least two decades tall", () => {
  assert.deepEqual(decades([0.002, 0, 30]), [-3, 2]);
  assert.deepEqual(decades([2, 3]), [-1, 2]);
});

test("tickStep labels fewer distances on long sequences and narrow plots", () => {
  assert.equal(tickStep(10, 640), 1);
  assert.equal(tickStep(50, 640), 10);
  assert.equal(tickStep(50, 300), 20);
  assert.equal(tickStep(100, 640), 20);
});

test("tableRows lists each distance with every series' value", () => {
  const rows = tableRows([{ values: [1, 0.5] }, { values: [2, 4] }], (v) => v.toFixed(1));
  assert.deepEqual(rows, [
    ["0", "1.0", "2.0"],
    ["1", "0.5", "4.0"],
  ]);
});
