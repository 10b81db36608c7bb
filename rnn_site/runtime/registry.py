"""Find a published model by name or path, read its card, and check its files against the manifest.

Shared by every runtime class. A name such as "char-lm" is looked up as ``<models>/char-lm``
in, in order: the folder named by the ``RNN_SITE_MODELS`` environment variable, the ``models/``
folder of the repository this package lives in, and ``./models``. An explicit directory (one
holding a card.json) is used as is; its manifest is ``../manifest.json``.

Only the standard library here: the runtime must work with numpy and onnxruntime alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_site.files import sha256_file
from rnn_site.runtime.errors import ModelIntegrityError, ModelNotFoundError

MODELS_ENV = "RNN_SITE_MODELS"
MANIFEST = "manifest.json"


def models_dirs() -> list[Path]:
    """Where names are looked up, in order (folders that do not exist are skipped)."""
    candidates = []
    if os.environ.get(MODELS_ENV):
        candidates.append(Path(os.environ[MODELS_ENV]))
    candidates.append(Path(__file__).resolve().parents[2] / "models")
    candidates.append(Path.cwd() / "models")
    seen, found = set(), []
    for path in candidates:
        resolved = path.resolve()
        if resolved.is_dir() and resolved not in seen:
            seen.add(resolved)
            found.append(resolved)
    return found


def read_manifest(models_dir: str | Path) -> dict[str, Any]:
    """Load `models_dir`/manifest.json (raises ModelIntegrityError if missing or unreadable)."""
    path = Path(models_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelIntegrityError(
            f"{path} is missing, so the model files cannot be checked; re-export the model "
            "or load it with verify=False",
            file=MANIFEST,
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelIntegrityError(f"{path} is unreadable: {exc}", file=MANIFEST) from exc
    if manifest.get("schema") != 1 or not isinstance(manifest.get("models"), list):
        raise ModelIntegrityError(f"{path} is not a schema-1 manifest", file=MANIFEST)
    return manifest


@dataclass(frozen=True)
class ModelLocation:
    """Where a model lives: its folder, the models folder above it, and its parsed card."""

    name: str
    model_dir: Path
    models_dir: Path
    card: dict[str, Any]

    def path(self, file: str) -> Path:
        """Absolute path of one of the model's files, e.g. path("step.onnx")."""
        return self.model_dir / file

    def verify(self, files: list[str]) -> None:
        """Check that each of `files` (names inside the model folder) matches the manifest.

        Raises ModelIntegrityError naming the file, the expected and the actual sha256.
        The card was already parsed, but it is checked too: its "io" and "vocab" drive
        the runtime, so a hand-edited card is as dangerous as a corrupted graph.
        """
        manifest = read_manifest(self.models_dir)
        entries = {
            entry["path"]: entry
            for model in manifest["models"]
            if model.get("name") == self.name
            for entry in model.get("files", [])
        }
        prefix = self.model_dir.name
        for file in files:
            key = f"{prefix}/{file}"
            entry = entries.get(key)
            if entry is None:
                raise ModelIntegrityError(
                    f"{key} is not listed in {self.models_dir / MANIFEST}", file=key
                )
            path = self.path(file)
            if not path.is_file():
                raise ModelIntegrityError(f"{path} is missing", file=key)
            actual = sha256_file(path)
            if actual != entry["sha256"]:
                raise ModelIntegrityError.hash_mismatch(key, entry["sha256"], actual)


def _load_card(model_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((model_dir / "card.json").read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelIntegrityError(
            f"{model_dir / 'card.json'} is not valid JSON: {exc}", file="card.json"
        ) from exc


def locate(
    name_or_path: str | os.PathLike[str], models_dir: str | os.PathLike[str] | None = None
) -> ModelLocation:
    """Find a model by name ("char-lm") or by directory; read its card.

    `models_dir`, if given, is the only folder names are looked up in. Raises
    ModelNotFoundError listing what exists when nothing matches.
    """
    candidate = Path(name_or_path)
    if (candidate / "card.json").is_file():
        model_dir = candidate.resolve()
        card = _load_card(model_dir)
        return ModelLocation(card["name"], model_dir, model_dir.parent, card)
    name = str(name_or_path)
    searched = [Path(models_dir).resolve()] if models_dir is not None else models_dirs()
    for folder in searched:
        model_dir = folder / name
        if (model_dir / "card.json").is_file():
            return ModelLocation(name, model_dir, folder, _load_card(model_dir))
    known = sorted({m.name for d in searched for m in list_models(d)})
    raise ModelNotFoundError(
        f"no model named {name!r} (and no directory with a card.json at that path); "
        f"known models: {', '.join(known) or 'none'}; searched {[str(d) for d in searched]}"
        f" (set {MODELS_ENV} to add a folder)"
    )


def locate_verified(
    name_or_path: str | os.PathLike[str],
    models_dir: str | os.PathLike[str] | None,
    graphs: Sequence[str],
    *,
    verify: bool = True,
) -> ModelLocation:
    """`locate` a model and, with `verify`, check card.json and its `graphs` against the manifest.

    `graphs` are roles of the card's "files" ("encoder", "step"...); one the card does not list
    is skipped here (an optional graph), and opening a missing one fails later. Every runtime
    class's ``load`` starts with this, then checks its card, then opens the graphs.
    """
    location = locate(name_or_path, models_dir)
    if verify:
        files = location.card["files"]
        location.verify(["card.json", *(files[role] for role in graphs if role in files)])
    return location


def list_models(models_dir: str | Path | None = None) -> list[ModelLocation]:
    """Every model with a card in `models_dir` (or in the first models folder found)."""
    if models_dir is None:
        dirs = models_dirs()
        if not dirs:
            return []
        models_dir = dirs[0]
    models_dir = Path(models_dir).resolve()
    return [
        ModelLocation(card["name"], card_path.parent, models_dir, card)
        for card_path in sorted(models_dir.glob("*/card.json"))
        for card in [_load_card(card_path.parent)]
    ]
