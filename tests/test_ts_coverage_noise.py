"""How far a series' test coverage strays by chance (rnn_site.experiments.ts_coverage_noise) and
the page's table of it."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from shipped import MODELS

from rnn_site.experiments import ts_coverage_noise as noise
from rnn_site.sitebuild.page_data import PageDataError
from rnn_site.sitebuild.ts_calibration_data import (
    NOISE_RESULTS,
    coverage_noise_fact,
    coverage_noise_table,
)
from rnn_site.sitebuild.ts_calibration_data import test_coverage as card_coverage


def bernoulli(shape: tuple[int, int], seed: int = 1, p: float = 0.8) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < p


def se(inside: np.ndarray, block: int, seed: int = 0) -> float:
    boot = noise.block_bootstrap(inside, block, 2000, np.random.default_rng(seed))
    return float(np.std(boot, ddof=1))


def test_independent_origins_give_the_binomial_standard_error():
    n = 4000
    inside = bernoulli((n, 1))
    expected = math.sqrt(0.16 / n)
    assert se(inside, 1) == pytest.approx(expected, rel=0.1)
    assert se(inside, 10) == pytest.approx(expected, rel=0.15)  # blocks change nothing here


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
    inside = np.zeros((50, 1))
    inside[:10] = inside[-10:] = 1
    boot = noise.block_bootstrap(inside, 12, 4000, np.random.default_rng(0))
    assert np.mean(boot) == pytest.approx(0.4, abs=0.01)


def test_block_bootstrap_rejects_a_block_it_cannot_draw():
    with pytest.raises(ValueError, match="block length 31 must be between 1 and the 30 origins"):
        noise.block_bootstrap(np.ones((30, 2)), 31, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"non-empty \(origins, steps\)"):
        noise.block_bootstrap(np.ones(30), 3, 10, np.random.default_rng(0))


def test_block_length_is_a_horizon_of_overlapping_origins_else_a_week():
    assert noise.block_length(12, 1) == 12 and noise.block_length(11, 1) == 11
    assert noise.block_length(12, 5) == 3
    assert noise.block_length(24, 24) == noise.block_length(48, 48) == noise.DAILY_BLOCK == 7


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


def matrices() -> dict[str, tuple[np.ndarray, int]]:
    return {"a": (bernoulli((40, 12)), 12), "b": (bernoulli((30, 24), seed=3), 7)}


def test_the_measurement_is_reproducible_from_its_seed():
    one, two, other = (noise.measure(matrices(), 300, seed) for seed in (0, 0, 1))
    assert one == two
    assert one["series"]["a"]["se"] != other["series"]["a"]["se"]
    a = one["series"]["a"]
    assert a["coverage"] == float(np.mean(matrices()["a"][0]))
    assert set(a["se_by_block"]) == {"1", "12", "24"} and a["se_by_block"]["12"] == a["se"]
    assert one["all_inside_chance"] == pytest.approx(
        one["series"]["a"]["chance_inside"] * one["series"]["b"]["chance_inside"]
    )


def test_indicators_must_give_the_cards_coverage():
    log = json.loads((MODELS / "ts-forecaster" / "metrics.json").read_text("utf-8"))
    published = noise.published_coverage(log)
    assert len(published) == 14 and published == card_coverage(log)
    # A matrix of 73 origins × 12 steps with as many hits as the card's CO₂ coverage says.
    hits = round(published["co2"] * 73 * 12)
    rows = {n: (np.full((1, 1), c), 1) for n, c in published.items()}
    rows["co2"] = ((np.arange(73 * 12) < hits).reshape(73, 12), 12)
    noise.check_published(rows, log)
    rows["co2"] = ((np.arange(73 * 12) < hits - 1).reshape(73, 12), 12)
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
    assert table[2] == (
        f"| CO₂ | {co2['origins']} | {co2['coverage']:.3f} | {co2['se']:.3f} | "
        f"{low:.3f}–{high:.3f} | {co2['chance_inside']:.0%} |"
    )
    assert table[-1].startswith("| electricity | 61 |")
    assert coverage_noise_fact(MODELS, "series") == "14"
    assert coverage_noise_fact(MODELS, "all-inside") == f"{results['all_inside_chance']:.1%}"
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


def test_the_page_refuses_results_whose_coverage_is_not_the_cards(tmp_path):
    folder = copied_model(tmp_path)
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    log["forecaster"]["sunspots"]["coverage80"] += 1e-9  # a rescore with other figures
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    with pytest.raises(PageDataError, match="not the card's test coverage80"):
        coverage_noise_table(tmp_path)
