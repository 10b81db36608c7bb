// A tiny request/response protocol between a demo page and its Web Worker.
//
// Page side:   const w = new WorkerClient(new URL("./x-worker.js", import.meta.url));
//              const result = await w.call("generate", {...}, (event) => ...streamed events...);
//              w.send("stop");                          // fire-and-forget, no reply
// Worker side: serve({ generate: async (payload, emit) => result, stop: () => {...} });
//
// Errors thrown in the worker come back as rejected promises carrying the same message, so the
// page can show them; a worker that fails to start rejects every pending call.

export class WorkerClient {
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    this.pending = new Map();
    this.nextId = 1;
    this.worker.addEventListener("message", (e) => this.onMessage(e.data));
    // Fires when the worker script itself cannot load or throws at top level.
    this.worker.addEventListener("error", (e) => {
      e.preventDefault();
      this.failAll(new Error(`The demo worker failed: ${e.message || "could not load its script"}`));
    });
  }

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

  failAll(err) {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }

  /** Ask the worker to run `type`; `onEvent` receives whatever the handler `emit`s on the way. */
  call(type, payload = {}, onEvent = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ id, type, payload });
    });
  }

  /** A message with no reply (e.g. "stop"); handled even while a long call is running. */
  send(type, payload = {}) {
    this.worker.postMessage({ id: null, type, payload });
  }
}

/**
 * Worker side: dispatch incoming messages to `handlers[type](payload, emit)`.
 * A handler returns the result (or a promise of it); `emit(data, transfer)` streams an event.
 * The result may be `{value, transfer}` built with `transferable()` to move large typed arrays.
 */
export function serve(handlers) {
  self.addEventListener("message", async ({ data: { id, type, payload } }) => {
    const reply = (kind, data, transfer = []) => {
      if (id !== null) self.postMessage({ id, kind, data }, transfer);
    };
    try {
      const handler = handlers[type];
      if (!handler) throw new Error(`unknown request "${type}"`);
      const result = await handler(payload, (data, transfer = []) => reply("event", data, transfer));
      if (result instanceof Transferable) reply("result", result.value, result.transfer);
      else reply("result", result);
    } catch (err) {
      reply("error", { name: err?.name ?? "Error", message: err?.message ?? String(err) });
    }
  });
}

/** Wrap a result whose typed-array buffers should move to the page instead of being copied. */
class Transferable {
  constructor(value, transfer) {
    this.value = value;
    this.transfer = transfer;
  }
}
export const transferable = (value, transfer) => new Transferable(value, transfer);

/**
 * Let the worker's event loop run (so a "stop" message gets handled) without setTimeout's
 * 4 ms clamp: a message to ourselves is a macrotask that is queued behind pending messages.
 */
const channel = typeof MessageChannel === "function" ? new MessageChannel() : null;
export function yieldToEventLoop() {
  if (!channel) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
