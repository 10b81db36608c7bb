"""Benchmark the text-generation demo in headless Chromium: characters per second, and the time
from page load to the first generated character (model download, WASM compile, session creation
and prompt included).

    python -m rnn_site.bench.browser                 # builds the site into a temp dir first
    python -m rnn_site.bench.browser --site site/    # an existing build

Also home of the pieces the browser tests share with it: the local site server and the
Chromium launch settings (Debian's Chromium, never a Playwright-downloaded browser).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEMO_PAGE = "applications/text-generation/"

# Offline and quiet: no Google services, no QUIC probes, no GPU (headless servers have none).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """The Chromium binary to drive: $RNN_SITE_CHROMIUM, else Debian's /usr/bin/chromium."""
    return os.environ.get("RNN_SITE_CHROMIUM", "/usr/bin/chromium")


# Browsers refuse module scripts and streaming WASM compilation with the wrong types, and
# Python's mimetypes table does not know .mjs everywhere.
_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".onnx": "application/octet-stream",
    ".svg": "image/svg+xml",
}


class _SiteHandler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return _TYPES.get(Path(path).suffix.lower()) or super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test and benchmark output readable


class SiteServer:
    """Serve a built site on 127.0.0.1 at a free port; `with SiteServer(dir) as url:`.

    A subclass may set ``handler`` to serve differently (`rnn_site.bench.first_visit` gzips).
    """

    handler: type[SimpleHTTPRequestHandler] = _SiteHandler

    def __init__(self, site_dir: Path) -> None:
        handler = functools.partial(self.handler, directory=str(site_dir))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


#: States in which a demo waits for the reader (StatusArea in docs/assets/demos/ui.js).
SETTLED = ["ready", "done", "idle", "example", "error", "waiting", "stopped"]


def wait_settled(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until every demo on the page waits for the reader: loaded, answered or failed."""
    page.wait_for_function(
        "(settled) => Array.from(document.querySelectorAll('[data-demo]'))"
        ".every((d) => settled.includes(d.dataset.state))",
        arg=SETTLED,
        timeout=timeout_ms,
    )


def set_range(page: Any, selector: str, value: float) -> None:
    """Move a range input to ``value`` as a reader's drag would (it takes no typing): set it and
    send the ``input`` event the demo listens to."""
    page.eval_on_selector(
        selector,
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
        str(value),
    )


def fill_demo(
    page: Any, *, prompt: str, length: int, temperature: float, top_k: int = 0, seed: int = 42
) -> None:
    """Set the demo's form as a reader would (the range input has no typing, so set and notify)."""
    page.fill("#text-generation-prompt", prompt)
    page.fill("#text-generation-length", str(length))
    page.fill("#text-generation-top-k", str(top_k))
    page.fill("#text-generation-seed", str(seed))
    set_range(page, "#text-generation-temperature", temperature)


def wait_finished(page: Any, timeout_ms: float = 120_000) -> str:
    """Wait until the demo is done, stopped or failed; returns that state."""
    page.wait_for_function(
        "['done', 'stopped', 'error']"
        ".includes(document.querySelector('[data-demo]').dataset.state)",
        timeout=timeout_ms,
    )
    return str(page.eval_on_selector("[data-demo]", "el => el.dataset.state"))


# Records, in the page's clock, when the first generated character appears.
_WATCH_FIRST_CHAR = """() => {
  const target = document.querySelector('[data-role=generated]');
  window.__firstChar = null;
  new MutationObserver((_, observer) => {
    if (target.textContent.length > 0 && window.__firstChar === null) {
      window.__firstChar = performance.now();
      observer.disconnect();
    }
  }).observe(target, { childList: true, characterData: true, subtree: true });
}"""


def measure_once(browser: Any, url: str, chars: int) -> dict[str, float]:
    """One cold visit (fresh profile: nothing cached) then a second run on the warm page."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(url + DEMO_PAGE, wait_until="load")
        page.wait_for_selector("#text-generation-prompt")
        fill_demo(page, prompt="ROMEO:\n", length=chars, temperature=0.8)
        page.evaluate(_WATCH_FIRST_CHAR)
        load_end = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        page.click("button[type=submit]")
        if wait_finished(page) != "done":
            raise RuntimeError(page.inner_text("[data-role=alert]"))
        first_cold = page.evaluate("window.__firstChar") - load_end
        cps_cold = float(page.eval_on_selector("[data-demo]", "el => el.dataset.charsPerSecond"))

        page.evaluate(_WATCH_FIRST_CHAR)
        start = page.evaluate("performance.now()")
        page.click("button[type=submit]")
        wait_finished(page)
        first_warm = page.evaluate("window.__firstChar") - start
        cps_warm = float(page.eval_on_selector("[data-demo]", "el => el.dataset.charsPerSecond"))
        return {
            "first_char_after_load_ms": first_cold,
            "first_char_warm_ms": first_warm,
            "chars_per_second_first_run": cps_cold,
            "chars_per_second": cps_warm,
        }
    finally:
        context.close()


def run(site_dir: Path, *, chars: int = 2000, repeats: int = 3) -> dict[str, float]:
    """Median figures over `repeats` cold visits; printed and returned."""
    from playwright.sync_api import sync_playwright

    with SiteServer(site_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            runs = [measure_once(browser, url, chars) for _ in range(repeats)]
        finally:
            browser.close()
    result = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result["chars"] = chars
    result["cpu_count"] = os.cpu_count() or 0
    return result


@contextmanager
def _site(site: str | None) -> Iterator[Path]:
    if site:
        yield Path(site)
        return
    with tempfile.TemporaryDirectory(prefix="rnn-site-bench-") as tmp:
        print("building the site (mkdocs build --strict)…", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", tmp],
            cwd=ROOT,
            check=True,
        )
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", help="an already built site directory (default: build one)")
    parser.add_argument("--chars", type=int, default=2000, help="characters per generation")
    parser.add_argument("--repeats", type=int, default=3, help="cold visits; medians reported")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not Path(chromium_path()).exists():
        parser.error(f"Chromium not found at {chromium_path()}; set RNN_SITE_CHROMIUM")
    with _site(args.site) as site_dir:
        result = run(site_dir, chars=args.chars, repeats=args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"browser text generation ({args.repeats} cold visits, medians, "
            f"{result['cpu_count']} CPU cores, headless Chromium, 1 WASM thread):"
        )
        print(
            f"  characters per second:             {result['chars_per_second']:8.0f}"
            f"   (goal ≥ 2000; the first run after load: "
            f"{result['chars_per_second_first_run']:.0f}, while WASM code warms up)"
        )
        print(
            f"  page load → first character, cold: {result['first_char_after_load_ms']:8.0f} ms"
            "  (goal < 1000; downloads, compiles and opens the model)"
        )
        print(f"  Generate → first character, warm:  {result['first_char_warm_ms']:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
