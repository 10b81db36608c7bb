// @ts-check
// The initialisers of rnn_site/scratch/init.py, drawing from the shared LabRandom so Python and
// the browser start from the same weights. Shapes follow the row-vector layout: (fan_in, fan_out).

import { mat, qr } from "./linalg.js";

/** @typedef {import("./linalg.js").Mat} Mat */
/** @typedef {import("./rng.js").LabRandom} LabRandom */

/**
 * Glorot/Xavier uniform U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)): (fanIn, fanOut).
 * @param {number} fanIn
 * @param {number} fanOut
 * @param {LabRandom} rng
 * @param {number} [gain]
 * @returns {Mat}
 */
export function glorotUniform(fanIn, fanOut, rng, gain = 1) {
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return mat(fanIn, fanOut, rng.uniform(-bound, bound, fanIn * fanOut));
}

/**
 * A random (semi-)orthogonal matrix times gain: every singular value is `gain`.
 * @param {number} rows
 * @param {number} cols
 * @param {LabRandom} rng
 * @param {number} [gain]
 * @returns {Mat}
 */
export function orthogonal(rows, cols, rng, gain = 1) {
  const [n, k] = [Math.max(rows, cols), Math.min(rows, cols)];
  const a = mat(n, k, rng.standardNormal(n * k));
  const { q, diag } = qr(a);
  // QR's sign convention is not random; fixing the signs of R's diagonal makes Q uniform.
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) q.data[i * k + j] *= Math.sign(diag[j]);
  const out = rows < cols ? transpose(q) : q;
  for (let i = 0; i < out.data.length; i++) out.data[i] *= gain;
  return out;
}

/**
 * scale * I (IRNN, Le, Jaitly & Hinton, 2015): (n, n).
 * @param {number} n
 * @param {number} [scale]
 * @returns {Mat}
 */
export function identity(n, scale = 1) {
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = scale;
  return m;
}

/**
 * An LSTM bias (1, 4H), gate order i, f, g, o: zeros except `value` on the forget slice.
 * @param {number} hiddenSize
 * @param {number} [value]
 * @returns {Mat}
 */
export function forgetGateBias(hiddenSize, value = 1) {
  const b = mat(1, 4 * hiddenSize);
  b.data.fill(value, hiddenSize, 2 * hiddenSize);
  return b;
}

/**
 * Recurrent weights (H, gates*H) with one orthogonal block per gate.
 * @param {number} hiddenSize
 * @param {number} gates
 * @param {LabRandom} rng
 * @returns {Mat}
 */
export function recurrentOrthogonal(hiddenSize, gates, rng) {
  return hstack(Array.from({ length: gates }, () => orthogonal(hiddenSize, hiddenSize, rng)));
}

/**
 * Blocks side by side (same number of rows).
 * @param {Mat[]} blocks
 * @returns {Mat}
 */
export function hstack(blocks) {
  const rows = blocks[0].rows;
  const cols = blocks.reduce((s, b) => s + b.cols, 0);
  const out = mat(rows, cols);
  let offset = 0;
  for (const b of blocks) {
    for (let r = 0; r < rows; r++)
      out.data.set(b.data.subarray(r * b.cols, (r + 1) * b.cols), r * cols + offset);
    offset += b.cols;
  }
  return out;
}

/**
 * @param {Mat} m
 * @returns {Mat}
 */
function transpose(m) {
  const out = mat(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j];
  return out;
}
