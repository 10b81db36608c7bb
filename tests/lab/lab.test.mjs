// Node tests of the lab's DOM-free modules (run by test_lab_node.py, or: node --test tests/lab/).
import assert from "node:assert/strict";
import { test } from "node:test";
import { clipByGlobalNorm, globalNorm } from "../../docs/assets/lab/clip.js";
import {
  RUN_FIELDS,
  SHARED_FIELDS,
  crossChecks,
  defaults,
  fromQuery,
  parseField,
  runConfigs,
  toQuery,
} from "../../docs/assets/lab/config.js";
import { orthogonal } from "../../docs/assets/lab/init.js";
import { mat } from "../../docs/assets/lab/linalg.js";
import { PRESETS, presetSettings, reach } from "../../docs/assets/lab/presets.js";
import { LabRandom } from "../../docs/assets/lab/rng.js";
import { LabSession } from "../../docs/assets/lab/session.js";
import { charTask, entropy } from "../../docs/assets/lab/tasks.js";
import { LabRun } from "../../docs/assets/lab/train.js";

test("out-of-range values are refused with the accepted range", () => {
  assert.deepEqual(parseField(RUN_FIELDS.hidden, "32"), { value: 32 });
  assert.match(
    parseField(RUN_FIELDS.hidden, "500").error,
    /500 is out of range: enter a number from 4 to 128/,
  );
  assert.match(parseField(RUN_FIELDS.hidden, "3.5").error, /whole number/);
  assert.match(parseField(RUN_FIELDS.lr, "").error, /enter a number/);
  assert.match(parseField(RUN_FIELDS.lr, "abc").error, /enter a number/);
  assert.match(parseField(SHARED_FIELDS.length, "5").error, /from 10 to 200/);
  assert.match(parseField(SHARED_FIELDS.length, "201").error, /out of range/);
  assert.match(parseField(RUN_FIELDS.cell, "lstmx").error, /choose one/);
  assert.deepEqual(parseField(RUN_FIELDS.clipOn, true), { value: true });
});

test("cross-field checks: copy needs T ≥ 2k + 1, truncation at most T", () => {
  const s = defaults();
  assert.deepEqual(crossChecks(s), []);
  s.shared = { ...s.shared, task: "copy", recall: 10, length: 20 };
  assert.deepEqual(crossChecks(s), [
    { where: "shared.length", error: "the copy task needs T ≥ 2k + 1 = 21" },
  ]);
  s.shared.length = 21;
  s.ab = true;
  s.b.truncation = 30;
  assert.equal(crossChecks(s)[0].where, "b.truncation");
});

test("settings survive the URL round trip, and bad values in a link are reported", () => {
  const s = defaults();
  s.shared.length = 50;
  s.a.cell = "rnn";
  s.a.clipOn = true;
  s.a.tau = 0.5;
  s.ab = true;
  s.b.lr = 0.003;
  const q = toQuery(s, "clipping");
  assert.match(q, /preset=clipping/);
  assert.deepEqual(fromQuery(q).settings, s);
  assert.equal(toQuery(defaults()), "");
  const { settings, errors } = fromQuery("hidden=999&cell=lstm&length=abc");
  assert.equal(settings.a.hidden, 32);
  assert.equal(settings.shared.length, 20);
  assert.equal(errors.length, 2);
});

test("run configs: clipping off is τ = 0, B shares the data settings", () => {
  const s = defaults();
  s.ab = true;
  s.b.clipOn = true;
  s.b.tau = 2;
  const [a, b] = runConfigs(s);
  assert.equal(a.clip, 0);
  assert.equal(b.clip, 2);
  assert.equal(a.seed, b.seed);
  assert.equal(a.forgetBias, 1);
});

test("every preset's settings are valid and its claim names what it tests", () => {
  for (const preset of PRESETS) {
    const s = presetSettings(preset);
    for (const [group, fields] of [
      ["shared", SHARED_FIELDS],
      ["a", RUN_FIELDS],
      ["b", RUN_FIELDS],
    ]) {
      for (const [k, field] of Object.entries(fields)) {
        const v = s[group][k];
        assert.ok(
          !("error" in parseField(field, field.type === "checkbox" ? v : String(v))),
          `${preset.id} ${group}.${k}`,
        );
      }
    }
    assert.deepEqual(crossChecks(s), [], preset.id);
    assert.ok(preset.claim.length > 40, preset.id);
    assert.equal(fromQuery(toQuery(s)).settings.ab, s.ab);
  }
  assert.ok(PRESETS.some((p) => p.id === "lstm-adding-20"));
});

test("a preset verdict waits, holds or fails on the summary it reads", () => {
  const preset = PRESETS.find((p) => p.id === "lstm-adding-20");
  const run = { solvedAt: null, diverged: null, steps: 10 };
  assert.equal(preset.verdict([run], false), null);
  assert.equal(preset.verdict([{ ...run, solvedAt: 300 }], false).held, true);
  assert.equal(preset.verdict([run], true).held, false);
  assert.equal(reach({ firstProfile: [1e-6, 1e-3, 1] }, 2), 1e-6);
});

test("A/B runs see the same batches: identical configs give identical curves", () => {
  const config = { ...runConfigs(defaults())[0], length: 12, hidden: 8 };
  const session = new LabSession([config, { ...config }]);
  for (let i = 0; i < 5; i++) session.advance();
  assert.deepEqual(session.runs[0].losses, session.runs[1].losses);
  const other = new LabSession([config, { ...config, cell: "rnn" }]);
  for (let i = 0; i < 5; i++) other.advance();
  assert.deepEqual(other.runs[0].losses, session.runs[0].losses); // B's cell does not change A's data
});

test("a diverging run stops with its step and reason; the other run trains on", () => {
  const base = { ...runConfigs(defaults())[0], cell: "rnn", length: 20 };
  const session = new LabSession([{ ...base, optimizer: "sgd", lr: 5 }, base]);
  while (!session.runs[0].diverged && session.step < 400) session.advance();
  const [bad, good] = session.summary();
  assert.ok(bad.diverged, "lr 5 SGD should diverge within 400 steps");
  assert.match(bad.diverged.reason, /exploding gradients\. Try clipping/);
  assert.equal(bad.steps, bad.diverged.step - 1); // curves kept up to the step before
  assert.equal(good.diverged, null);
  session.advance();
  assert.equal(session.summary()[1].steps, session.step);
});

test("orthogonal init has orthonormal columns; clipping caps the global norm", () => {
  const q = orthogonal(6, 6, new LabRandom(3), 1);
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) {
      let dot = 0;
      for (let r = 0; r < 6; r++) dot += q.data[r * 6 + i] * q.data[r * 6 + j];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12);
    }
  }
  const grads = { a: mat(1, 2, Float64Array.from([3, 4])) };
  assert.equal(clipByGlobalNorm(grads, 1), 5);
  assert.ok(globalNorm(grads) <= 1 && globalNorm(grads) > 0.999999);
  assert.throws(() => clipByGlobalNorm({ a: mat(1, 1, Float64Array.from([NaN])) }, 1), /NaN/);
});

test("char task: entropy baselines and windows from the passage", () => {
  assert.ok(Math.abs(entropy([0, 1, 0, 1], 2, 1) - Math.log(2)) < 1e-12);
  assert.equal(entropy([0, 1, 0, 1, 0, 1], 2, 2), 0); // pairs predict perfectly
  const task = charTask("abcabcabcabd");
  assert.equal(task.vocab, "abcd");
  assert.ok(task.solvedBelow() < task.baseline());
  const { x, targets } = task.batch(new LabRandom(1), { batch: 2, length: 4 });
  assert.equal(x.length, 4);
  assert.equal(targets.y.length, 8);
});

test("a char-task run samples text from its own vocabulary, reproducibly", () => {
  const task = charTask("To be, or not to be, that is the question.");
  const config = { ...runConfigs(defaults())[0], task: "char", hidden: 8, length: 10 };
  const run = new LabRun(config, task);
  const a = run.sample(new LabRandom(5), 40, 0);
  assert.equal(a.length, 40);
  assert.ok(a.every((id) => Number.isInteger(id) && id >= 0 && id < task.vocab.length));
  assert.deepEqual(run.sample(new LabRandom(5), 40, 0), a);
});
