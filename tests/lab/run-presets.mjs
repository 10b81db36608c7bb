// Runs presets headless in Node, as the page would, and prints each verdict (not a test: the
// long ones take minutes on two cores). Usage: node tests/lab/run-presets.mjs [preset-id ...]
import { readFileSync } from "node:fs";
import { runConfigs } from "../../docs/assets/lab/config.js";
import { PRESETS, presetSettings } from "../../docs/assets/lab/presets.js";
import { LabSession } from "../../docs/assets/lab/session.js";

const passage = readFileSync(new URL("../../docs/assets/lab/passage.txt", import.meta.url), "utf8");
const wanted = process.argv.slice(2);
for (const preset of PRESETS.filter((p) => !wanted.length || wanted.includes(p.id))) {
  const settings = presetSettings(preset);
  const session = new LabSession(runConfigs(settings), passage);
  const start = Date.now();
  let verdict = null;
  while (!verdict) {
    const finished = session.finished(settings.shared.steps);
    if (!finished) session.advance();
    verdict = preset.verdict(session.summary(), session.finished(settings.shared.steps));
  }
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  console.log(
    `${preset.id}: ${verdict.held ? "HELD" : "NOT HELD"} at step ${session.step} (${secs} s): ${verdict.text}`,
  );
}
