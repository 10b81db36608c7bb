// @ts-check
// CTC decoding in the browser, rule for rule as rnn_site/decoding/ctc.py, so the page and Python
// give the same transcripts (and, for beam search, the same alternatives in the same order).
// Plain functions over a flat (steps × classes) array of log-probabilities, no DOM: usable from a
// worker. Class 0 is the blank; class k is alphabet[k - 1].

export const BLANK = 0;

/**
 * Log-probabilities, steps × classes, row-major (the speech graph's output, or numbers in a test).
 * @typedef {ArrayLike<number>} LogProbs
 */

/**
 * One decoded hypothesis: its text and log-probability.
 * @typedef {{text: string, logProb: number}} Hypothesis
 */

/**
 * A prefix's [log P(paths ending in blank), log P(paths ending in its last symbol)].
 * @typedef {[number, number]} PrefixScores
 */

// --8<-- [start:greedy]
/**
 * Greedy CTC decoding: the likeliest class per step, repeats merged, blanks dropped.
 * @param {LogProbs} logProbs
 * @param {number} steps
 * @param {number} classes
 * @param {string | string[]} alphabet  class k (k ≥ 1) is alphabet[k - 1]
 * @returns {string}
 */
export function greedyDecode(logProbs, steps, classes, alphabet) {
  let text = "";
  let previous = BLANK;
  for (let t = 0; t < steps; t++) {
    // argmax: the first of equal maxima wins, as numpy's does.
    let best = 0;
    for (let k = 1; k < classes; k++) {
      if (logProbs[t * classes + k] > logProbs[t * classes + best]) best = k;
    }
    if (best !== previous && best !== BLANK) text += alphabet[best - 1];
    previous = best;
  }
  return text;
}
// --8<-- [end:greedy]

/**
 * log(exp(a) + exp(b)) without overflow; -Infinity is log(0).
 * @param {number} a
 * @param {number} b
 * @returns {number}
 */
function logSumExp(a, b) {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Add path probabilities (log) ending in a blank / in the last symbol to `prefix`.
 * @param {Map<string, PrefixScores>} beams
 * @param {string} prefix
 * @param {number} blank
 * @param {number} symbol
 */
function add(beams, prefix, blank, symbol) {
  const [oldBlank, oldSymbol] = beams.get(prefix) ?? [-Infinity, -Infinity];
  beams.set(prefix, [logSumExp(oldBlank, blank), logSumExp(oldSymbol, symbol)]);
}

/**
 * Prefix beam search → up to `beamWidth` hypotheses [{text, logProb}], likeliest first.
 *
 * Each prefix carries [log P(paths ending in blank), log P(paths ending in its last symbol)];
 * classes under `prune` at a step are not tried. Ties keep first-insertion order: a Map iterates
 * in insertion order like Python's dict, and Array.prototype.sort is stable like sorted().
 * @param {LogProbs} logProbs
 * @param {number} steps
 * @param {number} classes
 * @param {string | string[]} alphabet
 * @param {number} [beamWidth]
 * @param {number} [prune]  log-probability under which a class is not tried at a step
 * @returns {Hypothesis[]}
 */
export function prefixBeamDecode(logProbs, steps, classes, alphabet, beamWidth = 8, prune = -12) {
  /** @type {Map<string, PrefixScores>} */
  let beams = new Map([["", /** @type {PrefixScores} */ ([0, -Infinity])]]);
  for (let t = 0; t < steps; t++) {
    /** @type {(k: number) => number} */
    const step = (k) => logProbs[t * classes + k];
    const candidates = [];
    for (let k = 1; k < classes; k++) if (step(k) > prune) candidates.push(k);
    /** @type {Map<string, PrefixScores>} */
    const grown = new Map();
    for (const [prefix, [pBlank, pSymbol]] of beams) {
      const total = logSumExp(pBlank, pSymbol);
      add(grown, prefix, total + step(BLANK), -Infinity); // a blank keeps the prefix
      for (const k of candidates) {
        const char = alphabet[k - 1];
        if (prefix !== "" && prefix.at(-1) === char) {
          add(grown, prefix, -Infinity, pSymbol + step(k)); // repeat, merged
          add(grown, prefix + char, -Infinity, pBlank + step(k)); // after a blank
        } else {
          add(grown, prefix + char, -Infinity, total + step(k));
        }
      }
    }
    const ranked = [...grown]
      .map(([p, v]) => /** @type {[string, PrefixScores, number]} */ ([p, v, logSumExp(...v)]))
      .sort((a, b) => b[2] - a[2]);
    beams = new Map(
      ranked
        .slice(0, beamWidth)
        .filter(([, , score]) => score > -Infinity)
        .map(([p, v]) => /** @type {[string, PrefixScores]} */ ([p, v])),
    );
  }
  return [...beams].map(([text, v]) => ({ text, logProb: logSumExp(...v) }));
}

/**
 * The transcript and the alternatives for one beam width, as rnn_site/runtime/speech.py gives them:
 * width 1 is greedy decoding (decoder="greedy"), with the likeliest path's log-probability; wider
 * is prefix beam search (decoder="beam", beam_width=width).
 * @param {LogProbs} logProbs
 * @param {number} steps
 * @param {number} classes
 * @param {string | string[]} alphabet
 * @param {number} [beamWidth]
 * @returns {{text: string, alternatives: Hypothesis[]}}
 */
export function decodeCtc(logProbs, steps, classes, alphabet, beamWidth = 1) {
  if (beamWidth === 1) {
    const text = greedyDecode(logProbs, steps, classes, alphabet);
    let path = 0; // log-probability of the likeliest path
    for (let t = 0; t < steps; t++) {
      let best = -Infinity;
      for (let k = 0; k < classes; k++) best = Math.max(best, logProbs[t * classes + k]);
      path += best;
    }
    return { text, alternatives: [{ text, logProb: path }] };
  }
  const alternatives = prefixBeamDecode(logProbs, steps, classes, alphabet, beamWidth);
  return { text: alternatives[0]?.text ?? "", alternatives };
}
