// node --test tests/js: the sentiment demo's tokenizer, limits and sigmoid against rnn_site
// (values computed with Python, shown next to each case).
import assert from "node:assert/strict";
import { test } from "node:test";

import { checkText, sigmoid, tokenize } from "../../docs/assets/demos/sentiment-logic.js";

test("the tokenizer is rnn_site.data.vader's", () => {
  // vader.tokenize on the same strings: curly apostrophes count, accents split words.
  assert.deepEqual(tokenize("I don’t like it!!! :( really?"), [
    "i",
    "don't",
    "like",
    "it",
    "!",
    "!",
    "!",
    "really",
    "?",
  ]);
  assert.deepEqual(tokenize("café naïve 42x"), ["caf", "na", "ve", "42x"]);
});

test("sigmoid is rnn_site.runtime.sentiment.sigmoid, also far out", () => {
  // sigmoid(np.array([-800, -2.5, 0, 3.25, 745])) in Python.
  const python = [0.0, 0.07585818002124356, 0.5, 0.9626731126558705, 1.0];
  [-800, -2.5, 0, 3.25, 745].forEach((x, i) =>
    assert.ok(Math.abs(sigmoid(x) - python[i]) < 1e-15, String(x)),
  );
});

test("text without a word, or too long, is refused with the runtime's limits", () => {
  assert.deepEqual(checkText("great!!!"), ["great", "!", "!", "!"]);
  assert.throws(() => checkText("!!!"), {
    name: "DemoError",
    message: /at least one word of letters or digits/,
  });
  assert.throws(() => checkText("a".repeat(5001)), {
    message: "Too long: 5,001 characters; at most 5,000 are accepted (try one sentence).",
  });
  assert.throws(() => checkText("a ".repeat(1001)), {
    message: "Too long: 1001 words; at most 1000 are accepted.",
  });
});
