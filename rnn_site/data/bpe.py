"""Byte-pair encoding (Sennrich, Haddow and Birch, 2016): words as sequences of frequent pieces.

German glues words together ("Abmeldebestätigung"), so a vocabulary of whole words is either
huge or full of unknowns. BPE starts from single characters and repeatedly merges the most
frequent adjacent pair in the training words, so frequent words end up as one piece and rare
ones as a few ("abmelde@@ bestätigung"). The translator *writes* German in pieces and never has
to read it, so only training needs the merges; turning pieces back into words
(:func:`join`) is one rule, repeated in the browser: a piece ending in ``@@`` continues into
the next one.

Learning is deterministic: ties between equally frequent pairs go to the alphabetically first.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise

SEP = "@@"  # suffix of a piece that continues into the next
_END = "</w>"  # end-of-word mark while learning, so "er" inside a word differs from final "er"


def _symbols(word: str) -> list[str]:
    """A word as its letters, the last one marked as ending the word."""
    return [*word[:-1], word[-1] + _END]


def learn_merges(counts: Counter[str], n_merges: int) -> list[tuple[str, str]]:
    """The first `n_merges` merges for words with these counts (fewer if nothing is left)."""
    words = [_symbols(w) for w in sorted(counts)]
    freq = [counts[w] for w in sorted(counts)]
    pairs: Counter[tuple[str, str]] = Counter()
    where: defaultdict[tuple[str, str], set[int]] = defaultdict(set)

    def count(i: int, sign: int) -> list[tuple[str, str]]:
        touched = list(pairwise(words[i]))
        for pair in touched:
            pairs[pair] += sign * freq[i]
            if sign > 0:
                where[pair].add(i)
        return touched

    for i in range(len(words)):
        count(i, +1)
    # A heap of (-count, pair); entries go stale when a count changes and are skipped on pop.
    heap = [(-n, pair) for pair, n in pairs.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    while heap and len(merges) < n_merges:
        n, pair = heapq.heappop(heap)
        if -n != pairs[pair] or -n <= 0:
            continue
        merges.append(pair)
        merged = pair[0] + pair[1]
        changed = set()
        for i in sorted(where.pop(pair)):
            symbols = words[i]
            if not any(a == pair[0] and b == pair[1] for a, b in pairwise(symbols)):
                continue
            changed.update(count(i, -1))
            out, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and (symbols[j], symbols[j + 1]) == pair:
                    out.append(merged)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            words[i] = out
            changed.update(count(i, +1))
        for p in changed:
            if pairs[p] > 0:
                heapq.heappush(heap, (-pairs[p], p))
    return merges


def segment(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """One word → its pieces, applying the learned merges in the order they were learned."""
    symbols = _symbols(word)
    while len(symbols) > 1:
        ranked = [(ranks.get(p, len(ranks)), k) for k, p in enumerate(pairwise(symbols))]
        rank, k = min(ranked)
        if rank == len(ranks):
            break
        symbols[k : k + 2] = [symbols[k] + symbols[k + 1]]
    return [s.removesuffix(_END) if s.endswith(_END) else s + SEP for s in symbols]


class BPE:
    """Learned merges, applied to token lists: ``encode(["abmeldung"]) → ["ab@@", "meldung"]``."""

    def __init__(self, merges: Sequence[tuple[str, str]]) -> None:
        self.merges = [(a, b) for a, b in merges]
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def learn(cls, tokens: Iterable[str], n_merges: int) -> BPE:
        """Learn `n_merges` merges from a stream of word tokens (each occurrence counts)."""
        return cls(learn_merges(Counter(tokens), n_merges))

    def encode(self, tokens: Sequence[str]) -> list[str]:
        """Words → pieces; each distinct word is segmented once and cached (words repeat)."""
        out = []
        for token in tokens:
            if token not in self._cache:
                self._cache[token] = segment(token, self.ranks)
            out += self._cache[token]
        return out


# --8<-- [start:join]
def join(pieces: Sequence[str]) -> list[str]:
    """Pieces → words: a piece ending in ``@@`` continues into the next one."""
    words, current = [], ""
    for piece in pieces:
        if piece.endswith(SEP):
            current += piece[: -len(SEP)]
        else:
            words.append(current + piece)
            current = ""
    if current:
        words.append(current)  # output cut off mid-word (max_len): keep what is there
    return words


# --8<-- [end:join]
