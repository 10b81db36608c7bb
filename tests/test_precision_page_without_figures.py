"""The training page's precision placeholders without the benchmark's figures (a fresh
checkout that deleted them, or figures of another schema): the table and the ratios in the
prose both say how to measure them, and the build goes on. The ratios once raised instead."""

from __future__ import annotations

import json

import pytest

from rnn_site.sitebuild import precision_data
from rnn_site.sitebuild.page_data import render_data

RERUN = "run `python -m rnn_site.bench.precision`"


@pytest.mark.parametrize("state", ["missing", "other schema"])
def test_table_and_ratio_both_say_how_to_measure(state, tmp_path, monkeypatch):
    figures = tmp_path / "precision_benchmark.json"
    if state == "other schema":
        figures.write_text(json.dumps({"schema": precision_data.SCHEMA + 1}), "utf-8")
    monkeypatch.setattr(precision_data, "RESULTS_PATH", figures)
    table = render_data("<!-- data:precision:table.benchmark -->")
    sentence = render_data("A step took <!-- data:precision:ratio:char-lm -->.")
    assert table.startswith('!!! warning "No benchmark yet"\n    precision_benchmark.json ')
    assert table.endswith(f"{RERUN}\n")
    assert sentence.startswith("A step took **(no benchmark yet: precision_benchmark.json ")
    assert sentence.endswith(f"{RERUN})**.")
    detail = "is missing" if state == "missing" else f"has schema {precision_data.SCHEMA + 1}"
    assert detail in table and detail in sentence
