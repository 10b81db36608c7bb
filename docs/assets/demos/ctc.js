// CTC decoding in the browser, rule for rule as rnn_site/decoding/ctc.py, so the page and Python
// give the same transcripts (and, for beam search, the same alternatives in the same order).
// Plain functions over a flat (steps × classes) array of log-probabilities, no DOM: usable from a
// worker. Class 0 is the blank; class k is alphabet[k - 1].

export const BLANK = 0;

// --8<-- [start:greedy]
/** Greedy CTC decoding: the likeliest class per step, repeats merged, blanks dropped. */
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

/** log(exp(a) + exp(b)) without overflow; -Infinity is log(0). */
function logSumExp(a, b) {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** Add path probabilities (log) ending in a blank / in the last symbol to `prefix`. */
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
 */
export function prefixBeamDecode(logProbs, steps, classes, alphabet, beamWidth = 8, prune = -12) {
  let beams = new Map([["", [0, -Infinity]]]);
  for (let t = 0; t < steps; t++) {
    const step = (k) => logProbs[t * classes + k];
    const candidates = [];
    for (let k = 1; k < classes; k++) if (step(k) > prune) candidates.push(k);
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
    const ranked = [...grown].map(([p, v]) => [p, v, logSumExp(...v)]).sort((a, b) => b[2] - a[2]);
    beams = new Map(
      ranked
        .slice(0, beamWidth)
        .filter(([, , score]) => score > -Infinity)
        .map(([p, v]) => [p, v]),
    );
  }
  return [...beams].map(([text, v]) => ({ text, logProb: logSumExp(...v) }));
}

/**
 * The transcript and the alternatives for one beam width, as rnn_site/runtime/speech.py gives them:
 * width 1 is greedy decoding (decoder="greedy"), with the likeliest path's log-probability; wider
 * is prefix beam search (decoder="beam", beam_width=width).
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
