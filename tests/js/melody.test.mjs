// node --test tests/js: the music demo's model side (melody.js) and what it shows (piano-roll.js)
// against the Python runtime: tokens, greedy decoding through the real step graph in
// onnxruntime-web, MIDI bytes, the note schedule and the roll's geometry.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as ort from "onnxruntime-web";

import { shippedModel } from "./shipped-model.mjs";

import * as melody from "../../docs/assets/demos/melody.js";
import { melodyText, noteRows, rollLayout, seedText } from "../../docs/assets/demos/piano-roll.js";

const { card, bytes } = shippedModel("melody");
const tokens = new melody.MelodyTokens(card);

test("note names and token kinds follow MelodyVocab", () => {
  assert.equal(melody.noteName(60), "C4");
  assert.equal(melody.noteName(70), "Bb4");
  assert.equal(melody.noteName(null), "rest");
  assert.deepEqual(["p60", "rest", "d1.5", "bar", "<eos>"].map(melody.tokenKind), [
    "pitch",
    "pitch",
    "duration",
    "bar",
    "<eos>",
  ]);
});

test("encode marks bars after the pickup; decode reads events back", () => {
  // 3/4 with a one-beat pickup: bar lines before the 2nd and 4th notes (offsets 1 and 4).
  const seed = [
    [72, 1, 0],
    [72, 2, 0],
    [79, 1, 1],
    [null, 1, 0],
  ];
  const ids = tokens.encode("major", seed, 3, 1);
  const names = ids.map((i) => card.tokens[i]);
  assert.deepEqual(names, [
    "<bos>",
    "major",
    "p72",
    "d1",
    "bar",
    "p72",
    "d2",
    "p79",
    "d1",
    "fermata",
    "bar",
    "rest",
    "d1",
  ]);
  assert.deepEqual(tokens.decode(ids), [
    [72, 1, 0, 0],
    [72, 2, 0, 1],
    [79, 1, 1, 0],
    [null, 1, 0, 1],
  ]);
  assert.throws(() => tokens.encode("major", [[20, 1, 0]]), /does not know the note G#0/);
  assert.throws(() => tokens.encode("major", [[60, 0.3, 0]]), /duration of 0.3/);
});

let session = null;

/** The real step graph, as the page runs it, from a fresh (zero) state. */
async function stepper() {
  ort.env.wasm.numThreads = 1;
  session ??= await ort.InferenceSession.create(bytes("step"));
  return melody.melodyStepper(ort, session, card.config);
}

test("greedy decoding through the step graph equals the Python runtime's example", async () => {
  const example = card.example_greedy; // written by rnn_site.export.melody with MelodyModel.generate
  const generated = await melody.sampleMelody(await stepper(), tokens, {
    mode: example.mode,
    seedEvents: example.seed,
    beatsPerBar: example.beats_per_bar,
    pickup: example.pickup,
    length: example.n,
    temperature: 0,
    seed: 1,
  });
  assert.deepEqual(
    generated.map(([p, d, f]) => [p, d, f]),
    example.output,
  );
});

test("sampling keeps the grammar, makes exactly n events, and a seed reproduces it", async () => {
  const request = { mode: "minor", seedEvents: [], beatsPerBar: 4, pickup: 0, length: 40, temperature: 1.5 };
  const step = await stepper();
  const a = await melody.sampleMelody(step, tokens, { ...request, seed: 7 });
  const b = await melody.sampleMelody(await stepper(), tokens, { ...request, seed: 7 });
  const c = await melody.sampleMelody(await stepper(), tokens, { ...request, seed: 8 });
  assert.equal(a.length, 40);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const [pitch, duration, fermata, bar] of a) {
    assert.ok(pitch === null || tokens.pitches.includes(pitch), `pitch ${pitch}`);
    assert.ok(tokens.durations.includes(duration), `duration ${duration}`);
    assert.ok([0, 1].includes(fermata) && [0, 1].includes(bar));
  }
});

test("MIDI bytes equal rnn_site.runtime.midi.melody_to_midi's", () => {
  // melody_to_midi([Event(60, 1.0), Event(None, 0.5), Event(62, 1.5, True), Event(None, 2.0),
  //                 Event(None, 1.0), Event(64, 8.0)], time_signature=(3, 4)).hex()
  const python =
    "4d546864000000060000000101e04d54726b0000003300ff51030b71b000ff58040302180800c00000903c508360" +
    "803c008170903e508550803e008b209040509e0080400000ff2f00";
  const events = [
    [60, 1, 0],
    [null, 0.5, 0],
    [62, 1.5, 1],
    [null, 2, 0],
    [null, 1, 0],
    [64, 8, 0],
  ];
  assert.equal(Buffer.from(melody.melodyToMidi(events, { beatsPerBar: 3 })).toString("hex"), python);
  // melody_to_midi([Event(60, 1.0)]).hex(): 4/4 by default
  assert.equal(
    Buffer.from(melody.melodyToMidi([[60, 1, 0]])).toString("hex"),
    "4d546864000000060000000101e04d54726b0000001f00ff51030b71b000ff58040402180800c00000903c508360803c0000ff2f00",
  );
});

test("the player's schedule: 80 beats a minute, rests move time, a fermata holds longer", () => {
  const { notes, end } = melody.noteSchedule([
    [69, 1, 0],
    [null, 1, 0],
    [81, 2, 1],
  ]);
  assert.deepEqual(notes, [
    { frequency: 440, start: 0, length: 0.75 },
    { frequency: 880, start: 1.5, length: 2.25 },
  ]);
  assert.equal(end, 3.75);
});

test("the piano roll places each note by time and pitch, seed and fermatas marked", () => {
  const layout = rollLayout(
    [[60, 1, 0]],
    [
      [null, 0.5, 0, 0],
      [74, 2, 1, 1],
    ],
  );
  // Pitches 59..75 (C4–C5 always shown, one row of margin): 17 rows of 10; 3.5 beats < 200 units.
  assert.equal(layout.height, 170);
  assert.equal(layout.width, 200);
  assert.deepEqual(layout.notes, [
    { x: "0.0", y: "150.0", width: "15.0", height: "9", kind: "seed", title: "C4, 1 beat" },
    { x: "24.0", y: "10.0", width: "31.0", height: "9", kind: "fermata", title: "D5, 2 beats, fermata" },
  ]);
  assert.equal(layout.label, "Piano roll: 1 seed notes, then 2 generated");
  assert.deepEqual(
    noteRows(
      [[60, 1, 0]],
      [
        [null, 0.5, 0, 0],
        [74, 2, 1, 1],
      ],
    ),
    [
      [1, "seed", "C4", 1, ""],
      [2, "generated", "rest", 0.5, ""],
      [3, "generated", "D5", 2, "yes"],
    ],
  );
  assert.equal(seedText([[60, 1, 0]]), "C4:1");
  assert.equal(
    melodyText([
      [null, 0.5, 0, 0],
      [74, 2, 1, 1],
    ]),
    "rest:0.5 | D5:2^",
  );
});
