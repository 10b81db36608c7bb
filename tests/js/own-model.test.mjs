// node --test for docs/assets/demos/own-model.js: the checks a reader's model folder goes
// through before a demo runs it. Run by tests/test_own_model.py, which trains and exports a tiny
// model and breaks copies of it (OWN_MODEL_DIR holds "good", "good.zip" and the broken folders).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { unzipSync } from "fflate";

import { checkOwnModel, collectFiles, contractProblems, OwnModelError } from "../../docs/assets/demos/own-model.js";

const ROOT = process.env.OWN_MODEL_DIR;
if (!ROOT) throw new Error("set OWN_MODEL_DIR (tests/test_own_model.py does)");

/** The folder's files as a reader's file picker would give them. */
const folder = (name) =>
  readdirSync(join(ROOT, name)).map((file) => ({
    name: file,
    bytes: new Uint8Array(readFileSync(join(ROOT, name, file))),
  }));

const problemsOf = async (name, roles = ["step", "sequence"]) => {
  try {
    await checkOwnModel(await collectFiles(folder(name), unzipSync), { roles });
  } catch (err) {
    assert.ok(err instanceof OwnModelError, String(err));
    return err.problems;
  }
  return [];
};

test("a good folder passes, with its card and both graphs", async () => {
  const checked = await checkOwnModel(await collectFiles(folder("good"), unzipSync), {
    roles: ["step", "sequence"],
  });
  const card = JSON.parse(readFileSync(join(ROOT, "good", "card.json"), "utf-8"));
  assert.equal(checked.card.name, card.name);
  assert.deepEqual(Object.keys(checked.graphs), ["step", "sequence"]);
  assert.deepEqual(checked.graphs.step, new Uint8Array(readFileSync(join(ROOT, "good", "step.onnx"))));
});

test("one .zip of the folder (files inside a folder) gives the same files", async () => {
  const zip = [{ name: "good.zip", bytes: new Uint8Array(readFileSync(join(ROOT, "good.zip"))) }];
  const files = await collectFiles(zip, unzipSync);
  const direct = await collectFiles(folder("good"), unzipSync);
  assert.deepEqual([...files.keys()].sort(), [...direct.keys()].sort());
  for (const [name, bytes] of direct) assert.deepEqual(files.get(name), bytes);
  await checkOwnModel(files, { roles: ["step", "sequence"] });
});

test("a file that is not a zip is refused by name", async () => {
  await assert.rejects(
    collectFiles([{ name: "model.zip", bytes: new TextEncoder().encode("not a zip") }], unzipSync),
    /model\.zip is not a readable \.zip file/,
  );
});

test("a changed graph: its SHA-256 differs from the manifest's", async () => {
  const problems = await problemsOf("tampered");
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^step\.onnx: its SHA-256 is [0-9a-f]{12}…, manifest\.json expects [0-9a-f]{12}…/);
});

test("a missing graph is named; a demo that does not need it still accepts the folder", async () => {
  const problems = await problemsOf("partial");
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^sequence\.onnx is missing: manifest\.json lists it/);
  assert.deepEqual(await problemsOf("partial", ["step"]), []);
});

test("no manifest: the reader is told to choose every file of the folder", async () => {
  const problems = await problemsOf("no-manifest");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^manifest\.json is missing/);
});

test("a vocabulary one character short of the logits width", async () => {
  const problems = await problemsOf("vocab");
  assert.ok(problems.some((p) => /the vocabulary has \d+ characters but the logits are \d+ wide/.test(p)), problems.join("\n"));
});

test("another task is refused by name", async () => {
  const problems = await problemsOf("task");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /says this is a translation model; this demo runs text-generation models/);
});

test("a card whose state shapes disagree with its config", () => {
  const card = JSON.parse(readFileSync(join(ROOT, "good", "card.json"), "utf-8"));
  card.io.step.inputs.h.shape = [1, "batch", card.config.hidden_size + 3];
  card.io.step.inputs.token.dtype = "int32";
  const problems = contractProblems(card, ["step"]);
  assert.deepEqual(problems, [
    "card.json: step.onnx input token is int32; it must be int64.",
    `card.json: step.onnx input h has shape [1, batch, ${card.config.hidden_size + 3}]; with the card's config it must be [1, batch, ${card.config.hidden_size}].`,
  ]);
});
