// @ts-check
// Row-major float64 matrices for the training lab: just what the cells need (three matrix
// products, row sums, a QR factorisation for orthogonal initialisation). DOM-free; the
// Python side does the same with NumPy (rnn_site/scratch), and tests/lab compares the two.

/** @typedef {{rows: number, cols: number, data: Float64Array}} Mat */

/**
 * A rows × cols matrix of zeros, or wrapping `data` (row-major, not copied).
 * @param {number} rows
 * @param {number} cols
 * @param {Float64Array} [data]
 * @returns {Mat}
 */
export function mat(rows, cols, data = new Float64Array(rows * cols)) {
  if (data.length !== rows * cols) throw new Error(`expected ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data };
}

/**
 * A matrix from nested arrays [[...], ...] (tests and JSON).
 * @param {number[][]} rows
 * @returns {Mat}
 */
export function fromRows(rows) {
  const cols = rows.length ? rows[0].length : 0;
  return mat(rows.length, cols, Float64Array.from(rows.flat()));
}

/**
 * Nested arrays from a matrix (tests and JSON).
 * @param {Mat} m
 * @returns {number[][]}
 */
export function toRows(m) {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

/**
 * @param {Mat} m
 * @returns {Mat}
 */
export function copy(m) {
  return mat(m.rows, m.cols, m.data.slice());
}

/**
 * @param {Mat} m
 * @returns {Mat}
 */
export function zerosLike(m) {
  return mat(m.rows, m.cols);
}

// The three products below are the lab's hot loops (about 90% of a training step). Their inner
// loops are unrolled by four: V8 runs them about 1.4 times faster that way.

/**
 * O[o .. o+m) += v * B[row .. row+m): one row of a product, accumulated.
 * @param {Float64Array} O
 * @param {number} o
 * @param {number} v
 * @param {Float64Array} B
 * @param {number} row
 * @param {number} m
 */
function axpy(O, o, v, B, row, m) {
  let j = 0;
  for (; j + 3 < m; j += 4) {
    O[o + j] += v * B[row + j];
    O[o + j + 1] += v * B[row + j + 1];
    O[o + j + 2] += v * B[row + j + 2];
    O[o + j + 3] += v * B[row + j + 3];
  }
  for (; j < m; j++) O[o + j] += v * B[row + j];
}

/**
 * a @ b: (n, k) @ (k, m) -> (n, m).
 * @param {Mat} a
 * @param {Mat} b
 * @returns {Mat}
 */
export function matmul(a, b) {
  const out = mat(a.rows, b.cols);
  const [n, k, m] = [a.rows, a.cols, b.cols];
  const A = a.data,
    B = b.data,
    O = out.data;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const v = A[r * k + i];
      if (v !== 0) axpy(O, r * m, v, B, i * m, m); // one-hot inputs: most of x is zero
    }
  }
  return out;
}

/**
 * out += aᵀ @ b: (n, k)ᵀ @ (n, m) -> (k, m), accumulated (a step's weight gradient).
 * @param {Mat} out
 * @param {Mat} a
 * @param {Mat} b
 */
export function addMatmulAT(out, a, b) {
  const [n, k, m] = [a.rows, a.cols, b.cols];
  const A = a.data,
    B = b.data,
    O = out.data;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const v = A[r * k + i];
      if (v !== 0) axpy(O, i * m, v, B, r * m, m);
    }
  }
  return out;
}

/**
 * a @ bᵀ: (n, m) @ (k, m)ᵀ -> (n, k) (backprop through x W: dL/dx = dL/da Wᵀ).
 * @param {Mat} a
 * @param {Mat} b
 * @returns {Mat}
 */
export function matmulBT(a, b) {
  const out = mat(a.rows, b.rows);
  const [n, m, k] = [a.rows, a.cols, b.rows];
  const A = a.data,
    B = b.data,
    O = out.data;
  for (let r = 0; r < n; r++) {
    const ro = r * m;
    for (let i = 0; i < k; i++) {
      const io = i * m;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        j = 0;
      for (; j + 3 < m; j += 4) {
        s0 += A[ro + j] * B[io + j];
        s1 += A[ro + j + 1] * B[io + j + 1];
        s2 += A[ro + j + 2] * B[io + j + 2];
        s3 += A[ro + j + 3] * B[io + j + 3];
      }
      for (; j < m; j++) s0 += A[ro + j] * B[io + j];
      O[r * k + i] = s0 + s1 + (s2 + s3);
    }
  }
  return out;
}

/**
 * out += column sums of a: (n, m) -> (m,) as a 1 × m matrix (a bias gradient).
 * @param {Mat} out
 * @param {Mat} a
 */
export function addSumRows(out, a) {
  for (let r = 0; r < a.rows; r++) {
    for (let j = 0; j < a.cols; j++) out.data[j] += a.data[r * a.cols + j];
  }
  return out;
}

/**
 * In place a += scale * b.
 * @param {Mat} a
 * @param {Mat} b
 * @param {number} [scale]
 */
export function addScaled(a, b, scale = 1) {
  for (let i = 0; i < a.data.length; i++) a.data[i] += scale * b.data[i];
  return a;
}

/**
 * The sum of squares of every entry.
 * @param {Mat} m
 * @returns {number}
 */
export function sumSquares(m) {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return s;
}

/**
 * Householder QR of a (n, k) matrix with n >= k: returns Q (n, k) and the diagonal of R.
 * NumPy calls LAPACK for the same factorisation; Q is unique once R's diagonal signs are fixed,
 * which `orthogonal` does, so both sides agree to rounding.
 * @param {Mat} a
 */
export function qr(a) {
  const [n, k] = [a.rows, a.cols];
  const R = a.data.slice();
  /** @type {[Float64Array, number][]} */
  const vs = [];
  const diag = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += R[i * k + j] ** 2;
    norm = Math.sqrt(norm);
    const alpha = R[j * k + j] > 0 ? -norm : norm;
    const v = new Float64Array(n);
    for (let i = j; i < n; i++) v[i] = R[i * k + j];
    v[j] -= alpha;
    let vv = 0;
    for (let i = j; i < n; i++) vv += v[i] * v[i];
    if (vv > 0) {
      for (let c = j; c < k; c++) {
        let s = 0;
        for (let i = j; i < n; i++) s += v[i] * R[i * k + c];
        const f = (2 * s) / vv;
        for (let i = j; i < n; i++) R[i * k + c] -= f * v[i];
      }
    }
    vs.push([v, vv]);
    diag[j] = R[j * k + j];
  }
  // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity.
  const Q = new Float64Array(n * k);
  for (let i = 0; i < k; i++) Q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const [v, vv] = vs[j];
    if (vv === 0) continue;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = j; i < n; i++) s += v[i] * Q[i * k + c];
      const f = (2 * s) / vv;
      for (let i = j; i < n; i++) Q[i * k + c] -= f * v[i];
    }
  }
  return { q: mat(n, k, Q), diag };
}
