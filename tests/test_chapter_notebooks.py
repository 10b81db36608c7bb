"""The chapter notebooks run top to bottom and draw their figures; the built pages carry them.

Each notebook is executed from its jupytext source with nbclient, in the repository root as the
site build does, so a notebook that only works on the author's machine fails here first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "docs" / "notebooks"
#: Notebook -> how many figures (image/png outputs) it must produce.
FIGURES = {"rnn-step-by-step": 1, "gradient-flow": 2, "long-range": 1}


def _execute(name: str) -> object:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    notebook = jupytext.read(NOTEBOOKS / f"{name}.py")
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


@pytest.mark.parametrize(("name", "figures"), sorted(FIGURES.items()))
def test_notebook_runs_and_draws_its_figures(name: str, figures: int) -> None:
    notebook = _execute(name)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == figures, f"{name}: expected {figures} figures, got {len(pngs)}"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_built_notebook_page_has_outputs_and_a_download(built_site: Path, name: str) -> None:
    page = built_site / "notebooks" / name / "index.html"
    if not page.is_file():
        pytest.fail(f"{name} was not built: is it in mkdocs.yml's nav?")
    body = page.read_text(encoding="utf-8")
    assert f'href="{name}.ipynb"' in body
    assert (built_site / "notebooks" / name / f"{name}.ipynb").is_file()
    assert body.count("data:image/png;base64") >= FIGURES[name]
