// The speech demo: pick a clip (voices held out from training, real recordings) or record one from
// the microphone; see the spectrogram the model hears, its per-step CTC posteriors and the
// transcript. Mounted by loader.js on `<div data-demo="speech" data-model="speech">`.
//
// The graph takes 16 kHz samples and computes its own log-mel features, so the page only decodes
// and resamples audio (the browser's decoder and an OfflineAudioContext at 16 kHz) and decodes the
// CTC output with ctc.js (beam width 1: greedy; wider: prefix beam search; both by the rules of
// rnn_site/decoding/ctc.py). One pass over a few seconds takes tens of milliseconds, so it runs on
// the main thread. root.dataset.state: "loading" → "ready" → "done" (a result is shown) | "error"
// (message in the alert box). The shown result is in root.dataset.result as JSON
// {text, beam, alternatives, source, samples, steps, posteriors} for tests; dataset.updates counts
// results and dataset.errors rejected inputs.

import { decodeCtc } from "./ctc.js";
import { DemoError, loadOrt, Model, MODELS_DIR, fetchJson } from "./runtime.js";
import { dataTable, el, startDemo, StatusArea, submitButton } from "./ui.js";

export const SAMPLE_RATE = 16000;
/** The same limits as rnn_site/runtime/speech.py. */
export const MAX_SECONDS = 30;
export const MIN_SAMPLES = 400;
const RECORD_SECONDS = 4;
export const MAX_BEAM = 32;

/** The beam width from the form's text, or a DemoError saying what is accepted. */
export function checkBeamWidth(value) {
  const width = Number(value);
  if (String(value).trim() === "" || !Number.isInteger(width) || width < 1 || width > MAX_BEAM) {
    throw new DemoError(`The beam width must be a whole number from 1 (greedy) to ${MAX_BEAM}.`);
  }
  return width;
}

/** Decode any audio file the browser understands → mono Float32Array at 16 kHz. */
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

/** The samples, or a DemoError saying what is wrong and what is accepted. */
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

/** A reader-facing message for a failed getUserMedia (denied, no microphone, insecure page). */
export function microphoneMessage(err) {
  if (err?.name === "NotAllowedError" || err?.name === "SecurityError") {
    return "Microphone access was denied. Allow it in your browser's site settings, or pick a clip instead.";
  }
  if (err?.name === "NotFoundError" || err?.name === "OverconstrainedError") {
    return "No microphone was found. Connect one, or pick a clip instead.";
  }
  if (err?.name === "NotReadableError") {
    return "The microphone is busy or unavailable (another application may be using it).";
  }
  return `The microphone could not be started: ${err?.message ?? err}`;
}

export function mount(root) {
  const modelName = root.dataset.model ?? "speech";
  const id = startDemo(root);
  root.dataset.state = "loading";

  const select = el("select", { id: id("sample") });
  const player = el("audio", { controls: true, preload: "none", class: "rnn-speech-audio" });
  const run = submitButton("Transcribe");
  const record = el("button", { type: "button", class: "md-button", disabled: true }, "Record 4 s");
  const file = el("input", { type: "file", id: id("file"), accept: "audio/*" });
  const beamInput = el("input", {
    id: id("beam"),
    type: "number",
    min: "1",
    max: String(MAX_BEAM),
    step: "1",
    value: "1",
    inputmode: "numeric",
    "aria-describedby": id("beam-hint"),
  });
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    el("div", { class: "rnn-field" }, [el("label", { for: id("sample") }, "A clip"), select]),
    player,
    el("div", { class: "rnn-field" }, [
      el("label", { for: id("beam") }, "Beam width"),
      beamInput,
      el("small", { id: id("beam-hint") }, `1 = greedy; up to ${MAX_BEAM} for prefix beam search`),
    ]),
    el("div", { class: "rnn-buttons" }, [run, record]),
    el("div", { class: "rnn-field" }, [
      el("label", { for: id("file") }, "Or open an audio file (mono or stereo, up to 30 s)"),
      file,
    ]),
  ]);
  const transcript = el("p", {
    class: "rnn-speech-transcript",
    "data-role": "transcript",
    "aria-live": "polite",
  });
  const spectrogram = el("figure", { class: "rnn-speech-figure", "data-role": "spectrogram" });
  const posteriors = el("figure", { class: "rnn-speech-figure", "data-role": "posteriors" });
  const table = el("div", { "data-role": "chart-data" });
  root.append(form, transcript, spectrogram, posteriors, table);
  const status = new StatusArea(root);

  const model = new Model(modelName, { onProgress: (p) => status.progress(p) });
  let card = null;
  let session = null;
  let samples = [];
  let recording = null;

  const fail = (err) => status.fail(err);

  async function recognise(audio, source) {
    status.clearError();
    const beam = checkBeamWidth(beamInput.value);
    checkSamples(audio);
    const ort = await loadOrt();
    const out = await session.run({ waveform: new ort.Tensor("float32", audio, [1, audio.length]) });
    const [, frames, mels] = out.features.dims;
    const [, steps, classes] = out.log_probs.dims;
    const logProbs = out.log_probs.data;
    const { text, alternatives } = decodeCtc(logProbs, steps, classes, card.alphabet, beam);
    const decoder = beam === 1 ? "greedy" : `beam ${beam}`;
    const others = alternatives.slice(1, 4).map((a) => `“${a.text}”`);
    transcript.replaceChildren(
      "Heard: ",
      el("strong", { "data-role": "text" }, text === "" ? "(nothing)" : text),
      ` · ${decoder}${others.length ? ` (next: ${others.join(", ")})` : ""}`,
      ` · ${(audio.length / SAMPLE_RATE).toFixed(2)} s, ${steps} steps of 40 ms`,
    );
    spectrogram.replaceChildren(
      drawSpectrogram(out.features.data, frames, mels),
      el(
        "figcaption",
        {},
        "Log-mel spectrogram the model hears (low pitch at the bottom, 10 ms per column).",
      ),
    );
    posteriors.replaceChildren(
      drawPosteriors(logProbs, steps, classes, card.alphabet),
      el(
        "figcaption",
        {},
        "CTC posteriors per 40 ms step: one row per symbol the model considered, darker = likelier; “–” is the blank.",
      ),
    );
    const rows = [];
    for (let t = 0; t < steps; t++) {
      rows.push(Array.from(logProbs.subarray(t * classes, (t + 1) * classes), Math.exp));
    }
    const symbol = (k) => (k ? card.alphabet[k - 1] : "– (blank)");
    table.replaceChildren(
      dataTable(
        "The posteriors as numbers: the likeliest symbol at each step",
        ["Step (40 ms)", "Likeliest symbol", "Its probability"],
        rows.map((p, t) => {
          const best = p.indexOf(Math.max(...p));
          return [t + 1, symbol(best), p[best].toFixed(3)];
        }),
      ),
    );
    status.done({ text, beam, alternatives, source, samples: audio.length, steps, posteriors: rows });
  }

  async function fromUrl(url, source) {
    const response = await fetch(url);
    if (!response.ok) throw new DemoError(`Could not load ${url.pathname}: HTTP ${response.status}.`);
    return recognise(await decodeTo16k(await response.arrayBuffer()), source);
  }

  function sampleUrl(entry) {
    return new URL(`${modelName}/samples/${entry.file}`, MODELS_DIR);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const entry = samples[Number(select.value)];
    if (entry) fromUrl(sampleUrl(entry), entry.file).catch(fail);
  });
  select.addEventListener("change", () => {
    const entry = samples[Number(select.value)];
    if (entry) player.src = sampleUrl(entry).href;
  });
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    status.clearError();
    chosen
      .arrayBuffer()
      .then(decodeTo16k)
      .then((audio) => recognise(audio, chosen.name))
      .catch(fail);
  });
  record.addEventListener("click", () => {
    if (recording) {
      recording.stop();
      return;
    }
    startRecording().catch((err) =>
      fail(err instanceof DemoError ? err : new DemoError(microphoneMessage(err))),
    );
  });

  async function startRecording() {
    status.clearError();
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      throw new DemoError(
        "This browser offers no microphone recording here (it needs a secure page: https or localhost). Pick a clip instead.",
      );
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve));
    recording = recorder;
    record.textContent = "Stop";
    status.info(`Recording… say a few digits or letters (stops after ${RECORD_SECONDS} s).`);
    recorder.start();
    const timer = setTimeout(() => recorder.state === "recording" && recorder.stop(), RECORD_SECONDS * 1000);
    await stopped;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    recording = null;
    record.textContent = `Record ${RECORD_SECONDS} s`;
    status.info("Recorded; transcribing.");
    const blob = new Blob(chunks, { type: recorder.mimeType });
    await recognise(await decodeTo16k(await blob.arrayBuffer()), "microphone");
  }

  const load = async () => {
    card = await model.card();
    const index = await fetchJson(new URL(`${modelName}/samples/samples.json`, MODELS_DIR));
    samples = index.samples ?? [];
    select.replaceChildren(
      ...samples.map((s, i) => el("option", { value: String(i) }, `“${s.text}” — ${s.voice} (${s.kind})`)),
    );
    if (samples.length) player.src = sampleUrl(samples[0]).href;
    session = await model.session("speech");
    status.info(`Model loaded: it knows ${card.alphabet.length} symbols (digits and letters).`);
    root.dataset.state = "ready";
    run.disabled = false;
    record.disabled = false;
    if (samples.length) await fromUrl(sampleUrl(samples[0]), samples[0].file);
  };
  const start = () => load().catch((err) => (session ? fail(err) : status.failLoad(err, start)));
  start();
}

/** Grey-scale image of the features, time left to right, low bands at the bottom. */
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
    "aria-label": `Log-mel spectrogram, ${frames} frames of 10 ms, ${mels} bands`,
  });
  const ctx = canvas.getContext("2d");
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

/** Heat map of the posteriors: the blank and every symbol that reaches 5% somewhere. */
function drawPosteriors(logProbs, steps, classes, alphabet) {
  const rows = [0];
  for (let k = 1; k < classes; k++) {
    for (let t = 0; t < steps; t++) {
      if (logProbs[t * classes + k] > Math.log(0.05)) {
        rows.push(k);
        break;
      }
    }
  }
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
  const ctx = canvas.getContext("2d");
  rows.forEach((k, r) => {
    for (let t = 0; t < steps; t++) {
      const p = Math.exp(logProbs[t * classes + k]);
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
