// @ts-check
// The sentiment demo's logic, DOM-free: the tokenizer of rnn_site/data/vader.py, the limits and
// the read of rnn_site/runtime/sentiment.py (SentimentModel.predict), with the card's vocabulary
// and the `sequence` graph in onnxruntime-web. Checked against Python by
// tests/js/sentiment-logic.test.mjs and tests/browser/test_sentiment.py.

import { checkedTokens } from "./input-checks.js";

// --8<-- [start:tokenize]
/** The tokenizer of rnn_site/data/vader.py, letter for letter (a test checks they agree). */
export const TOKEN_PATTERN = "[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*|[!?]";
const TOKEN = new RegExp(TOKEN_PATTERN, "g");

/** @param {string} text */
export function tokenize(text) {
  return (text.replaceAll("\u2019", "'").match(TOKEN) ?? []).map((t) => t.toLowerCase());
}
// --8<-- [end:tokenize]

/** The same limits as rnn_site/runtime/sentiment.py. */
export const MAX_CHARS = 5000;
export const MAX_TOKENS = 1000;

/**
 * The words of `text`, or a DemoError saying what is wrong and what is accepted. "!!!" has
 * tokens but no word: the model was trained on sentences, and would answer anyway.
 * @param {unknown} text
 */
export function checkText(text) {
  return checkedTokens(text, tokenize, {
    maxChars: MAX_CHARS,
    maxTokens: MAX_TOKENS,
    advice: "try one sentence",
  });
}

/** rnn_site.runtime.sentiment.sigmoid: 1 / (1 + e^-x) without overflow. */
export const sigmoid = (/** @type {number} */ x) => 0.5 * (1 + Math.tanh(0.5 * x));

/**
 * What the page shows of one sentence (and a test compares with Python's SentimentPrediction).
 * @typedef {{tokens: string[], unknown: boolean[], trajectory: number[], ratings: number[],
 *   probability: number, rating: number}} SentimentReading
 */

/** The sentiment model in the browser: the card's vocabulary and the `sequence` graph. */
export class BrowserSentiment {
  /**
   * @param {{vocab: string[]}} card
   * @param {import("onnxruntime-web").InferenceSession} session
   * @param {typeof import("onnxruntime-web")} ort
   */
  constructor(card, session, ort) {
    this.index = new Map(card.vocab.map((w, i) => [w, i]));
    this.session = session;
    this.ort = ort;
  }

  /**
   * P(positive) and the predicted rating after every word of `text`, as SentimentModel.predict.
   * @param {string} text
   * @returns {Promise<SentimentReading>}
   */
  async predict(text) {
    const tokens = checkText(text);
    const unk = this.index.get("<unk>") ?? 0;
    const ids = BigInt64Array.from(tokens, (t) => BigInt(this.index.get(t) ?? unk));
    const out = await this.session.run({ tokens: new this.ort.Tensor("int64", ids, [1, ids.length]) });
    const trajectory = Array.from(/** @type {Float32Array} */ (out.logits.data), sigmoid);
    const ratings = Array.from(/** @type {Float32Array} */ (out.rating.data));
    const unknown = tokens.map((t) => !this.index.has(t));
    return {
      tokens,
      unknown,
      trajectory,
      ratings,
      probability: /** @type {number} */ (trajectory.at(-1)),
      rating: /** @type {number} */ (ratings.at(-1)),
    };
  }
}
