// @ts-check
// Presets: each reproduces one claim of the training chapter (docs/training.md) on the reader's
// own run, and says whether the claim held. DOM-free; tests/lab checks every preset's settings.
// `verdict(runs, finished)` reads LabSession.summary() and returns {held, text}, or null while
// the run has not decided the claim yet.

import { defaults } from "./config.js";

/** @typedef {ReturnType<import("./session.js").LabSession["summary"]>[number]} RunSummary */
/** @typedef {{held: boolean, text: string}} Verdict */

/**
 * One preset: the claim it reproduces, its settings over the defaults, and its verdict on the
 * runs' summaries (null while undecided).
 * @typedef {object} Preset
 * @property {string} id
 * @property {string} title
 * @property {string} claim
 * @property {{shared?: Partial<import("./config.js").SharedSettings>, a?: Partial<import("./config.js").RunSettings>,
 *   b?: Partial<import("./config.js").RunSettings>, ab?: boolean}} settings
 * @property {(runs: RunSummary[], finished: boolean) => Verdict | null} verdict
 */

/** ‖∂L/∂h‖ `back` steps before the last step, relative to the last step, at the first step. */
/**
 * How much of the first step's gradient norm is left `back` steps before the last: a ratio, or
 * null when the profile is missing or too short.
 * @param {{firstProfile: number[] | null}} run
 * @param {number} back
 * @returns {number | null}
 */
export function reach(run, back) {
  const p = run.firstProfile;
  if (!p || p.length <= back) return null;
  return p[p.length - 1 - back] / p[p.length - 1];
}

/** @type {(r: RunSummary) => boolean} */
const solved = (r) => r.solvedAt !== null;
/** @type {(x: number | null) => string} */
const sci = (x) => (x === null ? "–" : x.toExponential(1));
/** @type {(text: string) => Verdict} */
const held = (text) => ({ held: true, text });
/** @type {(text: string) => Verdict} */
const failed = (text) => ({ held: false, text });

/** @type {Preset[]} */
export const PRESETS = [
  {
    id: "lstm-adding-20",
    title: "An LSTM solves the adding problem at T = 20",
    claim:
      "An LSTM (32 units, Adam) learns the adding problem at T = 20: its error falls below a tenth of the 'always answer 1' baseline within 1,500 steps.",
    settings: { shared: { task: "adding", length: 20, batch: 16, steps: 1500 }, a: { cell: "lstm" } },
    verdict([a], finished) {
      if (solved(a)) return held(`solved at step ${a.solvedAt}.`);
      if (a.diverged) return failed(`the run diverged at step ${a.diverged.step}.`);
      return finished ? failed(`not solved in ${a.steps} steps.`) : null;
    },
  },
  {
    id: "rnn-vs-lstm-50",
    title: "At T = 50 the LSTM learns, the tanh RNN does not",
    claim:
      "On the adding problem at T = 50 an LSTM (A) gets below the solved line within 2,000 steps, while a tanh RNN (B) on the same batches stays near the baseline of 1/6.",
    settings: {
      shared: { task: "adding", length: 50, steps: 2000 },
      a: { cell: "lstm" },
      b: { cell: "rnn" },
      ab: true,
    },
    verdict([a, b], finished) {
      if (!finished) return null;
      const ok = solved(a) && !solved(b);
      const text = `LSTM ${solved(a) ? `solved at step ${a.solvedAt}` : "did not solve it"}; tanh RNN ${solved(b) ? `solved at step ${b.solvedAt}` : `ended at ${b.smoothLoss?.toFixed(3)}`}.`;
      return ok ? held(text) : failed(text);
    },
  },
  {
    id: "gru-adding-50",
    title: "The GRU solves the adding problem at T = 50 too",
    claim:
      "Every gated cell solves the adding problem at T = 50: a GRU (32 units, Adam) gets below the solved line within 2,000 steps.",
    settings: { shared: { task: "adding", length: 50, steps: 2000 }, a: { cell: "gru" } },
    verdict([a], finished) {
      if (solved(a)) return held(`solved at step ${a.solvedAt}.`);
      return finished || a.diverged ? failed(`not solved in ${a.steps} steps.`) : null;
    },
  },
  {
    id: "lstm-adding-100",
    title: "Longer sequences take longer: the LSTM at T = 100",
    claim:
      "At T = 100 the adding problem is harder: the LSTM (32 units, Adam) does not solve it within 1,000 steps, but more steps get it there: it solves it within 2,500.",
    settings: { shared: { task: "adding", length: 100, steps: 2500 }, a: { cell: "lstm" } },
    verdict([a], finished) {
      if (solved(a)) {
        const text = `solved at step ${a.solvedAt}.`;
        return /** @type {number} */ (a.solvedAt) > 1000
          ? held(text)
          : failed(`${text} That is within 1,000 steps.`);
      }
      return finished || a.diverged ? failed(`not solved in ${a.steps} steps.`) : null;
    },
  },
  {
    id: "vanishing",
    title: "The tanh RNN's gradient vanishes at ρ = 0.5 and explodes at ρ = 3",
    claim:
      "At the first step, with recurrent weights ρ times an orthogonal matrix, each step back keeps less than half of ‖∂L/∂h‖ at ρ = 0.5 (A), so 20 steps back less than 10⁻⁶ is left; at ρ = 3 (B) the gradient 20 steps back is larger than at the last step.",
    settings: {
      shared: { task: "adding", length: 50, steps: 1 },
      a: { cell: "rnn", rho: 0.5 },
      b: { cell: "rnn", rho: 3 },
      ab: true,
    },
    verdict([a, b], finished) {
      if (!a.firstProfile || !b.firstProfile) return null;
      const [ra, rb] = [reach(a, 20), reach(b, 20)];
      const text = `20 steps back: ${sci(ra)} of the gradient at ρ = 0.5, ${sci(rb)} at ρ = 3.`;
      return ra !== null && rb !== null && ra < 1e-6 && rb > 1 ? held(text) : failed(text);
    },
  },
  {
    id: "forget-bias",
    title: "A forget-gate bias of 1 keeps the LSTM's gradient alive",
    claim:
      "At the first step an LSTM with forget-gate bias 1 (A) keeps far more of ‖∂L/∂h‖ 20 steps back than one with bias 0 (B): more than ten times as much.",
    settings: {
      shared: { task: "adding", length: 50, steps: 1 },
      a: { cell: "lstm", forgetBias: "1" },
      b: { cell: "lstm", forgetBias: "0" },
      ab: true,
    },
    verdict([a, b]) {
      if (!a.firstProfile || !b.firstProfile) return null;
      const [ra, rb] = [reach(a, 20), reach(b, 20)];
      const text = `20 steps back: ${sci(ra)} with bias 1, ${sci(rb)} with bias 0.`;
      return ra !== null && rb !== null && ra > 10 * rb ? held(text) : failed(text);
    },
  },
  {
    id: "clipping",
    title: "Clipping caps exploding updates; it does not make the task learnable",
    claim:
      "A tanh RNN at ρ = 3 trained with SGD (learning rate 0.1) on the adding problem at T = 50: with clipping at τ = 1 (A) no update is longer than τ and the run keeps training; without it (B) some updates are more than 100 times longer and the run blows up. Clipping does not make the task learnable: A does not solve it in 500 steps.",
    settings: {
      shared: { task: "adding", length: 50, steps: 500 },
      a: { cell: "rnn", rho: 3, optimizer: "sgd", lr: 0.1, clipOn: true, tau: 1 },
      b: { cell: "rnn", rho: 3, optimizer: "sgd", lr: 0.1 },
      ab: true,
    },
    verdict([a, b], finished) {
      if (!finished) return null;
      const text = `largest update: ${sci(a.maxNormAfter)} clipped (A), ${sci(b.maxNormAfter)} unclipped (B); ${b.diverged ? `B blew up at step ${b.diverged.step}` : "B did not blow up"}; A ${solved(a) ? "solved the task" : "did not solve the task"}.`;
      const ok = a.maxNormAfter <= 1 && !a.diverged && b.maxNormAfter > 100 && b.diverged && !solved(a);
      return ok ? held(text) : failed(text);
    },
  },
  {
    id: "clipping-lstm",
    title: "Clipping does not decide whether the LSTM learns",
    claim:
      "On the adding problem at T = 50 the LSTM solves the task within 2,000 steps with clipping at τ = 1 (A) and without it (B): clipping changes the updates' length, not whether the task is learned.",
    settings: {
      shared: { task: "adding", length: 50, steps: 2000 },
      a: { cell: "lstm", clipOn: true, tau: 1 },
      b: { cell: "lstm" },
      ab: true,
    },
    verdict([a, b], finished) {
      if (!finished && !(solved(a) && solved(b))) return null;
      /** @type {(r: RunSummary) => string} */
      const say = (r) =>
        solved(r) ? `solved at step ${r.solvedAt}` : `ended at ${r.smoothLoss?.toFixed(3)}`;
      const text = `with clipping ${say(a)}; without ${say(b)}.`;
      return solved(a) && solved(b) ? held(text) : failed(text);
    },
  },
  {
    id: "truncation",
    title: "Truncated BPTT cuts the gradient, not what the LSTM learns to keep",
    claim:
      "At T = 50 with truncation k = 10 (B) no gradient from the answer reaches more than 10 steps back (‖∂L/∂hₜ‖ is exactly 0 there), so the first marker, 25 to 49 steps back, never sends a learning signal. Yet the truncated LSTM solves the task within 2,000 steps, like full BPTT (A): what it learns from markers inside its window also keeps the distant one.",
    settings: {
      shared: { task: "adding", length: 50, steps: 2000 },
      a: { cell: "lstm" },
      b: { cell: "lstm", truncation: 10 },
      ab: true,
    },
    verdict([a, b], finished) {
      const cut = b.firstProfile ? b.firstProfile.slice(0, -10).every((v) => v === 0) : null;
      if (cut === false) return failed("under truncation, gradient reached more than k steps back.");
      if (!finished && !(solved(a) && solved(b))) return null;
      /** @type {(r: RunSummary) => string} */
      const say = (r) =>
        solved(r) ? `solved at step ${r.solvedAt}` : `ended at ${r.smoothLoss?.toFixed(3)}`;
      const text = `gradient more than 10 steps back under truncation: exactly 0; full BPTT ${say(a)}; k = 10 ${say(b)}.`;
      return cut && solved(b) ? held(text) : failed(text);
    },
  },
  {
    id: "copy",
    title: "Over a short delay the tanh RNN remembers too",
    claim:
      "A weak gradient does not prove a dependency cannot be learned. In the copy task at T = 20 (recall 3 symbols of 8 after a 14-step delay) the tanh RNN (B) gets below 0.1 nats per symbol within 4,000 steps, and so does the LSTM (A).",
    settings: {
      shared: { task: "copy", length: 20, recall: 3, steps: 4000 },
      a: { cell: "lstm" },
      b: { cell: "rnn" },
      ab: true,
    },
    verdict([a, b], finished) {
      if (!finished && !(solved(a) && solved(b))) return null;
      /** @type {(r: RunSummary) => string} */
      const say = (r) =>
        solved(r) ? `solved at step ${r.solvedAt}` : `ended at ${r.smoothLoss?.toFixed(2)} nats`;
      const text = `LSTM ${say(a)}; tanh RNN ${say(b)}.`;
      return solved(a) && solved(b) ? held(text) : failed(text);
    },
  },
  {
    id: "char",
    title: "An LSTM trained with truncated BPTT beats counting pairs of characters",
    claim:
      "On the opening of Hamlet, an LSTM (64 units, T = 32, truncation k = 16) predicts the next character better than the passage's own bigram counts within 1,000 steps.",
    settings: {
      shared: { task: "char", length: 32, steps: 1000 },
      a: { cell: "lstm", hidden: 64, truncation: 16 },
    },
    verdict([a], finished) {
      if (solved(a)) return held(`below the bigram line at step ${a.solvedAt}.`);
      return finished || a.diverged
        ? failed(`ended at ${a.smoothLoss?.toFixed(2)} nats per character.`)
        : null;
    },
  },
];

/**
 * A preset by id, or undefined.
 * @param {string | null} id
 * @returns {Preset | undefined}
 */
export function findPreset(id) {
  return PRESETS.find((p) => p.id === id);
}

/**
 * A preset's full settings: its values over the defaults.
 * @param {Preset} preset
 * @returns {import("./config.js").Settings}
 */
export function presetSettings(preset) {
  const base = defaults();
  const s = preset.settings;
  return {
    shared: { ...base.shared, ...s.shared },
    a: { ...base.a, ...s.a },
    b: { ...base.b, ...(s.b ?? {}) },
    ab: Boolean(s.ab),
  };
}
