// @ts-check
// One training run of the lab, DOM-free (the worker drives it; tests/lab runs it in Node against
// rnn_site/scratch/lab.py): weights from the seed, batches from the task, truncated BPTT, a
// linear readout and its loss, clipping, and an optimiser step.

import { truncatedBptt } from "./bptt.js";
import { getCell, zerosLikeParams } from "./cells.js";
import { clipByGlobalNorm, globalNorm } from "./clip.js";
import { forgetGateBias, glorotUniform, hstack, identity, recurrentOrthogonal } from "./init.js";
import { addMatmulAT, addSumRows, mat, matmul, matmulBT } from "./linalg.js";
import { makeOptimizer } from "./optim.js";
import { LabRandom } from "./rng.js";
import { adding, charTask, copy } from "./tasks.js";

/** @typedef {import("./linalg.js").Mat} Mat */
/** @typedef {import("./cells.js").Params} Params */
/** @typedef {import("./tasks.js").Task} Task */
/** @typedef {import("./tasks.js").Batch} Batch */
/** @typedef {import("./config.js").RunConfig} RunConfig */

/** The data stream's seed is the run's seed plus this, so weights and data draw independently. */
export const DATA_SEED_OFFSET = 0x5eed;

/**
 * Cell weights and readout from `rng`, in the order Python draws them (init_model in lab.py).
 * @param {RunConfig} config
 * @param {number} inputSize
 * @param {number} outputSize
 * @param {LabRandom} rng
 * @returns {{params: import("./cells.js").Params, readout: import("./cells.js").Params}}
 */
export function initModel(config, inputSize, outputSize, rng) {
  const cell = getCell(config.cell);
  const [G, H] = [cell.gates, config.hidden];
  const W_x = glorotUniform(inputSize, G * H, rng);
  let W_h;
  if (config.init === "xavier") W_h = glorotUniform(H, G * H, rng, config.rho);
  else if (config.init === "orthogonal") {
    W_h = recurrentOrthogonal(H, G, rng);
    for (let i = 0; i < W_h.data.length; i++) W_h.data[i] *= config.rho;
  } else if (config.init === "identity")
    W_h = hstack(Array.from({ length: G }, () => identity(H, config.rho)));
  else throw new RangeError(`unknown init "${config.init}"; choose xavier, orthogonal or identity`);
  const b = config.cell === "lstm" ? forgetGateBias(H, config.forgetBias) : mat(1, G * H);
  /** @type {import("./cells.js").Params} */
  const params = config.cell === "gru" ? { W_x, W_h, b, b_hn: mat(1, H) } : { W_x, W_h, b };
  const readout = { W_y: glorotUniform(H, outputSize, rng), b_y: mat(1, outputSize) };
  return { params, readout };
}

/**
 * The readout's loss on the steps of one chunk: returns {loss, dh}; adds readout gradients.
 * @param {Task} task
 * @param {Params} readout
 * @param {Params} rgrads
 * @param {Batch["targets"]} targets
 * @param {number} B
 * @param {Mat[]} hChunk
 * @param {number} start
 * @returns {{loss: number, dh: Mat[]}}
 */
export function readoutLoss(task, readout, rgrads, targets, B, hChunk, start) {
  const { steps, y } = targets;
  const count = B * steps.length;
  const dh = hChunk.map((h) => mat(h.rows, h.cols));
  let loss = 0;
  steps.forEach((t, s) => {
    if (t < start || t >= start + hChunk.length) return;
    const h = hChunk[t - start];
    const z = matmul(h, readout.W_y);
    const O = z.cols;
    for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) z.data[b * O + o] += readout.b_y.data[o];
    const dz = mat(B, O);
    for (let b = 0; b < B; b++) {
      if (task.kind === "regression") {
        const err = z.data[b] - y[s * B + b];
        loss += (err * err) / count;
        dz.data[b] = (2 * err) / count;
      } else {
        // Cross-entropy through a stable log-softmax: lse = m + log Σ exp(z - m).
        let m = -Infinity;
        for (let o = 0; o < O; o++) m = Math.max(m, z.data[b * O + o]);
        let sum = 0;
        for (let o = 0; o < O; o++) sum += Math.exp(z.data[b * O + o] - m);
        const lse = m + Math.log(sum);
        const label = y[s * B + b];
        loss += (lse - z.data[b * O + label]) / count;
        for (let o = 0; o < O; o++) dz.data[b * O + o] = Math.exp(z.data[b * O + o] - lse) / count;
        dz.data[b * O + label] -= 1 / count;
      }
    }
    addMatmulAT(rgrads.W_y, h, dz);
    addSumRows(rgrads.b_y, dz);
    dh[t - start] = matmulBT(dz, readout.W_y);
  });
  return { loss, dh };
}

/**
 * A training run: `step(batch)` trains on one batch and reports what the lab draws.
 * config: {task, cell, hidden, length, batch, lr, optimizer, clip (τ or 0 for off), init, rho,
 * forgetBias, truncation (k or 0 for full BPTT), seed, recall}.
 */
export class LabRun {
  /**
   * @param {RunConfig} config
   * @param {Task} task
   */
  constructor(config, task) {
    this.config = config;
    this.task = task;
    this.cell = getCell(config.cell);
    const model = initModel(
      config,
      task.inputSize(config),
      task.outputSize(config),
      new LabRandom(config.seed),
    );
    this.params = model.params;
    this.readout = model.readout;
    this.optimizer = makeOptimizer(config.optimizer, config.lr);
    this.steps = 0;
  }

  /** Every trainable matrix by name (cell weights, then the readout). */
  allParams() {
    return { ...this.params, ...this.readout };
  }

  /**
   * Train on one batch: returns {loss, normBefore, normAfter, dhNorms, forget} or {diverged}.
   * @param {import("./tasks.js").Batch} batch
   * @returns {{diverged: string, loss: number} | {diverged?: undefined, loss: number, normBefore: number,
   *   normAfter: number, dhNorms: Float64Array, forget: number | null}}
   */
  step(batch) {
    const { config, task } = this;
    const B = config.batch;
    const grads = zerosLikeParams(this.params);
    const rgrads = zerosLikeParams(this.readout);
    /** @type {(hChunk: Mat[], start: number) => {loss: number, dh: Mat[]}} */
    const lossGrad = (hChunk, start) =>
      readoutLoss(task, this.readout, rgrads, batch.targets, B, hChunk, start);
    const k = config.truncation > 0 ? config.truncation : null;
    const result = truncatedBptt(this.cell, this.params, batch.x, lossGrad, grads, k);
    const all = { ...grads, ...rgrads };
    const normBefore = globalNorm(all);
    this.steps += 1;
    if (!Number.isFinite(result.loss) || !Number.isFinite(normBefore)) {
      const what = Number.isFinite(result.loss) ? "the gradient norm" : "the loss";
      return {
        diverged: `${what} became ${Number.isNaN(result.loss) ? "NaN" : "infinite"}`,
        loss: result.loss,
      };
    }
    if (config.clip > 0) clipByGlobalNorm(all, config.clip);
    const normAfter = config.clip > 0 ? globalNorm(all) : normBefore;
    this.optimizer.step(this.allParams(), all);
    return {
      loss: result.loss,
      normBefore,
      normAfter,
      dhNorms: result.dhNorms,
      forget: config.cell === "lstm" ? meanForget(result.caches) : null,
    };
  }

  /**
   * Sample `n` characters (char task) from a seed character, drawing from `rng`.
   * @param {LabRandom} rng
   * @param {number} n
   * @param {number} [first]  the seed character's id
   * @returns {number[]}
   */
  sample(rng, n, first = 0) {
    const V = this.task.outputSize(this.config);
    const H = this.config.hidden;
    let state = this.cell.stateNames.map(() => mat(1, H));
    let id = first;
    const out = [];
    for (let i = 0; i < n; i++) {
      const x = mat(1, V);
      x.data[id] = 1;
      const { h, state: next } = this.cell.forward(this.params, [x], state);
      state = next;
      const z = matmul(h[0], this.readout.W_y);
      let m = -Infinity;
      for (let o = 0; o < V; o++) m = Math.max(m, (z.data[o] += this.readout.b_y.data[o]));
      let sum = 0;
      for (let o = 0; o < V; o++) sum += z.data[o] = Math.exp(z.data[o] - m);
      let u = rng.random() * sum;
      id = V - 1;
      for (let o = 0; o < V; o++)
        if ((u -= z.data[o]) < 0) {
          id = o;
          break;
        }
      out.push(id);
    }
    return out;
  }
}

/**
 * The LSTM's forget gate averaged over batch, time and units (gate block 1 of each row).
 * @param {{gates: Mat[]}[]} caches
 * @returns {number}
 */
function meanForget(caches) {
  let s = 0,
    n = 0;
  for (const { gates } of caches) {
    for (const g of gates) {
      const H = g.cols / 4;
      for (let r = 0; r < g.rows; r++) for (let j = 0; j < H; j++) s += g.data[r * g.cols + H + j];
      n += g.rows * H;
    }
  }
  return s / n;
}

/**
 * The task object for a config: adding, copy, or char on `passage`.
 * @param {string} name
 * @param {string} [passage]
 * @returns {Task}
 */
export function taskFor(name, passage = "") {
  if (name === "adding") return adding;
  if (name === "copy") return copy;
  if (name === "char") return charTask(passage);
  throw new RangeError(`unknown task "${name}"; choose adding, copy or char`);
}

/**
 * The data stream of a run: its own LabRandom, so two runs with one seed see the same batches.
 * @param {number} seed
 * @returns {LabRandom}
 */
export function dataStream(seed) {
  return new LabRandom((seed + DATA_SEED_OFFSET) >>> 0);
}

/**
 * The losses of `steps` steps from scratch (tests and the benchmark; the worker steps itself).
 * @param {RunConfig} config
 * @param {number} steps
 * @param {string} [passage]
 * @returns {number[]}
 */
export function trainCurve(config, steps, passage = "") {
  const task = taskFor(config.task, passage);
  const run = new LabRun(config, task);
  const data = dataStream(config.seed);
  return Array.from({ length: steps }, () => run.step(task.batch(data, config)).loss);
}
