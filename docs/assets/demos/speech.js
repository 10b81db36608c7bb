// @ts-check
// The speech demo: pick a clip (voices held out from training, real recordings) or record one from
// the microphone; see the spectrogram the model hears, its per-step CTC posteriors and the
// transcript. Mounted by loader.js on `<div data-demo="speech" data-model="speech">`.
//
// The graph takes 16 kHz samples and computes its own log-mel features, so the page only decodes
// and resamples audio (the browser's decoder and an OfflineAudioContext at 16 kHz) and decodes the
// CTC output with ctc.js (beam width 1: greedy; wider: prefix beam search; both by the rules of
// rnn_site/decoding/ctc.py). Checks and the charts' numbers are in speech-logic.js. One pass over
// a few seconds takes tens of milliseconds, so it runs on the main thread; the runtime and the
// model download once the page is idle. root.dataset.state: "loading" → "ready" → "done" (a
// result is shown) | "error" (message in the alert box). The shown result is in
// root.dataset.result as JSON {text, beam, alternatives, source, samples, kept, steps, posteriors}
// for tests (kept: [start, stop) of the samples heard, the silence around them cut);
// dataset.updates counts results and dataset.errors rejected inputs.

import { decodeCtc } from "./ctc.js";
import { DemoError, loadOrt, MODELS_DIR } from "./runtime.js";
import {
  checkBeam,
  checkSamples,
  likeliest,
  MAX_BEAM,
  MAX_SECONDS,
  microphoneMessage,
  posteriorRows,
  SAMPLE_RATE,
  spectrogramSummary,
  speechSpan,
  TRIM,
  visibleClasses,
} from "./speech-logic.js";
import {
  dataTable,
  demoModel,
  el,
  field,
  loadWhenIdle,
  numberField,
  startDemo,
  StatusArea,
  submitButton,
} from "./ui.js";

const RECORD_SECONDS = 4;

/** One clip of the card's `samples` (the files are in the model's samples/ folder). */
/** @typedef {import("./card-types.js").SpeechRecognitionCard["samples"][number]} Sample */

/**
 * Decode any audio file the browser understands → mono Float32Array at 16 kHz.
 * @param {ArrayBuffer} arrayBuffer
 * @returns {Promise<Float32Array>}
 */
export async function decodeTo16k(arrayBuffer) {
  let decoded;
  try {
    // decodeAudioData resamples to its context's rate: an offline context at 16 kHz does it all.
    decoded = await new OfflineAudioContext(1, 1, SAMPLE_RATE).decodeAudioData(arrayBuffer);
  } catch (err) {
    throw new DemoError("This file could not be decoded as audio. Try a WAV, Ogg, MP3 or WebM recording.", {
      cause: err,
    });
  }
  if (decoded.numberOfChannels === 1 && decoded.sampleRate === SAMPLE_RATE) {
    return decoded.getChannelData(0).slice();
  }
  // Mix down (and resample, should a browser decode at another rate) by rendering offline.
  const length = Math.max(1, Math.round(decoded.duration * SAMPLE_RATE));
  const offline = new OfflineAudioContext(1, length, SAMPLE_RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  return (await offline.startRendering()).getChannelData(0).slice();
}

/** @param {HTMLElement} root */
export function mount(root) {
  const id = startDemo(root);
  const { form, select, player, beamInput, run, record, file } = speechForm(id);
  const views = resultViews();
  root.append(form, ...Object.values(views));
  const status = new StatusArea(root);

  /** @type {import("./runtime.js").Model<import("./card-types.js").SpeechRecognitionCard>} */
  const model = demoModel(root, "speech", status);
  /** @type {import("./card-types.js").SpeechRecognitionCard | null} */
  let card = null;
  /** @type {import("onnxruntime-web").InferenceSession | null} */
  let session = null;
  /** @type {Sample[]} */
  let samples = [];
  const fail = (/** @type {unknown} */ err) => status.fail(err);
  const sampleUrl = (/** @type {Sample} */ entry) =>
    new URL(`${model.name}/samples/${entry.file}`, MODELS_DIR);

  /**
   * @param {Float32Array} audio
   * @param {string} source
   */
  async function recognise(audio, source) {
    status.clearError();
    const beam = checkBeam(beamInput.value);
    checkSamples(audio);
    if (!session || !card) throw new DemoError("The model has not loaded yet.");
    // The silence around the speech is cut first, as the Python runtime does.
    const kept = speechSpan(audio, card.audio.trim ?? TRIM);
    const heard = audio.subarray(...kept);
    const ort = await loadOrt();
    const out = await session.run({ waveform: new ort.Tensor("float32", heard, [1, heard.length]) });
    const result = showRecognition(views, out, card.alphabet, beam, audio.length, heard.length);
    status.done({ ...result, source, samples: audio.length, kept });
  }

  /** @param {Sample} entry */
  async function fromSample(entry) {
    const url = sampleUrl(entry);
    const response = await fetch(url);
    if (!response.ok) throw new DemoError(`Could not load ${url.pathname}: HTTP ${response.status}.`);
    return recognise(await decodeTo16k(await response.arrayBuffer()), entry.file);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const entry = samples[Number(select.value)];
    if (entry && session) fromSample(entry).catch(fail);
  });
  select.addEventListener("change", () => {
    const entry = samples[Number(select.value)];
    if (entry) player.src = sampleUrl(entry).href;
  });
  audioFileInput(file, status, recognise);
  microphoneButton(record, status, (audio) => recognise(audio, "microphone"));

  const load = async () => {
    card = await model.card();
    samples = card.samples ?? [];
    select.replaceChildren(
      ...samples.map((s, i) => el("option", { value: String(i) }, `“${s.text}” — ${s.voice} (${s.kind})`)),
    );
    if (samples.length) player.src = sampleUrl(samples[0]).href;
    session = await model.session("speech");
    status.ready(
      `Model loaded: it knows ${card?.alphabet.length} symbols (digits and letters).`,
      run,
      record,
      file,
    );
  };
  loadWhenIdle(status, run, load, async () => {
    if (samples.length) await fromSample(samples[0]);
  });
}

/** Where a result is shown, in page order: transcript, both charts and their numbers. */
function resultViews() {
  return {
    transcript: el("p", { class: "rnn-speech-transcript", "data-role": "transcript", "aria-live": "polite" }),
    spectrogram: el("figure", { class: "rnn-speech-figure", "data-role": "spectrogram" }),
    spectrogramData: el("div", { "data-role": "spectrogram-data" }),
    posteriors: el("figure", { class: "rnn-speech-figure", "data-role": "posteriors" }),
    table: el("div", { "data-role": "chart-data" }),
  };
}

/**
 * The file box: a chosen audio file is decoded to 16 kHz and handed to `onAudio` with its name.
 * @param {HTMLInputElement} input
 * @param {StatusArea} status
 * @param {(audio: Float32Array, name: string) => Promise<void>} onAudio
 */
function audioFileInput(input, status, onAudio) {
  input.addEventListener("change", () => {
    const chosen = input.files?.[0];
    if (!chosen) return;
    status.clearError();
    chosen
      .arrayBuffer()
      .then(decodeTo16k)
      .then((audio) => onAudio(audio, chosen.name))
      .catch((err) => status.fail(err));
  });
}

/** @param {(name: string) => string} id */
function speechForm(id) {
  const select = el("select", { id: id("sample") });
  const player = el("audio", { controls: true, preload: "none", class: "rnn-speech-audio" });
  const run = submitButton("Transcribe");
  const record = el("button", { type: "button", class: "md-button", disabled: true }, "Record 4 s");
  const file = el("input", { type: "file", id: id("file"), accept: "audio/*", disabled: true });
  const { field: beamField, input: beamInput } = numberField(id, {
    name: "beam",
    label: "Beam width",
    hint: `1 = greedy; up to ${MAX_BEAM} for prefix beam search`,
    value: 1,
    max: MAX_BEAM,
  });
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    field("A clip", select),
    player,
    beamField,
    el("div", { class: "rnn-buttons" }, [run, record]),
    field(`Or open an audio file (mono or stereo, up to ${MAX_SECONDS} s)`, file),
  ]);
  return { form, select, player, beamInput, run, record, file };
}

/**
 * The record button (enabled once the model has loaded): records up to RECORD_SECONDS (pressing
 * it again stops early), then hands the 16 kHz samples to `onAudio`. Microphone failures become
 * a message for the reader.
 * @param {HTMLButtonElement} button
 * @param {StatusArea} status
 * @param {(audio: Float32Array) => Promise<void>} onAudio
 */
function microphoneButton(button, status, onAudio) {
  /** @type {MediaRecorder | null} */
  let recording = null;
  const fail = (/** @type {unknown} */ err) =>
    status.fail(err instanceof DemoError ? err : new DemoError(microphoneMessage(err)));

  async function record() {
    status.clearError();
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      throw new DemoError(
        "This browser offers no microphone recording here (it needs a secure page: https or localhost). Pick a clip instead.",
      );
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const recorder = new MediaRecorder(stream);
    /** @type {Blob[]} */
    const chunks = [];
    recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve));
    recording = recorder;
    button.textContent = "Stop";
    status.info(`Recording… say a few digits or letters (stops after ${RECORD_SECONDS} s).`);
    recorder.start();
    const timer = setTimeout(() => recorder.state === "recording" && recorder.stop(), RECORD_SECONDS * 1000);
    await stopped;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    recording = null;
    button.textContent = `Record ${RECORD_SECONDS} s`;
    status.info("Recorded; transcribing.");
    const blob = new Blob(chunks, { type: recorder.mimeType });
    return decodeTo16k(await blob.arrayBuffer());
  }

  button.addEventListener("click", () => {
    if (recording) return recording.stop();
    record()
      .then(onAudio, fail)
      .catch((err) => status.fail(err));
  });
}

/**
 * Show one recognition: the transcript, both charts and the tables of their numbers.
 * @param {Record<"transcript" | "spectrogram" | "spectrogramData" | "posteriors" | "table", HTMLElement>} views
 * @param {import("onnxruntime-web").InferenceSession.OnnxValueMapType} out  the graph's outputs
 * @param {string} alphabet
 * @param {number} beam
 * @param {number} length  samples at 16 kHz
 * @param {number} kept  of which the model heard these (the silence around them cut)
 */
function showRecognition(views, out, alphabet, beam, length, kept) {
  const [, frames, mels] = out.features.dims;
  const [, steps, classes] = out.log_probs.dims;
  const logProbs = /** @type {Float32Array} */ (out.log_probs.data);
  const features = /** @type {Float32Array} */ (out.features.data);
  const { text, alternatives } = decodeCtc(logProbs, steps, classes, alphabet, beam);
  const decoder = beam === 1 ? "greedy" : `beam ${beam}`;
  const others = alternatives.slice(1, 4).map((a) => `“${a.text}”`);
  views.transcript.replaceChildren(
    "Heard: ",
    el("strong", { "data-role": "text" }, text === "" ? "(nothing)" : text),
    ` · ${decoder}${others.length ? ` (next: ${others.join(", ")})` : ""}`,
    ` · ${(length / SAMPLE_RATE).toFixed(2)} s`,
    kept < length ? ` (${(kept / SAMPLE_RATE).toFixed(2)} s heard, the silence around it cut)` : "",
    `, ${steps} steps of 40 ms`,
  );
  const posteriors = posteriorRows(logProbs, steps, classes);
  views.spectrogram.replaceChildren(
    drawSpectrogram(features, frames, mels),
    el("figcaption", {}, "Log-mel spectrogram the model hears (low pitch at the bottom, 10 ms per column)."),
  );
  views.spectrogramData.replaceChildren(spectrogramTable(features, frames, mels));
  views.posteriors.replaceChildren(
    drawPosteriors(posteriors, alphabet),
    el(
      "figcaption",
      {},
      "CTC posteriors per 40 ms step: one row per symbol the model considered, darker = likelier; “–” is the blank.",
    ),
  );
  const symbol = (/** @type {number} */ k) => (k ? alphabet[k - 1] : "– (blank)");
  views.table.replaceChildren(
    dataTable(
      "The posteriors as numbers: the likeliest symbol at each step",
      ["Step (40 ms)", "Likeliest symbol", "Its probability"],
      likeliest(posteriors).map(({ step, best, p }) => [step + 1, symbol(best), p.toFixed(3)]),
    ),
  );
  return { text, beam, alternatives, steps, posteriors };
}

/**
 * The spectrogram's numbers: mean level per 100 ms and group of five mel bands, low to high.
 * @param {Float32Array} features
 * @param {number} frames
 * @param {number} mels
 */
function spectrogramTable(features, frames, mels) {
  const { bands, rows } = spectrogramSummary(features, frames, mels);
  const hz = (/** @type {number} */ f) => (f < 1000 ? `${Math.round(f)}` : `${(f / 1000).toFixed(1)}k`);
  return dataTable(
    "The spectrogram as numbers: level per 100 ms and band (against the clip's average in each band)",
    ["Time (s)", ...bands.map((b) => `${hz(b.lowHz)}–${hz(b.highHz)} Hz`)],
    rows.map((r) => [r.start.toFixed(1), ...r.values.map((v) => v.toFixed(1))]),
  );
}

/**
 * Grey-scale image of the features, time left to right, low bands at the bottom.
 * @param {Float32Array} data
 * @param {number} frames
 * @param {number} mels
 */
function drawSpectrogram(data, frames, mels) {
  const scale = 3;
  // Shown stretched to the page's width at a fixed height (CSS), like a strip chart.
  const column = Math.max(1, Math.ceil(600 / frames));
  const width = frames * column;
  const canvas = el("canvas", {
    width: String(width),
    height: String(mels * scale),
    class: "rnn-speech-canvas rnn-speech-stretch",
    role: "img",
    "aria-label": `Log-mel spectrogram, ${frames} frames of 10 ms, ${mels} bands (numbers in the table below)`,
  });
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  let low = Infinity;
  let high = -Infinity;
  for (const v of data) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  const image = ctx.createImageData(width, mels * scale);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < mels; m++) {
      const v = (data[t * mels + m] - low) / (high - low || 1);
      const shade = Math.round(255 * (1 - v));
      for (let r = 0; r < scale; r++) {
        for (let c = 0; c < column; c++) {
          const i = 4 * (((mels - 1 - m) * scale + r) * width + t * column + c);
          image.data.set([shade, shade, shade, 255], i);
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/**
 * Heat map of the posteriors: the blank and every symbol that reaches 5% somewhere.
 * @param {number[][]} posteriors  (steps × classes) probabilities
 * @param {string} alphabet
 */
function drawPosteriors(posteriors, alphabet) {
  const steps = posteriors.length;
  const rows = visibleClasses(posteriors);
  const cell = 8;
  const rowHeight = 14;
  const names = rows.map((k) => (k ? alphabet[k - 1] : "–"));
  const canvas = el("canvas", {
    width: String(steps * cell),
    height: String(rows.length * rowHeight),
    style: `height: ${rows.length * rowHeight}px`,
    class: "rnn-speech-canvas rnn-speech-stretch",
    role: "img",
    "aria-label": `CTC posteriors for ${steps} steps: rows ${names.join(", ")} (– is the blank)`,
  });
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  rows.forEach((k, r) => {
    for (let t = 0; t < steps; t++) {
      const p = posteriors[t][k];
      ctx.fillStyle = k ? `rgba(63, 81, 181, ${p})` : `rgba(120, 120, 120, ${p})`;
      ctx.fillRect(t * cell, r * rowHeight + 1, cell - 1, rowHeight - 2);
    }
  });
  const labels = el(
    "div",
    { class: "rnn-speech-rows", "aria-hidden": "true" },
    names.map((name) => el("span", {}, name)),
  );
  return el("div", { class: "rnn-speech-posteriors" }, [labels, canvas]);
}
