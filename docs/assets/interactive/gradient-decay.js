// @ts-check
// DOM-free part of chapter 3's gradient-flow explorer (gradient-flow.js): the decay rate it
// reads out, the plot's log axis and ticks, and the rows of its data table.
// Tested by tests/js/gradient-decay.test.mjs.

/**
 * Geometric-mean ratio of successive norms, skipping distance 0 (the same as Python's
 * `GradientFlow.decay_per_step`); NaN with fewer than two positive norms after it.
 * @param {number[]} norms  ‖∂L/∂h_t‖ by distance T − t = 0, 1, …
 * @returns {number}
 */
export function decayPerStep(norms) {
  const logs = norms
    .slice(1)
    .filter((v) => v > 0)
    .map(Math.log);
  if (logs.length < 2) return NaN;
  return Math.exp((logs[logs.length - 1] - logs[0]) / (logs.length - 1));
}

/**
 * What the rate means, in the readout's words.
 * @param {number} rate
 */
export function verdict(rate) {
  return rate < 0.97 ? "vanishes" : rate > 1.03 ? "explodes" : "roughly keeps its size";
}

/**
 * The log axis: whole decades [lo, hi] around every positive value, at least two decades tall.
 * @param {number[]} values
 * @returns {[number, number]}
 */
export function decades(values) {
  const positive = values.filter((v) => v > 0);
  let lo = Math.floor(Math.log10(Math.min(...positive)));
  let hi = Math.ceil(Math.log10(Math.max(...positive)));
  if (hi - lo < 2) {
    lo -= 1;
    hi += 1;
  }
  return [lo, hi];
}

/**
 * Steps between labelled distances on the x axis: fewer labels for long sequences and on a
 * narrow plot, so 11 px labels never overlap.
 * @param {number} T  sequence length
 * @param {number} width  plot width in CSS px
 */
export function tickStep(T, width) {
  return (T <= 10 ? 1 : T <= 25 ? 5 : T <= 50 ? 10 : 20) * (width < 420 && T > 10 ? 2 : 1);
}

/**
 * The plotted numbers as table rows: distance, then each series' norm, formatted by `format`.
 * @param {{values: number[]}[]} series
 * @param {(v: number) => string} format
 * @returns {string[][]}
 */
export function tableRows(series, format) {
  const T = Math.max(...series.map((s) => s.values.length));
  return Array.from({ length: T }, (_, k) => [String(k), ...series.map((s) => format(s.values[k]))]);
}
