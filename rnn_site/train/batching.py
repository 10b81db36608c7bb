"""Batches of sequences of different lengths: right-padding, and an epoch order that keeps
sequences of similar length together.

Padding costs work: a batch is as long as its longest sequence. Sorting the whole set by length
would make every batch cheap but the order predictable; :func:`length_bucketed` sorts only within
pools of a few dozen batches, then shuffles the batches, so an epoch stays random.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

import numpy as np
import torch

B = TypeVar("B")


def pad_right(rows: Sequence[np.ndarray], dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences → ``(batch, longest)`` tensor of ``dtype``, zero after each row's end, and the
    lengths ``(batch,)``. Zero is padding for every model here (token id 0, silence)."""
    lengths = torch.tensor([len(r) for r in rows])
    x = torch.zeros((len(rows), int(lengths.max())), dtype=dtype)
    for i, r in enumerate(rows):
        x[i, : len(r)] = torch.from_numpy(r)
    return x, lengths


def length_bucketed(
    lengths: Sequence[int], batch: int, pool: int, rng: np.random.Generator
) -> list[list[int]]:
    """One epoch's batches as lists of indices: shuffle, sort each run of ``pool`` batches by
    length, cut it into batches of ``batch``, then shuffle the batches' order."""
    order = rng.permutation(len(lengths))
    size = pool * batch
    batches = []
    for start in range(0, len(order), size):
        run = sorted(order[start : start + size], key=lambda i: lengths[i])
        batches += [run[i : i + batch] for i in range(0, len(run), batch)]
    return [batches[b] for b in rng.permutation(len(batches))]


class ShuffledBatches(Generic[B]):
    """One epoch of ``n`` examples in an order shuffled by ``seed``, cut into batches of
    ``batch`` indices that ``make`` turns into a training batch; has ``len`` for the progress bar.

    A new ``seed`` per epoch (``seed * 1000 + epoch`` in the trainers) reshuffles each pass.
    """

    def __init__(self, n: int, batch: int, seed: int, make: Callable[[np.ndarray], B]) -> None:
        self.n, self.batch, self.seed, self.make = n, batch, seed, make

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch)

    def __iter__(self) -> Iterator[B]:
        order = np.random.default_rng(self.seed).permutation(self.n)
        for start in range(0, len(order), self.batch):
            yield self.make(order[start : start + self.batch])
