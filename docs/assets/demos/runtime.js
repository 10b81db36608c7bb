// @ts-check
// Shared model runtime for every in-browser demo: where the site lives, which models exist,
// fetching a model file (checked against its sha256, cached), and lazy onnxruntime-web sessions.
//
// Model-agnostic on purpose: it knows `models/manifest.json` and `card.json`, nothing about
// characters or sentiment. It uses no DOM, so it runs the same in a page and in a Web Worker
// (the demos run inference in workers so the page never freezes).

/** The onnxruntime-web version the site build copies (package.json pins the same, a test checks). */
export const ORT_VERSION = "1.30.0";

/**
 * The site root, whatever the depth of the page: this file is always served from
 * `<site root>/assets/demos/runtime.js`, so its own URL is a better anchor than the page URL
 * (pages live at different depths, and with or without directory URLs).
 */
export const SITE_ROOT = new URL("../../", import.meta.url);

/** Self-hosted onnxruntime-web files; never a CDN, the site makes no request to other hosts. */
export const ORT_DIR = new URL(`assets/vendor/onnxruntime-web-${ORT_VERSION}/`, SITE_ROOT);

export const MODELS_DIR = new URL("models/", SITE_ROOT);

// Bump the suffix when the cached data format changes; older caches are deleted on first use.
const CACHE_PREFIX = "rnn-journey-models-";
export const CACHE_NAME = `${CACHE_PREFIX}v1`;

/** @typedef {import("./card-types.js").Card} Card */
/** @typedef {import("./card-types.js").Manifest} Manifest */
/** @typedef {import("./card-types.js").ManifestEntry} ManifestEntry */
/** @typedef {import("./card-types.js").ManifestFile} ManifestFile */
/** onnxruntime-web's API (the package's own types; the module itself is imported from the site). */
/** @typedef {typeof import("onnxruntime-web")} Ort */
/** @typedef {import("onnxruntime-web").InferenceSession} InferenceSession */

/**
 * Download progress of one model file, as a Model reports it (StatusArea.progress shows it).
 * @typedef {{file: string, loaded: number, total: number, cached: boolean}} Progress
 */

/**
 * Progress while fetching one file: bytes so far, the manifest's byte count, and whether they came
 * from the browser cache.
 * @typedef {(loaded: number, total: number, cached?: boolean) => void} OnBytes
 */

/**
 * The message of anything thrown: `err.message` where there is one, else String(err).
 * @param {unknown} err
 * @returns {string}
 */
export function messageOf(err) {
  return /** @type {{message?: string} | null | undefined} */ (err)?.message ?? String(err);
}

/** An error whose message is written for the reader and shown on the page as it is. */
export class DemoError extends Error {
  /**
   * @param {string} message  shown to the reader as it is
   * @param {ErrorOptions} [options]  e.g. `{cause}`
   */
  constructor(message, options) {
    super(message, options);
    this.name = "DemoError";
  }
}

/** @type {Promise<Manifest> | null} */
let manifestPromise = null;

/**
 * The models manifest (`models/manifest.json`), fetched once per page or worker.
 * @returns {Promise<Manifest>}
 */
export function loadManifest() {
  // "no-cache" revalidates with the server, so a new model release is seen at once while an
  // unchanged manifest still costs only a 304.
  if (!manifestPromise) {
    manifestPromise = fetchJson(new URL("manifest.json", MODELS_DIR), { cache: "no-cache" });
    // A failed fetch is not kept: the next caller (a demo's "Try again") fetches afresh.
    manifestPromise.catch(() => (manifestPromise = null));
  }
  return manifestPromise;
}

/**
 * Fetch and parse a JSON file of the site; a failure is a DemoError that names the file.
 * @param {URL} url
 * @param {RequestInit} [init]
 * @returns {Promise<any>} the parsed JSON, whatever its shape (the caller knows it)
 */
export async function fetchJson(url, init = {}) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new DemoError(`Could not reach ${url.pathname ?? url}: ${messageOf(err)}`, { cause: err });
  }
  if (!response.ok) {
    throw new DemoError(`Could not load ${new URL(url).pathname}: HTTP ${response.status}.`);
  }
  return response.json();
}

/**
 * Lowercase hex sha256 of some bytes, or null where SubtleCrypto is missing (see below).
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @returns {Promise<string | null>}
 */
async function sha256Hex(bytes) {
  // SubtleCrypto exists only in secure contexts (https, localhost). A site served over plain
  // http on a LAN address still works: the check guards against truncated downloads and stale
  // caches, not against an attacker (the manifest comes from the same server as the file).
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The Cache API store, or null where the browser offers none (insecure context, some privacy modes).
 * @returns {Promise<Cache | null>}
 */
async function openCache() {
  if (!globalThis.caches) return null;
  try {
    // Drop caches from older formats so they stop using the reader's disk.
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME) await caches.delete(name);
    }
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // e.g. Firefox private windows throw SecurityError: run without a cache.
  }
}
/** @type {Promise<Cache | null> | null} */
let cachePromise = null;

/**
 * Read a response body while reporting progress; `expected` is the manifest's byte count,
 * more reliable than Content-Length (which a server may compress away).
 * @param {Response} response
 * @param {number} expected
 * @param {OnBytes} [onProgress]
 * @returns {Promise<Uint8Array<ArrayBuffer>>}
 */
async function readWithProgress(response, expected, onProgress) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.(loaded, expected);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Fetch one file listed in the manifest (`{path, sha256, bytes}`, path relative to `models/`),
 * check its sha256, and keep it in the Cache API for the next visit.
 *
 * The cache key carries the sha256, so a new model release can never be served a stale file;
 * older versions of the same path are deleted once the new one is stored.
 * @param {ManifestFile} entry
 * @param {{onProgress?: OnBytes}} [options]
 * @returns {Promise<Uint8Array<ArrayBuffer>>}
 */
export async function fetchModelFile(entry, { onProgress } = {}) {
  const url = new URL(entry.path, MODELS_DIR);
  const key = new URL(`${url.href}?sha256=${entry.sha256}`);
  cachePromise ??= openCache();
  const cache = await cachePromise;

  const cached = await cache?.match(key);
  if (cache && cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    const hex = await sha256Hex(bytes);
    if (hex === null || hex === entry.sha256) {
      onProgress?.(bytes.byteLength, bytes.byteLength, true);
      return bytes;
    }
    await cache.delete(key); // corrupted entry: fall through to the network
  }

  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new DemoError(`Could not download ${entry.path}: ${messageOf(err)}`, { cause: err });
  }
  if (!response.ok) throw new DemoError(`Could not download ${entry.path}: HTTP ${response.status}.`);
  const bytes = await readWithProgress(response, entry.bytes, onProgress);
  const hex = await sha256Hex(bytes);
  if (hex !== null && hex !== entry.sha256) {
    throw new DemoError(
      `${entry.path} is damaged or out of date (sha256 ${hex.slice(0, 12)}…, the manifest expects ` +
        `${entry.sha256.slice(0, 12)}…). Reload the page; if it persists, the site was published incompletely.`,
    );
  }
  // Stored in the background: the demo need not wait for the disk to use the bytes.
  if (cache) storeInCache(cache, key, url, bytes);
  return bytes;
}

/**
 * @param {Cache} cache
 * @param {URL} key  the file's URL with its sha256
 * @param {URL} url  the file's URL
 * @param {Uint8Array<ArrayBuffer>} bytes
 */
async function storeInCache(cache, key, url, bytes) {
  try {
    await cache.put(key, new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }));
    for (const request of await cache.keys()) {
      const old = new URL(request.url);
      if (old.pathname === url.pathname && old.href !== key.href) await cache.delete(request);
    }
  } catch {
    // Quota exceeded or similar: the model still works, it just is not kept for next time.
  }
}

/** @type {Promise<Ort> | null} */
let ortPromise = null;

/**
 * onnxruntime-web (WASM backend only), imported on first use and configured for static hosting.
 * @returns {Promise<Ort>}
 */
export function loadOrt() {
  ortPromise ??= import(new URL("ort.wasm.min.mjs", ORT_DIR).href).then(
    (ort) => {
      // Fetch the .wasm/.mjs pair from our own vendor folder, not from ORT's default CDN guess.
      ort.env.wasm.wasmPaths = ORT_DIR.href;
      // Threads need SharedArrayBuffer, i.e. cross-origin isolation headers that a static host
      // (GitHub Pages, ReadTheDocs) cannot send. One thread is also what the demos are sized for.
      ort.env.wasm.numThreads = 1;
      // The demos already run ORT inside their own worker; ORT's proxy worker would be a second hop.
      ort.env.wasm.proxy = false;
      return ort;
    },
    (err) => {
      ortPromise = null;
      throw new DemoError(`Could not load onnxruntime-web from ${ORT_DIR.pathname}: ${messageOf(err)}`, {
        cause: err,
      });
    },
  );
  return ortPromise;
}

/**
 * One model from the manifest: its card and its ONNX graphs, each fetched and turned into an
 * inference session only when first asked for (a reader who never opens a view never downloads it).
 *
 * `C` is the card type the caller expects, e.g. `Model<import("./card-types.js").TranslationCard>`
 * (annotate the variable); by default any card.
 * @template {Card} [C=Card]
 */
export class Model {
  /**
   * @param {string} name  model name in the manifest, e.g. "char-lm"
   * @param {{onProgress?: (p: Progress) => void}} [options]
   */
  constructor(name, { onProgress } = {}) {
    this.name = name;
    this.onProgress = onProgress;
    /** @type {Map<string, Promise<InferenceSession>>} */
    this.sessions = new Map();
    /** @type {Promise<C> | null} */
    this.cardPromise = null;
  }

  /**
   * The manifest entry for this model.
   * @returns {Promise<ManifestEntry>}
   */
  async entry() {
    const manifest = await loadManifest();
    const entry = manifest.models?.find((m) => m.name === this.name);
    if (!entry) {
      const known = (manifest.models ?? []).map((m) => m.name).join(", ") || "none";
      throw new DemoError(`The site has no model named "${this.name}" (models: ${known}).`);
    }
    return entry;
  }

  /**
   * The model card (`card.json`): vocabulary, config, file names per graph role.
   * @returns {Promise<C>}
   */
  card() {
    if (!this.cardPromise) {
      this.cardPromise = (async () => {
        const entry = await this.entry();
        const file = this.file(entry, entry.card);
        return JSON.parse(new TextDecoder().decode(await fetchModelFile(file)));
      })();
      this.cardPromise.catch(() => (this.cardPromise = null)); // retried on the next call
    }
    return this.cardPromise;
  }

  /**
   * The card of a text model whose tokenizer this page implements as `pattern`; a card with
   * another tokenizer (a model newer than the page) is refused, since its tokens would differ.
   * @param {string} pattern
   * @returns {Promise<C>}
   */
  async textCard(pattern) {
    const card = await this.card();
    if (/** @type {{tokenizer?: {pattern?: string}}} */ (card).tokenizer?.pattern !== pattern) {
      throw new DemoError("This page's tokenizer differs from the model's; reload the page.");
    }
    return card;
  }

  /**
   * @param {ManifestEntry} entry
   * @param {string} path  relative to models/
   * @returns {ManifestFile}
   */
  file(entry, path) {
    const file = entry.files.find((f) => f.path === path);
    if (!file) throw new DemoError(`The manifest lists no file ${path} for model "${this.name}".`);
    return file;
  }

  /**
   * The manifest entry of the file the card names for `role` (`card.files[role]`: a graph such
   * as "step", or data such as "seeds"). Card paths are relative to the card's own folder.
   * @param {string} role
   * @returns {Promise<ManifestFile>}
   */
  async cardFile(role) {
    const [entry, card] = await Promise.all([this.entry(), this.card()]);
    const name = card.files?.[role];
    if (!name) throw new DemoError(`Model "${this.name}" has no "${role}" file.`);
    const path = `${entry.card.split("/").slice(0, -1).join("/")}/${name}`.replace(/^\//, "");
    return this.file(entry, path);
  }

  /**
   * A JSON file the card names for `role` (e.g. the music demo's "seeds"), fetched and parsed.
   * @param {string} role
   * @returns {Promise<any>} the parsed JSON (its shape is the caller's to know)
   */
  async json(role) {
    const bytes = await fetchModelFile(await this.cardFile(role));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  /**
   * The inference session for one graph role of the card's `files` (e.g. "step", "sequence").
   * @param {string} role
   * @returns {Promise<InferenceSession>}
   */
  session(role) {
    if (!this.sessions.has(role)) {
      const promise = (async () => {
        const [ort, file] = await Promise.all([loadOrt(), this.cardFile(role)]);
        const path = file.path;
        const bytes = await fetchModelFile(file, {
          onProgress: (loaded, total, cached = false) =>
            this.onProgress?.({ file: path, loaded, total, cached }),
        });
        try {
          return await ort.InferenceSession.create(bytes, {
            executionProviders: ["wasm"],
            graphOptimizationLevel: "all",
          });
        } catch (err) {
          throw new DemoError(`onnxruntime-web could not open ${path}: ${messageOf(err)}`, { cause: err });
        }
      })();
      // A failed load may be retried (e.g. the network came back), so do not keep the rejection.
      promise.catch(() => this.sessions.delete(role));
      this.sessions.set(role, promise);
    }
    return /** @type {Promise<InferenceSession>} */ (this.sessions.get(role));
  }
}
