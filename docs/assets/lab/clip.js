// @ts-check
// Clipping by global norm, as rnn_site/scratch/clipping.py: if all gradients together have norm
// above maxNorm, scale every one by the same factor, so the step keeps its direction.

/** @typedef {Record<string, import("./linalg.js").Mat>} Grads gradient matrices by parameter name */

/**
 * The L2 norm of every gradient matrix taken together.
 * @param {Grads} grads
 * @returns {number}
 */
export function globalNorm(grads) {
  let s = 0;
  for (const g of Object.values(grads)) for (const v of g.data) s += v * v;
  return Math.sqrt(s);
}

/**
 * Scale `grads` in place so their global norm is at most maxNorm; returns the norm before.
 * Throws for a non-finite norm (clipping would silently turn it into NaN everywhere).
 * @param {Grads} grads
 * @param {number} maxNorm
 * @returns {number}
 */
export function clipByGlobalNorm(grads, maxNorm) {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new RangeError(`max_norm must be a positive finite number, got ${maxNorm}`);
  }
  const norm = globalNorm(grads);
  if (!Number.isFinite(norm))
    throw new RangeError("gradients contain NaN or inf (or overflow); cannot clip them");
  // Aim a few ulps below the bound so rounding can never push the result over it.
  const scale = norm > maxNorm ? (maxNorm / norm) * (1 - 8 * Number.EPSILON) : 1;
  if (scale < 1)
    for (const g of Object.values(grads)) for (let i = 0; i < g.data.length; i++) g.data[i] *= scale;
  return norm;
}
