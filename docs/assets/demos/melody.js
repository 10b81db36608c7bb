// @ts-check
// The melody model's side of the music demo, DOM-free so that `node --test` runs it: note names,
// the card's token vocabulary and grammar, grammar-masked sampling, the step graph's state, MIDI
// bytes and the note schedule a player sounds.
//
// Decoding follows rnn_site/runtime/melody.py exactly (grammar mask, then char-lm.js's
// sampleNext: greedy at temperature 0), so greedy output matches the Python runtime, and
// melodyToMidi writes the bytes of rnn_site/runtime/midi.py's melody_to_midi.

import { mulberry32, sampleNext } from "./char-lm.js";
import { DemoError } from "./runtime.js";

/**
 * One note or rest of a seed: [MIDI pitch or null for a rest, duration in quarter notes,
 * fermata 1/0 (optional)].
 * @typedef {[pitch: number | null, duration: number, fermata?: number]} SeedEvent
 */

/**
 * One decoded note or rest: [pitch | null, duration, fermata 0/1, starts a bar 0/1].
 * @typedef {[pitch: number | null, duration: number, fermata: number, bar: number]} MelodyEvent
 */

/**
 * The parts of the melody card this module reads.
 * @typedef {Pick<import("./card-types.js").MusicGenerationCard, "tokens" | "grammar" | "config">} MelodyCard
 */

/**
 * What a generation needs besides the model.
 * @typedef {object} MelodyRequest
 * @property {string} mode  "major" or "minor"
 * @property {SeedEvent[]} seedEvents
 * @property {number} beatsPerBar
 * @property {number} pickup  quarters before the first bar line
 * @property {number} length  events to generate
 * @property {number} temperature
 * @property {number} seed
 */

export const NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"];
export const LIMITS = { length: 256, temperature: 3, seed: 2 ** 32 - 1, seedNotes: 32 };
export const TEMPO_BPM = 80;
const TICKS = 480;

/**
 * "C4" for MIDI 60, "rest" for null.
 * @param {number | null} pitch
 */
export const noteName = (pitch) =>
  pitch === null ? "rest" : `${NOTE_NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;

/**
 * "pitch" (pitches and rest), "duration", or the token's own name — as MelodyVocab.kind.
 * @param {string} name
 */
export function tokenKind(name) {
  if (name === "rest" || /^p\d+$/.test(name)) return "pitch";
  if (/^d[\d.]+$/.test(name)) return "duration";
  return name;
}

/** Token vocabulary and grammar from the card; events ↔ ids as rnn_site.data.chorales does. */
export class MelodyTokens {
  /** @param {MelodyCard} card */
  constructor(card) {
    this.names = card.tokens;
    this.ids = new Map(this.names.map((n, i) => [n, i]));
    this.kinds = this.names.map(tokenKind);
    this.pitches = this.names.filter((n) => /^p\d+$/.test(n)).map((n) => Number(n.slice(1)));
    this.durations = this.names.filter((n) => tokenKind(n) === "duration").map((n) => Number(n.slice(1)));
    /** allowed[k][j]: may token j follow a token of kind k? (<eos> never: n events exactly) @type {Record<string, boolean[]>} */
    this.allowed = {};
    for (const [kind, follows] of Object.entries(card.grammar)) {
      this.allowed[kind] = this.kinds.map((k) => k !== "<eos>" && follows.includes(k));
    }
  }

  /**
   * The id of a token the card must have.
   * @param {string} name
   * @returns {number}
   */
  id(name) {
    const id = this.ids.get(name);
    if (id === undefined) throw new DemoError(`The model's vocabulary has no "${name}" token.`);
    return id;
  }

  /**
   * Ids for the seed, with bar lines every `beatsPerBar` quarters after `pickup` quarters
   * (mark_bars in Python).
   * @param {string} mode
   * @param {SeedEvent[]} events
   * @returns {number[]}
   */
  encode(mode, events, beatsPerBar = 4, pickup = 0) {
    const ids = [this.id("<bos>"), this.id(mode)];
    let offset = 0;
    for (const [pitch, duration, fermata] of events) {
      const bar = offset >= pickup && Math.abs((offset - pickup) % beatsPerBar) < 1e-9;
      if (bar) ids.push(this.id("bar"));
      const p = pitch === null ? "rest" : `p${pitch}`;
      const d = `d${Number(duration)}`;
      if (!this.ids.has(p)) {
        throw new DemoError(
          `The model does not know the note ${noteName(pitch)} (it knows MIDI ${this.pitches[0]}–${this.pitches.at(-1)}).`,
        );
      }
      if (!this.ids.has(d))
        throw new DemoError(`The model does not know a duration of ${duration} quarter notes.`);
      ids.push(this.id(p), this.id(d));
      if (fermata) ids.push(this.id("fermata"));
      offset += duration;
    }
    return ids;
  }

  /**
   * Token ids → events; a fermata before the first note is dropped.
   * @param {number[]} ids
   * @returns {MelodyEvent[]}
   */
  decode(ids) {
    /** @type {MelodyEvent[]} */
    const events = [];
    /** @type {number | null} */
    let pitch = null;
    let havePitch = false;
    let bar = 0;
    for (const id of ids) {
      const name = this.names[id];
      const kind = this.kinds[id];
      if (name === "bar") bar = 1;
      else if (kind === "pitch") {
        pitch = name === "rest" ? null : Number(name.slice(1));
        havePitch = true;
      } else if (kind === "duration" && havePitch) {
        events.push([pitch, Number(name.slice(1)), 0, bar]);
        havePitch = false;
        bar = 0;
      } else if (name === "fermata" && events.length) events[events.length - 1][2] = 1;
    }
    return events;
  }
}

/**
 * Generate `length` events after the seed; same rules as MelodyModel.generate: after each token,
 * only the kinds the grammar allows may follow, and generation ends after `length` durations.
 * @param {(id: number) => Promise<ArrayLike<number>>} step  feeds one token, returns the next logits
 * @param {MelodyTokens} tokens
 * @param {MelodyRequest} request
 * @returns {Promise<MelodyEvent[]>}
 */
export async function sampleMelody(
  step,
  tokens,
  { mode, seedEvents, beatsPerBar, pickup, length, temperature, seed },
) {
  const ids = tokens.encode(mode, seedEvents, beatsPerBar, pickup);
  /** @type {ArrayLike<number>} */
  let logits = [];
  for (const id of ids) logits = await step(id);
  const random = mulberry32(seed);
  /** @type {number[]} */
  const out = [];
  let previous = ids[ids.length - 1];
  for (let made = 0; made < length;) {
    const allowed = tokens.allowed[tokens.kinds[previous]];
    const masked = Float64Array.from(logits, (v, j) => (allowed[j] ? v : -Infinity));
    const id = sampleNext(masked, { temperature, topK: 0 }, random);
    out.push(id);
    if (tokens.kinds[id] === "duration") made += 1;
    if (made < length) logits = await step(id);
    previous = id;
  }
  while (out.length && tokens.names[out[0]] === "fermata") out.shift();
  return tokens.decode(out);
}

/**
 * The step graph as a function token → logits that carries the LSTM state (h, c) between calls,
 * starting from zeros: what sampleMelody feeds.
 * @param {import("./runtime.js").Ort} ort  onnxruntime-web (loadOrt())
 * @param {import("./runtime.js").InferenceSession} session  the card's "step" graph
 * @param {MelodyCard["config"]} config
 * @returns {(id: number) => Promise<Float32Array>}
 */
export function melodyStepper(ort, session, { num_layers: layers, hidden_size: hidden }) {
  /** @type {import("onnxruntime-web").Tensor} */
  let h = new ort.Tensor("float32", new Float32Array(layers * hidden), [layers, 1, hidden]);
  /** @type {import("onnxruntime-web").Tensor} */
  let c = new ort.Tensor("float32", new Float32Array(layers * hidden), [layers, 1, hidden]);
  return async (id) => {
    const token = new ort.Tensor("int64", BigInt64Array.from([BigInt(id)]), [1]);
    const out = await session.run({ token, h, c });
    h = out.h_out;
    c = out.c_out;
    return /** @type {Float32Array} */ (out.logits.data);
  };
}

/**
 * MIDI variable-length quantity.
 * @param {number} value
 */
function vlq(value) {
  const out = [value & 0x7f];
  for (value >>= 7; value; value >>= 7) out.unshift(0x80 | (value & 0x7f));
  return out;
}

/**
 * Format-0 MIDI bytes: the same bytes as rnn_site/runtime/midi.py's melody_to_midi.
 * @param {(SeedEvent | MelodyEvent)[]} events
 * @param {{tempoBpm?: number, beatsPerBar?: number}} [options]
 */
export function melodyToMidi(events, { tempoBpm = TEMPO_BPM, beatsPerBar = 4 } = {}) {
  const tempo = Math.round(60_000_000 / tempoBpm);
  const track = [0, 0xff, 0x51, 3, (tempo >> 16) & 255, (tempo >> 8) & 255, tempo & 255];
  track.push(0, 0xff, 0x58, 4, beatsPerBar, 2, 24, 8, 0, 0xc0, 0);
  let pending = 0;
  for (const [pitch, duration] of events) {
    const ticks = Math.round(duration * TICKS);
    if (pitch === null) {
      pending += ticks;
      continue;
    }
    track.push(...vlq(pending), 0x90, pitch, 80, ...vlq(ticks), 0x80, pitch, 0);
    pending = 0;
  }
  track.push(...vlq(pending), 0xff, 0x2f, 0);
  /** @param {number} n */
  const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const header = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, 0, 0, 1, TICKS >> 8, TICKS & 255];
  return new Uint8Array([...header, 0x4d, 0x54, 0x72, 0x6b, ...u32(track.length), ...track]);
}

/**
 * When each note sounds, in seconds from the start, and at what frequency (equal temperament,
 * A4 = 440 Hz); rests only move time on, and a fermata holds its note half as long again.
 * @param {(SeedEvent | MelodyEvent)[]} events
 * @returns {{notes: {frequency: number, start: number, length: number}[], end: number}}
 */
export function noteSchedule(events, tempoBpm = TEMPO_BPM) {
  const beat = 60 / tempoBpm;
  const notes = [];
  let t = 0;
  for (const [pitch, duration, fermata] of events) {
    const length = duration * beat * (fermata ? 1.5 : 1);
    if (pitch !== null) notes.push({ frequency: 440 * 2 ** ((pitch - 69) / 12), start: t, length });
    t += length;
  }
  return { notes, end: t };
}
