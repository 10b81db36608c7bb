"""Greedy and beam search over a decoder that gives log-probabilities one word at a time.

NumPy only, and independent of how the step is computed: training evaluates the PyTorch model
through it, the runtime the ONNX decoder graph, so both search exactly the same way (the browser
demo, ``docs/assets/demos/translation-logic.js``, repeats the algorithm line for line, and tests
check that it finds the same words).

The algorithm, kept simple enough to explain on one page:

1. Start with one hypothesis, ``<s>``, score 0 (a sum of log-probabilities).
2. Each step, extend every live hypothesis by every word; keep the best ``room`` extensions,
   where ``room`` = beam width − hypotheses already finished (ties: lower beam, then lower
   word id). An extension ending in ``</s>`` is finished; the rest stay live.
3. Stop when no room is left or after ``max_len`` words (live hypotheses then count as
   finished). The winner has the best *average* log-probability per word, ``</s>`` included,
   so short outputs are not favoured just for having fewer terms.

With width 1 this is greedy search: the likeliest word each step until ``</s>``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack

import numpy as np

#: step(prev ids (k,), state) → (log-probs (k, vocab), new state, attention (k, source words)).
StepFn = Callable[[np.ndarray, Any], tuple[np.ndarray, Any, np.ndarray]]
#: select(state, index (k,)) → the state of the hypotheses `index` (the beam reordered).
SelectFn = Callable[[Any, np.ndarray], Any]


@dataclass(frozen=True)
class Hypothesis:
    """One finished output: word ids (no ``<s>``/``</s>``), summed log-probability, the
    attention row of every emitted id (``</s>`` included when it was emitted)."""

    ids: list[int]
    score: float
    attention: list[np.ndarray]
    finished: bool

    @property
    def average(self) -> float:
        """The ranking score: log-probability per emitted word (``</s>`` counts as one)."""
        return self.score / max(len(self.attention), 1)


def default_max_len(source_tokens: int) -> int:
    """Longest output searched for by default: twice the source plus 10 words.

    A German sentence is rarely more than twice as long as its English source; the bound only
    stops a model that never writes ``</s>``. Training, the runtime and the browser demo
    (``maxLen`` in translation-logic.js) use the same rule, so they stop at the same place.
    """
    return 2 * source_tokens + 10


class SearchOptions(TypedDict, total=False):
    """`beam_search`'s settings as `beam_candidates` takes them (for type checkers): the ids
    of ``<s>`` and ``</s>``, the beam width (default 1: greedy) and the longest output
    (default 50)."""

    bos: Required[int]
    eos: Required[int]
    beam: int
    max_len: int


# --8<-- [start:search]
def beam_search(
    step: StepFn,
    select: SelectFn,
    state: Any,
    *,
    bos: int,
    eos: int,
    beam: int = 1,
    max_len: int = 50,
) -> Hypothesis:
    """The best output under the algorithm in the module docstring (beam=1: greedy)."""
    found = beam_candidates(step, select, state, bos=bos, eos=eos, beam=beam, max_len=max_len)
    # max() keeps the first of equal averages: the one found first.
    return max(found, key=lambda h: h.average)


def beam_candidates(
    step: StepFn, select: SelectFn, state: Any, **settings: Unpack[SearchOptions]
) -> list[Hypothesis]:
    """Every hypothesis the search finishes with (steps 1–3), in the order found, under
    `beam_search`'s settings; the search itself never looks at the ranking, so another
    ranking can be tried on the same list."""
    # beam_search's signature checks the settings and fills in their defaults: both functions
    # take the same ones, and a misspelt or missing one is the TypeError beam_search raises.
    given = inspect.signature(beam_search).bind(step, select, state, **settings)
    given.apply_defaults()
    bos, eos, beam, max_len = (given.arguments[k] for k in ("bos", "eos", "beam", "max_len"))
    if beam < 1 or max_len < 1:
        raise ValueError(f"beam and max_len must be >= 1, got {beam} and {max_len}")
    live = [Hypothesis([], 0.0, [], False)]
    prev = np.array([bos], dtype=np.int64)
    finished: list[Hypothesis] = []
    for _ in range(max_len):
        room = beam - len(finished)
        log_probs, state, attention = step(prev, state)
        scores = np.array([h.score for h in live])[:, None] + log_probs.astype(np.float64)
        # Stable sort of the negated scores: ties go to the lower (beam, word) index.
        best = np.argsort(-scores.ravel(), kind="stable")[:room]
        rows, words = np.divmod(best, scores.shape[1])
        kept_rows, kept_words, next_live = [], [], []
        for row, word in zip(rows.tolist(), words.tolist(), strict=True):
            parent = live[row]
            hyp = Hypothesis(
                parent.ids + ([] if word == eos else [word]),
                float(scores[row, word]),
                [*parent.attention, attention[row]],
                word == eos,
            )
            if hyp.finished:
                finished.append(hyp)
            else:
                next_live.append(hyp)
                kept_rows.append(row)
                kept_words.append(word)
        if not next_live or len(finished) >= beam:
            break
        live = next_live
        state = select(state, np.array(kept_rows, dtype=np.int64))
        prev = np.array(kept_words, dtype=np.int64)
    else:
        finished += live  # max_len reached: unfinished hypotheses compete as they are
    return finished


# --8<-- [end:search]


def replace_unknown(
    words: Sequence[str],
    attention: Sequence[np.ndarray],
    source: Sequence[str],
    unk: str,
    dictionary: Mapping[str, str] | None = None,
    written: Sequence[str] | None = None,
) -> tuple[list[str], list[bool]]:
    """Replace each output ``unk`` by the source word it attends to most, translated by
    ``dictionary`` where it has the word, else copied (names, numbers and rare words often
    stay as they are): Luong et al. (2015)'s fix for the rare-word problem. ``written``: the
    source as typed, token for token, so a copied word keeps its case ("Tom", not the "tom"
    the model reads). Returns the words and which were replaced."""
    out, replaced = [], []
    copies = source if written is None else written
    for word, weights in zip(words, attention, strict=False):
        if word == unk and len(source):
            j = int(np.argmax(weights[: len(source)]))
            out.append((dictionary or {}).get(source[j], copies[j]))
            replaced.append(True)
        else:
            out.append(word)
            replaced.append(False)
    return out, replaced
