// node --test tests/js: the LSTM explorer's checks, bars and equation (docs/assets/demos/lstm-gates.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Vocab } from "../../docs/assets/demos/char-lm.js";
import {
  cellEquation,
  checkText,
  HEIGHT,
  MAX_CHARS,
  parseUnit,
  seriesBars,
  WIDTH,
} from "../../docs/assets/demos/lstm-gates.js";
import { DemoError } from "../../docs/assets/demos/runtime.js";

test("checkText refuses empty, too long and unknown text with a reader's message", () => {
  assert.equal(checkText("abc", null), "abc");
  assert.throws(() => checkText("", null), /text is empty/);
  assert.throws(() => checkText("x".repeat(MAX_CHARS + 1), null), new RegExp(`reads up to ${MAX_CHARS}`));
  const vocab = new Vocab(["a", "b"]);
  assert.throws(() => checkText("abz", vocab), DemoError);
  assert.equal(checkText("ab", vocab), "ab");
});

test("parseUnit takes whole numbers in range, an empty box as no unit", () => {
  assert.equal(parseUnit(" 12 ", 288, 1), 12);
  assert.equal(parseUnit("", 288, 1), null);
  for (const bad of ["288", "-1", "1.5", "x"]) {
    assert.throws(() => parseUnit(bad, 288, 2), /Unit 2 must be a whole number from 0 to 287/);
  }
});

test("seriesBars draws each step as a bar from the zero line, clipped to the range", () => {
  const { positive, negative, base, bar } = seriesBars([0.5, -0.5, 2], [-1, 1]);
  assert.equal(base, HEIGHT / 2);
  const w = (WIDTH / 3).toFixed(3);
  // 0.5 on [-1, 1] is three quarters up; 2 is clipped to the top.
  assert.equal(bar(0), `M0.000 12.00V6.00h${w}V12.00Z`);
  assert.equal(positive, bar(0) + bar(2));
  assert.equal(negative, bar(1));
  assert.ok(bar(2).includes("V0.00h"));
  // Without a range the axis is ±max|value|, so the largest bar reaches an edge.
  const free = seriesBars([3, -6], null);
  assert.equal(free.base, HEIGHT / 2);
  assert.ok(free.bar(1).includes(`V${HEIGHT.toFixed(2)}h`));
});

test("cellEquation writes c = f·c₋₁ + i·g and h = o·tanh(c) with the step's numbers", () => {
  const at = {
    i: [0.5, 0.25],
    f: [0.9, 0.8],
    g: [-0.4, 0.6],
    o: [0.7, 0.5],
    c: [-0.2, 0.15],
    h: [-0.14, 0.07],
  };
  assert.equal(
    cellEquation(at, 1),
    "c = f·c₋₁ + i·g = 0.80·(-0.20) + 0.25·0.60 = 0.15;  h = o·tanh(c) = 0.50·0.15 = 0.07",
  );
  // At the first step c₋₁ is the zero initial state.
  assert.ok(cellEquation(at, 0).startsWith("c = f·c₋₁ + i·g = 0.90·0.00 + 0.50·(-0.40) = -0.20"));
});
