"""A chart's numbers as an HTML table under a closed disclosure, for pages built in Python.

The same markup as the demos' `dataTable` (docs/assets/demos/ui.js), so it looks and reads the
same: colours, bar heights and `title` tooltips reach no screen reader, the table does.
"""

from __future__ import annotations

import html


def data_table(summary: str, headers: list[str], rows: list[list[str]]) -> str:
    """HTML: `rows` of plain-text cells (escaped here) under `headers`, in a closed <details>.

    The scrolling box is a focusable, named region, so a keyboard reader can scroll it too.
    """
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    label = html.escape(summary, quote=True)
    return (
        f'<details class="rnn-data" data-role="data-table"><summary>{label}</summary>'
        f'<div class="rnn-data-scroll" tabindex="0" role="region" aria-label="{label}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
    )
