"""MkDocs hooks: everything the site needs beyond Markdown, done at build time.

- every ``<!-- data:NAME:KEY -->`` placeholder of a page becomes its value, table or figure
  through one function, `rnn_site.sitebuild.page_data.render_data` (the Models page's list of
  models among them);
- ``models/`` is copied into the site so demos and readers download the same verified files;
  files that are generated rather than committed (the electricity days, GPL-3 data) are
  written first from the installed data package;
- KaTeX and onnxruntime-web are copied from ``node_modules`` (no page requests another host);
- the data behind the interactive figures and the demos' precomputed examples is computed by the
  package (numpy + onnxruntime, never torch);
- each executed notebook also gets a downloadable ``.ipynb`` next to its page.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

from rnn_site.data.electricity import write_missing_days
from rnn_site.sitebuild.chapter_data import write_chapter_data
from rnn_site.sitebuild.demo_data import write_demo_data
from rnn_site.sitebuild.next_data import write_next_figure
from rnn_site.sitebuild.page_data import render_data
from rnn_site.sitebuild.text_generation_data import write_sampling_data
from rnn_site.sitebuild.vendor import copy_vendor

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
NOTEBOOK_GLOB = "notebooks/*.py"

log = logging.getLogger("mkdocs.hooks.rnn_site")

# mkdocs-jupyter's template always emits a MathJax loader; with no `custom_mathjax_url` set
# (mkdocs-jupyter 0.26) it is an empty `<script src=""> </script>`. Our pages render math with the
# self-hosted KaTeX, so the useless tag is removed from every notebook page.
_EMPTY_SRC_SCRIPT = re.compile(r'<script\b[^>]*\bsrc=""[^>]*>\s*</script>', re.I)


_ARTICLE_OPEN = '<article class="md-content__inner md-typeset">'


def _is_notebook(page: Any) -> bool:
    return Path(page.file.src_uri).match(NOTEBOOK_GLOB)


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """Rebuild when a model or the package changes, not only when a page does."""
    server.watch(str(MODELS_DIR))
    server.watch(str(ROOT / "rnn_site"))
    return server


def on_pre_build(config: Any) -> None:
    """Models' files that are generated, not committed, exist before any page reads models/."""
    write_missing_days(MODELS_DIR)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Every data placeholder of the page, resolved by the one page-data mechanism."""
    return render_data(markdown, MODELS_DIR)


def on_post_page(output: str, page: Any, config: Any) -> str:
    output = link_page_references(output, page.url)
    if _is_notebook(page):
        output = _EMPTY_SRC_SCRIPT.sub("", output)
        name = Path(page.file.src_uri).stem
        # mkdocs-jupyter renders notebooks without Markdown, so the download note goes into HTML.
        banner = (
            '<div class="admonition tip notebook-download"><p class="admonition-title">'
            f'Run it yourself</p><p>Download <a href="{name}.ipynb" download>{name}.ipynb</a> '
            "and run it with the <code>rnn_site</code> package installed. This page was executed "
            "on the latest build of the site.</p></div>"
        )
        output = output.replace(_ARTICLE_OPEN, _ARTICLE_OPEN + banner, 1)
    return output


# Docstrings end with "See the page: training.md#initialisation" (plain text, so they read well
# in a terminal too); in the API reference that paragraph becomes a link to the chapter.
_PAGE_REFERENCE = re.compile(r"<p>See the page: ([\w/-]+)\.md(#[\w-]+)?</p>")


def link_page_references(html: str, page_url: str) -> str:
    """Turn docstrings' "See the page: x.md#anchor" paragraphs into links relative to the page."""
    up = "../" * page_url.count("/")

    def link(match: re.Match[str]) -> str:
        target = match[1]
        url = target[: -len("index")] if target.endswith("index") else f"{target}/"
        label = f"{target}.md{match[2] or ''}"
        return f'<p>See the page: <a href="{up}{url}{match[2] or ""}">{label}</a></p>'

    return _PAGE_REFERENCE.sub(link, html)


def on_post_build(config: Any) -> None:
    site_dir = Path(config["site_dir"])
    docs_dir = Path(config["docs_dir"])
    copy_vendor(site_dir)
    write_chapter_data(site_dir)
    write_next_figure(site_dir)
    _copy_models(site_dir / "models")
    write_demo_data(site_dir, MODELS_DIR)
    write_sampling_data(site_dir, MODELS_DIR)
    _write_notebooks(docs_dir, site_dir)


def _copy_models(dest: Path) -> None:
    """Serve models/ from the site, without caches or editor leftovers."""
    if not MODELS_DIR.is_dir():
        return
    shutil.copytree(
        MODELS_DIR, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.tmp", ".*")
    )


def _write_notebooks(docs_dir: Path, site_dir: Path) -> None:
    """Turn each jupytext ``.py`` notebook into the ``.ipynb`` its page links to."""
    import jupytext

    for source in sorted(docs_dir.glob(NOTEBOOK_GLOB)):
        notebook = jupytext.read(source)
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        target = site_dir / "notebooks" / source.stem / f"{source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, target, fmt="ipynb")
