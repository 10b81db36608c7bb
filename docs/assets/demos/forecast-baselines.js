// @ts-check
// The baseline the time-series demo draws beside the LSTM, and the score both are judged by:
// the same definitions as rnn_site.baselines.forecast (seasonal_naive, mase), DOM-free so that
// `node --test` checks them against numbers computed in Python.

/**
 * Seasonal-naive forecast of values[t0 .. t0 + horizon): step k repeats the value one period
 * earlier, values[t0 − period + (k mod period)]; a history shorter than a period repeats from its
 * first value (as the model's own skip connection does).
 * @param {number[]} values the series (only values before t0 are read)
 * @param {number} t0 the origin: the index of the first value to forecast
 * @param {number} period the season length (12 monthly, 11 sunspots, 24 hourly)
 * @param {number} horizon how many steps
 * @returns {number[]}
 */
export function seasonalNaive(values, t0, period, horizon) {
  if (!(t0 >= 1 && t0 <= values.length)) throw new RangeError(`origin ${t0} outside 1..${values.length}`);
  if (!(period >= 1)) throw new RangeError(`period must be at least 1, got ${period}`);
  const out = [];
  for (let k = 0; k < horizon; k++) out.push(values[Math.max(0, t0 - period + (k % period))]);
  return out;
}

/**
 * Mean absolute scaled error: mean |actual − forecast| / scale over the steps that have an
 * actual value (scale: the training part's seasonal-naive error, the card's `scale`).
 * @param {number[]} actual
 * @param {number[]} forecast
 * @param {number} scale
 * @returns {number}
 */
export function mase(actual, forecast, scale) {
  if (actual.length === 0) return NaN;
  let total = 0;
  for (let k = 0; k < actual.length; k++) total += Math.abs(actual[k] - forecast[k]);
  return total / actual.length / scale;
}

/**
 * MASE's unit for a history: mean |y_t − y_{t−period}| (lag 1 when the history is not longer
 * than a period; 1 for a constant one), as rnn_site.data.timeseries.seasonal_scale.
 * @param {number[]} values  at least two
 * @param {number} period
 * @returns {number}
 */
export function seasonalScale(values, period) {
  const lag = values.length > period ? period : 1;
  if (values.length <= lag) throw new RangeError(`need more than ${lag} values, got ${values.length}`);
  let total = 0;
  for (let t = lag; t < values.length; t++) total += Math.abs(values[t] - values[t - lag]);
  const scale = total / (values.length - lag);
  return scale > 0 ? scale : 1;
}
