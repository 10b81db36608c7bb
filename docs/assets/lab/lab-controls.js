// @ts-check
// The lab's settings form: one labelled control per setting (config.js), a message beside each
// control that refuses its value, and read/write of the whole settings object.

import { el } from "../demos/ui.js";
import { RUN_FIELDS, SHARED_FIELDS, crossChecks, parseField } from "./config.js";

/** One control with its label and message line; returns {field, control}. */
function control(id, key, spec) {
  const msg = el("small", { id: `${id}-msg`, class: "rnn-lab-msg", "aria-live": "polite" });
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
 */
export function settingsForm(id, onChange) {
  const groups = { shared: {}, a: {}, b: {} };
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

  function visibility(settings) {
    runB.hidden = !settings.ab;
    for (const group of ["shared", "a", "b"]) {
      for (const c of Object.values(groups[group])) {
        const cell = group === "shared" ? null : settings[group].cell;
        c.field.hidden =
          (c.spec.task && c.spec.task !== settings.shared.task) || (c.spec.cell && c.spec.cell !== cell);
      }
    }
  }

  function read() {
    const settings = { shared: {}, a: {}, b: {}, ab: abBox.checked };
    const errors = [];
    for (const group of ["shared", "a", "b"]) {
      for (const [key, c] of Object.entries(groups[group])) {
        const parsed = parseField(c.spec, c.spec.type === "checkbox" ? c.input.checked : c.input.value);
        setError(c, "error" in parsed ? parsed.error : "");
        settings[group][key] = "error" in parsed ? c.spec.default : parsed.value;
        if ("error" in parsed && (group !== "b" || settings.ab))
          errors.push(`${c.spec.label}: ${parsed.error}`);
      }
    }
    if (!errors.length) {
      for (const { where, error } of crossChecks(settings)) {
        const [group, key] = where.split(".");
        setError(groups[group][key], error);
        errors.push(`${groups[group][key].spec.label}: ${error}`);
      }
    }
    visibility(settings);
    return { settings, errors };
  }

  function write(settings) {
    abBox.checked = settings.ab;
    for (const group of ["shared", "a", "b"]) {
      for (const [key, c] of Object.entries(groups[group])) {
        if (c.spec.type === "checkbox") c.input.checked = Boolean(settings[group][key]);
        else c.input.value = String(settings[group][key]);
        setError(c, "");
      }
    }
    visibility(settings);
  }

  return { node, read, write, controls: groups };
}

function setError(c, message) {
  c.msg.textContent = message;
  c.msg.classList.toggle("rnn-lab-error", Boolean(message));
  if (message) c.input.setAttribute("aria-invalid", "true");
  else c.input.removeAttribute("aria-invalid");
}
