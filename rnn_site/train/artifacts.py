"""Atomic writes for training outputs; the helpers live in `rnn_site.files`, torch saving here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rnn_site.files import atomic_path, write_json

__all__ = ["atomic_path", "save_torch", "write_json"]


def save_torch(path: str | os.PathLike[str], obj: Any) -> Path:
    """``torch.save`` ``obj`` atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return Path(path)
