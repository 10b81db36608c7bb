"""One way to put a model's number on a page: ``<!-- data:MODEL:SOURCE.PATH:FORMAT -->``.

``MODEL`` is a folder under ``models/``; ``SOURCE`` is ``card`` (its card.json) or ``metrics``
(its training log, metrics.json); ``PATH`` is the dotted path to the value inside that file
(keys may hold dashes, as model names do); ``FORMAT`` is an optional Python format spec
(``.3f``, ``.1%``, ``,``). For example
``<!-- data:sentiment:card.metrics.sentiment.test_accuracy:.3f -->``.

The hook calls :func:`render_data` on every page, so a number on a page always comes from the
files the export wrote; a path that does not exist fails the (strict) build, naming the
placeholder, rather than printing a gap.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
SOURCES = {"card": "card.json", "metrics": "metrics.json"}

PLACEHOLDER = re.compile(
    r"<!-- data:(?P<model>[a-z0-9-]+):(?P<source>card|metrics)\.(?P<path>[A-Za-z0-9_.-]+)"
    r"(?::(?P<format>[^ ]*))? -->"
)


class PageDataError(KeyError):
    """A placeholder names a model, file or value that does not exist."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def _parse(path: Path, mtime_ns: int) -> Any:
    return json.loads(path.read_text("utf-8"))


def _read(models_dir: Path, model: str, source: str) -> Any:
    """The parsed file, parsed once per version (``mkdocs serve`` rebuilds after a re-export)."""
    path = models_dir / model / SOURCES[source]
    return _parse(path, path.stat().st_mtime_ns)


def lookup(model: str, source: str, path: str, models_dir: Path = MODELS_DIR) -> Any:
    """The value at dotted ``path`` of ``models_dir/model``'s card or training log.

    Keys are matched greedily, longest first, so a key with a dot-free dash (``char-lm``) or a
    path segment that is a list index (``history.0``) both work.
    """
    try:
        value = _read(Path(models_dir), model, source)
    except FileNotFoundError:
        raise PageDataError(f"no {SOURCES[source]} for model {model!r} in {models_dir}") from None
    parts = path.split(".")
    while parts:
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if isinstance(value, dict) and key in value:
                value, parts = value[key], parts[n:]
                break
            if isinstance(value, list) and n == 1 and key.isdigit() and int(key) < len(value):
                value, parts = value[int(key)], parts[1:]
                break
        else:
            raise PageDataError(
                f"{model}/{SOURCES[source]} has no {path!r} (stuck at {parts[0]!r})"
            )
    return value


def render_data(markdown: str, models_dir: Path = MODELS_DIR) -> str:
    """Replace every ``<!-- data:... -->`` placeholder of a page with its formatted value."""

    def replace(match: re.Match[str]) -> str:
        value = lookup(match["model"], match["source"], match["path"], models_dir)
        try:
            return format(value, match["format"] or "")
        except (TypeError, ValueError) as exc:
            raise PageDataError(f"{match[0]}: cannot format {value!r}: {exc}") from None

    return PLACEHOLDER.sub(replace, markdown)
