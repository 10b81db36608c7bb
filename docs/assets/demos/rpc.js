// @ts-check
// A tiny request/response protocol between a demo page and its Web Worker.
//
// Page side:   const w = new WorkerClient(new URL("./x-worker.js", import.meta.url));
//              const result = await w.call("generate", {...}, (event) => ...streamed events...);
//              w.send("stop");                          // fire-and-forget, no reply
// Worker side: serve({ generate: async (payload, emit) => result, stop: () => {...} });
//
// Errors thrown in the worker come back as rejected promises carrying the same message, so the
// page can show them; a worker that fails to start rejects every pending call.

/**
 * A message from the worker: an event streamed by a call, its result, or its error.
 * @typedef {{id: number, kind: "event" | "result", data: any} | {id: number, kind: "error", data: {name: string, message: string}}} Reply
 */

/**
 * A call waiting for its reply.
 * @typedef {{resolve: (value: any) => void, reject: (reason: Error) => void, onEvent: ((data: any) => void) | null}} PendingCall
 */

/**
 * A worker-side handler: gets the call's payload and `emit(data, transfer)` for streamed events;
 * returns the result, or a promise of it (use transferable() to move typed-array buffers).
 * @typedef {(payload: any, emit: (data: unknown, transfer?: Transferable[]) => void) => unknown} Handler
 */

export class WorkerClient {
  /** @param {URL} url  the worker module */
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    /** @type {Map<number, PendingCall>} */
    this.pending = new Map();
    this.nextId = 1;
    this.worker.addEventListener("message", (e) => this.onMessage(e.data));
    // Fires when the worker script itself cannot load or throws at top level.
    this.worker.addEventListener("error", (e) => {
      e.preventDefault();
      this.failAll(new Error(`The demo worker failed: ${e.message || "could not load its script"}`));
    });
  }

  /** @param {Reply} reply */
  onMessage({ id, kind, data }) {
    const call = this.pending.get(id);
    if (!call) return;
    if (kind === "event") {
      call.onEvent?.(data);
      return;
    }
    this.pending.delete(id);
    if (kind === "result") call.resolve(data);
    else {
      const err = new Error(data.message);
      err.name = data.name;
      call.reject(err);
    }
  }

  /** @param {Error} err */
  failAll(err) {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }

  /**
   * Ask the worker to run `type`; `onEvent` receives whatever the handler `emit`s on the way.
   * @param {string} type
   * @param {unknown} [payload]
   * @param {((data: any) => void) | null} [onEvent]
   * @returns {Promise<any>} the handler's result (its shape is the handler's to say)
   */
  call(type, payload = {}, onEvent = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ id, type, payload });
    });
  }

  /**
   * A message with no reply (e.g. "stop"); handled even while a long call is running.
   * @param {string} type
   * @param {unknown} [payload]
   */
  send(type, payload = {}) {
    this.worker.postMessage({ id: null, type, payload });
  }
}

/**
 * Worker side: dispatch incoming messages to `handlers[type](payload, emit)`.
 * A handler returns the result (or a promise of it); `emit(data, transfer)` streams an event.
 * The result may be `{value, transfer}` built with `transferable()` to move large typed arrays.
 * @param {Record<string, Handler>} handlers
 */
export function serve(handlers) {
  const scope = /** @type {DedicatedWorkerScope} */ (/** @type {unknown} */ (self));
  scope.addEventListener("message", async ({ data: { id, type, payload } }) => {
    /** @type {(kind: Reply["kind"], data: unknown, transfer?: Transferable[]) => void} */
    const reply = (kind, data, transfer = []) => {
      if (id !== null) scope.postMessage({ id, kind, data }, transfer);
    };
    try {
      const handler = handlers[type];
      if (!handler) throw new Error(`unknown request "${type}"`);
      const result = await handler(payload, (data, transfer = []) => reply("event", data, transfer));
      if (result instanceof TransferableResult) reply("result", result.value, result.transfer);
      else reply("result", result);
    } catch (err) {
      const { name, message } =
        /** @type {{name?: string, message?: string} | null | undefined} */ (err) ?? {};
      reply("error", { name: name ?? "Error", message: message ?? String(err) });
    }
  });
}

/** Wrap a result whose typed-array buffers should move to the page instead of being copied. */
class TransferableResult {
  /**
   * @param {unknown} value
   * @param {Transferable[]} transfer
   */
  constructor(value, transfer) {
    this.value = value;
    this.transfer = transfer;
  }
}
/** @type {(value: unknown, transfer: Transferable[]) => TransferableResult} */
export const transferable = (value, transfer) => new TransferableResult(value, transfer);

/**
 * Let the worker's event loop run (so a "stop" message gets handled) without setTimeout's
 * 4 ms clamp: a message to ourselves is a macrotask that is queued behind pending messages.
 */
const channel = typeof MessageChannel === "function" ? new MessageChannel() : null;
/** @returns {Promise<void>} */
export function yieldToEventLoop() {
  if (!channel) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
