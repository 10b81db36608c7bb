// @ts-check
// The electricity what-if: pick one of the held-out test days, shift its temperature, and see the
// LSTM's next-day demand forecast (48 half-hours) move, beside the dynamic regression (moved by
// its own temperature terms) and the same half-hours a week earlier.
// Mounted by loader.js on `<div data-demo="demand-what-if" data-model="ts-forecaster">`.
//
// The numbers are forecast-demand.js; this file is the page. One forward pass takes about a
// millisecond, so it runs on the main thread. root.dataset: state "loading" → "ready" | "error";
// forecast (the LSTM's {median, lower, upper}), regression, naive and mase as JSON for tests;
// updates counts drawn forecasts, so a test can wait for the next one.

import {
  DAY,
  DEMAND_HEADERS,
  demandPredictor,
  demandRows,
  demandSummary,
  demandWhatIf,
  halfHour,
  MAX_SHIFT,
} from "./forecast-demand.js";
import { chartFigure, chartLabel, forecastLines } from "./forecast-figure.js";
import { loadOrt } from "./runtime.js";
import { demoModel, el, field, latestOnly, startDemo, StatusArea, whenIdle } from "./ui.js";

/** @typedef {import("./forecast-demand.js").ElectricityDays} ElectricityDays */
/** @typedef {import("./forecast-demand.js").WhatIf} WhatIf */

/**
 * Draw `w` on `chart` at its CSS width (one SVG unit per pixel, so labels stay 11 px on a phone).
 * @param {SVGSVGElement} chart
 * @param {WhatIf} w
 */
function drawDay(chart, w) {
  const width = Math.max(240, Math.round(chart.getBoundingClientRect().width) || 640);
  const height = width < 480 ? 240 : 300;
  const [left, top, right, bottom] = [40, 10, width - 10, height - 30];
  const all = [...w.lstm.lower, ...w.lstm.upper, ...w.regression, ...w.naive, ...w.actual];
  const pad = (Math.max(...all) - Math.min(...all)) * 0.08 || 0.1;
  const [lo, hi] = [Math.min(...all) - pad, Math.max(...all) + pad];
  const x = (/** @type {number} */ k) => left + (k / (DAY - 1)) * (right - left);
  const y = (/** @type {number} */ v) => top + ((hi - v) / (hi - lo)) * (bottom - top);
  const path = (/** @type {number[]} */ v) =>
    v.map((value, k) => `${k ? "L" : "M"}${x(k).toFixed(1)},${y(value).toFixed(1)}`).join("");
  const band = `${path(w.lstm.upper)}${w.lstm.lower
    .map((value, k) => `L${x(k).toFixed(1)},${y(value).toFixed(1)}`)
    .reverse()
    .join("")}Z`;
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.replaceChildren(
    ...forecastLines(
      { left, top, right, bottom },
      {
        band,
        actual: path(w.actual),
        baseline: path(w.naive),
        statistical: path(w.regression),
        median: path(w.lstm.median),
      },
    ),
    chartLabel(36, 16, `${hi.toFixed(2)} GW`, "end"),
    chartLabel(36, bottom, lo.toFixed(2), "end"),
    ...[0, 12, 24, 36, 47].map((k) =>
      chartLabel(x(k), height - 10, halfHour(k), k ? (k === 47 ? "end" : "middle") : "start"),
    ),
  );
}

/** @param {HTMLElement} root */
export function mount(root) {
  const id = startDemo(root);
  root.dataset.state = "loading";
  const daySelect = el("select", { id: id("day") });
  const shift = el("input", {
    id: id("shift"),
    type: "range",
    min: String(-10),
    max: "10",
    step: "1",
    value: "0",
  });
  const shiftOut = el("output", { for: shift.id });
  const showShift = () => {
    const v = Number(shift.value);
    shiftOut.textContent = `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v)} °C`;
    shift.setAttribute("aria-valuetext", shiftOut.textContent);
  };
  showShift();
  const controls = el("div", { class: "rnn-controls" }, [
    field("Day (held-out test period)", daySelect),
    field("Temperature shift for the whole day", shift, [shiftOut]),
  ]);
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const view = chartFigure("Demand chart (loading)", drawDay);
  root.append(controls, statusBox, ...view.nodes);

  /** @type {import("./runtime.js").Model<import("./card-types.js").ForecastingCard>} */
  const model = demoModel(root, "ts-forecaster", status);
  /** @type {ElectricityDays | null} */
  let days = null;
  /** @type {WhatIf | null} */
  let recorded = null;

  let started = false;
  const start = () => {
    if (!started) load();
    started = true;
  };
  const update = latestOnly(async () => {
    showShift();
    if (!days) return start();
    try {
      const predict = demandPredictor(await loadOrt(), await model.session("demand"));
      const day = Number(daySelect.value);
      const w = await demandWhatIf(predict, days, day, Number(shift.value));
      if (!recorded || recorded.day !== day)
        recorded = w.shift ? await demandWhatIf(predict, days, day, 0) : w;
      view.show(w, {
        name: `Next-day demand forecast for ${days.days[day].date}, temperature shifted by ${w.shift} °C.`,
        summary: demandSummary(w, recorded, days),
        headers: DEMAND_HEADERS,
        rows: demandRows(w),
      });
      Object.assign(root.dataset, {
        forecast: JSON.stringify(w.lstm),
        regression: JSON.stringify(w.regression),
        naive: JSON.stringify(w.naive),
        mase: JSON.stringify(w.scores),
        updates: String(Number(root.dataset.updates ?? 0) + 1),
        state: "ready",
      });
      status.clearError();
      status.info(`Data: ${days.licence}`);
    } catch (err) {
      status.error(err);
      root.dataset.state = "error";
    }
  });
  daySelect.addEventListener("change", update);
  shift.addEventListener("input", update);
  shift.max = String(Math.min(10, MAX_SHIFT));

  const load = async () => {
    try {
      status.info("Loading the electricity days…");
      /** @type {ElectricityDays} */
      const loaded = await model.json("electricity");
      days = loaded;
      const max = (/** @type {number} */ origin) =>
        Math.max(...loaded.temperature.slice(origin, origin + DAY));
      daySelect.replaceChildren(
        ...loaded.days.map((d, k) =>
          el("option", { value: String(k) }, `${d.weekday} ${d.date} (up to ${max(d.origin).toFixed(1)} °C)`),
        ),
      );
      daySelect.value = String(loaded.days.length - 1);
      status.info("Loading the demand model…");
      update();
    } catch (err) {
      status.failLoad(err, load);
    }
  };
  // This demo sits below the forecaster's: its files download once the page is idle, after that
  // demo's first requests (with the data saver on, at the reader's first move).
  if (!whenIdle(start)) {
    status.info("Data saver is on: move a control to download the model.");
    root.dataset.state = "waiting";
  }
}
