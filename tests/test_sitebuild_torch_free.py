"""The whole site build runs without torch: its data comes from numpy and onnxruntime only.

A reader who builds the site (or CI's docs job) should not need the training stack. The build's
own work, everything `on_post_build` and `on_page_markdown` do except copying node_modules, runs
here in a fresh interpreter in which torch, onnx, statsmodels and music21 cannot be imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("torch", "onnx", "statsmodels", "music21")

BUILD = """
import json, sys
from pathlib import Path

for name in {blocked!r}:
    sys.modules[name] = None  # `import name` now raises ImportError

from rnn_site.sitebuild import hooks

site = Path(sys.argv[1])
hooks.on_pre_build({{}})
hooks.write_chapter_data(site)
hooks.write_demo_data(site, hooks.MODELS_DIR)
pages = {{}}
for source in sorted((hooks.ROOT / "docs").rglob("*.md")):
    # on_page_markdown is page_data.render_data: every generator (tables, the Models page).
    markdown = source.read_text(encoding="utf-8")
    pages[source.relative_to(hooks.ROOT / "docs").as_posix()] = hooks.on_page_markdown(
        markdown, None, {{}}, None
    )
loaded = sorted(m for m in {blocked!r} if sys.modules.get(m) is not None)
print(json.dumps({{"pages": pages, "loaded": loaded}}))
"""


def test_site_build_work_needs_no_torch(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-c", BUILD.format(blocked=BLOCKED), str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["loaded"] == []
    written = [p for p in site.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in written), "no chapter or demo data was written"
    assert all(p.stat().st_size > 0 for p in written)
    models_page = out["pages"]["models.md"]
    assert "<!-- data:" not in models_page
    for card in sorted(ROOT.glob("models/*/card.json")):
        assert json.loads(card.read_text())["name"] in models_page
