"""CTC decoding and error rates, NumPy only: shared by training, the baselines and the runtime.

A CTC model emits, at every step, a probability for each symbol and for the *blank*. A path is
one choice per step; it reads as a transcript by merging repeated symbols and then dropping
blanks ("--55-5-12" → "5512"). Many paths read the same; the transcript's probability is the
sum over them.

- :func:`greedy_decode` takes the likeliest class at every step and reads that path. Fast, and
  usually right when the model is confident.
- :func:`prefix_beam_decode` keeps the `beam_width` likeliest *transcripts* (prefixes) so far,
  each with two probabilities: of the paths that end in a blank and of those that end in the
  prefix's last symbol. They must be kept apart because "5" then "5" means "55" after a blank
  and "5" without one. It finds transcripts whose probability is spread over many paths.

Class 0 is the blank; class k is ``alphabet[k - 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BLANK = 0


# --8<-- [start:greedy]
def greedy_decode(log_probs: np.ndarray, alphabet: str) -> str:
    """log_probs (steps, classes) → the transcript of the likeliest path."""
    best = np.asarray(log_probs).argmax(axis=-1)
    symbols, previous = [], BLANK
    for k in best:
        if k != previous and k != BLANK:
            symbols.append(alphabet[k - 1])
        previous = k
    return "".join(symbols)


# --8<-- [end:greedy]


@dataclass(frozen=True)
class Hypothesis:
    """A transcript and the log of its total probability (summed over its paths)."""

    text: str
    log_prob: float


def _logsumexp(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    high = max(a, b)
    return high + float(np.log1p(np.exp(-abs(a - b))))


def _add(beams: dict[str, tuple[float, float]], prefix: str, blank: float, symbol: float) -> None:
    """Add path probabilities (log) ending in a blank / in the last symbol to `prefix`."""
    old_blank, old_symbol = beams.get(prefix, (-np.inf, -np.inf))
    beams[prefix] = (_logsumexp(old_blank, blank), _logsumexp(old_symbol, symbol))


# --8<-- [start:beam]
def prefix_beam_decode(
    log_probs: np.ndarray, alphabet: str, beam_width: int = 8, prune: float = -12.0
) -> list[Hypothesis]:
    """log_probs (steps, classes) → up to `beam_width` transcripts, likeliest first.

    Each prefix carries (log P(paths ending in blank), log P(paths ending in its last symbol)).
    Classes with log-probability under `prune` at a step are not tried as extensions.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    beams: dict[str, tuple[float, float]] = {"": (0.0, -np.inf)}
    for step in lp:
        candidates = [k for k in range(1, len(step)) if step[k] > prune]
        grown: dict[str, tuple[float, float]] = {}
        for prefix, (p_blank, p_symbol) in beams.items():
            total = _logsumexp(p_blank, p_symbol)
            _add(grown, prefix, total + step[BLANK], -np.inf)  # a blank keeps the prefix
            for k in candidates:
                char = alphabet[k - 1]
                if prefix and prefix[-1] == char:
                    _add(grown, prefix, -np.inf, p_symbol + step[k])  # repeat, merged
                    _add(grown, prefix + char, -np.inf, p_blank + step[k])  # after a blank
                else:
                    _add(grown, prefix + char, -np.inf, total + step[k])
        ranked = sorted(grown.items(), key=lambda item: -_logsumexp(*item[1]))
        beams = {p: v for p, v in ranked[:beam_width] if _logsumexp(*v) > -np.inf}
    return [Hypothesis(text, _logsumexp(*p)) for text, p in beams.items()]


# --8<-- [end:beam]


# --------------------------------------------------------------------------- error rates


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance: substitutions + deletions + insertions turning one into the other."""
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        current = [i]
        for j, h in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def error_rates(references: Sequence[str], hypotheses: Sequence[str]) -> dict[str, float]:
    """Character error rate (edits / reference symbols) and string accuracy (exact matches).

    Each spoken word here is one symbol ("seven" → "7", "double you" → "W"), so the
    character error rate is also the word error rate.
    """
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    edits = sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True))
    symbols = sum(len(r) for r in references)
    exact = sum(r == h for r, h in zip(references, hypotheses, strict=True))
    return {
        "cer": edits / max(symbols, 1),
        "string_accuracy": exact / max(len(references), 1),
        "n": len(references),
    }
