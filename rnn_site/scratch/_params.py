"""Behaviour shared by the parameter dataclasses: a cell's parameters are named arrays.

Generic code (gradient clipping, truncated BPTT, gradient checks, an SGD step) walks any cell's
parameters by name through this base class without knowing which cell it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import DTypeLike

from rnn_site.scratch._checks import check_params


class Params:
    """Base for `RNNParams`, `LSTMParams`, `GRUParams`: dataclasses whose fields are arrays.

    Subclasses set `GATES` (gate blocks stacked in W_x's columns) and `BIAS_GATES` (each bias
    field and how many hidden-sized blocks it holds); `__post_init__` then validates shapes.

    See the page: architecture.md#parameters
    """

    GATES: ClassVar[int]
    BIAS_GATES: ClassVar[tuple[tuple[str, int], ...]]

    def __post_init__(self) -> None:
        for name, value in self.arrays().items():
            setattr(self, name, np.asarray(value))
        check_params(self.arrays(), self.GATES, dict(self.BIAS_GATES))

    def arrays(self) -> dict[str, np.ndarray]:
        """The parameter arrays by field name, in declaration order (not copies).

        See the page: architecture.md#parameters
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def map(self, fn: Callable[[np.ndarray], np.ndarray]) -> Self:
        """A new instance with `fn` applied to every array.

        See the page: architecture.md#parameters
        """
        new: Any = replace(self, **{n: fn(a) for n, a in self.arrays().items()})  # type: ignore[type-var]
        return new

    def zeros_like(self) -> Self:
        """Zeros of the same shapes and dtype: the start of a gradient accumulator.

        See the page: architecture.md#parameters
        """
        return self.map(np.zeros_like)

    def copy(self) -> Self:
        """A deep copy, so in-place updates do not touch the original.

        See the page: architecture.md#parameters
        """
        return self.map(np.copy)

    def astype(self, dtype: DTypeLike) -> Self:
        """A copy in another dtype (float32 or float64).

        See the page: architecture.md#parameters
        """
        return self.map(lambda a: a.astype(dtype))

    def add_(self, other: Params, scale: float = 1.0) -> Self:
        """In place `self += scale * other`: gradient accumulation or an SGD step (scale=-lr).

        See the page: architecture.md#parameters
        """
        for name, a in self.arrays().items():
            a += scale * getattr(other, name)
        return self

    @property
    def input_size(self) -> int:
        """Features per time step, I in W_x: (I, gates*H).

        See the page: architecture.md#parameters
        """
        return int(self.W_x.shape[0])  # type: ignore[attr-defined]

    @property
    def hidden_size(self) -> int:
        """Hidden units, H in W_h: (H, gates*H).

        See the page: architecture.md#parameters
        """
        return int(self.W_h.shape[0])  # type: ignore[attr-defined]

    @property
    def dtype(self) -> np.dtype:
        """The dtype every computation with these parameters runs in.

        See the page: architecture.md#parameters
        """
        return self.W_x.dtype  # type: ignore[attr-defined]


@dataclass
class CellParams(Params):
    """The weights every scratch cell has: ``W_x`` (input, gates*H), ``W_h`` (H, gates*H) and
    a bias ``b`` (gates*H,), plus the conversion to and from PyTorch's layout.

    PyTorch's weight_ih_l0: (gates*H, I) and weight_hh_l0: (gates*H, H) act on column vectors,
    so converting is a transpose (the gate orders are already PyTorch's). PyTorch keeps two
    biases; the RNN and the LSTM only ever add them together, so one `b` is exact. A cell whose
    biases do not simply add (the GRU) overrides the two bias methods.

    See the page: architecture.md#parameters
    """

    W_x: np.ndarray
    W_h: np.ndarray
    b: np.ndarray

    @classmethod
    def from_torch(
        cls,
        weight_ih: np.ndarray,
        weight_hh: np.ndarray,
        bias_ih: np.ndarray | None = None,
        bias_hh: np.ndarray | None = None,
    ) -> Self:
        """Convert PyTorch layer-0 weights (as NumPy arrays) to our layout, exactly.

        Missing biases (bias=False) count as zeros.

        See the page: architecture.md#parameters
        """
        biases = cls.biases_from_torch(weight_hh, bias_ih, bias_hh)
        return cls(W_x=weight_ih.T.copy(), W_h=weight_hh.T.copy(), **biases)

    @classmethod
    def biases_from_torch(
        cls, weight_hh: np.ndarray, bias_ih: np.ndarray | None, bias_hh: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """Our bias fields from PyTorch's two biases: their sum, as ``b``.

        See the page: architecture.md#parameters
        """
        b = np.zeros(weight_hh.shape[0], dtype=weight_hh.dtype)
        for bias in (bias_ih, bias_hh):
            if bias is not None:
                b = b + bias
        return {"b": b}

    def to_torch(self) -> dict[str, np.ndarray]:
        """Weights named as in PyTorch's ``state_dict()``.

        See the page: architecture.md#parameters
        """
        return {
            "weight_ih_l0": np.ascontiguousarray(self.W_x.T),
            "weight_hh_l0": np.ascontiguousarray(self.W_h.T),
            **self.biases_to_torch(),
        }

    def biases_to_torch(self) -> dict[str, np.ndarray]:
        """PyTorch's two biases from ours: the summed bias goes to bias_ih, zeros to bias_hh.

        See the page: architecture.md#parameters
        """
        return {"bias_ih_l0": self.b.copy(), "bias_hh_l0": np.zeros_like(self.b)}
