// @ts-check
// The speech demo's logic, DOM-free: input checks with the limits of rnn_site/runtime/speech.py,
// the silence trim of rnn_site/data/speech_trim.py, the microphone's error messages, and the
// numbers behind the two charts (posteriors per step, the spectrogram summarised per 100 ms and
// band group, the mel bands of rnn_site/data/audio.py).
// CTC decoding itself is in ctc.js. Checked against Python by tests/js/speech-logic.test.mjs.

import { checkBeamWidth } from "./input-checks.js";
import { DemoError } from "./runtime.js";

export const SAMPLE_RATE = 16000;
/** The same limits as rnn_site/runtime/speech.py. */
export const MAX_SECONDS = 30;
export const MIN_SAMPLES = 400;
export const MAX_BEAM = 32;
/** rnn_site/data/audio.py: 10 ms per feature frame, 40 mel bands from 20 Hz to 7.6 kHz. */
export const FRAME_SECONDS = 0.01;
export const F_MIN = 20;
export const F_MAX = 7600;

/**
 * How silence around speech is cut (rnn_site/data/speech_trim.py; the card's `audio.trim`).
 * Without `floor_quantile` the noise floor is off (cards exported before it).
 * @typedef {{frame: number, threshold_db: number, margin_s: number, floor_quantile?: number,
 *   floor_margin_db?: number, ceiling_db?: number}} TrimSettings
 */
/** @type {TrimSettings} The published settings, for a card that predates them. */
export const TRIM = {
  frame: 160,
  threshold_db: -40,
  margin_s: 0.08,
  floor_quantile: 0.1,
  floor_margin_db: 6,
  ceiling_db: -30,
};

/**
 * Where the speech is in 16 kHz `samples`, with `margin_s` of what surrounds it: [start, stop).
 * A 10 ms frame is speech when its mean power is at most `threshold_db` below the loudest
 * frame's (the features are normalised by the clip's mean, so long silence changes what the
 * model hears) and, with `floor_quantile`, `floor_margin_db` over the noise floor (that
 * quantile of the frame powers) up to `ceiling_db` below the loudest, so hiss is cut too.
 * The whole clip when nothing stands out or less than 25 ms would be kept.
 * rnn_site.data.speech_trim.speech_span, rule for rule; a `floor_quantile` outside [0, 1]
 * throws a DemoError, as TrimSettings raises InvalidTrimSettingsError.
 * @param {ArrayLike<number>} samples
 * @param {TrimSettings} [trim]
 * @returns {[number, number]}
 */
export function speechSpan(samples, trim = TRIM) {
  const q = trim.floor_quantile;
  // Outside [0, 1] the index falls off the sorted powers and the clip would be kept whole
  // without a word: say what is wrong instead (rnn_site.data.speech_trim refuses it too).
  if (q !== undefined && (typeof q !== "number" || !(q >= 0 && q <= 1))) {
    throw new DemoError(`The card's audio.trim.floor_quantile is ${q}; a quantile from 0 to 1 is accepted.`);
  }
  const n = samples.length;
  if (n === 0) return [0, 0];
  const frames = Math.ceil(n / trim.frame);
  const power = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    const end = Math.min(n, (f + 1) * trim.frame);
    let sum = 0;
    for (let i = f * trim.frame; i < end; i++) sum += samples[i] * samples[i];
    power[f] = sum / (end - f * trim.frame);
  }
  const loudest = Math.max(...power);
  if (loudest === 0) return [0, n];
  let level = loudest * 10 ** (trim.threshold_db / 10);
  if (typeof trim.floor_quantile === "number") {
    const floor = Float64Array.from(power).sort()[Math.floor(trim.floor_quantile * (frames - 1))];
    const aboveFloor = floor * 10 ** ((trim.floor_margin_db ?? 6) / 10);
    level = Math.max(level, Math.min(aboveFloor, loudest * 10 ** ((trim.ceiling_db ?? -30) / 10)));
  }
  const first = power.findIndex((p) => p >= level);
  const last = power.findLastIndex((p) => p >= level);
  const margin = Math.round(trim.margin_s * SAMPLE_RATE);
  const start = Math.max(0, first * trim.frame - margin);
  const stop = Math.min(n, (last + 1) * trim.frame + margin);
  return stop - start >= MIN_SAMPLES ? [start, stop] : [0, n];
}

/** The beam width from the form's text, or a DemoError saying what is accepted. */
export const checkBeam = (/** @type {unknown} */ value) => checkBeamWidth(value, MAX_BEAM);

/**
 * The samples, or a DemoError saying what is wrong and what is accepted.
 * @param {Float32Array | null | undefined} samples  16 kHz mono
 * @returns {Float32Array}
 */
export function checkSamples(samples) {
  if (!samples || samples.length === 0) {
    throw new DemoError("The clip is empty: give at least 25 ms of audio.");
  }
  if (samples.length > MAX_SECONDS * SAMPLE_RATE) {
    const seconds = (samples.length / SAMPLE_RATE).toFixed(1);
    throw new DemoError(`Too long: ${seconds} s; at most ${MAX_SECONDS} s is accepted.`);
  }
  if (samples.length < MIN_SAMPLES) {
    throw new DemoError("Too short: at least 25 ms of audio is needed.");
  }
  if (!samples.every(Number.isFinite)) throw new DemoError("The clip holds invalid (NaN) samples.");
  return samples;
}

/**
 * A reader-facing message for a failed getUserMedia (denied, no microphone, insecure page).
 * @param {unknown} err
 */
export function microphoneMessage(err) {
  const { name, message } = /** @type {{name?: string, message?: string}} */ (err ?? {});
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Microphone access was denied. Allow it in your browser's site settings, or pick a clip instead.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Connect one, or pick a clip instead.";
  }
  if (name === "NotReadableError") {
    return "The microphone is busy or unavailable (another application may be using it).";
  }
  return `The microphone could not be started: ${message ?? err}`;
}

/**
 * The posteriors as probabilities, one row of `classes` per step (as Transcription.posteriors).
 * @param {ArrayLike<number>} logProbs  flat (steps × classes)
 * @param {number} steps
 * @param {number} classes
 * @returns {number[][]}
 */
export function posteriorRows(logProbs, steps, classes) {
  const rows = [];
  for (let t = 0; t < steps; t++) {
    rows.push(Array.from({ length: classes }, (_, k) => Math.exp(logProbs[t * classes + k])));
  }
  return rows;
}

/**
 * The classes worth a row in the heat map: the blank (0) and every symbol that reaches
 * `threshold` at some step, in class order.
 * @param {number[][]} posteriors  (steps × classes) probabilities
 * @param {number} [threshold]
 */
export function visibleClasses(posteriors, threshold = 0.05) {
  const classes = posteriors[0]?.length ?? 1;
  const shown = [0];
  for (let k = 1; k < classes; k++) if (posteriors.some((row) => row[k] > threshold)) shown.push(k);
  return shown;
}

/**
 * The likeliest class at each step and its probability (the first of equal maxima, as argmax).
 * @param {number[][]} posteriors
 * @returns {{step: number, best: number, p: number}[]}
 */
export function likeliest(posteriors) {
  return posteriors.map((row, step) => {
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    return { step, best, p: row[best] };
  });
}

/**
 * The centre frequency in Hz of each of `mels` triangular filters on the HTK mel scale
 * (rnn_site.data.audio.mel_filterbank: edges evenly spaced in mel from F_MIN to F_MAX).
 * @param {number} mels
 */
export function melCentres(mels) {
  const toMel = (/** @type {number} */ hz) => 2595 * Math.log10(1 + hz / 700);
  const toHz = (/** @type {number} */ mel) => 700 * (10 ** (mel / 2595) - 1);
  const [low, high] = [toMel(F_MIN), toMel(F_MAX)];
  return Array.from({ length: mels }, (_, m) => toHz(low + ((m + 1) * (high - low)) / (mels + 1)));
}

/**
 * The spectrogram in numbers a table can hold: the mean feature (log-mel level against the
 * clip's own average in that band) over blocks of `framesPerRow` frames × `bandsPerColumn`
 * bands. A last, shorter block of frames is averaged over the frames it has.
 *
 * @param {ArrayLike<number>} data  flat (frames × mels), as the graph's `features` output
 * @param {number} frames
 * @param {number} mels
 * @param {{framesPerRow?: number, bandsPerColumn?: number}} [block]
 * @returns {{bands: {lowHz: number, highHz: number}[], rows: {start: number, values: number[]}[]}}
 *   `bands`: the centres of each group's lowest and highest filter; `rows`: start in seconds
 */
export function spectrogramSummary(data, frames, mels, { framesPerRow = 10, bandsPerColumn = 5 } = {}) {
  const centres = melCentres(mels);
  const bands = [];
  for (let b = 0; b < mels; b += bandsPerColumn) {
    bands.push({ lowHz: centres[b], highHz: centres[Math.min(b + bandsPerColumn, mels) - 1] });
  }
  const rows = [];
  for (let t0 = 0; t0 < frames; t0 += framesPerRow) {
    const t1 = Math.min(t0 + framesPerRow, frames);
    const values = bands.map((_, g) => {
      const m1 = Math.min((g + 1) * bandsPerColumn, mels);
      let sum = 0;
      for (let t = t0; t < t1; t++) for (let m = g * bandsPerColumn; m < m1; m++) sum += data[t * mels + m];
      return sum / ((t1 - t0) * (m1 - g * bandsPerColumn));
    });
    rows.push({ start: t0 * FRAME_SECONDS, values });
  }
  return { bands, rows };
}
