"""File helpers every layer shares: atomic writes and content hashes (standard library only).

A writer fills a temporary file in the destination folder, flushes it to disk, then
``os.replace``-s it over the target. ``os.replace`` is atomic on one filesystem, which is why
the temporary file lives in the same folder rather than in ``/tmp``. If anything fails or the
user presses Ctrl-C, the temporary file is removed and the old target stays untouched: a reader
(or a crash) never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
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
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp creates 0600; give the target the usual permissions
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:  # also KeyboardInterrupt: never leave the temporary file behind
        tmp.unlink(missing_ok=True)
        raise


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
