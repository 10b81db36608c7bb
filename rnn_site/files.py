"""File helpers every layer shares: atomic writes and content hashes (standard library only).

A writer fills a temporary file in the destination folder, flushes it to disk, then
``os.replace``-s it over the target. ``os.replace`` is atomic on one filesystem, which is why
the temporary file lives in the same folder rather than in ``/tmp``. If anything fails or the
user presses Ctrl-C, the temporary file is removed and the old target stays untouched: a reader
(or a crash) never sees half a file.

`staged_folder` does the same for a folder of files that belong together (a model's graphs,
card and log): the complete new folder is built in a hidden sibling and swapped in with two
renames, so the old and the new files are never seen side by side (`StagedFolder`). It holds
`export_lock` on the parent folder throughout, so two exports into one models folder run one
after the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
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


class StagingConflictError(ValueError):
    """A staged folder was told to write a file and to drop it (`StagedFolder.drop`)."""


class StagedFolder:
    """A complete new version of ``target``, built beside it (hidden, same filesystem), that
    replaces it whole at `commit`.

    Fill `folder` with the files the export writes; `also` stages a file outside the folder
    (the shared models/manifest.json) that replaces its path right after the folder; `drop`
    names a file of ``target`` the new version leaves out. Until `commit`, nothing under
    ``target`` changes.

    `commit`, in this order (the order is the crash guarantee):

    1. complete `folder`: each entry of ``target`` that was neither written anew nor dropped
       is hard-linked into it (copied where the filesystem has no hard links);
    2. swap with two renames: ``target`` → ``.NAME.<random>.old``, `folder` → ``target``;
    3. replace each `also` path, in the order staged (the manifest last of all);
    4. remove the old folder.

    A reader, or a crash, therefore meets the old folder, no folder (between the two renames),
    or the new folder, never old and new files side by side. A crash between the renames
    leaves only the old folder's sibling: the next `staged_folder` for ``target`` renames it
    back (`recover`); ``rnn_site.export.manifest.check`` reports it, naming a command that
    does so at once (``python -m rnn_site.export.manifest --recover models``). A crash after
    the swap but before step 3 leaves the new folder beside the old manifest: ``check``
    reports it, and the next export of any model rebuilds the manifest from the folders on
    disk. A reader that opens one file, then another across the swap, can still pair an old
    and a new file: the manifest's hashes catch that. An error raised anywhere in `commit`
    puts back what had changed and re-raises.
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
        if final not in self._also:
            tmp = _sibling(final.parent, f"{self.target.name}.", f".{final.name}.partial")
            tmp.touch(exist_ok=False)
            _private_to_usual(tmp, 0o666)
            self._also[final] = tmp
        return self._also[final]

    def drop(self, name: str) -> None:
        """Leave ``target``/``name`` out of the new version (a file the new contents make
        stale). Dropping a name the staging folder also holds is a `StagingConflictError`,
        here or at `merged_files`/`commit`, whichever comes first: the two say opposite
        things, and guessing which was meant once listed a file in the manifest that the
        commit then deleted."""
        self._drop.add(name)
        self._check_drops()

    def _check_drops(self) -> None:
        both = sorted(n for n in self._drop if (self.folder / n).exists())
        if both:
            raise StagingConflictError(
                f"{', '.join(both)}: both written into the staging folder of {self.target} "
                "and dropped from it; drop a file only when the export writes no new one"
            )

    def final(self, path: str | os.PathLike[str]) -> Path:
        """Where ``path`` (inside `folder`) will be after the commit; any other path as it is."""
        path = Path(path)
        return (
            self.target / path.relative_to(self.folder)
            if path.is_relative_to(self.folder)
            else path
        )

    def _kept(self) -> dict[str, Path]:
        """The entries of ``target`` the new version carries over: neither written anew into
        `folder` nor dropped (hidden ones too: they are not the export's to remove)."""
        self._check_drops()
        if not self.target.is_dir():
            return {}
        written = {p.name for p in self.folder.iterdir()}
        return {
            p.name: p
            for p in sorted(self.target.iterdir())
            if p.name not in written and p.name not in self._drop
        }

    def merged_files(self) -> dict[str, Path]:
        """The plain, visible files ``target`` holds after the commit: name → where it is now."""
        merged = {**self._kept(), **{p.name: p for p in self.folder.iterdir()}}
        return {
            name: p
            for name, p in sorted(merged.items())
            if not name.startswith(".") and p.is_file()
        }

    def commit(self) -> None:
        """Complete `folder`, swap it in for ``target``, then replace the `also` files (see the
        class docstring); on any failure, put back what had changed and re-raise."""
        for name, source in self._kept().items():
            _link_tree(source, self.folder / name)
        parent = self.target.parent
        old = None
        if self.target.exists() or self.target.is_symlink():
            shutil.copymode(self.target, self.folder)
            old = _sibling(parent, f"{self.target.name}.", ".old")
            os.rename(self.target, old)
        try:
            os.rename(self.folder, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        try:
            self._replace_also()
        except BaseException:
            os.rename(self.target, self.folder)  # discarded with the rest of the staging
            if old is not None:
                os.rename(old, self.target)
            raise
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _replace_also(self) -> None:
        """Move each `also` file over its path; on failure, put the replaced ones back."""
        undo: list[tuple[Path, Path | None]] = []  # (final path, hard link to its old bytes)
        try:
            for final, tmp in self._also.items():
                backup = None
                if final.exists():
                    backup = _sibling(final.parent, f"{self.target.name}.", f".{final.name}.old")
                    _link_or_copy(final, backup)
                undo.append((final, backup))
                os.replace(tmp, final)
        except BaseException:
            for final, backup in reversed(undo):
                if backup is not None:
                    os.replace(backup, final)
                else:
                    final.unlink(missing_ok=True)
            raise
        finally:
            for _, backup in undo:
                if backup is not None:
                    backup.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the staged folder and files (all that is left of them after a commit)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for tmp in self._also.values():
            tmp.unlink(missing_ok=True)


def recover(target: str | os.PathLike[str]) -> None:
    """Undo what a crashed `StagedFolder.commit` of ``target`` left beside it.

    A crash between the commit's two renames leaves no ``target``, only the old folder as
    ``.NAME.<random>.old``: it is renamed back (the manifest, replaced after the swap, still
    describes it). Every other sibling of that shape (``.NAME.<random>[.FILE].partial`` or
    ``.old``: a staging folder, a staged manifest, an old folder the commit did not get to
    remove) is deleted. Other hidden files are left alone."""
    target = Path(target)
    if not target.parent.is_dir():
        return
    leftovers = staging_leftovers(target.parent).get(target.name, [])
    olds = [p for p in leftovers if p.name.endswith(".old") and _is_folder(p)]
    if olds and not (target.exists() or target.is_symlink()):
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, target)
        leftovers.remove(newest)
    for path in leftovers:
        if _is_folder(path):
            shutil.rmtree(path)
        else:
            path.unlink()


#: What a commit names its siblings (`_sibling`): ``.NAME.<8 hex>[.FILE].partial`` or ``.old``.
_LEFTOVER = re.compile(r"\.(?P<name>.+?)\.[a-z0-9_]{8}(\..+)?\.(partial|old)")


def staging_leftovers(parent: str | os.PathLike[str]) -> dict[str, list[Path]]:
    """The entries of ``parent`` named as a `StagedFolder` names its staging and the files it
    replaces, by the name of the folder they belong to (sorted): what a crash, or an export
    running now, leaves beside a model folder (`recover` removes them)."""
    found: dict[str, list[Path]] = {}
    for path in sorted(Path(parent).iterdir()):
        match = _LEFTOVER.fullmatch(path.name)
        if match:
            found.setdefault(match["name"], []).append(path)
    return found


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _sibling(parent: Path, prefix: str, suffix: str) -> Path:
    """A path in ``parent`` named ``.<prefix><8 random hex digits><suffix>`` that does not
    exist yet (the names `recover` recognises)."""
    while True:
        path = parent / f".{prefix}{secrets.token_hex(4)}{suffix}"
        if not (path.exists() or path.is_symlink()):
            return path


def _link_or_copy(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """``dest`` as a hard link to ``source`` (no bytes copied), or a copy where links fail."""
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError:  # a filesystem without hard links
        shutil.copy2(source, dest, follow_symlinks=False)


def _link_tree(source: Path, dest: Path) -> None:
    """`_link_or_copy` for a file, a symlink or a whole folder."""
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, dest, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(source, dest)


_held = threading.local()  # folders this thread holds `export_lock` on: a nested block re-enters


def _say_waiting(folder: Path) -> None:
    print(f"waiting for another export into {folder} to finish", file=sys.stderr)


@contextmanager
def export_lock(
    parent: str | os.PathLike[str], on_wait: Callable[[Path], None] = _say_waiting
) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on the folder ``parent`` itself for the block.

    Why: an export builds the whole models manifest from the folders on disk before it
    commits, and cleans up the staging left beside its folder (`recover`); two exports at
    once would each drop the other's manifest entry, or delete the other's staging folder.
    Under the lock they run one after the other: a second export blocks (no timeout: the
    first may run for minutes) after ``on_wait(parent)`` says so (by default one line on
    stderr), then goes on with the folder as the first left it. The lock is on the folder,
    not on a lock file: nothing is created (a refused export leaves its folder byte for byte
    as it was, and a ``--out`` folder's parent gets no stray file), and the kernel releases it
    when its holder exits, even killed, so no stale lock outlives a crash. The same thread
    may nest the block (it re-enters). Where ``fcntl`` does not exist (Windows), nothing is
    locked."""
    folder = Path(parent)
    held = _held.__dict__.setdefault("folders", set())
    key = os.path.abspath(folder)
    try:
        import fcntl
    except ImportError:  # no flock on this system
        fcntl = None  # type: ignore[assignment]
    if key in held or fcntl is None:
        yield folder
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(folder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield folder
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def staged_folder(
    target: str | os.PathLike[str], on_wait: Callable[[Path], None] = _say_waiting
) -> Iterator[StagedFolder]:
    """Yield a `StagedFolder` for ``target``: fill its ``folder``, then call ``commit()``.

    Leaving the block without a commit (an exception, Ctrl-C, a forgotten commit) removes the
    staging and leaves ``target``, and any parent folder this created, exactly as they were.
    The whole block holds `export_lock` on ``target``'s parent (``on_wait`` is told when it
    has to wait for another export), so it starts by cleaning up after an earlier commit of
    ``target`` that a crash cut short (`recover`) without touching a running export's files.
    """
    target = Path(target)
    created = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    with export_lock(target.parent, on_wait):
        recover(target)
        folder = _sibling(target.parent, f"{target.name}.", ".partial")
        folder.mkdir()
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


def model_folders(models_dir: str | os.PathLike[str]) -> list[Path]:
    """The model folders of ``models_dir``: those holding a card.json, sorted, hidden ones
    left out (an export's staging and the folder it replaces, `staged_folder`, hold cards
    too). The one rule for every layer that lists models: the manifest and the runtime."""
    return sorted(
        p.parent for p in Path(models_dir).glob("*/card.json") if not p.parent.name.startswith(".")
    )


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
