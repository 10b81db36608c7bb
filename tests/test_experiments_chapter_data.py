"""The build-time data for chapters 1 and 3: written where the scripts look, without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rnn_site.sitebuild.chapter_data import DATA_DIR, write_chapter_data

ROOT = Path(__file__).resolve().parents[1]


def test_writes_the_three_files_the_figures_read(tmp_path: Path) -> None:
    write_chapter_data(tmp_path)
    out = tmp_path / DATA_DIR
    unrolling = json.loads((out / "unrolling.json").read_text())
    flow = json.loads((out / "gradient-flow.json").read_text())
    long_range = json.loads((out / "long-range.json").read_text())
    assert unrolling["runs"][0]["text"] == "hello"
    assert {c["id"] for c in flow["cells"]} == {"rnn", "lstm", "lstm-fb1", "gru"}
    assert len(flow["curves"]) == len(flow["cells"]) * len(flow["times"]) * len(flow["scales"])
    for curve in flow["curves"]:
        assert len(curve["dh_norm"]) == curve["time"]
        assert all(v >= 0 for v in curve["dh_norm"])
    assert long_range["runs"]
    # The scripts fetch these relative to themselves: docs/assets/interactive/ -> ./data/.
    for script in ("unrolling.js", "gradient-flow.js"):
        assert (ROOT / "docs/assets/interactive" / script).is_file()
    assert Path("assets/interactive/data") == DATA_DIR


def test_build_time_data_does_not_need_torch() -> None:
    code = (
        "import sys, tempfile, pathlib\n"
        "from rnn_site.sitebuild.chapter_data import write_chapter_data\n"
        "write_chapter_data(pathlib.Path(tempfile.mkdtemp()))\n"
        "assert 'torch' not in sys.modules, 'chapter data imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
