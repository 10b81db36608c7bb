// @ts-check
// The translation demo: type English, watch German come out word by word (greedy or beam
// search), and see the attention of every German word over the English words as a heatmap.
// Mounted by loader.js on `<div data-demo="translation" data-model="translator">`. The logic
// (tokenizer, beam search, BrowserTranslator) is in translation-logic.js; this file is the page.
//
// One decoder step takes well under a millisecond, so everything runs on the main thread; the
// demo waits for a frame between words so the output visibly streams. The runtime and the model
// download once the page is idle. root.dataset.state: "loading" → "ready" → "translating" →
// "done" | "error" (bad input or a failed load, message in the alert box). The shown result is
// in root.dataset.result as JSON {source, sourceUnknown, pieces, words, replaced, origin, english,
// attention, score, beam} for tests; dataset.updates counts results and dataset.errors rejected
// inputs. Where the model wrote `<unk>`, the German word shown is either copied from the English
// as typed (highlighted) or looked up in the dictionary (boxed); the legend under the output and
// each word's own (visually hidden) text say which.

import { loadOrt } from "./runtime.js";
import {
  BrowserTranslator,
  checkBeam,
  checkText,
  markedWords,
  MAX_BEAM,
  MAX_CHARS,
  TOKEN_PATTERN,
  unpackWords,
} from "./translation-logic.js";
import {
  dataTable,
  demoModel,
  el,
  loadWhenIdle,
  numberField,
  scrollRegion,
  startDemo,
  StatusArea,
  submitButton,
  svg,
  textField,
} from "./ui.js";

/** @typedef {import("./translation-logic.js").TranslationResult} TranslationResult */

/** @param {HTMLElement} root */
export function mount(root) {
  const id = startDemo(root);
  const { form, text, beamInput, button } = translationForm(id);
  const sourceLine = el("p", { class: "rnn-tr-source", "data-role": "source" });
  const output = el("p", { class: "rnn-tr-output", "data-role": "output", "aria-live": "polite" });
  const legend = outputLegend();
  const heatmap = scrollRegion(
    el("figure", { class: "rnn-tr-figure", "data-role": "heatmap" }),
    "Attention heatmap (scrolls sideways)",
  );
  const table = el("div", { "data-role": "chart-data" });
  root.append(form, sourceLine, output, legend, heatmap, table);
  const status = new StatusArea(root);

  /** @type {import("./runtime.js").Model<import("./card-types.js").TranslationCard>} */
  const model = demoModel(root, "translator", status);
  /** @type {BrowserTranslator | null} */
  let translator = null;
  let busy = false;

  /** @param {BrowserTranslator} translator */
  async function run(translator) {
    const beam = status.accept(() => (checkText(text.value), checkBeam(beamInput.value)));
    if (beam === undefined) return;
    busy = button.disabled = true;
    root.dataset.state = "translating";
    heatmap.replaceChildren();
    table.replaceChildren();
    try {
      const result = await translator.translate(text.value, beam, {
        onStep: async ({ words: pieces, origin, english }) => {
          showWords(output, pieces, origin, english);
          await nextFrame();
        },
      });
      showSource(sourceLine, result.source, result.sourceUnknown);
      showWords(output, result.pieces, result.origin, result.english);
      showAttention(heatmap, table, result, translator.bpe);
      status.done(result);
    } finally {
      busy = button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!busy && translator) run(translator).catch((err) => status.fail(err));
  });

  const load = async () => {
    const card = await model.textCard(TOKEN_PATTERN);
    const [ort, encoder, decoder, dictionary] = await Promise.all([
      loadOrt(),
      model.session("encoder"),
      model.session("decoder"),
      card.files.dictionary ? model.json("dictionary").then(unpackWords) : undefined,
    ]);
    translator = new BrowserTranslator(card, encoder, decoder, ort, dictionary);
    const words = (/** @type {string[]} */ v) => v.length.toLocaleString("en");
    status.ready(
      `Model loaded: ${words(card.vocab.src)} English and ${words(card.vocab.tgt)} German words.`,
      button,
    );
  };
  loadWhenIdle(status, button, load, () => run(/** @type {BrowserTranslator} */ (translator)));
}

/** @param {(name: string) => string} id */
function translationForm(id) {
  const { field, input: text } = textField(id, {
    label: "An English sentence",
    hint: "Short everyday sentences work best. English words the model does not know are struck through.",
    value: "The weather is nice today.",
    maxChars: MAX_CHARS,
  });
  const { field: beamField, input: beamInput } = numberField(id, {
    name: "beam",
    label: "Beam width",
    hint: `1 = greedy; up to ${MAX_BEAM}`,
    value: 3, // the card's width, chosen on validation (rnn_site/experiments/translator_beam.py)
    max: MAX_BEAM,
  });
  const button = submitButton("Translate");
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    field,
    el("div", { class: "rnn-controls" }, [beamField]),
    button,
  ]);
  return { form, text, beamInput, button };
}

/** Resolves at the next frame (or after 50 ms: hidden tabs get no frames), so words stream. */
const nextFrame = () =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });

/**
 * "Read as: …" with the English words the model does not know struck through.
 * @param {HTMLElement} line
 * @param {string[]} tokens
 * @param {boolean[]} unknown
 */
function showSource(line, tokens, unknown) {
  line.replaceChildren(
    "Read as: ",
    ...tokens.flatMap((t, i) => [
      i ? " " : "",
      el(
        "span",
        {
          class: "rnn-tr-word",
          "data-unknown": unknown[i] ? "true" : "false",
          title: unknown[i] ? "unknown word" : "",
        },
        unknown[i] ? el("s", {}, t) : t,
      ),
    ]),
  );
}

/**
 * What the two markings of an output `<unk>` mean, under the output. Each sample says in words
 * what it looks like, so the legend does not rely on colour.
 */
function outputLegend() {
  return el("p", { class: "rnn-tr-legend", "data-role": "legend" }, [
    "Where the model wrote “<unk>” (a German word it does not know): ",
    el("mark", { class: "rnn-tr-copied" }, "highlighted, dotted underline"),
    " = copied from the English as you typed it (the dictionary lacks the word); ",
    el("span", { class: "rnn-tr-dictionary" }, "boxed"),
    " = looked up in the dictionary for the English word it attends to most.",
  ]);
}

/**
 * The German sentence so far; words standing for an output `<unk>` marked by where they came
 * from. The tooltip (title) is for the mouse; the same words, visually hidden, follow the word
 * for screen readers (a title alone is not reliably read out).
 * @param {HTMLElement} output
 * @param {string[]} pieces
 * @param {import("./translation-logic.js").Origin[]} origin
 * @param {(string | null)[]} english
 */
function showWords(output, pieces, origin, english) {
  const parts = markedWords(pieces, origin, english).flatMap((w) => [
    w.space ? " " : "",
    w.from === "model" ? w.text : markedWord(w.text, w.from, w.english ?? ""),
  ]);
  output.replaceChildren(el("strong", {}, parts));
}

/**
 * One replaced word: highlighted if copied, boxed if looked up, with its explanation.
 * @param {string} text
 * @param {"dictionary" | "copied"} from
 * @param {string} english  the English token (as read) it stands for
 */
function markedWord(text, from, english) {
  const note =
    from === "copied"
      ? "an unknown word: copied from the English as typed"
      : `an unknown word: from the dictionary, for the English “${english}”`;
  const hidden = el("span", { class: "rnn-visually-hidden" }, ` (${note})`);
  const attributes = { title: note, "data-from": from, "data-english": english };
  return from === "copied"
    ? el("mark", { class: "rnn-tr-copied", ...attributes }, [text, hidden])
    : el("span", { class: "rnn-tr-dictionary", ...attributes }, [text, hidden]);
}

/**
 * The heatmap with its caption, and its numbers as a table under a disclosure.
 * @param {HTMLElement} heatmap
 * @param {HTMLElement} table
 * @param {TranslationResult} result
 * @param {boolean} bpe  whether the German side is word pieces
 */
function showAttention(heatmap, table, result, bpe) {
  const target = [...result.pieces, "</s>"];
  const rows = bpe ? "word piece (“@@” = continues)" : "word";
  heatmap.replaceChildren(
    attentionMap(result.source, result.sourceUnknown, target, result.attention),
    el(
      "figcaption",
      {},
      `Attention: each row is one German ${rows}; darker cells are the English words it looked at (beam ${result.beam}, log-probability ${result.score.toFixed(2)}).`,
    ),
  );
  table.replaceChildren(
    dataTable(
      "The attention weights in the heatmap",
      ["German ↓ / English →", ...result.source],
      result.attention.map((row, i) => [target[i] ?? "", ...row.map((w) => w.toFixed(2))]),
    ),
  );
}

/**
 * SVG heatmap: one row per German word (and </s>), one column per English word.
 * @param {string[]} source
 * @param {boolean[]} unknown
 * @param {string[]} target
 * @param {number[][]} attention
 */
function attentionMap(source, unknown, target, attention) {
  const cell = 26;
  const left = 92;
  const top = 86;
  const width = left + cell * source.length + 8;
  const height = top + cell * attention.length + 8;
  const short = (/** @type {string} */ t) => (t.length > 11 ? `${t.slice(0, 10)}…` : t);
  const columnLabel = (/** @type {string} */ t, /** @type {number} */ j) => {
    const x = left + cell * j + cell / 2;
    const cls = `rnn-tr-label${unknown[j] ? " rnn-tr-unknown" : ""}`;
    return svg("text", { x, y: top - 6, transform: `rotate(-50 ${x} ${top - 6})`, class: cls }, short(t));
  };
  const row = (/** @type {number[]} */ weights, /** @type {number} */ i) => [
    svg(
      "text",
      { x: left - 6, y: top + cell * i + cell * 0.65, class: "rnn-tr-label rnn-tr-row" },
      short(target[i] ?? ""),
    ),
    ...weights.map((w, j) =>
      svg(
        "rect",
        {
          x: left + cell * j,
          y: top + cell * i,
          width: cell - 1,
          height: cell - 1,
          class: "rnn-tr-cell",
          "fill-opacity": Math.max(0.03, w).toFixed(3),
        },
        [svg("title", {}, `${target[i]} ← ${source[j]}: ${w.toFixed(3)}`)],
      ),
    ),
  ];
  return svg(
    "svg",
    {
      class: "rnn-tr-heatmap",
      viewBox: `0 0 ${width} ${height}`,
      width,
      role: "img",
      "aria-label": `Attention of ${attention.length} German words over ${source.length} English words`,
    },
    [...source.map(columnLabel), ...attention.flatMap(row)],
  );
}
