// The music demo: seed a melody (the opening of a test chorale, or notes clicked on a small
// keyboard), let the melody LSTM continue it, see it as a piano roll, hear it (Web Audio, no
// sound files), and download it as a MIDI file.
// Mounted by loader.js on `<div data-demo="music" data-model="melody">`.
//
// Decoding follows rnn_site/runtime/melody.py exactly (grammar mask, then char-lm.js's
// sampleNext: greedy at temperature 0), so greedy output matches the Python runtime.
// Generation is a few hundred ~0.2 ms steps, so it runs on the page, awaiting each step.
//
// root.dataset.state: "loading" → "ready" → "generating" → "done" | "error";
// root.dataset.playing: "true" while sound plays; root.dataset.events: the last melody as JSON.

import { sampleNext, mulberry32 } from "./char-lm.js";
import { DemoError, Model, fetchModelFile } from "./runtime.js";
import { dataTable, el, scrollRegion, StatusArea, svg } from "./ui.js";

const NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"];
const LIMITS = { length: 256, temperature: 3, seed: 2 ** 32 - 1, seedNotes: 32 };
const TEMPO_BPM = 80;
const TICKS = 480;

export const noteName = (pitch) =>
  pitch === null ? "rest" : `${NOTE_NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;

/** "pitch" (pitches and rest), "duration", or the token's own name — as MelodyVocab.kind. */
export function tokenKind(name) {
  if (name === "rest" || /^p\d+$/.test(name)) return "pitch";
  if (/^d[\d.]+$/.test(name)) return "duration";
  return name;
}

/** Token vocabulary and grammar from the card; events ↔ ids as rnn_site.data.chorales does. */
export class MelodyTokens {
  constructor(card) {
    this.names = card.tokens;
    this.ids = new Map(this.names.map((n, i) => [n, i]));
    this.kinds = this.names.map(tokenKind);
    this.pitches = this.names.filter((n) => /^p\d+$/.test(n)).map((n) => Number(n.slice(1)));
    this.durations = this.names.filter((n) => tokenKind(n) === "duration").map((n) => Number(n.slice(1)));
    // allowed[k][j]: may token j follow a token of kind k? (<eos> never: n events exactly)
    this.allowed = {};
    for (const [kind, follows] of Object.entries(card.grammar)) {
      this.allowed[kind] = this.kinds.map((k) => k !== "<eos>" && follows.includes(k));
    }
  }

  /** Bar lines every `beatsPerBar` quarters after `pickup` quarters (mark_bars in Python). */
  encode(mode, events, beatsPerBar = 4, pickup = 0) {
    const ids = [this.ids.get("<bos>"), this.ids.get(mode)];
    let offset = 0;
    for (const [pitch, duration, fermata] of events) {
      const bar = offset >= pickup && Math.abs((offset - pickup) % beatsPerBar) < 1e-9;
      if (bar) ids.push(this.ids.get("bar"));
      const p = pitch === null ? "rest" : `p${pitch}`;
      const d = `d${Number(duration)}`;
      if (!this.ids.has(p)) {
        throw new DemoError(
          `The model does not know the note ${noteName(pitch)} (it knows MIDI ${this.pitches[0]}–${this.pitches.at(-1)}).`,
        );
      }
      if (!this.ids.has(d))
        throw new DemoError(`The model does not know a duration of ${duration} quarter notes.`);
      ids.push(this.ids.get(p), this.ids.get(d));
      if (fermata) ids.push(this.ids.get("fermata"));
      offset += duration;
    }
    return ids;
  }

  /** Token ids → [[pitch|null, duration, fermata 0/1, bar 0/1], ...]; a leading fermata is dropped. */
  decode(ids) {
    const events = [];
    let pitch;
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
      } else if (name === "fermata" && events.length) events.at(-1)[2] = 1;
    }
    return events;
  }
}

/** MIDI variable-length quantity. */
function vlq(value) {
  const out = [value & 0x7f];
  for (value >>= 7; value; value >>= 7) out.unshift(0x80 | (value & 0x7f));
  return out;
}

/** Format-0 MIDI bytes: the same bytes as rnn_site/runtime/midi.py's melody_to_midi. */
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
  const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const header = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, 0, 0, 1, TICKS >> 8, TICKS & 255];
  return new Uint8Array([...header, 0x4d, 0x54, 0x72, 0x6b, ...u32(track.length), ...track]);
}

/** Generate `length` events after the seed; same rules as MelodyModel.generate. */
async function generateMelody(
  ort,
  session,
  tokens,
  card,
  { mode, seedEvents, beatsPerBar, pickup, length, temperature, seed },
) {
  const { num_layers: layers, hidden_size: hidden } = card.config;
  let h = new ort.Tensor("float32", new Float32Array(layers * hidden), [layers, 1, hidden]);
  let c = new ort.Tensor("float32", new Float32Array(layers * hidden), [layers, 1, hidden]);
  let logits = null;
  const step = async (id) => {
    const out = await session.run({
      token: new ort.Tensor("int64", BigInt64Array.from([BigInt(id)]), [1]),
      h,
      c,
    });
    logits = out.logits.data;
    h = out.h_out;
    c = out.c_out;
  };
  const ids = tokens.encode(mode, seedEvents, beatsPerBar, pickup);
  for (const id of ids) await step(id);
  const random = mulberry32(seed);
  const out = [];
  let previous = ids.at(-1);
  for (let made = 0; made < length;) {
    const allowed = tokens.allowed[tokens.kinds[previous]];
    const masked = Float64Array.from(logits, (v, j) => (allowed[j] ? v : -Infinity));
    const id = sampleNext(masked, { temperature, topK: 0 }, random);
    out.push(id);
    if (tokens.kinds[id] === "duration") made += 1;
    if (made < length) await step(id);
    previous = id;
  }
  while (out.length && tokens.names[out[0]] === "fermata") out.shift();
  return tokens.decode(out);
}

/** Piano roll as SVG: time → x, pitch → y; seed notes grey, generated notes coloured. */
function pianoRoll(seedEvents, generated) {
  // [pitch, duration, fermata, bar, isSeed]
  const all = [
    ...seedEvents.map(([p, d, f]) => [p, d, f, 0, true]),
    ...generated.map(([p, d, f, b]) => [p, d, f, b, false]),
  ];
  const pitches = all.filter((e) => e[0] !== null).map((e) => e[0]);
  const low = Math.min(...pitches, 60) - 1;
  const high = Math.max(...pitches, 72) + 1;
  const total = all.reduce((t, e) => t + e[1], 0) || 1;
  const unit = 16; // per quarter note
  const row = 10; // per semitone
  const width = Math.max(total * unit, 200);
  const roll = svg("svg", {
    viewBox: `0 0 ${width} ${(high - low + 1) * row}`,
    class: "rnn-roll",
    role: "img",
    "aria-label": `Piano roll: ${seedEvents.length} seed notes, then ${generated.length} generated`,
  });
  let t = 0;
  for (const [pitch, duration, fermata, , isSeed] of all) {
    if (pitch !== null) {
      const title = `${noteName(pitch)}, ${duration} beat${duration === 1 ? "" : "s"}${fermata ? ", fermata" : ""}`;
      roll.append(
        svg(
          "rect",
          {
            x: (t * unit).toFixed(1),
            y: ((high - pitch) * row).toFixed(1),
            width: Math.max(duration * unit - 1, 1).toFixed(1),
            height: String(row - 1),
            class: isSeed ? "rnn-roll-seed" : fermata ? "rnn-roll-fermata" : "rnn-roll-note",
          },
          [svg("title", {}, [title])],
        ),
      );
    }
    t += duration;
  }
  return roll;
}

/** Schedules the melody on a fresh AudioContext (triangle waves with a short envelope). */
class Player {
  constructor(onEnd) {
    this.context = null;
    this.onEnd = onEnd;
    this.timer = null;
  }

  play(events) {
    this.stop();
    const AudioContextClass = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!AudioContextClass) throw new DemoError("This browser has no Web Audio: use Download MIDI instead.");
    const context = new AudioContextClass();
    this.context = context;
    const beat = 60 / TEMPO_BPM;
    let t = context.currentTime + 0.05;
    for (const [pitch, duration, fermata] of events) {
      const length = duration * beat * (fermata ? 1.5 : 1); // a fermata holds the note longer
      if (pitch !== null) {
        const osc = context.createOscillator();
        const gain = context.createGain();
        osc.type = "triangle";
        osc.frequency.value = 440 * 2 ** ((pitch - 69) / 12);
        gain.gain.setValueAtTime(0, t);
        gain.gain.linearRampToValueAtTime(0.2, t + 0.02);
        gain.gain.setTargetAtTime(0, t + length * 0.85, 0.03);
        osc.connect(gain).connect(context.destination);
        osc.start(t);
        osc.stop(t + length + 0.1);
      }
      t += length;
    }
    this.timer = setTimeout(() => this.stop(), (t - context.currentTime + 0.2) * 1000);
  }

  stop() {
    clearTimeout(this.timer);
    const context = this.context;
    this.context = null;
    if (context) {
      context.close().catch(() => {});
      this.onEnd();
    }
  }
}

export function mount(root) {
  const modelName = root.dataset.model ?? "melody";
  const prefix = root.id || root.dataset.demo;
  const id = (name) => `${prefix}-${name}`;
  root.replaceChildren();
  root.classList.add("rnn-demo");
  const setState = (state) => (root.dataset.state = state);
  setState("loading");
  root.dataset.playing = "false";

  const source = el("select", { id: id("source") }, [
    el("option", { value: "keyboard" }, "Notes I play on the keyboard below"),
  ]);
  const mode = el("select", { id: id("mode") }, [
    el("option", { value: "major" }, "C major"),
    el("option", { value: "minor" }, "A minor"),
  ]);
  const temperature = el("input", {
    id: id("temperature"),
    type: "range",
    min: "0",
    max: "2",
    step: "0.05",
    value: "0.9",
  });
  const temperatureOut = el("output", { for: id("temperature"), "aria-hidden": "true" }, "0.90");
  const length = el("input", {
    id: id("length"),
    type: "number",
    min: "1",
    max: String(LIMITS.length),
    value: "48",
    inputmode: "numeric",
  });
  const seed = el("input", {
    id: id("seed"),
    type: "number",
    min: "0",
    max: String(LIMITS.seed),
    value: "1",
    inputmode: "numeric",
  });
  const generateButton = el(
    "button",
    { type: "submit", class: "md-button md-button--primary", disabled: true },
    "Generate",
  );
  const playButton = el(
    "button",
    { type: "button", class: "md-button", disabled: true, "data-role": "play" },
    "Play",
  );
  const stopButton = el(
    "button",
    { type: "button", class: "md-button", disabled: true, "data-role": "stop" },
    "Stop",
  );
  const downloadButton = el(
    "button",
    { type: "button", class: "md-button", disabled: true, "data-role": "download" },
    "Download MIDI",
  );
  const field = (label, control, extra = []) =>
    el("div", { class: "rnn-field" }, [el("label", { for: control.id }, label), control, ...extra]);
  const seedText = el("p", { class: "rnn-caption", "data-role": "seed", "aria-live": "polite" });
  const keyboard = el("div", {
    class: "rnn-keyboard",
    role: "group",
    "aria-label": "Keyboard: each key adds a quarter note to the seed",
  });
  const clearButton = el(
    "button",
    { type: "button", class: "md-button", "data-role": "clear" },
    "Clear notes",
  );

  const form = el("form", { class: "rnn-form", novalidate: true }, [
    el("div", { class: "rnn-controls" }, [field("Start from", source), field("Key", mode)]),
    keyboard,
    el("div", { class: "rnn-buttons" }, [clearButton]),
    seedText,
    el("div", { class: "rnn-controls" }, [
      field("Temperature", temperature, [temperatureOut]),
      field("Length (notes)", length),
      field("Seed", seed),
    ]),
    el("div", { class: "rnn-buttons" }, [generateButton, playButton, stopButton, downloadButton]),
  ]);
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const roll = scrollRegion(
    el("figure", { class: "rnn-roll-figure", "data-role": "roll" }),
    "Piano roll of the melody (scrolls sideways)",
  );
  const notes = el("p", { class: "rnn-caption", "data-role": "notes" });
  const table = el("div", { "data-role": "chart-data" });
  root.append(form, statusBox, roll, notes, table);

  let seeds = [];
  let clicked = [];
  let tokens = null;
  let card = null;
  let melody = null; // {seedEvents, generated, beatsPerBar}
  const player = new Player(() => {
    root.dataset.playing = "false";
    stopButton.disabled = true;
    playButton.disabled = melody === null;
  });

  const currentSeed = () => {
    if (source.value === "keyboard")
      return { mode: mode.value, events: clicked, beatsPerBar: 4, pickup: 0, title: "your notes" };
    const s = seeds[Number(source.value)];
    return { mode: s.mode, events: s.events, beatsPerBar: s.beats_per_bar, pickup: s.pickup, title: s.title };
  };
  const showSeed = () => {
    const s = currentSeed();
    if (source.value !== "keyboard") mode.value = s.mode;
    mode.disabled = source.value !== "keyboard";
    seedText.textContent = s.events.length
      ? `Seed (${s.title}): ${s.events.map(([p, d]) => `${noteName(p)}:${d}`).join(" ")}`
      : "Seed: none — press keys to add notes, or let the model start from nothing.";
  };

  const model = new Model(modelName, { onProgress: (p) => status.progress(p) });
  const load = async () => {
    card = await model.card();
    tokens = new MelodyTokens(card);
    const entry = await model.entry();
    const dir = entry.card.split("/").slice(0, -1).join("/");
    const seedFile = JSON.parse(
      new TextDecoder().decode(await fetchModelFile(model.file(entry, `${dir}/${card.files.seeds}`))),
    );
    seeds = seedFile.seeds;
    source.replaceChildren(
      ...seeds.map((s, i) => el("option", { value: String(i) }, `Opening of ${s.title}`)),
      el("option", { value: "keyboard" }, "Notes I play on the keyboard below"),
    );
    for (const pitch of tokens.pitches.filter((p) => p >= 60 && p <= 81)) {
      const black = NOTE_NAMES[pitch % 12].length > 1;
      const key = el(
        "button",
        { type: "button", class: `rnn-key${black ? " rnn-key-black" : ""}`, "data-pitch": String(pitch) },
        noteName(pitch),
      );
      key.addEventListener("click", () => {
        if (clicked.length >= LIMITS.seedNotes)
          return status.info(`A seed may have up to ${LIMITS.seedNotes} notes.`);
        source.value = "keyboard";
        clicked = [...clicked, [pitch, 1, 0]];
        showSeed();
      });
      keyboard.append(key);
    }
    showSeed();
    // The card and seeds are small; onnxruntime and the graph (a few MB) load only once the demo
    // is on screen (or at the first Generate with the browser's data saver on), like images with
    // loading="lazy", so Generate then answers at once.
    generateButton.disabled = false;
    setState("ready");
    status.info("Pick a start and press Generate.");
    if (!navigator.connection?.saveData && "IntersectionObserver" in window) {
      const observer = new IntersectionObserver((entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        observer.disconnect();
        model.session("step").then(
          () => status.info("The model is ready in your browser: press Generate."),
          () => {}, // shown by Generate, which tries again
        );
      });
      observer.observe(form);
    }
  };
  const start = () => load().catch((err) => status.failLoad(err, start));
  start();

  source.addEventListener("change", showSeed);
  clearButton.addEventListener("click", () => {
    clicked = [];
    source.value = "keyboard";
    showSeed();
  });
  temperature.addEventListener("input", () => (temperatureOut.value = Number(temperature.value).toFixed(2)));

  const whole = (value, name, min, max) => {
    const n = Number(value);
    if (value === "" || !Number.isInteger(n) || n < min || n > max)
      throw new DemoError(`${name} must be a whole number from ${min} to ${max} (got "${value}").`);
    return n;
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (generateButton.disabled) return;
    status.clearError();
    player.stop();
    generateButton.disabled = true;
    try {
      const t = Number(temperature.value);
      if (!Number.isFinite(t) || t < 0 || t > LIMITS.temperature)
        throw new DemoError(`Temperature must be from 0 to ${LIMITS.temperature}.`);
      const settings = {
        ...currentSeed(),
        length: whole(length.value, "Length", 1, LIMITS.length),
        seed: whole(seed.value, "Seed", 0, LIMITS.seed),
        temperature: t,
      };
      setState("generating");
      status.info("Generating…");
      const [ort, session] = await Promise.all([
        import("./runtime.js").then((m) => m.loadOrt()),
        model.session("step"),
      ]);
      const started = performance.now();
      const generated = await generateMelody(ort, session, tokens, card, {
        ...settings,
        seedEvents: settings.events,
      });
      melody = { seedEvents: settings.events, generated, beatsPerBar: settings.beatsPerBar };
      roll.replaceChildren(
        pianoRoll(settings.events, generated),
        el("figcaption", {}, "Grey: the seed. Blue: generated (orange: a fermata, the end of a line)."),
      );
      table.replaceChildren(
        dataTable(
          "The notes in the piano roll",
          ["#", "Part", "Note", "Beats", "Fermata"],
          [
            ...settings.events.map(([p, d, f]) => ["seed", p, d, f]),
            ...generated.map(([p, d, f]) => ["generated", p, d, f]),
          ].map(([part, p, d, f], i) => [i + 1, part, p === null ? "rest" : noteName(p), d, f ? "yes" : ""]),
        ),
      );
      notes.textContent = `Generated: ${generated.map(([p, d, f, b]) => `${b ? "| " : ""}${noteName(p)}:${d}${f ? "^" : ""}`).join(" ")}`;
      root.dataset.events = JSON.stringify(generated.map(([p, d, f]) => [p, d, f]));
      status.info(
        `Generated ${generated.length} notes in ${Math.round(performance.now() - started)} ms (temperature ${t}, seed ${settings.seed}). Press Play to hear them.`,
      );
      playButton.disabled = false;
      downloadButton.disabled = false;
      setState("done");
    } catch (err) {
      status.error(err);
      setState("error");
    } finally {
      generateButton.disabled = false;
    }
  });

  playButton.addEventListener("click", () => {
    if (!melody) return;
    try {
      player.play([...melody.seedEvents, ...melody.generated]);
      root.dataset.playing = "true";
      stopButton.disabled = false;
      playButton.disabled = true;
    } catch (err) {
      status.error(err);
    }
  });
  stopButton.addEventListener("click", () => player.stop());
  downloadButton.addEventListener("click", () => {
    if (!melody) return;
    const bytes = melodyToMidi([...melody.seedEvents, ...melody.generated], {
      beatsPerBar: melody.beatsPerBar === 3 ? 3 : 4,
    });
    const url = URL.createObjectURL(new Blob([bytes], { type: "audio/midi" }));
    const link = el("a", { href: url, download: "melody.mid", hidden: true });
    root.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}
