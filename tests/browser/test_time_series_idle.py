"""The music and time-series demos fetch onnxruntime-web and their graph when the page is idle.

Idle means after the page's own load event (ui.js ``whenIdle``), without a click or a scroll;
with the browser's data saver on, nothing heavy is fetched until the reader asks. Order, not
time, is asserted: the page's own clock says which came first.
"""

from __future__ import annotations

from typing import Any

import pytest
from demo_helpers import wait_state

pytestmark = pytest.mark.browser

#: Demo page, its root, and its graph file.
CASES = {
    "music": ("applications/music/", "models/melody/step.onnx"),
    "time-series": ("applications/time-series/", "models/ts-forecaster/forecaster.onnx"),
}

#: When the page's load event began, and when each heavy file's request started (ms, page clock).
_ORDER = """(graph) => {
  const load = performance.getEntriesByType("navigation")[0].loadEventStart;
  const start = (part) => performance.getEntriesByType("resource")
      .filter((e) => e.name.includes(part)).map((e) => e.startTime);
  return { load, graph: start(graph), wasm: start("ort-wasm-simd-threaded") };
}"""

_SAVE_DATA = "Object.defineProperty(navigator, 'connection', { value: { saveData: true } });"


@pytest.mark.parametrize("demo", list(CASES))
def test_runtime_and_graph_load_after_the_page_without_a_click(page, site_url, demo):
    path, graph = CASES[demo]
    with page.expect_request(f"**/{graph}", timeout=60_000):
        page.goto(site_url + path)
    page.wait_for_function(
        "(g) => performance.getEntriesByType('resource').some((e) => e.name.includes(g))"
        " && performance.getEntriesByType('navigation')[0].loadEventStart > 0",
        arg=graph,
    )
    order: dict[str, Any] = page.evaluate(_ORDER, graph)
    assert order["load"] > 0 and len(order["graph"]) == 1, order
    assert order["graph"][0] >= order["load"], order  # not before the page itself has loaded
    assert all(t >= order["load"] for t in order["wasm"]), order


def test_time_series_with_data_saver_waits_for_the_reader(page, site_url, page_log):
    root = "[data-demo=time-series]"
    page.add_init_script(_SAVE_DATA)
    page.goto(site_url + CASES["time-series"][0])
    assert wait_state(page, root, ("waiting", "ready", "error")) == "waiting"
    assert "Data saver is on" in page.inner_text(f"{root} [role=status]")
    assert not [u for u in page_log.requests if u.endswith(".onnx") or u.endswith(".wasm")]
    # The reader's first move downloads the model and draws the forecast.
    page.focus("#time-series-origin")
    page.keyboard.press("ArrowRight")
    assert wait_state(page, root, ("ready", "error")) == "ready"
    assert page.get_attribute(root, "data-forecast")
    assert [u for u in page_log.requests if u.endswith("forecaster.onnx")]
    assert page_log.page_errors == []
