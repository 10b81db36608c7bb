"""A tiny seeded pseudo-random generator that Python and the browser lab compute identically.

NumPy's generators cannot be reproduced in JavaScript, so the training lab
(docs/assets/lab/rng.js) and this module share Mulberry32: 32-bit state, a handful of integer
operations per draw, the same bits on both sides. Uniform doubles use 53 random bits from two
draws, so `random()` is bit-identical; normals use Box-Muller (one `log`, one `cos`, which may
differ in the last bit between the two maths libraries).

`LabRandom` offers the part of `np.random.Generator` the initialisers in `init.py` call
(`uniform`, `standard_normal`), so they accept it as their `seed`. Fine for teaching and tests;
not a cryptographic or statistically strong generator.
"""

from __future__ import annotations

import math

import numpy as np

_MASK = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    """JavaScript's Math.imul on unsigned 32-bit values: the low 32 bits of the product."""
    return (a * b) & _MASK


class LabRandom:
    """Mulberry32 (Tommy Ettinger, public domain), as in docs/assets/lab/rng.js.

    See the page: training.md#lab
    """

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= _MASK:
            raise ValueError(f"seed must be an integer from 0 to {_MASK}, got {seed!r}")
        self.state = seed

    def next_uint32(self) -> int:
        """The next 32 random bits as an integer in [0, 2**32)."""
        self.state = (self.state + 0x6D2B79F5) & _MASK
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t = ((t + _imul(t ^ (t >> 7), t | 61)) & _MASK) ^ t
        return (t ^ (t >> 14)) & _MASK

    def random(self) -> float:
        """A uniform double in [0, 1) with 53 random bits (27 from one draw, 26 from the next)."""
        a = self.next_uint32() >> 5
        b = self.next_uint32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0

    def normal(self) -> float:
        """One standard normal by Box-Muller (1 - u keeps the logarithm's argument above 0)."""
        u = 1.0 - self.random()
        v = self.random()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)

    def integer(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return math.floor(self.random() * n)

    def uniform(
        self, low: float = 0.0, high: float = 1.0, size: int | tuple[int, ...] = ()
    ) -> np.ndarray:
        """Uniform in [low, high), filled in row-major order (as the JavaScript side fills)."""
        count = math.prod((size,) if isinstance(size, int) else size)
        values = [low + (high - low) * self.random() for _ in range(count)]
        return np.array(values, dtype=np.float64).reshape(size)

    def standard_normal(self, size: int | tuple[int, ...] = ()) -> np.ndarray:
        """Standard normals in row-major order."""
        count = math.prod((size,) if isinstance(size, int) else size)
        return np.array([self.normal() for _ in range(count)], dtype=np.float64).reshape(size)
