"""The one way data reaches a page: ``<!-- data:NAME:KEY[:SPEC] -->``, resolved at build time.

Two kinds of KEY, one syntax:

- ``card.PATH`` or ``metrics.PATH``: the value at dotted ``PATH`` of ``models/NAME/card.json``
  or of its training log ``models/NAME/metrics.json`` (keys may hold dashes, as model names
  do; a number is a list index). ``SPEC`` is an optional Python format spec (``.3f``, ``.1%``,
  ``,``). For example ``<!-- data:sentiment:card.metrics.sentiment.test_accuracy:.3f -->``.
- any other KEY names a *generator* registered for NAME with :func:`generator`: a function
  that writes a whole table, figure or derived number (a difference, a count, a sentence)
  from the same files or from an experiment's committed results. ``SPEC``, if the generator
  takes one, is its argument. For example ``<!-- data:speech:table.results -->`` or
  ``<!-- data:sentiment:table.examples:word_order.0.2.5 -->``. NAME is then the model, the
  application or the chapter the data is about.

The MkDocs hook calls :func:`render_data` on every page, so every number on a page comes from
the files the export, training or experiment wrote; a placeholder that names nothing fails the
(strict) build, naming the placeholder, rather than printing a gap. Generators live next to
the data they draw (``architecture_data``, ``text_generation_data``, …, listed in
:data:`GENERATOR_MODULES`) and are imported when a page first asks for one.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
SOURCES = {"card": "card.json", "metrics": "metrics.json"}

PLACEHOLDER = re.compile(
    r"<!-- data:(?P<name>[a-z0-9-]+):(?P<key>[A-Za-z0-9_.-]+)(?::(?P<spec>[^ ]*))? -->"
)

#: The modules that register generators; imported once, when a page names a generator.
GENERATOR_MODULES = (
    "rnn_site.sitebuild.architecture_data",
    "rnn_site.sitebuild.lab_data",
    "rnn_site.sitebuild.precision_data",
    "rnn_site.sitebuild.next_data",
    "rnn_site.sitebuild.text_generation_data",
    "rnn_site.sitebuild.own_text_data",
    "rnn_site.sitebuild.application_tables",
    "rnn_site.sitebuild.ts_calibration_data",
    "rnn_site.sitebuild.ts_demand_interval_data",
    "rnn_site.sitebuild.ts_candidate_data",
    "rnn_site.sitebuild.ts_held_out_why_data",
    "rnn_site.sitebuild.speech_data",
    "rnn_site.sitebuild.translation_data",
    "rnn_site.sitebuild.translator_try_data",
    "rnn_site.sitebuild.models_page",
    "rnn_site.sitebuild.recipes",
    "rnn_site.sitebuild.rerun_data",
)


class PageDataError(KeyError):
    """A placeholder names a model, file, value or generator that does not exist."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Generator:
    """What ``<!-- data:NAME:KEY -->`` becomes: ``write(models_dir)``, or
    ``write(models_dir, argument)`` when the placeholder passes one (``takes_argument``)."""

    write: Callable[..., str]
    takes_argument: bool


GENERATORS: dict[tuple[str, str], Generator] = {}


def generator(
    name: str, key: str, *, argument: bool = False
) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register the decorated function as the generator of ``<!-- data:NAME:KEY -->``.

    It receives the models folder (and, with ``argument=True``, the placeholder's SPEC) and
    returns Markdown. The function is returned unchanged, so tests can call it directly.
    """

    def register(write: Callable[..., str]) -> Callable[..., str]:
        if key.split(".", 1)[0] in SOURCES:
            raise ValueError(f"generator key {key!r} would shadow the {key.split('.')[0]} source")
        if (name, key) in GENERATORS:
            raise ValueError(f"two generators for data:{name}:{key}")
        GENERATORS[(name, key)] = Generator(write, argument)
        return write

    return register


@cache
def load_generators() -> dict[tuple[str, str], Generator]:
    """Every registered generator (importing the modules that register them, once)."""
    for module in GENERATOR_MODULES:
        importlib.import_module(module)
    return GENERATORS


@cache
def _parse(path: Path, mtime_ns: int) -> Any:
    return json.loads(path.read_text("utf-8"))


def read_json(path: Path) -> Any:
    """The parsed file, parsed once per version (``mkdocs serve`` rebuilds after a re-export).

    Generators read cards, logs and experiment results through it, so a page with forty
    placeholders parses each file once.
    """
    return _parse(path, path.stat().st_mtime_ns)


def results_file(path: Path, module: str) -> dict[str, Any]:
    """An experiment's committed results (`read_json`); PageDataError naming the command that
    writes them (``python -m MODULE --json PATH``) when the file is missing."""
    try:
        return dict(read_json(path))
    except FileNotFoundError:
        raise PageDataError(f"no {path}: write it with python -m {module} --json {path}") from None


def cpu_name(cpu: str | None) -> str:
    """A CPU as a page names it: the name a log or record gives, without trademark signs or a
    trailing "Processor" ("Intel(R) Xeon(R) Processor" → "Intel Xeon"); "not recorded" when
    it names none. Every generator that prints a CPU prints it through this."""
    if not cpu:
        return "not recorded"
    name = re.sub(r"\((R|TM)\)", "", cpu)
    return re.sub(r"\s+Processor$", "", " ".join(name.split()))


def model_file(model: str, source: str, models_dir: Path = MODELS_DIR) -> Any:
    """``models_dir/model``'s parsed card (``source="card"``) or training log (``"metrics"``)."""
    try:
        return read_json(Path(models_dir) / model / SOURCES[source])
    except FileNotFoundError:
        raise PageDataError(f"no {SOURCES[source]} for model {model!r} in {models_dir}") from None


def lookup(model: str, source: str, path: str, models_dir: Path = MODELS_DIR) -> Any:
    """The value at dotted ``path`` of ``models_dir/model``'s card or training log.

    Keys are matched greedily, longest first, so a key with a dot-free dash (``char-lm``) or a
    path segment that is a list index (``history.0``) both work.
    """
    value = model_file(model, source, models_dir)
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


def resolve(name: str, key: str, spec: str | None, models_dir: Path = MODELS_DIR) -> str:
    """The Markdown that ``<!-- data:NAME:KEY[:SPEC] -->`` stands for."""
    source, _, path = key.partition(".")
    if source in SOURCES and path:
        value = lookup(name, source, path, models_dir)
        try:
            return format(value, spec or "")
        except (TypeError, ValueError) as exc:
            raise PageDataError(f"data:{name}:{key}: cannot format {value!r}: {exc}") from None
    found = load_generators().get((name, key))
    if found is None:
        known = sorted(k for n, k in load_generators() if n == name)
        raise PageDataError(
            f"data:{name}:{key} is neither card.PATH, metrics.PATH nor a generator; "
            f"generators for {name!r}: {', '.join(known) or 'none'}"
        )
    if found.takes_argument != bool(spec):
        wanted = "needs an argument (NAME:KEY:ARGUMENT)" if found.takes_argument else "takes none"
        raise PageDataError(f"data:{name}:{key}: {wanted}")
    return found.write(Path(models_dir), spec) if spec else found.write(Path(models_dir))


def render_data(markdown: str, models_dir: Path = MODELS_DIR) -> str:
    """Replace every ``<!-- data:... -->`` placeholder of a page with its Markdown.

    Generated Markdown is not scanned again, so a table cannot smuggle in a placeholder.
    """
    return PLACEHOLDER.sub(lambda m: resolve(m["name"], m["key"], m["spec"], models_dir), markdown)
