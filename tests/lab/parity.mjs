// Runs the lab's JavaScript on a request written by test_lab_parity.py and prints what it computed,
// so Python can compare it with rnn_site.scratch: node parity.mjs request.json > result.json
import { readFileSync } from "node:fs";
import { fromRows, mat, toRows } from "../../docs/assets/lab/linalg.js";
import { LabRandom } from "../../docs/assets/lab/rng.js";
import { LabRun, dataStream, taskFor, trainCurve } from "../../docs/assets/lab/train.js";

const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
const matrix = (a) => (Array.isArray(a[0]) ? fromRows(a) : fromRows([a]));
const dump = (params) => Object.fromEntries(Object.entries(params).map(([k, m]) => [k, toRows(m)]));
/** Python's batch (x: B × T × I, y: steps × B) as the lab's {x: T × (B, I), targets}. */
function batchFrom({ x, steps, y }) {
  const [B, T, I] = [x.length, x[0].length, x[0][0].length];
  const xs = Array.from({ length: T }, (_, t) => mat(B, I, Float64Array.from(x.flatMap((ex) => ex[t]))));
  return { x: xs, targets: { steps, y: Float64Array.from(y.flat()) } };
}
function runWith(c) {
  const task = taskFor(c.config.task, c.passage ?? "");
  const run = new LabRun(c.config, task);
  for (const [k, v] of Object.entries(c.params)) Object.assign(run.params[k] ?? run.readout[k], matrix(v));
  return { run, task };
}

const out = { random: [], normal: [], cases: [] };
const rng = new LabRandom(request.rngSeed);
for (let i = 0; i < 1000; i++) out.random.push(rng.random());
for (let i = 0; i < 1000; i++) out.normal.push(rng.normal());
for (const c of request.cases) {
  const { run, task } = runWith(c);
  const batch = batchFrom(c.batch);
  if (c.kind === "grads") {
    // One step with lr 0 would still move Adam; read the gradients the step computes instead.
    const saved = run.optimizer;
    let grads = null;
    run.optimizer = { step: (_, g) => (grads = g) };
    const r = run.step(batch);
    run.optimizer = saved;
    out.cases.push({ loss: r.loss, grads: dump(grads) });
  } else if (c.kind === "adam") {
    const losses = [];
    for (let i = 0; i < c.steps; i++) losses.push(run.step(batch).loss);
    out.cases.push({ losses, params: dump(run.allParams()) });
  } else if (c.kind === "seeded") {
    const fresh = new LabRun(c.config, task);
    const data = dataStream(c.config.seed);
    const b = task.batch(data, c.config);
    out.cases.push({
      params: dump(fresh.allParams()),
      x: b.x.map(toRows),
      y: Array.from(b.targets.y),
      steps: b.targets.steps,
      curve: trainCurve(c.config, c.steps, c.passage ?? ""),
    });
  }
}
process.stdout.write(JSON.stringify(out));
