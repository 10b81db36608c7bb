// The sentiment demo: type a sentence, see P(positive) after every word as the LSTM reads it,
// with words the model does not know marked. Mounted by loader.js on
// `<div data-demo="sentiment" data-model="sentiment">`.
//
// The model is small (one pass over a sentence takes about a millisecond), so it runs on the main
// thread. root.dataset.state: "loading" → "ready" → "done" (a result is shown) | "error" (bad
// input or a failed load, message in the alert box). The shown result is in root.dataset.result
// as JSON {tokens, unknown, trajectory, probability, rating} for tests; dataset.updates counts
// results and dataset.errors rejected inputs.

import { DemoError, loadOrt, Model } from "./runtime.js";
import { dataTable, el, scrollRegion, startDemo, StatusArea, submitButton, svg, textField } from "./ui.js";

// --8<-- [start:tokenize]
/** The tokenizer of rnn_site/data/vader.py, letter for letter (a test checks they agree). */
export const TOKEN_PATTERN = "[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*|[!?]";
const TOKEN = new RegExp(TOKEN_PATTERN, "g");

export function tokenize(text) {
  return (text.replaceAll("\u2019", "'").match(TOKEN) ?? []).map((t) => t.toLowerCase());
}
// --8<-- [end:tokenize]

/** The same limits as rnn_site/runtime/sentiment.py. */
export const MAX_CHARS = 5000;
export const MAX_TOKENS = 1000;

/** The words of `text`, or a DemoError saying what is wrong and what is accepted. */
export function checkText(text) {
  if (typeof text !== "string") throw new DemoError("The text must be a string.");
  if (text.length > MAX_CHARS) {
    throw new DemoError(
      `Too long: ${text.length.toLocaleString("en")} characters; at most ${MAX_CHARS.toLocaleString("en")} are accepted (try one sentence).`,
    );
  }
  const tokens = tokenize(text);
  // "!!!" has tokens but no word: the model was trained on sentences, and would answer anyway.
  if (!tokens.some((t) => /[a-z0-9]/.test(t)))
    throw new DemoError("Type a sentence first: the model needs at least one word of letters or digits.");
  if (tokens.length > MAX_TOKENS)
    throw new DemoError(`Too long: ${tokens.length} words; at most ${MAX_TOKENS} are accepted.`);
  return tokens;
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

export function mount(root) {
  const modelName = root.dataset.model ?? "sentiment";
  const id = startDemo(root);
  root.dataset.state = "loading";

  const { field, input: text } = textField(id, {
    label: "A sentence in English",
    hint: "Words the model has never seen are shown struck through and count as “unknown”.",
    value: "The plot is not bad at all, but the acting is painfully dull.",
    maxChars: MAX_CHARS,
  });
  const button = submitButton("Read it");
  const form = el("form", { class: "rnn-form", novalidate: true }, [field, button]);
  const verdict = el("p", { class: "rnn-sent-verdict", "data-role": "verdict", "aria-live": "polite" });
  const words = el("p", { class: "rnn-sent-words", "data-role": "words" });
  const chart = scrollRegion(
    el("figure", { class: "rnn-sent-figure", "data-role": "chart" }),
    "Chart of P(positive) after each word (scrolls sideways)",
  );
  const table = el("div", { "data-role": "chart-data" });
  root.append(form, verdict, words, chart, table);
  const status = new StatusArea(root);

  const model = new Model(modelName, { onProgress: (p) => status.progress(p) });
  let index = null;
  let session = null;

  const fail = (err) => status.fail(err);

  async function read() {
    const tokens = status.accept(() => checkText(text.value));
    if (!tokens) return;
    const ort = await loadOrt();
    const unk = index.get("<unk>");
    const ids = BigInt64Array.from(tokens, (t) => BigInt(index.get(t) ?? unk));
    const out = await session.run({ tokens: new ort.Tensor("int64", ids, [1, ids.length]) });
    const trajectory = Array.from(out.logits.data, sigmoid);
    const ratings = Array.from(out.rating.data);
    const unknown = tokens.map((t) => !index.has(t));
    show(tokens, unknown, trajectory, ratings);
    const result = {
      tokens,
      unknown,
      trajectory,
      probability: trajectory.at(-1),
      rating: ratings.at(-1),
    };
    status.done(result);
  }

  function show(tokens, unknown, trajectory, ratings) {
    const p = trajectory.at(-1);
    const side = p > 0.5 ? "positive" : "negative";
    verdict.replaceChildren(
      el("strong", {}, `${side} — P(positive) = ${p.toFixed(3)}`),
      `, predicted rating ${ratings.at(-1).toFixed(2)} on −4…+4`,
      unknown.some(Boolean) ? ` · ${unknown.filter(Boolean).length} unknown word(s)` : "",
    );
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
    chart.replaceChildren(trajectoryChart(tokens, unknown, trajectory));
    table.replaceChildren(
      dataTable(
        "The numbers in the chart",
        ["Word", "Known to the model", "P(positive) after it"],
        tokens.map((t, i) => [t, unknown[i] ? "no" : "yes", trajectory[i].toFixed(3)]),
      ),
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    read().catch(fail);
  });

  const load = async () => {
    const card = await model.card();
    if (card.tokenizer?.pattern !== TOKEN_PATTERN) {
      throw new DemoError("This page's tokenizer differs from the model's; reload the page.");
    }
    index = new Map(card.vocab.map((w, i) => [w, i]));
    session = await model.session("sequence");
    status.info(`Model loaded: ${card.vocab.length.toLocaleString("en")} known words.`);
    root.dataset.state = "ready";
    button.disabled = false;
    await read();
  };
  const start = () => load().catch((err) => (session ? fail(err) : status.failLoad(err, start)));
  start();
}

/** SVG line of P(positive) after each word, 0.5 dashed; unknown words' labels in italics. */
function trajectoryChart(tokens, unknown, trajectory) {
  const step = 46;
  const width = Math.max(320, 40 + step * tokens.length);
  const height = 190;
  const top = 12;
  const plot = 110;
  const x = (i) => 30 + step * i + step / 2;
  const y = (p) => top + (1 - p) * plot;
  const points = trajectory.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(" ");
  return svg(
    "svg",
    {
      class: "rnn-sent-chart",
      viewBox: `0 0 ${width} ${height}`,
      // Drawn at 1:1 (11 px labels stay 11 px); a long sentence scrolls inside its figure.
      width,
      height,
      role: "img",
      "aria-label": `P(positive) after each word, ending at ${trajectory.at(-1).toFixed(2)}`,
    },
    [
      svg("line", { x1: 30, x2: width - 4, y1: y(0.5), y2: y(0.5), class: "rnn-sent-mid" }),
      svg("text", { x: 2, y: y(1) + 4, class: "rnn-sent-axis" }, "1"),
      svg("text", { x: 2, y: y(0.5) + 4, class: "rnn-sent-axis" }, "½"),
      svg("text", { x: 2, y: y(0) + 4, class: "rnn-sent-axis" }, "0"),
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
