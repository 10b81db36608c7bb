"""Soprano melodies of the Bach chorales, as (pitch, duration) events and as tokens.

Source: the chorales bundled with music21 (BSD-3), in Riemenschneider numbering (371 entries,
350 distinct files: 21 numbers point at a file already listed, and each file is kept once).
Parsing them with music21 takes a while, so :func:`build_cache` does it once and writes a small
versioned file next to this module (``chorales-v1.json.gz``); everything else reads that file
with the standard library and numpy, and never needs music21.

Choices, each for a reason:

- **The soprano by part name**, not by position: about 20 scores list trumpets, horns or
  timpani first. Scores converted from Humdrum have no part names; there the first part in score
  order (the highest spine) is the soprano.
- **Ties are merged** into one event (a held note is one note to the ear), grace notes dropped,
  and a chord in the soprano (rare) keeps its top note.
- **Normalised to C major / A minor** (key found by music21's Krumhansl-Schmuckler analysis of
  the whole score), rather than augmented with 12 transpositions: 18.8k events are few, and one
  key per mode lets the model spend them on melody rather than on learning 12 copies of it.
  The shift is the one of -6..+5 semitones, so melodies stay in the soprano range.
- **Split by tune**: Bach harmonised many hymn tunes several times. Chorales whose first eight
  normalised pitches agree share a tune, and a tune goes wholly to train, validation or test, so
  the test score measures new melodies rather than recall of harmonisations seen in training.

Tokens (see :class:`MelodyVocab`): a chorale is
``<bos> major|minor [bar] pitch|rest duration [fermata] ... <eos>``. Pitch and duration are
separate tokens (about 30 + 12 of them) rather than one token per (pitch, duration) pair
(hundreds, most seen a handful of times), so what the model learns about a pitch is shared by all
its durations. ``bar`` marks an event that starts on a bar line (metre), ``fermata`` the end of a
chorale line (phrasing).
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.data._cache import require_cache
from rnn_site.files import atomic_path

VERSION = 1
CACHE_PATH = Path(__file__).with_name(f"chorales-v{VERSION}.json.gz")
INSTALL_HINT = "pip install music21==10.5.1  (only needed to rebuild the cached data file)"

#: Pitch classes "in key" after normalisation: C major's scale; A natural minor plus the raised
#: leading tone G# (harmonic minor), which chorales in minor use at almost every cadence.
IN_KEY = {"major": frozenset({0, 2, 4, 5, 7, 9, 11}), "minor": frozenset({9, 11, 0, 2, 4, 5, 7, 8})}
TONIC = {"major": 0, "minor": 9}

# Split by tune (see the module docstring): tune group index modulo 10.
_VAL_BUCKET, _TEST_BUCKET = 5, 0
_TUNE_PREFIX = 8


@dataclass(frozen=True)
class Event:
    """One note or rest. pitch: MIDI number or None for a rest; duration in quarter notes."""

    pitch: int | None
    duration: float
    fermata: bool = False
    bar: bool = False


@dataclass(frozen=True)
class Chorale:
    """One chorale's soprano line, normalised to C major / A minor."""

    number: int  # Riemenschneider number of the first entry for this file
    file: str  # music21 corpus path, e.g. "bach/bwv269"
    key: str  # as analysed, before normalisation, e.g. "G major"
    mode: str  # "major" | "minor"
    transpose: int  # semitones added to every pitch to normalise
    time_signature: str
    pickup: float  # quarter notes before the first bar line
    events: tuple[Event, ...]


# --------------------------------------------------------------------------- parsing (music21)


def _soprano(score: Any) -> tuple[Any, str]:
    """The soprano part of a music21 score, and how it was found."""
    for part in score.parts:
        if "soprano" in (part.partName or "").lower():
            return part, "name"
    if all(not part.partName for part in score.parts):
        return score.parts[0], "first part (no part names)"
    names = [part.partName for part in score.parts]
    raise ValueError(f"no soprano part among {names}")


def _events(part: Any) -> tuple[list[list[Any]], float]:
    """[[pitch|None, quarterLength, fermata 0/1, bar 0/1], ...] and the pickup length."""
    from music21 import chord, expressions, note

    events: list[list[Any]] = []
    measures = list(part.getElementsByClass("Measure"))
    pickup = 0.0
    if measures and float(measures[0].paddingLeft) > 0:  # an anacrusis: the bar is incomplete
        pickup = float(measures[0].duration.quarterLength)
    for measure in measures:
        for element in measure.notesAndRests:
            length = float(element.quarterLength)
            if length == 0:  # grace note
                continue
            fermata = int(any(isinstance(x, expressions.Fermata) for x in element.expressions))
            if isinstance(element, chord.Chord):
                pitch: int | None = max(p.midi for p in element.pitches)
            elif isinstance(element, note.Note):
                pitch = element.pitch.midi
            else:
                pitch = None
            tie = getattr(element, "tie", None)
            tied = tie is not None and tie.type in ("stop", "continue")
            if tied and events and events[-1][0] == pitch:
                events[-1][1] += length
                events[-1][2] = max(events[-1][2], fermata)
                continue
            at_bar = int(float(element.offset) == 0 and float(measure.paddingLeft) == 0)
            events.append([pitch, length, fermata, at_bar])
    return events, pickup


def parse_corpus(progress: bool = True) -> dict[str, Any]:
    """Parse every chorale with music21 (about a minute) into the cache's plain-data layout."""
    from music21 import corpus
    from tqdm.auto import tqdm

    names = list(corpus.chorales.Iterator(numberingSystem="riemenschneider", returnType="filename"))
    seen: set[str] = set()
    chorales = []
    for number, name in enumerate(tqdm(names, disable=not progress, desc="chorales"), start=1):
        if name in seen:
            continue
        seen.add(name)
        score = corpus.parse(name)
        part, found_by = _soprano(score)
        key = score.analyze("key")
        mode = "minor" if key.mode == "minor" else "major"
        shift = (TONIC[mode] - key.tonic.pitchClass) % 12
        shift = shift - 12 if shift > 5 else shift
        signatures = part.recurse().getElementsByClass("TimeSignature")
        events, pickup = _events(part)
        chorales.append(
            {
                "number": number,
                "file": name,
                "soprano": found_by,
                "key": f"{key.tonic.name} {mode}",
                "mode": mode,
                "transpose": shift,
                "time_signature": signatures[0].ratioString if signatures else "4/4",
                "pickup": pickup,
                "events": events,
            }
        )
    import music21

    return {
        "version": VERSION,
        "source": f"music21 {music21.__version__} corpus, Riemenschneider numbering",
        "licence": "BSD-3-Clause (music21 and its corpus)",
        "event_layout": ["midi pitch or null (rest)", "quarter notes", "fermata", "starts a bar"],
        "chorales": chorales,
    }


def build_cache(path: str | Path = CACHE_PATH, progress: bool = True) -> Path:
    """Parse the corpus and write the gzipped JSON cache atomically (deterministic bytes)."""
    data = parse_corpus(progress)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    # mtime=0: the same corpus always gives the same bytes (and the same sha256).
    with (
        atomic_path(path) as tmp,
        open(tmp, "wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz,
    ):
        gz.write(raw)
    return Path(path)


# --------------------------------------------------------------------------- loading


def load_chorales(path: str | Path = CACHE_PATH) -> list[Chorale]:
    """The cached chorales, normalised to C major / A minor (standard library only)."""
    path = require_cache(path, "rnn_site.data.chorales", INSTALL_HINT)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("version") != VERSION:
        raise ValueError(f"{path} is version {data.get('version')}, this code reads {VERSION}")
    return [
        Chorale(
            number=c["number"],
            file=c["file"],
            key=c["key"],
            mode=c["mode"],
            transpose=c["transpose"],
            time_signature=c["time_signature"],
            pickup=c["pickup"],
            events=tuple(
                Event(None if p is None else p + c["transpose"], d, bool(f), bool(b))
                for p, d, f, b in c["events"]
            ),
        )
        for c in data["chorales"]
    ]


@dataclass(frozen=True)
class ChoraleSplits:
    """Train / validation / test chorales, split by tune (see the module docstring)."""

    train: list[Chorale]
    val: list[Chorale]
    test: list[Chorale]


def split_by_tune(chorales: Sequence[Chorale]) -> ChoraleSplits:
    """Group chorales by their first eight pitches, send each group to one split (deterministic)."""
    groups: dict[tuple[Any, ...], int] = {}
    buckets: dict[str, list[Chorale]] = {"train": [], "val": [], "test": []}
    for chorale in chorales:
        tune = (chorale.mode, *(e.pitch for e in chorale.events[:_TUNE_PREFIX]))
        group = groups.setdefault(tune, len(groups))
        bucket = group % 10
        split = "test" if bucket == _TEST_BUCKET else "val" if bucket == _VAL_BUCKET else "train"
        buckets[split].append(chorale)
    return ChoraleSplits(**buckets)


# --------------------------------------------------------------------------- tokens


def duration_name(duration: float) -> str:
    """Token name of a duration: "d" + quarter notes, shortest exact form ("d1", "d0.5")."""
    return f"d{duration:g}"


class MelodyVocab:
    """Token names ↔ ids, and events ↔ token ids. Built from a list of names (the card's).

    Names: ``<bos>``, ``<eos>``, ``major``, ``minor``, ``bar``, ``fermata``, ``rest``,
    ``p<midi>`` for pitches and ``d<quarters>`` for durations.
    """

    SPECIAL = ("<bos>", "<eos>", "major", "minor", "bar", "fermata", "rest")

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.ids = {name: i for i, name in enumerate(self.names)}
        if len(self.ids) != len(self.names):
            raise ValueError("token names must be distinct")
        missing = [n for n in self.SPECIAL if n not in self.ids]
        if missing:
            raise ValueError(f"vocabulary lacks the tokens {missing}")
        self.pitches = sorted(int(n[1:]) for n in self.names if n.startswith("p"))
        self.durations = sorted(float(n[1:]) for n in self.names if n.startswith("d"))

    @classmethod
    def from_chorales(cls, chorales: Iterable[Chorale]) -> MelodyVocab:
        """Every pitch and duration that occurs in ``chorales``, in ascending order."""
        pitches: set[int] = set()
        durations: set[float] = set()
        for chorale in chorales:
            for event in chorale.events:
                if event.pitch is not None:
                    pitches.add(event.pitch)
                durations.add(event.duration)
        return cls(
            [
                *cls.SPECIAL,
                *(f"p{p}" for p in sorted(pitches)),
                *(duration_name(d) for d in sorted(durations)),
            ]
        )

    def __len__(self) -> int:
        return len(self.names)

    def kind(self, token: int) -> str:
        """ "pitch" (pitches and rest), "duration", or the token's own name for the others."""
        name = self.names[int(token)]
        if name == "rest" or name.startswith("p"):
            return "pitch"
        return "duration" if name.startswith("d") else name

    def allowed_after(self, token: int, *, end: bool = False) -> np.ndarray:
        """Which tokens may follow ``token`` in a well-formed melody: bool (vocab,).

        The grammar: ``<bos>`` → mode → [bar] pitch|rest → duration → [fermata] → [bar]
        pitch|rest ... A sampler that masks everything else can only write valid events, so
        every generated melody becomes a valid MIDI file. ``<eos>`` is allowed only with ``end``
        (generation of a fixed number of events never ends early).
        """
        kinds = np.array([self.kind(i) for i in range(len(self))])
        previous = self.kind(token)
        # --8<-- [start:grammar]
        follows = {
            "<bos>": {"major", "minor"},
            "major": {"bar", "pitch"},
            "minor": {"bar", "pitch"},
            "bar": {"pitch"},
            "pitch": {"duration"},
            "duration": {"bar", "pitch", "fermata", "<eos>"},
            "fermata": {"bar", "pitch", "<eos>"},
            "<eos>": set(),
        }[previous]
        # --8<-- [end:grammar]
        if not end:
            follows = follows - {"<eos>"}
        return np.isin(kinds, sorted(follows))

    def event_tokens(self, event: Event) -> list[int]:
        """The ids of one event: [bar] pitch|rest duration [fermata]; ValueError if unknown."""
        pitch = "rest" if event.pitch is None else f"p{event.pitch}"
        duration = duration_name(event.duration)
        if pitch not in self.ids:
            raise ValueError(
                f"pitch {event.pitch} is outside the model's range "
                f"{self.pitches[0]}..{self.pitches[-1]} (MIDI numbers, C major / A minor)"
            )
        if duration not in self.ids:
            raise ValueError(
                f"duration {event.duration:g} is not one the model knows; it knows "
                f"{', '.join(f'{d:g}' for d in self.durations)} (quarter notes)"
            )
        ids = [self.ids["bar"]] if event.bar else []
        ids += [self.ids[pitch], self.ids[duration]]
        if event.fermata:
            ids.append(self.ids["fermata"])
        return ids

    def encode(self, mode: str, events: Iterable[Event], end: bool = True) -> np.ndarray:
        """``<bos> mode event-tokens... [<eos>]`` as int64 ids (len,)."""
        if mode not in ("major", "minor"):
            raise ValueError(f"mode must be 'major' or 'minor', got {mode!r}")
        ids = [self.ids["<bos>"], self.ids[mode]]
        for event in events:
            ids += self.event_tokens(event)
        if end:
            ids.append(self.ids["<eos>"])
        return np.array(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[Event]:
        """Token ids → events; structure tokens attach to the event they belong to.

        Tolerant of grammar slips (a duration without a pitch is skipped) so it can read what
        an unconstrained sampler writes; the runtime's sampler never produces them.
        """
        events: list[Event] = []
        pitch: int | str | None = "none"
        bar = False
        for token in ids:
            name = self.names[int(token)]
            if name == "bar":
                bar = True
            elif name == "rest" or name.startswith("p"):
                pitch = None if name == "rest" else int(name[1:])
            elif name.startswith("d") and pitch != "none":
                events.append(Event(pitch, float(name[1:]), False, bar))  # type: ignore[arg-type]
                pitch, bar = "none", False
            elif name == "fermata" and events:
                last = events[-1]
                events[-1] = Event(last.pitch, last.duration, True, last.bar)
        return events


def mark_bars(
    events: Iterable[Event], beats_per_bar: float = 4.0, pickup: float = 0.0
) -> list[Event]:
    """Copies of ``events`` whose ``bar`` says whether they start on a bar line.

    Bar lines fall every ``beats_per_bar`` quarter notes after a ``pickup`` (anacrusis) of that
    many quarter notes; with no pickup the first event starts a bar. This is how a melody typed
    by a reader gets its bar tokens (the corpus has them from the score).
    """
    out, offset = [], 0.0
    for e in events:
        bar = offset >= pickup and abs((offset - pickup) % beats_per_bar) < 1e-9
        out.append(Event(e.pitch, e.duration, e.fermata, bar))
        offset += e.duration
    return out


# --------------------------------------------------------------------------- statistics

#: Interval histogram bins in semitones (clipped): -12..+12, so leaps beyond an octave pool.
INTERVAL_RANGE = 12


def melody_statistics(melodies: Sequence[tuple[str, Sequence[Event]]]) -> dict[str, Any]:
    """Statistics that tell a chorale melody from noise, for real and generated melodies alike.

    melodies: (mode, events) pairs. Returns the mean pitch range per melody (semitones), the
    share of in-key notes (see IN_KEY), the share of steps (|interval| <= 2) and of leaps
    larger than a fifth, the share of notes ending on the tonic, and the melodic interval
    histogram (share per interval -12..+12, clipped).
    """
    ranges, in_key, total, intervals = [], 0, 0, []
    for mode, events in melodies:
        pitches = [e.pitch for e in events if e.pitch is not None]
        if not pitches:
            continue
        ranges.append(max(pitches) - min(pitches))
        in_key += sum(p % 12 in IN_KEY[mode] for p in pitches)
        total += len(pitches)
        intervals += [b - a for a, b in itertools.pairwise(pitches)]
    steps = np.clip(np.array(intervals, dtype=np.int64), -INTERVAL_RANGE, INTERVAL_RANGE)
    histogram = np.bincount(steps + INTERVAL_RANGE, minlength=2 * INTERVAL_RANGE + 1)
    share = histogram / max(histogram.sum(), 1)
    return {
        "melodies": len(ranges),
        "notes": total,
        "pitch_range": float(np.mean(ranges)) if ranges else math.nan,
        "in_key": in_key / max(total, 1),
        "steps": float(np.mean(np.abs(steps) <= 2)) if len(steps) else math.nan,
        "leaps_over_fifth": float(np.mean(np.abs(steps) > 7)) if len(steps) else math.nan,
        "repeated_notes": float(np.mean(steps == 0)) if len(steps) else math.nan,
        "interval_histogram": {str(k - INTERVAL_RANGE): float(v) for k, v in enumerate(share)},
    }


def histogram_distance(a: dict[str, float], b: dict[str, float]) -> float:
    """Total variation distance between two interval histograms: 0 same, 1 disjoint.

    The keys are summed in sorted order: a set of strings iterates in a per-process order
    (hash randomisation), which moved the last digit of the sum from run to run.
    """
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in sorted(set(a) | set(b)))


def main() -> int:
    """``python -m rnn_site.data.chorales``: rebuild the cache file (needs music21)."""
    path = build_cache()
    chorales = load_chorales(path)
    events = sum(len(c.events) for c in chorales)
    print(
        f"wrote {path} ({path.stat().st_size:,} bytes): {len(chorales)} chorales, {events} events"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
