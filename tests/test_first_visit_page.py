"""The Models page's first-visit table comes from the benchmark's JSON, goals beside each time."""

from __future__ import annotations

import json
from pathlib import Path

from rnn_site.sitebuild.models_page import FIRST_VISIT, render_first_visit

RESULT = {
    "date": "2026-12-05",
    "machine": "x86_64, 2 CPU cores, no GPU",
    "load_average_1min": 3.0,
    "server": "local, gzip",
    "slow_link": "9 Mbit/s",
    "repeats": 1,
    "goals_s": {"cold_fast": 1.0, "warm_fast": 0.3, "cold_9mbps": 8.0},
    "pages": {
        "applications/sentiment/": {"requests": 27, "bytes": 17_653_488, "gzip_bytes": 5_857_538}
    },
    "demos": {
        "sentiment": {
            "page": "applications/sentiment/",
            "cold_fast_s": 0.8,
            "warm_fast_s": 0.45,
            "cold_9mbps_s": 7.5,
            "warm_9mbps_s": 0.5,
        }
    },
}


def test_table_shows_measured_values_and_marks_each_goal(tmp_path: Path) -> None:
    path = tmp_path / "first_visit.json"
    path.write_text(json.dumps(RESULT), "utf-8")
    md = render_first_visit(path)
    row = next(line for line in md.splitlines() if line.startswith("| sentiment |"))
    assert "0.80 s ✓" in row  # under 1.0 s cold
    assert "0.45 s ✗" in row  # not under 0.3 s warm
    assert "7.50 s ✓" in row
    assert "| `applications/sentiment/` | 27 | 17.7 | 5.9 |" in md
    assert "load average 3.0" in md


def test_missing_result_says_how_to_measure(tmp_path: Path) -> None:
    assert "rnn_site.bench.first_visit" in render_first_visit(tmp_path / "none.json")


def test_committed_result_has_every_figure_the_page_shows() -> None:
    if not FIRST_VISIT.is_file():
        return  # before the first run; the page says so
    data = json.loads(FIRST_VISIT.read_text("utf-8"))
    assert data["pages"], "no page measured"
    measured = [row for row in data["demos"].values() if "error" not in row]
    assert measured, "no demo measured"
    for row in measured:
        for key in ("cold_fast_s", "warm_fast_s", "cold_9mbps_s", "warm_9mbps_s"):
            assert row[key] > 0
    render_first_visit(FIRST_VISIT)
