"""The base of every model's config: a frozen dataclass of plain values.

A config is logged to JSON, stored in the checkpoint and the card, and rebuilds its model from
either (``CharLSTM(CharLMConfig(**card["config"]))``), so ``to_dict`` is written once here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ModelConfig:
    """Subclass it as ``@dataclass(frozen=True) class XConfig(ModelConfig)`` with the sizes."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-ready for every config whose fields are scalars)."""
        return asdict(self)
