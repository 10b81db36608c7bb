// The translation demo: type English, watch German come out word by word (greedy or beam
// search), and see the attention of every German word over the English words as a heatmap.
// Mounted by loader.js on `<div data-demo="translation" data-model="translator">`.
//
// One decoder step takes well under a millisecond, so everything runs on the main thread; the
// demo waits for a frame between words so the output visibly streams. root.dataset.state:
// "loading" → "ready" → "translating" → "done" | "error" (bad input or a failed load, message in
// the alert box). The shown result is in root.dataset.result as JSON {source, sourceUnknown,
// pieces, words, replaced, attention, score, beam} for tests; dataset.updates counts results and
// dataset.errors rejected inputs.

import { DemoError, loadOrt, Model } from "./runtime.js";
import { dataTable, el, scrollRegion, startDemo, StatusArea, submitButton, svg, textField } from "./ui.js";

// --8<-- [start:tokenize]
/** The tokenizer of rnn_site/data/ding.py, letter for letter (a test checks they agree). */
export const TOKEN_PATTERN = "[A-Za-z0-9ÄÖÜäöüß]+(?:'[A-Za-z0-9ÄÖÜäöüß]+)*|[.,!?;]";
const TOKEN = new RegExp(TOKEN_PATTERN, "g");

export function tokenize(text) {
  const normal = text.normalize("NFC").replaceAll("\u2019", "'");
  return (normal.match(TOKEN) ?? []).map((t) => t.toLowerCase());
}
// --8<-- [end:tokenize]

const NO_SPACE_BEFORE = new Set([".", ",", "!", "?", ";"]);

/** rnn_site.data.ding.detokenize: no space before punctuation, first letter capitalised. */
export function detokenize(words) {
  let text = "";
  for (const w of words) text += NO_SPACE_BEFORE.has(w) || !text ? w : ` ${w}`;
  return text.slice(0, 1).toUpperCase() + text.slice(1);
}

/** The same limits as rnn_site/runtime/translator.py. */
export const MAX_CHARS = 1000;
export const MAX_TOKENS = 100;
export const MAX_BEAM = 10;

/** The English tokens of `text`, or a DemoError saying what is wrong and what is accepted. */
export function checkText(text) {
  if (typeof text !== "string") throw new DemoError("The text must be a string.");
  if (text.length > MAX_CHARS) {
    throw new DemoError(
      `Too long: ${text.length.toLocaleString("en")} characters; at most ${MAX_CHARS.toLocaleString("en")} are accepted (translate one sentence at a time).`,
    );
  }
  const tokens = tokenize(text);
  if (tokens.every((t) => NO_SPACE_BEFORE.has(t)))
    throw new DemoError("Type a sentence first: the model needs at least one word of letters or digits.");
  if (tokens.length > MAX_TOKENS)
    throw new DemoError(`Too long: ${tokens.length} words; at most ${MAX_TOKENS} are accepted.`);
  return tokens;
}

/** The beam width from the form's text, or a DemoError. */
export function checkBeam(value) {
  const beam = Number(value);
  if (String(value).trim() === "" || !Number.isInteger(beam) || beam < 1 || beam > MAX_BEAM) {
    throw new DemoError(`The beam width must be a whole number from 1 (greedy) to ${MAX_BEAM}.`);
  }
  return beam;
}

// --8<-- [start:search]
/**
 * rnn_site/decoding/beam.py, line for line: keep the best `room` extensions of the live
 * hypotheses each step (ties: lower beam, then lower word id); `</s>` finishes one; the winner
 * has the best average log-probability per word. `step(prev, state)` resolves to
 * {logProbs: Float32Array (k × vocab), state, attention: Float32Array (k × source)};
 * `select(state, rows)` reorders the state. `onStep(best live hypothesis)` lets the page stream.
 */
export async function beamSearch(step, select, state, { bos, eos, beam, maxLen, onStep }) {
  let live = [{ ids: [], score: 0, attention: [], finished: false }];
  let prev = [bos];
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

const average = (h) => h.score / Math.max(h.attention.length, 1);

/** The `k` best (row, word, score) by score + log-prob, ties to the lower flat index. */
function topK(live, logProbs, vocab, k) {
  const best = []; // sorted, best first
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

const SEP = "@@";

// --8<-- [start:join]
/** rnn_site.data.bpe.join: a piece ending in "@@" continues into the next one. */
export function joinPieces(pieces) {
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

/** rnn_site.decoding.beam.replace_unknown: an output <unk> becomes the most attended English word. */
export function replaceUnknown(words, attention, source, unk) {
  const out = [];
  const replaced = [];
  words.forEach((w, i) => {
    if (w === unk && source.length) {
      const row = attention[i];
      let j = 0;
      for (let k = 1; k < source.length; k++) if (row[k] > row[j]) j = k;
      out.push(source[j]);
      replaced.push(true);
    } else {
      out.push(w);
      replaced.push(false);
    }
  });
  return { words: out, replaced };
}

/** A translator in the browser: the card's vocabularies and the two graphs' sessions. */
export class BrowserTranslator {
  constructor(card, encoder, decoder, ort) {
    this.card = card;
    this.src = new Map(card.vocab.src.map((w, i) => [w, i]));
    this.tgt = card.vocab.tgt;
    this.bpe = card.tokenizer.target?.pieces === "bpe";
    this.encoder = encoder;
    this.decoder = decoder;
    this.ort = ort;
  }

  /** Like Translator.translate in Python; `onStep(words so far)` is called as words come. */
  async translate(text, beam = 1, { onStep } = {}) {
    const source = checkText(text);
    const { ort, card } = this;
    const unk = this.src.get("<unk>");
    const ids = BigInt64Array.from(source, (t) => BigInt(this.src.get(t) ?? unk));
    const S = ids.length;
    const enc = await this.encoder.run({
      tokens: new ort.Tensor("int64", ids, [1, S]),
      mask: new ort.Tensor("float32", new Float32Array(S).fill(1), [1, S]),
    });
    const hidden = card.config.decoder_hidden;
    const M = enc.memory.dims[2];
    const state0 = { h: enc.h0.data, c: enc.c0.data, memory: enc.memory.data, rows: 1 };
    const step = async (prev, s) => {
      const k = prev.length;
      const out = await this.decoder.run({
        prev: new ort.Tensor("int64", BigInt64Array.from(prev, BigInt), [k]),
        h: new ort.Tensor("float32", s.h, [1, k, hidden]),
        c: new ort.Tensor("float32", s.c, [1, k, hidden]),
        memory: new ort.Tensor("float32", s.memory, [k, S, M]),
        mask: new ort.Tensor("float32", new Float32Array(k * S).fill(1), [k, S]),
      });
      return {
        logProbs: out.log_probs.data,
        attention: out.attention.data,
        state: { h: out.h_out.data, c: out.c_out.data, memory: s.memory, rows: k },
      };
    };
    const gather = (data, size, rows) => {
      const outArr = new Float32Array(rows.length * size);
      rows.forEach((r, i) => outArr.set(data.subarray(r * size, (r + 1) * size), i * size));
      return outArr;
    };
    const select = (s, rows) => ({
      h: gather(s.h, hidden, rows),
      c: gather(s.c, hidden, rows),
      memory: gather(s.memory, S * M, rows),
      rows: rows.length,
    });
    const best = await beamSearch(step, select, state0, {
      bos: card.tokenizer.bos,
      eos: card.tokenizer.eos,
      beam,
      maxLen: 2 * S + 10, // rnn_site.decoding.beam.default_max_len
      onStep:
        onStep &&
        ((h) =>
          onStep(
            replaceUnknown(
              h.ids.map((i) => this.tgt[i]),
              h.attention,
              source,
              "<unk>",
            ),
          )),
    });
    const { words: pieces, replaced } = replaceUnknown(
      best.ids.map((i) => this.tgt[i]),
      best.attention,
      source,
      "<unk>",
    );
    return {
      source,
      sourceUnknown: source.map((t) => !this.src.has(t)),
      pieces,
      words: joinPieces(pieces),
      replaced,
      attention: best.attention.map((row) => Array.from(row)),
      score: best.score,
      beam,
    };
  }
}

const nextFrame = () =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, 50); // hidden tabs get no frames
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve();
    });
  });

export function mount(root) {
  const modelName = root.dataset.model ?? "translator";
  const id = startDemo(root);
  root.dataset.state = "loading";

  const { field, input: text } = textField(id, {
    label: "An English sentence",
    hint: "Short everyday sentences work best. English words the model does not know are struck through.",
    value: "The weather is nice today.",
    maxChars: MAX_CHARS,
  });
  const beamInput = el("input", {
    id: id("beam"),
    type: "number",
    min: "1",
    max: String(MAX_BEAM),
    step: "1",
    value: "5",
    inputmode: "numeric",
    "aria-describedby": id("beam-hint"),
  });
  const button = submitButton("Translate");
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    field,
    el("div", { class: "rnn-controls" }, [
      el("div", { class: "rnn-field" }, [
        el("label", { for: id("beam") }, "Beam width"),
        beamInput,
        el("small", { id: id("beam-hint") }, `1 = greedy; up to ${MAX_BEAM}`),
      ]),
    ]),
    button,
  ]);
  const sourceLine = el("p", { class: "rnn-tr-source", "data-role": "source" });
  const output = el("p", { class: "rnn-tr-output", "data-role": "output", "aria-live": "polite" });
  const heatmap = scrollRegion(
    el("figure", { class: "rnn-tr-figure", "data-role": "heatmap" }),
    "Attention heatmap (scrolls sideways)",
  );
  const table = el("div", { "data-role": "chart-data" });
  root.append(form, sourceLine, output, heatmap, table);
  const status = new StatusArea(root);

  const model = new Model(modelName, { onProgress: (p) => status.progress(p) });
  let translator = null;
  let busy = false;

  const fail = (err) => status.fail(err);

  async function run() {
    const beam = status.accept(() => {
      checkText(text.value);
      return checkBeam(beamInput.value);
    });
    if (beam === undefined) return;
    busy = true;
    button.disabled = true;
    root.dataset.state = "translating";
    heatmap.replaceChildren();
    table.replaceChildren();
    try {
      const result = await translator.translate(text.value, beam, {
        onStep: async ({ words: pieces, replaced }) => {
          showWords(pieces, replaced);
          await nextFrame();
        },
      });
      showSource(result.source, result.sourceUnknown);
      showWords(result.pieces, result.replaced);
      heatmap.replaceChildren(
        attentionMap(result.source, result.sourceUnknown, [...result.pieces, "</s>"], result.attention),
        el(
          "figcaption",
          {},
          `Attention: each row is one German ${translator.bpe ? "word piece (“@@” = continues)" : "word"}; darker cells are the English words it looked at (beam ${beam}, log-probability ${result.score.toFixed(2)}).`,
        ),
      );
      const target = [...result.pieces, "</s>"];
      table.replaceChildren(
        dataTable(
          "The attention weights in the heatmap",
          ["German ↓ / English →", ...result.source],
          result.attention.map((row, i) => [target[i] ?? "", ...row.map((w) => w.toFixed(2))]),
        ),
      );
      status.done(result);
    } finally {
      busy = false;
      button.disabled = false;
    }
  }

  function showSource(tokens, unknown) {
    sourceLine.replaceChildren(
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

  /** The sentence so far from its pieces; words holding a piece copied from the English marked. */
  function showWords(pieces, replaced) {
    const words = [];
    let current = { text: "", replaced: false };
    pieces.forEach((piece, i) => {
      const continues = piece.endsWith(SEP);
      current.text += continues ? piece.slice(0, -SEP.length) : piece;
      current.replaced ||= replaced[i];
      if (!continues) {
        words.push(current);
        current = { text: "", replaced: false };
      }
    });
    if (current.text) words.push(current);
    const parts = [];
    words.forEach((w, i) => {
      const shown = i === 0 ? w.text.slice(0, 1).toUpperCase() + w.text.slice(1) : w.text;
      if (i > 0 && !NO_SPACE_BEFORE.has(w.text)) parts.push(" ");
      parts.push(
        w.replaced
          ? el(
              "mark",
              {
                class: "rnn-tr-copied",
                title: "an unknown word: copied from the English",
              },
              shown,
            )
          : shown,
      );
    });
    output.replaceChildren(el("strong", {}, parts));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!busy && translator) run().catch(fail);
  });

  const load = async () => {
    const card = await model.card();
    if (card.tokenizer?.pattern !== TOKEN_PATTERN) {
      throw new DemoError("This page's tokenizer differs from the model's; reload the page.");
    }
    const [ort, encoder, decoder] = await Promise.all([
      loadOrt(),
      model.session("encoder"),
      model.session("decoder"),
    ]);
    translator = new BrowserTranslator(card, encoder, decoder, ort);
    status.info(
      `Model loaded: ${card.vocab.src.length.toLocaleString("en")} English and ${card.vocab.tgt.length.toLocaleString("en")} German words.`,
    );
    root.dataset.state = "ready";
    button.disabled = false;
    await run();
  };
  const start = () => load().catch((err) => (translator ? fail(err) : status.failLoad(err, start)));
  start();
}

/** SVG heatmap: one row per German word (and </s>), one column per English word. */
function attentionMap(source, unknown, target, attention) {
  const cell = 26;
  const left = 92;
  const top = 86;
  const width = left + cell * source.length + 8;
  const height = top + cell * attention.length + 8;
  const short = (t) => (t.length > 11 ? `${t.slice(0, 10)}…` : t);
  return svg(
    "svg",
    {
      class: "rnn-tr-heatmap",
      viewBox: `0 0 ${width} ${height}`,
      width,
      role: "img",
      "aria-label": `Attention of ${attention.length} German words over ${source.length} English words`,
    },
    [
      ...source.map((t, j) =>
        svg(
          "text",
          {
            x: left + cell * j + cell / 2,
            y: top - 6,
            transform: `rotate(-50 ${left + cell * j + cell / 2} ${top - 6})`,
            class: `rnn-tr-label${unknown[j] ? " rnn-tr-unknown" : ""}`,
          },
          short(t),
        ),
      ),
      ...attention.flatMap((row, i) => [
        svg(
          "text",
          { x: left - 6, y: top + cell * i + cell * 0.65, class: "rnn-tr-label rnn-tr-row" },
          short(target[i] ?? ""),
        ),
        ...row.map((w, j) =>
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
      ]),
    ],
  );
}
