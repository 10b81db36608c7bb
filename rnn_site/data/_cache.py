"""The committed caches that data modules read (chorales, VADER ratings): one way to refuse a
missing one, saying which command rebuilds it."""

from __future__ import annotations

from pathlib import Path


def require_cache(path: str | Path, module: str, needs: str) -> Path:
    """``path`` if the file exists, else FileNotFoundError naming ``python -m module`` and what
    rebuilding ``needs`` (a package, a download)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; rebuild it with `python -m {module}` ({needs})"
        )
    return path
