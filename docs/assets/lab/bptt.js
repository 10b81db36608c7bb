// @ts-check
// Truncated backpropagation through time for any cell, as rnn_site/scratch/bptt.py: the forward
// pass carries the state across chunks of k steps (so outputs are exact), the backward pass stops
// at each chunk's start. k >= T is full BPTT.

import { mat } from "./linalg.js";

/**
 * x: array over time of (B, I) matrices. `lossGrad(hChunk, start)` returns {loss, dh} with dh an
 * array of (B, H) matrices (zeros where the loss ignores a step). `state0` empty means zeros.
 * Returns {loss, dstate0, h, state, dhNorms, caches}; parameter gradients are added into `grads`.
 * dhNorms[t] = ‖∂L/∂h_t‖ (Frobenius over the batch) as the (truncated) backward pass saw it.
 * @param {import("./cells.js").Cell} cell
 * @param {import("./cells.js").Params} params
 * @param {import("./linalg.js").Mat[]} x
 * @param {(hChunk: import("./linalg.js").Mat[], start: number) => {loss: number, dh: import("./linalg.js").Mat[]}} lossGrad
 * @param {import("./cells.js").Params} grads
 * @param {number | null} [k]  steps per chunk; null is full BPTT
 * @param {import("./linalg.js").Mat[]} [state0]
 * @param {{wantDx?: boolean}} [options]
 */
export function truncatedBptt(
  cell,
  params,
  x,
  lossGrad,
  grads,
  k = null,
  state0 = [],
  { wantDx = false } = {},
) {
  const time = x.length;
  const B = x[0].rows;
  const H = params.W_h.rows;
  k = k === null ? time : k;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  let state = state0.length ? state0 : cell.stateNames.map(() => mat(B, H));
  let total = 0;
  let dstate0 = null;
  const hs = [];
  const caches = [];
  const dhNorms = new Float64Array(time);
  // --8<-- [start:tbptt_loop]
  for (let start = 0; start < time; start += k) {
    const { h: hChunk, state: nextState, cache } = cell.forward(params, x.slice(start, start + k), state);
    const { loss, dh } = lossGrad(hChunk, start);
    // The truncation: nothing flows back into this chunk from later chunks, and the gradient
    // w.r.t. the chunk's starting state is dropped (except for the very first).
    const noFuture = nextState.map((s) => mat(s.rows, s.cols));
    /** @type {(t: number, dhT: import("./linalg.js").Mat) => void} */
    const onDh = (t, dhT) => {
      let s = 0;
      for (const v of dhT.data) s += v * v;
      dhNorms[start + t] = Math.sqrt(s);
    };
    const { dstate } = cell.backward(params, cache, dh, noFuture, grads, { onDh, wantDx });
    if (start === 0) dstate0 = dstate;
    hs.push(...hChunk);
    caches.push(cache);
    total += loss;
    state = nextState;
  }
  // --8<-- [end:tbptt_loop]
  return { loss: total, dstate0, h: hs, state, dhNorms, caches };
}
