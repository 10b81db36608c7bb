// @ts-check
// The electricity what-if, DOM-free so that `node --test` runs it: the inputs of the demand graph
// for one day of electricity-days.json with its temperatures shifted, the two baselines (the
// dynamic regression moved by its temperature terms, the same half-hour one week earlier), the
// MASE of each and the rows of the data table.
//
// The LSTM's interval is history-calibrated as Python serves it: the graph also forecasts the
// days before (at their recorded temperatures), and the day's half-widths are multiplied by the
// 80% conformal quantile of how far those days' actuals fell from the median, in half-widths.
//
// The same definitions as the Python side: rnn_site.runtime.ts_forecaster (demand_inputs,
// regression_what_if, Forecaster.forecast_demand and demand_what_if) and
// rnn_site.baselines.conformal (pooled_factor, DEMAND_HISTORY_DAYS).

import { mase } from "./forecast-baselines.js";
import { conformalFactor, ratioScore, rescaled } from "./forecast-calibration.js";
import { quantileLines } from "./forecast-series.js";

export const DAY = 48;
export const WEEK = 7 * DAY;
/** The largest temperature shift either side (°C), as the Python runtime accepts. */
export const MAX_SHIFT = 15;
/** Whole days before a midnight whose forecasts calibrate its interval (chosen on validation:
 * ts_demand_interval_rule.md). */
export const DEMAND_HISTORY_DAYS = 7;

/**
 * electricity-days.json: consecutive half-hours from `start` (demand in GW, temperature in °C,
 * working day 1/0), the days the demo offers (each at index `origin`, with the regression's
 * forecast at the recorded temperature) and the regression's coefficients of t, t², t³.
 * @typedef {object} ElectricityDays
 * @property {string} start
 * @property {string} licence
 * @property {number} history
 * @property {number} scale_gw
 * @property {number[]} demand
 * @property {number[]} temperature
 * @property {number[]} workday
 * @property {{date: string, weekday: string, origin: number, regression: number[]}[]} days
 * @property {number[]} regression_temperature
 */

/** @typedef {{median: number[], lower: number[], upper: number[]}} Forecast */

/**
 * The demand graph as a function of its three inputs (one day).
 * @typedef {(inputs: DemandInputs) => Promise<Forecast>} PredictDemand
 */

/** @typedef {{demand: number[], temperature: number[], workday: number[]}} DemandInputs */

/**
 * The graph's inputs for day `day` with its own temperatures moved by `shift` °C: the week of
 * demand before its midnight, and temperature and workday from `history` half-hours before it
 * to its end (the past keeps its recorded temperatures).
 * @param {ElectricityDays} days
 * @param {number} day
 * @param {number} shift
 * @returns {DemandInputs}
 */
export function demandInputs(days, day, shift) {
  return inputsAt(days, days.days[day].origin, shift);
}

/**
 * The graph's inputs for the day starting at index `origin` of the file.
 * @param {ElectricityDays} days
 * @param {number} origin
 * @param {number} shift
 * @returns {DemandInputs}
 */
function inputsAt(days, origin, shift) {
  const from = origin - days.history;
  const temperature = days.temperature.slice(from, origin + DAY);
  for (let k = days.history; k < temperature.length; k++) temperature[k] += shift;
  return {
    demand: days.demand.slice(origin - WEEK, origin),
    temperature,
    workday: days.workday.slice(from, origin + DAY),
  };
}

/**
 * The midnights (file indices, oldest first) of the days before day `day` that calibrate its
 * interval: up to DEMAND_HISTORY_DAYS, as many as the file holds with their own inputs.
 * @param {ElectricityDays} days
 * @param {number} day
 * @returns {number[]}
 */
export function calibrationOrigins(days, day) {
  const { origin } = days.days[day];
  const n = Math.min(
    DEMAND_HISTORY_DAYS,
    Math.floor((origin - WEEK) / DAY),
    Math.floor((origin - days.history) / DAY),
  );
  return Array.from({ length: Math.max(n, 0) }, (_, i) => origin - (n - i) * DAY);
}

/**
 * The factor on the day's half-widths: the 80% conformal quantile of the ratio scores of the
 * graph's forecasts of the earlier days (calibrationOrigins, at their recorded temperatures),
 * pooled over their half-hours; 1 (the graph's interval) without an earlier day.
 * @param {PredictDemand} predict
 * @param {ElectricityDays} days
 * @param {number} day
 */
export async function historyFactor(predict, days, day) {
  /** @type {number[]} */
  const scores = [];
  for (const origin of calibrationOrigins(days, day)) {
    const f = await predict(inputsAt(days, origin, 0));
    for (let k = 0; k < DAY; k++)
      scores.push(ratioScore(days.demand[origin + k], f.lower[k], f.median[k], f.upper[k]));
  }
  return conformalFactor(scores);
}

/**
 * The dynamic regression's forecast of day `day` with its temperatures moved by `shift`: its
 * terms in t, t², t³ (t = (°C − 20) / 10) change by their coefficients, nothing else does.
 * @param {ElectricityDays} days
 * @param {number} day
 * @param {number} shift
 * @returns {number[]}
 */
export function regressionWhatIf(days, day, shift) {
  const { origin, regression } = days.days[day];
  return regression.map((value, k) => {
    const before = (days.temperature[origin + k] - 20) / 10;
    const after = before + shift / 10;
    let change = 0;
    days.regression_temperature.forEach((b, p) => (change += b * (after ** (p + 1) - before ** (p + 1))));
    return value + change;
  });
}

/**
 * What one setting of the what-if shows: the LSTM's forecast, both baselines, what happened
 * (at the recorded temperature), the temperatures read, and the MASE of each forecast.
 * @param {PredictDemand} predict
 * @param {ElectricityDays} days
 * @param {number} day
 * @param {number} shift
 */
export async function demandWhatIf(predict, days, day, shift) {
  if (!(Math.abs(shift) <= MAX_SHIFT)) throw new RangeError(`shift must be within ±${MAX_SHIFT} °C`);
  const inputs = demandInputs(days, day, shift);
  const graph = await predict(inputs);
  const factor = await historyFactor(predict, days, day);
  const lstm = rescaled(graph, new Array(DAY).fill(factor));
  const { origin } = days.days[day];
  const actual = days.demand.slice(origin, origin + DAY);
  const regression = regressionWhatIf(days, day, shift);
  const naive = inputs.demand.slice(0, DAY);
  const scores = {
    lstm: mase(actual, lstm.median, days.scale_gw),
    regression: mase(actual, regression, days.scale_gw),
    naive: mase(actual, naive, days.scale_gw),
  };
  return {
    day,
    shift,
    lstm,
    graph,
    factor,
    regression,
    naive,
    actual,
    temperature: inputs.temperature.slice(days.history),
    scores,
  };
}

/** @typedef {Awaited<ReturnType<typeof demandWhatIf>>} WhatIf */

/** "00:00" … "23:30" for half-hour k of a day. */
export const halfHour = (/** @type {number} */ k) =>
  `${String(Math.floor(k / 2)).padStart(2, "0")}:${k % 2 ? "30" : "00"}`;

/** The data table's headers; demandRows gives its rows. */
export const DEMAND_HEADERS = [
  "Time",
  "Temperature (°C)",
  "LSTM lower (10%)",
  "LSTM median",
  "LSTM upper (90%)",
  "Dynamic regression",
  "Same time last week",
  "Actual",
];

/**
 * One row per half-hour, GW to 3 decimals.
 * @param {WhatIf} w
 * @returns {string[][]}
 */
export function demandRows(w) {
  return w.actual.map((a, k) => [
    halfHour(k),
    w.temperature[k].toFixed(1),
    w.lstm.lower[k].toFixed(3),
    w.lstm.median[k].toFixed(3),
    w.lstm.upper[k].toFixed(3),
    w.regression[k].toFixed(3),
    w.naive[k].toFixed(3),
    a.toFixed(3),
  ]);
}

/**
 * The caption: what is drawn, how much the shift moved the day's demand, and the MASE of each.
 * @param {WhatIf} w
 * @param {WhatIf | null} recorded  the same day at the recorded temperature (shift 0)
 * @param {ElectricityDays} days
 */
export function demandSummary(w, recorded, days) {
  const { date, weekday } = days.days[w.day];
  const mean = (/** @type {number[]} */ v) => v.reduce((a, b) => a + b, 0) / v.length;
  const hottest = Math.max(...w.temperature);
  let text = `${weekday} ${date}, hottest half-hour ${hottest.toFixed(1)} °C${w.shift ? ` (recorded ${(hottest - w.shift).toFixed(1)} °C ${w.shift > 0 ? "+" : "−"} ${Math.abs(w.shift)} °C)` : ""}: coloured = LSTM median with its 80% interval (its width scaled ×${w.factor.toFixed(2)} by how the model fared on the days before), green dashes = dynamic regression, blue dots = the same half-hour a week earlier, grey dashes = what happened.`;
  if (w.shift && recorded) {
    const change = (a = w.lstm.median, b = recorded.lstm.median) => mean(a) - mean(b);
    text += ` The shift moves the day's mean forecast by ${change() >= 0 ? "+" : ""}${change().toFixed(3)} GW (LSTM) and ${change(w.regression, recorded.regression) >= 0 ? "+" : ""}${change(w.regression, recorded.regression).toFixed(3)} GW (regression).`;
  }
  text += ` MASE against the recorded day: LSTM ${w.scores.lstm.toFixed(2)}, regression ${w.scores.regression.toFixed(2)}, last week ${w.scores.naive.toFixed(2)} (lower is better).`;
  return text;
}

/**
 * The demand graph (the card's "demand" role) as a PredictDemand function.
 * @param {import("./runtime.js").Ort} ort  onnxruntime-web (loadOrt())
 * @param {import("./runtime.js").InferenceSession} session
 * @returns {PredictDemand}
 */
export function demandPredictor(ort, session) {
  return async ({ demand, temperature, workday }) => {
    const tensor = (/** @type {number[]} */ v) =>
      new ort.Tensor("float32", Float32Array.from(v), [1, v.length]);
    const { quantiles } = await session.run({
      demand: tensor(demand),
      temperature: tensor(temperature),
      workday: tensor(workday),
    });
    return quantileLines(/** @type {Float32Array} */ (quantiles.data), quantiles.dims[1], quantiles.dims[1]);
  };
}
