// @ts-check
// Checked reader input for the demos that read words (sentiment, translation) or take a beam
// width (translation, speech): the browser twins of rnn_site/runtime/text.py (`checked_tokens`)
// and rnn_site/runtime/checks.py (`check_beam_width`). DOM-free; each refusal is a DemoError whose
// message says what was wrong and what is accepted, shown on the page as it is.

import { DemoError } from "./runtime.js";

/** A token that carries content on its own: it holds a letter or a digit (not "!" or ","). */
export const hasLetterOrDigit = (/** @type {string} */ token) => /[\p{L}\p{N}]/u.test(token);

/**
 * The tokens of `text`, or a DemoError. As in Python, the character limit is checked before
 * tokenizing (an absurd paste costs nothing), and a text of punctuation only has no word to read.
 *
 * @param {unknown} text  the reader's text
 * @param {(text: string) => string[]} tokenize  the model's tokenizer
 * @param {{maxChars: number, maxTokens: number, advice: string, isWord?: (token: string) => boolean}} limits
 *   `advice` ends the too-many-characters message ("try one sentence"); `isWord` tells words from
 *   tokens without content of their own, as `is_word` in Python
 * @returns {string[]}
 */
export function checkedTokens(text, tokenize, { maxChars, maxTokens, advice, isWord = hasLetterOrDigit }) {
  if (typeof text !== "string") throw new DemoError("The text must be a string.");
  if (text.length > maxChars) {
    throw new DemoError(
      `Too long: ${text.length.toLocaleString("en")} characters; at most ${maxChars.toLocaleString("en")} are accepted (${advice}).`,
    );
  }
  const tokens = tokenize(text);
  if (!tokens.some(isWord))
    throw new DemoError("Type a sentence first: the model needs at least one word of letters or digits.");
  if (tokens.length > maxTokens)
    throw new DemoError(`Too long: ${tokens.length} words; at most ${maxTokens} are accepted.`);
  return tokens;
}

/**
 * A beam width typed into a form: a whole number from 1 (greedy) to `maximum`, or a DemoError.
 *
 * @param {unknown} value  the input's text (or a number)
 * @param {number} maximum
 * @returns {number}
 */
export function checkBeamWidth(value, maximum) {
  const width = Number(value);
  if (String(value).trim() === "" || !Number.isInteger(width) || width < 1 || width > maximum) {
    throw new DemoError(`The beam width must be a whole number from 1 (greedy) to ${maximum}.`);
  }
  return width;
}
