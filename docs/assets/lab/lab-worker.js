// @ts-check
// The lab's trainer, off the main thread so the page never blocks. Messages in:
//   {type: "reset", configs, passage, maxSteps, generation}  new session (weights from the seed)
//   {type: "start"} / {type: "pause"} / {type: "step"}
// Messages out: {type: "update", step, running, finished, updates: [per run: [per step...]],
//   summary} after each slice of training, and {type: "error", message}.
// Training runs in slices of about 50 ms, so a "pause" is seen within one slice.

import { LabSession } from "./session.js";

const SLICE_MS = 50;
/** @type {LabSession | null} */
let session = null;
let maxSteps = 0;
let running = false;
/** Which reset this session answers to: the page ignores updates from an older one. */
let generation = 0;

/** @typedef {ReturnType<LabSession["advance"]>[number]} Update one run's news from one step */

const scope = /** @type {DedicatedWorkerScope} */ (/** @type {unknown} */ (self));

/**
 * Send the page what changed, per run.
 * @param {LabSession} session
 * @param {NonNullable<Update>[][]} updates
 */
function post(session, updates) {
  const finished = session.finished(maxSteps);
  if (finished) running = false;
  scope.postMessage({
    type: "update",
    generation,
    step: session.step,
    running,
    finished,
    updates,
    summary: session.summary(),
  });
}

/**
 * Train one slice (about SLICE_MS) or, with `slices` false, one step.
 * @param {LabSession} session
 * @param {boolean} slices
 * @returns {NonNullable<Update>[][]}
 */
function train(session, slices) {
  /** @type {NonNullable<Update>[][]} */
  const updates = session.runs.map(() => []);
  const start = performance.now();
  do {
    session.advance().forEach((u, i) => u && updates[i].push(u));
  } while (slices && running && !session.finished(maxSteps) && performance.now() - start < SLICE_MS);
  // Only the latest gradient profile is drawn: older ones would only cost memory on the page.
  for (const steps of updates) {
    const keep = steps.findLastIndex((u) => u.profile);
    steps.forEach((u, j) => j !== keep && delete u.profile);
  }
  return updates;
}

/** The next slice, if one is scheduled: only one may be, or Start after Reset would run two loops. */
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;

function loop() {
  timer = null;
  if (!running || !session) return;
  post(session, train(session, true));
  if (running) timer = setTimeout(loop, 0);
}

function stop() {
  running = false;
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

self.onmessage = ({ data }) => {
  try {
    if (data.type === "reset") {
      stop();
      session = new LabSession(data.configs, data.passage);
      generation = data.generation;
      maxSteps = data.maxSteps;
      scope.postMessage({ type: "reset", baseline: session.baseline, solvedBelow: session.solvedBelow });
    } else if (!session) {
      throw new Error("the lab has no session yet; reset first");
    } else if (data.type === "start" && !session.finished(maxSteps)) {
      stop();
      running = true;
      loop();
    } else if (data.type === "pause") {
      stop();
      post(
        session,
        session.runs.map(() => []),
      );
    } else if (data.type === "step" && !running && !session.finished(maxSteps)) {
      post(session, train(session, false));
    }
  } catch (err) {
    stop();
    const message = /** @type {{message?: string} | null | undefined} */ (err)?.message;
    scope.postMessage({ type: "error", message: message ?? String(err) });
  }
};
