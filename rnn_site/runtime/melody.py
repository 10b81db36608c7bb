"""Generate chorale-like melodies with the exported melody LSTM (numpy + onnxruntime only).

    from rnn_site.runtime import MelodyModel
    model = MelodyModel.load("melody")
    events = model.generate([(72, 1.0), (71, 1.0), (69, 2.0)], n=32, temperature=0.8, seed=0)
    model.to_midi(events, "melody.mid")

Decoding rules (the browser demo follows the same ones, so greedy output matches exactly):

- the prompt is encoded as ``<bos> mode`` then its events, with bar lines placed every
  ``beats_per_bar`` quarter notes after ``pickup`` quarter notes, and fed through the step graph
  from zero state;
- before each choice, every token the grammar forbids after the previous one is masked
  (``MelodyVocab.allowed_after``; ``<eos>`` is always masked), so the output is always a valid
  sequence of events;
- then the next token is chosen as `rnn_site.runtime.char_lm.choose_next` does: greedy at
  temperature 0 (ties → lowest id), else sampled from softmax(logits / T) with
  ``numpy.random.default_rng(seed)``;
- generation stops after ``n`` new events (a duration token completes an event).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.card import MusicGenerationCard
from rnn_site.data.chorales import Event, MelodyVocab, mark_bars
from rnn_site.runtime.base import RuntimeModel
from rnn_site.runtime.char_lm import choose_next
from rnn_site.runtime.checks import (
    MISSING,
    check_choice,
    check_int,
    check_number,
    check_seed,
    check_temperature,
    is_integer,
    renamed,
)
from rnn_site.runtime.errors import (
    InvalidArgumentError,
    InvalidDurationError,
    InvalidNoteError,
    ModelMismatchError,
)
from rnn_site.runtime.midi import melody_to_midi

#: Most events one `generate` call writes, and most events a prompt or a MIDI file may hold.
MAX_EVENTS = 2000

SeedItem = Event | tuple[Any, ...] | Sequence[Any]


class MelodyModel(RuntimeModel[MusicGenerationCard]):
    """The melody LSTM behind a checked API: generate events, write them as MIDI.

    Build it with `load` ("melody" → models/melody, see `rnn_site.runtime.base.RuntimeModel`).
    """

    task = "music-generation"
    default_model = "melody"
    graphs = ("step",)

    def read_card(self) -> None:
        if len(self.card["tokens"]) != self.card["config"]["vocab_size"]:
            raise ModelMismatchError(
                "card.json: the number of tokens differs from vocab_size", file="card.json"
            )
        self.vocab = MelodyVocab(self.card["tokens"])
        self.config: dict[str, Any] = self.card["config"]
        # The grammar mask after each token, computed once: (vocab, vocab) bool.
        self._allowed = np.stack([self.vocab.allowed_after(i) for i in range(len(self.vocab))])
        self._step = self.session("step")

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
            if (
                isinstance(item, str | bytes)
                or not isinstance(item, Sequence)
                or not (2 <= len(item) <= 3)
            ):
                raise InvalidArgumentError(
                    f"event {index} must be (pitch, duration) or (pitch, duration, "
                    f"fermata), got {type(item).__name__} {str(item)[:40]}"
                )
            pitch, duration = item[0], item[1]
            fermata = item[2] if len(item) == 3 else False
        if not isinstance(fermata, bool | np.bool_) and not (
            is_integer(fermata) and fermata in (0, 1)
        ):
            raise InvalidArgumentError(f"event {index}: fermata must be True or False")
        low, high = self.pitch_range
        if pitch is not None and not is_integer(pitch):
            raise InvalidNoteError(
                f"event {index}: pitch must be an int or None, got {type(pitch).__name__}"
            )
        if pitch is not None and not (low <= pitch <= high and f"p{pitch}" in self.vocab.ids):
            pitch_text = pitch if abs(int(pitch)) < 10**6 else "out of range"
            raise InvalidNoteError(
                f"event {index}: pitch {pitch_text} is not one the model knows; it knows MIDI "
                f"{low}..{high} except {sorted(set(range(low, high)) - set(self.vocab.pitches))}"
                " (melodies in C major / A minor; None is a rest)"
            )
        durations = ", ".join(f"{d:g}" for d in self.vocab.durations)
        if isinstance(duration, bool | np.bool_) or not isinstance(
            duration, int | float | np.integer | np.floating
        ):
            shown = repr(duration)[:40] if isinstance(duration, str) else type(duration).__name__
            raise InvalidDurationError(
                f"event {index}: duration {shown} is not one the model knows; it knows "
                f"{durations} (quarter notes)"
            )
        try:
            value = float(duration)
        except OverflowError:
            value = float("nan")
        if value not in self.vocab.durations:
            raise InvalidDurationError(
                f"event {index}: duration {value:g} is not one the model knows; it "
                f"knows {durations} (quarter notes)"
            )
        return Event(None if pitch is None else int(pitch), value, bool(fermata))

    # ------------------------------------------------------------------ generation

    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Zero states h, c: (layers, 1, hidden) float32."""
        shape = (self.config["num_layers"], 1, self.config["hidden_size"])
        return np.zeros(shape, np.float32), np.zeros(shape, np.float32)

    def generate(
        self,
        prompt: Iterable[SeedItem] = (),
        n: int = 32,
        temperature: float = 1.0,
        seed: int | None = None,
        *,
        mode: str = "major",
        beats_per_bar: float = 4.0,
        pickup: float = 0.0,
        rng_seed: Any = MISSING,
    ) -> list[Event]:
        """Continue ``prompt`` with ``n`` new events and return them (without the prompt).

        prompt: events or (pitch, duration[, fermata]) tuples, in C major (mode="major") or
        A minor (mode="minor"); may be empty; at most 2,000 (`MAX_EVENTS`). n: 1 to 2,000.
        temperature 0 is greedy (at most 1e6); otherwise ``seed`` (None or 0 to 2**63 - 1)
        makes sampling reproducible. Bar lines come every ``beats_per_bar`` (1 to 16) quarter
        notes after a ``pickup`` (0 ≤ pickup < beats_per_bar). Returned events carry ``bar``
        and ``fermata`` as the model wrote them.

        Renamed in this release: the events were ``seed`` and the random seed ``rng_seed``, as
        no other runtime called them. ``rng_seed=`` and a sequence of events passed as
        ``seed=`` still work, with a DeprecationWarning, until the next release.
        """
        old_events = not is_integer(seed) and not isinstance(seed, str | bytes)
        if seed is not None and old_events and isinstance(seed, Iterable):
            prompt = renamed("seed", seed, "prompt", prompt, ())  # the old meaning of `seed`
            seed = None
        seed = renamed("rng_seed", rng_seed, "seed", seed, None)
        n = check_int(n, "n", 1, MAX_EVENTS)
        temperature = check_temperature(temperature)
        seed = check_seed(seed)
        check_choice(mode, "mode", ("major", "minor"))
        bar = check_number(beats_per_bar, "beats_per_bar", 1, 16)
        start = check_number(pickup, "pickup", 0, 16)
        if not start < bar:
            raise InvalidArgumentError(
                f"pickup must be less than beats_per_bar, got {start:g} and {bar:g}"
            )
        items = self._prompt_items(prompt)
        events = mark_bars([self.check_event(item, i) for i, item in enumerate(items)], bar, start)
        ids = list(self.vocab.encode(mode, events, end=False))
        rng = np.random.default_rng(seed)
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

    @staticmethod
    def _prompt_items(prompt: object) -> list[Any]:
        """The prompt as a list of at most `MAX_EVENTS` items (each checked by check_event)."""
        if prompt is None:
            return []
        if isinstance(prompt, str | bytes | Event) or not isinstance(prompt, Iterable):
            raise InvalidArgumentError(
                "prompt must be a sequence of events or (pitch, duration) tuples, got "
                f"{type(prompt).__name__}"
            )
        items = []
        try:
            for item in prompt:
                items.append(item)
                if len(items) > MAX_EVENTS:
                    raise InvalidArgumentError(f"prompt has more than {MAX_EVENTS:,} events")
        except TypeError:  # a 0-d array claims to be iterable
            raise InvalidArgumentError(
                f"prompt must be a sequence of events, got {type(prompt).__name__}"
            ) from None
        return items

    # ------------------------------------------------------------------ MIDI

    def to_midi(
        self,
        events: Iterable[Event],
        path: str | os.PathLike[str] | None = None,
        *,
        tempo_bpm: float = 80.0,
        beats_per_bar: int = 4,
    ) -> bytes:
        """A format-0 MIDI file of ``events`` (returned, and written to ``path`` if given).

        events: Events or (pitch, duration[, fermata]) tuples, at most 2,000, as `generate`
        returns them; any MIDI pitch 0..127 (None for a rest) and durations from 1/480 to 64
        quarter notes are written, not only those the model knows. tempo_bpm 20 to 400;
        beats_per_bar 1 to 32. Typed errors (InvalidArgumentError and its subclasses) say what
        is wrong.
        """
        if events is None:
            raise InvalidArgumentError("events must be a sequence of events, got None")
        tempo = check_number(tempo_bpm, "tempo_bpm", 20, 400)
        bar = check_int(beats_per_bar, "beats_per_bar", 1, 32, InvalidArgumentError)
        checked = [_midi_event(item, i) for i, item in enumerate(self._prompt_items(events))]
        data = melody_to_midi(checked, tempo_bpm=tempo, time_signature=(bar, 4))
        if path is not None:
            Path(path).write_bytes(data)
        return data


def _midi_event(item: object, index: int) -> Event:
    """An Event any MIDI file can hold (pitch 0..127 or None, 1/480 to 64 quarter notes)."""
    if isinstance(item, Event):
        pitch, duration = item.pitch, item.duration
    elif isinstance(item, Sequence) and not isinstance(item, str | bytes) and 2 <= len(item) <= 3:
        pitch, duration = item[0], item[1]
    else:
        raise InvalidArgumentError(
            f"event {index} must be an Event or (pitch, duration), got {type(item).__name__}"
        )
    if pitch is not None:
        pitch = check_int(pitch, f"event {index}: pitch", 0, 127, InvalidNoteError)
    value = check_number(duration, f"event {index}: duration", 1 / 480, 64, InvalidDurationError)
    return Event(pitch, value)
