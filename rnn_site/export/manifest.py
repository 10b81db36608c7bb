"""models/manifest.json: every published file with its size and sha256, so readers can trust it.

The runtime (Python) and the browser check the hashes before using a model, so a truncated
download or a stale cache fails loudly instead of producing strange text. Schema 1:

    {"schema": 1, "models": [{"name": "char-lm", "task": "text-generation",
      "card": "char-lm/card.json",
      "files": [{"path": "char-lm/step.onnx", "sha256": "…", "bytes": 123}, …]}]}

Paths are relative to `models/` with forward slashes (they double as URLs on the site).
A model is any folder of `models/` holding a card.json; all its visible files are listed.

A few listed files are generated on each machine instead of committed, because the licence of
the data they hold does not allow it (`GENERATED`). A fresh clone lacks them until they are
written: `check` notes that, with the command that writes them, and hash-checks them once they
exist.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnn_site.data.electricity import DAYS_FILE
from rnn_site.files import (
    StagedFolder,
    atomic_path,
    export_lock,
    model_folders,
    recover,
    sha256_file,
    staging_leftovers,
)

SCHEMA = 1
MANIFEST = "manifest.json"
#: Files listed but generated, not committed: file name → the command that writes it into its
#: model folder ``{folder}`` (the site build and the test suite run it too).
GENERATED = {
    DAYS_FILE: "python -m rnn_site.data.electricity --write-days {folder}",
}
#: Puts back what crashed exports left in ``{models_dir}`` (`recover_models`).
RECOVER = "python -m rnn_site.export.manifest --recover {models_dir}"


@dataclass(frozen=True)
class Verification:
    """What `check` found: problems (files that do not match the manifest) and notes (listed
    files that are generated, not committed, and not written yet; not problems)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def model_entry(
    models_dir: Path, model_dir: Path, files: Mapping[str, Path] | None = None
) -> dict[str, Any]:
    """The manifest entry of one model folder (files sorted by path; hidden files skipped).

    ``files``: the folder's files by name → where they are now, for a folder about to be
    committed (`StagedFolder.merged_files`); default: the folder's files on disk."""
    if files is None:
        files = {
            p.name: p for p in model_dir.iterdir() if p.is_file() and not p.name.startswith(".")
        }
    card = json.loads(files["card.json"].read_text("utf-8"))
    return {
        "name": card["name"],
        "task": card["task"],
        "card": (model_dir / "card.json").relative_to(models_dir).as_posix(),
        "files": [
            {
                "path": (model_dir / name).relative_to(models_dir).as_posix(),
                "sha256": sha256_file(source),
                "bytes": source.stat().st_size,
            }
            for name, source in sorted(files.items())
        ],
    }


def build_manifest(models_dir: str | Path, staged: StagedFolder | None = None) -> dict[str, Any]:
    """The manifest of every model folder under `models_dir`, sorted by name; with ``staged``,
    as it will be once that export's staging folder is committed."""
    models_dir = Path(models_dir)
    folders = set(model_folders(models_dir))
    merged = staged.merged_files() if staged is not None else {}
    if staged is not None:
        folders.discard(staged.target)
        if "card.json" in merged:
            folders.add(staged.target)
    return {
        "schema": SCHEMA,
        "models": [
            model_entry(models_dir, d, merged if staged and d == staged.target else None)
            for d in sorted(folders)
        ],
    }


def manifest_text(manifest: dict[str, Any]) -> str:
    """The manifest file's text (2-space indented JSON, keys in the order built)."""
    return json.dumps(manifest, indent=2) + "\n"


def write_manifest(models_dir: str | Path) -> Path:
    """Rebuild `models_dir`/manifest.json from the files on disk, atomically; return its path.
    Under `export_lock`, so an export cannot commit between the build and the write."""
    path = Path(models_dir) / MANIFEST
    with export_lock(models_dir), atomic_path(path) as tmp:
        tmp.write_text(manifest_text(build_manifest(models_dir)), encoding="utf-8")
    return path


def stage_manifest(staged: StagedFolder) -> Path:
    """Write the manifest of the models folder holding ``staged.target``, as it will be after
    the commit, into a file that the same commit moves into place; return the manifest's path.
    Built before anything moves, so a manifest that cannot be built changes nothing. Every
    other model's entry is read from disk now: `staged_folder` holds `export_lock` from its
    start through the commit, so no other export commits in between."""
    models_dir = staged.target.parent
    path = models_dir / MANIFEST
    staged.also(path).write_text(manifest_text(build_manifest(models_dir, staged)), "utf-8")
    return path


def verify(models_dir: str | Path) -> list[str]:
    """The problems `check` finds (empty = every listed file matches); generated files not
    written yet are not problems."""
    return check(models_dir).problems


def check(models_dir: str | Path) -> Verification:
    """Check every listed file against its size and hash.

    Also reports model files on disk that the manifest does not list, so a forgotten
    `write_manifest` after an export is caught by the tests rather than by a reader. A missing
    `GENERATED` file is a note naming the command that writes it; once written, it is checked
    like any other.
    """
    models_dir = Path(models_dir)
    path = models_dir / MANIFEST
    if not path.exists():
        return Verification([f"{path} is missing"])
    manifest = json.loads(path.read_text("utf-8"))
    problems, notes = [], []
    if manifest.get("schema") != SCHEMA:
        problems.append(f"schema is {manifest.get('schema')!r}, expected {SCHEMA}")
    listed = set()
    for model in manifest.get("models", []):
        for entry in model["files"]:
            listed.add(entry["path"])
            file = models_dir / entry["path"]
            if not file.is_file() and file.name in GENERATED:
                command = GENERATED[file.name].format(folder=file.parent)
                notes.append(
                    f"{entry['path']}: not written yet; it is generated, not committed (the "
                    f"licence of its data does not allow it): {command}"
                )
                continue
            if not file.is_file():
                problems.append(f"{entry['path']}: listed but missing")
                continue
            size, digest = file.stat().st_size, sha256_file(file)
            if size != entry["bytes"]:
                problems.append(f"{entry['path']}: {size} bytes, manifest says {entry['bytes']}")
            if digest != entry["sha256"]:
                problems.append(
                    f"{entry['path']}: sha256 {digest}, manifest says {entry['sha256']}"
                )
    on_disk = {
        file.relative_to(models_dir).as_posix()
        for folder in model_folders(models_dir)
        for file in folder.iterdir()
        if file.is_file() and not file.name.startswith(".")
    }
    problems += [f"{p}: on disk but not in the manifest" for p in sorted(on_disk - listed)]
    crashed, interrupted = leftover_report(models_dir)
    return Verification(problems + crashed, notes + interrupted)


def leftover_report(models_dir: Path) -> tuple[list[str], list[str]]:
    """(problems, notes) for what exports left beside the model folders (`staging_leftovers`).

    A model folder that is missing while its ``.NAME.<random>.old`` exists is a problem: an
    export crashed between its two renames, and the manifest still lists that folder's files.
    The next export of NAME would put it back, but it cannot find its checkpoint, which is in
    that folder, so the message names `RECOVER`. Any other leftover (a staging folder, an old
    folder or file the commit did not remove) is a note: harmless, or an export running now."""
    command = RECOVER.format(models_dir=models_dir)
    problems, notes = [], []
    for name, paths in staging_leftovers(models_dir).items():
        for path in paths:
            if path.suffix == ".old" and path.is_dir() and not (models_dir / name).exists():
                problems.append(
                    f"{name}: missing; its folder is {path}, where an export that crashed "
                    f"between its two renames left it; put it back with `{command}`"
                )
            else:
                notes.append(
                    f"{path}: left by an export of {name} that was interrupted (or is running "
                    f"now); the next export of {name} removes it, or `{command}`"
                )
    return problems, notes


def recover_models(models_dir: str | Path) -> list[str]:
    """Run `recover` for every model that left something beside its folder, under
    `export_lock` (so a running export finishes first and keeps its staging); return their
    names. The manifest needs no change: a commit replaces it only after the swap."""
    models_dir = Path(models_dir)
    with export_lock(models_dir):
        names = list(staging_leftovers(models_dir))
        for name in names:
            recover(models_dir / name)
    return names


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rnn_site.export.manifest --recover MODELS_DIR``: `recover_models`."""
    parser = argparse.ArgumentParser(prog="python -m rnn_site.export.manifest")
    parser.add_argument("models_dir", help="the models folder (models)")
    parser.add_argument(
        "--recover", action="store_true", required=True, help="put back what crashed exports left"
    )
    args = parser.parse_args(argv)
    if not Path(args.models_dir).is_dir():
        parser.error(f"{args.models_dir!r} is not a folder")
    names = recover_models(args.models_dir)
    print(f"recovered: {', '.join(names)}" if names else "nothing to recover")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
