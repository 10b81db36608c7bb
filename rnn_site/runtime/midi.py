"""A Standard MIDI File (format 0) writer for one melody, with the standard library only.

A MIDI file is a header chunk and track chunks. Format 0 has a single track: a list of events,
each preceded by the time since the previous one (a *delta*, in ticks) written as a
variable-length quantity (7 bits per byte, high bit set on all but the last). A melody needs
only: tempo and time-signature meta events, one program change, a note-on/note-off pair per
note (a rest is just a longer delta before the next note-on), and end-of-track.

The browser demo writes the same bytes (``docs/assets/demos/melody.js``); a test compares them.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from typing import Protocol

from rnn_site.runtime.errors import InvalidArgumentError

TICKS_PER_QUARTER = 480
VELOCITY = 80


class NoteLike(Protocol):
    """Anything with a MIDI ``pitch`` (None for a rest) and a ``duration`` in quarter notes."""

    @property
    def pitch(self) -> int | None: ...

    @property
    def duration(self) -> float: ...


def variable_length(value: int) -> bytes:
    """MIDI variable-length quantity: 7 bits per byte, most significant first."""
    if value < 0:
        raise InvalidArgumentError(f"delta time must be >= 0, got {value}")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def melody_to_midi(
    events: Iterable[NoteLike],
    *,
    tempo_bpm: float = 80.0,
    time_signature: tuple[int, int] = (4, 4),
    program: int = 0,
) -> bytes:
    """The bytes of a format-0 MIDI file playing ``events`` one after the other.

    Durations are rounded to ticks (480 per quarter note). ``program`` is the General MIDI
    instrument (0: acoustic grand piano). Raises InvalidArgumentError (a ValueError) on a pitch
    outside 0..127, a duration that is not positive or longer than 64 quarter notes, or
    settings out of range.
    """
    if not isinstance(program, int) or not 0 <= program <= 127:
        raise InvalidArgumentError(f"program must be 0..127, got {program!r}")
    if not isinstance(tempo_bpm, int | float) or not 20 <= tempo_bpm <= 400:
        raise InvalidArgumentError(f"tempo_bpm must be between 20 and 400, got {tempo_bpm!r}")
    numerator, denominator = time_signature
    if denominator not in (1, 2, 4, 8, 16) or numerator not in range(1, 33):
        raise InvalidArgumentError(f"unsupported time signature {numerator}/{denominator}")
    track = bytearray()
    track += b"\x00\xff\x51\x03" + round(60_000_000 / tempo_bpm).to_bytes(3, "big")
    track += b"\x00\xff\x58\x04" + bytes([numerator, denominator.bit_length() - 1, 24, 8])
    track += b"\x00" + bytes([0xC0, program])
    pending = 0  # ticks of rest waiting to be added to the next delta
    for index, event in enumerate(events):
        duration = float(event.duration)
        if not math.isfinite(duration) or not 0 < duration <= 64:
            raise InvalidArgumentError(
                f"event {index}: duration must be > 0 and at most 64 quarter notes, "
                f"got {event.duration}"
            )
        ticks = round(duration * TICKS_PER_QUARTER)
        if ticks <= 0:
            raise InvalidArgumentError(f"event {index}: duration must be > 0, got {event.duration}")
        if event.pitch is None:
            pending += ticks
            continue
        pitch = int(event.pitch)
        if not 0 <= pitch <= 127:
            raise InvalidArgumentError(
                f"event {index}: pitch must be a MIDI number 0..127, got {pitch}"
            )
        track += variable_length(pending) + bytes([0x90, pitch, VELOCITY])
        track += variable_length(ticks) + bytes([0x80, pitch, 0])
        pending = 0
    track += variable_length(pending) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)
