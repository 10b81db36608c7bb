"""Baseline for isolated words: dynamic time warping (DTW) against recorded templates.

The recogniser of the 1970s: keep a few examples ("templates") of every word; to recognise a new
clip, stretch and squeeze its time axis against each template so that similar frames line up,
and answer the word of the template that lines up best. No learning beyond storing examples,
no recurrence. It sees the same log-mel features as the LSTM (:func:`rnn_site.data.audio.log_mel`),
averaged over pairs of frames (20 ms steps: half the work, no loss for whole words).

Alignment (Sakoe & Chiba's dynamic programming, one step per query frame):
``D[i, j] = d(q_i, t_j) + min(D[i-1, j], D[i-1, j-1], D[i-1, j-2], D[i-1, j-3])``: the
template may be squeezed up to three times and stretched at will; the score is
``D[last, last] / query frames`` with
Euclidean frame distances. Vectorised over templates and template frames, so only the query's
frames are a Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnn_site.data.audio import log_mel


def dtw_features(audio: np.ndarray) -> np.ndarray:
    """16 kHz audio → (frames, 40) log-mel averaged over pairs of 10 ms frames."""
    feats = log_mel(audio)
    if len(feats) % 2:
        feats = np.concatenate([feats, feats[-1:]])
    return feats.reshape(-1, 2, feats.shape[1]).mean(axis=1)


class DTWClassifier:
    """1-nearest-template classifier under DTW; templates: (features, label) pairs."""

    def __init__(self, templates: Sequence[tuple[np.ndarray, str]]) -> None:
        if not templates:
            raise ValueError("DTW needs at least one template")
        self.labels = [label for _, label in templates]
        self.lengths = np.array([len(f) for f, _ in templates])
        width, dim = int(self.lengths.max()), templates[0][0].shape[1]
        self.bank = np.zeros((len(templates), width, dim), dtype=np.float32)
        for row, (feats, _) in enumerate(templates):
            self.bank[row, : len(feats)] = feats

    def distances(self, query: np.ndarray) -> np.ndarray:
        """DTW score of `query` (frames, dim) against every template (lower is closer)."""
        q = np.asarray(query, dtype=np.float32)
        # (templates, query frames, template frames) Euclidean distances, all at once.
        cost = np.sqrt(
            np.maximum(
                (q**2).sum(-1)[None, :, None]
                + (self.bank**2).sum(-1)[:, None, :]
                - 2 * np.einsum("qd,ktd->kqt", q, self.bank),
                0.0,
            )
        )
        width = self.bank.shape[1]
        padding = np.arange(width)[None, :] >= self.lengths[:, None]  # (templates, width)
        cost = np.where(padding[:, None, :], np.inf, cost)
        acc = np.full((len(self.bank), width), np.inf, dtype=np.float64)
        acc[:, 0] = cost[:, 0, 0]
        for i in range(1, len(q)):
            stay = acc
            diagonal = np.pad(acc[:, :-1], ((0, 0), (1, 0)), constant_values=np.inf)
            skip = np.pad(acc[:, :-2], ((0, 0), (2, 0)), constant_values=np.inf)
            skip2 = np.pad(acc[:, :-3], ((0, 0), (3, 0)), constant_values=np.inf)
            best = np.minimum(np.minimum(stay, diagonal), np.minimum(skip, skip2))
            acc = cost[:, i, :] + best
        return acc[np.arange(len(acc)), self.lengths - 1] / len(q)

    def predict(self, query: np.ndarray) -> str:
        """The label of the closest template."""
        return self.labels[int(np.argmin(self.distances(query)))]


def pick_templates(
    utterances: Sequence[tuple[np.ndarray, str, str]], per_label: int, seed: int = 0
) -> list[tuple[np.ndarray, str]]:
    """At most `per_label` (audio, label, voice) examples per label, from as many voices as
    possible (round-robin over voices in a seeded order) → (features, label) templates."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, dict[str, list[np.ndarray]]] = {}
    for audio, label, voice in utterances:
        by_label.setdefault(label, {}).setdefault(voice, []).append(audio)
    templates = []
    for label in sorted(by_label):
        voices = sorted(by_label[label])
        voices = [voices[i] for i in rng.permutation(len(voices))]
        chosen: list[np.ndarray] = []
        round_ = 0
        while len(chosen) < per_label and any(len(by_label[label][v]) > round_ for v in voices):
            chosen += [
                by_label[label][v][round_] for v in voices if len(by_label[label][v]) > round_
            ]
            round_ += 1
        templates += [(dtw_features(a), label) for a in chosen[:per_label]]
    return templates
