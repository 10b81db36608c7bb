"""Build-time data for the interactive figures of chapters 1 and 3, computed by the package.

The figures on `rnn.md` and `training.md` draw numbers, they do not compute them: the tiny RNN's
steps come from `rnn_site.experiments.unrolling` (which runs `rnn_site.scratch.rnn_step`), the
gradient-flow curves from `rnn_site.experiments.gradient_flow` (the scratch backward steps), and
the long-range results are the cached JSON that `python -m rnn_site.experiments.long_range`
wrote. NumPy only and about a second of work, so it runs on every build; it never imports torch.

The lead's MkDocs hook calls `write_chapter_data(site_dir)` after the build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rnn_site.experiments import gradient_flow, long_range, unrolling

#: Where the scripts in docs/assets/interactive/ look for their data (relative to the site).
DATA_DIR = Path("assets/interactive/data")
SCHEMA = 1


def gradient_flow_data() -> dict[str, Any]:
    """Every (cell, length, scale) curve the explorer can show, plus the axis choices.

    See the page: training.md#gradient-flow
    """
    flows = gradient_flow.sweep()
    return {
        "schema": SCHEMA,
        "cells": [
            {"id": c, "label": gradient_flow.CELL_LABELS[c]} for c in gradient_flow.CELL_KINDS
        ],
        "times": sorted({f.time for f in flows}),
        "scales": sorted({f.scale for f in flows}),
        "max_norm": flows[0].max_norm,
        "curves": [f.to_dict() for f in flows],
    }


def write_chapter_data(site_dir: Path) -> None:
    """Write unrolling.json, gradient-flow.json and long-range.json under the built site.

    A missing long-range cache is not an error here (the page says how to create it); the two
    computed files are always written.

    See the page: training.md#gradient-flow
    """
    out = Path(site_dir) / DATA_DIR
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {
        "unrolling.json": unrolling.unrolling_data(),
        "gradient-flow.json": gradient_flow_data(),
    }
    if long_range.RESULTS_PATH.is_file():
        files["long-range.json"] = long_range.load_results()
    for name, data in files.items():
        (out / name).write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
