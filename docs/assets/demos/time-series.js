// The time-series demo: pick a series, move the forecast origin, change the horizon, and see the
// LSTM's forecast with its 80% interval next to what really happened; inject anomalies and see
// which points fall outside their one-step interval; or paste (or draw) a series of your own.
// Mounted by loader.js on `<div data-demo="time-series" data-model="ts-forecaster">`.
//
// The model is tiny (one forward pass is well under a millisecond), so it runs on the main
// thread. root.dataset.state: "loading" → "ready" (a forecast is shown) | "error"; the shown
// forecast is in root.dataset.forecast as JSON {median, lower, upper} for tests; dataset.updates
// counts drawn forecasts and dataset.errors rejected inputs, so a test can wait for the next one.

import { mase, seasonalNaive } from "./forecast-baselines.js";
import { DemoError, fetchModelFile, loadOrt, Model } from "./runtime.js";
import { dataTable, el, StatusArea, svg } from "./ui.js";

const OWN = "own";
export const MAX_OWN_VALUES = 2000;

/**
 * Parse numbers separated by commas, spaces, semicolons or new lines.
 * Throws DemoError with a message for the reader: what is wrong, where, and what is accepted.
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

/** Standard deviation (1 for a flat series): the unit a reader's own series is read in. */
export function stdev(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return sd > 0 ? sd : 1;
}

/** Label of value k of a series: "1995-01", "1969", "2010-11-01 00:00". */
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

/** The same interval score as rnn_site.baselines.anomaly.interval_score (1 = interval edge). */
export function intervalScore(y, lower, median, upper) {
  return y >= median
    ? (y - median) / Math.max(upper - median, 1e-9)
    : (median - y) / Math.max(median - lower, 1e-9);
}

/** Add a spike and a level shift to a copy of values inside [from, to) (deterministic). */
export function injectAnomalies(values, from, to, unit) {
  const out = values.slice();
  const n = to - from;
  const spike = from + Math.floor(n * 0.3);
  out[spike] += 0.5 * unit;
  const shiftFrom = from + Math.floor(n * 0.7);
  for (let t = shiftFrom; t < Math.min(to, shiftFrom + Math.max(3, Math.floor(n / 8))); t++)
    out[t] -= 0.3 * unit;
  return out;
}

export function mount(root) {
  const modelName = root.dataset.model ?? "ts-forecaster";
  const prefix = root.id || root.dataset.demo;
  const id = (name) => `${prefix}-${name}`;
  root.replaceChildren();
  root.classList.add("rnn-demo");
  root.dataset.state = "loading";

  const field = (label, control, extra = []) =>
    el("div", { class: "rnn-field" }, [el("label", { for: control.id }, label), control, ...extra]);
  const seriesSelect = el("select", { id: id("series") });
  const origin = el("input", { id: id("origin"), type: "range", min: "0", max: "1", step: "1", value: "0" });
  const originOut = el("output", { for: id("origin"), "data-role": "origin-label" });
  const horizon = el("input", {
    id: id("horizon"),
    type: "range",
    min: "1",
    max: "24",
    step: "1",
    value: "12",
  });
  const horizonOut = el("output", { for: id("horizon") });
  const anomalies = el("input", { id: id("anomalies"), type: "checkbox" });
  const ownText = el("textarea", {
    id: id("own"),
    rows: "3",
    spellcheck: "false",
    "aria-describedby": id("own-hint"),
  });
  const ownStyle = el("select", { id: id("own-style") });
  const ownButton = el(
    "button",
    { type: "submit", class: "md-button md-button--primary" },
    "Forecast my series",
  );
  const ownForm = el("form", { class: "rnn-form", novalidate: true, hidden: true, "data-role": "own-form" }, [
    field("Your numbers (oldest first)", ownText, [
      el(
        "small",
        { id: id("own-hint") },
        "Commas, spaces or new lines between values; or draw on the chart below with the mouse or a finger.",
      ),
    ]),
    field("Read it like", ownStyle),
    el("div", { class: "rnn-buttons" }, [ownButton]),
  ]);
  const controls = el("div", { class: "rnn-controls" }, [
    field("Series", seriesSelect),
    field("Forecast origin", origin, [originOut]),
    field("Horizon (steps)", horizon, [horizonOut]),
    el("div", { class: "rnn-field" }, [
      el("label", { for: anomalies.id }, [anomalies, " Inject anomalies and flag them"]),
    ]),
  ]);
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const chart = svg("svg", {
    viewBox: "0 0 640 300",
    role: "img",
    "aria-label": "Forecast chart (loading)",
    "data-role": "chart",
  });
  chart.style.width = "100%";
  chart.style.touchAction = "none";
  const caption = el("p", { class: "rnn-caption", "data-role": "summary" });
  const table = el("div", { "data-role": "chart-data" });
  root.append(controls, ownForm, statusBox, el("figure", {}, [chart, el("figcaption", {}, caption)]), table);
  let shown = null; // the last drawn result, redrawn when the chart's width changes

  const model = new Model(modelName, { onProgress: (p) => status.progress(p) });
  let card = null;
  let data = null;
  let own = null; // {values, style}
  let pending = null; // latest request while one is running
  let running = false;

  const current = () => (seriesSelect.value === OWN ? null : data.series[seriesSelect.value]);

  async function run(windows, scale, ids) {
    const ort = await loadOrt();
    const session = await model.session("forecaster");
    const time = windows[0].length;
    const flat = new Float32Array(windows.length * time);
    windows.forEach((w, i) => flat.set(w, i * time));
    const feeds = {
      values: new ort.Tensor("float32", flat, [windows.length, time]),
      scale: new ort.Tensor("float32", Float32Array.from(scale), [windows.length]),
      series: new ort.Tensor("int64", BigInt64Array.from(ids.map((i) => BigInt(i))), [windows.length]),
    };
    const { quantiles } = await session.run(feeds);
    return { q: quantiles.data, steps: quantiles.dims[1] };
  }

  /** Everything to draw for the current controls: history, actuals, forecast, flags. */
  async function compute() {
    const h = Number(horizon.value);
    const series = current();
    let values, t0, settings, scale, from;
    if (series) {
      settings = card.series[series.name];
      values = series.values;
      t0 = Number(origin.value);
      scale = settings.norm_scale;
      from = Math.max(0, t0 - 2 * settings.lookback);
    } else {
      settings = card.series[own.style];
      values = own.values;
      t0 = values.length;
      scale = stdev(values.slice(-settings.lookback));
      from = 0;
    }
    if (series && anomalies.checked)
      values = injectAnomalies(values, Math.max(from, card.min_history), t0, settings.norm_scale);
    const window = values.slice(Math.max(0, t0 - settings.lookback), t0);
    const { q, steps } = await run([window], [scale], [settings.id]);
    const forecast = { median: [], lower: [], upper: [] };
    for (let k = 0; k < h; k++) {
      forecast.lower.push(q[k * 3]);
      forecast.median.push(q[k * 3 + 1]);
      forecast.upper.push(q[k * 3 + 2]);
    }
    let flags = [];
    if (series && anomalies.checked) {
      // One-step forecasts for every shown point of the history, in one batch.
      const start = Math.max(from, card.min_history);
      const width = Math.min(settings.lookback, start);
      const windows = [];
      for (let t = start; t < t0; t++) windows.push(values.slice(t - width, t));
      if (windows.length) {
        const one = await run(
          windows,
          windows.map(() => scale),
          windows.map(() => settings.id),
        );
        flags = windows
          .map((_, i) => {
            const b = i * one.steps * 3;
            const score = intervalScore(values[start + i], one.q[b], one.q[b + 1], one.q[b + 2]);
            return score > settings.anomaly_threshold ? start + i : -1;
          })
          .filter((t) => t >= 0);
      }
    }
    const actual = series ? values.slice(t0, Math.min(values.length, t0 + h)) : [];
    // The baseline the LSTM must beat, computed here for any series, a reader's own included.
    const baseline = seasonalNaive(values, t0, settings.period, h);
    return { series, settings, values, t0, h, from, forecast, baseline, actual, flags };
  }

  function draw(result) {
    const { values, t0, h, from, forecast, baseline, actual, flags } = result;
    const history = values.slice(from, t0);
    const all = [...history, ...actual, ...forecast.lower, ...forecast.upper, ...baseline];
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    const pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
    const n = t0 + h - from;
    // One SVG unit per CSS pixel, so 11-unit labels are 11 px on a phone as on a desktop.
    const W = Math.max(240, Math.round(chart.getBoundingClientRect().width) || 640);
    const H = W < 480 ? 240 : 300;
    chart.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const right = W - 10;
    const bottom = H - 30;
    const X = (t) => 40 + ((t - from) / Math.max(n - 1, 1)) * (right - 40);
    const Y = (v) => 10 + ((hi - v) / (hi - lo)) * (bottom - 10);
    const path = (points) =>
      points.map(([t, v], i) => `${i ? "L" : "M"}${X(t).toFixed(1)},${Y(v).toFixed(1)}`).join("");
    const band = [
      ...forecast.upper.map((v, k) => [t0 + k, v]),
      ...forecast.lower.map((v, k) => [t0 + k, v]).reverse(),
    ];
    const label = (t) => (result.series ? timeLabel(result.series, t) : `t = ${t}`);
    const text = (x, y, s, anchor = "start") =>
      svg("text", { x, y, "font-size": "11", fill: "currentColor", "text-anchor": anchor }, [s]);
    const last = [t0 - 1, values[t0 - 1]];
    chart.replaceChildren(
      svg("rect", {
        x: 40,
        y: 10,
        width: right - 40,
        height: bottom - 10,
        fill: "none",
        stroke: "currentColor",
        "stroke-opacity": "0.2",
      }),
      svg("path", {
        d: `${path(band)}Z`,
        fill: "var(--md-accent-fg-color, #f50)",
        "fill-opacity": "0.2",
        "data-role": "interval",
      }),
      svg("path", {
        d: path(history.map((v, i) => [from + i, v])),
        fill: "none",
        stroke: "currentColor",
        "stroke-width": "1.5",
      }),
      svg("path", {
        d: path([last, ...actual.map((v, k) => [t0 + k, v])]),
        fill: "none",
        stroke: "currentColor",
        "stroke-dasharray": "4 3",
        "stroke-opacity": "0.6",
      }),
      svg("path", {
        d: path([last, ...baseline.map((v, k) => [t0 + k, v])]),
        fill: "none",
        stroke: "#1565c0",
        "stroke-width": "1.5",
        "stroke-dasharray": "1 3",
        "stroke-linecap": "round",
        "data-role": "baseline",
      }),
      svg("path", {
        d: path([last, ...forecast.median.map((v, k) => [t0 + k, v])]),
        fill: "none",
        stroke: "var(--md-accent-fg-color, #f50)",
        "stroke-width": "2",
        "data-role": "median",
      }),
      svg("line", {
        x1: X(t0 - 0.5),
        x2: X(t0 - 0.5),
        y1: 10,
        y2: bottom,
        stroke: "currentColor",
        "stroke-opacity": "0.4",
      }),
      ...flags.map((t) =>
        svg("circle", {
          cx: X(t),
          cy: Y(values[t]),
          r: 4,
          fill: "none",
          stroke: "#d32f2f",
          "stroke-width": "2",
          "data-role": "anomaly",
        }),
      ),
      text(36, 16, hi.toPrecision(4), "end"),
      text(36, bottom, lo.toPrecision(4), "end"),
      text(40, H - 10, label(from)),
      text(X(t0 - 0.5) - 4, 24, `origin ${label(t0)}`, "end"),
      text(right, H - 10, label(t0 + h - 1), "end"),
    );
    shown = result;
    const unit = result.series ? ` ${result.series.unit}` : "";
    chart.setAttribute(
      "aria-label",
      `Forecast of ${h} steps from ${label(t0)}: median from ${forecast.median[0].toPrecision(4)} to ${forecast.median[h - 1].toPrecision(4)}${unit}.`,
    );
    let summary = `Forecast from ${label(t0)}, ${h} step${h > 1 ? "s" : ""} ahead: solid line = history, dashed = what happened, coloured = LSTM median with its 80% interval, blue dots = seasonal naive (the same time one season earlier).`;
    let scores = null;
    if (actual.length) {
      const inside = actual.filter((v, k) => v >= forecast.lower[k] && v <= forecast.upper[k]).length;
      const mae = actual.reduce((a, v, k) => a + Math.abs(v - forecast.median[k]), 0) / actual.length;
      // MASE in the unit of the training part's seasonal-naive error (the card's scale).
      scores = {
        lstm: mase(actual, forecast.median, result.settings.scale),
        baseline: mase(actual, baseline, result.settings.scale),
      };
      summary += ` Mean absolute error ${mae.toPrecision(3)}${unit}; ${inside} of ${actual.length} actual values inside the interval. MASE of this forecast: LSTM ${scores.lstm.toFixed(2)}, seasonal naive ${scores.baseline.toFixed(2)} (lower is better).`;
    }
    if (anomalies.checked && result.series)
      summary += ` ${flags.length} point${flags.length === 1 ? "" : "s"} flagged as anomalous (circled).`;
    caption.textContent = summary;
    table.replaceChildren(
      dataTable(
        "The numbers in the chart",
        ["Time", "Lower (10%)", "Median", "Upper (90%)", "Seasonal naive", "Actual"],
        forecast.median.map((m, k) => [
          label(t0 + k),
          forecast.lower[k].toPrecision(4),
          m.toPrecision(4),
          forecast.upper[k].toPrecision(4),
          baseline[k].toPrecision(4),
          k < actual.length ? actual[k].toPrecision(4) : "",
        ]),
      ),
    );
    root.dataset.forecast = JSON.stringify(forecast);
    root.dataset.baseline = JSON.stringify(baseline);
    root.dataset.mase = scores ? JSON.stringify(scores) : "";
    root.dataset.anomalies = String(flags.length);
    root.dataset.updates = String(Number(root.dataset.updates ?? 0) + 1);
  }

  async function update() {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      do {
        pending = false;
        const series = current();
        if (series) {
          originOut.textContent = timeLabel(series, Number(origin.value));
          origin.setAttribute("aria-valuetext", originOut.textContent);
          horizonOut.textContent = horizon.value;
        }
        if (!series && !own) {
          chart.replaceChildren();
          caption.textContent = "Type, paste or draw a series, then press Forecast my series.";
          root.dataset.state = "waiting";
          break;
        }
        const result = await compute();
        draw(result);
        status.clearError();
        status.info(`Model ${card.name} v${card.version} (onnxruntime-web, in your browser).`);
        root.dataset.state = "ready";
      } while (pending);
    } catch (err) {
      status.error(err);
      root.dataset.state = "error";
    } finally {
      running = false;
    }
  }

  function selectSeries() {
    const series = current();
    ownForm.hidden = series !== null;
    origin.disabled = anomalies.disabled = series === null;
    if (series) {
      const settings = card.series[series.name];
      origin.min = String(settings.lookback);
      origin.max = String(series.values.length);
      origin.value = String(series.val_end);
      horizon.value = String(settings.horizon);
      horizonOut.textContent = horizon.value;
    }
    update();
  }

  ownForm.addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      own = { values: parseNumbers(ownText.value, card.min_history), style: ownStyle.value };
      status.clearError();
      update();
    } catch (err) {
      own = null;
      chart.replaceChildren();
      caption.textContent = "";
      status.error(err);
      root.dataset.state = "error";
      root.dataset.errors = String(Number(root.dataset.errors ?? 0) + 1);
    }
  });

  // Drawing: in "own series" mode, pressing and moving on the chart records one value per
  // horizontal pixel bucket (60 buckets); the numbers land in the text box, ready to forecast.
  let drawing = null;
  const pointerValue = (event) => {
    const box = chart.getBoundingClientRect();
    const x = Math.min(59, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * 60)));
    const y = 1 - (event.clientY - box.top) / box.height;
    return [x, Math.round(y * 1000) / 10];
  };
  chart.addEventListener("pointerdown", (event) => {
    if (current() !== null) return;
    drawing = new Array(60).fill(null);
    chart.setPointerCapture(event.pointerId);
    const [x, v] = pointerValue(event);
    drawing[x] = v;
  });
  chart.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const [x, v] = pointerValue(event);
    drawing[x] = v;
    const drawn = drawing.filter((d) => d !== null);
    ownText.value = drawn.join(", ");
  });
  chart.addEventListener("pointerup", () => {
    if (!drawing) return;
    drawing = null;
    ownForm.requestSubmit();
  });

  seriesSelect.addEventListener("change", selectSeries);
  // Redraw at the new width (rotating a phone, resizing a window) so labels keep their size.
  let lastWidth = 0;
  new ResizeObserver(() => {
    const width = Math.round(chart.getBoundingClientRect().width);
    if (shown && width !== lastWidth) draw(shown);
    lastWidth = width;
  }).observe(chart);
  for (const control of [origin, horizon, anomalies]) control.addEventListener("input", update);

  const load = async () => {
    try {
      status.info("Loading the model card and the series…");
      card = await model.card();
      const entry = await model.entry();
      const dir = entry.card.split("/").slice(0, -1).join("/");
      const bytes = await fetchModelFile(model.file(entry, `${dir}/${card.files.series}`));
      data = JSON.parse(new TextDecoder().decode(bytes));
      for (const [name, series] of Object.entries(data.series)) {
        seriesSelect.append(el("option", { value: name }, series.title));
        ownStyle.append(el("option", { value: name }, `${series.title}`));
      }
      seriesSelect.append(el("option", { value: OWN }, "Your own series (paste or draw)"));
      horizon.max = String(card.max_horizon);
      ownText.value = "3, 5, 9, 4, 2, 6, 10, 5, 3, 7, 11, 6, 4, 8, 12, 7";
      selectSeries();
    } catch (err) {
      status.failLoad(err, load);
    }
  };
  load();
}
