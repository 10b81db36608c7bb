"""The time-series demo in real headless Chromium, on the real built site.

The browser's forecasts must equal the Python runtime's on the very files the site serves, for
the controls a reader uses (series, origin by keyboard, horizon), and bad input must become a
message on the page, never an uncaught exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnn_site.baselines.conformal import MIN_SCORES
from rnn_site.runtime.ts_forecaster import Forecaster, demand_inputs
from rnn_site.sitebuild.application_tables import demo_flags, demo_injection

pytestmark = pytest.mark.browser

PAGE = "applications/time-series/"
DEMO = "[data-demo=time-series]"


@pytest.fixture(scope="module")
def forecaster(built_site: Path) -> Forecaster:
    return Forecaster.load(built_site / "models" / "ts-forecaster")


def updates(page: Any) -> int:
    return int(page.get_attribute(DEMO, "data-updates") or 0)


def after(page: Any, action: Any, attribute: str = "data-updates", demo: str = DEMO) -> None:
    """Run ``action`` and wait until the demo has finished one more forecast (or error)."""
    before = int(page.get_attribute(demo, attribute) or 0)
    action()
    page.wait_for_function(
        f"document.querySelector('{demo}').getAttribute('{attribute}') > {before}",
        timeout=30_000,
    )


def shown(page: Any) -> dict[str, list[float]]:
    return json.loads(page.get_attribute(DEMO, "data-forecast"))


def set_range(page: Any, selector: str, value: int) -> None:
    page.eval_on_selector(
        selector,
        "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }",
        value,
    )


def alert(page: Any) -> str:
    return str(page.text_content(f"{DEMO} [data-role=alert]")).strip()


def open_demo(page: Any, site_url: str) -> None:
    page.goto(site_url + PAGE)
    page.wait_for_selector(f"{DEMO}[data-state=ready]", timeout=60_000)


def assert_matches(page: Any, expected: Any) -> None:
    got = shown(page)
    for key in ("median", "lower", "upper"):
        np.testing.assert_allclose(got[key], getattr(expected, key), rtol=1e-5, atol=1e-4)


def test_first_forecast_and_keyboard_origin_match_the_python_runtime(
    page, site_url, page_log, forecaster
):
    open_demo(page, site_url)
    co2 = forecaster.load_series("co2")
    origin = co2["val_end"]
    assert_matches(page, forecaster.forecast(co2["values"][:origin], 12, "co2"))
    assert page.text_content(f"{DEMO} [data-role=origin-label]") == "1995-01"
    # Keyboard: one step right moves the origin one month.
    page.focus("#time-series-origin")
    after(page, lambda: page.keyboard.press("ArrowRight"))
    assert_matches(page, forecaster.forecast(co2["values"][: origin + 1], 12, "co2"))
    after(page, lambda: set_range(page, "#time-series-horizon", 5))
    assert len(shown(page)["median"]) == 5
    assert page.locator(f"{DEMO} [data-role=interval]").count() == 1
    assert "inside the interval" in page.text_content(f"{DEMO} [data-role=summary]")
    assert page_log.page_errors == [] and page_log.console_errors == []


def test_other_series_and_anomaly_flags(page, site_url, page_log, forecaster):
    open_demo(page, site_url)
    after(page, lambda: page.select_option("#time-series-series", "sunspots"))
    spots = forecaster.load_series("sunspots")
    assert_matches(page, forecaster.forecast(spots["values"][: spots["val_end"]], 11, "sunspots"))
    after(page, lambda: page.check("#time-series-anomalies"))
    for name in ("sunspots", "seattle"):
        if name != "sunspots":
            after(page, lambda name=name: page.select_option("#time-series-series", name))
        series, settings = forecaster.load_series(name), forecaster.card["series"][name]
        t0 = series["val_end"]
        start = max(t0 - 2 * settings["lookback"], forecaster.card["min_history"])
        values, injected = demo_injection(
            series["values"], start, t0, settings["anomaly_unit"], settings["period"]
        )
        # The demo's flags are the Python runtime's on the very same injected series.
        flags = np.flatnonzero(forecaster.detect_anomalies(values[:t0], name, start)) + start
        assert json.loads(page.get_attribute(DEMO, "data-injected")) == injected
        assert json.loads(page.get_attribute(DEMO, "data-flags")) == flags.tolist()
        # The page's false-alarm sentence counts what the demo draws here.
        page_view = demo_flags(forecaster.location.model_dir.parent, name)
        assert page_view["flags"] == flags.tolist() and page_view["injected"] == injected
        hits = sorted(set(flags.tolist()) & set(injected))
        assert hits, f"{name}: nothing injected was flagged"  # the old size unit found none
        demo = page.locator(DEMO)
        assert demo.locator("[data-role=injected]").count() == len(injected)
        assert demo.locator("[data-outcome=hit]").count() == len(hits)
        assert demo.locator("[data-outcome=false-alarm]").count() == len(flags) - len(hits)
        summary = page.text_content(f"{DEMO} [data-role=summary]")
        assert f"{len(hits)} of the {len(injected)} injected points" in summary
    assert page_log.page_errors == []


@pytest.mark.parametrize(
    "text,message",
    [
        ("1, 2, three, 4", "not a number"),
        ("1 2 3", "Too short: 3 values"),
        ("1, 2, NaN, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13", "NaN"),
        ("   ", "Type or paste"),
        ("1 " * 20 + "1e39", "Value 21 (1e39) is too large"),  # drew an Infinity path before
    ],
)
def test_invalid_own_series_gets_a_message(page, site_url, page_log, text, message):
    open_demo(page, site_url)
    page.select_option("#time-series-series", "own")
    page.fill("#time-series-own", text)
    after(page, lambda: page.click(f"{DEMO} [data-role=own-form] button"), "data-errors")
    assert message in alert(page)
    assert page.get_attribute(DEMO, "data-state") == "error"
    assert page_log.page_errors == []


def test_own_series_is_forecast_in_its_own_unit(page, site_url, page_log, forecaster):
    open_demo(page, site_url)
    page.select_option("#time-series-series", "own")
    values = [3, 5, 9, 4, 2, 6, 10, 5, 3, 7, 11, 6, 4, 8, 12, 7, 5.5]
    page.fill("#time-series-own", ", ".join(map(str, values)))
    page.select_option("#time-series-own-style", "sunspots")
    after(page, lambda: page.click(f"{DEMO} [data-role=own-form] button"))
    assert alert(page) == ""
    h = int(page.input_value("#time-series-horizon"))
    served = forecaster.forecast(values, h, "sunspots", scale="history")
    assert_matches(page, served)
    # 17 values are too few to calibrate any step (min_history + MIN_SCORES are needed): the
    # band is the graph's own, and the summary says why.
    graph = forecaster.forecast(values, h, "sunspots", scale="history", calibration="graph")
    np.testing.assert_array_equal(served.upper, graph.upper)
    shortest = forecaster.min_history + MIN_SCORES
    summary = page.text_content(f"{DEMO} [data-role=summary]") or ""
    assert "The interval is the graph's own: the history is too short" in summary
    assert f"so {shortest} values for the first step" in summary
    assert page_log.page_errors == []


def test_seasonal_naive_is_drawn_beside_the_lstm_with_the_mase_of_each(
    page, site_url, page_log, forecaster
):
    from rnn_site.baselines.forecast import mase, seasonal_naive
    from rnn_site.data.timeseries import Series

    open_demo(page, site_url)
    co2 = forecaster.load_series("co2")
    values, origin = np.array(co2["values"]), co2["val_end"]
    fields = {k: co2[k] for k in ("name", "title", "unit", "freq", "start", "period", "lookback")}
    s = Series(
        **fields, values=values, horizon=12, train_end=co2["train_end"], val_end=origin,
        source="", licence="",
    )  # fmt: skip
    expected = seasonal_naive(s, np.array([origin]), 12).median[0]
    np.testing.assert_allclose(json.loads(page.get_attribute(DEMO, "data-baseline")), expected)
    assert page.locator(f"{DEMO} [data-role=baseline]").count() == 1
    actual = values[origin : origin + 12]
    lstm = forecaster.forecast(values[:origin], 12, "co2")
    scale = forecaster.series["co2"]["scale"]
    scores = json.loads(page.get_attribute(DEMO, "data-mase"))
    assert scores["lstm"] == pytest.approx(mase(actual, lstm.median, scale), rel=1e-4)
    assert scores["baseline"] == pytest.approx(mase(actual, expected, scale), rel=1e-9)
    summary = page.text_content(f"{DEMO} [data-role=summary]")
    assert f"seasonal naive {scores['baseline']:.2f}" in summary
    # SARIMA, precomputed at export, drawn on the same chart with its MASE.
    sarima = forecaster.statistical_forecast("co2", origin)[:12]
    np.testing.assert_allclose(json.loads(page.get_attribute(DEMO, "data-statistical")), sarima)
    assert page.locator(f"{DEMO} [data-role=statistical]").count() == 1
    assert scores["statistical"] == pytest.approx(mase(actual, sarima, scale), rel=1e-9)
    assert f"SARIMA {scores['statistical']:.2f}" in summary
    table = page.locator(f"{DEMO} [data-role=chart-data] tbody tr").first
    assert float(table.locator("td").nth(5).text_content()) == float(f"{sarima[0]:.4g}")
    assert page_log.page_errors == []


def test_own_series_is_scored_on_its_last_values_against_seasonal_naive(
    page, site_url, page_log, forecaster
):
    from rnn_site.baselines.forecast import mase
    from rnn_site.data.timeseries import seasonal_scale

    open_demo(page, site_url)
    page.select_option("#time-series-series", "own")
    t = np.arange(60)
    values = np.round(100 + 0.5 * t + 8 * np.sin(2 * np.pi * t / 12) + 3 * np.cos(t), 2)
    page.fill("#time-series-own", ", ".join(map(str, values)))
    after(page, lambda: page.click(f"{DEMO} [data-role=own-form] button"))
    h = int(page.input_value("#time-series-horizon"))
    cut = len(values) - h
    lstm = forecaster.forecast(values[:cut], h, "co2", scale="history").median
    naive = values[cut - 12 + np.arange(h) % 12]
    unit = seasonal_scale(values[:cut], 12)
    scores = json.loads(page.get_attribute(DEMO, "data-mase"))
    assert scores["lstm"] == pytest.approx(mase(values[cut:], lstm, unit), rel=1e-4)
    assert scores["baseline"] == pytest.approx(mase(values[cut:], naive, unit), rel=1e-9)
    summary = page.text_content(f"{DEMO} [data-role=summary]")
    assert f"MASE LSTM {scores['lstm']:.2f}, seasonal naive {scores['baseline']:.2f}" in summary
    # The interval drawn is history-calibrated on the reader's own past, as Python serves it,
    # not the graph's own (60 values: every step has the MIN_SCORES earlier forecasts it needs).
    served = forecaster.forecast(values, h, "co2", scale="history")
    assert_matches(page, served)
    graph = forecaster.forecast(values, h, "co2", scale="history", calibration="graph")
    assert not np.allclose(served.upper - served.lower, graph.upper - graph.lower, rtol=1e-2)
    assert page_log.page_errors == []


WHAT_IF = "[data-demo=demand-what-if]"


def test_electricity_what_if_on_a_phone_matches_the_python_runtime(
    page, site_url, page_log, forecaster
):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(site_url + PAGE)
    page.wait_for_selector(f"{WHAT_IF}[data-state=ready]", timeout=60_000)

    def check(day: int, shift: float) -> None:
        expected = forecaster.demand_what_if(day, shift)
        got = json.loads(page.get_attribute(WHAT_IF, "data-forecast"))
        for key in ("median", "lower", "upper"):
            np.testing.assert_allclose(got[key], getattr(expected.lstm, key), atol=1e-4)
        for key, python in (
            ("regression", expected.regression),
            ("naive", expected.seasonal_naive),
        ):
            np.testing.assert_allclose(
                json.loads(page.get_attribute(WHAT_IF, f"data-{key}")), python
            )

    check(2, 0.0)  # the hottest test day, at its recorded temperature
    # The band drawn is calibrated on the week before the day, as Python serves it, not the
    # graph's own interval (rnn_site/experiments/results/ts_demand_interval_rule.md).
    drawn = json.loads(page.get_attribute(WHAT_IF, "data-forecast"))
    days = forecaster.electricity_days()
    graph = forecaster.forecast_demand(*demand_inputs(days, 2), calibration="graph")
    assert not np.allclose(drawn["upper"], graph.upper, atol=1e-2)
    assert "by how the model fared on the days before" in page.text_content(
        f"{WHAT_IF} [data-role=summary]"
    )
    after(page, lambda: set_range(page, "#demand-what-if-shift", 5), demo=WHAT_IF)
    check(2, 5.0)
    assert "+5 °C" in page.text_content(f"{WHAT_IF} output")
    assert "moves the day's mean forecast by +" in page.text_content(
        f"{WHAT_IF} [data-role=summary]"
    )
    after(page, lambda: page.select_option("#demand-what-if-day", "0"), demo=WHAT_IF)
    check(0, 5.0)
    # Readable on a 320 px phone: the chart fits, its labels are 11 px, the table holds the day.
    box = page.locator(f"{WHAT_IF} [data-role=chart]").bounding_box()
    assert box["width"] <= 320 and box["height"] >= 200
    assert page.locator(f"{WHAT_IF} [data-role=chart-data] tbody tr").count() == 48
    assert page_log.page_errors == [] and page_log.console_errors == []
