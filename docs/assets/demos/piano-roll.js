// @ts-check
// What the music demo shows of a melody, DOM-free: the piano roll's geometry (time → x, pitch → y),
// the rows of its data table and the one-line texts. music.js turns these into SVG and HTML.

import { noteName } from "./melody.js";

/** @typedef {import("./melody.js").SeedEvent} SeedEvent */
/** @typedef {import("./melody.js").MelodyEvent} MelodyEvent */

/**
 * One note of the roll, in SVG units; `kind` picks its colour (seed, note, or a fermata).
 * @typedef {{x: string, y: string, width: string, height: string, kind: "seed" | "note" | "fermata", title: string}} RollNote
 */

const UNIT = 16; // SVG units per quarter note
const ROW = 10; // per semitone

/**
 * Seed notes then generated ones laid out on a roll at least one octave and a bit high (C4–C5
 * always shows) and at least 200 units wide; rests leave a gap.
 * @param {SeedEvent[]} seedEvents
 * @param {MelodyEvent[]} generated
 * @returns {{width: number, height: number, notes: RollNote[], label: string}}
 */
export function rollLayout(seedEvents, generated) {
  const all = [
    ...seedEvents.map(([p, d, f]) => ({ pitch: p, duration: d, fermata: f ?? 0, isSeed: true })),
    ...generated.map(([p, d, f]) => ({ pitch: p, duration: d, fermata: f, isSeed: false })),
  ];
  const pitches = all.flatMap((e) => (e.pitch === null ? [] : [e.pitch]));
  const low = Math.min(...pitches, 60) - 1;
  const high = Math.max(...pitches, 72) + 1;
  const total = all.reduce((t, e) => t + e.duration, 0) || 1;
  /** @type {RollNote[]} */
  const notes = [];
  let t = 0;
  for (const { pitch, duration, fermata, isSeed } of all) {
    if (pitch !== null) {
      notes.push({
        x: (t * UNIT).toFixed(1),
        y: ((high - pitch) * ROW).toFixed(1),
        width: Math.max(duration * UNIT - 1, 1).toFixed(1),
        height: String(ROW - 1),
        kind: isSeed ? "seed" : fermata ? "fermata" : "note",
        title: `${noteName(pitch)}, ${duration} beat${duration === 1 ? "" : "s"}${fermata ? ", fermata" : ""}`,
      });
    }
    t += duration;
  }
  return {
    width: Math.max(total * UNIT, 200),
    height: (high - low + 1) * ROW,
    notes,
    label: `Piano roll: ${seedEvents.length} seed notes, then ${generated.length} generated`,
  };
}

/**
 * The data table's rows: number, part, note name, beats, fermata.
 * @param {SeedEvent[]} seedEvents
 * @param {MelodyEvent[]} generated
 * @returns {(string | number)[][]}
 */
export function noteRows(seedEvents, generated) {
  const parts = [
    ...seedEvents.map(([p, d, f]) => ({ part: "seed", p, d, f })),
    ...generated.map(([p, d, f]) => ({ part: "generated", p, d, f })),
  ];
  return parts.map(({ part, p, d, f }, i) => [i + 1, part, noteName(p), d, f ? "yes" : ""]);
}

/**
 * The seed as text, "C5:1 B4:1 A4:1" (name:beats).
 * @param {SeedEvent[]} events
 */
export const seedText = (events) => events.map(([p, d]) => `${noteName(p)}:${d}`).join(" ");

/**
 * The generated melody as text: "| " before a note that starts a bar, "^" after a fermata.
 * @param {MelodyEvent[]} events
 */
export const melodyText = (events) =>
  events.map(([p, d, f, b]) => `${b ? "| " : ""}${noteName(p)}:${d}${f ? "^" : ""}`).join(" ");
