// @ts-check
// The lab's settings form: one labelled control per setting (config.js), a message beside each
// control that refuses its value, and read/write of the whole settings object.

import { el } from "../demos/ui.js";
import { RUN_FIELDS, SHARED_FIELDS, crossChecks, parseField } from "./config.js";

/** @typedef {import("./config.js").Field} Field */
/** @typedef {import("./config.js").Settings} Settings */
/**
 * One setting's control, its wrapper, its message line and its spec.
 * @typedef {{field: HTMLDivElement, input: HTMLInputElement | HTMLSelectElement, msg: HTMLElement, spec: Field}} Control
 */

/** The settings' groups, in form order. */
const GROUPS = /** @type {const} */ (["shared", "a", "b"]);

/**
 * One control with its label and message line; returns {field, control}.
 * @param {string} id
 * @param {string} key
 * @param {Field} spec
 * @returns {Omit<Control, "spec">}
 */
function control(id, key, spec) {
  const msg = el("small", { id: `${id}-msg`, class: "rnn-lab-msg", "aria-live": "polite" });
  /** @type {HTMLInputElement | HTMLSelectElement} */
  let input;
  if (spec.type === "select") {
    input = el(
      "select",
      { id, name: key, "aria-describedby": msg.id },
      spec.options.map(([v, text]) => el("option", { value: v }, text)),
    );
  } else if (spec.type === "checkbox") {
    input = el("input", { id, name: key, type: "checkbox" });
  } else {
    const step = spec.type === "int" ? "1" : "any";
    input = el("input", {
      id,
      name: key,
      type: "number",
      inputmode: spec.type === "int" ? "numeric" : "decimal",
      min: String(spec.min),
      max: String(spec.max),
      step,
      "aria-describedby": msg.id,
    });
  }
  const label = el("label", { for: id }, spec.label);
  const field = el(
    "div",
    { class: `rnn-field rnn-lab-field${spec.type === "checkbox" ? " rnn-lab-check" : ""}` },
    spec.type === "checkbox" ? [input, label, msg] : [label, input, msg],
  );
  return { field, input, msg };
}

/**
 * The form: shared settings, run A, an A/B switch and run B. `onChange()` fires after any edit.
 * read() returns {settings, errors} and marks refused controls; write(settings) fills them in.
 * @param {import("../demos/ui.js").IdMaker} id
 * @param {() => void} onChange
 */
export function settingsForm(id, onChange) {
  /** @type {Record<(typeof GROUPS)[number], Record<string, Control>>} */
  const groups = { shared: {}, a: {}, b: {} };
  /** @type {(legend: string, fields: Record<string, Field>, group: (typeof GROUPS)[number], prefix: string) => HTMLFieldSetElement} */
  const fieldset = (legend, fields, group, prefix) =>
    el("fieldset", { class: "rnn-lab-fieldset" }, [
      el("legend", {}, legend),
      el(
        "div",
        { class: "rnn-controls" },
        Object.entries(fields).map(([key, spec]) => {
          const c = control(id(`${prefix}${key}`), key, spec);
          groups[group][key] = { ...c, spec };
          c.input.addEventListener("change", () => onChange());
          return c.field;
        }),
      ),
    ]);
  const abBox = el("input", { id: id("ab"), type: "checkbox" });
  abBox.addEventListener("change", () => onChange());
  const shared = fieldset("Task and data (shared by A and B)", SHARED_FIELDS, "shared", "");
  const runA = fieldset("Run A", RUN_FIELDS, "a", "a-");
  const runB = fieldset("Run B", RUN_FIELDS, "b", "b-");
  const abField = el("div", { class: "rnn-field rnn-lab-check" }, [
    abBox,
    el("label", { for: abBox.id }, "Compare with a second run (A/B, same data)"),
  ]);
  const node = el("div", { class: "rnn-lab-form" }, [shared, runA, abField, runB]);

  /** @param {Settings} settings */
  function visibility(settings) {
    runB.hidden = !settings.ab;
    for (const group of GROUPS) {
      for (const c of Object.values(groups[group])) {
        const cell = group === "shared" ? null : settings[group].cell;
        c.field.hidden = Boolean(
          (c.spec.task && c.spec.task !== settings.shared.task) || (c.spec.cell && c.spec.cell !== cell),
        );
      }
    }
  }

  /** @returns {{settings: Settings, errors: string[]}} */
  function read() {
    // Filled in below, one value per control (a refused value reads as its default).
    const settings = /** @type {Settings} */ (
      /** @type {unknown} */ ({ shared: {}, a: {}, b: {}, ab: abBox.checked })
    );
    /** @type {string[]} */
    const errors = [];
    for (const group of GROUPS) {
      const values = /** @type {Record<string, unknown>} */ (settings[group]);
      for (const [key, c] of Object.entries(groups[group])) {
        const parsed = parseField(
          c.spec,
          c.spec.type === "checkbox" ? /** @type {HTMLInputElement} */ (c.input).checked : c.input.value,
        );
        setError(c, "error" in parsed ? parsed.error : "");
        values[key] = "error" in parsed ? c.spec.default : parsed.value;
        if ("error" in parsed && (group !== "b" || settings.ab))
          errors.push(`${c.spec.label}: ${parsed.error}`);
      }
    }
    if (!errors.length) {
      for (const { where, error } of crossChecks(settings)) {
        const [group, key] = /** @type {[(typeof GROUPS)[number], string]} */ (where.split("."));
        setError(groups[group][key], error);
        errors.push(`${groups[group][key].spec.label}: ${error}`);
      }
    }
    visibility(settings);
    return { settings, errors };
  }

  /** @param {Settings} settings */
  function write(settings) {
    abBox.checked = settings.ab;
    for (const group of GROUPS) {
      const values = /** @type {Record<string, unknown>} */ (settings[group]);
      for (const [key, c] of Object.entries(groups[group])) {
        if (c.spec.type === "checkbox")
          /** @type {HTMLInputElement} */ (c.input).checked = Boolean(values[key]);
        else c.input.value = String(values[key]);
        setError(c, "");
      }
    }
    visibility(settings);
  }

  return { node, read, write, controls: groups };
}

/**
 * @param {Control} c
 * @param {string} message  empty clears it
 */
function setError(c, message) {
  c.msg.textContent = message;
  c.msg.classList.toggle("rnn-lab-error", Boolean(message));
  if (message) c.input.setAttribute("aria-invalid", "true");
  else c.input.removeAttribute("aria-invalid");
}
