// @ts-check
// The music demo: seed a melody (the opening of a test chorale, or notes pressed on a small
// keyboard), let the melody LSTM continue it, see it as a piano roll, hear it (Web Audio, no
// sound files), and download it as a MIDI file.
// Mounted by loader.js on `<div data-demo="music" data-model="melody">`.
//
// The model side (tokens, grammar-masked sampling, MIDI) is melody.js, the roll's geometry
// piano-roll.js; this file is the page. Generation is a few hundred ~0.2 ms steps, so it runs on
// the page, awaiting each step. The card and seeds (a few kB) load at once; onnxruntime and the
// step graph (a few MB) when the page is idle, so Generate then answers at once.
//
// root.dataset.state: "loading" → "ready" → "generating" → "done" | "error";
// root.dataset.playing: "true" while sound plays; root.dataset.events: the last melody as JSON.

import {
  LIMITS,
  MelodyTokens,
  NOTE_NAMES,
  melodyStepper,
  melodyToMidi,
  noteName,
  noteSchedule,
  sampleMelody,
} from "./melody.js";
import { melodyText, noteRows, rollLayout, seedText } from "./piano-roll.js";
import { DemoError, loadOrt } from "./runtime.js";
import {
  dataTable,
  demoModel,
  el,
  field,
  scrollRegion,
  slider,
  startDemo,
  StatusArea,
  submitButton,
  svg,
  whenIdle,
  whole,
} from "./ui.js";

/** @typedef {import("./melody.js").SeedEvent} SeedEvent */
/** @typedef {import("./melody.js").MelodyEvent} MelodyEvent */
/** @typedef {import("./melody.js").MelodyCard} MelodyCard */
/** @typedef {{title: string, mode: string, events: SeedEvent[], beats_per_bar: number, pickup: number}} ChoraleSeed */
/** @typedef {{mode: string, events: SeedEvent[], beatsPerBar: number, pickup: number, title: string}} Seed */
/** @typedef {{seedEvents: SeedEvent[], generated: MelodyEvent[], beatsPerBar: number}} Melody */

const KEYBOARD_OPTION = "Notes I play on the keyboard below";

/** Schedules the melody on a fresh AudioContext (triangle waves with a short envelope). */
class Player {
  /** @param {() => void} onEnd */
  constructor(onEnd) {
    /** @type {AudioContext | null} */
    this.context = null;
    this.onEnd = onEnd;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
  }

  /** @param {(SeedEvent | MelodyEvent)[]} events */
  play(events) {
    this.stop();
    // @ts-ignore -- webkitAudioContext: older Safari only, not in TypeScript's DOM types.
    const AudioContextClass = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!AudioContextClass) throw new DemoError("This browser has no Web Audio: use Download MIDI instead.");
    /** @type {AudioContext} */
    const context = new AudioContextClass();
    this.context = context;
    const t0 = context.currentTime + 0.05;
    const { notes, end } = noteSchedule(events);
    for (const { frequency, start, length } of notes) {
      const t = t0 + start;
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = "triangle";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(0.2, t + 0.02);
      gain.gain.setTargetAtTime(0, t + length * 0.85, 0.03);
      osc.connect(gain).connect(context.destination);
      osc.start(t);
      osc.stop(t + length + 0.1);
    }
    this.timer = setTimeout(() => this.stop(), (t0 + end - context.currentTime + 0.2) * 1000);
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

/**
 * A button that is not the form's submit; `role` names it for tests (data-role).
 * @param {string} label
 * @param {string} role
 * @param {boolean} disabled
 */
function button(label, role, disabled = true) {
  return el("button", { type: "button", class: "md-button", disabled, "data-role": role }, label);
}

/**
 * A whole-number box.
 * @param {string} id
 * @param {number} min
 * @param {number} max
 * @param {number} value
 */
function numberInput(id, min, max, value) {
  const attributes = { id, type: "number", min: String(min), max: String(max), value: String(value) };
  return el("input", { ...attributes, inputmode: "numeric" });
}

/**
 * The settings form: where the seed comes from, its key, the keyboard, sampling settings and
 * the four buttons. Returns the form and every control the demo reads or enables.
 * @param {(name: string) => string} id
 */
function settingsView(id) {
  const source = el("select", { id: id("source") }, [el("option", { value: "keyboard" }, KEYBOARD_OPTION)]);
  const mode = el("select", { id: id("mode") }, [
    el("option", { value: "major" }, "C major"),
    el("option", { value: "minor" }, "A minor"),
  ]);
  const temperature = slider(id("temperature"), { min: 0, max: 2, step: 0.05, value: 0.9 }, 2);
  const length = numberInput(id("length"), 1, LIMITS.length, 48);
  const seed = numberInput(id("seed"), 0, LIMITS.seed, 1);
  const buttons = {
    generate: submitButton("Generate"),
    play: button("Play", "play"),
    stop: button("Stop", "stop"),
    download: button("Download MIDI", "download"),
    clear: button("Clear notes", "clear", false),
  };
  const seedLine = el("p", { class: "rnn-caption", "data-role": "seed", "aria-live": "polite" });
  const keyboard = el("div", {
    class: "rnn-keyboard",
    role: "group",
    "aria-label": "Keyboard: each key adds a quarter note to the seed",
  });
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    el("div", { class: "rnn-controls" }, [field("Start from", source), field("Key", mode)]),
    keyboard,
    el("div", { class: "rnn-buttons" }, [buttons.clear]),
    seedLine,
    el("div", { class: "rnn-controls" }, [
      field("Temperature", temperature.input, [temperature.output]),
      field("Length (notes)", length),
      field("Seed", seed),
    ]),
    el("div", { class: "rnn-buttons" }, [buttons.generate, buttons.play, buttons.stop, buttons.download]),
  ]);
  return { form, source, mode, temperature: temperature.input, length, seed, buttons, seedLine, keyboard };
}

/**
 * One key per pitch the model knows from C4 to A5; pressing one calls `press(pitch)`.
 * @param {number[]} pitches
 * @param {(pitch: number) => void} press
 */
function keyboardKeys(pitches, press) {
  return pitches
    .filter((p) => p >= 60 && p <= 81)
    .map((pitch) => {
      const black = NOTE_NAMES[pitch % 12].length > 1;
      const attributes = { type: "button", class: `rnn-key${black ? " rnn-key-black" : ""}` };
      const key = el("button", { ...attributes, "data-pitch": String(pitch) }, noteName(pitch));
      key.addEventListener("click", () => press(pitch));
      return key;
    });
}

/**
 * The piano roll as SVG: seed notes grey, generated notes coloured, each with its name in a <title>.
 * @param {SeedEvent[]} seedEvents
 * @param {MelodyEvent[]} generated
 */
function pianoRoll(seedEvents, generated) {
  const { width, height, notes, label } = rollLayout(seedEvents, generated);
  const roll = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "rnn-roll",
    role: "img",
    "aria-label": label,
  });
  for (const { title, kind, ...box } of notes) {
    roll.append(svg("rect", { ...box, class: `rnn-roll-${kind}` }, [svg("title", {}, [title])]));
  }
  return roll;
}

/**
 * The result area: the roll (a focusable region that scrolls sideways), its notes as text and
 * as a table. `show` fills them with a melody.
 */
function resultView() {
  const roll = scrollRegion(
    el("figure", { class: "rnn-roll-figure", "data-role": "roll" }),
    "Piano roll of the melody (scrolls sideways)",
  );
  const notes = el("p", { class: "rnn-caption", "data-role": "notes" });
  const table = el("div", { "data-role": "chart-data" });
  /** @param {Melody} melody */
  const show = ({ seedEvents, generated }) => {
    roll.replaceChildren(
      pianoRoll(seedEvents, generated),
      el("figcaption", {}, "Grey: the seed. Blue: generated (orange: a fermata, the end of a line)."),
    );
    const headers = ["#", "Part", "Note", "Beats", "Fermata"];
    table.replaceChildren(dataTable("The notes in the piano roll", headers, noteRows(seedEvents, generated)));
    notes.textContent = `Generated: ${melodyText(generated)}`;
  };
  return { nodes: [roll, notes, table], show };
}

/**
 * Save bytes as a file through a temporary link (the browser's own download).
 * @param {HTMLElement} root
 * @param {BlobPart} bytes
 * @param {string} name
 */
function download(root, bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "audio/midi" }));
  const link = el("a", { href: url, download: name, hidden: true });
  root.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Read the sampling settings from the form; a DemoError names the first bad one.
 * @param {ReturnType<typeof settingsView>} view
 */
function readSettings({ temperature, length, seed }) {
  const t = Number(temperature.value);
  if (!Number.isFinite(t) || t < 0 || t > LIMITS.temperature)
    throw new DemoError(`Temperature must be from 0 to ${LIMITS.temperature}.`);
  return {
    length: whole(length.value, "Length", 1, LIMITS.length),
    seed: whole(seed.value, "Seed", 0, LIMITS.seed),
    temperature: t,
  };
}

/**
 * Where the seed comes from: a test chorale's opening, or the notes pressed on the keyboard
 * (up to LIMITS.seedNotes). `setChoices` fills the list and the keys once the card and the
 * seeds are in; `current` is the seed Generate uses.
 * @param {ReturnType<typeof settingsView>} view
 * @param {StatusArea} status
 */
function seedChooser({ source, mode, keyboard, seedLine, buttons }, status) {
  /** @type {ChoraleSeed[]} */
  let seeds = [];
  /** @type {SeedEvent[]} */
  let pressed = [];
  /** @returns {Seed} */
  const current = () => {
    if (source.value === "keyboard")
      return { mode: mode.value, events: pressed, beatsPerBar: 4, pickup: 0, title: "your notes" };
    const s = seeds[Number(source.value)];
    return { mode: s.mode, events: s.events, beatsPerBar: s.beats_per_bar, pickup: s.pickup, title: s.title };
  };
  const show = () => {
    const s = current();
    if (source.value !== "keyboard") mode.value = s.mode;
    mode.disabled = source.value !== "keyboard";
    seedLine.textContent = s.events.length
      ? `Seed (${s.title}): ${seedText(s.events)}`
      : "Seed: none — press keys to add notes, or let the model start from nothing.";
  };
  /** @param {SeedEvent[]} events */
  const playOnKeyboard = (events) => {
    pressed = events;
    source.value = "keyboard";
    show();
  };
  source.addEventListener("change", show);
  buttons.clear.addEventListener("click", () => playOnKeyboard([]));
  /** @param {ChoraleSeed[]} chorales @param {number[]} pitches  the pitches the model knows */
  const setChoices = (chorales, pitches) => {
    seeds = chorales;
    source.replaceChildren(
      ...seeds.map((s, i) => el("option", { value: String(i) }, `Opening of ${s.title}`)),
      el("option", { value: "keyboard" }, KEYBOARD_OPTION),
    );
    keyboard.replaceChildren(
      ...keyboardKeys(pitches, (pitch) => {
        if (pressed.length >= LIMITS.seedNotes)
          status.info(`A seed may have up to ${LIMITS.seedNotes} notes.`);
        else playOnKeyboard([...pressed, [pitch, 1, 0]]);
      }),
    );
    show();
  };
  return { current, setChoices };
}

/**
 * Play, Stop and Download MIDI for the last melody; `setMelody` enables them for a new one.
 * root.dataset.playing is "true" while sound plays.
 * @param {HTMLElement} root
 * @param {ReturnType<typeof settingsView>["buttons"]} buttons
 * @param {StatusArea} status
 */
function playback(root, buttons, status) {
  /** @type {Melody | null} */
  let melody = null;
  root.dataset.playing = "false";
  const player = new Player(() => {
    root.dataset.playing = "false";
    buttons.stop.disabled = true;
    buttons.play.disabled = melody === null;
  });
  buttons.play.addEventListener("click", () => {
    if (!melody) return;
    try {
      player.play([...melody.seedEvents, ...melody.generated]);
      root.dataset.playing = "true";
      buttons.stop.disabled = false;
      buttons.play.disabled = true;
    } catch (err) {
      status.error(err);
    }
  });
  buttons.stop.addEventListener("click", () => player.stop());
  buttons.download.addEventListener("click", () => {
    if (!melody) return;
    const events = [...melody.seedEvents, ...melody.generated];
    download(root, melodyToMidi(events, { beatsPerBar: melody.beatsPerBar === 3 ? 3 : 4 }), "melody.mid");
  });
  /** @param {Melody} next */
  const setMelody = (next) => {
    melody = next;
    buttons.play.disabled = false;
    buttons.download.disabled = false;
  };
  return { stop: () => player.stop(), setMelody };
}

/** @param {HTMLElement} root */
export function mount(root) {
  const id = startDemo(root);
  const setState = (/** @type {string} */ state) => (root.dataset.state = state);
  setState("loading");
  const view = settingsView(id);
  const { buttons } = view;
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const result = resultView();
  root.append(view.form, statusBox, ...result.nodes);
  const seeds = seedChooser(view, status);
  const player = playback(root, buttons, status);

  /** @type {import("./runtime.js").Model<import("./card-types.js").MusicGenerationCard>} */
  const model = demoModel(root, "melody", status);
  /** @type {{tokens: MelodyTokens, card: MelodyCard} | null} */
  let loaded = null;
  const load = async () => {
    const card = await model.card();
    const tokens = new MelodyTokens(card);
    seeds.setChoices((await model.json("seeds")).seeds, tokens.pitches);
    loaded = { tokens, card };
    buttons.generate.disabled = false;
    setState("ready");
    status.info("Pick a start and press Generate.");
    // onnxruntime and the step graph download once the page is idle (Generate loads them itself
    // with the browser's data saver on, or after a failed download, which it then shows).
    whenIdle(() =>
      model.session("step").then(
        () =>
          root.dataset.state === "ready" &&
          status.info("The model is ready in your browser: press Generate."),
        () => {},
      ),
    );
  };
  const start = () => load().catch((err) => status.failLoad(err, start));
  start();

  /** @param {{tokens: MelodyTokens, card: MelodyCard}} model */
  const generate = async ({ tokens, card }) => {
    const seed = seeds.current();
    const settings = { ...seed, seedEvents: seed.events, ...readSettings(view) };
    setState("generating");
    status.info("Generating…");
    const [ort, session] = await Promise.all([loadOrt(), model.session("step")]);
    const started = performance.now();
    const generated = await sampleMelody(melodyStepper(ort, session, card.config), tokens, settings);
    const melody = { seedEvents: seed.events, generated, beatsPerBar: seed.beatsPerBar };
    result.show(melody);
    root.dataset.events = JSON.stringify(generated.map(([p, d, f]) => [p, d, f]));
    const ms = Math.round(performance.now() - started);
    status.info(
      `Generated ${generated.length} notes in ${ms} ms (temperature ${settings.temperature}, seed ${settings.seed}). Press Play to hear them.`,
    );
    player.setMelody(melody);
    setState("done");
  };
  view.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (buttons.generate.disabled || !loaded) return;
    status.clearError();
    player.stop();
    buttons.generate.disabled = true;
    try {
      await generate(loaded);
    } catch (err) {
      status.error(err);
      setState("error");
    } finally {
      buttons.generate.disabled = false;
    }
  });
}
