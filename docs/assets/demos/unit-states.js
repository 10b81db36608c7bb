// @ts-check
// DOM-free maths of the hidden-state views (states-view.js, lstm-explorer.js): one unit's series
// out of a states tensor, Pearson's r, and the units that best follow a feature of the text.
// Tested by tests/js/unit-states.test.mjs.

/**
 * The recurrent states of one text, as the sequence graph returns them (batch 1): unit u of
 * layer l after reading token t is `h[(t * layers + l) * units + u]`; the LSTM explorer adds the
 * gates i, f, g, o in the same layout.
 * @typedef {{steps: number, layers: number, units: number, h: Float32Array,
 *   c?: Float32Array | null, [kind: string]: any}} States
 */

/**
 * Pearson correlation of two equally long series; 0 when either is constant.
 * @param {ArrayLike<number>} x
 * @param {ArrayLike<number>} y
 * @returns {number}
 */
export function pearson(x, y) {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/**
 * One unit's activation over time.
 * @param {States} states
 * @param {string} kind  "h", "c", or a gate the explorer asked for ("i", "f", "g", "o")
 * @param {number} layer
 * @param {number} unit
 * @returns {Float32Array}
 */
export function unitSeries(states, kind, layer, unit) {
  const data = states[kind];
  const out = new Float32Array(states.steps);
  for (let t = 0; t < states.steps; t++) out[t] = data[(t * states.layers + layer) * states.units + unit];
  return out;
}

/**
 * The `count` units (any layer) of one kind whose activation correlates most with `feature`, by |r|.
 * @param {States} states
 * @param {string} kind
 * @param {ArrayLike<number>} feature  one value per token
 * @param {number} [count]
 * @returns {{layer: number, unit: number, r: number}[]}
 */
export function rankUnits(states, kind, feature, count = 8) {
  const ranked = [];
  for (let layer = 0; layer < states.layers; layer++) {
    for (let unit = 0; unit < states.units; unit++) {
      ranked.push({ layer, unit, r: pearson(unitSeries(states, kind, layer, unit), feature) });
    }
  }
  ranked.sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
  return ranked.slice(0, count);
}

/**
 * The largest |value| of a series (0 for an empty or all-zero one): the full-colour or full-bar
 * scale of a unit whose range is not fixed.
 * @param {ArrayLike<number>} values
 * @returns {number}
 */
export function maxAbs(values) {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/**
 * Rows of a chart's data table: step (from 1), the character as shown, then each series' value
 * at that step with `digits` decimals, the precision the chart itself shows.
 * @param {string[]} tokens
 * @param {ArrayLike<number>[]} series
 * @param {(token: string) => string} show  how a token is written (visible whitespace)
 * @param {number} [digits]
 * @returns {string[][]}
 */
export function tableRows(tokens, series, show, digits = 3) {
  return tokens.map((token, t) => [String(t + 1), show(token), ...series.map((s) => s[t].toFixed(digits))]);
}
