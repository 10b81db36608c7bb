"""The German the translation page's "What to try" list quotes, from the measured results.

``<!-- data:translator:try:KEY.SEARCH -->`` becomes the German the published model writes for
the English sentence ``KEY`` of `rnn_site.experiments.translator_try.SENTENCES` ("party",
"proposal", …), with ``SEARCH`` ``greedy`` (beam 1) or ``beam`` (the card's width), as the demo
shows it (an output ``<unk>`` replaced). It reads rnn_site/experiments/results/translator_try.json,
which must name the sha256 of the files in models/translator/ that a translation depends on
(`translator_try.model_sha256`): a retrained model must not be quoted with the old model's
sentences, so the build refuses and names the command that translates them again.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from rnn_site.experiments.translator_try import (
    MODEL,
    MODULE,
    RESULTS,
    SEARCHES,
    SENTENCES,
    model_sha256,
)
from rnn_site.sitebuild.page_data import MODELS_DIR, PageDataError, generator, results_file


@cache
def _hashes(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    """`model_sha256` once per version of the folder (``stamp``: its files' names, mtimes and
    sizes), not once per placeholder."""
    return model_sha256(folder)


def _rerun(models_dir: Path) -> str:
    named = (
        "" if Path(models_dir).resolve() == MODELS_DIR.resolve() else f" --models-dir {models_dir}"
    )
    return f"python -m {MODULE}{named}"


def measured(models_dir: Path) -> dict[str, Any]:
    """The committed results if they were measured on ``models_dir/translator``'s files;
    PageDataError naming the files that differ and the command to rerun otherwise."""
    results = results_file(RESULTS, MODULE)
    folder = Path(models_dir) / MODEL
    if not (folder / "card.json").is_file():
        raise PageDataError(f"no card.json for model {MODEL!r} in {models_dir}")
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir())
    )
    now, then = _hashes(folder, stamp), results.get("model_sha256") or {}
    if now != then:
        differ = sorted(name for name in set(now) | set(then) if now.get(name) != then.get(name))
        raise PageDataError(
            f"{RESULTS.name} was measured on other model files than {folder} "
            f"({', '.join(differ)} differ): translate the sentences again with "
            f'{_rerun(models_dir)}, then reread the "What to try" list of '
            f"docs/applications/translation.md against them"
        )
    return results


@generator("translator", "try", argument=True)
def try_output(models_dir: Path, spec: str) -> str:
    """The German for ``KEY.SEARCH`` (see the module's docstring), as the demo shows it."""
    key, _, search = spec.partition(".")
    if key not in SENTENCES or search not in SEARCHES:
        raise PageDataError(
            f"data:translator:try:{spec}: expected KEY.SEARCH, KEY one of "
            f"{', '.join(SENTENCES)} and SEARCH one of {', '.join(SEARCHES)}"
        )
    found = measured(models_dir)["sentences"].get(key)
    if found is None or found["english"] != SENTENCES[key]:
        raise PageDataError(
            f"{RESULTS.name} holds no translation of {SENTENCES[key]!r}: run "
            f"{_rerun(models_dir)} again"
        )
    return str(found[search]["text"])
