"""Benchmark a reader's first visit in headless Chromium: bytes per page, and the time from
navigation to each demo's first result, cold (empty caches) and warm (a second visit), on a fast
link and at 9 Mbit/s (Chrome DevTools' network throttling).

    python -m rnn_site.bench.first_visit                       # builds the site first
    python -m rnn_site.bench.first_visit --site site/   # an existing build

The site is served gzip-compressed, as static hosts (GitHub Pages, ReadTheDocs) serve it; bytes
are counted both as files and as gzip bytes on the wire. A demo's "first result" is what the
reader first sees from the model: for demos that answer on their own (sentiment, translation,
speech, time series) the first answer; for the others, the answer to pressing the main button
as soon as it can be pressed. The Models page shows the JSON this writes (sitebuild).

A benchmark, not a test: it prints figures and writes them; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import io
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from rnn_site.bench.browser import (
    CHROMIUM_ARGS,
    SiteServer,
    _site,
    _SiteHandler,
    chromium_path,
    wait_settled,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "rnn_site" / "experiments" / "results" / "first_visit.json"

#: 9 Mbit/s down, 40 ms round trip (Chrome DevTools' "Fast 4G"-like setting, but at 9 Mbit/s).
SLOW_LINK = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 9_000_000 / 8,
    "uploadThroughput": 3_000_000 / 8,
}

GOALS_S = {"cold_fast": 1.0, "warm_fast": 0.3, "cold_9mbps": 8.0}

#: The state that means "a result from the model is on screen"; "done" unless listed here
#: (sentiment, translation and speech are "ready" once loaded, then "done" with their answer).
_RESULT = {"time-series": "ready"}

#: Demos that need a press of their main button before they show a result from the model.
_PRESS = {"text-generation", "music", "compare-cells", "lstm-explorer"}
#: Demos left out of the timing: they are not a single model answer (the training lab trains).
_NOT_TIMED = {"training-lab"}


@functools.cache
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6, mtime=0) as f:
        f.write(path.read_bytes())
    return buffer.getvalue()


class _GzipHandler(_SiteHandler):
    """The test server's handler, compressing every response the browser accepts gzip for."""

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the redirect to the folder URL
            path = path / "index.html"
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file():
            return super().send_head()
        body = _gzipped(path, path.stat().st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        # Static hosts let browsers keep files a while; GitHub Pages sends max-age=600.
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return io.BytesIO(body)


class GzipSiteServer(SiteServer):
    """Serve a built site gzip-compressed on 127.0.0.1 at a free port."""

    handler = _GzipHandler


def site_pages(site: Path) -> list[str]:
    """URL paths of every page a reader reaches (not the 404 page)."""
    return [
        f.relative_to(site).as_posix().removesuffix("index.html")
        for f in sorted(site.rglob("index.html"))
        if not f.relative_to(site).as_posix().startswith("assets/")
    ]


class _InFlight:
    """Requests of a page and its workers still under way (Playwright's "networkidle" sees only
    the page's own, not the WASM and models a demo's worker fetches in the background)."""

    def __init__(self, page: Any) -> None:
        self.open: set[Any] = set()
        page.on("request", lambda r: self.open.add(r))
        page.on("requestfinished", lambda r: self.open.discard(r))
        page.on("requestfailed", lambda r: self.open.discard(r))

    def wait_quiet(self, page: Any, quiet_s: float = 3.0, limit_s: float = 300.0) -> None:
        """Wait until nothing has been in flight for `quiet_s` (the page compiles WASM between
        downloads, so a short gap is not the end)."""
        quiet = waited = 0.0
        while quiet < quiet_s and waited < limit_s:
            page.wait_for_timeout(250)
            waited += 0.25
            quiet = quiet + 0.25 if not self.open else 0.0


def page_bytes(browser: Any, url: str, path: str, site: Path) -> dict[str, int]:
    """Bytes a first visit to `path` downloads, letting its demos load what they load unasked."""
    context = browser.new_context()
    page = context.new_page()
    files: dict[str, int] = {}
    wire: dict[str, int] = {}

    def on_response(response: Any) -> None:
        if not response.url.startswith(url) or response.status != 200:
            return
        rel = response.url[len(url) :].split("?")[0].split("#")[0]
        file = site / rel / "index.html" if rel == "" or rel.endswith("/") else site / rel
        if file.is_file():
            files[response.url] = file.stat().st_size
            wire[response.url] = len(_gzipped(file, file.stat().st_mtime_ns))

    page.on("response", on_response)
    inflight = _InFlight(page)
    try:
        page.goto(url + path, wait_until="load")
        wait_settled(page, 180_000)
        inflight.wait_quiet(page)
    finally:
        context.close()
    return {"requests": len(files), "bytes": sum(files.values()), "gzip_bytes": sum(wire.values())}


_FIRST_RESULT = """([demo, results]) => new Promise((resolve) => {
  const d = document.querySelector(`[data-demo=${demo}]`);
  const done = () => results.includes(d.dataset.state) && d.dataset.state !== 'pressed';
  if (done()) return resolve(performance.now());
  new MutationObserver((_, o) => { if (done()) { o.disconnect(); resolve(performance.now()); } })
    .observe(d, { attributes: true, attributeFilter: ['data-state'] });
})"""


def first_result_s(page: Any, url: str, path: str, demo: str) -> float:
    """Seconds from navigation start to the demo's first result (the page's own clock)."""
    page.goto(url + path, wait_until="commit")
    root = f"[data-demo={demo}]"
    page.wait_for_selector(root)
    result = _RESULT.get(demo, "done")
    if demo in _PRESS:
        button = f"{root} button.md-button--primary:not([disabled])"
        page.wait_for_selector(button, timeout=180_000)
        page.eval_on_selector(root, "d => { d.dataset.state = 'pressed'; }")
        page.click(button)
    ms = page.evaluate(_FIRST_RESULT, [demo, [result]])
    state = page.get_attribute(root, "data-state")
    if state != result:
        raise RuntimeError(f"{path}: the {demo} demo ended in {state!r}")
    return float(ms) / 1000


def demo_timings(browser: Any, url: str, path: str, demo: str, slow: bool) -> dict[str, float]:
    """Cold (fresh profile) then warm (same profile, second visit) navigation → first result."""
    context = browser.new_context()
    page = context.new_page()
    inflight = _InFlight(page)
    try:
        if slow:
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        cold = first_result_s(page, url, path, demo)
        inflight.wait_quiet(page)  # background downloads and cache writes finish, as while reading
        warm = first_result_s(page, url, path, demo)
    finally:
        context.close()
    return {"cold_s": round(cold, 3), "warm_s": round(warm, 3)}


def demos_of(site: Path, path: str) -> list[str]:
    import re

    html = (site / path / "index.html").read_text("utf-8")
    return [d for d in re.findall(r'data-demo="([a-z0-9-]+)"', html) if d not in _NOT_TIMED]


def run(site: Path, repeats: int = 1) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with GzipSiteServer(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            pages = {}
            for path in site_pages(site):
                pages[path or "/"] = page_bytes(browser, url, path, site)
                print(f"  bytes  /{path}: {pages[path or '/']}", file=sys.stderr)
            demos = {}
            for path in site_pages(site):
                for demo in demos_of(site, path):
                    row: dict[str, Any] = {"page": path}
                    try:
                        for slow, tag in ((False, "fast"), (True, "9mbps")):
                            runs = [
                                demo_timings(browser, url, path, demo, slow) for _ in range(repeats)
                            ]
                            row[f"cold_{tag}_s"] = statistics.median(r["cold_s"] for r in runs)
                            row[f"warm_{tag}_s"] = statistics.median(r["warm_s"] for r in runs)
                    except Exception as err:  # one broken demo must not lose the other figures
                        row["error"] = str(err).splitlines()[0][:200]
                    # A demo on several pages (text generation) is timed on each.
                    key = demo if demo not in demos else f"{demo} ({path})"
                    demos[key] = row
                    print(f"  timing {key}: {row}", file=sys.stderr)
        finally:
            browser.close()
    return {
        "what": "first visit: bytes per page, navigation → first demo result (headless Chromium)",
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU",
        # Shared machine: the 1-minute load average at the end says how busy it was meanwhile.
        "load_average_1min": round(os.getloadavg()[0], 1),
        "server": "local, gzip-compressed, Cache-Control max-age=600 (as static hosts serve)",
        "slow_link": "9 Mbit/s down, 3 up, 40 ms latency (CDP Network.emulateNetworkConditions)",
        "repeats": repeats,
        "goals_s": GOALS_S,
        "pages": pages,
        "demos": demos,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", help="an already built site directory (default: build one)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the JSON")
    parser.add_argument("--repeats", type=int, default=1, help="visits per figure; medians")
    args = parser.parse_args(argv)
    if not Path(chromium_path()).exists():
        parser.error(f"Chromium not found at {chromium_path()}; set RNN_SITE_CHROMIUM")
    with _site(args.site) as site_dir:
        result = run(Path(site_dir), repeats=args.repeats)
    out = Path(args.out)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    tmp.replace(out)
    print(f"wrote {out}")
    for demo, row in result["demos"].items():
        if "error" in row:
            print(f"  {demo:16} failed: {row['error']}")
            continue
        print(
            f"  {demo:16} cold {row['cold_fast_s']:6.2f} s  warm {row['warm_fast_s']:6.2f} s  "
            f"9 Mbit/s cold {row['cold_9mbps_s']:6.2f} s  warm {row['warm_9mbps_s']:6.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
