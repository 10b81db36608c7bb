"""The precision benchmark's emulated CPUs without bfloat16 units (oneDNN capped at an older
instruction set in a subprocess), and the page's table and placeholders built from them. The
page once said such a CPU "gains nothing, and may be slower" without measuring it."""

from __future__ import annotations

import json
import platform

import pytest

from rnn_site.sitebuild import precision_data
from rnn_site.sitebuild.page_data import PageDataError, render_data
from rnn_site.sitebuild.precision_data import emulated_table, load_benchmark, precision_table

#: A finished run's figures: one network ran in both precisions, one's bf16 step failed.
EMULATED = {
    "AVX512_CORE": {
        "networks": {"char-lm": {"batch": "32 x 64", "fp32_ms": 400.4, "bf16_ms": 1201.2,
                                 "ratio": 3.0}},
        "load_average": [2.5, 2.4, 2.3, 2.6, 2.5, 2.4],
        "measured": "2026-12-06",
    },
    "AVX2": {
        "networks": {"char-lm": {"batch": "32 x 64", "fp32_ms": 420.0,
                                 "bf16_error": "RuntimeError: could not create it. Run again"}},
        "load_average": [2.7, 2.4, 2.3, 2.6, 2.5, 2.4],
        "measured": "2026-12-06",
    },
}  # fmt: skip


def with_figures(tmp_path, monkeypatch, emulated: dict | None) -> None:
    """The committed figures with ``emulated`` (None: without it) as the page's source."""
    data = {k: v for k, v in load_benchmark().items() if k != "emulated"}
    if emulated is not None:
        data["emulated"] = emulated
    path = tmp_path / "precision_benchmark.json"
    path.write_text(json.dumps(data), "utf-8")
    monkeypatch.setattr(precision_data, "RESULTS_PATH", path)


def test_the_table_shows_each_emulated_row_its_times_or_its_error():
    table = emulated_table({"emulated": EMULATED})
    assert (
        "| AVX-512 without AVX512-BF16 and AMX (`AVX512_CORE`) | char-lm | 400 | 1201 | 3.00 |"
        in table
    )
    assert (
        "| AVX2, no AVX-512 (`AVX2`) | char-lm | 420 | "
        "fails: `RuntimeError: could not create it` | — |" in table
    )
    assert "load average 2.5, 2.7 before each" in table
    assert emulated_table({}) == ""  # figures measured with --no-emulate


def test_the_placeholders_read_the_emulated_figures(tmp_path, monkeypatch):
    with_figures(tmp_path, monkeypatch, EMULATED)
    assert render_data("<!-- data:precision:emulated.ratio:AVX512_CORE/char-lm -->") == "3.0"
    assert (
        render_data("<!-- data:precision:emulated.error:AVX2/char-lm -->")
        == "`RuntimeError: could not create it`"
    )
    assert render_data("<!-- data:precision:table.benchmark -->").endswith(
        "The same cores with fewer instructions are not another CPU."
    )


@pytest.mark.parametrize(
    ("placeholder", "message"),
    [
        ("emulated.ratio:AVX2/char-lm", "a step failed there, no ratio"),
        ("emulated.error:AVX512_CORE/char-lm", r"the bf16 step ran there \(1201 ms\)"),
        ("emulated.ratio:AVX2/speech", "the benchmark has AVX512_CORE/char-lm, AVX2/char-lm"),
    ],
)
def test_prose_that_the_figures_contradict_stops_the_build(
    placeholder, message, tmp_path, monkeypatch
):
    with_figures(tmp_path, monkeypatch, EMULATED)
    with pytest.raises(PageDataError, match=message):
        render_data(f"<!-- data:precision:{placeholder} -->")


def test_figures_without_an_emulated_run_say_how_to_measure_one(tmp_path, monkeypatch):
    with_figures(tmp_path, monkeypatch, None)
    sentence = render_data("took <!-- data:precision:emulated.ratio:AVX512_CORE/char-lm -->")
    assert sentence == (
        "took **(no benchmark yet of an emulated CPU in precision_benchmark.json: run "
        "`python -m rnn_site.bench.precision`)**"
    )


def test_the_committed_figures_show_the_emulated_cpus_on_the_page():
    data = load_benchmark()
    assert set(data["emulated"]) == {"AVX512_CORE", "AVX2"}
    table = render_data("<!-- data:precision:table.benchmark -->")
    assert table == precision_table(data) and emulated_table(data) in table
    ratios = [n["ratio"] for run in data["emulated"].values() for n in run["networks"].values()
              if "ratio" in n]  # fmt: skip
    assert len(ratios) == 3 and min(ratios) > 2  # the page: "several times slower"
    slower = data["emulated"]["AVX512_CORE"]["networks"]["char-lm"]
    assert render_data("<!-- data:precision:emulated.ratio:AVX512_CORE/char-lm -->") == (
        f"{slower['ratio']:.1f}"
    )


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 instruction sets")
def test_the_emulated_run_records_a_failed_bf16_step_instead_of_crashing():
    """A real subprocess capped at AVX2 (one round, ~10 s): oneDNN has no bfloat16 LSTM
    there, so char-lm's bf16 step fails and the figures say why; float32 runs."""
    from rnn_site.bench.precision import emulated

    run = emulated("AVX2", ["char-lm"], rounds=1, warmup=1, threads=1)
    char = run["networks"]["char-lm"]
    assert char["fp32_ms"] > 0 and "bf16_ms" not in char and "ratio" not in char
    assert char["bf16_error"].startswith(
        "RuntimeError: could not create a primitive descriptor for the LSTM forward"
    )
    assert len(run["load_average"]) == 6


def test_the_benchmark_times_bf16_where_the_loop_refuses_it(monkeypatch):
    """On a CPU without bfloat16 units the loop refuses bf16, and that cost is what the
    benchmark measures: its run is built in float32, then its steps compute in bf16 (a
    rounding away from float32's loss on the same weights and batch)."""
    from rnn_site.bench import precision
    from rnn_site.train import loop
    from rnn_site.train.char_lm import tiny_recipe

    monkeypatch.setattr(loop, "bf16_units", lambda: [])
    net = precision.char_lm_network(tiny_recipe(), vocab_size=20)
    with pytest.raises(loop.PrecisionUnavailableError):
        loop.Run(net.model, net.loss_fn, dict, loop.TrainConfig(precision="bf16"), None, None, "")
    losses = {}
    for name in ("fp32", "bf16"):
        run = precision.loop_run(net, name, threads=1)
        run.optimise(net.batch)
        assert run.config.precision == name and run.step == 1
        losses[name] = run.running_loss
    assert losses["bf16"] != losses["fp32"]
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.01)
