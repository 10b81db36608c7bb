"""Why the forecaster misses two held-out targets (rnn_site.experiments.ts_held_out_why) and the
page's paragraph and table on it (rnn_site.sitebuild.ts_held_out_why_data)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from shipped import MODELS, run_without

from rnn_site.data.timeseries import Series
from rnn_site.experiments import ts_held_out_why as why
from rnn_site.sitebuild import ts_held_out_why_data as site
from rnn_site.sitebuild.page_data import PageDataError, render_data

pytest.importorskip("statsmodels")

SEASON = np.array([3.0, -1.0, 0.5, -2.5])
#: The tiny series' test origins: 4 of them, each with a horizon (4) inside the series.
ORIGINS = np.arange(32, 36)


def tiny(growth_after: float = 1.0, n: int = 48, name: str = "tiny") -> Series:
    """A season of 4 on a trend of 1 a step, which continues at ``growth_after`` a step from
    the test period on (index 32): seasonal naive's scale (training) is 4 per season."""
    t = np.arange(n, dtype=np.float64)
    trend = np.where(t < 32, t, 32 + growth_after * (t - 32))
    return Series(name=name, title=f"Tests: {name}", unit="u", freq="month", start="2000-01",
                  values=10 + trend + SEASON[t.astype(int) % 4], period=4, lookback=12,
                  horizon=4, train_end=24, val_end=32, source="", licence="")  # fmt: skip


def actual(s: Series, origins: np.ndarray = ORIGINS) -> np.ndarray:
    return np.stack([s.values[t : t + s.horizon] for t in origins])


# ------------------------------------------------------------------ the experiment


def test_holt_winters_on_the_window_reads_only_the_window():
    s = tiny()
    window = why.holt_winters_refit(s, ORIGINS, 4, 12)
    every = why.holt_winters_refit(s, ORIGINS, 4, None)
    # a season and a straight trend: Holt-Winters learns both from 12 values, where seasonal
    # naive is a year's growth (4, its scale) behind every month
    for medians in (window, every):
        assert np.mean(np.abs(actual(s) - medians)) / s.scale < 0.05
    # values before the first origin's window change nothing there, but the all-history fit
    early = s.values.copy()
    early[: ORIGINS[0] - 12] += np.linspace(0.0, 30.0, ORIGINS[0] - 12)
    changed = replace(s, values=early)
    first = ORIGINS[:1]
    np.testing.assert_array_equal(why.holt_winters_refit(changed, first, 4, 12), window[:1])
    assert not np.allclose(why.holt_winters_refit(changed, first, 4, None), every[:1])
    with pytest.raises(ValueError, match="fewer than 40 values before it"):
        why.holt_winters_refit(s, ORIGINS, 4, 40)


def test_year_over_year_is_seasonal_naives_error():
    s = tiny()
    np.testing.assert_array_equal(why.year_over_year(s.values, 32, 36, 4), [4.0] * 4)
    with pytest.raises(ValueError, match="no value a season"):
        why.year_over_year(s.values, 3, 8, 4)


def test_steady_growth_is_all_of_seasonal_naives_error_and_does_not_slow():
    s = tiny()
    d = why.diagnostics(s, ORIGINS, actual(s) + s.scale, window=12)  # an LSTM one unit too high
    assert d["seasonal_strength"] == pytest.approx(1.0)
    assert d["growth_share"] == pytest.approx(1.0)
    assert d["growth"] == pytest.approx(1.0)  # 4 a year, in units of the scale (4)
    assert d["slowdown"] == pytest.approx(0.0)
    assert d["lstm_bias"] == pytest.approx(1.0)
    assert d["bias_slowdown_correlation"] is None  # both constant over origins
    assert d["origins_beating_seasonal_naive"] == 0.0  # as far off as seasonal naive: no win
    perfect = why.diagnostics(s, ORIGINS, actual(s), window=12)
    assert perfect["origins_beating_seasonal_naive"] == 1.0 and perfect["lstm_bias"] == 0.0


def test_growth_that_stops_after_the_window_is_a_slowdown():
    s = tiny(growth_after=0.0)
    d = why.diagnostics(s, ORIGINS, actual(s), window=12)
    # The year-over-year change is 4 up to index 32, then 3, 2, 1 and 0 from 36 on. Each
    # origin's window (12 values) holds the 8 changes before it, the 4 months after it theirs:
    # origin 32: 4 in the window, (4 + 3 + 2 + 1) / 4 after; 33: 4 and 1.5; 34: 31 / 8 and
    # 0.75; 35: 29 / 8 and 0.25. In units of the scale (4).
    window, after = np.array([4, 4, 31 / 8, 29 / 8]), np.array([2.5, 1.5, 0.75, 0.25])
    assert d["slowdown"] == pytest.approx(np.mean(window - after) / 4)
    d_test = np.array([4.0, 3.0, 2.0, 1.0] + [0.0] * 12)
    assert d["growth_share"] == pytest.approx(np.mean(d_test) ** 2 / np.mean(d_test**2))
    test = s.values[32:]
    assert d["seasonal_naive_r2"] == pytest.approx(1 - np.mean(d_test**2) / np.var(test))


def test_measure_counts_wins_and_losses_and_checks_the_card():
    steady, flat = tiny(name="steady"), tiny(growth_after=0.0, name="flat")
    held = {"steady": steady, "flat": flat}

    def lstm(s: Series, origins: np.ndarray) -> np.ndarray:
        # perfect on "steady"; on "flat", seasonal naive's own forecast one unit too high
        if s.name == "steady":
            return actual(s, origins)
        return np.stack([s.values[t - 4 : t] for t in origins]) + s.scale

    result = why.measure(held, {n: ORIGINS for n in held}, lstm, window=12)
    assert result["window"] == 12
    rows, summary = result["series"], result["summary"]
    assert rows["steady"]["mase"]["lstm"] == 0.0 and rows["flat"]["mase"]["seasonal_naive"] < 1
    # seasonal naive's error is the year-over-year change d (0 ≤ d ≤ 4 = the scale) and the
    # LSTM's d − 4: MASEs mean(d) / 4 and 1 − mean(d) / 4, with d 4, 3, 2, 1, 3, 2, 1, 0, …
    assert rows["flat"]["mase"]["seasonal_naive"] == pytest.approx(20 / 16 / 4)
    assert rows["flat"]["mase"]["lstm"] == pytest.approx(1 - 20 / 16 / 4)
    assert summary["lstm_beats"]["seasonal_naive"] == 1
    assert summary["lost_to_seasonal_naive"] == ["flat"]
    assert summary["mean_mase"]["lstm"] == pytest.approx(
        np.mean([r["mase"]["lstm"] for r in rows.values()])
    )
    names = {"lstm": "lstm", "seasonal_naive": "seasonal-naive", "holt_winters": "holt-winters"}
    log = {"held_out": {n: {c: {"mase": r["mase"][k]} for k, c in names.items()}
                        for n, r in rows.items()}}  # fmt: skip
    assert why.check_card(rows, log) == {k: 0.0 for k in names}
    log["held_out"]["flat"]["holt-winters"]["mase"] += 0.005  # another machine's optimum
    assert why.check_card(rows, log)["holt_winters"] == pytest.approx(0.005)
    log["held_out"]["flat"]["lstm"]["mase"] += 2 * why.TOLERANCE["lstm"]
    with pytest.raises(why.CardMismatchError, match="flat: lstm MASE"):
        why.check_card(rows, log)
    with pytest.raises(why.CardMismatchError, match="series differ"):
        why.check_card({"steady": rows["steady"]}, log)


# ------------------------------------------------------------------ the page

LOG = json.loads((MODELS / "ts-forecaster" / "metrics.json").read_text("utf-8"))
MISC, TRANSIT = "CEU4245300001", "CEU4348500001"
FOOD_STORES, GASOLINE, BANKING = "CEU4244500001", "CEU4244700001", "CEU5552211001"


def results() -> dict:
    return json.loads(site.RESULTS.read_text("utf-8"))


def test_the_committed_results_are_the_cards_series_and_lstm():
    committed = results()
    assert committed["window"] == 48 == LOG["data"]["series"]["co2"]["lookback"]
    assert set(committed["series"]) == set(LOG["held_out"])
    for name, row in committed["series"].items():
        card = LOG["held_out"][name]
        assert row["mase"]["lstm"] == pytest.approx(card["lstm"]["mase"], abs=1e-4)
        assert row["mase"]["seasonal_naive"] == card["seasonal-naive"]["mase"]
        assert row["origins"] == card["origins"] == 46
    assert committed["summary"]["lost_to_seasonal_naive"] == [MISC, TRANSIT]
    beats = committed["summary"]["lstm_beats"]["seasonal_naive"]
    assert beats == LOG["held_out_summary"]["beats_seasonal-naive"]


def test_the_table_reads_the_card_and_the_results():
    committed = results()["series"]
    table = site.why_table(MODELS).splitlines()
    assert len(table) == 2 + 10
    assert "| Holt-Winters, last 48 months |" in table[0]
    shares = [committed[n]["growth_share"] for n in committed]
    first = max(committed, key=lambda n: committed[n]["growth_share"])
    card = LOG["held_out"][first]
    assert table[2].startswith(
        f"| {card['title']} | {card['lstm']['mase']:.3f} | {card['seasonal-naive']['mase']:.3f} "
        f"| {card['holt-winters']['mase']:.3f} | "
        f"{committed[first]['mase']['holt_winters_window']:.3f} |"
    )
    assert f"| {max(shares):.2f} |" in table[2]
    bold = [row for row in table if row.startswith("| **")]
    assert len(bold) == 2 and any("Miscellaneous Store Retailers**" in row for row in bold)


def test_the_facts_are_the_results():
    committed = results()
    fact = lambda key: site.why_fact(MODELS, key)  # noqa: E731
    summary = committed["summary"]
    assert fact("window") == "48" and fact("series") == "10"
    assert fact("beats.window") == str(summary["lstm_beats"]["holt_winters_window"]) == "6"
    assert fact("beats.all") == "5"
    assert fact("mean.window") == f"{summary['mean_mase']['holt_winters_window']:.3f}" == "0.413"
    assert fact("mean.card") == f"{LOG['held_out_summary']['mean_mase_holt-winters']:.3f}"
    assert fact("lost.0.title") == "Miscellaneous Store Retailers"
    assert fact("lost.1.title") == "Transit and Ground Passenger Transportation"
    assert fact("lost.0.mase.seasonal_naive") == "0.233"
    assert fact("lost.1.lstm_bias") == f"{committed['series'][TRANSIT]['lstm_bias']:+.2f}"
    misc = LOG["held_out"][MISC]
    ratio = misc["lstm"]["mase"] / misc["seasonal-naive"]["mase"]
    assert fact(f"series.{MISC}.ratio") == f"{ratio:.2f}"
    assert (fact("steady.count"), fact("rest.count"), fact("steady")) == ("5", "5", "50%")
    steady = [r for r in committed["series"].values() if r["growth_share"] >= site.STEADY]
    worst = max(r["mase"]["lstm"] / r["mase"]["seasonal_naive"] for r in steady)
    assert fact("steady.ratio.max") == f"{worst:.2f}"
    rows = committed["series"].values()
    slowed = [r for r in rows if r["slowdown"] > 0 and r["lstm_bias"] > 0]
    assert fact("slowed-and-overshot") == str(len(slowed)) == "7"
    steady_slowed = [r for r in slowed if r["growth_share"] >= site.STEADY]
    assert fact("steady.slowed-and-overshot") == str(len(steady_slowed)) == "3"
    assert {r["title"].rsplit(": ", 1)[-1] for r in steady_slowed} == {
        "Motor Vehicle and Parts Dealers",
        "Gasoline Stations",
        "Food Services and Drinking Places",
    }
    correlations = [r["bias_slowdown_correlation"] for r in rows]
    assert (fact("correlation.min"), fact("correlation.max")) == ("0.39", "0.86")
    assert min(correlations) == pytest.approx(0.393, abs=1e-3) and min(correlations) > 0
    for bad in (
        "nonsense",
        "lost",  # the titles of the losses: no paragraph reads them any more
        "rest.slowed-and-overshot",  # counted over all the series now
        "lost.2.slowdown",
        "narrowest",
        f"series.{MISC}.nonsense",
        "series.CEU0.growth",
    ):
        with pytest.raises(PageDataError):
            fact(bad)


def test_the_window_majority_rests_on_one_series_inside_machine_noise():
    committed = results()
    rows = committed["series"]
    beats = committed["summary"]["lstm_beats"]
    card_beats = sum(
        h["lstm"]["mase"] < h["holt-winters"]["mase"] for h in LOG["held_out"].values()
    )
    card = json.loads((MODELS / "ts-forecaster" / "card.json").read_text("utf-8"))
    assert card["targets"]["held_out_beats_holt_winters"] == card_beats
    # 6 of 10 against the window-fitted Holt-Winters, a majority; 5 against the card's fit and
    # the all-history refit
    assert (beats["holt_winters_window"], card_beats, beats["holt_winters_all"]) == (6, 5, 5)
    # the narrowest window win: Food and Beverage Stores, 0.7865 against 0.7895
    assert site.narrowest_window_win(committed) == FOOD_STORES
    food = rows[FOOD_STORES]["mase"]
    assert food["holt_winters_window"] - food["lstm"] == pytest.approx(0.0030, abs=1e-4)
    assert food["holt_winters_window"] - food["lstm"] < why.TOLERANCE["holt_winters"]
    fact = lambda key: site.why_fact(MODELS, key)  # noqa: E731
    assert fact("narrowest.title") == "Food and Beverage Stores"
    assert (fact("narrowest.mase.lstm"), fact("narrowest.mase.holt_winters_window")) == (
        "0.787",
        "0.790",
    )
    assert (fact("tolerance"), fact("tolerance.seen")) == ("0.01", "0.006")
    # by mean MASE both refits beat the LSTM and the card's fit
    assert (fact("mean.window"), fact("mean.all"), fact("mean.lstm"), fact("mean.card")) == (
        "0.413",
        "0.407",
        "0.430",
        "0.500",
    )
    assert site.paragraph_breaks(committed, LOG) == []


def test_the_single_network_count_comes_from_the_log():
    single = LOG["normalisations"][LOG["normalisation"]]["held_out"]
    held = LOG["held_out"]
    expected = sum(single[n]["mase"] < held[n]["seasonal-naive"]["mase"] for n in held)
    assert site.single_fact(MODELS, "beats-seasonal-naive") == str(expected) == "7"
    assert site.single_fact(MODELS, "beats-holt-winters") == "5"
    with pytest.raises(PageDataError, match="one of"):
        site.single_fact(MODELS, "beats-sarima")


def test_the_page_paragraph_renders_and_says_the_ensembles_gain_through_markers():
    page = (MODELS.parent / "docs" / "applications" / "time-series.md").read_text("utf-8")
    start = page.index("### Why the held-out targets are missed")
    text = render_data(page[start : page.index("## Limits", start)])
    assert "Miscellaneous Store Retailers" in text and "<!--" not in text
    assert "moved one more series" not in page and "last four years" not in page
    # the review of issue 19's section: the history evidence is mixed, the overshoot is no
    # cause, the steady-growth split is after the fact, and counts are read, not typed
    assert "does not explain the misses" not in page and "does not win by its longer" not in page
    assert "explains the Holt-Winters miss is mixed" in page
    assert "The evidence on history is mixed" in text
    assert "on 7 of the 10 series, wins included" in " ".join(text.split())
    assert "a description after the fact" in text and "ten test periods" not in page
    assert "<!-- data:ts-forecaster:held-out-single:beats-seasonal-naive -->" in page


def with_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change) -> None:
    """The committed results changed by ``change(results)``, read by the page instead."""
    changed = results()
    change(changed)
    path = tmp_path / site.RESULTS.name
    path.write_text(json.dumps(changed), "utf-8")
    monkeypatch.setattr(site, "RESULTS", path)


def test_the_paragraph_refuses_results_it_no_longer_describes(tmp_path, monkeypatch):
    def third_loss(r: dict) -> None:
        r["summary"]["lost_to_seasonal_naive"].append("CEU4244500001")

    with_results(tmp_path, monkeypatch, third_loss)
    with pytest.raises(PageDataError, match=r"2 series lost to seasonal naive.*rewrite them"):
        site.why_fact(MODELS, "window")
    assert site.why_table(MODELS)  # the table states no claim

    def no_overshoot(r: dict) -> None:
        r["series"][TRANSIT]["lstm_bias"] = -0.1

    with_results(tmp_path, monkeypatch, no_overshoot)
    with pytest.raises(PageDataError, match="slowed after the window and was overshot"):
        site.why_fact(MODELS, "lost.1.slowdown")


@pytest.mark.parametrize(
    ("window_beats", "claim"),
    [
        (5, "loses to the LSTM on a majority"),  # the window's count no longer meets the target
        (7, "exactly one series more than the card's"),
    ],
)
def test_the_history_paragraph_refuses_other_counts(tmp_path, monkeypatch, window_beats, claim):
    def count(r: dict) -> None:
        r["summary"]["lstm_beats"]["holt_winters_window"] = window_beats

    with_results(tmp_path, monkeypatch, count)
    with pytest.raises(PageDataError, match=claim):
        site.why_fact(MODELS, "beats.window")


def test_the_history_paragraph_refuses_a_majority_outside_machine_noise(tmp_path, monkeypatch):
    def clear_win(r: dict) -> None:
        # Food and Beverage Stores won by 0.02: the narrowest win is now Gasoline Stations',
        # 0.4257 against 0.4099, also beyond the tolerance (0.01)
        food = r["series"][FOOD_STORES]["mase"]
        food["holt_winters_window"] = food["lstm"] + 0.02

    with_results(tmp_path, monkeypatch, clear_win)
    assert site.narrowest_window_win(results() | {"series": {}}) is None
    with pytest.raises(PageDataError, match="narrowest of those wins is within"):
        site.why_fact(MODELS, "narrowest.title")


def test_the_losses_paragraph_refuses_an_overshoot_unlike_the_rest(tmp_path, monkeypatch):
    def one_negative(r: dict) -> None:
        r["series"][GASOLINE]["bias_slowdown_correlation"] = -0.2

    with_results(tmp_path, monkeypatch, one_negative)
    with pytest.raises(PageDataError, match="bias rises with the slowdown on every series"):
        site.why_fact(MODELS, "correlation.min")

    def overlap(r: dict) -> None:
        # Commercial Banking (LSTM 0.74 × seasonal naive) counted as steady growth: above
        # General Merchandise Stores (0.71), left among the others
        r["series"][BANKING]["growth_share"] = 0.6

    with_results(tmp_path, monkeypatch, overlap)
    with pytest.raises(PageDataError, match="steady growth separates"):
        site.why_fact(MODELS, "steady.ratio.max")


def copied_model(root: Path) -> Path:
    folder = root / "ts-forecaster"
    folder.mkdir()
    for name in ("metrics.json", "forecaster.onnx"):
        shutil.copyfile(MODELS / "ts-forecaster" / name, folder / name)
    return folder


def test_the_page_refuses_results_of_other_weights_or_another_card(tmp_path):
    folder = copied_model(tmp_path)
    assert site.why_table(tmp_path) == site.why_table(MODELS)
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    log["held_out"][MISC]["lstm"]["mase"] += 1e-3  # a rescore with other figures
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    with pytest.raises(PageDataError, match="LSTM MASE is not the card's"):
        site.why_table(tmp_path)
    onnx = folder / "forecaster.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")  # a retrain
    with pytest.raises(PageDataError, match=r"python -m rnn_site\.experiments\.ts_held_out_why"):
        site.why_fact(tmp_path, "window")


def test_the_site_build_reads_the_results_without_torch():
    run_without(
        ["torch", "onnxruntime", "statsmodels"],
        "from pathlib import Path\n"
        "from rnn_site.sitebuild.ts_held_out_why_data import why_fact\n"
        "assert why_fact(Path('models'), 'window') == '48'\n",
    )
