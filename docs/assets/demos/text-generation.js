// The text-generation demo: a prompt and sampling controls, text streamed from a worker one
// character at a time, the model's top next-character probabilities, and the hidden-state view.
// Mounted by loader.js on `<div data-demo="text-generation" data-model="char-lm">`.
//
// root.dataset.state tells tests and the benchmark where the demo is:
// "example" → "loading" → "generating" → "analysing" → "done" | "stopped" | "error".

import { checkSettings, LIMITS, textFeatures } from "./char-lm.js";
import { ownModelControl } from "./own-model-view.js";
import { decodeStates } from "./quantised.js";
import { WorkerClient } from "./rpc.js";
import { fetchJson, SITE_ROOT } from "./runtime.js";
import { StatesView } from "./states-view.js";
import { el, StatusArea, visibleChar } from "./ui.js";

const EXAMPLE_URL = (model) => new URL(`assets/demos/data/${model}-example.json`, SITE_ROOT);
const DEFAULT_PROMPT = "ROMEO:\n";

export function mount(root) {
  const siteModel = root.dataset.model ?? "char-lm";
  let model = siteModel; // a reader's own model replaces it until "Back to the site's model"
  const prefix = root.id || root.dataset.demo; // ids for labels; the page may use root.id elsewhere
  const id = (name) => `${prefix}-${name}`;
  root.replaceChildren();
  root.classList.add("rnn-demo");

  // --- controls -------------------------------------------------------------------------------
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
  const length = el("input", {
    id: id("length"),
    type: "number",
    min: "1",
    max: String(LIMITS.length),
    value: "300",
    inputmode: "numeric",
  });
  const topK = el("input", {
    id: id("top-k"),
    type: "number",
    min: "0",
    value: "0",
    inputmode: "numeric",
    "aria-describedby": id("top-k-hint"),
  });
  const seed = el("input", {
    id: id("seed"),
    type: "number",
    min: "0",
    max: String(LIMITS.seed),
    value: "42",
    inputmode: "numeric",
  });
  const generateButton = el("button", { type: "submit", class: "md-button md-button--primary" }, "Generate");
  const stopButton = el("button", { type: "button", class: "md-button", disabled: true }, "Stop");
  const field = (label, control, extra = []) =>
    el("div", { class: "rnn-field" }, [el("label", { for: control.id }, label), control, ...extra]);

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

  // --- output ---------------------------------------------------------------------------------
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
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
      el("span", { class: "rnn-prompt", "data-role": "prompt" }, promptText),
      el("span", { "data-role": "generated" }, generatedText),
    ],
  );
  const source = el("p", { class: "rnn-caption", "data-role": "source" });
  const top = el("ol", { class: "rnn-top", "data-role": "top" });
  const statesSection = el("section", { class: "rnn-states", "aria-labelledby": id("states-title") }, [
    el("h3", { id: id("states-title") }, "Inside the network: one unit at a time"),
  ]);
  const states = new StatesView(statesSection, id("states"));
  const own = ownModelControl(root, id, {
    roles: ["step", "sequence"],
    siteLabel: `the site's ${siteModel} (Shakespeare)`,
    onUse: async (checked) => {
      await getWorker().call("own", checked);
      model = checked.name;
      preparing = null;
      prompt.value = checked.card.example_greedy?.prompt ?? prompt.value;
      status.info("Your model is ready in your browser: press Generate.");
    },
    onReset: () => {
      model = siteModel;
      preparing = null;
      prompt.value = DEFAULT_PROMPT;
      status.info("");
    },
  });
  root.append(
    own.node,
    form,
    statusBox,
    source,
    el("div", { class: "rnn-output-row" }, [
      output,
      el("figure", { class: "rnn-top-figure" }, [el("figcaption", {}, "Most likely next characters"), top]),
    ]),
    statesSection,
  );

  const setState = (state) => (root.dataset.state = state);
  const showTop = (pairs) =>
    top.replaceChildren(
      ...pairs.map(([ch, p]) =>
        el("li", {}, [
          el("span", { class: "rnn-top-char" }, visibleChar(ch)),
          el("span", { class: "rnn-top-bar", style: `width: ${(p * 100).toFixed(1)}%` }),
          el("span", { class: "rnn-top-p" }, `${(p * 100).toFixed(1)}%`),
        ]),
      ),
    );
  const showText = (promptValue, generated) => {
    promptText.data = promptValue;
    generatedText.data = generated;
  };
  const analyse = (text, statesData) => states.show(Array.from(text), statesData, textFeatures(text));

  // --- the precomputed example: shown at once, and still there if the model cannot load ---------
  setState("example");
  fetchJson(EXAMPLE_URL(siteModel))
    .then((example) => {
      if (root.dataset.state !== "example") return; // the reader already generated something
      if (prompt.value === DEFAULT_PROMPT) prompt.value = example.prompt; // unless the reader typed
      showText(example.prompt, example.text);
      showTop(example.top ?? []);
      analyse(example.prompt + example.text, decodeStates(example.states, ["h", "c"]));
      source.textContent =
        `Example computed when the site was built, by the Python runtime (greedy, ` +
        `${Array.from(example.text).length} characters). Temperature 0 in your browser gives the same text.`;
    })
    .catch((err) => (source.textContent = `No precomputed example (${err.message}).`));

  // --- loading --------------------------------------------------------------------------------
  // Lazy, like loading="lazy" images: nothing is downloaded until the demo is on screen. Then the
  // runtime and the step graph load in the background (WebAssembly start-up is most of the wait),
  // so Generate answers at once. With the browser's data saver on, loading waits for Generate.
  let worker = null;
  let running = false;
  let preparing = null;
  const getWorker = () => (worker ??= new WorkerClient(new URL("./char-lm-worker.js", import.meta.url)));
  const onLoadEvent = (event) => {
    if (event.type === "progress") status.progress(event);
  };
  const prepare = () => {
    preparing ??= getWorker()
      .call("prepare", { model }, onLoadEvent)
      .then(
        () => {
          if (!running) status.info("The model is ready in your browser: press Generate.");
        },
        (err) => {
          preparing = null; // Generate will try again and show the error then
          if (!running) status.info(`The model did not load yet (${err.message}). Press Generate to retry.`);
        },
      );
    return preparing;
  };
  if (!navigator.connection?.saveData && "IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        prepare();
      }
    });
    // The demo, not the form: the own-model control above the form may push it below the fold.
    observer.observe(root);
  }

  // --- generation -----------------------------------------------------------------------------

  temperature.addEventListener("input", () => (temperatureOut.value = Number(temperature.value).toFixed(2)));
  prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  stopButton.addEventListener("click", () => worker?.send("stop"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!running) generate();
  });

  async function generate() {
    status.clearError();
    let settings;
    try {
      settings = checkSettings({
        prompt: prompt.value,
        length: length.value,
        temperature: temperature.value,
        topK: topK.value,
        seed: seed.value,
      });
    } catch (err) {
      status.error(err);
      setState("error");
      return;
    }

    running = true;
    generateButton.disabled = true;
    stopButton.disabled = false;
    setState("loading");
    status.info("Loading the model…");
    showText(settings.prompt, "");
    top.replaceChildren();
    source.textContent =
      `Generated in your browser: temperature ${settings.temperature}, ` +
      `top-k ${settings.topK || "all"}, seed ${settings.seed}.`;

    let generated = "";
    try {
      const result = await getWorker().call("generate", { ...settings, model }, (event) => {
        if (event.type === "progress") status.progress(event);
        else if (event.type === "ready") {
          setState("generating");
          status.info("Generating…");
        } else if (event.type === "text") {
          generatedText.appendData(event.text);
          generated += event.text;
          showTop(event.top);
        }
      });
      const count = Array.from(result.text).length;
      root.dataset.charsPerSecond = result.charsPerSecond.toFixed(0);
      root.dataset.firstCharMs = (result.firstCharMs ?? 0).toFixed(0);
      root.dataset.modelReadyMs = result.readyMs.toFixed(0);
      status.info(
        `${result.stopped ? "Stopped after" : "Generated"} ${count} characters ` +
          `(${Math.round(result.charsPerSecond).toLocaleString("en")} characters a second). Computing hidden states…`,
      );
      setState("analysing");
      const statesData = await worker.call(
        "states",
        { model, text: settings.prompt + result.text },
        onLoadEvent,
      );
      analyse(settings.prompt + result.text, statesData);
      status.info(
        `${result.stopped ? "Stopped after" : "Generated"} ${count} characters ` +
          `(${Math.round(result.charsPerSecond).toLocaleString("en")} characters a second). ` +
          "Pick a unit below to see what it responds to.",
      );
      setState(result.stopped ? "stopped" : "done");
    } catch (err) {
      status.error(err);
      status.info(generated ? `Generated ${Array.from(generated).length} characters before the error.` : "");
      setState("error");
    } finally {
      running = false;
      generateButton.disabled = false;
      stopButton.disabled = true;
    }
  }
}
