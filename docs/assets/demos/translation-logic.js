// @ts-check
// The translation demo's logic, DOM-free: the English tokenizer, beam search, the word-piece
// join and the unknown-word copy, each the twin of a Python function named in its comment (tests
// check them against Python: tests/js/translation-logic.test.mjs and tests/browser/test_translation.py),
// and BrowserTranslator, which runs the card's encoder and decoder graphs with onnxruntime-web.

import { checkBeamWidth, checkedTokens } from "./input-checks.js";
import { DemoError } from "./runtime.js";

/**
 * The part of the translator's card.json that the browser reads.
 * @typedef {Pick<import("./card-types.js").TranslationCard, "vocab" | "tokenizer" | "config" | "unk_dictionary">} TranslatorCard
 */

/**
 * One hypothesis of the search: word ids (no `<s>`/`</s>`), summed log-probability, the
 * attention row of every emitted id (`</s>` included when emitted).
 * @typedef {{ids: number[], score: number, attention: Float32Array[], finished: boolean}} Hypothesis
 */

/**
 * Where a German piece came from, as rnn_site.experiments.translator_try records it: "model" (the
 * model wrote it), "dictionary" (an output `<unk>` looked up in the dictionary) or "copied" (an
 * output `<unk>` copied from the English as typed).
 * @typedef {"model" | "dictionary" | "copied"} Origin
 */

/**
 * The pieces after replaceUnknown: `replaced` as Python's replace_unknown returns it, and for each
 * piece its `origin` and the English token (as read) a replaced piece stands for (`english`,
 * null for the model's own pieces).
 * @typedef {{words: string[], replaced: boolean[], origin: Origin[], english: (string | null)[]}} Replaced
 */

/**
 * What the page shows of a translation (and a test compares with Python's Translation).
 * @typedef {{
 *   source: string[], sourceUnknown: boolean[], pieces: string[], words: string[],
 *   replaced: boolean[], origin: Origin[], english: (string | null)[], attention: number[][],
 *   score: number, beam: number,
 * }} TranslationResult
 */

/**
 * One word as the page writes it: its text, where it came from ("copied" if any of its pieces
 * was copied, else "dictionary" if any was looked up, else "model"), the English token a
 * replaced piece of it stands for, and whether a space goes before it.
 * @typedef {{text: string, from: Origin, english: string | null, space: boolean}} MarkedWord
 */

// --8<-- [start:tokenize]
/** The tokenizer of rnn_site/data/ding.py, letter for letter (a test checks they agree). */
export const TOKEN_PATTERN = "[A-Za-z0-9ÄÖÜäöüß]+(?:'[A-Za-z0-9ÄÖÜäöüß]+)*|[.,!?;]";
const TOKEN = new RegExp(TOKEN_PATTERN, "g");

/**
 * @param {string} text
 * @param {boolean} [lowercase]  false: the tokens as typed (a copied name keeps its case)
 */
export function tokenize(text, lowercase = true) {
  const normal = text.normalize("NFC").replaceAll("\u2019", "'");
  const tokens = normal.match(TOKEN) ?? [];
  return lowercase ? tokens.map((t) => t.toLowerCase()) : tokens;
}
// --8<-- [end:tokenize]

/** rnn_site.data.ding.PUNCTUATION: the tokens written without a space before them. */
export const PUNCTUATION = new Set([".", ",", "!", "?", ";"]);

/** rnn_site.data.ding.detokenize: no space before punctuation, first letter capitalised. */
export function detokenize(/** @type {string[]} */ words) {
  let text = "";
  for (const w of words) text += PUNCTUATION.has(w) || !text ? w : ` ${w}`;
  return text.slice(0, 1).toUpperCase() + text.slice(1);
}

/** The same limits as rnn_site/runtime/translator.py. */
export const MAX_CHARS = 1000;
export const MAX_TOKENS = 100;
export const MAX_BEAM = 10;

/** The English tokens of `text`, or a DemoError saying what is wrong and what is accepted. */
export function checkText(/** @type {unknown} */ text) {
  return checkedTokens(text, tokenize, {
    maxChars: MAX_CHARS,
    maxTokens: MAX_TOKENS,
    advice: "translate one sentence at a time",
    isWord: (token) => !PUNCTUATION.has(token),
  });
}

/** The beam width from the form's text, or a DemoError. */
export const checkBeam = (/** @type {unknown} */ value) => checkBeamWidth(value, MAX_BEAM);

// --8<-- [start:search]
/**
 * rnn_site/decoding/beam.py, line for line: keep the best `room` extensions of the live
 * hypotheses each step (ties: lower beam, then lower word id); `</s>` finishes one; the winner
 * has the best average log-probability per word. `step(prev, state)` resolves to
 * {logProbs: (k × vocab), state, attention: (k × source)}; `select(state, rows)` reorders the
 * state. `onStep(best live hypothesis)` lets the page stream.
 *
 * @template S
 * @param {(prev: number[], state: S) => Promise<{logProbs: ArrayLike<number>, state: S, attention: Float32Array}>} step
 * @param {(state: S, rows: number[]) => S} select
 * @param {S} state
 * @param {{bos: number, eos: number, beam: number, maxLen: number,
 *   onStep?: (best: Hypothesis) => unknown}} options
 * @returns {Promise<Hypothesis>}
 */
export async function beamSearch(step, select, state, { bos, eos, beam, maxLen, onStep }) {
  /** @type {Hypothesis[]} */
  let live = [{ ids: [], score: 0, attention: [], finished: false }];
  let prev = [bos];
  /** @type {Hypothesis[]} */
  const finished = [];
  let exhausted = true;
  for (let t = 0; t < maxLen; t++) {
    const room = beam - finished.length;
    const out = await step(prev, state);
    state = out.state;
    const vocab = out.logProbs.length / live.length;
    const width = out.attention.length / live.length;
    const best = topK(live, out.logProbs, vocab, room);
    const keptRows = [];
    const keptWords = [];
    const nextLive = [];
    for (const [row, word, score] of best) {
      const parent = live[row];
      const hyp = {
        ids: word === eos ? parent.ids : [...parent.ids, word],
        score,
        attention: [...parent.attention, out.attention.slice(row * width, (row + 1) * width)],
        finished: word === eos,
      };
      if (hyp.finished) finished.push(hyp);
      else {
        nextLive.push(hyp);
        keptRows.push(row);
        keptWords.push(word);
      }
    }
    if (nextLive.length === 0 || finished.length >= beam) {
      exhausted = false;
      break;
    }
    live = nextLive;
    await onStep?.(live[0]);
    state = select(state, keptRows);
    prev = keptWords;
  }
  if (exhausted) finished.push(...live);
  let winner = finished[0];
  for (const h of finished) if (average(h) > average(winner)) winner = h;
  return winner;
}

const average = (/** @type {Hypothesis} */ h) => h.score / Math.max(h.attention.length, 1);

/**
 * The `k` best [row, word, score] by score + log-prob, ties to the lower flat index.
 * @param {Hypothesis[]} live
 * @param {ArrayLike<number>} logProbs
 * @param {number} vocab
 * @param {number} k
 */
function topK(live, logProbs, vocab, k) {
  /** @type {[number, number, number][]} sorted, best first */
  const best = [];
  for (let row = 0; row < live.length; row++) {
    const base = live[row].score;
    for (let word = 0; word < vocab; word++) {
      const score = base + logProbs[row * vocab + word];
      if (best.length === k && !(score > best[k - 1][2])) continue;
      let i = best.length;
      while (i > 0 && score > best[i - 1][2]) i--;
      best.splice(i, 0, [row, word, score]);
      if (best.length > k) best.pop();
    }
  }
  return best;
}
// --8<-- [end:search]

/** The mark of a word piece that continues into the next one ("zeit@@ ung" → "zeitung"). */
export const SEP = "@@";

// --8<-- [start:join]
/** rnn_site.data.bpe.join: a piece ending in "@@" continues into the next one. */
export function joinPieces(/** @type {string[]} */ pieces) {
  const words = [];
  let current = "";
  for (const piece of pieces) {
    if (piece.endsWith(SEP)) current += piece.slice(0, -SEP.length);
    else {
      words.push(current + piece);
      current = "";
    }
  }
  if (current) words.push(current);
  return words;
}
// --8<-- [end:join]

/**
 * The sentence of `pieces` as the page writes it: joined as joinPieces, the first letter
 * capitalised and no space before punctuation (as detokenize), each word marked with where its
 * pieces came from (`origin` and `english`, from replaceUnknown).
 *
 * @param {string[]} pieces
 * @param {Origin[]} origin
 * @param {(string | null)[]} english
 * @returns {MarkedWord[]}
 */
export function markedWords(pieces, origin, english) {
  /** @type {MarkedWord[]} */
  const words = [];
  /** @returns {MarkedWord} */
  const empty = () => ({ text: "", from: "model", english: null, space: false });
  /** A copy outranks a lookup: the highlight that says "as you typed it" must not be lost. */
  const rank = { model: 0, dictionary: 1, copied: 2 };
  let current = empty();
  pieces.forEach((piece, i) => {
    const continues = piece.endsWith(SEP);
    current.text += continues ? piece.slice(0, -SEP.length) : piece;
    if (rank[origin[i]] > rank[current.from]) {
      current.from = origin[i];
      current.english = english[i];
    }
    if (!continues) {
      words.push(current);
      current = empty();
    }
  });
  if (current.text) words.push(current);
  words.forEach((w, i) => {
    if (i === 0) w.text = w.text.slice(0, 1).toUpperCase() + w.text.slice(1);
    else w.space = !PUNCTUATION.has(w.text);
  });
  return words;
}

/**
 * rnn_site.decoding.beam.replace_unknown: an output `unk` becomes the most attended English word,
 * translated by `dictionary` where it has the word, else copied as `written` (typed) has it.
 * Besides Python's words and `replaced`, it says which of the two each replacement was (`origin`,
 * as rnn_site.experiments.translator_try records it) and for which English token (`english`).
 * @param {string[]} words
 * @param {ArrayLike<number>[]} attention  one row per word
 * @param {string[]} source
 * @param {string} unk
 * @param {Map<string, string>} [dictionary]
 * @param {string[]} [written]  the source as typed, token for token (default: `source`)
 * @returns {Replaced}
 */
export function replaceUnknown(words, attention, source, unk, dictionary = new Map(), written = source) {
  /** @type {Replaced} */
  const out = { words: [], replaced: [], origin: [], english: [] };
  words.forEach((w, i) => {
    if (w === unk && source.length) {
      const row = attention[i];
      let j = 0;
      for (let k = 1; k < source.length; k++) if (row[k] > row[j]) j = k;
      const looked = dictionary.get(source[j]);
      out.words.push(looked ?? written[j]);
      out.replaced.push(true);
      out.origin.push(looked === undefined ? "copied" : "dictionary");
      out.english.push(source[j]);
    } else {
      out.words.push(w);
      out.replaced.push(false);
      out.origin.push("model");
      out.english.push(null);
    }
  });
  return out;
}

/**
 * rnn_site.data.ding.unpack_words: dictionary.json's two space-separated word lists as a Map
 * (English → German), or a DemoError if they differ in length.
 * @param {{english: string, german: string}} packed
 */
export function unpackWords(packed) {
  const split = (/** @type {string} */ words) => (words ? words.split(" ") : []);
  const english = split(packed.english);
  const german = split(packed.german);
  if (english.length !== german.length) {
    throw new DemoError(`The dictionary has ${english.length} English but ${german.length} German words.`);
  }
  return new Map(english.map((word, i) => [word, german[i]]));
}

/**
 * Rows `rows` of a (rows × size) matrix stored flat: the beam reordered.
 * @param {Float32Array} data
 * @param {number} size
 * @param {number[]} rows
 */
export function gatherRows(data, size, rows) {
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => out.set(data.subarray(r * size, (r + 1) * size), i * size));
  return out;
}

/** @typedef {{h: Float32Array, c: Float32Array, memory: Float32Array}} DecoderState */
/** @typedef {import("onnxruntime-web").InferenceSession} Session */
/** @typedef {typeof import("onnxruntime-web")} Ort */

/** A translator in the browser: the card's vocabularies and the two graphs' sessions. */
export class BrowserTranslator {
  /**
   * @param {TranslatorCard} card
   * @param {Session} encoder
   * @param {Session} decoder
   * @param {Ort} ort
   * @param {Map<string, string>} [dictionary]  what an output `<unk>` becomes: the card's
   *   dictionary.json through `unpackWords` (older cards: inline `unk_dictionary`)
   */
  constructor(card, encoder, decoder, ort, dictionary = new Map(Object.entries(card.unk_dictionary ?? {}))) {
    const { bos, eos } = card.tokenizer;
    if (bos === undefined || eos === undefined) throw new DemoError("The model's card names no <s> or </s>.");
    this.card = card;
    this.bos = bos;
    this.eos = eos;
    this.src = new Map(card.vocab.src.map((w, i) => [w, i]));
    this.tgt = card.vocab.tgt;
    this.bpe = card.tokenizer.target?.pieces === "bpe";
    this.dictionary = dictionary;
    this.encoder = encoder;
    this.decoder = decoder;
    this.ort = ort;
  }

  /**
   * Like Translator.translate in Python; `onStep(words so far)` is called as words come.
   * @param {string} text
   * @param {number} beam
   * @param {{onStep?: (partial: Replaced) => unknown}} [options]
   * @returns {Promise<TranslationResult>}
   */
  async translate(text, beam = 1, { onStep } = {}) {
    const source = checkText(text);
    const written = tokenize(text, false); // a copied English word keeps its case ("Tom")
    const { state, memorySize } = await this.encode(source);
    const S = source.length;
    const hidden = this.card.config.decoder_hidden;
    const words = (/** @type {Hypothesis} */ h) =>
      replaceUnknown(
        h.ids.map((i) => this.tgt[i]),
        h.attention,
        source,
        "<unk>",
        this.dictionary,
        written,
      );
    const best = await beamSearch(
      (prev, s) => this.step(prev, s, S),
      (s, rows) => ({
        h: gatherRows(s.h, hidden, rows),
        c: gatherRows(s.c, hidden, rows),
        memory: gatherRows(s.memory, S * memorySize, rows),
      }),
      state,
      {
        bos: this.bos,
        eos: this.eos,
        beam,
        maxLen: 2 * S + 10, // rnn_site.decoding.beam.default_max_len
        onStep: onStep && ((h) => onStep(words(h))),
      },
    );
    const { words: pieces, replaced, origin, english } = words(best);
    return {
      source,
      sourceUnknown: source.map((t) => !this.src.has(t)),
      pieces,
      words: joinPieces(pieces),
      replaced,
      origin,
      english,
      attention: best.attention.map((row) => Array.from(row)),
      score: best.score,
      beam,
    };
  }

  /**
   * The encoder's memory and first decoder state for one sentence.
   * @param {string[]} source
   * @returns {Promise<{state: DecoderState, memorySize: number}>}
   */
  async encode(source) {
    const { Tensor } = this.ort;
    const unk = this.src.get("<unk>") ?? 0;
    const ids = BigInt64Array.from(source, (t) => BigInt(this.src.get(t) ?? unk));
    const S = ids.length;
    const enc = await this.encoder.run({
      tokens: new Tensor("int64", ids, [1, S]),
      mask: new Tensor("float32", new Float32Array(S).fill(1), [1, S]),
    });
    const data = (/** @type {string} */ name) => /** @type {Float32Array} */ (enc[name].data);
    return {
      state: { h: data("h0"), c: data("c0"), memory: data("memory") },
      memorySize: enc.memory.dims[2],
    };
  }

  /**
   * One decoder step for the `prev.length` live hypotheses over a source of `S` words.
   * @param {number[]} prev
   * @param {DecoderState} s
   * @param {number} S
   */
  async step(prev, s, S) {
    const { Tensor } = this.ort;
    const k = prev.length;
    const hidden = this.card.config.decoder_hidden;
    const out = await this.decoder.run({
      prev: new Tensor("int64", BigInt64Array.from(prev, BigInt), [k]),
      h: new Tensor("float32", s.h, [1, k, hidden]),
      c: new Tensor("float32", s.c, [1, k, hidden]),
      memory: new Tensor("float32", s.memory, [k, S, s.memory.length / (k * S)]),
      mask: new Tensor("float32", new Float32Array(k * S).fill(1), [k, S]),
    });
    const data = (/** @type {string} */ name) => /** @type {Float32Array} */ (out[name].data);
    return {
      logProbs: data("log_probs"),
      attention: data("attention"),
      state: { h: data("h_out"), c: data("c_out"), memory: s.memory },
    };
  }
}
