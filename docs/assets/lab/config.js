// @ts-check
// The lab's settings, DOM-free: every control's label, range and default, the checks that refuse
// out-of-range values (with a message for the page), and the round trip to a shareable URL.

/** Settings shared by both runs of an A/B comparison (one data stream feeds both). */
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

/** Settings of one run (A, and B in A/B mode). */
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

/** Every setting at its default: {shared, a, b, ab}. */
export function defaults() {
  const pick = (fields) => Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.default]));
  return { shared: pick(SHARED_FIELDS), a: pick(RUN_FIELDS), b: pick(RUN_FIELDS), ab: false };
}

/**
 * Parse one control's text; returns {value} or {error} with a message for beside the control.
 * @param {any} field @param {string | boolean} text
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

/** Checks across fields: {where: "shared.recall", error} for each problem (empty when fine). */
export function crossChecks(settings) {
  const problems = [];
  const { task, length, recall } = settings.shared;
  if (task === "copy" && length < 2 * recall + 1) {
    problems.push({ where: "shared.length", error: `the copy task needs T ≥ 2k + 1 = ${2 * recall + 1}` });
  }
  for (const run of settings.ab ? ["a", "b"] : ["a"]) {
    if (settings[run].truncation > length) {
      problems.push({
        where: `${run}.truncation`,
        error: `k must be at most T = ${length} (0 for full BPTT)`,
      });
    }
  }
  return problems;
}

/** The run configs LabSession takes: [A] or [A, B]. */
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
 * @param {any} settings
 * @param {string | null} [preset]  the preset's id, if the settings are one
 * @returns {string}
 */
export function toQuery(settings, preset = null) {
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
 */
export function fromQuery(text, start = defaults()) {
  const q = new URLSearchParams(text);
  const settings = structuredClone(start);
  const errors = [];
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
