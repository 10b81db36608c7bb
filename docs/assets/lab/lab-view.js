// @ts-check
// The lab's charts and text samples as one view: build it once, then draw(state) after each update
// from the worker. state: {log: per run, the steps so far; profiles: per run, the latest
// ‖∂L/∂h_t‖; meta: {baseline, solvedBelow}; settings: the lab's settings}.

import { el } from "../demos/ui.js";
import { runConfigs } from "./config.js";
import { RUN_NAMES, chartFigure, drawLogChart, fillTable, num } from "./lab-charts.js";

/**
 * What draw() shows: each run's steps so far, each run's latest ‖∂L/∂h_t‖ (null before one
 * arrives), the task's lines, and the settings the runs were started with.
 * @typedef {{log: import("./session.js").StepUpdate[][], profiles: (number[] | null)[],
 *   meta: {baseline: number | null, solvedBelow: number | null}, settings: import("./config.js").Settings}} ViewState
 */

/** @returns {{node: HTMLDivElement, draw: (state: ViewState) => void}} */
export function chartsView() {
  const charts = {
    loss: chartFigure(
      "Training loss",
      "per step, log scale, with the task's trivial baseline and the solved line (mean of the last 20 steps).",
    ),
    profile: chartFigure(
      "‖∂L/∂hₜ‖ against t",
      "for the latest batch, log scale: how much gradient reaches each step.",
    ),
    norms: chartFigure("Gradient norm", "per step before and after clipping, log scale."),
    forget: chartFigure("Mean forget gate", "of the LSTM over training (batch, steps and units averaged)."),
  };
  const samples = el("div", { class: "rnn-lab-samples", "data-role": "samples" });
  const node = el("div", { class: "rnn-lab-charts" }, [
    ...Object.values(charts).map((c) => c.figure),
    samples,
  ]);

  /** @param {ViewState} state */
  function draw({ log, profiles, meta, settings: current }) {
    const names = log.map((_, i) => (log.length > 1 ? `Run ${RUN_NAMES[i]}` : "Run"));
    const last = log.map((h) => h.at(-1) ?? null);
    const T = current.shared.length;
    // Loss.
    drawLogChart(charts.loss.svg, {
      xLabel: "training step",
      series: log.flatMap((h, i) => [
        { points: h.map((u) => [u.step, u.loss]), cls: `rnn-lab-run${i} rnn-lab-raw` },
        { points: h.map((u) => [u.step, u.smooth]), cls: `rnn-lab-run${i}` },
      ]),
      hlines: [
        { y: meta.baseline, label: "trivial baseline", cls: "rnn-lab-baseline" },
        { y: meta.solvedBelow, label: "solved", cls: "rnn-lab-solved" },
      ],
      vlines: last.flatMap((u, i) =>
        u?.solvedAt ? [{ x: u.solvedAt, label: `${RUN_NAMES[i]} solved`, cls: `rnn-lab-run${i}` }] : [],
      ),
    });
    fillTable(
      charts.loss.table,
      `Latest loss (trivial baseline ${num(meta.baseline)}; solved below ${num(meta.solvedBelow)})`,
      ["Run", "Step", "Loss", "Mean of last 20", "Solved at"],
      last.map((u, i) => [
        names[i],
        u ? String(u.step) : "–",
        num(u?.loss),
        num(u?.smooth),
        u?.solvedAt ? String(u.solvedAt) : "not yet",
      ]),
    );
    // Gradient profile.
    drawLogChart(charts.profile.svg, {
      xLabel: "time step t",
      xMin: 1,
      xMax: T,
      series: profiles.map((p, i) => ({
        points: p ? p.map((v, t) => [t + 1, v]) : [],
        cls: `rnn-lab-run${i}`,
      })),
    });
    fillTable(
      charts.profile.table,
      "Gradient reaching each step, latest batch",
      ["Run", `‖∂L/∂h_${T}‖`, `‖∂L/∂h_${Math.max(1, T - 10)}‖`, "‖∂L/∂h_1‖"],
      profiles.map((p, i) => [names[i], num(p?.at(-1)), num(p?.at(-11) ?? p?.[0]), num(p?.[0])]),
    );
    // Gradient norms.
    drawLogChart(charts.norms.svg, {
      xLabel: "training step",
      series: log.flatMap((h, i) => [
        { points: h.map((u) => [u.step, u.norms[0]]), cls: `rnn-lab-run${i} rnn-lab-raw` },
        { points: h.map((u) => [u.step, u.norms[1]]), cls: `rnn-lab-run${i}` },
      ]),
    });
    fillTable(
      charts.norms.table,
      "Gradient norm, latest step (faint line: before clipping)",
      ["Run", "Before clipping", "After clipping", "Largest before"],
      last.map((u, i) => [
        names[i],
        num(u?.norms[0]),
        num(u?.norms[1]),
        num(log[i].length ? Math.max(...log[i].map((x) => x.norms[0])) : null),
      ]),
    );
    // Forget gate (LSTM runs only).
    const lstm = runConfigs(current).map((c) => c.cell === "lstm");
    charts.forget.figure.hidden = !lstm.some(Boolean);
    drawLogChart(charts.forget.svg, {
      xLabel: "training step",
      unit: true,
      series: log.map((h, i) => ({
        points: lstm[i] ? h.map((u) => [u.step, u.forget]) : [],
        cls: `rnn-lab-run${i}`,
      })),
    });
    fillTable(
      charts.forget.table,
      "Mean forget gate, latest step",
      ["Run", "Mean f"],
      last.map((u, i) => [names[i], lstm[i] ? num(u?.forget) : "not an LSTM"]),
    );
    // Samples (char task).
    samples.hidden = current.shared.task !== "char";
    samples.replaceChildren(
      el("h4", {}, "Generated text, every 200 steps"),
      ...log.map((h, i) => {
        const s = [...h].reverse().find((u) => u.sample)?.sample;
        return el("div", {}, [
          el("p", {}, `${names[i]}: ${s ? `sample at step ${s.step}` : "no sample yet"}`),
          el("pre", { class: "rnn-output" }, s ? s.text : ""),
        ]);
      }),
    );
  }

  return { node, draw };
}
