// @ts-check
// The lab's settings, DOM-free: every control's label, range and default, the checks that refuse
// out-of-range values (with a message for the page), and the round trip to a shareable URL.

/**
 * One control: its label, kind, options or range, default, and (optionally) the task or cell it
 * applies to.
 * @typedef {{label: string, default: string | number | boolean, task?: string, cell?: string} & (
 *   {type: "select", options: [string, string][]} | {type: "int" | "number", min: number, max: number}
 *   | {type: "checkbox"})} Field
 */

/**
 * Settings shared by both runs (SHARED_FIELDS' values).
 * @typedef {{task: string, length: number, batch: number, recall: number, seed: number, steps: number}} SharedSettings
 */

/**
 * Settings of one run (RUN_FIELDS' values).
 * @typedef {{cell: string, hidden: number, init: string, rho: number, forgetBias: string, optimizer: string,
 *   lr: number, clipOn: boolean, tau: number, truncation: number}} RunSettings
 */

/**
 * Everything the lab's controls hold; `ab` turns run B on.
 * @typedef {{shared: SharedSettings, a: RunSettings, b: RunSettings, ab: boolean}} Settings
 */

/**
 * What one run trains with (runConfigs): the shared settings and the run's own, clipping as one
 * threshold (0: off) and the forget-gate bias as a number.
 * @typedef {SharedSettings & {cell: string, hidden: number, init: string, rho: number,
 *   forgetBias: number, optimizer: string, lr: number, clip: number, truncation: number}} RunConfig
 */

/**
 * Settings shared by both runs of an A/B comparison (one data stream feeds both).
 * @type {Record<keyof SharedSettings, Field>}
 */
export const SHARED_FIELDS = {
  task: {
    label: "Task",
    type: "select",
    options: [
      ["adding", "Adding problem"],
      ["copy", "Copy (memory) task"],
      ["char", "Next character (Shakespeare)"],
    ],
    default: "adding",
  },
  length: { label: "Sequence length T", type: "int", min: 10, max: 200, default: 20 },
  batch: { label: "Batch size", type: "int", min: 1, max: 128, default: 16 },
  recall: { label: "Symbols to recall k (copy)", type: "int", min: 1, max: 10, default: 3, task: "copy" },
  seed: { label: "Seed", type: "int", min: 0, max: 999999, default: 0 },
  steps: { label: "Stop after steps", type: "int", min: 1, max: 20000, default: 2000 },
};

/**
 * Settings of one run (A, and B in A/B mode).
 * @type {Record<keyof RunSettings, Field>}
 */
export const RUN_FIELDS = {
  cell: {
    label: "Cell",
    type: "select",
    options: [
      ["rnn", "tanh RNN"],
      ["lstm", "LSTM"],
      ["gru", "GRU"],
    ],
    default: "lstm",
  },
  hidden: { label: "Hidden size H", type: "int", min: 4, max: 128, default: 32 },
  init: {
    label: "Recurrent init",
    type: "select",
    options: [
      ["orthogonal", "Orthogonal × ρ"],
      ["xavier", "Xavier × ρ"],
      ["identity", "Identity × ρ"],
    ],
    default: "orthogonal",
  },
  rho: { label: "Scale ρ", type: "number", min: 0.1, max: 5, default: 1 },
  forgetBias: {
    label: "Forget-gate bias (LSTM)",
    type: "select",
    options: [
      ["1", "1"],
      ["0", "0"],
    ],
    default: "1",
    cell: "lstm",
  },
  optimizer: {
    label: "Optimiser",
    type: "select",
    options: [
      ["adam", "Adam"],
      ["sgd", "SGD"],
    ],
    default: "adam",
  },
  lr: { label: "Learning rate", type: "number", min: 0.00001, max: 10, default: 0.01 },
  clipOn: { label: "Clip gradients", type: "checkbox", default: false },
  tau: { label: "Clipping threshold τ", type: "number", min: 0.001, max: 1000, default: 1 },
  truncation: { label: "Truncation k (0: full BPTT)", type: "int", min: 0, max: 200, default: 0 },
};

/**
 * Every setting at its default: {shared, a, b, ab}.
 * @returns {Settings}
 */
export function defaults() {
  /** @type {(fields: Record<string, Field>) => any} */
  const pick = (fields) => Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.default]));
  return { shared: pick(SHARED_FIELDS), a: pick(RUN_FIELDS), b: pick(RUN_FIELDS), ab: false };
}

/**
 * Parse one control's text; returns {value} or {error} with a message for beside the control.
 * @param {Field} field
 * @param {string | boolean} text
 * @returns {{value: string | number | boolean} | {error: string}}
 */
export function parseField(field, text) {
  if (field.type === "checkbox") return { value: Boolean(text) };
  if (field.type === "select") {
    return field.options.some(([v]) => v === text)
      ? { value: text }
      : { error: `choose one of the listed options` };
  }
  const value = Number(String(text).trim());
  const range = `from ${field.min} to ${field.max}`;
  if (String(text).trim() === "" || !Number.isFinite(value)) return { error: `enter a number ${range}` };
  if (field.type === "int" && !Number.isInteger(value)) return { error: `enter a whole number ${range}` };
  if (value < field.min || value > field.max)
    return { error: `${value} is out of range: enter a number ${range}` };
  return { value };
}

/**
 * Checks across fields: {where: "shared.recall", error} for each problem (empty when fine).
 * @param {Settings} settings
 * @returns {{where: string, error: string}[]}
 */
export function crossChecks(settings) {
  const problems = [];
  const { task, length, recall } = settings.shared;
  if (task === "copy" && length < 2 * recall + 1) {
    problems.push({ where: "shared.length", error: `the copy task needs T ≥ 2k + 1 = ${2 * recall + 1}` });
  }
  for (const run of /** @type {("a" | "b")[]} */ (settings.ab ? ["a", "b"] : ["a"])) {
    if (settings[run].truncation > length) {
      problems.push({
        where: `${run}.truncation`,
        error: `k must be at most T = ${length} (0 for full BPTT)`,
      });
    }
  }
  return problems;
}

/**
 * The run configs LabSession takes: [A] or [A, B].
 * @param {Settings} settings
 * @returns {RunConfig[]}
 */
export function runConfigs(settings) {
  const runs = settings.ab ? [settings.a, settings.b] : [settings.a];
  return runs.map((r) => ({
    ...settings.shared,
    cell: r.cell,
    hidden: r.hidden,
    init: r.init,
    rho: r.rho,
    forgetBias: Number(r.forgetBias),
    optimizer: r.optimizer,
    lr: r.lr,
    clip: r.clipOn ? r.tau : 0,
    truncation: r.truncation,
  }));
}

/**
 * Settings as URL query text: only what differs from the defaults (B's keys start with "b.").
 * @param {Settings} settings
 * @param {string | null} [preset]  the preset's id, if the settings are one
 * @returns {string}
 */
export function toQuery(settings, preset = null) {
  /** @type {{shared: Record<string, unknown>, a: Record<string, unknown>, b: Record<string, unknown>}} */
  const base = defaults();
  const q = new URLSearchParams();
  if (preset) q.set("preset", preset);
  for (const [k, v] of Object.entries(settings.shared)) if (v !== base.shared[k]) q.set(k, String(v));
  for (const [k, v] of Object.entries(settings.a)) if (v !== base.a[k]) q.set(k, String(v));
  if (settings.ab) {
    q.set("ab", "1");
    for (const [k, v] of Object.entries(settings.b)) if (v !== base.b[k]) q.set(`b.${k}`, String(v));
  }
  return q.toString();
}

/**
 * Settings from URL query text over `start` (defaults or a preset's). Unknown keys are ignored;
 * a bad value keeps the start value and is reported: returns {settings, errors: [message]}.
 * @param {string} text
 * @param {Settings} [start]
 * @returns {{settings: Settings, errors: string[]}}
 */
export function fromQuery(text, start = defaults()) {
  const q = new URLSearchParams(text);
  const settings = structuredClone(start);
  /** @type {string[]} */
  const errors = [];
  /** @type {(fields: Record<string, Field>, target: Record<string, unknown>, prefix: string) => void} */
  const read = (fields, target, prefix) => {
    for (const [k, field] of Object.entries(fields)) {
      const raw = q.get(prefix + k);
      if (raw === null) continue;
      const parsed = parseField(field, field.type === "checkbox" ? raw === "true" || raw === "1" : raw);
      if ("error" in parsed) errors.push(`${prefix}${k}: ${parsed.error}`);
      else target[k] = parsed.value;
    }
  };
  read(SHARED_FIELDS, settings.shared, "");
  read(RUN_FIELDS, settings.a, "");
  if (q.has("ab")) settings.ab = q.get("ab") === "1";
  read(RUN_FIELDS, settings.b, "b.");
  return { settings, errors };
}
