"""Build-time content of chapter 5 (`next.md`): the comparison table and the benchmark figure.

Both come from cached JSON (`rnn_site/experiments/results/`), written by
`python -m rnn_site.experiments.cell_comparison` and `python -m rnn_site.bench.scan`; the build
only reads and draws them (no torch). The page holds a placeholder for the table and an <img>
for the figure, which `write_next_figure` draws into the built site.

See the page: next.md#measured-side-by-side
"""

from __future__ import annotations

import io
from pathlib import Path

from rnn_site.experiments import cell_comparison

#: Where the table goes in docs/next.md.
TABLE_PLACEHOLDER = "<!-- next:cell-comparison -->"
#: The figure's place in the built site (docs/next.md links to it).
FIGURE_PATH = Path("assets/figures/scan-benchmark.svg")


def render_next(markdown: str) -> str:
    """Replace chapter 5's table placeholder with the cached results; other pages pass."""
    if TABLE_PLACEHOLDER not in markdown:
        return markdown
    try:
        table = cell_comparison.markdown_table(cell_comparison.load_results())
    except FileNotFoundError as exc:
        table = f'!!! warning "No cached results"\n    {exc}\n'
    return markdown.replace(TABLE_PLACEHOLDER, table)


def write_next_figure(site_dir: Path) -> Path | None:
    """Draw the benchmark figure as SVG into the site; None (no file) without a cached run."""
    if not cell_comparison.BENCHMARK_PATH.is_file():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = cell_comparison.benchmark_figure(cell_comparison.load_benchmark())
    buffer = io.StringIO()
    # No date in the metadata: the same JSON always draws the same file.
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    target = Path(site_dir) / FIGURE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target
