// @ts-check
// The text-generation demo: a prompt and sampling controls, text streamed from a worker one
// character at a time, the model's top next-character probabilities, and the hidden-state view.
// Mounted by loader.js on `<div data-demo="text-generation" data-model="char-lm">`.
//
// root.dataset.state tells tests and the benchmark where the demo is:
// "example" → "loading" → "generating" → "analysing" → "done" | "stopped" | "error".
//
// The views: the form (formView), the text and its top next characters (outputView), the
// hidden-state view (states-view.js); mount wires them to the worker.

import { checkSettings, LIMITS, textFeatures } from "./char-lm.js";
import { ownModelControl } from "./own-model-view.js";
import { decodeStates } from "./quantised.js";
import { WorkerClient } from "./rpc.js";
import { fetchJson, SITE_ROOT } from "./runtime.js";
import { StatesView } from "./states-view.js";
import { el, field, StatusArea, submitOnCtrlEnter, visibleChar, whenIdle } from "./ui.js";

/** @param {string} model */
const EXAMPLE_URL = (model) => new URL(`assets/demos/data/${model}-example.json`, SITE_ROOT);
const DEFAULT_PROMPT = "ROMEO:\n";

/**
 * The prompt and the sampling settings; `read()` returns them as typed, for checkSettings.
 * @param {(name: string) => string} id
 */
function formView(id) {
  const prompt = el("textarea", {
    id: id("prompt"),
    rows: "3",
    spellcheck: "false",
    "aria-describedby": id("prompt-hint"),
  });
  prompt.value = DEFAULT_PROMPT;
  const temperature = el("input", {
    id: id("temperature"),
    type: "range",
    min: "0",
    max: "2",
    step: "0.05",
    value: "0.8",
  });
  const temperatureOut = el("output", { for: id("temperature"), "aria-hidden": "true" }, "0.80");
  temperature.addEventListener("input", () => (temperatureOut.value = Number(temperature.value).toFixed(2)));
  /** @param {string} name @param {string} value @param {number} min @param {number} [max] */
  const number = (name, value, min, max) =>
    el("input", { id: id(name), type: "number", min, max, value, inputmode: "numeric" });
  const length = number("length", "300", 1, LIMITS.length);
  const topK = number("top-k", "0", 0);
  topK.setAttribute("aria-describedby", id("top-k-hint"));
  const seed = number("seed", "42", 0, LIMITS.seed);
  const generateButton = el("button", { type: "submit", class: "md-button md-button--primary" }, "Generate");
  const stopButton = el("button", { type: "button", class: "md-button", disabled: true }, "Stop");

  // novalidate: our own checks explain what is accepted, in the status area, in every browser.
  const form = el("form", { class: "rnn-form", novalidate: true }, [
    field("Prompt", prompt, [
      el("small", { id: id("prompt-hint") }, "The model continues this text. Ctrl+Enter generates."),
    ]),
    el("div", { class: "rnn-controls" }, [
      field("Temperature", temperature, [temperatureOut]),
      field("Length (characters)", length),
      field("Top-k", topK, [el("small", { id: id("top-k-hint") }, "0 = all characters")]),
      field("Seed", seed),
    ]),
    el("div", { class: "rnn-buttons" }, [generateButton, stopButton]),
  ]);
  submitOnCtrlEnter(prompt, form);
  const read = () => ({
    prompt: prompt.value,
    length: length.value,
    temperature: temperature.value,
    topK: topK.value,
    seed: seed.value,
  });
  return { form, prompt, generateButton, stopButton, read };
}

/**
 * The prompt and generated text, where they came from, and the most likely next characters.
 * @param {(name: string) => string} id
 */
function outputView(id) {
  const promptText = document.createTextNode("");
  const generatedText = document.createTextNode("");
  const output = el(
    "pre",
    {
      class: "rnn-output",
      tabindex: "0",
      role: "region",
      "aria-label": "Generated text",
      "data-role": "output",
    },
    [
      el("span", { class: "rnn-prompt", "data-role": "prompt" }, [promptText]),
      el("span", { "data-role": "generated" }, [generatedText]),
    ],
  );
  const source = el("p", { class: "rnn-caption", "data-role": "source" });
  const top = el("ol", { class: "rnn-top", "data-role": "top" });
  const statesSection = el("section", { class: "rnn-states", "aria-labelledby": id("states-title") }, [
    el("h3", { id: id("states-title") }, "Inside the network: one unit at a time"),
  ]);
  const states = new StatesView(statesSection, id("states"));
  const nodes = [
    source,
    el("div", { class: "rnn-output-row" }, [
      output,
      el("figure", { class: "rnn-top-figure" }, [el("figcaption", {}, "Most likely next characters"), top]),
    ]),
    statesSection,
  ];
  return {
    nodes,
    source,
    /** @param {string} promptValue @param {string} generated */
    showText(promptValue, generated) {
      promptText.data = promptValue;
      generatedText.data = generated;
    },
    /** @param {string} text */
    appendText: (text) => generatedText.appendData(text),
    /** @param {[string, number][]} pairs  character and probability, most likely first */
    showTop(pairs) {
      top.replaceChildren(
        ...pairs.map(([ch, p]) =>
          el("li", {}, [
            el("span", { class: "rnn-top-char" }, visibleChar(ch)),
            el("span", { class: "rnn-top-bar", style: `width: ${(p * 100).toFixed(1)}%` }),
            el("span", { class: "rnn-top-p" }, `${(p * 100).toFixed(1)}%`),
          ]),
        ),
      );
    },
    /** @param {string} text @param {import("./unit-states.js").States} statesData */
    analyse: (text, statesData) => states.show(Array.from(text), statesData, textFeatures(text)),
  };
}

/** @param {HTMLElement} root */
export function mount(root) {
  const siteModel = root.dataset.model ?? "char-lm";
  const prefix = root.id || root.dataset.demo; // ids for labels; the page may use root.id elsewhere
  /** @param {string} name */
  const id = (name) => `${prefix}-${name}`;
  root.replaceChildren();
  root.classList.add("rnn-demo");

  const view = formView(id);
  const out = outputView(id);
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  /** @param {string} state */
  const setState = (state) => (root.dataset.state = state);

  const loader = new ModelLoader(siteModel, status);
  const own = ownModelControl(root, id, {
    roles: ["step", "sequence"],
    siteLabel: `the site's ${siteModel} (Shakespeare)`,
    onUse: async (/** @type {any} */ checked) => {
      await loader.worker().call("own", checked);
      loader.use(checked.name);
      view.prompt.value = checked.card.example_greedy?.prompt ?? view.prompt.value;
      status.info("Your model is ready in your browser: press Generate.");
    },
    onReset: () => {
      loader.use(siteModel);
      view.prompt.value = DEFAULT_PROMPT;
      status.info("");
    },
  });
  root.append(own.node, view.form, statusBox, ...out.nodes);

  showExample(root, siteModel, view.prompt, out);
  whenIdle(() => loader.prepare());

  // --- generation -----------------------------------------------------------------------------
  view.stopButton.addEventListener("click", () => loader.client?.send("stop"));
  view.form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!loader.running) generate();
  });

  async function generate() {
    const settings = status.accept(() => checkSettings(view.read()));
    if (settings === undefined) return setState("error");
    loader.running = true;
    view.generateButton.disabled = true;
    view.stopButton.disabled = false;
    setState("loading");
    status.info("Loading the model…");
    out.showText(settings.prompt, "");
    out.showTop([]);
    out.source.textContent =
      `Generated in your browser: temperature ${settings.temperature}, ` +
      `top-k ${settings.topK || "all"}, seed ${settings.seed}.`;

    let generated = "";
    const model = loader.model;
    try {
      const result = await loader
        .worker()
        .call("generate", { ...settings, model }, (/** @type {any} */ event) => {
          if (event.type === "progress") status.progress(event);
          else if (event.type === "ready") {
            setState("generating");
            status.info("Generating…");
          } else if (event.type === "text") {
            out.appendText(event.text);
            generated += event.text;
            out.showTop(event.top);
          }
        });
      const done =
        `${result.stopped ? "Stopped after" : "Generated"} ${Array.from(result.text).length} characters ` +
        `(${Math.round(result.charsPerSecond).toLocaleString("en")} characters a second).`;
      root.dataset.charsPerSecond = result.charsPerSecond.toFixed(0);
      root.dataset.firstCharMs = (result.firstCharMs ?? 0).toFixed(0);
      root.dataset.modelReadyMs = result.readyMs.toFixed(0);
      status.info(`${done} Computing hidden states…`);
      setState("analysing");
      const text = settings.prompt + result.text;
      out.analyse(text, await loader.worker().call("states", { model, text }, loader.onLoadEvent));
      status.info(`${done} Pick a unit below to see what it responds to.`);
      setState(result.stopped ? "stopped" : "done");
    } catch (err) {
      status.error(err);
      status.info(generated ? `Generated ${Array.from(generated).length} characters before the error.` : "");
      setState("error");
    } finally {
      loader.running = false;
      view.generateButton.disabled = false;
      view.stopButton.disabled = true;
    }
  }
}

/**
 * The worker that runs the model (one per demo), which model it runs, and that model's download
 * in the background: the runtime and the step graph start loading once the page is idle
 * (WebAssembly start-up is most of the wait), so Generate answers at once. With the browser's data
 * saver on, nothing loads before Generate.
 */
class ModelLoader {
  /**
   * @param {string} model  the site's model; a reader's own replaces it until "Back to the site's model"
   * @param {StatusArea} status
   */
  constructor(model, status) {
    this.model = model;
    this.status = status;
    /** @type {WorkerClient | null} */
    this.client = null;
    /** @type {Promise<void> | null} */
    this.preparing = null;
    this.running = false;
    /** Download progress goes to the status line. @param {any} event */
    this.onLoadEvent = (event) => {
      if (event.type === "progress") status.progress(event);
    };
  }

  worker() {
    return (this.client ??= new WorkerClient(new URL("./char-lm-worker.js", import.meta.url)));
  }

  /** Run `model` from now on (its graphs load on the next prepare or Generate). @param {string} model */
  use(model) {
    this.model = model;
    this.preparing = null;
  }

  /** Load the runtime and the model's step graph, once; a failure is retried by Generate. */
  prepare() {
    this.preparing ??= this.worker()
      .call("prepare", { model: this.model }, this.onLoadEvent)
      .then(
        () => {
          if (!this.running) this.status.info("The model is ready in your browser: press Generate.");
        },
        (/** @type {Error} */ err) => {
          this.preparing = null; // Generate will try again and show the error then
          if (!this.running)
            this.status.info(`The model did not load yet (${err.message}). Press Generate to retry.`);
        },
      );
    return this.preparing;
  }
}

/**
 * The precomputed example: shown at once, and still there if the model cannot load.
 * @param {HTMLElement} root
 * @param {string} siteModel
 * @param {HTMLTextAreaElement} prompt
 * @param {ReturnType<typeof outputView>} out
 */
function showExample(root, siteModel, prompt, out) {
  root.dataset.state = "example";
  fetchJson(EXAMPLE_URL(siteModel))
    .then((example) => {
      if (root.dataset.state !== "example") return; // the reader already generated something
      if (prompt.value === DEFAULT_PROMPT) prompt.value = example.prompt; // unless the reader typed
      out.showText(example.prompt, example.text);
      out.showTop(example.top ?? []);
      out.analyse(
        example.prompt + example.text,
        /** @type {import("./unit-states.js").States} */ (decodeStates(example.states, ["h", "c"])),
      );
      out.source.textContent =
        `Example computed when the site was built, by the Python runtime (greedy, ` +
        `${Array.from(example.text).length} characters). Temperature 0 in your browser gives the same text.`;
    })
    .catch(
      (/** @type {Error} */ err) => (out.source.textContent = `No precomputed example (${err.message}).`),
    );
}
