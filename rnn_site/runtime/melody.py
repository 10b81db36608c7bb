"""Generate chorale-like melodies with the exported melody LSTM (numpy + onnxruntime only).

    from rnn_site.runtime import MelodyModel
    model = MelodyModel.load("melody")
    events = model.generate([(72, 1.0), (71, 1.0), (69, 2.0)], n=32, temperature=0.8, rng_seed=0)
    model.to_midi(events, "melody.mid")

Decoding rules (the browser demo follows the same ones, so greedy output matches exactly):

- the seed is encoded as ``<bos> mode`` then its events, with bar lines placed every
  ``beats_per_bar`` quarter notes after ``pickup`` quarter notes, and fed through the step graph
  from zero state;
- before each choice, every token the grammar forbids after the previous one is masked
  (``MelodyVocab.allowed_after``; ``<eos>`` is always masked), so the output is always a valid
  sequence of events;
- then the next token is chosen as `rnn_site.runtime.char_lm.choose_next` does: greedy at
  temperature 0 (ties → lowest id), else sampled from softmax(logits / T) with
  ``numpy.random.default_rng(rng_seed)``;
- generation stops after ``n`` new events (a duration token completes an event).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from rnn_site.data.chorales import Event, MelodyVocab, mark_bars
from rnn_site.runtime.char_lm import _check_length, _check_temperature, choose_next
from rnn_site.runtime.errors import (
    InvalidArgumentError,
    InvalidDurationError,
    InvalidNoteError,
    ModelMismatchError,
)
from rnn_site.runtime.midi import melody_to_midi
from rnn_site.runtime.registry import ModelLocation, locate_verified
from rnn_site.runtime.session import open_graph

#: Most events one `generate` call writes.
MAX_EVENTS = 2000

SeedItem = Event | tuple[Any, ...] | Sequence[Any]


class MelodyModel:
    """The melody LSTM behind a checked API: generate events, write them as MIDI."""

    def __init__(self, location: ModelLocation, step: ort.InferenceSession) -> None:
        self.location = location
        self.card = location.card
        self.vocab = MelodyVocab(self.card["tokens"])
        self.config: dict[str, Any] = self.card["config"]
        self._step = step
        # The grammar mask after each token, computed once: (vocab, vocab) bool.
        self._allowed = np.stack([self.vocab.allowed_after(i) for i in range(len(self.vocab))])

    @classmethod
    def load(
        cls,
        name_or_path: str | os.PathLike[str] = "melody",
        *,
        models_dir: str | os.PathLike[str] | None = None,
        verify: bool = True,
        intra_op_threads: int = 1,
    ) -> MelodyModel:
        """Load by name ("melody" → models/melody) or directory; verify hashes and I/O.

        With `verify`, card.json and step.onnx must match models/manifest.json
        (ModelIntegrityError) and the graph must match the card's contract (ModelMismatchError).
        """
        location = locate_verified(name_or_path, models_dir, ["step"], verify=verify)
        if len(location.card["tokens"]) != location.card["config"]["vocab_size"]:
            raise ModelMismatchError(
                "card.json: the number of tokens differs from vocab_size", file="card.json"
            )
        return cls(location, open_graph(location, "step", intra_op_threads=intra_op_threads))

    # ------------------------------------------------------------------ events

    @property
    def pitch_range(self) -> tuple[int, int]:
        """Lowest and highest MIDI pitch the model knows."""
        return self.vocab.pitches[0], self.vocab.pitches[-1]

    def check_event(self, item: SeedItem, index: int = 0) -> Event:
        """An Event from an Event or a (pitch, duration[, fermata]) tuple; typed errors if not.

        pitch: MIDI number within `pitch_range` or None for a rest; duration: one of the
        model's durations in quarter notes.
        """
        if isinstance(item, Event):
            pitch, duration, fermata = item.pitch, item.duration, item.fermata
        else:
            if not isinstance(item, Sequence) or not 2 <= len(item) <= 3:
                raise InvalidArgumentError(
                    f"seed event {index} must be (pitch, duration) or (pitch, duration, "
                    f"fermata), got {item!r}"
                )
            pitch, duration = item[0], item[1]
            fermata = bool(item[2]) if len(item) == 3 else False
        low, high = self.pitch_range
        if pitch is not None and (
            isinstance(pitch, bool) or not isinstance(pitch, int | np.integer)
        ):
            raise InvalidNoteError(
                f"seed event {index}: pitch must be an int or None, got {pitch!r}"
            )
        if pitch is not None and not (low <= pitch <= high and f"p{pitch}" in self.vocab.ids):
            raise InvalidNoteError(
                f"seed event {index}: pitch {pitch} is not one the model knows; it knows MIDI "
                f"{low}..{high} except {sorted(set(range(low, high)) - set(self.vocab.pitches))}"
                " (melodies in C major / A minor; None is a rest)"
            )
        try:
            value = float(duration)
        except (TypeError, ValueError):
            value = float("nan")
        if value not in self.vocab.durations:
            raise InvalidDurationError(
                f"seed event {index}: duration {duration!r} is not one the model knows; it "
                f"knows {', '.join(f'{d:g}' for d in self.vocab.durations)} (quarter notes)"
            )
        return Event(None if pitch is None else int(pitch), value, fermata)

    # ------------------------------------------------------------------ generation

    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Zero states h, c: (layers, 1, hidden) float32."""
        shape = (self.config["num_layers"], 1, self.config["hidden_size"])
        return np.zeros(shape, np.float32), np.zeros(shape, np.float32)

    def generate(
        self,
        seed: Iterable[SeedItem] = (),
        n: int = 32,
        temperature: float = 1.0,
        rng_seed: int | None = None,
        *,
        mode: str = "major",
        beats_per_bar: float = 4.0,
        pickup: float = 0.0,
    ) -> list[Event]:
        """Continue ``seed`` with ``n`` new events and return them (without the seed).

        seed: events or (pitch, duration[, fermata]) tuples, in C major (mode="major") or
        A minor (mode="minor"); may be empty. temperature 0 is greedy; otherwise ``rng_seed``
        makes sampling reproducible. Bar lines come every ``beats_per_bar`` quarter notes after
        a ``pickup``. Returned events carry ``bar`` and ``fermata`` as the model wrote them.
        """
        n = _check_length(n, "n", MAX_EVENTS, minimum=1)
        temperature = _check_temperature(temperature)
        if mode not in ("major", "minor"):
            raise InvalidArgumentError(f"mode must be 'major' or 'minor', got {mode!r}")
        if not 1 <= float(beats_per_bar) <= 16 or not 0 <= float(pickup) < float(beats_per_bar):
            raise InvalidArgumentError(
                f"beats_per_bar must be 1..16 and 0 <= pickup < beats_per_bar, got "
                f"{beats_per_bar} and {pickup}"
            )
        events = mark_bars(
            [self.check_event(item, i) for i, item in enumerate(seed)], beats_per_bar, pickup
        )
        ids = list(self.vocab.encode(mode, events, end=False))
        rng = np.random.default_rng(rng_seed)
        h, c = self.initial_state()
        logits = np.empty(0)
        for token in ids:
            logits, h, c = self._step.run(None, {"token": np.array([token]), "h": h, "c": c})
        # --8<-- [start:sample]
        made, out = 0, list[int]()
        while made < n:
            masked = np.where(self._allowed[out[-1] if out else ids[-1]], logits[0], -np.inf)
            token = choose_next(masked, temperature, None, rng)
            out.append(token)
            made += self.vocab.kind(token) == "duration"
            if made < n:
                logits, h, c = self._step.run(
                    None, {"token": np.array([token], np.int64), "h": h, "c": c}
                )
        # --8<-- [end:sample]
        # A fermata sampled first belongs to the seed's last event, which is not returned.
        if out and self.vocab.kind(out[0]) == "fermata":
            out = out[1:]
        return self.vocab.decode(out)

    # ------------------------------------------------------------------ MIDI

    def to_midi(
        self,
        events: Iterable[Event],
        path: str | os.PathLike[str] | None = None,
        *,
        tempo_bpm: float = 80.0,
        beats_per_bar: int = 4,
    ) -> bytes:
        """A format-0 MIDI file of ``events`` (returned, and written to ``path`` if given)."""
        data = melody_to_midi(list(events), tempo_bpm=tempo_bpm, time_signature=(beats_per_bar, 4))
        if path is not None:
            Path(path).write_bytes(data)
        return data
