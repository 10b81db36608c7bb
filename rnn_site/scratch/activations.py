"""Activation functions shared by the gated cells."""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + e^-a), written as 0.5 * (1 + tanh(a / 2)).

    The tanh form is the same function but never overflows (e^-a does for a < -88 in float32)
    and keeps the input's dtype. Its derivative is s * (1 - s), which the backward passes use.

    See the page: architecture.md#lstm
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))
