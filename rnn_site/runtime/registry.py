"""Find a published model by name or path, read its card, and check its files against the manifest.

Shared by every runtime class. A name such as "char-lm" is looked up as ``<models>/char-lm``.
An explicit models folder (the ``models_dir`` argument, or else the ``RNN_SITE_MODELS``
environment variable) is the only folder searched: a model missing there is an error, never
silently taken from somewhere else. Without one, names are looked up in the ``models/`` folder of
the repository this package lives in, then ``./models``. An explicit directory (one holding a
card.json) is used as is; its manifest is ``../manifest.json``.

Files are verified when they are read: `ModelLocation.read_verified` reads the bytes once,
hashes them and hands back those same bytes, so nothing can swap a file between the check and
its use. The card and the manifest are data from disk too: anything that is not the JSON shape
they should have is refused with a ModelIntegrityError naming the file.

Only the standard library here (and `rnn_site.files`, which uses nothing else): the runtime
must work with numpy and onnxruntime alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_site.files import model_folders
from rnn_site.runtime.errors import ModelIntegrityError, ModelNotFoundError

MODELS_ENV = "RNN_SITE_MODELS"
MANIFEST = "manifest.json"


def _explicit_dir(path: str | os.PathLike[str], what: str) -> Path:
    """A models folder someone named on purpose: it must exist (no fallback to another)."""
    try:
        resolved = Path(path).resolve()
        exists = resolved.is_dir()
    except (OSError, ValueError, TypeError) as exc:  # NUL bytes, names too long, not a path
        raise ModelNotFoundError(f"{what} {path!r} is not a usable folder ({exc})") from None
    if not exists:
        raise ModelNotFoundError(f"{what} {str(path)!r} is not a folder")
    return resolved


def models_dirs() -> list[Path]:
    """Where names are looked up, in order.

    ``RNN_SITE_MODELS``, when set, is the only one (ModelNotFoundError if it is not a folder);
    otherwise the repository's models/ and ./models, those that exist.
    """
    if os.environ.get(MODELS_ENV):
        return [_explicit_dir(os.environ[MODELS_ENV], MODELS_ENV)]
    candidates = [Path(__file__).resolve().parents[2] / "models", Path.cwd() / "models"]
    seen, found = set(), []
    for path in candidates:
        resolved = path.resolve()
        if resolved.is_dir() and resolved not in seen:
            seen.add(resolved)
            found.append(resolved)
    return found


def _parse_json(data: bytes, path: Path, file: str) -> Any:
    """JSON from bytes, or ModelIntegrityError naming the file (bad UTF-8, bad JSON, too deep)."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelIntegrityError(f"{path} is not valid UTF-8 JSON: {exc}", file=file) from None


def _read_bytes(path: Path, file: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelIntegrityError(f"{path} is missing", file=file) from None
    except OSError as exc:
        raise ModelIntegrityError(f"{path} is unreadable: {exc}", file=file) from None


def read_manifest(models_dir: str | Path) -> dict[str, Any]:
    """Load `models_dir`/manifest.json (raises ModelIntegrityError if missing or malformed).

    Every entry must be an object with a "name" and a list of "files", each with a "path" and
    a "sha256" string; anything else names the manifest in the error.
    """
    path = Path(models_dir) / MANIFEST
    if not path.is_file():
        raise ModelIntegrityError(
            f"{path} is missing, so the model files cannot be checked; re-export the model "
            "or load it with verify=False",
            file=MANIFEST,
        )
    manifest = _parse_json(_read_bytes(path, MANIFEST), path, MANIFEST)
    if (
        not isinstance(manifest, dict)
        or manifest.get("schema") != 1
        or not isinstance(manifest.get("models"), list)
    ):
        raise ModelIntegrityError(f"{path} is not a schema-1 manifest", file=MANIFEST)
    for index, model in enumerate(manifest["models"]):
        ok = (
            isinstance(model, dict)
            and isinstance(model.get("name"), str)
            and isinstance(model.get("files", []), list)
            and all(
                isinstance(entry, dict)
                and isinstance(entry.get("path"), str)
                and isinstance(entry.get("sha256"), str)
                for entry in model.get("files", [])
            )
        )
        if not ok:
            raise ModelIntegrityError(
                f'{path}: models[{index}] is malformed; each model needs a "name" and '
                'a list of "files" with "path" and "sha256"',
                file=MANIFEST,
            )
    return manifest


@dataclass(frozen=True)
class ModelLocation:
    """Where a model lives: its folder, the models folder above it, and its parsed card.

    card_sha256: the hash of the very bytes `card` was parsed from ("" if unknown).
    """

    name: str
    model_dir: Path
    models_dir: Path
    card: dict[str, Any]
    card_sha256: str = ""

    def path(self, file: str) -> Path:
        """Absolute path of one of the model's files, e.g. path("step.onnx")."""
        return self.model_dir / file

    def _manifest(self) -> tuple[Path, str]:
        """(folder holding the manifest, prefix of this model's paths in it).

        A self-contained model folder (``rnn-site export --out``) carries its own manifest with
        paths relative to itself; the site's models share ``models/manifest.json``, whose paths
        start with the model's folder name.
        """
        if (self.model_dir / MANIFEST).is_file():
            return self.model_dir, ""
        return self.models_dir, f"{self.model_dir.name}/"

    def _expected(self, files: Sequence[str]) -> dict[str, str]:
        """file → the sha256 the manifest lists for it (ModelIntegrityError if unlisted)."""
        folder, prefix = self._manifest()
        manifest = read_manifest(folder)
        entries = {
            entry["path"]: entry["sha256"]
            for model in manifest["models"]
            if model["name"] == self.name
            for entry in model.get("files", [])
        }
        expected = {}
        for file in files:
            key = f"{prefix}{file}"
            if key not in entries:
                raise ModelIntegrityError(
                    f"{key} of model {self.name!r} is not listed in {folder / MANIFEST}", file=key
                )
            expected[file] = entries[key]
        return expected

    def read_bytes(self, file: str) -> bytes:
        """The bytes of `file`, unchecked (for ``verify=False``); ModelIntegrityError if absent."""
        return _read_bytes(self.path(file), f"{self.model_dir.name}/{file}")

    def read_verified(self, file: str) -> bytes:
        """The bytes of `file`, read once and checked against the manifest's sha256.

        Use these bytes (not the path) afterwards, so the file checked is the file used.
        """
        expected = self._expected([file])[file]
        data = self.read_bytes(file)
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise ModelIntegrityError.hash_mismatch(
                f"{self.model_dir.name}/{file}", expected, actual
            )
        return data

    def verify(self, files: Sequence[str]) -> None:
        """Check that each of `files` (names inside the model folder) matches the manifest.

        Raises ModelIntegrityError naming the file, the expected and the actual sha256.
        card.json is checked as the bytes `card` was parsed from, when those were hashed: its
        "io" and "vocab" drive the runtime, so a hand-edited card is as dangerous as a
        corrupted graph.
        """
        for file in files:
            if file == "card.json" and self.card_sha256:
                expected = self._expected([file])[file]
                if self.card_sha256 != expected:
                    raise ModelIntegrityError.hash_mismatch(
                        f"{self.model_dir.name}/{file}", expected, self.card_sha256
                    )
            else:
                self.read_verified(file)


def _load_card(model_dir: Path) -> tuple[dict[str, Any], str]:
    """The parsed card.json and the sha256 of its bytes; typed errors name the file."""
    path = model_dir / "card.json"
    data = _read_bytes(path, "card.json")
    card = _parse_json(data, path, "card.json")
    if not isinstance(card, dict):
        raise ModelIntegrityError(
            f"{path} must hold a JSON object, got {type(card).__name__}", file="card.json"
        )
    files = card.get("files")
    if not isinstance(card.get("name"), str) or not (
        isinstance(files, dict) and all(_plain_name(v) for v in files.values())
    ):
        raise ModelIntegrityError(
            f'{path} needs a "name" string and a "files" object of file names inside the '
            "model's folder",
            file="card.json",
        )
    return card, hashlib.sha256(data).hexdigest()


def _plain_name(file: object) -> bool:
    """A file name inside the model folder: no separators, not "." or ".." (no escaping it)."""
    return (
        isinstance(file, str)
        and file not in ("", ".", "..")
        and "/" not in file
        and "\\" not in file
        and "\x00" not in file
    )


def _has_card(folder: Path) -> bool:
    try:
        return (folder / "card.json").is_file()
    except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte
        return False


def locate(
    name_or_path: str | os.PathLike[str], models_dir: str | os.PathLike[str] | None = None
) -> ModelLocation:
    """Find a model by name ("char-lm") or by directory; read its card.

    `models_dir`, if given, is the only folder names are looked up in (it must exist). Raises
    ModelNotFoundError listing what exists when nothing matches.
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise ModelNotFoundError(
            f"a model is named by a str or a path, got {type(name_or_path).__name__}"
        )
    candidate = Path(name_or_path)
    if _has_card(candidate):
        model_dir = candidate.resolve()
        card, sha = _load_card(model_dir)
        return ModelLocation(card["name"], model_dir, model_dir.parent, card, sha)
    name = os.fspath(name_or_path)
    if models_dir is not None:
        searched = [_explicit_dir(models_dir, "models folder")]
    else:
        searched = models_dirs()
    for folder in searched:
        model_dir = folder / name
        if _has_card(model_dir):
            card, sha = _load_card(model_dir)
            return ModelLocation(str(name), model_dir, folder, card, sha)
    known = sorted({m.name for d in searched for m in list_models(d)})
    raise ModelNotFoundError(
        f"no model named {name!r} (and no directory with a card.json at that path); "
        f"known models: {', '.join(known) or 'none'}; searched {[str(d) for d in searched]}"
        f" (set {MODELS_ENV} or pass models_dir to use another folder)"
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
    is skipped here (an optional graph). The runtime classes do not use this any more (they
    verify the bytes they open, see `rnn_site.runtime.base`); it stays for callers that only
    want the check.
    """
    location = locate(name_or_path, models_dir)
    if verify:
        files = location.card["files"]
        location.verify(["card.json", *(files[role] for role in graphs if role in files)])
    return location


def list_models(models_dir: str | Path | None = None) -> list[ModelLocation]:
    """Every model with a card in `models_dir` (or in the first models folder found).

    An explicit `models_dir` that is not a folder raises ModelNotFoundError.
    """
    if models_dir is None:
        dirs = models_dirs()
        if not dirs:
            return []
        folder = dirs[0]
    else:
        folder = _explicit_dir(models_dir, "models folder")
    return [
        ModelLocation(card["name"], model_dir, folder, card, sha)
        for model_dir in model_folders(folder)  # an export's hidden staging is no model
        for card, sha in [_load_card(model_dir)]
    ]
