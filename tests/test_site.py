"""The strict build produces every page in the nav, and included code is the package's code."""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# A tag that makes the browser fetch a resource by itself, with an absolute http(s) URL.
EXTERNAL_LOAD = re.compile(
    r'<(script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"', re.I
)
EMPTY_SRC_SCRIPT = re.compile(r'<script\b[^>]*\bsrc=""', re.I)
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^":]+):(?P<section>[\w-]+)"$', re.M)


def nav_pages(nav: list) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages.extend(nav_pages(value))
        else:
            pages.append(value)
    return pages


def output_path(src: str) -> str:
    """Where MkDocs writes a page with directory URLs: a.md → a/index.html."""
    stem = src.rsplit(".", 1)[0]
    return f"{stem}.html" if stem == "index" or stem.endswith("/index") else f"{stem}/index.html"


def page_text(path: Path) -> str:
    """The visible text of a built page, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def snippet_section(path: str, section: str) -> list[str]:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    start = lines.index(next(x for x in lines if f"--8<-- [start:{section}]" in x))
    end = lines.index(next(x for x in lines if f"--8<-- [end:{section}]" in x))
    return [line.strip() for line in lines[start + 1 : end] if line.strip()]


NAV = nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])


def test_nav_covers_the_course() -> None:
    for page in ["index.md", "rnn.md", "architecture.md", "training.md", "models.md", "next.md"]:
        assert page in NAV
    # The overview, six applications and "Train one on your own text".
    assert sum(p.startswith("applications/") for p in NAV) == 8
    assert any(p.startswith("notebooks/") for p in NAV), "at least one executed notebook"


@pytest.mark.parametrize("src", NAV)
def test_every_nav_page_is_built_with_its_heading(built_site: Path, src: str) -> None:
    built = built_site / output_path(src)
    assert built.is_file(), f"{src} was not built to {built}"
    body = built.read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>", body), f"{src} has no heading"


def included_snippets() -> list[tuple[str, str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for match in SNIPPET.finditer(page.read_text(encoding="utf-8")):
            found.append((str(page.relative_to(DOCS)), match["path"], match["section"]))
    return found


def test_architecture_includes_the_scratch_lstm() -> None:
    assert ("architecture.md", "rnn_site/scratch/lstm.py", "lstm_step") in included_snippets()


@pytest.mark.parametrize(("page", "path", "section"), included_snippets())
def test_included_code_matches_the_package(
    built_site: Path, page: str, path: str, section: str
) -> None:
    text = page_text(built_site / output_path(page))
    lines = snippet_section(path, section)
    assert lines, f"section {section} of {path} is empty"
    for line in lines:
        assert line in text, f"{page}: line from {path}:{section} missing from the page: {line!r}"


def test_notebook_is_executed_and_downloadable(built_site: Path) -> None:
    page = built_site / "notebooks" / "gradient-check" / "index.html"
    body = page.read_text(encoding="utf-8")
    assert 'href="gradient-check.ipynb"' in body
    notebook = built_site / "notebooks" / "gradient-check" / "gradient-check.ipynb"
    assert notebook.is_file()
    # Executed at build: the page carries cell outputs, not only the source.
    assert "jp-OutputArea" in body or "output_area" in body


def test_math_and_vendor_assets_are_self_hosted(built_site: Path) -> None:
    assert (built_site / "assets/vendor/katex/katex.min.js").is_file()
    assert list((built_site / "assets/vendor/katex/fonts").glob("*.woff2"))
    for page in built_site.rglob("*.html"):
        body = page.read_text(encoding="utf-8")
        # Links readers may follow (<a href>) are fine; resources a page loads by itself are not.
        external = EXTERNAL_LOAD.findall(body)
        assert not external, f"{page.relative_to(built_site)} loads {external} from another host"
        assert not EMPTY_SRC_SCRIPT.search(body), f"{page.relative_to(built_site)}: empty <script>"


def test_the_external_load_scan_sees_every_tag_not_only_the_first_mention() -> None:
    url = "https://cdn.example.org/x.js"
    body = f'<a href="{url}">x</a><script src="{url}"></script><link rel="icon" href="{url}">'
    assert EXTERNAL_LOAD.findall(body) == [("script", url), ("link", url)]


def test_notebook_pages_lose_the_empty_mathjax_script() -> None:
    from rnn_site.sitebuild.hooks import on_post_page

    page = SimpleNamespace(file=SimpleNamespace(src_uri="notebooks/demo.py"), url="notebooks/demo/")
    body = '<head><script src=""> </script><script src="/x.js"></script></head>'
    assert on_post_page(body, page, {}) == '<head><script src="/x.js"></script></head>'


def test_docstring_page_references_link_to_the_chapter(built_site: Path) -> None:
    """API pages turn "See the page: architecture.md#lstm" into a working link."""
    body = (built_site / "api" / "scratch" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../../architecture/#lstm">architecture.md#lstm</a>' in body
    assert (
        (built_site / "architecture" / "index.html").read_text(encoding="utf-8").count('id="lstm"')
    )
