"""VADER's lexicon-and-rules sentiment as a binary classifier (no training, no dependency).

VADER (Hutto & Gilbert, 2014) sums hand-rated word valences with rules for negation, "but",
intensifiers, capitals and exclamation marks into a *compound* score in [-1, 1]. The scores were
computed once with the rules of ``vaderSentiment`` 3.3.2 (the same release the ratings come from)
and stored in the cached data file, so this baseline needs neither the package nor a download.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def vader_predict(compound: Sequence[float], neutral_label: int = 1) -> np.ndarray:
    """1 if compound > 0, 0 if < 0; a sentence with no sentiment words (exactly 0) gets
    ``neutral_label`` (pass the training set's majority class)."""
    c = np.asarray(compound, dtype=np.float64)
    return np.where(c > 0, 1, np.where(c < 0, 0, neutral_label)).astype(np.int64)
