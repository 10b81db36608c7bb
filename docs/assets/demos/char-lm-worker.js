// @ts-check
// Module worker for the character language model: loads the model, streams generated text one
// character at a time through the step graph, and computes per-character hidden states through
// the sequence graph. Running here keeps the page responsive while onnxruntime works.

import { checkSettings, mulberry32, sampleNext, softmax, topK, Vocab } from "./char-lm.js";
import { serve, transferable, yieldToEventLoop } from "./rpc.js";
import { DemoError, loadOrt, Model } from "./runtime.js";
import { OwnModel } from "./own-model.js";

const FLUSH_MS = 30; // send text to the page ~30 times a second: smooth, and cheap for the page

/** @typedef {import("./card-types.js").TextGenerationCard} TextGenerationCard */
/** @typedef {import("./runtime.js").Ort} Ort */
/** @typedef {import("onnxruntime-web").Tensor} Tensor */
/** A site model or a reader's own: both have name, card() and session(role). */
/** @typedef {Model<TextGenerationCard> | OwnModel} CharModel */
/** @typedef {{model: CharModel, card: TextGenerationCard, vocab: Vocab}} Opened */

/** @type {CharModel | null} */
let model = null;
/** @type {TextGenerationCard | null} */
let card = null;
/** @type {(data: unknown, transfer?: Transferable[]) => void} */
let emitProgress = () => {}; // progress goes to whichever call is loading right now
let stopRequested = false;
/** Readers' own models (see own-model.js), by the unique name the page gave each. */
/** @type {Map<string, OwnModel>} */
const ownModels = new Map();
/**
 * The site's models opened here, by name: one worker (one onnxruntime-web instance, one WASM
 * download and compile) serves every model of a page, and switching keeps each one's sessions.
 * @type {Map<string, Model<TextGenerationCard>>}
 */
const siteModels = new Map();

/**
 * Make `name` the current model: its card loaded, its vocabulary built.
 * @param {string} name
 * @returns {Promise<Opened>}
 */
async function open(name) {
  if (!model || model.name !== name) {
    if (!ownModels.has(name) && !siteModels.has(name)) {
      siteModels.set(name, new Model(name, { onProgress: (p) => emitProgress({ type: "progress", ...p }) }));
    }
    model = /** @type {CharModel} */ (ownModels.get(name) ?? siteModels.get(name));
    card = null;
  }
  card ??= await model.card();
  return { model, card, vocab: new Vocab(card.vocab) };
}

/**
 * A zero state tensor [layers, 1, hidden] for `card`'s model.
 * @param {Ort} ort
 * @param {TextGenerationCard} card
 * @returns {Tensor}
 */
function zeros(ort, card) {
  const { num_layers: layers, hidden_size: hidden } = card.config;
  return new ort.Tensor("float32", new Float32Array(layers * hidden), [layers, 1, hidden]);
}

/**
 * Zero states for the step graph, one per state input of the card's contract: {h, c} for the
 * LSTM, {h} for the minGRU. Each comes back from the graph as `<name>_out`.
 * @param {Ort} ort
 * @param {TextGenerationCard} card
 * @returns {Record<string, Tensor>}
 */
function zeroStates(ort, card) {
  const names = Object.keys(card.io.step.inputs).filter((name) => name !== "token");
  return Object.fromEntries(names.map((name) => [name, zeros(ort, card)]));
}

serve({
  /**
   * A reader's own model, its files already checked on the page: open its graphs here and check
   * them against its card, so a mismatch is reported before any run. Nothing is downloaded.
   */
  async own({ name, card, graphs }) {
    const own = new OwnModel(name, card, graphs);
    await own.open();
    ownModels.set(name, own);
    return { name };
  },

  /** Load the card (vocabulary, sizes); graphs load lazily on first use. */
  async load({ model: name }) {
    const { vocab: chars, config, version, title } = (await open(name)).card;
    return { vocab: chars, config, version, title };
  },

  /**
   * Load the runtime and one graph ("step" unless `role` says otherwise) ahead of the first run:
   * the slow part, WASM start-up, then happens while the reader is still reading.
   */
  async prepare({ model: name, role = "step" }, emit) {
    emitProgress = emit;
    const { model, card } = await open(name);
    await Promise.all([loadOrt(), model.session(role)]);
    return { vocab: card.vocab };
  },

  /**
   * Generate `length` characters after `prompt`, emitting {type: "text", text, top} as it goes.
   * The prompt primes the state through the same step graph, so greedy output matches the
   * Python runtime character for character.
   */
  async generate(request, emit) {
    const called = performance.now();
    stopRequested = false;
    emitProgress = emit;
    const { model, card, vocab } = await open(request.model);
    const settings = checkSettings(request, vocab.size);
    const promptIds = vocab.encode(settings.prompt); // unknown characters fail before any download
    const [ort, session] = await Promise.all([loadOrt(), model.session("step")]);
    emit({ type: "ready" });

    const started = performance.now();
    const readyMs = started - called;
    let states = zeroStates(ort, card);
    /** @type {Float32Array | null} */
    let logits = null;
    /** @type {(id: number) => Promise<void>} */
    const step = async (id) => {
      const token = new ort.Tensor("int64", BigInt64Array.of(BigInt(id)), [1]);
      const out = await session.run({ token, ...states });
      states = Object.fromEntries(Object.keys(states).map((name) => [name, out[`${name}_out`]]));
      logits = /** @type {Float32Array} */ (out.logits.data);
    };
    for (const id of promptIds) await step(id);

    // The prompt has at least one character (checkSettings), so the loop above set the logits.
    const last = () => /** @type {Float32Array} */ (logits);
    const random = mulberry32(settings.seed);
    /** @type {number[]} */
    const ids = [];
    let pending = "";
    let lastFlush = performance.now();
    /** @type {number | null} */
    let firstCharMs = null;
    const generationStart = performance.now();
    const flush = () => {
      const top = topK(softmax(last()), 5).map(([id, p]) => [vocab.chars[id], p]);
      emit({ type: "text", text: pending, top });
      pending = "";
      lastFlush = performance.now();
    };
    for (let i = 0; i < settings.length && !stopRequested; i++) {
      const id = sampleNext(last(), settings, random);
      ids.push(id);
      pending += vocab.chars[id];
      if (firstCharMs === null) {
        firstCharMs = performance.now() - called;
        flush(); // the first character shows at once, not after the first batch
      } else if (performance.now() - lastFlush >= FLUSH_MS) {
        flush();
        await yieldToEventLoop(); // lets a "stop" message in
      }
      if (i + 1 < settings.length) await step(id);
    }
    if (pending) flush();
    const seconds = (performance.now() - generationStart) / 1000;
    return {
      text: vocab.decode(ids),
      stopped: stopRequested,
      charsPerSecond: ids.length / Math.max(seconds, 1e-6),
      // Where the wait before the first character went (ms since this call): loading and
      // opening the model, then reading the prompt. The benchmark prints them.
      readyMs,
      firstCharMs,
    };
  },

  /**
   * Per-character h and c of every layer for `text`, from one run of the sequence graph.
   * With `gates: true` also the gates i, f, g, o (same layout), for the LSTM cell explorer.
   */
  async states({ model: name, text, gates = false }, emit) {
    emitProgress = emit;
    const { model, card, vocab } = await open(name);
    if (!text) throw new DemoError("There is no text to analyse yet.");
    const ids = vocab.encode(text);
    const [ort, session] = await Promise.all([loadOrt(), model.session("sequence")]);
    const tokens = new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const gateNames = gates ? ["i", "f", "g", "o"] : [];
    const out = await session.run({ tokens, h0: zeros(ort, card), c0: zeros(ort, card) }, [
      "h_seq",
      "c_seq",
      ...gateNames.map((g) => `${g}_gate`),
    ]);
    /** @type {(data: Tensor["data"]) => Float32Array} */
    const own = (data) => {
      const values = /** @type {Float32Array} */ (data); // the graph's h/c/gate outputs are float32
      return values.byteOffset === 0 && values.byteLength === values.buffer.byteLength
        ? values
        : values.slice();
    };
    const h = own(out.h_seq.data);
    const c = own(out.c_seq.data);
    const [, steps, layers, units] = out.h_seq.dims;
    /** @type {Record<string, number | Float32Array>} */
    const result = { steps, layers, units, h, c };
    for (const g of gateNames) result[g] = own(out[`${g}_gate`].data);
    return transferable(
      result,
      [h, c, ...gateNames.map((g) => /** @type {Float32Array} */ (result[g]))].map((a) => a.buffer),
    );
  },

  stop() {
    stopRequested = true;
  },
});
