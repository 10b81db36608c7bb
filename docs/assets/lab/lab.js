// @ts-check
// The training lab of chapter 3: pick a task, a cell and its training settings (or a preset that
// tests one of the chapter's claims), press Start, and watch a network learn or fail to, live.
// Training runs in lab-worker.js; this module is the page side: settings, buttons, charts.
// Mounted by docs/assets/demos/loader.js through ../demos/training-lab.js.

import { StatusArea, el, startDemo } from "../demos/ui.js";
import { defaults, fromQuery, runConfigs, toQuery } from "./config.js";
import { settingsForm } from "./lab-controls.js";
import { RUN_NAMES } from "./lab-charts.js";
import { chartsView } from "./lab-view.js";
import { PRESETS, findPreset, presetSettings } from "./presets.js";

const CUSTOM = "custom";

/**
 * Called by docs/assets/demos/loader.js (through training-lab.js) for `<div data-demo="training-lab">`.
 * @param {HTMLElement} root
 */
export async function mount(root) {
  const id = startDemo(root, "rnn-lab");
  root.dataset.state = "loading";
  const passage = await loadPassage();

  // Presets: a claim, the settings that test it, and whether it held on this run.
  const presetSelect = el("select", { id: id("preset") }, [
    el("option", { value: CUSTOM }, "Custom settings"),
    ...PRESETS.map((p) => el("option", { value: p.id }, p.title)),
  ]);
  const claim = el("p", { class: "rnn-lab-claim", "data-role": "claim" });
  const verdict = el("p", { class: "rnn-lab-verdict", "data-role": "verdict", "aria-live": "polite" });
  const presetField = el("div", { class: "rnn-field" }, [
    el("label", { for: presetSelect.id }, "Preset: a claim of this chapter to test"),
    presetSelect,
  ]);

  const form = settingsForm(id, () => settingsChanged());
  const buttons = {
    start: el(
      "button",
      { type: "button", "data-role": "start", class: "md-button md-button--primary" },
      "Start",
    ),
    pause: el(
      "button",
      { type: "button", "data-role": "pause", class: "md-button", disabled: true },
      "Pause",
    ),
    step: el("button", { type: "button", "data-role": "step", class: "md-button" }, "Step"),
    reset: el("button", { type: "button", "data-role": "reset", class: "md-button" }, "Reset"),
  };
  const share = el("a", { href: "", "data-role": "share" }, "Link to these settings");
  const statusBox = el("div");
  const status = new StatusArea(statusBox);
  status.root = root; // done()/fail() mark the lab's own root, for the browser tests

  const view = chartsView();
  root.append(
    el("div", { class: "rnn-lab-presets" }, [presetField, claim, verdict]),
    form.node,
    el("div", { class: "rnn-buttons rnn-lab-buttons" }, Object.values(buttons)),
    el("p", { class: "rnn-lab-share" }, share),
    statusBox,
    view.node,
  );

  // Settings from the URL (a preset, then any overrides), else the defaults.
  const query = new URLSearchParams(location.search);
  let preset = findPreset(query.get("preset") ?? "") ?? null;
  const { settings: start, errors: urlErrors } = fromQuery(
    location.search,
    preset ? presetSettings(preset) : defaults(),
  );
  presetSelect.value = preset ? preset.id : CUSTOM;
  form.write(start);

  const worker = new Worker(new URL("./lab-worker.js", import.meta.url), { type: "module" });
  /** @typedef {import("./lab-view.js").ViewState} ViewState */
  /** @type {ViewState["log"]} */
  let log = [];
  /**
   * The latest ‖∂L/∂h_t‖ profile of each run.
   * @type {ViewState["profiles"]}
   */
  let profiles = [];
  /** @type {ViewState["meta"]} */
  let meta = { baseline: null, solvedBelow: null };
  let running = false;
  let finished = false;
  let current = start;
  let drawPending = false;
  let generation = 0;

  worker.onerror = (event) => fail(`The training worker failed: ${event.message ?? "unknown error"}`);
  worker.onmessage = ({ data }) => {
    if (data.type === "error") return fail(data.message);
    if (data.type === "reset") {
      meta = data;
      return;
    }
    if (data.generation !== generation) return; // from a session the reader has since reset
    // A diverged step has no numbers to draw; the summary reports it.
    /** @type {import("./session.js").Update[][]} */
    const updates = data.updates;
    updates.forEach((steps, i) => {
      for (const u of steps) if (!u.diverged) log[i].push(u);
      const latest = steps.findLast((u) => u.profile);
      if (latest) profiles[i] = /** @type {number[]} */ (latest.profile); // findLast kept one with a profile
    });
    running = data.running;
    finished = data.finished;
    root.dataset.step = String(data.step);
    reportDivergence(data.summary);
    const decided = judge(data.summary);
    if (decided && running) {
      worker.postMessage({ type: "pause" });
      status.info(`Step ${data.step}: the claim is decided, so the run stopped. Press Start to train on.`);
    } else if (finished) {
      status.info(`Stopped after ${data.step} steps.`);
    } else {
      status.info(`${running ? "Training" : "Paused"}: step ${data.step}.`);
    }
    root.dataset.state = running ? "running" : finished ? "done" : "paused";
    syncButtons();
    scheduleDraw();
  };

  /** @param {string} message */
  function fail(message) {
    running = false;
    status.fail(new Error(message));
    syncButtons();
  }

  /** @param {import("./config.js").Settings} settings */
  function reset(settings) {
    current = settings;
    log = runConfigs(settings).map(() => []);
    profiles = log.map(() => null);
    running = false;
    finished = false;
    generation += 1;
    worker.postMessage({
      type: "reset",
      generation,
      configs: runConfigs(settings),
      passage,
      maxSteps: settings.shared.steps,
    });
    const q = toQuery(settings, preset?.id);
    window.history.replaceState(null, "", `${location.pathname}${q ? `?${q}` : ""}${location.hash}`);
    share.href = `${location.pathname}${q ? `?${q}` : ""}#lab`;
    root.dataset.step = "0";
    root.dataset.state = "ready";
    root.dataset.verdict = preset ? "pending" : "";
    claim.textContent = preset
      ? `Claim: ${preset.claim}`
      : "Pick a preset to test one of the chapter's claims, or set up your own run.";
    verdict.textContent = preset ? "Press Start to test it on your own run." : "";
    status.clearError();
    status.info("Ready: press Start to train, or Step for one step at a time.");
    syncButtons();
    scheduleDraw();
  }

  /** Read the form; on refusal show why and return null (messages sit beside the controls). */
  function accepted() {
    const { settings, errors } = form.read();
    if (errors.length) {
      status.fail(
        new Error(
          `Not started: ${errors.length === 1 ? "one setting is" : `${errors.length} settings are`} out of range. ${errors.join("; ")}.`,
        ),
      );
      return null;
    }
    return settings;
  }

  function settingsChanged() {
    const settings = accepted();
    if (!settings) return;
    if (preset && toQuery(settings) !== toQuery(presetSettings(preset))) {
      preset = null;
      presetSelect.value = CUSTOM;
    }
    if (running) worker.postMessage({ type: "pause" });
    reset(settings);
    status.info("Settings changed: the lab starts over from fresh weights.");
  }

  presetSelect.addEventListener("change", () => {
    preset = findPreset(presetSelect.value) ?? null;
    if (preset) form.write(presetSettings(preset));
    const settings = accepted();
    if (settings) reset(settings);
  });
  buttons.start.addEventListener("click", () => {
    if (!accepted()) return;
    if (finished) reset(current);
    worker.postMessage({ type: "start" });
    running = true;
    root.dataset.state = "running";
    syncButtons();
    status.info("Training…");
  });
  buttons.pause.addEventListener("click", () => worker.postMessage({ type: "pause" }));
  buttons.step.addEventListener("click", () => accepted() && worker.postMessage({ type: "step" }));
  buttons.reset.addEventListener("click", () => {
    const settings = accepted();
    if (settings) reset(settings);
  });

  function syncButtons() {
    buttons.start.disabled = running;
    buttons.pause.disabled = !running;
    buttons.step.disabled = running || finished;
  }

  /** @typedef {import("./presets.js").RunSummary[]} Summary */
  /** @param {Summary} summary */
  function reportDivergence(summary) {
    const stopped = summary
      .map((r, i) =>
        r.diverged ? `Run ${RUN_NAMES[i]} stopped at step ${r.diverged.step}: ${r.diverged.reason}` : null,
      )
      .filter(Boolean);
    if (stopped.length) status.error({ message: stopped.join(" ") });
  }

  /**
   * @param {Summary} summary
   * @returns {boolean} whether the preset's claim is decided
   */
  function judge(summary) {
    if (!preset) return false;
    const v = preset.verdict(summary, finished);
    if (!v) return false;
    root.dataset.verdict = v.held ? "held" : "not-held";
    verdict.textContent = `${v.held ? "The claim held on your run" : "The claim did not hold on your run"}: ${v.text}`;
    verdict.classList.toggle("rnn-lab-held", v.held);
    return true;
  }

  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function draw() {
    view.draw({ log, profiles, meta, settings: current });
  }

  new ResizeObserver(() => scheduleDraw()).observe(root);
  if (urlErrors.length) {
    reset(start);
    status.fail(
      new Error(`Some settings in the link were refused and kept their defaults: ${urlErrors.join("; ")}.`),
    );
  } else {
    reset(start);
  }
}

async function loadPassage() {
  const url = new URL("./passage.txt", import.meta.url);
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`could not load the passage for the char task (${response.status} ${url.pathname})`);
  return response.text();
}
