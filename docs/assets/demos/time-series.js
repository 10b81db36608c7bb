// @ts-check
// The time-series demo: pick a series, move the forecast origin, change the horizon, and see the
// LSTM's forecast with its 80% interval next to what really happened; inject anomalies and see
// which points fall outside their one-step interval; or paste (or draw) a series of your own.
// Mounted by loader.js on `<div data-demo="time-series" data-model="ts-forecaster">`.
//
// The forecasting is forecast-series.js, the chart's geometry and words forecast-chart.js; this
// file is the page. The model is tiny (one forward pass is well under a millisecond), so it runs
// on the main thread. The card and the series load at once; onnxruntime and the graph when the
// page is idle, and the first forecast is drawn then (or at the first control the reader moves).
//
// root.dataset.state: "loading" → "ready" (a forecast is shown) | "waiting" | "error"; the shown
// forecast is in root.dataset.forecast as JSON {median, lower, upper} for tests; dataset.updates
// counts drawn forecasts and dataset.errors rejected inputs, so a test can wait for the next one.

import {
  chartGeometry,
  chartPaths,
  drawnPoint,
  FORECAST_HEADERS,
  forecastRows,
  forecastSummary,
  labeller,
} from "./forecast-chart.js";
import { chartFigure, chartLabel, forecastLines } from "./forecast-figure.js";
import { computeForecast, forecaster, parseNumbers, timeLabel } from "./forecast-series.js";
import { loadOrt } from "./runtime.js";
import { demoModel, el, field, latestOnly, startDemo, StatusArea, svg, whenIdle } from "./ui.js";

/** @typedef {import("./forecast-series.js").ForecastCard} ForecastCard */
/** @typedef {import("./forecast-series.js").ForecastResult} ForecastResult */
/** @typedef {import("./forecast-series.js").Series} Series */
/** @typedef {import("./forecast-series.js").SeriesSettings} SeriesSettings */

const OWN = "own";

/**
 * The controls: series, origin, horizon, anomalies; and the form for a reader's own numbers.
 * @param {(name: string) => string} id
 */
function controlsView(id) {
  const seriesSelect = el("select", { id: id("series") });
  const range = (
    /** @type {string} */ name,
    /** @type {number} */ min,
    /** @type {number} */ max,
    /** @type {number} */ value,
  ) =>
    el("input", {
      id: id(name),
      type: "range",
      min: String(min),
      max: String(max),
      step: "1",
      value: String(value),
    });
  const origin = range("origin", 0, 1, 0);
  const originOut = el("output", { for: id("origin"), "data-role": "origin-label" });
  const horizon = range("horizon", 1, 24, 12);
  const horizonOut = el("output", { for: id("horizon") });
  const anomalies = el("input", { id: id("anomalies"), type: "checkbox" });
  const controls = el("div", { class: "rnn-controls" }, [
    field("Series", seriesSelect),
    field("Forecast origin", origin, [originOut]),
    field("Horizon (steps)", horizon, [horizonOut]),
    el("div", { class: "rnn-field" }, [
      el("label", { for: anomalies.id }, [anomalies, " Inject anomalies and flag them"]),
    ]),
  ]);
  /** Show the origin as a date (also to screen readers, which would read the index) and the horizon. */
  const showLabels = (/** @type {Series} */ series) => {
    originOut.textContent = timeLabel(series, Number(origin.value));
    origin.setAttribute("aria-valuetext", originOut.textContent);
    horizonOut.textContent = horizon.value;
  };
  /** A site series was chosen: its origin range from `lookback` on, its test start, its horizon. */
  const setSeries = (/** @type {Series} */ series, /** @type {SeriesSettings} */ settings) => {
    origin.min = String(settings.lookback);
    origin.max = String(series.values.length);
    origin.value = String(series.val_end);
    horizon.value = String(settings.horizon);
    showLabels(series);
  };
  /** The series list (name → title), then "your own"; the horizon up to the card's maximum. */
  const setChoices = (/** @type {[string, string][]} */ choices, /** @type {number} */ maxHorizon) => {
    seriesSelect.replaceChildren(
      ...choices.map(([name, title]) => el("option", { value: name }, title)),
      el("option", { value: OWN }, "Your own series (paste or draw)"),
    );
    horizon.max = String(maxHorizon);
  };
  return { controls, seriesSelect, origin, horizon, anomalies, showLabels, setSeries, setChoices };
}

/**
 * The form for a reader's own series (hidden until "Your own series" is chosen).
 * @param {(name: string) => string} id
 */
function ownFormView(id) {
  const ownText = el("textarea", {
    id: id("own"),
    rows: "3",
    spellcheck: "false",
    "aria-describedby": id("own-hint"),
  });
  const ownStyle = el("select", { id: id("own-style") });
  const hint =
    "Commas, spaces or new lines between values; or draw on the chart below with the mouse or a finger.";
  const ownForm = el("form", { class: "rnn-form", novalidate: true, hidden: true, "data-role": "own-form" }, [
    field("Your numbers (oldest first)", ownText, [el("small", { id: id("own-hint") }, hint)]),
    field("Read it like", ownStyle),
    el("div", { class: "rnn-buttons" }, [
      el("button", { type: "submit", class: "md-button md-button--primary" }, "Forecast my series"),
    ]),
  ]);
  return { ownForm, ownText, ownStyle };
}

/**
 * Draw a forecast on `chart` at its current width (one SVG unit per CSS pixel).
 * @param {SVGSVGElement} chart
 * @param {ForecastResult} result
 */
function drawChart(chart, result) {
  const g = chartGeometry(result, chart.getBoundingClientRect().width);
  const lines = chartPaths(result, g.path);
  const label = labeller(result);
  const { t0, h, from, values, flags } = result;
  chart.setAttribute("viewBox", `0 0 ${g.width} ${g.height}`);
  const originX = g.x(t0 - 0.5);
  chart.replaceChildren(
    ...forecastLines(g, lines),
    svg("line", {
      x1: originX,
      x2: originX,
      y1: g.top,
      y2: g.bottom,
      stroke: "currentColor",
      "stroke-opacity": "0.4",
    }),
    // Injected points get a cross; a flag is a solid circle on one (a hit), dashed on a clean
    // point (a false alarm).
    ...(result.injected ?? []).map((t) =>
      svg("path", {
        d: `M${g.x(t) - 3},${g.y(values[t]) - 3}l6,6m0,-6l-6,6`,
        stroke: "#ef6c00",
        "stroke-width": "1.5",
        "data-role": "injected",
      }),
    ),
    ...flags.map((t) => {
      const hit = (result.injected ?? []).includes(t);
      return svg("circle", {
        cx: g.x(t),
        cy: g.y(values[t]),
        r: 5,
        fill: "none",
        stroke: "#d32f2f",
        "stroke-width": "2",
        ...(hit ? {} : { "stroke-dasharray": "2 2" }),
        "data-role": "anomaly",
        "data-outcome": hit ? "hit" : "false-alarm",
      });
    }),
    chartLabel(36, 16, g.hi.toPrecision(4), "end"),
    chartLabel(36, g.bottom, g.lo.toPrecision(4), "end"),
    chartLabel(g.left, g.height - 10, label(from)),
    chartLabel(originX - 4, 24, `origin ${label(t0)}`, "end"),
    chartLabel(g.right, g.height - 10, label(t0 + h - 1), "end"),
  );
}

/**
 * The chart with its caption and data table; `show` draws a result, says what it shows and puts
 * it on the demo's dataset for tests.
 * @param {HTMLElement} root  the demo
 */
function chartView(root) {
  const view = chartFigure("Forecast chart (loading)", drawChart);
  view.chart.style.touchAction = "none";
  /** @param {ForecastResult} result @param {boolean} anomaliesShown */
  const show = (result, anomaliesShown) => {
    const { name, summary, scores } = forecastSummary(result, anomaliesShown);
    view.show(result, { name, summary, headers: FORECAST_HEADERS, rows: forecastRows(result) });
    root.dataset.forecast = JSON.stringify(result.forecast);
    root.dataset.baseline = JSON.stringify(result.baseline);
    root.dataset.statistical = JSON.stringify(result.statistical);
    root.dataset.mase = scores ? JSON.stringify(scores) : "";
    root.dataset.anomalies = String(result.flags.length);
    root.dataset.flags = JSON.stringify(result.flags);
    root.dataset.injected = JSON.stringify(result.injected ?? []);
    root.dataset.updates = String(Number(root.dataset.updates ?? 0) + 1);
  };
  return { ...view, show };
}

/**
 * Drawing a series: in "own series" mode, pressing and moving on the chart records one value per
 * horizontal bucket (60 buckets); the numbers land in the text box, and lifting the pointer
 * forecasts them.
 * @param {SVGSVGElement} chart
 * @param {() => boolean} enabled
 * @param {HTMLTextAreaElement} ownText
 * @param {HTMLFormElement} ownForm
 */
function drawInput(chart, enabled, ownText, ownForm) {
  /** @type {(number | null)[] | null} */
  let drawing = null;
  /** @param {PointerEvent} event */
  const record = (event) => {
    const [x, v] = drawnPoint(chart.getBoundingClientRect(), event.clientX, event.clientY);
    if (drawing) drawing[x] = v;
  };
  chart.addEventListener("pointerdown", (event) => {
    if (!enabled()) return;
    drawing = new Array(60).fill(null);
    chart.setPointerCapture(event.pointerId);
    record(event);
  });
  chart.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    record(event);
    ownText.value = drawing.filter((d) => d !== null).join(", ");
  });
  chart.addEventListener("pointerup", () => {
    if (!drawing) return;
    drawing = null;
    ownForm.requestSubmit();
  });
}

/** @param {HTMLElement} root */
export function mount(root) {
  const id = startDemo(root);
  root.dataset.state = "loading";
  const c = controlsView(id);
  const own = ownFormView(id);
  const statusBox = el("div", { class: "rnn-status-box" });
  const status = new StatusArea(statusBox);
  const view = chartView(root);
  root.append(c.controls, own.ownForm, statusBox, ...view.nodes);

  /** @type {import("./runtime.js").Model<import("./card-types.js").ForecastingCard>} */
  const model = demoModel(root, "ts-forecaster", status);
  /** @type {ForecastCard | null} */
  let card = null;
  /** @type {Record<string, Series>} */
  let allSeries = {};
  /** @type {import("./forecast-series.js").StatisticalForecasts | null} */
  let stored = null;
  /** @type {{values: number[], style: string} | null} */
  let ownSeries = null;
  const current = () => (c.seriesSelect.value === OWN ? null : (allSeries[c.seriesSelect.value] ?? null));
  /** @type {import("./forecast-series.js").Predict} */
  const predict = async (windows, scale, ids) =>
    forecaster(await loadOrt(), await model.session("forecaster"))(windows, scale, ids);

  /** Draw the forecast for the controls as they are now. */
  const update = latestOnly(async () => {
    const series = current();
    if (series) c.showLabels(series);
    if ((!series && !ownSeries) || !card) {
      view.clear("Type, paste or draw a series, then press Forecast my series.");
      root.dataset.state = "waiting";
      return;
    }
    const anomalies = c.anomalies.checked;
    const request = {
      series,
      own: ownSeries,
      origin: Number(c.origin.value),
      horizon: Number(c.horizon.value),
      anomalies,
    };
    try {
      view.show(await computeForecast(predict, card, request, stored), anomalies);
      status.clearError();
      status.info(`Model ${card.name} v${card.version} (onnxruntime-web, in your browser).`);
      root.dataset.state = "ready";
    } catch (err) {
      status.error(err);
      root.dataset.state = "error";
    }
  });

  /** Set the controls for the chosen series (its origin range, horizon), then forecast. */
  function selectSeries(forecastNow = true) {
    const series = current();
    own.ownForm.hidden = series !== null;
    c.origin.disabled = c.anomalies.disabled = series === null;
    if (series && card) c.setSeries(series, card.series[series.name]);
    if (forecastNow) update();
  }

  own.ownForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!card) return;
    try {
      ownSeries = { values: parseNumbers(own.ownText.value, card.min_history), style: own.ownStyle.value };
      status.clearError();
      update();
    } catch (err) {
      ownSeries = null;
      view.clear();
      status.error(err);
      root.dataset.state = "error";
      root.dataset.errors = String(Number(root.dataset.errors ?? 0) + 1);
    }
  });
  drawInput(view.chart, () => current() === null, own.ownText, own.ownForm);
  c.seriesSelect.addEventListener("change", () => selectSeries());
  for (const control of [c.origin, c.horizon, c.anomalies]) control.addEventListener("input", update);

  const load = async () => {
    try {
      status.info("Loading the model card and the series…");
      card = await model.card();
      allSeries = (await model.json("series")).series;
      // SARIMA's stored forecasts (a model exported before they existed has none).
      if (card.files.baselines) stored = await model.json("baselines");
      /** @type {[string, string][]} */
      const choices = Object.entries(allSeries).map(([name, s]) => [name, s.title]);
      c.setChoices(choices, card.max_horizon);
      own.ownStyle.replaceChildren(...choices.map(([name, title]) => el("option", { value: name }, title)));
      own.ownText.value = "3, 5, 9, 4, 2, 6, 10, 5, 3, 7, 11, 6, 4, 8, 12, 7";
      selectSeries(false);
      // onnxruntime and the graph (a few MB) download once the page is idle, then the first
      // forecast is drawn; with the browser's data saver on, the reader's first move starts them.
      if (whenIdle(update)) status.info("Loading the forecaster…");
      else {
        status.info("Data saver is on: move a control to download the model and see its forecast.");
        root.dataset.state = "waiting";
      }
    } catch (err) {
      status.failLoad(err, load);
    }
  };
  load();
}
