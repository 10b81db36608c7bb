// @ts-check
// The "Use your own model" control of the character demos (text generation, the LSTM cell
// explorer, compare the cells): pick or drop the folder `rnn-site export char-lm --out` wrote (its
// files, or one .zip of it), see every problem as its own line, and always see which model is
// active, with a button back to the site's model. The checks live in own-model.js (no DOM).
//
// The files are read in this page and handed to the demo's worker: nothing is uploaded. Keeping
// the model for a later visit (Cache API, this browser only) is off unless the reader ticks it.
//
// root.dataset.ownModel tells tests where the control is: "site" → "checking" → "active" | "error".

import { checkOwnModel, collectFiles, OwnModelError } from "./own-model.js";
import { messageOf, SITE_ROOT } from "./runtime.js";
import { el } from "./ui.js";

const KEEP_CACHE = "rnn-journey-own-model-v1";
const KEEP_PREFIX = new URL("own-model/", SITE_ROOT);
const GUIDE = new URL("applications/own-text/", SITE_ROOT);
let counter = 0;

/**
 * @typedef {{name: string, card: import("./card-types.js").TextGenerationCard, graphs: Record<string, Uint8Array>}} CheckedModel
 * @typedef {{
 *   roles: string[],
 *   siteLabel: string,
 *   onUse: (model: CheckedModel) => Promise<void>,
 *   onReset: () => void,
 * }} Options
 */

/**
 * Files dropped on the page, folders walked (entries must be taken before the first await).
 * @param {DataTransfer} transfer
 * @returns {Promise<File[]>}
 */
async function droppedFiles(transfer) {
  const entries = /** @type {FileSystemEntry[]} */ (
    Array.from(transfer.items ?? [])
      .map((item) => item.webkitGetAsEntry?.())
      .filter(Boolean)
  );
  if (!entries.length) return Array.from(transfer.files ?? []);
  /** @type {File[]} */
  const files = [];
  /** @type {(entry: FileSystemEntry) => Promise<void>} */
  const walk = async (entry) => {
    if (entry.isFile) {
      const file = /** @type {FileSystemFileEntry} */ (entry);
      files.push(await new Promise((resolve, reject) => file.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = /** @type {FileSystemDirectoryEntry} */ (entry).createReader();
      for (;;) {
        /** @type {FileSystemEntry[]} */
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return files;
}

/**
 * The reader's kept model (file name → bytes), or null.
 * @returns {Promise<Map<string, Uint8Array> | null>}
 */
async function readKept() {
  if (!globalThis.caches) return null;
  try {
    if (!(await caches.has(KEEP_CACHE))) return null; // never create storage the reader did not ask for
    const cache = await caches.open(KEEP_CACHE);
    const index = await cache.match(new URL("index.json", KEEP_PREFIX));
    if (!index) return null;
    /** @type {string[]} */
    const names = await index.json();
    const files = new Map();
    for (const name of names) {
      const response = await cache.match(new URL(encodeURIComponent(name), KEEP_PREFIX));
      if (response) files.set(name, new Uint8Array(await response.arrayBuffer()));
    }
    return files;
  } catch {
    return null;
  }
}

/**
 * Keep a checked model in the Cache API for the reader's next visit (only when they ask).
 * @param {Map<string, Uint8Array>} files
 */
async function keep(files) {
  const cache = await caches.open(KEEP_CACHE);
  for (const [name, bytes] of files) {
    // The bytes were read into an ArrayBuffer (never a SharedArrayBuffer), as Response's types ask.
    const body = /** @type {Uint8Array<ArrayBuffer>} */ (bytes);
    await cache.put(new URL(encodeURIComponent(name), KEEP_PREFIX), new Response(body));
  }
  await cache.put(new URL("index.json", KEEP_PREFIX), Response.json(Array.from(files.keys())));
}

const forget = () => globalThis.caches?.delete(KEEP_CACHE);

/**
 * Build the control; the caller appends `node` where the demo wants it.
 * @param {HTMLElement} root  the demo's root (gets data-own-model)
 * @param {import("./ui.js").IdMaker} id  the demo's unique id maker
 * @param {Options} options
 * @returns {{node: HTMLDivElement}}
 */
export function ownModelControl(root, id, { roles, siteLabel, onUse, onReset }) {
  const filesInput = el("input", {
    id: id("own-files"),
    type: "file",
    multiple: true,
    accept: ".zip,.json,.onnx,.md",
    "data-role": "own-model-files",
    "aria-describedby": id("own-hint"),
  });
  const folderInput = el("input", {
    id: id("own-folder"),
    type: "file",
    webkitdirectory: true,
    "data-role": "own-model-folder",
    "aria-describedby": id("own-hint"),
  });
  const keepBox = el("input", { id: id("own-keep"), type: "checkbox", "data-role": "own-model-keep" });
  const drop = el(
    "div",
    { class: "rnn-own-drop", "data-role": "own-model-drop" },
    "…or drop the model folder or its .zip here.",
  );
  const problems = el("ul", { class: "rnn-own-problems", "data-role": "own-model-problems" });
  const alert = el("div", { role: "alert", class: "rnn-alert", "data-role": "own-model-alert" }, [problems]);
  const active = el("span", { "data-role": "active-model" });
  const back = el(
    "button",
    { type: "button", class: "md-button", hidden: true, "data-role": "own-model-back" },
    "Back to the site's model",
  );
  const keptButton = el("button", { type: "button", class: "md-button", hidden: true }, "Use the kept model");
  const forgetButton = el(
    "button",
    { type: "button", class: "md-button", hidden: true },
    "Forget the kept model",
  );

  const details = el("details", { class: "rnn-own-model", "data-role": "own-model" }, [
    el("summary", {}, "Use your own model"),
    el("p", { id: id("own-hint") }, [
      "Choose every file of a model folder written by ",
      el("code", {}, "rnn-site export char-lm --out"),
      " (or one .zip of it). ",
      el("a", { href: GUIDE.href }, "Train one on your own text"),
      ". The files are read and run in this page: nothing is uploaded.",
    ]),
    el("div", { class: "rnn-own-inputs" }, [
      el("div", { class: "rnn-field" }, [
        el("label", { for: filesInput.id }, "Model files or .zip"),
        filesInput,
      ]),
      el("div", { class: "rnn-field" }, [
        el("label", { for: folderInput.id }, "Or a whole folder"),
        folderInput,
      ]),
    ]),
    drop,
    el("div", { class: "rnn-field rnn-own-keep" }, [
      keepBox,
      el("label", { for: keepBox.id }, "Keep this model in this browser for my next visit"),
    ]),
    el("div", { class: "rnn-buttons" }, [keptButton, forgetButton]),
    alert,
  ]);
  const line = el("p", { class: "rnn-active-model", "data-role": "active-model-line" }, [
    "Active model: ",
    active,
    " ",
    back,
  ]);
  const node = el("div", { class: "rnn-own-model-box" }, [line, details]);

  const showSite = () => {
    active.textContent = siteLabel;
    back.hidden = true;
    root.dataset.ownModel = "site";
  };
  /** @type {(list: string[]) => void} */
  const showProblems = (list) => {
    problems.replaceChildren(...list.map((text) => el("li", { "data-role": "own-model-problem" }, text)));
  };
  showSite();

  /**
   * @param {File[]} chosen  files the reader picked (ignored when `ready` is given)
   * @param {Map<string, Uint8Array> | null} ready  files already read, or null to read `chosen`
   */
  async function use(chosen, ready = null) {
    root.dataset.ownModel = "checking";
    showProblems([]);
    try {
      const files =
        ready ??
        (await collectFiles(
          await Promise.all(
            chosen.map(async (file) => ({
              name: file.name,
              bytes: new Uint8Array(await file.arrayBuffer()),
            })),
          ),
        ));
      const checked = await checkOwnModel(files, { roles });
      counter += 1;
      const name = `own-${counter}-${checked.name}`;
      await onUse({ ...checked, name });
      active.textContent = `your model “${checked.card.name}” (${checked.card.title ?? "from your files"}; checked, it stays on this device)`;
      back.hidden = false;
      root.dataset.ownModel = "active";
      if (keepBox.checked && globalThis.caches) {
        await keep(files).catch(() =>
          showProblems([
            "The browser refused to keep the model (storage is full or blocked); it still works on this visit.",
          ]),
        );
        refreshKept();
      }
    } catch (err) {
      showProblems(err instanceof OwnModelError ? err.problems : [messageOf(err)]);
      root.dataset.ownModel = "error";
      details.open = true;
    }
  }

  async function refreshKept() {
    const kept = await readKept();
    const name = kept?.has("card.json")
      ? (() => {
          try {
            return JSON.parse(new TextDecoder().decode(kept.get("card.json"))).name;
          } catch {
            return "your model";
          }
        })()
      : null;
    keptButton.hidden = forgetButton.hidden = !name;
    keptButton.textContent = `Use the kept model “${name}”`;
    keptButton.onclick = () => kept && use([], kept);
  }

  for (const input of [filesInput, folderInput]) {
    input.addEventListener("change", () => {
      const chosen = Array.from(input.files ?? []);
      input.value = ""; // choosing the same files again (after a fix) fires change again
      if (chosen.length) use(chosen);
    });
  }
  for (const target of [drop, details]) {
    target.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("is-over");
    });
    target.addEventListener("dragleave", () => drop.classList.remove("is-over"));
    target.addEventListener("drop", async (event) => {
      const e = /** @type {DragEvent} */ (event);
      e.preventDefault();
      drop.classList.remove("is-over");
      if (e.dataTransfer) use(await droppedFiles(e.dataTransfer));
    });
  }
  back.addEventListener("click", () => {
    onReset();
    showProblems([]);
    showSite();
  });
  forgetButton.addEventListener("click", async () => {
    await forget();
    refreshKept();
  });
  refreshKept();
  return { node };
}
