// @ts-check
// The lab's three tasks, as rnn_site/scratch/lab.py makes them: each batch is drawn from the
// shared LabRandom, so Python and the browser see the same data stream. A batch is
// {x: array over time of (B, I) matrices, targets: {steps, y}}: the loss reads the hidden state at
// each step in `steps`, and y[s * B + b] is example b's target there (a number or a class id).

import { mat } from "./linalg.js";

/**
 * One batch: inputs over time, and the targets at the steps the loss reads.
 * @typedef {{x: import("./linalg.js").Mat[], targets: {steps: number[], y: Float64Array}}} Batch
 */

/**
 * A lab task. Sizes, thresholds and batches take the shared run config; some tasks ignore it.
 * @typedef {object} Task
 * @property {string} name
 * @property {"regression" | "classes"} kind
 * @property {(config: any) => number} inputSize
 * @property {(config: any) => number} outputSize
 * @property {(config: any) => number} baseline  the loss of a trivial answer
 * @property {(config: any) => number} solvedBelow  a smoothed loss under this counts as solved
 * @property {(config: any) => number} minLength
 * @property {(rng: import("./rng.js").LabRandom, config: any) => Batch} batch
 */

/**
 * The char task also carries its vocabulary and the passage as ids.
 * @typedef {Task & {vocab: string, ids: number[]}} CharTask
 */

/** Symbols of the copy task; inputs are one-hot over the symbols, a blank and a "go" marker. */
export const COPY_SYMBOLS = 8;

/**
 * The adding problem: T pairs (value, marker); values uniform in [0, 1), one marker in each half.
 * Target: the sum of the two marked values, read after the last step. Always answering 1 scores
 * an MSE of 1/6; "solved" is below a tenth of that (as in rnn_site/experiments/long_range.py).
 * @type {Task}
 */
export const adding = {
  name: "adding",
  kind: "regression",
  inputSize: () => 2,
  outputSize: () => 1,
  baseline: () => 1 / 6,
  solvedBelow: () => 1 / 60,
  minLength: () => 2,
  batch(rng, { batch: B, length: T }) {
    const x = Array.from({ length: T }, () => mat(B, 2));
    const y = new Float64Array(B);
    const half = Math.floor(T / 2);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) x[t].data[b * 2] = rng.random();
      const first = rng.integer(half);
      const second = half + rng.integer(T - half);
      x[first].data[b * 2 + 1] = 1;
      x[second].data[b * 2 + 1] = 1;
      y[b] = x[first].data[b * 2] + x[second].data[b * 2];
    }
    return { x, targets: { steps: [T - 1], y } };
  },
};

/**
 * The copy (memory) task: k random symbols, blanks, a "go" marker at step T-k-1, then the model
 * must output the k symbols at the last k steps. Guessing scores ln(8) nats per symbol;
 * "solved" is below 0.1 nats (about 90% of symbols right).
 * @type {Task}
 */
export const copy = {
  name: "copy",
  kind: "classes",
  inputSize: () => COPY_SYMBOLS + 2,
  outputSize: () => COPY_SYMBOLS,
  baseline: () => Math.log(COPY_SYMBOLS),
  solvedBelow: () => 0.1,
  minLength: ({ recall }) => 2 * recall + 1,
  batch(rng, { batch: B, length: T, recall: k }) {
    const I = COPY_SYMBOLS + 2;
    const [blank, go] = [COPY_SYMBOLS, COPY_SYMBOLS + 1];
    const x = Array.from({ length: T }, () => mat(B, I));
    const steps = Array.from({ length: k }, (_, j) => T - k + j);
    const y = new Float64Array(k * B);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < k; j++) {
        const s = rng.integer(COPY_SYMBOLS);
        x[j].data[b * I + s] = 1;
        y[j * B + b] = s;
      }
      for (let t = k; t < T; t++) x[t].data[b * I + (t === T - k - 1 ? go : blank)] = 1;
    }
    return { x, targets: { steps, y } };
  },
};

/**
 * Next-character prediction on a short passage: random windows of T + 1 characters, one-hot
 * inputs, a target at every step. Baseline: the passage's character entropy (what counting
 * characters gives); "solved": below its bigram entropy (what counting pairs gives).
 */
/**
 * @param {string} passage
 * @returns {CharTask}
 */
export function charTask(passage) {
  const vocab = [...new Set(passage)].sort().join("");
  const ids = Array.from(passage, (ch) => vocab.indexOf(ch));
  const V = vocab.length;
  return {
    name: "char",
    kind: "classes",
    vocab,
    ids,
    inputSize: () => V,
    outputSize: () => V,
    baseline: () => entropy(ids, V, 1),
    solvedBelow: () => entropy(ids, V, 2),
    minLength: () => 2,
    batch(rng, { batch: B, length: T }) {
      const x = Array.from({ length: T }, () => mat(B, V));
      const y = new Float64Array(T * B);
      for (let b = 0; b < B; b++) {
        const start = rng.integer(ids.length - T);
        for (let t = 0; t < T; t++) {
          x[t].data[b * V + ids[start + t]] = 1;
          y[t * B + b] = ids[start + t + 1];
        }
      }
      return { x, targets: { steps: Array.from({ length: T }, (_, t) => t), y } };
    },
  };
}

/**
 * Entropy in nats of the next character given the previous order-1 characters, from counts.
 * @param {number[]} ids
 * @param {number} V  vocabulary size
 * @param {number} order
 * @returns {number}
 */
export function entropy(ids, V, order) {
  /** @type {Map<string, Float64Array>} */
  const counts = new Map();
  for (let i = order - 1; i < ids.length; i++) {
    const key = ids.slice(i - order + 1, i).join(",");
    const row = counts.get(key) ?? new Float64Array(V);
    row[ids[i]] += 1;
    counts.set(key, row);
  }
  let total = 0,
    h = 0;
  for (const row of counts.values()) {
    const n = row.reduce((a, b) => a + b, 0);
    for (const c of row) if (c > 0) h -= c * Math.log(c / n);
    total += n;
  }
  return h / total;
}
