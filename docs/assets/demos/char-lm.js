// @ts-check
// Character-language-model pieces shared by the text-generation page and its worker:
// the vocabulary, a seeded random number generator, sampling, and text features for finding
// units that "track something". Pure functions, no DOM, no onnxruntime.

import { DemoError } from "./runtime.js";
import { visibleChar, whole } from "./ui.js";

/**
 * Scores or probabilities over the vocabulary: onnxruntime's Float32Array, or a plain array in tests.
 * @typedef {Float32Array | Float64Array | number[]} Numbers
 */

/**
 * Generation settings once checked (see checkSettings); `topK` 0 keeps every id.
 * @typedef {{prompt: string, length: number, temperature: number, topK: number, seed: number}} Settings
 */

/** Characters ↔ ids, in the card's order (id = index in `card.vocab`). */
export class Vocab {
  /** @param {string | string[]} chars  the card's `vocab` */
  constructor(chars) {
    this.chars = Array.from(chars);
    this.ids = new Map(this.chars.map((ch, i) => [ch, i]));
  }

  get size() {
    return this.chars.length;
  }

  /**
   * ids of `text`; a character the model never saw is an error naming it and where it is.
   * @param {string} text
   * @returns {number[]}
   */
  encode(text) {
    const ids = [];
    let position = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new DemoError(
          `Unknown character '${visibleChar(ch)}' (character ${position + 1} of the text); the model knows ` +
            `${this.size} characters: ${this.chars.map(visibleChar).join(" ")}`,
        );
      }
      ids.push(id);
      position += 1;
    }
    return ids;
  }

  /**
   * @param {Iterable<number> | ArrayLike<number>} ids
   * @returns {string}
   */
  decode(ids) {
    return Array.from(ids, (id) => this.chars[id]).join("");
  }
}

/**
 * mulberry32: a tiny seeded PRNG returning floats in [0, 1). Math.random cannot be seeded, and
 * "same seed, same text" is what lets a reader compare temperatures on equal terms.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Index of the largest value; ties go to the lowest index (the Python runtime's rule too).
 * @param {ArrayLike<number>} values
 * @returns {number}
 */
export function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * softmax(logits / temperature) as a new Float64Array, computed stably (max subtracted).
 * @param {Numbers} logits
 * @param {number} [temperature]
 * @returns {Float64Array}
 */
export function softmax(logits, temperature = 1) {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] - max) / temperature);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * The `k` most likely ids with their probabilities, most likely first: [[id, p], ...].
 * @param {Numbers} probs
 * @param {number} k
 * @returns {[number, number][]}
 */
export function topK(probs, k) {
  const ids = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
  return ids.slice(0, k).map((id) => /** @type {[number, number]} */ ([id, probs[id]]));
}

/**
 * The distribution the next id is drawn from (Float64Array over the whole vocabulary, sum 1):
 * softmax(logits / temperature) with every id outside the `topK` largest logits (0 = all) set to
 * 0 and the rest renormalised; ties go to lower ids. temperature 0 puts all the mass on the
 * argmax. The same rule as `next_distribution` in rnn_site/runtime/char_lm.py.
 * @param {Numbers} logits
 * @param {{temperature: number, topK?: number}} settings
 * @returns {Float64Array}
 */
export function nextDistribution(logits, { temperature, topK: k = 0 }) {
  const n = logits.length;
  if (temperature === 0) {
    const out = new Float64Array(n);
    out[argmax(logits)] = 1;
    return out;
  }
  const keep = new Uint8Array(n).fill(1);
  if (k > 0 && k < n) {
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
    for (const id of order.slice(k)) keep[id] = 0;
  }
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (keep[i]) max = Math.max(max, logits[i]);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    out[i] = Math.exp((logits[i] - max) / temperature);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/**
 * Pick the next id from `logits`: temperature 0 → greedy (argmax); otherwise the first id whose
 * cumulative probability under `nextDistribution` exceeds `random()`, so a seed reproduces the
 * text.
 * @param {Numbers} logits
 * @param {{temperature: number, topK?: number}} settings
 * @param {() => number} random  uniform in [0, 1), e.g. mulberry32(seed)
 * @returns {number}
 */
export function sampleNext(logits, { temperature, topK: k }, random) {
  if (temperature === 0) return argmax(logits);
  const probs = nextDistribution(logits, { temperature, topK: k });
  let r = random();
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    last = i;
    r -= probs[i];
    if (r < 0) return i;
  }
  return last; // rounding left r ≥ 0 by a hair
}

/**
 * Per-character features of a text, to rank hidden units by how well they follow each one
 * (in the spirit of Karpathy's "visualizing and understanding RNNs" and LSTMVis).
 * Each value describes the text up to and including that character, which is what the state
 * after reading it can know.
 * @param {string} text
 * @returns {{name: string, label: string, values: Float32Array}[]}
 */
export function textFeatures(text) {
  const chars = Array.from(text);
  const n = chars.length;
  const make = () => new Float32Array(n);
  const inQuotes = make();
  const linePosition = make();
  const speakerName = make();
  const insideWord = make();
  const upperCase = make();
  const sentenceEnd = make();

  let quoted = false;
  let column = 0;
  // Line starts of play-script speaker lines like "ROMEO:" (capitals, spaces, a colon at the end).
  const lineIsSpeaker = new Set();
  let start = 0;
  for (const line of text.split("\n")) {
    if (/^[A-Z][A-Za-z' ]{0,30}:$/.test(line)) lineIsSpeaker.add(start);
    start += Array.from(line).length + 1;
  }
  let lineStart = 0;
  let speaker = false;
  let seenColon = false;
  let sentenceDone = false;
  for (let i = 0; i < n; i++) {
    const ch = chars[i];
    if (i === lineStart) {
      speaker = lineIsSpeaker.has(i);
      seenColon = false;
    }
    if (ch === '"') quoted = !quoted;
    inQuotes[i] = quoted || ch === '"' ? 1 : 0;
    linePosition[i] = column;
    speakerName[i] = speaker && !seenColon ? 1 : 0;
    if (ch === ":") seenColon = true;
    insideWord[i] = /[\p{L}'-]/u.test(ch) ? 1 : 0;
    upperCase[i] = ch !== ch.toLowerCase() ? 1 : 0;
    if (/[.!?]/.test(ch)) sentenceDone = true;
    else if (/\p{L}/u.test(ch)) sentenceDone = false;
    sentenceEnd[i] = sentenceDone ? 1 : 0;
    column += 1;
    if (ch === "\n") {
      column = 0;
      lineStart = i + 1;
    }
  }
  return [
    { name: "line-position", label: "Position in the line", values: linePosition },
    { name: "speaker-name", label: "Inside a speaker name (ROMEO:)", values: speakerName },
    { name: "in-quotes", label: "Inside quotes", values: inQuotes },
    { name: "inside-word", label: "Inside a word", values: insideWord },
    { name: "upper-case", label: "Capital letter", values: upperCase },
    { name: "sentence-end", label: "After the end of a sentence", values: sentenceEnd },
  ];
}

/** Bounds on what a reader may ask for; beyond them the page says so instead of freezing a phone. */
export const LIMITS = { promptChars: 2000, length: 5000, temperature: 5, seed: 2 ** 32 - 1 };

/**
 * Check generation settings from the form (numbers may arrive as strings or NaN) and return them
 * cleaned; anything out of range is a DemoError saying what is accepted. `vocabSize` may be null
 * before the model card is known (top-k is then only checked to be ≥ 0).
 * @param {{prompt?: unknown, length?: string | number, temperature?: string | number,
 *   topK?: string | number, seed?: string | number}} request
 * @param {number | null} [vocabSize]
 * @returns {Settings}
 */
export function checkSettings({ prompt, length, temperature, topK: k, seed }, vocabSize = null) {
  if (typeof prompt !== "string" || prompt.length === 0) {
    throw new DemoError("The prompt is empty: type at least one character for the model to continue.");
  }
  const promptChars = Array.from(prompt).length;
  if (promptChars > LIMITS.promptChars) {
    throw new DemoError(
      `The prompt has ${promptChars} characters; the demo accepts up to ${LIMITS.promptChars}.`,
    );
  }
  const t = Number(temperature);
  if (temperature === "" || !Number.isFinite(t) || t < 0 || t > LIMITS.temperature) {
    throw new DemoError(
      `Temperature must be a number from 0 to ${LIMITS.temperature} (got "${temperature}").`,
    );
  }
  return {
    prompt,
    length: whole(length, "Length", 1, LIMITS.length),
    temperature: t,
    topK: whole(k, "Top-k", 0, vocabSize ?? Number.MAX_SAFE_INTEGER),
    seed: whole(seed, "Seed", 0, LIMITS.seed),
  };
}
