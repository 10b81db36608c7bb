"""Gradient clipping by global norm: the standard guard against exploding RNN gradients.

If all gradients together (one long vector) have norm above `max_norm`, scale every one of them
by the same factor max_norm / norm (Pascanu et al., 2013). One shared factor keeps the update's
direction; only its length is capped, so one huge step cannot throw the weights far away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar, overload

import numpy as np

from rnn_site.scratch._params import Params

P = TypeVar("P", bound=Params)


def global_norm(grads: Params | Iterable[np.ndarray]) -> float:
    """The L2 norm of all gradient arrays taken together, computed in float64.

    See the page: training.md#gradient-clipping
    """
    arrays = grads.arrays().values() if isinstance(grads, Params) else grads
    return float(np.sqrt(sum(np.sum(np.square(a, dtype=np.float64)) for a in arrays)))


@overload
def clip_by_global_norm(grads: P, max_norm: float) -> tuple[P, float]: ...
@overload
def clip_by_global_norm(
    grads: Sequence[np.ndarray], max_norm: float
) -> tuple[list[np.ndarray], float]: ...
def clip_by_global_norm(
    grads: Params | Sequence[np.ndarray], max_norm: float
) -> tuple[Params | list[np.ndarray], float]:
    """Scale gradients so their global norm is at most `max_norm`; return them and the old norm.

    Accepts a cell's parameter-shaped gradients (`grads.params`) or a list of arrays and returns
    the same kind, as new arrays in the input dtype. Below the bound nothing changes; all-zero
    gradients stay zero. The old norm is returned because it is worth logging: a norm that is
    often clipped means the learning rate or the bound needs a look.

    Raises ValueError if max_norm is not a positive finite number or a gradient is NaN/inf
    (clipping would silently turn those into NaN everywhere).

    See the page: training.md#gradient-clipping
    """
    if not (np.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"max_norm must be a positive finite number, got {max_norm!r}")
    named = grads.arrays().values() if isinstance(grads, Params) else grads
    arrays = [np.asarray(a) for a in named]
    norm = global_norm(arrays)
    if not np.isfinite(norm):
        raise ValueError("gradients contain NaN or inf (or overflow); cannot clip them")
    # Aim a few ulps below the bound so rounding the scaled arrays can never push it over.
    eps = max((np.finfo(a.dtype).eps for a in arrays if a.dtype.kind == "f"), default=0.0)
    scale = max_norm / norm * (1.0 - 8 * eps) if norm > max_norm else 1.0

    def clip(a: np.ndarray) -> np.ndarray:
        return (a * scale).astype(a.dtype, copy=False) if scale < 1.0 else a.copy()

    if isinstance(grads, Params):
        return grads.map(clip), norm
    return [clip(a) for a in arrays], norm
