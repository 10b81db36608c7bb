"""Every chart's text alternative: the plotted numbers in a data table under a disclosure.

Screen readers skip colours, bar heights and `title` tooltips, so each chart on the text
generation page (the demo's hidden-state view and the build-time unit strips), the LSTM
explorer's gate and state bars and chapter 3's gradient-flow plot carries a table of the very
numbers it draws. These tests compare the table with what is drawn and with the data it came from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rnn_site.bench.browser import DEMO_PAGE
from rnn_site.experiments import char_lm_units

pytestmark = pytest.mark.browser

SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def number(text: str) -> float:
    """A number as the figures write it: "0.462", "-0.848", or "1.2 × 10⁻⁶"."""
    mantissa, _, exponent = text.partition(" × 10")
    return float(mantissa) * 10 ** int(exponent.translate(SUPERSCRIPT) or 0)


def table_rows(table: Any) -> list[list[str]]:
    """A data table's body as text, row by row (the disclosure need not be open)."""
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )


def test_gradient_flow_table_holds_the_plotted_norms(site_url, page, page_log, built_site: Path):
    data = json.loads(
        (built_site / "assets/interactive/data/gradient-flow.json").read_text("utf-8")
    )
    page.goto(site_url + "training/")
    root = page.locator('[data-interactive="gradient-flow"][data-ready]')
    root.wait_for()
    table = root.locator("details[data-role=data-table]")
    assert table.count() == 1
    headers = table.locator("th").all_text_contents()
    assert headers[0] == "Steps back, T − t"
    assert [h.split(" ‖")[0] for h in headers[1:]] == [c["label"] for c in data["cells"]]

    def curves(clipped: bool) -> list[list[float]]:
        by_key = {(c["cell"], c["time"], c["scale"]): c for c in data["curves"]}
        chosen = [by_key[(cell["id"], 50, 1.0)] for cell in data["cells"]]
        return [[v * (c["clip_factor"] if clipped else 1) for v in c["dh_norm"]] for c in chosen]

    for clipped in (False, True):
        if clipped:
            table.locator("summary").click()  # opened by the reader: it stays open on redraw
            root.locator("[data-role=clip]").check()
            table = root.locator("details[data-role=data-table]")
            assert table.get_attribute("open") is not None
            assert "clipped" in table.locator("summary").inner_text()
        rows = table_rows(table)
        expected = curves(clipped)
        assert len(rows) == 50 and [r[0] for r in rows[:3]] == ["0", "1", "2"]
        for k in (0, 1, 49):
            for column, values in enumerate(expected, start=1):
                assert number(rows[k][column]) == pytest.approx(values[k], rel=0.03, abs=5e-4)
    # The plot is drawn from the same numbers: the chosen (RNN) curve's first point is the
    # table's first value, the highest of that curve on a log axis, so its y is the smallest.
    path = root.locator("path.ri-chosen").get_attribute("d")
    ys = [float(y) for y in re.findall(r"[ML] [\d.]+ ([\d.]+)", path)]
    first_rnn = [number(r[1]) for r in table_rows(table)]
    assert ys.index(min(ys)) == first_rnn.index(max(first_rnn))
    assert page_log.page_errors == []


def test_lstm_explorer_panels_tabulate_their_bars(site_url, page, page_log):
    page.goto(site_url + "architecture/")
    demo = "[data-demo=lstm-explorer]"
    panel = page.locator(f"{demo} [data-role=unit-panel]").first
    panel.wait_for()
    text = page.eval_on_selector(demo, "el => el.lstmExplorer.text")
    table = panel.locator("details[data-role=data-table]")
    headers = table.locator("th").all_text_contents()
    assert headers == ["Step", "Character", "i", "f", "g", "o", "c", "h"]
    rows = table_rows(table)
    assert len(rows) == len(text)
    visible = {"\n": "↵", " ": "␣", "\t": "⇥"}
    assert [r[1] for r in rows] == [visible.get(ch, ch) for ch in text]

    def shown() -> list[str]:
        return panel.locator(".rnn-lstm-value").all_text_contents()

    # Step 1 is on show: the values beside the bars are the table's first row.
    assert page.eval_on_selector(demo, "el => el.dataset.step") == "0"
    assert rows[0][0] == "1" and rows[0][2:] == shown()
    page.locator("[data-role=explorer-view]").focus()
    page.keyboard.press("End")
    assert rows[-1][2:] == shown()
    # The bars follow the same numbers: i, f, o lie in [0, 1] and g, h in [-1, 1].
    for row in rows:
        i, f, g, o, _, h = map(float, row[2:])
        assert all(0 <= v <= 1 for v in (i, f, o)) and -1 <= g <= 1 and -1 <= h <= 1
    assert page_log.page_errors == []


def test_hidden_state_view_tabulates_the_coloured_text(site_url, page, page_log):
    page.goto(site_url + DEMO_PAGE)
    spans = page.locator("[data-role=states-text] span")
    spans.first.wait_for()
    section = page.locator("[data-demo=text-generation] .rnn-states")
    table = section.locator("details[data-role=data-table]")

    def check() -> list[list[str]]:
        rows = table_rows(table)
        drawn = spans.evaluate_all(
            "els => els.map(e => [e.title.split(': ').pop(), e.style.backgroundColor])"
        )
        assert len(rows) == len(drawn) > 0
        for row, (value, colour) in zip(rows, drawn, strict=True):
            assert row[2] == value
            # Blue below zero, red above: the colour drawn has the table value's sign.
            # (Full colour, alpha 1, reads back as rgb(…).)
            if float(value) < 0:
                assert re.match(r"rgba?\(33, 102, 172", colour), colour
            elif float(value) > 0:
                assert re.match(r"rgba?\(202, 0, 32", colour), colour
        return rows

    assert table.locator("th").all_text_contents() == ["Step", "Character", "h[0]"]
    before = check()
    page.locator("[data-role=ranking] button").nth(1).click()
    unit = page.input_value("#text-generation-states-unit")
    assert table.locator("th").nth(2).text_content() == f"h[{unit}]"
    assert check() != before
    assert page_log.page_errors == []


def test_unit_strips_on_the_page_have_tables_of_the_experiments_values(site_url, page):
    results = char_lm_units.load_results()
    page.goto(site_url + DEMO_PAGE)
    figures = page.locator(".tg-units figure.tg-unit")
    assert figures.count() >= 1
    for n in range(figures.count()):
        figure = figures.nth(n)
        feature = figure.get_attribute("data-feature")
        best = next(f for f in results["features"] if f["name"] == feature)["units"][0]
        rows = table_rows(figure.locator("details[data-role=data-table]"))
        assert [r[2] for r in rows] == [f"{v:+.3f}" for v in best["excerpt"]]
        titles = figure.locator(".tg-strip span").evaluate_all("els => els.map(e => e.title)")
        assert titles == [r[2] for r in rows]
