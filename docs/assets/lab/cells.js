// @ts-check
// The RNN, LSTM and GRU cells of rnn_site/scratch (rnn.py, lstm.py, gru.py) in JavaScript, line
// for line: one forward step, one backward step, and a pass over a sequence each way.
// Same layout as the Python: row vectors, x_t: (B, I), states (B, H), gates stacked side by side
// in W_x: (I, G*H), W_h: (H, G*H), b: (G*H) — LSTM order i, f, g, o; GRU order r, z, n plus b_hn.
// Biases are 1 × n matrices. A sequence is an array over time of (B, ·) matrices: x[t] is x[:, t].
// One difference from Python, for speed: a backward step adds its parameter gradients into
// `grads` instead of returning them for the caller to sum.

import { addMatmulAT, addSumRows, mat, matmul, matmulBT, zerosLike } from "./linalg.js";

/** @typedef {import("./linalg.js").Mat} Mat */
/** @typedef {Record<string, Mat>} Params */
/**
 * @typedef {{onDh?: ((t: number, dhT: Mat) => void) | null, wantDx?: boolean}} BackwardOptions
 */
/**
 * One recurrent cell (see CELLS). The cache is whatever its forward keeps for its backward.
 * @typedef {object} Cell
 * @property {string} name
 * @property {number} gates  blocks of H columns in W_x, W_h and b (LSTM 4, GRU 3)
 * @property {string[]} stateNames
 * @property {(params: Params, x: Mat[], state: Mat[]) => {h: Mat[], state: Mat[], cache: any}} forward
 * @property {(params: Params, cache: any, dh: Mat[], dstate: Mat[], grads: Params,
 *   options?: BackwardOptions) => {dx: (Mat | null)[], dstate: Mat[]}} backward  dx entries are null when `wantDx` is false
 */

/**
 * Logistic sigmoid written as 0.5 * (1 + tanh(a / 2)), as in activations.py.
 * @param {number} a
 * @returns {number}
 */
export function sigmoid(a) {
  return 0.5 * (1 + Math.tanh(0.5 * a));
}

/**
 * x_t W_x + h W_h + b: the pre-activations of every gate, (B, G*H).
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} h
 * @returns {Mat}
 */
function preActivation(params, xT, h) {
  const a = matmul(xT, params.W_x);
  const ah = matmul(h, params.W_h);
  const n = a.cols;
  for (let r = 0; r < a.rows; r++) {
    for (let j = 0; j < n; j++) a.data[r * n + j] = a.data[r * n + j] + ah.data[r * n + j] + params.b.data[j];
  }
  return a;
}

// --8<-- [start:rnn_step]
/**
 * One tanh RNN step: x_t: (B, I), h: (B, H) -> new h: (B, H).
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} h
 * @returns {Mat}
 */
export function rnnStep(params, xT, h) {
  const a = preActivation(params, xT, h);
  for (let n = 0; n < a.data.length; n++) a.data[n] = Math.tanh(a.data[n]);
  return a;
}
// --8<-- [end:rnn_step]

// --8<-- [start:rnn_backward_step]
/**
 * Backprop one step: dL/dh_t -> [dx_t, dL/dh_prev]; adds the step's parameter gradients to grads.
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} hPrev
 * @param {Mat} hT
 * @param {Mat} dhT
 * @param {Params} grads
 * @param {boolean} [wantDx]
 * @returns {[Mat | null, Mat]}
 */
export function rnnBackwardStep(params, xT, hPrev, hT, dhT, grads, wantDx = true) {
  // tanh' = 1 - tanh², and h_t *is* the tanh output.
  const da = zerosLike(dhT);
  for (let n = 0; n < da.data.length; n++) da.data[n] = dhT.data[n] * (1 - hT.data[n] * hT.data[n]);
  addMatmulAT(grads.W_x, xT, da);
  addMatmulAT(grads.W_h, hPrev, da);
  addSumRows(grads.b, da);
  // Going back one step multiplies by W_hᵀ and by tanh' ≤ 1: the vanishing product.
  return [wantDx ? matmulBT(da, params.W_x) : null, matmulBT(da, params.W_h)];
}
// --8<-- [end:rnn_backward_step]

// --8<-- [start:lstm_step]
/**
 * One LSTM step: x_t: (B, I), h, c: (B, H) -> [h, c, gates: (B, 4H) activated, i f g o].
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} h
 * @param {Mat} c
 * @returns {[Mat, Mat, Mat]}
 */
export function lstmStep(params, xT, h, c) {
  const gates = preActivation(params, xT, h);
  const [B, H] = [h.rows, h.cols];
  const hNew = mat(B, H);
  const cNew = mat(B, H);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      const n = r * H + j;
      const k = r * 4 * H + j; // gate block 0 of this unit; block q is k + q * H
      const i = (gates.data[k] = sigmoid(gates.data[k])); // input gate: how much to write
      const f = (gates.data[k + H] = sigmoid(gates.data[k + H])); // forget gate: how much to keep
      const g = (gates.data[k + 2 * H] = Math.tanh(gates.data[k + 2 * H])); // candidate values
      const o = (gates.data[k + 3 * H] = sigmoid(gates.data[k + 3 * H])); // output gate
      // The memory is updated by addition, not squashed through a matrix.
      cNew.data[n] = f * c.data[n] + i * g;
      hNew.data[n] = o * Math.tanh(cNew.data[n]);
    }
  }
  return [hNew, cNew, gates];
}
// --8<-- [end:lstm_step]

/**
 * lstmBackwardStep's types, kept above the snippet the training page shows (its description is
 * the comment inside).
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} hPrev
 * @param {Mat} cPrev
 * @param {Mat} cT
 * @param {Mat} gatesT  activated gates i, f, g, o of this step
 * @param {Mat} dhT
 * @param {Mat} dcT
 * @param {Params} grads
 * @param {boolean} [wantDx]
 * @returns {[Mat | null, Mat, Mat]}
 */
// --8<-- [start:lstm_backward_step]
// Backprop one step: (dL/dh_t, dL/dc_t) -> [dx_t, dL/dh_prev, dL/dc_prev], adding the step's
// parameter gradients into `grads`. dh_t and dc_t already include what flowed back from t+1.
export function lstmBackwardStep(params, xT, hPrev, cPrev, cT, gatesT, dhT, dcT, grads, wantDx = true) {
  const [B, H] = [dhT.rows, dhT.cols];
  const da = mat(B, 4 * H);
  const dcPrev = mat(B, H);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      const n = r * H + j;
      const k = r * 4 * H + j;
      const i = gatesT.data[k],
        f = gatesT.data[k + H],
        g = gatesT.data[k + 2 * H],
        o = gatesT.data[k + 3 * H];
      const tanhC = Math.tanh(cT.data[n]);
      // h_t = o * tanh(c_t): the gradient splits between the output gate and the memory.
      const dO = dhT.data[n] * tanhC;
      const dc = dcT.data[n] + dhT.data[n] * o * (1 - tanhC * tanhC);
      // c_t = f * c_prev + i * g: each factor's gradient is the other factor times dc.
      const di = dc * g,
        df = dc * cPrev.data[n],
        dg = dc * i;
      dcPrev.data[n] = dc * f; // only scaled by f, no matrix, no squashing: the gradient highway
      // Through the activations (σ' = σ(1-σ), tanh' = 1-tanh²) to a = x_t W_x + h_prev W_h + b.
      da.data[k] = di * i * (1 - i);
      da.data[k + H] = df * f * (1 - f);
      da.data[k + 2 * H] = dg * (1 - g * g);
      da.data[k + 3 * H] = dO * o * (1 - o);
    }
  }
  addMatmulAT(grads.W_x, xT, da);
  addMatmulAT(grads.W_h, hPrev, da);
  addSumRows(grads.b, da);
  return [wantDx ? matmulBT(da, params.W_x) : null, matmulBT(da, params.W_h), dcPrev];
}
// --8<-- [end:lstm_backward_step]

// --8<-- [start:gru_step]
/**
 * One GRU step: x_t: (B, I), h: (B, H) -> [h, gates: (B, 3H) activated, r z n].
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} h
 * @returns {[Mat, Mat]}
 */
export function gruStep(params, xT, h) {
  const [B, H] = [h.rows, h.cols];
  const ax = matmul(xT, params.W_x); // the input's say in r, z, n (plus b below)
  const ah = matmul(h, params.W_h); // the old state's say in r, z, n
  const gates = mat(B, 3 * H);
  const hNew = mat(B, H);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      const n = r * H + j;
      const k = r * 3 * H + j;
      const b = params.b.data;
      const rr = sigmoid(ax.data[k] + b[j] + ah.data[k]); // reset gate
      const z = sigmoid(ax.data[k + H] + b[j + H] + ah.data[k + H]); // update gate
      const nn = Math.tanh(
        ax.data[k + 2 * H] + b[j + 2 * H] + rr * (ah.data[k + 2 * H] + params.b_hn.data[j]),
      );
      // A convex mix of old state and candidate.
      hNew.data[n] = (1 - z) * nn + z * h.data[n];
      gates.data[k] = rr;
      gates.data[k + H] = z;
      gates.data[k + 2 * H] = nn;
    }
  }
  return [hNew, gates];
}
// --8<-- [end:gru_step]

// --8<-- [start:gru_backward_step]
/**
 * Backprop one step: dL/dh_t -> [dx_t, dL/dh_prev]; adds the step's parameter gradients to grads.
 * @param {Params} params
 * @param {Mat} xT
 * @param {Mat} hPrev
 * @param {Mat} gatesT
 * @param {Mat} dhT
 * @param {Params} grads
 * @param {boolean} [wantDx]
 * @returns {[Mat | null, Mat]}
 */
export function gruBackwardStep(params, xT, hPrev, gatesT, dhT, grads, wantDx = true) {
  const [B, H] = [dhT.rows, dhT.cols];
  const hn = matmul(hPrev, params.W_h); // recomputed: cheaper than caching (only its n block is used)
  const dax = mat(B, 3 * H);
  const dah = mat(B, 3 * H);
  const dhPrev = mat(B, H);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) {
      const n = r * H + j;
      const k = r * 3 * H + j;
      const rr = gatesT.data[k],
        z = gatesT.data[k + H],
        nn = gatesT.data[k + 2 * H];
      const hnj = hn.data[k + 2 * H] + params.b_hn.data[j]; // h_prev W_hn + b_hn
      // h_t = (1 - z) * n + z * h_prev
      const dn = dhT.data[n] * (1 - z),
        dz = dhT.data[n] * (hPrev.data[n] - nn);
      dhPrev.data[n] = dhT.data[n] * z;
      const daN = dn * (1 - nn * nn); // through tanh to n's pre-activation
      const dhn = daN * rr; // r gates the hidden term, so its gradient is gated too
      const daR = daN * hnj * rr * (1 - rr);
      const daZ = dz * z * (1 - z);
      dax.data[k] = daR;
      dax.data[k + H] = daZ;
      dax.data[k + 2 * H] = daN;
      dah.data[k] = daR;
      dah.data[k + H] = daZ;
      dah.data[k + 2 * H] = dhn;
    }
  }
  addMatmulAT(grads.W_x, xT, dax);
  addMatmulAT(grads.W_h, hPrev, dah);
  addSumRows(grads.b, dax);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < H; j++) grads.b_hn.data[j] += dah.data[r * 3 * H + 2 * H + j];
  }
  const back = matmulBT(dah, params.W_h);
  for (let n = 0; n < back.data.length; n++) dhPrev.data[n] += back.data[n];
  return [wantDx ? matmulBT(dax, params.W_x) : null, dhPrev];
}
// --8<-- [end:gru_backward_step]

/**
 * Backprop through time for a cell whose state is h alone (RNN, GRU): from the last step to the
 * first, add the gradient flowing back from t+1 to the loss's own at t, show it to `onDh`, and
 * let `step(t, h_prev, dh_t)` return [dx_t, dL/dh_prev] (adding its parameter gradients).
 * @param {number} T
 * @param {Mat} h0
 * @param {Mat[]} h
 * @param {Mat[]} dh
 * @param {Mat} dhLast
 * @param {((t: number, dh: Mat) => void) | null} onDh
 * @param {(t: number, hPrev: Mat, dhT: Mat) => [Mat | null, Mat]} step
 * @returns {{dx: (Mat | null)[], dstate: Mat[]}}
 */
function backThroughTime(T, h0, h, dh, dhLast, onDh, step) {
  /** @type {(Mat | null)[]} */
  const dx = [];
  let dhNext = dhLast;
  for (let t = T - 1; t >= 0; t--) {
    const dhT = addMats(dh[t], dhNext);
    if (onDh) onDh(t, dhT);
    [dx[t], dhNext] = step(t, t > 0 ? h[t - 1] : h0, dhT);
  }
  return { dx, dstate: [dhNext] };
}

/**
 * The three cells behind one interface, like rnn_site/scratch/cells.py: `forward(params, x, state)`
 * -> {h, state, cache} and `backward(params, cache, dh, dstate, grads, options)` -> {dx, dstate}.
 * A state is an array of (B, H) matrices (LSTM: [h, c]). `options.onDh(t, dh_t)` sees the total
 * gradient reaching each h_t (the lab's ‖∂L/∂h_t‖ chart); `options.wantDx = false` skips dx.
 * @type {Record<string, Cell>}
 */
export const CELLS = {
  rnn: {
    name: "rnn",
    gates: 1,
    stateNames: ["h"],
    forward(params, x, [h0]) {
      const h = [];
      let hT = h0;
      for (let t = 0; t < x.length; t++) h.push((hT = rnnStep(params, x[t], hT)));
      return { h, state: [hT], cache: { x, h0, h } };
    },
    backward(params, { x, h0, h }, dh, [dhLast], grads, { onDh = null, wantDx = true } = {}) {
      return backThroughTime(x.length, h0, h, dh, dhLast, onDh, (t, hPrev, dhT) =>
        rnnBackwardStep(params, x[t], hPrev, h[t], dhT, grads, wantDx),
      );
    },
  },
  lstm: {
    name: "lstm",
    gates: 4,
    stateNames: ["h", "c"],
    forward(params, x, [h0, c0]) {
      const h = [],
        c = [],
        gates = [];
      let hT = h0,
        cT = c0,
        gT;
      for (let t = 0; t < x.length; t++) {
        [hT, cT, gT] = lstmStep(params, x[t], hT, cT);
        (h.push(hT), c.push(cT), gates.push(gT));
      }
      return { h, state: [hT, cT], cache: { x, h0, c0, h, c, gates } };
    },
    backward(
      params,
      { x, h0, c0, h, c, gates },
      dh,
      [dhLast, dcLast],
      grads,
      { onDh = null, wantDx = true } = {},
    ) {
      /** @type {(Mat | null)[]} */
      const dx = [];
      let dhNext = dhLast,
        dcNext = dcLast;
      for (let t = x.length - 1; t >= 0; t--) {
        const dhT = addMats(dh[t], dhNext);
        if (onDh) onDh(t, dhT);
        const hPrev = t > 0 ? h[t - 1] : h0;
        const cPrev = t > 0 ? c[t - 1] : c0;
        [dx[t], dhNext, dcNext] = /** @type {[Mat | null, Mat, Mat]} */ (
          lstmBackwardStep(params, x[t], hPrev, cPrev, c[t], gates[t], dhT, dcNext, grads, wantDx)
        );
      }
      return { dx, dstate: [dhNext, dcNext] };
    },
  },
  gru: {
    name: "gru",
    gates: 3,
    stateNames: ["h"],
    forward(params, x, [h0]) {
      const h = [],
        gates = [];
      let hT = h0,
        gT;
      for (let t = 0; t < x.length; t++) {
        [hT, gT] = gruStep(params, x[t], hT);
        (h.push(hT), gates.push(gT));
      }
      return { h, state: [hT], cache: { x, h0, h, gates } };
    },
    backward(params, { x, h0, h, gates }, dh, [dhLast], grads, { onDh = null, wantDx = true } = {}) {
      return backThroughTime(x.length, h0, h, dh, dhLast, onDh, (t, hPrev, dhT) =>
        gruBackwardStep(params, x[t], hPrev, gates[t], dhT, grads, wantDx),
      );
    },
  },
};

/**
 * Look a cell up by name ("rnn", "lstm", "gru").
 * @param {string} name
 * @returns {Cell}
 */
export function getCell(name) {
  if (!Object.hasOwn(CELLS, name)) throw new RangeError(`unknown cell "${name}"; choose rnn, lstm or gru`);
  return CELLS[name];
}

/**
 * Zero gradients shaped like the parameters.
 * @param {Params} params
 * @returns {Params}
 */
export function zerosLikeParams(params) {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, zerosLike(v)]));
}

/**
 * @param {Mat} a
 * @param {Mat} b
 * @returns {Mat}
 */
function addMats(a, b) {
  const out = mat(a.rows, a.cols);
  for (let n = 0; n < out.data.length; n++) out.data[n] = a.data[n] + b.data[n];
  return out;
}
