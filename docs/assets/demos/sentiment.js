// @ts-check
// The sentiment demo: type a sentence, see P(positive) after every word as the LSTM reads it,
// with words the model does not know marked. Mounted by loader.js on
// `<div data-demo="sentiment" data-model="sentiment">`. The logic (tokenizer, checks, the model
// call) is in sentiment-logic.js; this file is the page.
//
// The model is small (one pass over a sentence takes about a millisecond), so it runs on the main
// thread; the runtime and the model download once the page is idle. root.dataset.state:
// "loading" → "ready" → "done" (a result is shown) | "error" (bad input or a failed load, message
// in the alert box). The shown result is in root.dataset.result as JSON {tokens, unknown,
// trajectory, ratings, probability, rating} for tests; dataset.updates counts results and
// dataset.errors rejected inputs.

import { loadOrt } from "./runtime.js";
import { BrowserSentiment, checkText, MAX_CHARS, TOKEN_PATTERN } from "./sentiment-logic.js";
import {
  dataTable,
  demoModel,
  el,
  loadWhenIdle,
  scrollRegion,
  startDemo,
  StatusArea,
  submitButton,
  svg,
  textField,
} from "./ui.js";

/** @typedef {import("./sentiment-logic.js").SentimentReading} SentimentReading */

/** @param {HTMLElement} root */
export function mount(root) {
  const id = startDemo(root);

  const { form, text, button } = sentimentForm(id);
  const verdict = el("p", { class: "rnn-sent-verdict", "data-role": "verdict", "aria-live": "polite" });
  const words = el("p", { class: "rnn-sent-words", "data-role": "words" });
  const chart = scrollRegion(
    el("figure", { class: "rnn-sent-figure", "data-role": "chart" }),
    "Chart of P(positive) after each word (scrolls sideways)",
  );
  const table = el("div", { "data-role": "chart-data" });
  root.append(form, verdict, words, chart, table);
  const status = new StatusArea(root);

  /** @type {import("./runtime.js").Model<import("./card-types.js").TextClassificationCard>} */
  const model = demoModel(root, "sentiment", status);
  /** @type {BrowserSentiment | null} */
  let sentiment = null;

  /** @param {BrowserSentiment} sentiment */
  async function read(sentiment) {
    if (status.accept(() => checkText(text.value)) === undefined) return;
    const reading = await sentiment.predict(text.value);
    showVerdict(verdict, reading);
    showWords(words, reading);
    chart.replaceChildren(trajectoryChart(reading));
    table.replaceChildren(
      dataTable(
        "The numbers in the chart",
        ["Word", "Known to the model", "P(positive) after it"],
        reading.tokens.map((t, i) => [
          t,
          reading.unknown[i] ? "no" : "yes",
          reading.trajectory[i].toFixed(3),
        ]),
      ),
    );
    status.done(reading);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sentiment) read(sentiment).catch((err) => status.fail(err));
  });

  const load = async () => {
    const card = await model.textCard(TOKEN_PATTERN);
    const [ort, session] = await Promise.all([loadOrt(), model.session("sequence")]);
    sentiment = new BrowserSentiment(card, session, ort);
    status.ready(`Model loaded: ${card.vocab.length.toLocaleString("en")} known words.`, button);
  };
  loadWhenIdle(status, button, load, () => read(/** @type {BrowserSentiment} */ (sentiment)));
}

/** @param {(name: string) => string} id */
function sentimentForm(id) {
  const { field, input: text } = textField(id, {
    label: "A sentence in English",
    hint: "Words the model has never seen are shown struck through and count as “unknown”.",
    value: "The plot is not bad at all, but the acting is painfully dull.",
    maxChars: MAX_CHARS,
  });
  const button = submitButton("Read it");
  return { form: el("form", { class: "rnn-form", novalidate: true }, [field, button]), text, button };
}

/**
 * "positive — P(positive) = …", the predicted rating and how many words were unknown.
 * @param {HTMLElement} verdict
 * @param {SentimentReading} reading
 */
function showVerdict(verdict, { probability, rating, unknown }) {
  const side = probability > 0.5 ? "positive" : "negative";
  const unknownCount = unknown.filter(Boolean).length;
  verdict.replaceChildren(
    el("strong", {}, `${side} — P(positive) = ${probability.toFixed(3)}`),
    `, predicted rating ${rating.toFixed(2)} on −4…+4`,
    unknownCount ? ` · ${unknownCount} unknown word(s)` : "",
  );
}

/**
 * The words coloured by the side P(positive) is on after each; unknown ones struck through.
 * @param {HTMLElement} words
 * @param {SentimentReading} reading
 */
function showWords(words, { tokens, unknown, trajectory }) {
  words.replaceChildren(
    ...tokens.map((t, i) =>
      el(
        "span",
        {
          class: `rnn-sent-word ${trajectory[i] > 0.5 ? "rnn-sent-pos" : "rnn-sent-neg"}`,
          "data-unknown": unknown[i] ? "true" : "false",
          title: `${unknown[i] ? "unknown word; " : ""}P(positive) after it: ${trajectory[i].toFixed(3)}`,
        },
        unknown[i] ? el("s", {}, t) : t,
      ),
    ),
  );
}

/**
 * SVG line of P(positive) after each word, 0.5 dashed; unknown words' labels in italics.
 * @param {SentimentReading} reading
 */
function trajectoryChart({ tokens, unknown, trajectory, probability }) {
  const step = 46;
  const width = Math.max(320, 40 + step * tokens.length);
  const height = 190;
  const top = 12;
  const plot = 110;
  const x = (/** @type {number} */ i) => 30 + step * i + step / 2;
  const y = (/** @type {number} */ p) => top + (1 - p) * plot;
  const points = trajectory.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(" ");
  const axis = (/** @type {number} */ p, /** @type {string} */ label) =>
    svg("text", { x: 2, y: y(p) + 4, class: "rnn-sent-axis" }, label);
  return svg(
    "svg",
    {
      class: "rnn-sent-chart",
      viewBox: `0 0 ${width} ${height}`,
      // Drawn at 1:1 (11 px labels stay 11 px); a long sentence scrolls inside its figure.
      width,
      height,
      role: "img",
      "aria-label": `P(positive) after each word, ending at ${probability.toFixed(2)}`,
    },
    [
      svg("line", { x1: 30, x2: width - 4, y1: y(0.5), y2: y(0.5), class: "rnn-sent-mid" }),
      axis(1, "1"),
      axis(0.5, "½"),
      axis(0, "0"),
      svg("polyline", { points, class: "rnn-sent-line" }),
      ...trajectory.map((p, i) =>
        svg("circle", { cx: x(i), cy: y(p), r: 3.5, class: p > 0.5 ? "rnn-sent-pos" : "rnn-sent-neg" }, [
          svg("title", {}, `${tokens[i]}: ${p.toFixed(3)}`),
        ]),
      ),
      ...tokens.map((t, i) =>
        svg(
          "text",
          {
            x: x(i),
            y: top + plot + 14,
            transform: `rotate(40 ${x(i)} ${top + plot + 14})`,
            class: `rnn-sent-label${unknown[i] ? " rnn-sent-unknown" : ""}`,
          },
          t.length > 12 ? `${t.slice(0, 11)}…` : t,
        ),
      ),
    ],
  );
}
