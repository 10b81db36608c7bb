// node --test tests/js: the speech demo's input checks and the numbers behind its charts, against
// rnn_site.data.audio and rnn_site.decoding (values computed with Python, shown next to each case).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  checkBeam,
  checkSamples,
  likeliest,
  melCentres,
  microphoneMessage,
  posteriorRows,
  spectrogramSummary,
  speechSpan,
  TRIM,
  visibleClasses,
} from "../../docs/assets/demos/speech-logic.js";

const close = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("mel band centres are rnn_site.data.audio.mel_filterbank's", () => {
  // mel_to_hz(np.linspace(hz_to_mel(20), hz_to_mel(7600), 42))[1:-1][[0, 4, 5, 9, 35, 39]]
  const python = [
    64.23817998803496, 270.0936608580235, 329.69807471120265, 607.0579317179471, 5460.229925339762,
    7119.551752954244,
  ];
  const centres = melCentres(40);
  assert.equal(centres.length, 40);
  [0, 4, 5, 9, 35, 39].forEach((m, i) => close(centres[m], python[i]));
});

test("the spectrogram summary averages 100 ms × 5-band blocks, the last block short", () => {
  // data = (np.arange(23 * 40) % 13 / 4).reshape(23, 40); blocks of 10 frames × 5 bands, mean.
  const frames = 23;
  const mels = 40;
  const data = Float32Array.from({ length: frames * mels }, (_, i) => (i % 13) / 4);
  const { bands, rows } = spectrogramSummary(data, frames, mels);
  const python = [
    [1.56, 1.575, 1.265, 1.735, 1.425, 1.44, 1.65, 1.275],
    [1.265, 1.735, 1.425, 1.44, 1.65, 1.275, 1.68, 1.5],
    [2.283333333333333, 0.7166666666666667, 1.75, 1.7, 1.0, 2.25, 0.9, 1.5],
  ];
  assert.deepEqual(
    rows.map((r) => r.start),
    [0, 0.1, 0.2],
  );
  rows.forEach((r, i) => r.values.forEach((v, g) => close(v, python[i][g], 1e-12)));
  assert.equal(bands.length, 8);
  close(bands[0].lowHz, 64.23817998803496);
  close(bands[0].highHz, 270.0936608580235);
  close(bands[1].lowHz, 329.69807471120265);
  close(bands[7].highHz, 7119.551752954244);
});

test("posteriors, the likeliest symbol per step and the rows worth drawing", () => {
  const logProbs = Float32Array.from([0.7, 0.2, 0.1, 0.04, 0.5, 0.5, 0.9, 0.06, 0.04].map(Math.log));
  const rows = posteriorRows(logProbs, 3, 3);
  rows.flat().forEach((p, i) => close(p, [0.7, 0.2, 0.1, 0.04, 0.5, 0.5, 0.9, 0.06, 0.04][i], 1e-7));
  // Ties go to the first class, as numpy's argmax (and ctc.js's greedy decoding).
  assert.deepEqual(
    likeliest(rows).map(({ step, best }) => [step, best]),
    [
      [0, 0],
      [1, 1],
      [2, 0],
    ],
  );
  assert.deepEqual(visibleClasses(rows), [0, 1, 2]);
  assert.deepEqual(visibleClasses(rows, 0.3), [0, 1, 2]);
  assert.deepEqual(visibleClasses(rows, 0.55), [0]);
});

test("bad clips and beam widths get the runtime's limits", () => {
  assert.throws(() => checkSamples(new Float32Array(0)), { message: /The clip is empty/ });
  assert.throws(() => checkSamples(new Float32Array(399)), { message: /Too short: at least 25 ms/ });
  assert.throws(() => checkSamples(new Float32Array(30 * 16000 + 1)), {
    message: "Too long: 30.0 s; at most 30 s is accepted.",
  });
  assert.throws(() => checkSamples(Float32Array.from({ length: 400 }, (_, i) => (i === 9 ? NaN : 0))), {
    message: /invalid \(NaN\)/,
  });
  assert.equal(checkSamples(new Float32Array(400)).length, 400);
  assert.equal(checkBeam("32"), 32);
  assert.throws(() => checkBeam("33"), {
    message: "The beam width must be a whole number from 1 (greedy) to 32.",
  });
});

test("microphone failures become the reader's message", () => {
  const named = (name) => Object.assign(new Error("x"), { name });
  assert.match(microphoneMessage(named("NotAllowedError")), /access was denied/);
  assert.match(microphoneMessage(named("OverconstrainedError")), /No microphone was found/);
  assert.match(microphoneMessage(named("NotReadableError")), /busy or unavailable/);
  assert.equal(microphoneMessage(new Error("boom")), "The microphone could not be started: boom");
});

test("speechSpan cuts silence by the rules of rnn_site.data.speech_trim.speech_span", () => {
  // x = hiss·sin(1.7 i) + 0.5·sin(0.3 i)·sin(π (i − lead) / body) for lead ≤ i < lead + body, as
  // float32; spans from speech_span(x, TrimSettings()) (the fixed -40 dB level),
  // speech_span(x, TrimSettings(threshold_db=-30, margin_s=0.02)) and speech_span(x) (the
  // published settings, with the noise floor): tests/test_speech_silence.py's cases.
  const signal = (/** @type {number[]} */ [n, lead, body, hiss]) =>
    Float32Array.from({ length: n }, (_, i) => {
      const inside = i >= lead && i < lead + body;
      const burst = inside ? 0.5 * Math.sin(i * 0.3) * Math.sin((Math.PI * (i - lead)) / body) : 0;
      return hiss * Math.sin(i * 1.7) + burst;
    });
  /** [n, lead, body, hiss] → [fixed span, tight span, published span] */
  const cases = new Map([
    ["16000 6000 3000 0", "4640 10400 | 5600 9280 | 4640 10400"],
    ["16000 6000 3000 1e-3", "4640 10400 | 5600 9280 | 4640 10400"],
    // Hiss 34 dB under the burst's peak is "speech" at −40 dB; the noise floor cuts it.
    ["16000 6000 3000 1e-2", "0 16000 | 5600 9280 | 4640 10240"],
    // 24 dB under the peak: above the noise floor's −30 dB ceiling, nothing is cut.
    ["16000 6000 3000 3e-2", "0 16000 | 0 16000 | 0 16000"],
    ["5000 100 4800 0", "0 5000 | 0 5000 | 0 5000"],
    ["12345 0 700 1e-4", "0 2080 | 0 1120 | 0 2080"],
    ["16000 15900 100 0", "14560 16000 | 15520 16000 | 14560 16000"],
  ]);
  const fixed = { frame: 160, threshold_db: -40, margin_s: 0.08 };
  const tight = { frame: 160, threshold_db: -30, margin_s: 0.02 };
  const numbers = (/** @type {string} */ text) => text.split(" ").map(Number);
  for (const [args, spans] of cases) {
    const x = signal(numbers(args));
    const got = [speechSpan(x, fixed), speechSpan(x, tight), speechSpan(x)];
    assert.equal(got.map((span) => span.join(" ")).join(" | "), spans, args);
  }
  assert.deepEqual(speechSpan(new Float32Array(1000)), [0, 1000]);
  assert.deepEqual(speechSpan(new Float32Array(1000).fill(1)), [0, 1000]);
  assert.deepEqual(speechSpan(new Float32Array(0)), [0, 0]);
  // The fallback for an old card is the published card's own trim.
  const card = JSON.parse(readFileSync(new URL("../../models/speech/card.json", import.meta.url), "utf8"));
  assert.deepEqual(TRIM, card.audio.trim);
});

test("speechSpan's ceiling keeps quiet speech in a clip without silence", () => {
  // The first 0.2 s at -26 dB, the rest full: tests/test_speech_noise_floor.py's case.
  const x = Float32Array.from({ length: 8000 }, (_, i) => (i < 3200 ? 0.05 : 1) * 0.5 * Math.sin(i * 0.3));
  assert.deepEqual(speechSpan(x), [0, 8000]);
  assert.deepEqual(speechSpan(x, { ...TRIM, ceiling_db: 0 }), [1920, 8000]);
});

test("speechSpan refuses a floor_quantile outside [0, 1], as TrimSettings does", () => {
  const x = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin(i * 0.3));
  for (const q of [-0.1, 1.5, Number.NaN]) {
    assert.throws(() => speechSpan(x, { ...TRIM, floor_quantile: q }), {
      name: "DemoError",
      message: `The card's audio.trim.floor_quantile is ${q}; a quantile from 0 to 1 is accepted.`,
    });
    assert.throws(() => speechSpan(new Float32Array(0), { ...TRIM, floor_quantile: q }), {
      name: "DemoError",
    });
  }
  // Both ends are quantiles: the quietest frame, and the loudest (whose level is the ceiling).
  assert.deepEqual(speechSpan(x, { ...TRIM, floor_quantile: 0 }), [0, 8000]);
  assert.deepEqual(speechSpan(x, { ...TRIM, floor_quantile: 1 }), [0, 8000]);
});
