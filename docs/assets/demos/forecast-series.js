// @ts-check
// The forecaster's side of the time-series demo, DOM-free so that `node --test` runs it: reading
// a reader's numbers, time labels, the windows fed to the forecaster, its quantiles, injected
// anomalies (sized like the anomaly benchmark's) and the points flagged outside their one-step
// interval, told apart as hits and false alarms.
//
// The same definitions as the Python side: rnn_site.runtime.forecaster (windows, scale, the
// quantile layout) and rnn_site.baselines.anomaly.interval_score.

import { mase, seasonalNaive, seasonalScale } from "./forecast-baselines.js";
import {
  MIN_SCORES,
  calibratedSteps,
  calibrationOrigins,
  historyFactors,
  rescaled,
} from "./forecast-calibration.js";
import { DemoError } from "./runtime.js";

export const MAX_OWN_VALUES = 2000;
/** Largest magnitude a value may have: the graph computes in float32, beyond which it is infinite. */
export const MAX_ABS_VALUE = 3.4028234663852886e38;

/**
 * One series as series.json ships it.
 * @typedef {object} Series
 * @property {string} name
 * @property {string} title
 * @property {string} unit
 * @property {string} freq  "month", "year", "hour" or another (then labels are "t = k")
 * @property {string} start  "1958-03", "1749", "2010-11-01 00"
 * @property {number[]} values
 * @property {number} val_end  the first test index: where the demo's origin starts
 */

/** @typedef {import("./card-types.js").SeriesSettings} SeriesSettings */

/**
 * The parts of the forecaster card this module and the demo read.
 * @typedef {Pick<import("./card-types.js").ForecastingCard, "series" | "min_history" | "max_horizon" | "name" | "version" | "files">} ForecastCard
 */

/** @typedef {{median: number[], lower: number[], upper: number[]}} Forecast */

/**
 * One forecast to draw: the series (null for a reader's own numbers), its values (with any
 * injected anomalies), the origin t0, the horizon h, the first shown index, the LSTM's forecast,
 * the seasonal-naive baseline, the actual values after t0 and the flagged indices.
 * @typedef {object} ForecastResult
 * @property {Series | null} series
 * @property {SeriesSettings} settings
 * @property {number[]} values
 * @property {number} t0
 * @property {number} h
 * @property {number} from
 * @property {Forecast} forecast
 * @property {number[]} baseline
 * @property {number[] | null} statistical  SARIMA's forecast from t0 (site series, test origins)
 * @property {number[]} actual
 * @property {number[]} flags
 * @property {number[]} [injected]  the indices the demo changed when asked to inject anomalies
 * @property {Backtest | null} [backtest]  a reader's own series: both forecasts of its last h values
 * @property {{steps: number, shortest: number}} [calibrated]  how many of the h steps have a
 *   history-calibrated interval (the others keep the graph's), and the shortest history whose
 *   first step is calibrated (min_history + MIN_SCORES)
 */

/**
 * A reader's own series has no future to compare with, so both forecasts are also made from h
 * values before its end and scored on those last values (MASE in the unit of the history
 * before them, `seasonalScale`).
 * @typedef {{t0: number, lstm: number[], baseline: number[], actual: number[], scores: {lstm: number, baseline: number}}} Backtest
 */

/**
 * The forecaster graph as a function: windows (one per row, equal lengths), their scales and
 * series ids → quantiles, flat [batch, steps, 3] (lower, median, upper).
 * @typedef {(windows: number[][], scale: number[], ids: number[]) => Promise<{q: ArrayLike<number>, steps: number}>} Predict
 */

/**
 * baselines.json as the export writes it: SARIMA's median forecast of each site series from
 * origins first, first + stride, … (horizon steps each).
 * @typedef {{model: string, horizon: number, series: Record<string, {first: number, stride: number, median: number[][]}>}} StatisticalForecasts
 */

/**
 * The stored statistical forecast of `name` from origin t0 (its first h steps), or null where
 * none was stored: the same lookup as Forecaster.statistical_forecast in Python.
 * @param {StatisticalForecasts | null} stored
 * @param {string} name
 * @param {number} t0
 * @param {number} h
 * @returns {number[] | null}
 */
export function statisticalForecast(stored, name, t0, h) {
  const entry = stored?.series[name];
  if (!entry) return null;
  const k = (t0 - entry.first) / entry.stride;
  if (!Number.isInteger(k) || k < 0 || k >= entry.median.length) return null;
  return entry.median[k].slice(0, h);
}

/**
 * Parse numbers separated by commas, spaces, semicolons or new lines.
 * Throws DemoError with a message for the reader: what is wrong, where, and what is accepted.
 * @param {string} text
 * @param {number} minLength
 * @returns {number[]}
 */
export function parseNumbers(text, minLength) {
  const tokens = text.split(/[\s,;]+/).filter((t) => t !== "");
  if (tokens.length === 0) throw new DemoError("Type or paste some numbers first (e.g. 1, 2, 3.5, 2).");
  const values = [];
  for (const [i, token] of tokens.entries()) {
    if (/^[-+]?(nan|inf(inity)?)$/i.test(token)) {
      throw new DemoError(
        `Value ${i + 1} is "${token}": NaN and infinity are not accepted; fill gaps first.`,
      );
    }
    const value = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(token) ? Number(token) : NaN;
    if (!Number.isFinite(value)) {
      throw new DemoError(
        `Value ${i + 1} ("${token.slice(0, 20)}") is not a number. Use digits, a dot for decimals, and commas or spaces between values.`,
      );
    }
    if (Math.abs(value) > MAX_ABS_VALUE) {
      throw new DemoError(
        `Value ${i + 1} (${token.slice(0, 20)}) is too large: values must be within ±3.4e38 (the model computes in float32), so rescale the series first.`,
      );
    }
    values.push(value);
  }
  if (values.length < minLength) {
    throw new DemoError(
      `Too short: ${values.length} value${values.length === 1 ? "" : "s"}; the model needs at least ${minLength}.`,
    );
  }
  if (values.length > MAX_OWN_VALUES)
    throw new DemoError(`At most ${MAX_OWN_VALUES} values, got ${values.length}.`);
  return values;
}

/**
 * Standard deviation (1 for a flat series): the unit a reader's own series is read in.
 * @param {number[]} values
 */
export function stdev(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return sd > 0 ? sd : 1;
}

/**
 * Label of value k of a series: "1995-01", "1969", "2010-11-01 00:00".
 * @param {Pick<Series, "freq" | "start">} series
 * @param {number} k
 */
export function timeLabel(series, k) {
  if (series.freq === "year") return String(Number(series.start) + k);
  if (series.freq === "month") {
    const [y, m] = series.start.split("-").map(Number);
    const months = y * 12 + (m - 1) + k;
    return `${Math.floor(months / 12)}-${String((months % 12) + 1).padStart(2, "0")}`;
  }
  if (series.freq === "hour") {
    const date = new Date(Date.parse(`${series.start}:00Z`) + k * 3600e3);
    return date.toISOString().slice(0, 16).replace("T", " ");
  }
  return `t = ${k}`;
}

/**
 * The same interval score as rnn_site.baselines.anomaly.interval_score (1 = interval edge).
 * @param {number} y
 * @param {number} lower
 * @param {number} median
 * @param {number} upper
 */
export function intervalScore(y, lower, median, upper) {
  return y >= median
    ? (y - median) / Math.max(upper - median, 1e-9)
    : (median - y) / Math.max(median - lower, 1e-9);
}

/** The injected spike's size, in units of the series' `anomaly_unit` (the benchmark draws 3–6). */
export const SPIKE_SIZE = 4;
/** The injected level shift's offset, in the same units (the benchmark draws 2–4). */
export const SHIFT_SIZE = 3;

/**
 * Add a spike and a short level shift to a copy of values inside [from, to) (deterministic),
 * sized as the anomaly benchmark sizes its events (rnn_site.baselines.anomaly.BENCHMARK): the
 * spike `SPIKE_SIZE` units up at 30% of the span, the shift `SHIFT_SIZE` units down from 70%
 * for a quarter of a season (at least 2 points), where the unit is the series' ordinary
 * one-step change (the card's `anomaly_unit`).
 * @param {number[]} values
 * @param {number} from
 * @param {number} to
 * @param {number} unit  the card's anomaly_unit
 * @param {number} period  the series' season, in steps
 * @returns {{values: number[], injected: number[]}}  the copy, and the indices changed (ascending)
 */
export function injectAnomalies(values, from, to, unit, period) {
  const out = values.slice();
  const n = to - from;
  const spike = from + Math.floor(n * 0.3);
  out[spike] += SPIKE_SIZE * unit;
  const injected = [spike];
  const shiftFrom = from + Math.floor(n * 0.7);
  for (let t = shiftFrom; t < Math.min(to, shiftFrom + Math.max(2, Math.floor(period / 4))); t++) {
    out[t] -= SHIFT_SIZE * unit;
    injected.push(t);
  }
  return { values: out, injected };
}

/**
 * Which flags found an injected point (hits), which flagged a clean one (false alarms), and
 * which injected points went unflagged (missed).
 * @param {number[]} flags
 * @param {number[]} injected
 * @returns {{hits: number[], falseAlarms: number[], missed: number[]}}
 */
export function flagOutcomes(flags, injected) {
  const isInjected = new Set(injected);
  const isFlagged = new Set(flags);
  return {
    hits: flags.filter((t) => isInjected.has(t)),
    falseAlarms: flags.filter((t) => !isInjected.has(t)),
    missed: injected.filter((t) => !isFlagged.has(t)),
  };
}

/**
 * The first `h` steps of row `row` of flat [batch, steps, 3] quantiles, as three lines.
 * @param {ArrayLike<number>} q
 * @param {number} steps
 * @param {number} h
 * @returns {Forecast}
 */
export function quantileLines(q, steps, h, row = 0) {
  /** @type {Forecast} */
  const forecast = { median: [], lower: [], upper: [] };
  const base = row * steps * 3;
  for (let k = 0; k < h; k++) {
    forecast.lower.push(q[base + k * 3]);
    forecast.median.push(q[base + k * 3 + 1]);
    forecast.upper.push(q[base + k * 3 + 2]);
  }
  return forecast;
}

/**
 * The indices in [start, t0) whose value lies further outside its one-step 80% interval than
 * `settings.anomaly_threshold`, each forecast from the `lookback` values before it (fewer near
 * the start), all in one batch.
 * @param {Predict} predict
 * @param {number[]} values
 * @param {number} start
 * @param {number} t0
 * @param {SeriesSettings} settings
 * @param {number} scale
 * @returns {Promise<number[]>}
 */
export async function anomalyFlags(predict, values, start, t0, settings, scale) {
  const width = Math.min(settings.lookback, start);
  const windows = [];
  for (let t = start; t < t0; t++) windows.push(values.slice(t - width, t));
  if (!windows.length) return [];
  const one = await predict(
    windows,
    windows.map(() => scale),
    windows.map(() => settings.id),
  );
  return windows
    .map((_, i) => {
      const { lower, median, upper } = quantileLines(one.q, one.steps, 1, i);
      const score = intervalScore(values[start + i], lower[0], median[0], upper[0]);
      return score > settings.anomaly_threshold ? start + i : -1;
    })
    .filter((t) => t >= 0);
}

/**
 * The graph's forecast from t0 with its interval history-calibrated (forecast-calibration.js),
 * as the Python runtime's Forecaster.forecast serves it: the graph also runs at the calibration
 * origins inside values[0:t0], in one batch of windows of one width (the lookback, or the first
 * origin when fewer values come before it), in the forecast's scale. Origins and width follow
 * the model's max horizon, not the forecast's, so a step's interval is the same however many
 * steps were asked for.
 * @param {Predict} predict
 * @param {number[]} values
 * @param {number} t0
 * @param {SeriesSettings} settings
 * @param {number} scale
 * @param {Forecast} forecast  the graph's forecast from t0
 * @param {{min_history: number, max_horizon: number}} limits  the card's
 * @returns {Promise<Forecast>}
 */
export async function historyCalibrated(predict, values, t0, settings, scale, forecast, limits) {
  const h = forecast.median.length;
  const steps = limits.max_horizon;
  const origins = calibrationOrigins(t0, steps, limits.min_history);
  if (!origins.length) return forecast;
  const width = Math.min(settings.lookback, origins[0]);
  const windows = origins.map((t) => values.slice(t - width, t));
  const { q, steps: graphSteps } = await predict(
    windows,
    windows.map(() => scale),
    windows.map(() => settings.id),
  );
  const forecasts = origins.map((_, i) => quantileLines(q, graphSteps, steps, i));
  const factors = historyFactors(values.slice(0, t0), origins, forecasts, steps).slice(0, h);
  const result = rescaled(forecast, factors);
  if (![...result.lower, ...result.upper].every(Number.isFinite))
    throw new DemoError(
      "The forecast overflowed float32 (the values are too large): rescale the series first.",
    );
  return result;
}

/**
 * Everything to draw for one setting of the controls: a site series forecast from `origin`
 * (with anomalies injected and flagged when asked), or a reader's own numbers forecast from
 * their end, read in the style of a site series and in the unit of their own spread.
 * @param {Predict} predict
 * @param {ForecastCard} card
 * @param {{series: Series | null, own: {values: number[], style: string} | null, origin: number, horizon: number, anomalies: boolean}} request
 * @param {StatisticalForecasts | null} [stored]  baselines.json (SARIMA for the site series)
 * @returns {Promise<ForecastResult>}
 */
export async function computeForecast(
  predict,
  card,
  { series, own, origin, horizon: h, anomalies },
  stored = null,
) {
  let values, t0, settings, scale, from;
  if (series) {
    settings = card.series[series.name];
    values = series.values;
    t0 = origin;
    scale = settings.norm_scale;
    from = Math.max(0, t0 - 2 * settings.lookback);
  } else if (own) {
    settings = card.series[own.style];
    values = own.values;
    t0 = values.length;
    scale = stdev(values.slice(-settings.lookback));
    from = 0;
  } else throw new DemoError("Choose a series, or type your own numbers.");
  const flagging = series !== null && anomalies;
  /** @type {number[]} */
  let injected = [];
  if (flagging)
    ({ values, injected } = injectAnomalies(
      values,
      Math.max(from, card.min_history),
      t0,
      settings.anomaly_unit,
      settings.period,
    ));
  const window = values.slice(Math.max(0, t0 - settings.lookback), t0);
  const { q, steps } = await predict([window], [scale], [settings.id]);
  const forecast = await historyCalibrated(
    predict,
    values,
    t0,
    settings,
    scale,
    quantileLines(q, steps, h),
    card,
  );
  const start = Math.max(from, card.min_history);
  const flags = flagging ? await anomalyFlags(predict, values, start, t0, settings, scale) : [];
  const actual = series ? values.slice(t0, Math.min(values.length, t0 + h)) : [];
  // The baseline the LSTM must beat, computed here for any series, a reader's own included.
  const baseline = seasonalNaive(values, t0, settings.period, h);
  // The statistician's forecast, precomputed at export (site series, test-period origins).
  const statistical = series ? statisticalForecast(stored, series.name, t0, h) : null;
  const backtest = own ? await ownBacktest(predict, values, settings, h, card.min_history) : null;
  return {
    series,
    settings,
    values,
    t0,
    h,
    from,
    forecast,
    baseline,
    statistical,
    actual,
    flags,
    injected,
    backtest,
    calibrated: {
      steps: calibratedSteps(t0, h, card.max_horizon, card.min_history),
      shortest: card.min_history + MIN_SCORES,
    },
  };
}

/**
 * Both forecasts of the last h values of a reader's series from the values before them, and the
 * MASE of each; null when fewer than `minHistory` values (or fewer than two) would remain.
 * @param {Predict} predict
 * @param {number[]} values
 * @param {SeriesSettings} settings
 * @param {number} h
 * @param {number} minHistory
 * @returns {Promise<Backtest | null>}
 */
export async function ownBacktest(predict, values, settings, h, minHistory) {
  const t0 = values.length - h;
  if (t0 < Math.max(minHistory, 2)) return null;
  const past = values.slice(0, t0);
  const window = past.slice(-settings.lookback);
  const { q, steps } = await predict([window], [stdev(window)], [settings.id]);
  const lstm = quantileLines(q, steps, h).median;
  const baseline = seasonalNaive(values, t0, settings.period, h);
  const actual = values.slice(t0);
  const unit = seasonalScale(past, settings.period);
  return {
    t0,
    lstm,
    baseline,
    actual,
    scores: { lstm: mase(actual, lstm, unit), baseline: mase(actual, baseline, unit) },
  };
}

/**
 * The forecaster graph (the card's "forecaster" role) as a Predict function.
 * @param {import("./runtime.js").Ort} ort  onnxruntime-web (loadOrt())
 * @param {import("./runtime.js").InferenceSession} session
 * @returns {Predict}
 */
export function forecaster(ort, session) {
  return async (windows, scale, ids) => {
    const time = windows[0].length;
    const flat = new Float32Array(windows.length * time);
    windows.forEach((w, i) => flat.set(w, i * time));
    const feeds = {
      values: new ort.Tensor("float32", flat, [windows.length, time]),
      scale: new ort.Tensor("float32", Float32Array.from(scale), [windows.length]),
      series: new ort.Tensor("int64", BigInt64Array.from(ids.map((i) => BigInt(i))), [windows.length]),
    };
    const { quantiles } = await session.run(feeds);
    const q = /** @type {Float32Array} */ (quantiles.data);
    // Values within float32 can still overflow inside the graph: say so rather than draw Infinity.
    if (!q.every(Number.isFinite))
      throw new DemoError(
        "The forecast overflowed float32 (the values are too large): rescale the series first.",
      );
    return { q, steps: quantiles.dims[1] };
  };
}
