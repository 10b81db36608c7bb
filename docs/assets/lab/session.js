// @ts-check
// A lab session, DOM-free: one or two runs (A/B) trained on the same data stream, with the
// histories the charts draw and the summary a preset's verdict reads. The worker drives it;
// tests/lab drives it in Node.

import { LabRandom } from "./rng.js";
import { LabRun, dataStream, taskFor } from "./train.js";

/** Losses averaged over this many steps decide "solved" (one batch is noisy). */
export const SMOOTHING = 20;
/** A character sample is drawn every this many steps in the char task. */
export const SAMPLE_EVERY = 200;
export const SAMPLE_LENGTH = 160;

/**
 * One run of a session and the histories the charts draw.
 * @typedef {object} RunRecord
 * @property {LabRun} run
 * @property {number[]} losses
 * @property {number[]} smooth  mean of the last SMOOTHING losses, per step
 * @property {[number, number][]} norms  gradient norm before and after clipping, per step
 * @property {number[]} forget  the LSTM's mean forget gate, per step
 * @property {Float64Array | null} profile  the latest ‖∂L/∂h_t‖ over t
 * @property {number[] | null} firstProfile  the first step's ‖∂L/∂h_t‖ over t
 * @property {{step: number, text: string} | null} sample
 * @property {number | null} solvedAt
 * @property {{step: number, reason: string} | null} diverged
 */

/**
 * What advance() reports for one run: a step's numbers, or where it diverged.
 * @typedef {NonNullable<ReturnType<LabSession["advance"]>[number]>} Update
 */
/**
 * A step that trained (the charts draw these).
 * @typedef {Extract<Update, {loss: number}>} StepUpdate
 */

export class LabSession {
  /**
   * @param {import("./config.js").RunConfig[]} configs one run config per run (A, then B); they share task, length, batch,
   *   recall and seed, so one batch feeds both
   * @param {string} passage the char task's text
   */
  constructor(configs, passage = "") {
    const shared = configs[0];
    this.task = taskFor(shared.task, passage);
    this.shared = shared;
    this.data = dataStream(shared.seed);
    this.sampler = new LabRandom((shared.seed + 1) >>> 0);
    this.step = 0;
    /** @type {RunRecord[]} */
    this.runs = configs.map((config) => ({
      run: new LabRun(
        {
          ...shared,
          ...config,
          task: shared.task,
          length: shared.length,
          batch: shared.batch,
          recall: shared.recall,
          seed: shared.seed,
        },
        this.task,
      ),
      losses: [],
      smooth: [],
      norms: [],
      forget: [],
      profile: null,
      firstProfile: null,
      sample: null,
      solvedAt: null,
      diverged: null,
    }));
  }

  get baseline() {
    return this.task.baseline(this.shared);
  }

  get solvedBelow() {
    return this.task.solvedBelow(this.shared);
  }

  /**
   * True once every run has diverged or `maxSteps` are done.
   * @param {number} maxSteps
   */
  finished(maxSteps) {
    return this.step >= maxSteps || this.runs.every((r) => r.diverged);
  }

  /** Train every live run on the next batch; returns what changed, per run, for the charts. */
  advance() {
    const batch = this.task.batch(this.data, this.shared);
    this.step += 1;
    const step = this.step;
    return this.runs.map((r) => {
      if (r.diverged) return null;
      const out = r.run.step(batch);
      if (out.diverged !== undefined) {
        r.diverged = {
          step,
          reason: `${out.diverged}: exploding gradients. Try clipping or a smaller learning rate.`,
        };
        return { step, diverged: r.diverged };
      }
      r.losses.push(out.loss);
      const recent = r.losses.slice(-SMOOTHING);
      const smooth = recent.reduce((a, b) => a + b, 0) / recent.length;
      r.smooth.push(smooth);
      r.norms.push([out.normBefore, out.normAfter]);
      if (out.forget !== null) r.forget.push(out.forget);
      const dhNorms = out.dhNorms;
      r.profile = dhNorms;
      if (!r.firstProfile) r.firstProfile = Array.from(dhNorms);
      if (r.solvedAt === null && recent.length === SMOOTHING && smooth < this.solvedBelow) r.solvedAt = step;
      let sample = null;
      if (this.shared.task === "char" && step % SAMPLE_EVERY === 0) {
        const task = /** @type {import("./tasks.js").CharTask} */ (this.task);
        const ids = r.run.sample(this.sampler, SAMPLE_LENGTH, task.ids[0]);
        sample = r.sample = {
          step,
          text: task.vocab[task.ids[0]] + ids.map((i) => task.vocab[i]).join(""),
        };
      }
      return {
        step,
        loss: out.loss,
        smooth,
        norms: [out.normBefore, out.normAfter],
        forget: out.forget,
        profile: Array.from(dhNorms),
        sample,
        solvedAt: r.solvedAt,
      };
    });
  }

  /** What a preset's verdict reads, per run. */
  summary() {
    return this.runs.map((r) => ({
      steps: r.losses.length,
      solvedAt: r.solvedAt,
      diverged: r.diverged,
      smoothLoss: r.smooth.at(-1) ?? null,
      firstProfile: r.firstProfile,
      maxNormBefore: Math.max(0, ...r.norms.map(([b]) => b)),
      maxNormAfter: Math.max(0, ...r.norms.map(([, a]) => a)),
      baseline: this.baseline,
      solvedBelow: this.solvedBelow,
    }));
  }
}
