// @ts-check
// A reader's own character model, from the folder `rnn-site export char-lm --out DIR` wrote (or
// one .zip of it): read, checked and opened without leaving the device. No DOM here, so the checks
// run in Node's test runner and in a worker alike; own-model-view.js is the page's side.
//
// Everything is checked before anything runs, and each problem is its own sentence:
//   1. the folder's manifest.json lists every file with its SHA-256 and size: each file the demo
//      needs must be there and match (a changed, truncated or missing file is named);
//   2. card.json must describe a text-generation model whose contract the demo can drive: the
//      step graph's inputs token (int64 [batch]) and states (float32 [layers, batch, hidden]),
//      its outputs logits (float32 [batch, vocab]) and <state>_out, the vocabulary as wide as
//      the logits, and, for the demos that draw states, the sequence graph with its gates;
//   3. in the worker, each graph onnxruntime-web opens must have exactly the card's inputs and
//      outputs (names, dtypes, fixed sizes), see `OwnModel.session`.

import { DemoError, loadOrt, messageOf, SITE_ROOT } from "./runtime.js";

/** @typedef {import("./card-types.js").TextGenerationCard} TextGenerationCard */
/** @typedef {import("./card-types.js").GraphContract} GraphContract */
/** @typedef {import("./runtime.js").InferenceSession} InferenceSession */

/** The fflate version the site build copies (package.json pins the same; a test checks both). */
export const FFLATE_VERSION = "0.8.3";
const FFLATE_URL = new URL(`assets/vendor/fflate-${FFLATE_VERSION}/fflate.mjs`, SITE_ROOT);

/** The task the character demos run; a card with another task is refused by name. */
export const TASK = "text-generation";
const SEQUENCE_OUTPUTS = [
  "logits",
  "h_out",
  "c_out",
  "h_seq",
  "c_seq",
  "i_gate",
  "f_gate",
  "g_gate",
  "o_gate",
];
/** Most bytes a reader's model may have: the demos are sized for models of a few MB. */
export const MAX_BYTES = 64 * 1024 * 1024;

/** An own model that failed its checks: `problems` holds one reader-facing sentence each. */
export class OwnModelError extends DemoError {
  /** @param {string[]} problems */
  constructor(problems) {
    super(problems.join(" "));
    this.name = "OwnModelError";
    this.problems = problems;
  }
}

/**
 * Lowercase hex SHA-256 of some bytes. Needs SubtleCrypto (https or localhost; Node has it):
 * without it a reader's files cannot be checked, so the model is refused rather than run unchecked.
 * @param {Uint8Array} bytes
 */
export async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) {
    throw new OwnModelError([
      "This page cannot compute SHA-256 (the browser offers it only on https:// or localhost pages), " +
        "so your model's files cannot be checked. Open the site over https or on localhost.",
    ]);
  }
  // No SharedArrayBuffer reaches here (the site is not cross-origin isolated), so the bytes sit in
  // an ArrayBuffer, which is what SubtleCrypto's types ask for.
  const digest = await crypto.subtle.digest("SHA-256", /** @type {Uint8Array<ArrayBuffer>} */ (bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @typedef {(bytes: Uint8Array) => Record<string, Uint8Array>} Unzip */

/** fflate's `unzipSync`, loaded from the site's own copy on first use. @returns {Promise<Unzip>} */
export async function loadUnzip() {
  try {
    const fflate = await import(FFLATE_URL.href);
    return fflate.unzipSync;
  } catch (err) {
    throw new DemoError(`Could not load the .zip reader from ${FFLATE_URL.pathname}: ${messageOf(err)}`);
  }
}

/**
 * Path → file name ("my-model/step.onnx" → "step.onnx"); null for folders and OS clutter.
 * @param {string} path
 * @returns {string | null}
 */
function baseName(path) {
  const parts = path.split(/[\\/]/);
  const name = parts.at(-1) ?? "";
  if (!name || name.startsWith(".") || parts.includes("__MACOSX")) return null;
  return name;
}

/**
 * The files a reader chose (or dropped) → a Map of file name → bytes. One .zip among them is
 * unpacked (files in a folder inside it are taken by their name). Two different files with one
 * name are refused: we would not know which one the manifest means.
 * @param {{name: string, bytes: Uint8Array}[]} chosen
 * @param {Unzip | null} unzip  fflate's unzipSync (loaded from the site when null)
 * @returns {Promise<Map<string, Uint8Array>>}
 */
export async function collectFiles(chosen, unzip = null) {
  if (!chosen.length) throw new OwnModelError(["No file was chosen."]);
  const total = chosen.reduce((sum, f) => sum + f.bytes.byteLength, 0);
  if (total > MAX_BYTES) {
    throw new OwnModelError([
      `The files chosen hold ${(total / 1e6).toFixed(1)} MB; the demos accept models up to ` +
        `${MAX_BYTES / 1024 / 1024} MB. Choose only the model folder's files.`,
    ]);
  }
  /** @type {Map<string, Uint8Array>} */
  const files = new Map();
  /** @type {string[]} */
  const problems = [];
  /** @type {(path: string, bytes: Uint8Array) => void} */
  const add = (path, bytes) => {
    const name = baseName(path);
    if (name === null) return;
    const seen = files.get(name);
    if (seen && (seen.byteLength !== bytes.byteLength || seen.some((b, i) => b !== bytes[i]))) {
      problems.push(`Two different files are called ${name}: choose the files of one model folder only.`);
    }
    files.set(name, bytes);
  };
  for (const { name, bytes } of chosen) {
    if (/\.zip$/i.test(name)) {
      const read = unzip ?? (await loadUnzip());
      let entries;
      try {
        entries = read(bytes);
      } catch (err) {
        throw new OwnModelError([`${name} is not a readable .zip file (${messageOf(err)}).`]);
      }
      for (const [path, data] of Object.entries(entries)) if (!path.endsWith("/")) add(path, data);
    } else {
      add(name, bytes);
    }
  }
  if (problems.length) throw new OwnModelError(problems);
  return files;
}

/**
 * The JSON file `name` of `files`, parsed; null (and a sentence in `problems`) where it is not JSON.
 * @param {Map<string, Uint8Array>} files
 * @param {string} name
 * @param {string[]} problems
 * @returns {any} parsed, not yet checked
 */
function parseJson(files, name, problems) {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(files.get(name)));
  } catch (err) {
    problems.push(`${name} is not valid JSON (${messageOf(err)}): export the model again.`);
    return null;
  }
}

/** @type {(shape: (number | string)[]) => string} */
const shapeText = (shape) => `[${shape.join(", ")}]`;

/**
 * A contract to check against, per side: tensor name → [dtype, shape].
 * @typedef {Record<"inputs" | "outputs", Record<string, [string, (number | string)[]]>>} Expected
 */

/**
 * Check one graph's contract in the card: exactly these inputs and outputs, each with the dtype
 * and shape given (a symbolic dimension is a string, e.g. "batch"). Adds a sentence per mismatch.
 * @param {any} card  parsed card.json, not yet checked
 * @param {string} role
 * @param {Expected} expected
 * @param {string[]} problems
 */
function checkGraphContract(card, role, expected, problems) {
  const io = card.io?.[role];
  const file = card.files?.[role] ?? role;
  if (!io?.inputs || !io?.outputs) {
    problems.push(`card.json has no input/output contract for ${file} (io.${role}).`);
    return;
  }
  for (const side of /** @type {const} */ (["inputs", "outputs"])) {
    const names = Object.keys(io[side]);
    const want = Object.keys(expected[side]);
    if (names.join(",") !== want.join(",")) {
      problems.push(
        `card.json: ${file} has ${side} ${names.join(", ") || "none"}; this demo needs ${want.join(", ")}.`,
      );
      continue;
    }
    for (const [name, [dtype, shape]] of Object.entries(expected[side])) {
      const spec = io[side][name];
      if (spec?.dtype !== dtype) {
        problems.push(
          `card.json: ${file} ${side.slice(0, -1)} ${name} is ${spec?.dtype}; it must be ${dtype}.`,
        );
      } else if (JSON.stringify(spec.shape) !== JSON.stringify(shape)) {
        problems.push(
          `card.json: ${file} ${side.slice(0, -1)} ${name} has shape ${shapeText(spec.shape ?? [])}; ` +
            `with the card's config it must be ${shapeText(shape)}.`,
        );
      }
    }
  }
}

/**
 * The card's contract as this demo needs it: problems (sentences) for everything that does not fit.
 * @param {any} card  parsed card.json
 * @param {string[]} roles  graphs the demo runs: ["step"], or ["step", "sequence"] to draw states
 * @returns {string[]}
 */
export function contractProblems(card, roles) {
  /** @type {string[]} */
  const problems = [];
  if (card?.task !== TASK) {
    problems.push(
      `card.json says this is a ${card?.task ?? "model without a task"} model; this demo runs ` +
        `${TASK} models (character models from \`rnn-site export char-lm --out\`).`,
    );
    return problems;
  }
  const config = card.config ?? {};
  const layers = config.num_layers;
  const hidden = config.hidden_size;
  if (![layers, hidden, config.vocab_size].every((n) => Number.isInteger(n) && n > 0)) {
    problems.push("card.json: config must give num_layers, hidden_size and vocab_size as whole numbers.");
    return problems;
  }
  if (typeof card.vocab !== "string") {
    problems.push("card.json has no vocabulary (vocab).");
    return problems;
  }
  const chars = Array.from(card.vocab);
  if (new Set(chars).size !== chars.length) {
    problems.push(
      `card.json: the vocabulary repeats characters (${chars.length} listed, ${new Set(chars).size} distinct).`,
    );
  }
  const logitsWidth = card.io?.step?.outputs?.logits?.shape?.[1];
  if (chars.length !== config.vocab_size || (logitsWidth !== undefined && logitsWidth !== chars.length)) {
    problems.push(
      `card.json: the vocabulary has ${chars.length} characters but the logits are ` +
        `${logitsWidth ?? config.vocab_size} wide (vocab_size ${config.vocab_size}); ` +
        "each character needs exactly one score. Export the model again.",
    );
  }
  const stepInputs = Object.keys(card.io?.step?.inputs ?? {});
  const states = stepInputs.filter((name) => name !== "token");
  /** @type {[string, (number | string)[]]} */
  const state = ["float32", [layers, "batch", hidden]];
  if (roles.includes("step")) {
    checkGraphContract(
      card,
      "step",
      {
        inputs: { token: ["int64", ["batch"]], ...Object.fromEntries(states.map((s) => [s, state])) },
        outputs: {
          logits: ["float32", ["batch", config.vocab_size]],
          ...Object.fromEntries(states.map((s) => [`${s}_out`, state])),
        },
      },
      problems,
    );
    if (!states.length) problems.push("card.json: the step graph has no state inputs.");
  }
  if (roles.includes("sequence")) {
    /** @type {[string, (number | string)[]]} */
    const perStep = ["float32", ["batch", "time", layers, hidden]];
    checkGraphContract(
      card,
      "sequence",
      {
        inputs: { tokens: ["int64", ["batch", "time"]], h0: state, c0: state },
        outputs: Object.fromEntries(
          SEQUENCE_OUTPUTS.map((name) => [
            name,
            name === "logits"
              ? ["float32", ["batch", "time", config.vocab_size]]
              : name.endsWith("_out")
                ? state
                : perStep,
          ]),
        ),
      },
      problems,
    );
  }
  return problems;
}

/**
 * Check a reader's model folder before anything runs: manifest, hashes, card, contract, task.
 * Throws an OwnModelError listing every problem found (each its own sentence).
 * @param {Map<string, Uint8Array>} files  file name → bytes (from `collectFiles`)
 * @param {{roles: string[]}} options  the graphs the demo needs
 * @returns {Promise<{name: string, card: TextGenerationCard, graphs: Record<string, Uint8Array>}>}
 */
export async function checkOwnModel(files, { roles }) {
  if (!files.has("manifest.json")) {
    const some = Array.from(files.keys()).slice(0, 5).join(", ");
    throw new OwnModelError([
      `manifest.json is missing (you chose ${some}${files.size > 5 ? ", …" : ""}): choose every ` +
        "file of the folder that `rnn-site export char-lm --out` wrote, or one .zip of that folder.",
    ]);
  }
  /** @type {string[]} */
  const problems = [];
  const manifest = parseJson(files, "manifest.json", problems);
  const entry = manifest?.models?.[0];
  if (manifest && (manifest.schema !== 1 || !Array.isArray(entry?.files) || manifest.models.length !== 1)) {
    problems.push(
      "manifest.json is not the manifest of one model folder (schema 1, one model): choose the files " +
        "that `rnn-site export char-lm --out` wrote, not the site's models/ folder.",
    );
  }
  if (problems.length) throw new OwnModelError(problems);

  /** @type {Map<string, {path: string, sha256: unknown, bytes: unknown}>} */
  const listed = new Map(entry.files.map((/** @type {any} */ f) => [f.path, f]));
  // The card first: it says which graph files the demo needs.
  const required = ["card.json"];
  const checked = new Set();
  /** @type {(path: string) => Promise<void>} */
  const checkFile = async (path) => {
    if (checked.has(path)) return;
    checked.add(path);
    const want = listed.get(path);
    if (!want) {
      problems.push(`manifest.json does not list ${path}, so it cannot be checked: export the model again.`);
      return;
    }
    const bytes = files.get(path);
    if (!bytes) {
      problems.push(
        `${path} is missing: manifest.json lists it, but it was not among the files you chose ` +
          "(choose every file of the folder, or its .zip).",
      );
      return;
    }
    if (bytes.byteLength !== want.bytes) {
      problems.push(
        `${path} has ${bytes.byteLength.toLocaleString("en")} bytes; manifest.json expects ` +
          `${Number(want.bytes).toLocaleString("en")}: the file is incomplete or was changed after export.`,
      );
      return;
    }
    const hex = await sha256Hex(bytes);
    if (hex !== want.sha256) {
      problems.push(
        `${path}: its SHA-256 is ${hex.slice(0, 12)}…, manifest.json expects ${String(want.sha256).slice(0, 12)}…: ` +
          "the file was changed after export. Export the folder again (or copy it again).",
      );
    }
  };
  for (const path of required) await checkFile(path);
  const card = problems.length ? null : parseJson(files, "card.json", problems);
  if (!card) throw new OwnModelError(problems);
  for (const role of roles) {
    const file = card.files?.[role];
    if (typeof file !== "string") {
      problems.push(
        role === "sequence"
          ? "card.json lists no sequence graph; this demo draws hidden states and gates, which need one."
          : `card.json lists no ${role} graph.`,
      );
    } else {
      await checkFile(file);
    }
  }
  // Every other listed file that was chosen must match too: a changed README is a changed folder.
  for (const path of listed.keys()) if (files.has(path)) await checkFile(path);
  problems.push(...contractProblems(card, roles));
  if (problems.length) throw new OwnModelError(problems);
  const graphs = Object.fromEntries(
    roles.map((role) => [role, /** @type {Uint8Array} */ (files.get(card.files[role]))]),
  );
  return { name: String(card.name ?? "model"), card, graphs };
}

/** @type {Record<string, string>} */
const ORT_TYPES = { float32: "float32", int64: "int64" };

/**
 * The parts of an onnxruntime-web InferenceSession that sessionProblems reads (tests pass plain objects).
 * @typedef {object} SessionIo
 * @property {readonly string[]} inputNames
 * @property {readonly string[]} outputNames
 * @property {readonly {name: string, isTensor: boolean, type?: string, shape?: readonly (number | string)[]}[]} [inputMetadata]
 * @property {readonly {name: string, isTensor: boolean, type?: string, shape?: readonly (number | string)[]}[]} [outputMetadata]
 */

/**
 * Problems (sentences) where an opened session's inputs/outputs differ from the card's contract.
 * `metadata` is onnxruntime-web's `inputMetadata`/`outputMetadata` ({name, isTensor, type, shape}).
 * @param {string} file  the graph's file name, for the sentences
 * @param {GraphContract} contract  the card's io entry for the graph
 * @param {SessionIo} session
 * @returns {string[]}
 */
export function sessionProblems(file, contract, session) {
  /** @type {string[]} */
  const problems = [];
  /** @type {["inputs" | "outputs", readonly string[], SessionIo["inputMetadata"]][]} */
  const sides = [
    ["inputs", session.inputNames, session.inputMetadata],
    ["outputs", session.outputNames, session.outputMetadata],
  ];
  for (const [side, names, metadata] of sides) {
    const expected = Object.keys(contract[side]);
    if (names.join(",") !== expected.join(",")) {
      problems.push(`${file} has ${side} ${names.join(", ")}; card.json says ${expected.join(", ")}.`);
      continue;
    }
    for (const meta of metadata ?? []) {
      const spec = contract[side][meta.name];
      if (!meta.isTensor || !spec) continue;
      const shape = (meta.shape ?? []).map((d) => (typeof d === "number" ? d : String(d)));
      if (meta.type !== ORT_TYPES[spec.dtype] || JSON.stringify(shape) !== JSON.stringify(spec.shape)) {
        problems.push(
          `${file}: ${meta.name} is ${meta.type} ${shapeText(shape)}; card.json says ` +
            `${spec.dtype} ${shapeText(spec.shape)}.`,
        );
      }
    }
  }
  return problems;
}

/**
 * A reader's model with the interface of runtime.js's `Model` (name, card(), session(role)), built
 * from bytes already checked by `checkOwnModel`: nothing is downloaded, nothing is sent anywhere.
 */
export class OwnModel {
  /**
   * @param {string} name  a name unique on the page (the view adds a counter)
   * @param {TextGenerationCard} card  checked by checkOwnModel
   * @param {Record<string, Uint8Array>} graphs  role → ONNX bytes
   */
  constructor(name, card, graphs) {
    this.name = name;
    this.graphs = graphs;
    this.cardValue = card;
    /** @type {Map<string, Promise<InferenceSession>>} */
    this.sessions = new Map();
  }

  /** @returns {Promise<TextGenerationCard>} */
  card() {
    return Promise.resolve(this.cardValue);
  }

  /**
   * The onnxruntime-web session of one graph, its inputs and outputs checked against the card.
   * @param {string} role
   * @returns {Promise<InferenceSession>}
   */
  session(role) {
    if (!this.sessions.has(role)) {
      const promise = (async () => {
        const bytes = this.graphs[role];
        const file = this.cardValue.files?.[role] ?? role;
        if (!bytes) throw new DemoError(`Your model has no ${role} graph loaded.`);
        const ort = await loadOrt();
        let session;
        try {
          session = await ort.InferenceSession.create(bytes, {
            executionProviders: ["wasm"],
            graphOptimizationLevel: "all",
          });
        } catch (err) {
          throw new OwnModelError([`onnxruntime-web could not open ${file}: ${messageOf(err)}`]);
        }
        const io = /** @type {Record<string, GraphContract>} */ (/** @type {unknown} */ (this.cardValue.io));
        const problems = sessionProblems(file, io[role], session);
        if (problems.length) throw new OwnModelError(problems);
        return session;
      })();
      promise.catch(() => this.sessions.delete(role));
      this.sessions.set(role, promise);
    }
    return /** @type {Promise<InferenceSession>} */ (this.sessions.get(role));
  }

  /** Open every graph now, so a graph that disagrees with its card is reported before any run. */
  async open() {
    await Promise.all(Object.keys(this.graphs).map((role) => this.session(role)));
  }
}
