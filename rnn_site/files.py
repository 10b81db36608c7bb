"""File helpers every layer shares: atomic writes and content hashes (standard library only).

A writer fills a temporary file in the destination folder, flushes it to disk, then
``os.replace``-s it over the target. ``os.replace`` is atomic on one filesystem, which is why
the temporary file lives in the same folder rather than in ``/tmp``. If anything fails or the
user presses Ctrl-C, the temporary file is removed and the old target stays untouched: a reader
(or a crash) never sees half a file.

`staged_folder` does the same for a folder of files that belong together (a model's graphs,
card and log): they are built in a hidden sibling folder and moved in only once all exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file next to ``path``: replaces ``path`` on success, vanishes on error."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    _private_to_usual(tmp, 0o666)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:  # also KeyboardInterrupt: never leave the temporary file behind
        tmp.unlink(missing_ok=True)
        raise


def _private_to_usual(path: Path, mode: int) -> None:
    """mkstemp/mkdtemp create private entries; give them the permissions the umask allows."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(mode & ~umask)


class StagedFolder:
    """A folder built beside ``target`` (hidden, same filesystem) and moved into it at `commit`.

    Fill `folder`; `also` stages a file outside the folder (a shared manifest) to be replaced in
    the same commit; `drop` names a file of ``target`` that the commit removes. Until `commit`
    nothing under ``target`` changes. The commit renames only (atomic per file on one
    filesystem) and undoes what it did if a rename fails, so ``target`` ends up either with
    every staged file or as it was; its other files are kept.
    """

    def __init__(self, target: Path, folder: Path) -> None:
        self.target = target
        self.folder = folder
        self._also: dict[Path, Path] = {}  # final path -> staged temporary file beside it
        self._drop: set[str] = set()
        self.committed = False

    def also(self, path: str | os.PathLike[str]) -> Path:
        """A temporary file beside ``path`` to fill; it replaces ``path`` at commit."""
        final = Path(path)
        if final in self._also:
            return self._also[final]
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        os.close(fd)
        self._also[final] = Path(name)
        _private_to_usual(self._also[final], 0o666)
        return self._also[final]

    def drop(self, name: str) -> None:
        """Remove ``target``/``name`` at commit (a file the new contents make stale)."""
        self._drop.add(name)

    def final(self, path: str | os.PathLike[str]) -> Path:
        """Where ``path`` (inside `folder`) will be after the commit; any other path as it is."""
        path = Path(path)
        return (
            self.target / path.relative_to(self.folder)
            if path.is_relative_to(self.folder)
            else path
        )

    def merged_files(self) -> dict[str, Path]:
        """The plain, visible files ``target`` holds after the commit: name → where it is now."""

        def visible(folder: Path) -> dict[str, Path]:
            if not folder.is_dir():
                return {}
            return {p.name: p for p in folder.iterdir() if not p.name.startswith(".")}

        merged = {
            name: p for name, p in visible(self.target).items() if name not in self._drop
        } | visible(self.folder)
        return {name: p for name, p in sorted(merged.items()) if p.is_file()}

    def commit(self) -> None:
        """Move the staged entries into ``target`` (replacing same-named ones), then the `also`
        files; on any failure, put back what had moved and re-raise."""
        parent = self.target.parent
        old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".old", dir=parent))
        done: list[tuple[Path, Path | None]] = []  # (destination, its backup or None)
        try:
            if not self.target.exists():
                os.replace(self.folder, self.target)
                done.append((self.target, None))
                moves: list[tuple[Path | None, Path]] = []
            else:
                moves = [(p, self.target / p.name) for p in sorted(self.folder.iterdir())]
                moves += [(None, self.target / n) for n in sorted(self._drop)]
            moves += [(tmp, final) for final, tmp in self._also.items()]
            for k, (source, dest) in enumerate(moves):
                done.append((dest, _back_up(dest, old / str(k))))
                if source is not None:
                    os.replace(source, dest)
                elif dest.exists() or dest.is_symlink():  # a folder was moved aside already
                    _remove(dest)
        except BaseException:
            for dest, backup in reversed(done):
                if dest == self.target and backup is None:
                    os.replace(self.target, self.folder)  # a new folder: move it back out
                    continue
                if dest.exists() or dest.is_symlink():
                    _remove(dest)
                if backup is not None:
                    os.replace(backup, dest)
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
        self.committed = True

    def discard(self) -> None:
        """Remove the staged folder and files (all that is left of them after a commit)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for tmp in self._also.values():
            tmp.unlink(missing_ok=True)


def _back_up(path: Path, backup: Path) -> Path | None:
    """Keep ``path``'s current entry as ``backup`` without a moment where ``path`` is missing (a
    hard link, else a copy); a folder, which a rename cannot replace, is moved aside. None if
    ``path`` does not exist."""
    if path.is_dir() and not path.is_symlink():
        os.replace(path, backup)
        return backup
    if not (path.exists() or path.is_symlink()):
        return None
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError:  # a filesystem without hard links
        shutil.copy2(path, backup)
    return backup


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


@contextmanager
def staged_folder(target: str | os.PathLike[str]) -> Iterator[StagedFolder]:
    """Yield a `StagedFolder` for ``target``: fill its ``folder``, then call ``commit()``.

    Leaving the block without a commit (an exception, Ctrl-C, a forgotten commit) removes the
    staging and leaves ``target``, and any parent folder this created, exactly as they were.
    """
    target = Path(target)
    created = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    _private_to_usual(folder, 0o777)
    staged = StagedFolder(target, folder)
    try:
        yield staged
    finally:
        staged.discard()
        if not staged.committed:
            for parent in created:  # innermost first; only the ones still empty
                try:
                    parent.rmdir()
                except OSError:
                    break


def json_text(obj: Any) -> str:
    """``obj`` as indented, key-sorted JSON (stable diffs, reproducible bytes); NaN/inf rejected."""
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as `json_text` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(obj), encoding="utf-8")
    return Path(path)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (model files are checked before use)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class OutputExistsError(FileExistsError):
    """An output folder already exists and overwriting it was not asked for (``--force``)."""


def check_output_dir(path: str | os.PathLike[str], force: bool) -> Path:
    """Refuse an existing ``path`` unless ``force``: a new model never silently replaces one.

    Called before any slow work, so a reader learns about the clash at once, not after training.
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError(
            f"{path} already exists; choose another folder or pass --force to overwrite it"
        )
    if path.exists() and not path.is_dir():
        raise OutputExistsError(f"{path} exists and is not a folder; choose another path")
    return path
