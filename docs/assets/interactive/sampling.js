// @ts-check
// The text-generation chapter's sampling figure: the Shakespeare model's next-character
// distribution after a real context, reshaped by a temperature slider and a top-k control.
// The logits were computed at build time by the Python runtime
// (rnn_site/sitebuild/text_generation_data.py); the reshaping is the demo's own sampling rule,
// `nextDistribution` in ../demos/char-lm.js, so what you see is what the demo samples from.

import { argmax, nextDistribution } from "../demos/char-lm.js";
import { el, showError, visibleChar } from "../demos/ui.js";
import { mountFigure, uid } from "./common.js";

/** Bars drawn: the most likely characters at temperature 1; the rest are summed in one line. */
const SHOWN = 12;

/**
 * The build's data (rnn_site/sitebuild/text_generation_data.py): the model's vocabulary and, per
 * context, the logits of the next character.
 * @typedef {{schema: 1, vocab: string, contexts: {label: string, text: string, logits: number[]}[]}} SamplingData
 */

/**
 * Called by docs/assets/demos/loader.js for `<div data-interactive="sampling">`.
 * @param {HTMLElement} root
 */
export function mount(root) {
  return mountFigure(root, "char-lm-sampling.json", build);
}

/**
 * @param {HTMLElement} root
 * @param {SamplingData} data
 */
function build(root, data) {
  const vocab = Array.from(data.vocab);
  const ids = { context: uid("sf-context"), temperature: uid("sf-temperature"), topK: uid("sf-top-k") };
  const contextSelect = el(
    "select",
    { id: ids.context, "data-role": "context" },
    data.contexts.map((c, i) => el("option", { value: String(i) }, [c.label])),
  );
  const temperature = el("input", {
    id: ids.temperature,
    type: "range",
    min: "0",
    max: "2",
    step: "0.05",
    value: "1",
    "data-role": "temperature",
  });
  const temperatureOut = el("output", { for: ids.temperature, "data-role": "temperature-value" }, ["1.00"]);
  const topK = el("input", {
    id: ids.topK,
    type: "number",
    min: "0",
    max: String(vocab.length),
    step: "1",
    value: "0",
    inputmode: "numeric",
    class: "tg-top-k",
    "data-role": "top-k",
  });
  // Each label stays with its control when the row wraps on a narrow screen.
  /** @type {(...children: Node[]) => HTMLSpanElement} */
  const pair = (...children) => el("span", { class: "tg-pair" }, children);
  const controls = el("div", { class: "ri-controls" }, [
    pair(el("label", { for: ids.context }, ["Context "]), contextSelect),
    pair(el("label", { for: ids.temperature }, ["Temperature "]), temperature, temperatureOut),
    pair(el("label", { for: ids.topK }, ["Top-k (0 = all) "]), topK),
  ]);
  const contextView = el("pre", { class: "tg-context", "data-role": "context-text" });
  const bars = el("ol", { class: "rnn-top tg-bars", "data-role": "bars", "aria-live": "polite" });
  const summary = el("p", { class: "ri-readout", "data-role": "summary" });
  root.append(controls, contextView, bars, summary);

  let context = data.contexts[0];
  /** @type {number[]} */
  let shown = [];

  /** @param {number} index */
  function setContext(index) {
    context = data.contexts[index];
    // Fixed order (most likely at temperature 1), so the bars visibly flatten and sharpen.
    const base = nextDistribution(context.logits, { temperature: 1, topK: 0 });
    shown = Array.from(base.keys())
      .sort((a, b) => base[b] - base[a] || a - b)
      .slice(0, SHOWN);
    const tail = Array.from(context.text).slice(-60).join("");
    contextView.replaceChildren(
      el("span", { class: "rnn-prompt" }, [tail.length < context.text.length ? `…${tail}` : tail]),
      el("span", { class: "tg-caret", "aria-label": "next character" }, ["▮"]),
    );
    draw();
  }

  /** The settings if both controls hold valid values, otherwise null after saying what is accepted. */
  function settings() {
    const t = Number(temperature.value);
    const k = Number(topK.value);
    if (topK.value === "" || !Number.isInteger(k) || k < 0 || k > vocab.length) {
      showError(root, `Top-k must be a whole number from 0 to ${vocab.length} (got "${topK.value}").`);
      return null;
    }
    showError(root, "");
    return { temperature: t, topK: k };
  }

  function draw() {
    temperatureOut.value = Number(temperature.value).toFixed(2);
    const chosen = settings();
    if (!chosen) return;
    const p = nextDistribution(context.logits, chosen);
    bars.replaceChildren(
      ...shown.map((id) =>
        el("li", { "data-char": vocab[id], "data-p": String(p[id]), class: p[id] === 0 ? "tg-cut" : "" }, [
          el("span", { class: "rnn-top-char" }, [visibleChar(vocab[id])]),
          el("span", { class: "rnn-top-bar", style: `width: ${(p[id] * 100).toFixed(2)}%` }),
          el("span", { class: "rnn-top-p" }, [`${(p[id] * 100).toFixed(1)}%`]),
        ]),
      ),
    );
    const rest = 1 - shown.reduce((sum, id) => sum + p[id], 0);
    let entropy = 0;
    for (const q of p) if (q > 0) entropy -= q * Math.log2(q);
    const possible = p.filter((q) => q > 0).length;
    const greedy = visibleChar(vocab[argmax(context.logits)]);
    summary.dataset.entropy = String(entropy);
    summary.textContent =
      `The other ${vocab.length - SHOWN} characters: ${(Math.max(0, rest) * 100).toFixed(1)}%. ` +
      `${possible} of ${vocab.length} characters can be drawn; entropy ${entropy.toFixed(2)} bits ` +
      `(as uncertain as a fair choice among ${(2 ** entropy).toFixed(1)}). ` +
      `Greedy decoding always picks “${greedy}”.`;
  }

  contextSelect.addEventListener("change", () => setContext(Number(contextSelect.value)));
  temperature.addEventListener("input", draw);
  topK.addEventListener("input", draw);
  setContext(0);
}
