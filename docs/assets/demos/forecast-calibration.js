// @ts-check
// History calibration of the forecaster's 80% interval, DOM-free so that `node --test` runs it:
// the graph also forecasts from the most recent origins inside the history, where the actual
// values are known, and each step's half-widths are multiplied by the 80% split-conformal
// quantile of how far those actuals fell from the median, in half-widths. The same definitions,
// constants and order of operations as rnn_site/baselines/conformal.py (the Python runtime's
// Forecaster.forecast), so the demo draws the interval Python serves.

/** Origins scored per step (K), chosen on validation (ts_history_calibration_rule.md). */
export const HISTORY_ORIGINS = 12;
/** false: one factor per step; true: all steps' scores pooled into one. */
export const HISTORY_POOLED = false;
/** Fewer scores than this (for a step) keep the graph's interval: all K, so a factor is always
 * the same rank of the same number of scores (conformal.py's MIN_SCORES). */
export const MIN_SCORES = HISTORY_ORIGINS;
export const LEVEL = 0.8;

/** @typedef {{median: number[], lower: number[], upper: number[]}} Forecast */

/**
 * Origins t inside a history of n values whose forecasts calibrate one from its end: per step,
 * the k most recent where that step is known (t ≤ n − 1 − step), or (pooled) the k most recent
 * with every step known; never before minHistory. Callers pass the model's max horizon, so a
 * step's origins do not depend on how many steps were asked for.
 * @param {number} n
 * @param {number} horizon
 * @param {number} minHistory
 * @returns {number[]}
 */
export function calibrationOrigins(n, horizon, minHistory, k = HISTORY_ORIGINS, pooled = HISTORY_POOLED) {
  const last = pooled ? n - horizon : n - 1;
  const origins = [];
  for (let t = Math.max(minHistory, n - horizon - k + 1); t <= last; t++) origins.push(t);
  return origins;
}

/**
 * How many of the first `horizon` steps of a forecast from the end of n values get a
 * history-calibrated interval: those with MIN_SCORES known scores (per step); the others keep
 * the graph's. The first step needs minHistory + MIN_SCORES values, each later one one more.
 * @param {number} n
 * @param {number} horizon
 * @param {number} maxHorizon  the model's (calibrationOrigins is called with it)
 * @param {number} minHistory
 */
export function calibratedSteps(n, horizon, maxHorizon, minHistory) {
  const origins = calibrationOrigins(n, maxHorizon, minHistory);
  let steps = 0;
  for (let j = 0; j < horizon; j++) {
    const known = origins.filter((t) => t + j < n).length;
    if (Math.min(known, HISTORY_ORIGINS) >= MIN_SCORES) steps++;
  }
  return steps;
}

/**
 * |actual − median| in half-widths of the interval on its side (1 = the edge).
 * @param {number} actual
 * @param {number} lower
 * @param {number} median
 * @param {number} upper
 */
export function ratioScore(actual, lower, median, upper) {
  const low = Math.max(median - lower, 1e-30);
  const high = Math.max(upper - median, 1e-30);
  return Math.max((median - actual) / low, (actual - median) / high);
}

/**
 * The ⌈(n + 1)·0.8⌉-th smallest of n scores (capped at n), or 1 for fewer than MIN_SCORES.
 * @param {number[]} scores
 */
export function conformalFactor(scores) {
  if (scores.length < MIN_SCORES) return 1;
  const sorted = [...scores].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.ceil((sorted.length + 1) * LEVEL)) - 1];
}

/**
 * Per-step factors on the half-widths of a forecast from the end of `values`, from the graph's
 * forecasts made at `origins` (calibrationOrigins), scored where the actual is known.
 * @param {number[]} values
 * @param {number[]} origins
 * @param {Forecast[]} forecasts  one per origin, at least `horizon` steps each
 * @param {number} horizon
 * @returns {number[]}
 */
export function historyFactors(
  values,
  origins,
  forecasts,
  horizon,
  k = HISTORY_ORIGINS,
  pooled = HISTORY_POOLED,
) {
  const n = values.length;
  /** @type {number[][]} scores per step, origins oldest first */
  const perStep = Array.from({ length: horizon }, () => []);
  origins.forEach((t, i) => {
    const f = forecasts[i];
    for (let j = 0; j < horizon && t + j < n; j++)
      perStep[j].push(ratioScore(values[t + j], f.lower[j], f.median[j], f.upper[j]));
  });
  if (pooled) return new Array(horizon).fill(conformalFactor(perStep.flat()));
  return perStep.map((scores) => conformalFactor(scores.slice(-k)));
}

/**
 * The forecast with each step's half-widths multiplied by its factor.
 * @param {Forecast} forecast
 * @param {number[]} factors
 * @returns {Forecast}
 */
export function rescaled({ median, lower, upper }, factors) {
  return {
    median,
    lower: median.map((m, j) => m - factors[j] * (m - lower[j])),
    upper: median.map((m, j) => m + factors[j] * (upper[j] - m)),
  };
}
