"""How far a series' test coverage strays by chance (rnn_site.experiments.ts_coverage_noise) and
the page's table of it."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from shipped import MODELS, run_without

from rnn_site.experiments import ts_coverage_noise as noise
from rnn_site.sitebuild import ts_calibration_data as site
from rnn_site.sitebuild.page_data import PageDataError
from rnn_site.sitebuild.ts_calibration_data import (
    NOISE_RESULTS,
    coverage_noise_fact,
    coverage_noise_table,
)


def bernoulli(shape: tuple[int, int], seed: int = 1, p: float = 0.8) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < p


def se(hits: np.ndarray, block: int, seed: int = 0) -> float:
    boot = noise.block_bootstrap(hits, block, 2000, np.random.default_rng(seed))
    return float(np.std(boot, ddof=1))


def test_independent_origins_give_the_binomial_standard_error():
    n = 4000
    hits = bernoulli((n, 1))
    expected = math.sqrt(0.16 / n)
    assert se(hits, 1) == pytest.approx(expected, rel=0.1)
    assert se(hits, 10) == pytest.approx(expected, rel=0.15)  # blocks change nothing here


def test_dependent_origins_and_steps_give_a_larger_standard_error():
    n, h = 600, 12
    independent = bernoulli((n, h))
    same_steps = np.repeat(bernoulli((n, 1)), h, axis=1)  # each origin all in or all out
    assert se(independent, 1) == pytest.approx(math.sqrt(0.16 / (n * h)), rel=0.15)
    assert se(same_steps, 1) == pytest.approx(math.sqrt(0.16 / n), rel=0.15)
    # Runs of 10 identical origins: only n / 10 independent draws. Blocks several runs long
    # see it; blocks of one origin take the rows as independent and understate the spread.
    # (Many runs and few steps, so that the bootstrap's own estimate is steady.)
    draws, h = 400, 4
    runs = np.repeat(bernoulli((draws, h), seed=2), 10, axis=0)
    assert se(runs, 50) == pytest.approx(math.sqrt(0.16 / (draws * h)), rel=0.2)
    assert se(runs, 1) == pytest.approx(math.sqrt(0.16 / (10 * draws * h)), rel=0.1)
    assert se(runs, 10) > 2 * se(runs, 1)


def test_the_circular_bootstrap_weighs_every_origin_alike():
    """Replicates centre on the observed coverage even where the first and last origins differ
    from the rest (a plain moving-block bootstrap under-draws them: mean about 0.24, not 0.4)."""
    hits = np.zeros((50, 1))
    hits[:10] = hits[-10:] = 1
    boot = noise.block_bootstrap(hits, 12, 4000, np.random.default_rng(0))
    assert np.mean(boot) == pytest.approx(0.4, abs=0.01)


def test_block_bootstrap_rejects_a_block_it_cannot_draw():
    with pytest.raises(ValueError, match="block length 31 must be between 1 and the 30 origins"):
        noise.block_bootstrap(np.ones((30, 2)), 31, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"non-empty \(origins, steps\)"):
        noise.block_bootstrap(np.ones(30), 3, 10, np.random.default_rng(0))


def test_block_length_is_a_horizon_of_overlapping_origins_else_the_block_passed():
    assert noise.block_length(12, 1) == 12 and noise.block_length(11, 1) == 11
    assert noise.block_length(12, 5) == 3
    assert noise.block_length(12, 1, daily_block=7) == 12  # overlap decides, not the caller
    assert noise.block_length(24, 24, noise.DAILY_BLOCK) == noise.DAILY_BLOCK == 7
    # Origins that do not overlap get no block by default: a weekly series (stride 7 days,
    # horizon 7) must not silently take seven of its origins, seven weeks.
    with pytest.raises(ValueError, match="origins 7 values apart do not overlap a horizon of 7"):
        noise.block_length(7, 7)


def test_only_origins_a_day_apart_take_the_daily_block():
    def series(freq: str, horizon: int) -> SimpleNamespace:
        return SimpleNamespace(freq=freq, horizon=horizon)

    assert noise.series_block(series("hour", 24), 24) == noise.DAILY_BLOCK  # Seattle
    assert noise.series_block(series("month", 12), 1) == 12  # CO₂ and the employment series
    assert noise.series_block(series("year", 11), 1) == 11  # sunspots
    with pytest.raises(ValueError, match="do not overlap"):
        noise.series_block(series("hour", 24), 24 * 7)  # weekly origins of an hourly series
    with pytest.raises(ValueError, match="do not overlap"):
        noise.series_block(series("month", 12), 12)  # yearly origins of a monthly series


def test_the_longer_block_keeps_at_least_three_blocks_per_resample():
    assert noise.other_blocks(12, 73) == [1, 24]  # CO₂: twice the block fits
    assert noise.other_blocks(12, 46) == [1, 15]  # employment: capped at a third of 46
    assert noise.other_blocks(11, 30) == [1]  # sunspots: a third (10) is not longer
    assert noise.other_blocks(7, 61) == [1, 14]
    assert noise.other_blocks(1, 61) == [2]
    # Why the cap: a block as long as the series makes every resample the series rotated.
    rows = bernoulli((46, 12))
    assert se(rows, 46) < 1e-12 < se(rows, 15)


def test_lag1_autocorrelation_is_of_neighbouring_origins_coverage():
    runs = np.repeat([[1.0], [0.0]] * 10, 5, axis=0)  # runs of 5 alike origins
    alternating = np.array([[1.0, 1.0], [0.0, 0.0]] * 20)
    # ±0.5 about the mean: 80 of the 99 neighbouring pairs alike, 19 switches.
    assert noise.lag1_autocorrelation(runs) == pytest.approx((80 - 19) / 99)
    assert noise.lag1_autocorrelation(alternating) == pytest.approx(-1)
    assert np.isnan(noise.lag1_autocorrelation(np.ones((10, 3))))


def test_the_chance_inside_centres_on_eighty_percent_and_counts_the_printed_value():
    # Centred on 0.80: 0.80, 0.849 and 0.8504 (prints 0.850) are inside; 0.8506 (0.851) and
    # 0.7494 (0.749) are not.
    assert noise.chance_inside(np.array([0.80, 0.849, 0.8504, 0.8506, 0.7494]), 0.80) == 0.6
    # A series observed at 0.95 is moved down by 0.15 first: 0.95 → 0.80, 1.0 → 0.85.
    assert noise.chance_inside(np.array([0.95, 1.0, 1.01, 0.89]), 0.95) == 0.5


def test_the_count_distribution_is_the_sum_over_which_series_land_inside():
    chances = [0.9, 0.5, 0.2]
    dist = noise.count_distribution(chances)
    brute = np.zeros(4)
    for hits in np.ndindex(2, 2, 2):
        brute[sum(hits)] += np.prod([p if h else 1 - p for p, h in zip(chances, hits, strict=True)])
    np.testing.assert_allclose(dist, brute)
    assert dist[-1] == pytest.approx(np.prod(chances))


def matrices() -> dict[str, noise.Hits]:
    return {
        "a": noise.Hits(bernoulli((40, 12)), 12, 1),
        "b": noise.Hits(bernoulli((30, 24), seed=3), 7, 24),
    }


def test_the_measurement_is_reproducible_from_its_seed():
    one, two, other = (noise.measure(matrices(), 300, seed) for seed in (0, 0, 1))
    assert one == two
    assert one["series"]["a"]["se"] != other["series"]["a"]["se"]
    a = one["series"]["a"]
    assert a["coverage"] == float(np.mean(matrices()["a"][0]))
    assert set(a["se_by_block"]) == {"1", "12", "13"} and a["se_by_block"]["12"] == a["se"]
    assert set(one["series"]["b"]["se_by_block"]) == {"1", "7", "10"}  # a third of 30
    assert one["series"]["b"]["stride"] == 24
    assert one["all_inside_chance"] == pytest.approx(
        one["series"]["a"]["chance_inside"] * one["series"]["b"]["chance_inside"]
    )


# ------------------------------------------------------------------ how far to trust the spread


@pytest.mark.parametrize("model", noise.SIM_MODELS)
def test_synthetic_intervals_are_exactly_calibrated(model):
    hits = noise.synthetic_hits(model, noise.Shape(60, 12, 1, 12), 400, np.random.default_rng(0))
    assert hits.shape == (400, 60, 12)
    assert np.mean(hits) == pytest.approx(noise.LEVEL, abs=0.01)
    alike = np.nanmean(noise.lag1_autocorrelation(hits))
    assert (alike > 0.2) == (model != "independent")


def test_the_bootstrap_spread_is_right_only_with_many_blocks_that_hold_the_dependence():
    def ratio(model: str, block: int, origins: int = 400) -> float:
        shape = noise.Shape(origins, 12, 1, block)
        (run,) = [r for r in noise.simulate([shape], 300, 200)["runs"] if r["model"] == model]
        return run["se_ratio"]

    assert ratio("independent", 1) == pytest.approx(1, abs=0.12)
    assert ratio("latent AR(1)", 1) < 0.8  # blocks of one origin miss the spells
    assert 0.85 < ratio("latent AR(1)", 40) < 1.05  # most of a spell inside each block
    assert ratio("latent AR(1)", 12, origins=46) < 0.8  # the employment series' shape


def test_the_simulation_skips_overlapping_horizons_where_forecasts_do_not_overlap():
    result = noise.simulate([noise.Shape(20, 6, 6, 3), noise.Shape(20, 6, 1, 6)], 20, 20)
    models = [(r["stride"], r["model"]) for r in result["runs"]]
    assert models == [(6, "independent"), (6, "latent AR(1)"), (1, "independent"),
                      (1, "latent AR(1)"), (1, "overlapping horizons")]  # fmt: skip
    assert result["phi"] == noise.SIM_PHI and result["series"] == 20
    with pytest.raises(ValueError, match="unknown model 'ar2'"):
        noise.synthetic_hits("ar2", noise.Shape(20, 6, 1, 6), 2, np.random.default_rng(0))


def test_the_committed_simulation_covers_every_shape_on_the_page():
    results = json.loads(NOISE_RESULTS.read_text("utf-8"))
    shapes = {
        (s["origins"], s["steps"], s["stride"], s["block"]) for s in results["series"].values()
    }
    runs = results["simulation"]["runs"]
    assert {(r["origins"], r["steps"], r["stride"], r["block"]) for r in runs} == shapes
    # The reviewer's finding, as measured: the bootstrap's spread is too narrow on every shape.
    assert all(r["se_ratio"] < 1 for r in runs)


# ------------------------------------------------------------------ the card's coverage


def test_indicators_must_give_the_cards_coverage():
    log = json.loads((MODELS / "ts-forecaster" / "metrics.json").read_text("utf-8"))
    published = noise.published_coverage(log)
    assert len(published) == 14 and list(published)[-1] == "electricity"
    assert published["co2"] == log["forecaster"]["co2"]["coverage80"]
    assert "electricity" not in noise.published_coverage({**log, "electricity": None})
    # A matrix of 73 origins × 12 steps with as many hits as the card's CO₂ coverage says.
    hits = round(published["co2"] * 73 * 12)
    rows = {n: noise.Hits(np.full((1, 1), c), 1, 1) for n, c in published.items()}
    rows["co2"] = noise.Hits((np.arange(73 * 12) < hits).reshape(73, 12), 12, 1)
    noise.check_published(rows, log)
    rows["co2"] = noise.Hits((np.arange(73 * 12) < hits - 1).reshape(73, 12), 12, 1)
    with pytest.raises(noise.CoverageMismatchError, match="co2: indicators give coverage"):
        noise.check_published(rows, log)
    with pytest.raises(noise.CoverageMismatchError, match="series differ"):
        noise.check_published({"co2": rows["co2"]}, log)


# ------------------------------------------------------------------ the page


def test_the_page_table_reads_the_committed_results():
    results = json.loads(NOISE_RESULTS.read_text("utf-8"))
    table = coverage_noise_table(MODELS).splitlines()
    assert len(table) == 2 + 14 == 2 + len(results["series"])
    co2 = results["series"]["co2"]
    low, high = co2["interval90"]
    assert "| block (origins) |" in table[0]
    assert "| 90% bootstrap interval of the coverage |" in table[0]
    assert table[2] == (
        f"| CO₂ | {co2['origins']} | 12 | {co2['coverage']:.3f} | {co2['se']:.3f} | "
        f"{low:.3f}–{high:.3f} | {co2['chance_inside']:.0%} |"
    )
    assert table[-1].startswith("| electricity | 61 | 7 |")
    assert coverage_noise_fact(MODELS, "series") == "14"
    assert coverage_noise_fact(MODELS, "all-inside") == f"{results['all_inside_chance']:.1%}"
    assert coverage_noise_fact(MODELS, "blocks.min") == "3"  # 30 sunspot origins, blocks of 11
    dependent = [
        r["se_ratio"] for r in results["simulation"]["runs"] if r["model"] != "independent"
    ]
    assert coverage_noise_fact(MODELS, "simulated.dependent.max") == f"{max(dependent):.2f}"
    assert coverage_noise_fact(MODELS, "distinguishable.series") == "Construction"
    assert results["replicates"] == noise.REPLICATES and results["seed"] == noise.SEED
    with pytest.raises(PageDataError, match="one of"):
        coverage_noise_fact(MODELS, "nonsense")
    page = (MODELS.parent / "docs" / "applications" / "time-series.md").read_text("utf-8")
    assert "<!-- data:ts-forecaster:table.coverage-noise -->" in page
    assert "(#how-much-of-a-miss-is-chance)" in page  # the targets' intervals item links it


def copied_model(root: Path) -> Path:
    folder = root / "ts-forecaster"
    folder.mkdir()
    for name in ("metrics.json", "forecaster.onnx", "ts-forecaster.pt"):
        shutil.copyfile(MODELS / "ts-forecaster" / name, folder / name)
    return folder


@pytest.mark.parametrize("changed", ["forecaster.onnx", "ts-forecaster.pt"])
def test_the_page_refuses_results_measured_on_other_weights(tmp_path, changed):
    folder = copied_model(tmp_path)
    assert coverage_noise_table(tmp_path) == coverage_noise_table(MODELS)
    (folder / changed).write_bytes((folder / changed).read_bytes() + b"\0")  # a retrain
    command = r"python -m rnn_site\.experiments\.ts_coverage_noise --json"
    for build in (lambda: coverage_noise_table(tmp_path),
                  lambda: coverage_noise_fact(tmp_path, "series")):  # fmt: skip
        with pytest.raises(PageDataError, match=command):
            build()


BUILDS = {
    "table": coverage_noise_table,
    "fact": lambda models: coverage_noise_fact(models, "all-inside"),
}


@pytest.mark.parametrize("build", BUILDS)
def test_the_page_refuses_results_whose_coverage_is_not_the_cards(tmp_path, build):
    folder = copied_model(tmp_path)
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    log["forecaster"]["sunspots"]["coverage80"] += 1e-9  # a rescore with other figures
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    with pytest.raises(PageDataError, match="not the card's test coverage80"):
        BUILDS[build](tmp_path)


@pytest.mark.parametrize("build", BUILDS)
def test_the_page_refuses_results_of_other_series_than_the_cards(tmp_path, build):
    folder = copied_model(tmp_path)
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    del log["held_out"]["CEU4244100001"]  # a card that reports one series fewer
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    with pytest.raises(PageDataError, match=r"series differ from the card's: .*CEU4244100001"):
        BUILDS[build](tmp_path)


def results_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes) -> None:
    """The committed results with ``changes`` at the top level, read by the page instead."""
    results = json.loads(NOISE_RESULTS.read_text("utf-8")) | changes
    path = tmp_path / NOISE_RESULTS.name
    path.write_text(json.dumps(results), "utf-8")
    monkeypatch.setattr(site, "NOISE_RESULTS", path)


def test_a_chance_too_small_to_print_is_not_printed_as_zero(tmp_path, monkeypatch):
    assert site._percent(0.0004, 1) == "<0.1%" and site._percent(0.0012, 1) == "0.1%"
    assert site._percent(0.9996, 1) == ">99.9%" and site._percent(1.0, 1) == "100.0%"
    assert site._percent(0.004) == "<1%" and site._percent(0.996) == ">99%"
    assert site._percent(0.0) == "0%" and site._percent(0.147) == "15%"
    results_with(tmp_path, monkeypatch, all_inside_chance=0.0004, chance_at_most_observed=0.001)
    assert coverage_noise_fact(MODELS, "all-inside") == "<0.1%"
    assert coverage_noise_fact(MODELS, "at-most-observed") == "<1%"


def test_the_sentence_on_one_distinguishable_series_refuses_other_counts(tmp_path, monkeypatch):
    results = json.loads(NOISE_RESULTS.read_text("utf-8"))
    for row in results["series"].values():
        row["level_in_interval90"] = True
    results_with(tmp_path, monkeypatch, series=results["series"])
    assert coverage_noise_fact(MODELS, "distinguishable") == "none"
    with pytest.raises(PageDataError, match=r"leaves out 0\.80, but 0 do: rewrite"):
        coverage_noise_fact(MODELS, "distinguishable.series")


def test_the_site_build_reads_the_results_without_torch():
    run_without(
        ["torch", "onnxruntime"],
        "from pathlib import Path\n"
        "from rnn_site.sitebuild.ts_calibration_data import coverage_noise_fact\n"
        "assert coverage_noise_fact(Path('models'), 'series') == '14'\n",
    )
