// node --test tests/js: the translation demo's logic against rnn_site (values computed with Python,
// shown next to each case), so the page searches, joins and copies words as the runtime does.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  beamSearch,
  checkBeam,
  checkText,
  detokenize,
  gatherRows,
  joinPieces,
  markedWords,
  replaceUnknown,
  tokenize,
  unpackWords,
} from "../../docs/assets/demos/translation-logic.js";

// A made-up decoder whose log-probabilities are exact in binary (quarters), so JavaScript and
// NumPy add them identically and ties are real: word w after word p at step t (state s per row)
// scores -((7p + 3w + 5t + 2s) % m) / 4, and </s> (3) costs 3 more before step 3. With m = 4
// most scores tie, so only the tie rule (lower beam, then lower word) picks Python's words.
const V = 7;

/** step(prev, state) over state {t, rows}: each row's s becomes (s + p) % 5, as in Python. */
const decoder =
  (m) =>
  async (prev, { t, rows }) => {
    const lp = (p, w, s) => -((p * 7 + w * 3 + t * 5 + s * 2) % m) / 4 - (w === 3 && t < 3 ? 3 : 0);
    const logProbs = new Float32Array(prev.length * V);
    prev.forEach((p, r) => {
      for (let w = 0; w < V; w++) logProbs[r * V + w] = lp(p, w, rows[r]);
    });
    const attention = Float32Array.from(prev.flatMap((p, r) => [p, t, rows[r]]));
    return { logProbs, attention, state: { t: t + 1, rows: prev.map((p, r) => (rows[r] + p) % 5) } };
  };
const select = ({ t, rows }, keep) => ({ t, rows: keep.map((r) => rows[r]) });
const start = { t: 0, rows: [0] };

// rnn_site.decoding.beam.beam_search(step, select, (0, [0]), bos=2, eos=3, beam=..., max_len=...)
// with the same decoder in NumPy: [m, beam, max_len, ids, score, s of each attention row]. Row i
// of the attention is [previous word, i, s]: <s> (2), then the words; one more row when </s> won.
const PYTHON = [
  [11, 1, 4, [0, 1, 4, 2], -1.0, [0, 2, 2, 3]],
  [11, 1, 8, [0, 1, 4, 2, 2], -1.25, [0, 2, 2, 3, 2, 4]],
  [11, 2, 8, [0, 1, 4, 2, 6, 1, 6], -1.5, [0, 2, 2, 3, 2, 4, 0, 1]],
  [4, 1, 4, [2, 2, 0, 1], -0.25, [0, 2, 4, 1]],
  [4, 3, 4, [2, 2, 0, 1], -0.25, [0, 2, 4, 1]],
  [4, 5, 4, [2, 6, 0], -0.25, [0, 2, 4, 0]],
  [4, 3, 8, [2, 2, 0, 1, 1, 0, 0, 1], -0.25, [0, 2, 4, 1, 1, 2, 3, 3]],
];

test("beam search finds Python's words, score and attention, ties included", async () => {
  for (const [m, beam, maxLen, ids, score, s] of PYTHON) {
    const best = await beamSearch(decoder(m), select, start, { bos: 2, eos: 3, beam, maxLen });
    assert.deepEqual(best.ids, ids, `m ${m}, beam ${beam}, max_len ${maxLen}`);
    assert.equal(best.score, score);
    const prev = [2, ...ids];
    assert.deepEqual(
      best.attention.map((row) => Array.from(row)),
      s.map((si, i) => [prev[i], i, si]),
    );
  }
});

test("onStep sees the best live hypothesis of every step but the last", async () => {
  const seen = [];
  const onStep = (h) => seen.push(h.ids.join(" "));
  await beamSearch(decoder(11), select, start, { bos: 2, eos: 3, beam: 1, maxLen: 8, onStep });
  // Greedy: [0, 1, 4, 2, 2] then </s> at step 5 (see PYTHON above).
  assert.deepEqual(seen, ["0", "0 1", "0 1 4", "0 1 4 2", "0 1 4 2 2"]);
});

test("the tokenizer and detokenizer are rnn_site.data.ding's", () => {
  // ding.tokenize / ding.detokenize on the same strings.
  assert.deepEqual(tokenize("It’s 5 o'clock, isn't it?!"), [
    "it's",
    "5",
    "o'clock",
    ",",
    "isn't",
    "it",
    "?",
    "!",
  ]);
  assert.equal(detokenize(tokenize("It’s 5 o'clock, isn't it?!")), "It's 5 o'clock, isn't it?!");
  assert.deepEqual(tokenize("Straße  ÄÖÜ über-all; ok."), ["straße", "äöü", "über", "all", ";", "ok", "."]);
  assert.equal(detokenize(tokenize("Straße  ÄÖÜ über-all; ok.")), "Straße äöü über all; ok.");
});

test("word pieces join as rnn_site.data.bpe.join, and the page marks copied and looked-up words", () => {
  // bpe.join(["zeit@@", "ung", "ist", "gu@@", "t@@"]) == ["zeitung", "ist", "gut"]
  assert.deepEqual(joinPieces(["zeit@@", "ung", "ist", "gu@@", "t@@"]), ["zeitung", "ist", "gut"]);
  const pieces = ["zeit@@", "ung", "ist", "pa@@", "ris", "Leben", "."];
  /** @type {import("../../docs/assets/demos/translation-logic.js").Origin[]} */
  const origin = ["model", "model", "model", "model", "copied", "dictionary", "model"];
  const english = [null, null, null, null, "paris", "lives", null];
  assert.deepEqual(markedWords(pieces, origin, english), [
    { text: "Zeitung", from: "model", english: null, space: false },
    { text: "ist", from: "model", english: null, space: true },
    { text: "paris", from: "copied", english: "paris", space: true },
    { text: "Leben", from: "dictionary", english: "lives", space: true },
    { text: ".", from: "model", english: null, space: false },
  ]);
  // A word joined from a looked-up and a copied piece counts as copied (the stronger claim).
  assert.deepEqual(markedWords(["x@@", "y"], ["dictionary", "copied"], ["a", "b"]), [
    { text: "Xy", from: "copied", english: "b", space: false },
  ]);
});

test("an unknown output word becomes the English word it attends to most", () => {
  // decoding.beam.replace_unknown: ties go to the first word, as numpy's argmax.
  const attention = [
    [0.1, 0.2, 0.7],
    [0.5, 0.3, 0.2],
    [0.3, 0.3, 0.3],
    [1, 0, 0],
  ];
  assert.deepEqual(
    replaceUnknown(["das", "<unk>", "<unk>", "ist"], attention, ["the", "paris", "station"], "<unk>"),
    {
      words: ["das", "the", "the", "ist"],
      replaced: [false, true, true, false],
      origin: ["model", "copied", "copied", "model"],
      english: [null, "the", "the", null],
    },
  );
  // With a dictionary: its German word where it has one, else the copy; given the source as
  // typed, the copy keeps its case (the dictionary is still asked in lowercase).
  const source = ["the", "paris", "station"];
  const unknowns = (/** @type {string[] | undefined} */ written) =>
    replaceUnknown(
      ["<unk>", "<unk>"],
      attention.slice(0, 2),
      source,
      "<unk>",
      new Map([["the", "die"]]),
      written,
    );
  // origin: what rnn_site.experiments.translator_try records ("dictionary" where it has the word).
  const marks = { replaced: [true, true], origin: ["copied", "dictionary"], english: ["station", "the"] };
  assert.deepEqual(unknowns(undefined), { words: ["station", "die"], ...marks });
  assert.deepEqual(unknowns(tokenize("The Paris Station", false)), { words: ["Station", "die"], ...marks });
});

test("dictionary.json's two word lists become the Map Python's unpack_words gives", () => {
  // rnn_site.data.ding.unpack_words({"english": "dog isn't", "german": "Hund ist"})
  assert.deepEqual(
    unpackWords({ english: "dog isn't", german: "Hund ist" }),
    new Map([
      ["dog", "Hund"],
      ["isn't", "ist"],
    ]),
  );
  assert.equal(unpackWords({ english: "", german: "" }).size, 0);
  assert.throws(() => unpackWords({ english: "dog cat", german: "Hund" }), {
    name: "DemoError",
    message: /2 English but 1 German/,
  });
});

test("gatherRows reorders a flat beam", () => {
  const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(gatherRows(data, 2, [2, 0, 0])), [5, 6, 1, 2, 1, 2]);
});

test("bad input gets the reader's message, with the runtime's limits", () => {
  assert.deepEqual(checkText("Hello, world!"), ["hello", ",", "world", "!"]);
  assert.throws(() => checkText("  ... -- "), { name: "DemoError", message: /Type a sentence first/ });
  assert.throws(() => checkText("a".repeat(1001)), { message: /Too long: 1,001 characters; at most 1,000/ });
  assert.throws(() => checkText("a ".repeat(101)), {
    message: "Too long: 101 words; at most 100 are accepted.",
  });
  assert.throws(() => checkText(42), { message: "The text must be a string." });
  assert.equal(checkBeam(" 10 "), 10);
  for (const bad of ["", "0", "11", "2.5", "x"]) {
    assert.throws(() => checkBeam(bad), {
      message: "The beam width must be a whole number from 1 (greedy) to 10.",
    });
  }
});
