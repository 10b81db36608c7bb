"""Build-time numbers of "Train one on your own text" (`applications/own-text.md`).

The page's placeholders ``<!-- data:own-text:NAME -->`` are replaced from the committed
measurements of `rnn_site.experiments.own_text` (bits per character against text size, the
step budget and time estimate for a 1 MB text) and from the rules of
`rnn_site.data.user_text` (minimum length, vocabulary size, the unknown symbol), so no number on
the page is typed by hand. Each NAME is a generator of the one page-data hook
(`rnn_site.sitebuild.page_data`), registered below from :func:`values`. Torch-free: the site
build needs neither torch nor the corpus.

See the page: applications/own-text.md
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnn_site.data import user_text
from rnn_site.sitebuild.page_data import generator, read_json

RESULTS_PATH = Path(__file__).resolve().parents[1] / "experiments" / "results" / "own_text.json"


def results_table(results: dict[str, Any]) -> str:
    """Markdown: one row per measured text and size, LSTM against the n-gram baseline."""
    rows = results.get("rows", [])
    if not rows:
        return "_Not measured yet: run `python -m rnn_site.experiments.own_text`._"
    lines = [
        "| Text | Characters | Recipe | Steps | LSTM bits/char (test) "
        "| Best n-gram bits/char (test) | Wall time |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["genre"], r["characters"], r["preset"])):
        better = r["lstm_test_bpc"] < r["ngram_test_bpc"]
        lstm = f"**{r['lstm_test_bpc']:.2f}**" if better else f"{r['lstm_test_bpc']:.2f}"
        recipe = "--quick" if r["preset"] == "quick" else "default"
        lines.append(
            f"| {r['text']} | {r['characters']:,} | `{recipe}` "
            f"| {r['steps']:,} | {lstm} | {r['ngram_test_bpc']:.2f} ({r['ngram']}) "
            f"| {r['wall_time_s'] / 60:.1f} min |"
        )
    machines = sorted({r["machine"] for r in rows})
    per_step = [r["seconds_per_step"] for r in rows]
    lines += [
        "",
        f"Measured on {'; '.join(machines)}, seed {rows[0]['seed']}: "
        f"{min(per_step):.2f}–{max(per_step):.2f} s per step here, against "
        f"{results.get('reference_seconds_per_step', 0):.3f} s for the published model on 2 idle "
        "cores, so these wall times are upper bounds. Bold: the LSTM beats the n-gram model.",
    ]
    return "\n".join(lines)


def values(results: dict[str, Any]) -> dict[str, str]:
    """Every placeholder's text."""
    plans = results.get("plan_1mb", {})
    out = {
        "table.results": results_table(results),
        "min-chars": f"{user_text.MIN_CHARS:,}",
        "max-vocab": f"{user_text.MAX_VOCAB:,}",
        "min-count": str(user_text.MIN_COUNT),
        "unknown": f"`{user_text.UNKNOWN}` (U+{ord(user_text.UNKNOWN):04X})",
        "held-out": f"{user_text.HELD_OUT:.0%}",
    }
    for preset in ("default", "quick"):
        plan = plans.get(preset, {})
        out[f"steps-{preset}"] = f"{plan.get('steps', 0):,}"
        out[f"minutes-{preset}"] = f"{plan.get('minutes', 0):.0f}"
    return out


def load_results(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """The committed measurements; none yet is an empty table, not an error."""
    return read_json(path) if path.exists() else {"rows": []}


def _register(key: str) -> None:
    @generator("own-text", key)
    def value_on_page(models_dir: Path) -> str:
        return values(load_results())[key]


for _key in values({"rows": []}):
    _register(_key)
