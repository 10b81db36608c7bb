// @ts-check
// Decoding the int8 model states the site build writes for the demos' precomputed examples
// (rnn_site/sitebuild/demo_data.py, `quantise_per_unit`): q = round(v / scale[unit] * 127), one
// scale per unit (the last axis), so quiet units keep their shape instead of rounding to zero.

/**
 * base64 int8 values and one scale per unit → Float32Array in the original (step, layer, unit) order.
 * @param {string} b64
 * @param {number[]} scales
 * @returns {Float32Array}
 */
export function dequantise(b64, scales) {
  if (!Array.isArray(scales) || scales.length === 0) {
    throw new Error(`expected one scale per unit, got ${JSON.stringify(scales)}; rebuild the site`);
  }
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const q = new Int8Array(bytes.buffer);
  const units = scales.length;
  if (q.length % units !== 0) throw new Error(`${q.length} values do not split into ${units} units`);
  return Float32Array.from(q, (v, k) => (v * scales[k % units]) / 127);
}

/**
 * An example's `states` ({steps, layers, units, scale: {key: [...]}, key: base64, ...}) with the
 * series named in `keys` decoded; a series the example does not carry is null.
 * @param {{steps: number, layers: number, units: number, scale: Record<string, number[]>,
 *   [series: string]: unknown}} states
 * @param {string[]} keys
 * @returns {{steps: number, layers: number, units: number, [series: string]: Float32Array | number | null}}
 */
export function decodeStates(states, keys) {
  const { steps, layers, units, scale } = states;
  /** @type {{steps: number, layers: number, units: number, [series: string]: Float32Array | number | null}} */
  const out = { steps, layers, units };
  for (const key of keys) {
    const b64 = /** @type {string | undefined} */ (states[key]);
    out[key] = b64 ? dequantise(b64, scale[key]) : null;
  }
  return out;
}
